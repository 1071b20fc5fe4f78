// The literal transform (formats/native-delta.md, "Literal transform").
// Literal bytes are new code more often than not, and new code calls the
// same functions from many places. A call stores the distance to its callee,
// so two calls of one function look different; the transform rewrites each
// call's distance as the callee's position in the target, so that they look
// alike and LZMA finds them. It is a bijection on the bytes of each literal
// run: the encoder applies it before compressing the literal stream, the
// applier undoes it after decompressing, a chunk at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/bytes.hpp"
#include "delta/native/references.hpp"

namespace dfota::delta::native {

// The value of the payload's literal_transform field.
enum class LiteralTransform : std::uint8_t {
  none = 0,
  x86_calls = 1, // E8 rel32: rel32 + the call's end
  a32_calls = 2, // A32 BL with condition AL (0xEB): imm24 + the word's position / 4
  // x86-64: E8 rel32, FF 15/25 (call/jmp through a RIP-relative slot) and
  // the RIP-relative disp32 of REX-prefixed and 0F-escaped loads, stores
  // and address computations: the field + the instruction's end.
  x86_64_references = 3,
};
inline constexpr std::uint64_t kLastLiteralTransform = 3;

// The transform worth a trial on literals of images whose detected layout
// holds `kinds` (its kinds and alternative kinds together): none when
// neither x86 nor A32 code is possible.
LiteralTransform literal_transform_for(KindSet kinds);

// Applies (encode) or undoes (decode) the transform on one literal run of
// `length` bytes that starts at target position `target_start`, fed in
// consecutive calls of any size. The result does not depend on how the run
// is cut into calls.
class LiteralCoder {
public:
  enum Direction : std::uint8_t { encode, decode };
  LiteralCoder(LiteralTransform transform, Direction direction, std::uint64_t target_start, std::uint64_t length)
      : transform_(transform), direction_(direction), target_start_(target_start), length_(length) {}
  // `bytes` holds the run's next `count` bytes. Rewrites them in place and
  // returns how many leading ones are final: all of them when they reach
  // the run's end, otherwise at most 6 fewer (an instruction cut by the end of
  // `bytes`). The caller passes the ones not final again, first, with the
  // run's next bytes.
  std::size_t code(std::uint8_t* bytes, std::size_t count);

private:
  std::size_t x86_calls(std::uint8_t* bytes, std::size_t count, bool ends_run);
  std::size_t a32_calls(std::uint8_t* bytes, std::size_t count, bool ends_run);
  std::size_t x86_64_references(std::uint8_t* bytes, std::size_t count, bool ends_run);

  LiteralTransform transform_;
  Direction direction_;
  std::uint64_t target_start_;
  std::uint64_t length_;
  std::uint64_t done_ = 0; // run bytes made final so far
};

// Applies the transform to a whole run in place.
inline void encode_literal_run(LiteralTransform transform, std::uint8_t* run, std::size_t length,
                               std::uint64_t target_start) {
  LiteralCoder(transform, LiteralCoder::encode, target_start, length).code(run, length);
}

} // namespace dfota::delta::native
