// libFuzzer target: the native delta decoder, with a fixed source, the
// change map reader of `inspect --html` and the header reader of `inspect`
// (Engine::describe_payload) on the same payload. The input
// is a payload; the harness writes the source's SHA-256 where the payload
// keeps it, so that inputs get past the source check into the streams.
// Output is counted and cut off at 4 MiB (a payload may legitimately ask for
// far more; that is a size question, not a decoder bug).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/hash.hpp"
#include "delta/change_map.hpp"
#include "delta/engine.hpp"
#include "delta/native/varint.hpp"
#include "fuzz/fuzz_target.hpp"

namespace dfota::fuzz {

bool skip_varint(const std::uint8_t* data, std::size_t size, std::size_t& at, std::uint64_t* value) {
  auto read = delta::native::read_varint([&]() -> Expected<std::uint8_t> {
    if (at >= size) return make_error(delta::DeltaErrc::corrupt_payload, "truncated");
    return data[at++];
  });
  if (!read) return false;
  if (value) *value = *read;
  return true;
}

const Bytes& native_fuzz_source() {
  static const Bytes source = [] {
    Bytes s(8192);
    std::uint32_t x = 2463534242u;
    for (auto& b : s) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      b = static_cast<std::uint8_t>(x);
    }
    // Eight A32 PLT entries at 4096 (reaching GOT slots at 6144 and up), so
    // that payloads naming that kind reach its prediction.
    for (std::uint32_t entry = 0; entry < 8; ++entry) {
      const std::uint32_t at = 4096 + 12 * entry, offset = 6144 + 4 * entry - (at + 8);
      const std::uint32_t words[3] = {0xE28FC600 | offset >> 20, 0xE28CCA00 | ((offset >> 12) & 0xFF),
                                      0xE5BCF000 | (offset & 0xFFF)};
      for (std::uint32_t w = 0; w < 3; ++w)
        for (std::uint32_t k = 0; k < 4; ++k)
          s[at + 4 * w + k] = static_cast<std::uint8_t>(words[w] >> (8 * k));
    }
    return s;
  }();
  return source;
}

int fuzz_native_decoder(const std::uint8_t* data, std::size_t size) {
  const Bytes& source = native_fuzz_source();
  Bytes payload(data, data + size);
  std::size_t at = 4;
  std::uint64_t made_size = 0;
  if (size > at && skip_varint(data, size, at) && skip_varint(data, size, at, &made_size) && at + 32 <= size) {
    const Sha256 digest = sha256(source);
    std::memcpy(payload.data() + at, digest.data(), digest.size());
  }
  SpanReader reader(payload);
  CountingWriter counter;
  delta::BoundedWriter out(counter, 4u << 20);
  (void)delta::find_engine("native")->apply(source, reader, out, delta::kUnknownSize);
  if (made_size <= (4u << 20)) { // the same cut-off as the decoder's output
    SpanReader again(payload);
    (void)delta::native_change_map(again, made_size, 64);
  }
  SpanReader header(payload);
  (void)delta::find_engine("native")->describe_payload(header);
  return 0;
}

} // namespace dfota::fuzz
