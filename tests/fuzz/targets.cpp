// The table of fuzz targets and the seeds that encoders make.
#include <algorithm>
#include <fstream>
#include <iterator>

#include "delta/engine.hpp"
#include "fuzz/fuzz_target.hpp"
#include "package/builder.hpp"
#include "support/deflate_streams.hpp"

namespace dfota::fuzz {

namespace fs = std::filesystem;

const std::vector<FuzzTarget>& fuzz_targets() {
  static const std::vector<FuzzTarget> targets{
      {"native_decoder", fuzz_native_decoder, "native"},
      {"vcdiff_decoder", fuzz_vcdiff_decoder, "vcdiff"},
      {"zstd_engine", fuzz_zstd_engine, "zstd"},
      {"manifest", fuzz_manifest, "manifest"},
      {"package", fuzz_package, "package"},
      {"at_lines", fuzz_at_lines, "at"},
      {"url", fuzz_url, "url"},
      {"profile", fuzz_profile, "profile"},
      {"recording", fuzz_recording, "recording"},
      {"deflate_streams", fuzz_deflate_streams, "deflate"},
  };
  return targets;
}

namespace {

bool write(const fs::path& path, ByteSpan bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

// Targets derived from the fixed source: nothing, a piece, itself, scattered
// edits, an insertion.
std::vector<Bytes> seed_targets() {
  const Bytes& source = native_fuzz_source();
  Bytes edited = source;
  for (std::size_t i = 100; i < edited.size(); i += 997)
    edited[i] ^= 0x5A;
  Bytes shifted(source.begin(), source.begin() + 3000);
  shifted.insert(shifted.end(), 40, 0x11);
  shifted.insert(shifted.end(), source.begin() + 3000, source.end());
  return {Bytes{}, Bytes(source.begin(), source.begin() + 10), source, edited, shifted};
}

// An 8,192-byte little-endian 32-bit ARM ELF image (the fixed source's
// size) with `inserted` bytes of filler at 0x800: A32 code with a BL every
// fourth word in a PT_LOAD (R, X) over [0, 0x1100 + inserted) at 0x10000,
// then data holding pointers into the code in a PT_LOAD (R, W). Both
// versions agree except where the insertion moved things.
Bytes arm_elf(std::uint32_t inserted) {
  constexpr std::uint32_t kBase = 0x10000, kCodeEnd = 0x1100, kInsertAt = 0x800;
  Bytes image(8192 + inserted, 0x11);
  auto put32 = [&](std::size_t at, std::uint32_t v) { store_le32(image.data() + at, v); };
  auto moved = [&](std::uint32_t at) { return at < kInsertAt ? at : at + inserted; }; // source to this image
  std::uint32_t x = 2463534242u;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  };
  for (std::uint32_t at = 0x80; at < 8192; at += 4) {
    const std::uint32_t draw = next(), callee = 0x100 + (draw >> 8) % 16 * 0x100;
    std::uint32_t word = 0xE0000000u | (draw & 0x01FFFFFF);
    if (at < kCodeEnd && at % 16 == 0) word = 0xEB000000u | (((moved(callee) - (moved(at) + 8)) / 4) & 0xFFFFFF);
    if (at >= kCodeEnd) word = at % 8 == 0 ? kBase + moved(callee) : draw;
    put32(moved(at), word);
  }
  std::fill(image.begin(), image.begin() + 0x80, 0);
  const std::uint8_t ident[] = {0x7F, 'E', 'L', 'F', 1, 1, 1};
  std::copy(std::begin(ident), std::end(ident), image.begin());
  image[18] = 40;                // EM_ARM
  put32(28, 0x34);               // e_phoff
  image[42] = 32, image[44] = 2; // e_phentsize, e_phnum
  const std::uint32_t code = kCodeEnd + inserted, size = static_cast<std::uint32_t>(image.size());
  const std::uint32_t phdrs[2][7] = {{1, 0, kBase, kBase, code, code, 5},
                                     {1, code, kBase + code, kBase + code, size - code, size - code, 6}};
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t f = 0; f < 7; ++f)
      put32(0x34 + 32 * i + 4 * f, phdrs[i][f]);
  return image;
}

// `payload`, a native one of version 4 or 5 whose reference kinds are one byte,
// with its literal transform field set to `transform`.
Bytes with_literal_transform(Bytes payload, std::uint8_t transform) {
  std::size_t at = 4;
  if (skip_varint(payload.data(), payload.size(), at) && skip_varint(payload.data(), payload.size(), at)) {
    at += 32 + 1; // source SHA-256, kinds
    if (at < payload.size()) payload[at] = transform;
  }
  return payload;
}

int write_payload_seeds(const std::string& engine, const fs::path& dir) {
  const delta::Engine* e = delta::find_engine(engine);
  if (e == nullptr || !e->can_diff()) return 0; // e.g. no xdelta3: keep the committed seeds
  fs::create_directories(dir);
  int n = 0;
  for (const Bytes& target : seed_targets()) {
    VectorWriter payload;
    if (!e->diff(native_fuzz_source(), target, payload)) return 1;
    if (!write(dir / ("seed-" + std::to_string(n++)), payload.bytes())) return 1;
  }
  if (engine != "native") return 0;
  // A literal of x86 calls and A32 BL words, stored under each transform
  // (the fixed source is no ELF image, so the encoder would take none).
  const Bytes& source = native_fuzz_source();
  Bytes target(source.begin(), source.begin() + 2000);
  for (std::uint32_t i = 0; i < 16; ++i)
    target.insert(target.end(),
                  {0xE8, static_cast<std::uint8_t>(i), 0, 0, 0, 0x10, static_cast<std::uint8_t>(i), 0, 0xEB});
  target.insert(target.end(), source.begin() + 2000, source.end());
  VectorWriter payload;
  if (!e->diff(source, target, payload)) return 1;
  for (std::uint8_t transform : {1, 2}) {
    if (!write(dir / ("transform-seed-" + std::to_string(transform)),
               with_literal_transform(payload.bytes(), transform)))
      return 1;
  }
  // Between two versions of an ARM ELF image of the fixed source's size: a
  // payload with segments, their flags and reference kinds.
  VectorWriter elf_payload;
  if (!e->diff(arm_elf(0), arm_elf(16), elf_payload)) return 1;
  if (!write(dir / "elf-seed", elf_payload.bytes())) return 1;
  // A target carrying a gzip member and a zlib stream: a payload of the
  // deflate layer (the fixed source has no streams of its own).
  Bytes text = test::sample_text(6000, 1);
  Bytes packed = test::gzip(text, 9);
  const Bytes zlib_stream = test::zlib(ByteSpan(text).first(3000), 6);
  packed.insert(packed.end(), zlib_stream.begin(), zlib_stream.end());
  VectorWriter layered;
  if (!e->diff(source, packed, layered)) return 1;
  if (!write(dir / "deflate-layer-seed", layered.bytes())) return 1;
  return 0;
}

// Images with streams of every kind of block, wrapper and edge.
int write_deflate_seeds(const fs::path& dir) {
  fs::create_directories(dir);
  const Bytes text = test::sample_text(600, 2); // small: each execution records its streams
  const std::vector<std::pair<std::string, Bytes>> seeds = {
      {"gzip-9", test::gzip(text, 9)},
      {"gzip-1", test::gzip(text, 1)},
      {"stored", test::gzip(text, 0)},
      {"fixed", test::raw_deflate_in_zlib(text, 6, test::Strategy::fixed)},
      {"huffman-only", test::raw_deflate_in_zlib(text, 6, test::Strategy::huffman_only)},
      {"zip-entry", test::zip_with_entry("a.txt", text)},
      {"expanded-form", test::expanded_form_of(test::zlib(text, 9))}, // zlib-made: its level
      {"expanded-form-recorded",
       test::expanded_form_of(test::raw_deflate_in_zlib(text, 6, test::Strategy::huffman_only))}, // its parse
  };
  for (const auto& [name, bytes] : seeds)
    if (!write(dir / name, bytes)) return 1;
  return 0;
}

int write_package_seeds(const fs::path& dir, const fs::path& samples) {
  fs::create_directories(dir);
  package::BuildOptions options;
  options.engine = "zstd";
  if (!package::build_package(samples / "v1", samples / "v2", dir / "seed-plain", options)) return 1;
  auto key = signing::generate_key(signing::KeyType::ed25519);
  if (!key) return 1;
  options.sign_key = *key;
  options.engine = "native";
  if (!package::build_package(samples / "v2", samples / "v1", dir / "seed-signed", options)) return 1;
  return 0;
}

} // namespace

int write_generated_seeds(const fs::path& corpus_root) {
  const fs::path samples = corpus_root / ".." / ".." / ".." / "samples" / "firmware";
  return write_payload_seeds("native", corpus_root / "native") | write_payload_seeds("vcdiff", corpus_root / "vcdiff") |
         write_payload_seeds("zstd", corpus_root / "zstd") | write_package_seeds(corpus_root / "package", samples) |
         write_deflate_seeds(corpus_root / "deflate");
}

} // namespace dfota::fuzz
