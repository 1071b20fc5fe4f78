// libFuzzer target: the deflate layer. The input is taken two ways:
// - as an image: every stream the finder takes must rebuild the image
//   exactly through ImageRebuilder (a finding that does not is a bug, so
//   the harness aborts), and so must the image one byte later with the
//   first one's streams on offer for copying;
// - as one stream's expanded form, fed to a Rebuilder in pieces: it must
//   fail cleanly or finish, its output cut off at 4 MiB.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "delta/deflate/image_streams.hpp"
#include "delta/deflate/rebuilder.hpp"
#include "delta/engine.hpp"
#include "fuzz/fuzz_target.hpp"

namespace dfota::fuzz {

int fuzz_deflate_streams(const std::uint8_t* data, std::size_t size) {
  const ByteSpan input(data, size);
  const delta::deflate::ExpandedImage expanded =
      delta::deflate::expand_found_streams(input, {.max_size = 8 * size + (1u << 20)});
  VectorWriter rebuilt;
  delta::deflate::ImageRebuilder image(rebuilt, expanded.places);
  if (!image.write(expanded.bytes) || !image.finish() ||
      !std::equal(rebuilt.bytes().begin(), rebuilt.bytes().end(), input.begin(), input.end()))
    std::abort();

  // Again one byte later, with the image's own streams on offer: every
  // form is realigned, and a stream copied from the source must be the one
  // the rebuilder would have made.
  Bytes shifted;
  shifted.reserve(size + 1);
  shifted.push_back(0x5A);
  shifted.insert(shifted.end(), input.begin(), input.end());
  const delta::deflate::ExpandedImage later =
      delta::deflate::expand_found_streams(shifted, {.max_size = 8 * size + (1u << 20)});
  VectorWriter copied;
  delta::deflate::ImageRebuilder reusing(copied, later.places, {input, expanded.bytes, expanded.places});
  if (!reusing.write(later.bytes) || !reusing.finish() || copied.bytes() != shifted) std::abort();

  CountingWriter counter;
  delta::BoundedWriter out(counter, 4u << 20);
  delta::deflate::Rebuilder stream(out);
  bool ok = true;
  for (std::size_t at = 0; ok && at < size; at += 997)
    ok = static_cast<bool>(stream.write(input.subspan(at, std::min<std::size_t>(997, size - at))));
  if (ok) (void)stream.finish();
  return 0;
}

} // namespace dfota::fuzz
