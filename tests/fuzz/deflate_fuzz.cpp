// libFuzzer target: the deflate layer. The input is taken two ways:
// - as an image: every stream the finder takes must rebuild the image
//   exactly through ImageRebuilder (a finding that does not is a bug, so
//   the harness aborts);
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
