// Delta engines behind one interface. An engine turns (source, target) into a
// payload and back. diff() sees both images whole (matching needs them);
// apply() streams the payload in and the target out, reading the source by
// position only.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"

namespace dfota::delta {

enum class DeltaErrc {
  unknown_engine = 1, // no engine of that name
  engine_unavailable, // the engine's encoder is not installed here
  corrupt_payload,    // the payload cannot be decoded
  wrong_size,         // the payload decodes to another size than announced
  limit_exceeded,     // the payload asks for more memory than allowed
  encode_failed,      // the encoder failed
  wrong_source,       // the payload was made for another source
};
const std::error_category& delta_category();
std::error_code make_error_code(DeltaErrc value);

// For apply(): the target size is not known; any size is accepted.
inline constexpr std::uint64_t kUnknownSize = UINT64_MAX;

// Told how far one diff() has come: the fraction of its work done, in
// [0, 1), rising. An engine may call it from several of its threads at once
// (so it must be thread-safe, and two calls may arrive out of order); it
// never says 1, which is for the caller to say once diff() has returned. An
// engine that cannot tell calls it not at all. It must return quickly: the
// encoding waits for it.
using DiffProgress = std::function<void(double fraction)>;

// One thing a payload states about its own form, for a reader (inspect).
struct PayloadFact {
  std::string name;
  std::string value;
};

class Engine {
public:
  virtual ~Engine() = default;
  virtual std::string_view name() const = 0;
  // False when this machine lacks what diff() needs (apply() always works).
  virtual bool can_diff() const { return true; }
  // Writes a payload that turns `source` into `target`, telling `progress`
  // (may be empty) how far it has come. On failure the payload writer holds
  // an unspecified prefix and must be discarded.
  virtual Status diff(ByteSpan source, ByteSpan target, Writer& payload, const DiffProgress& progress) const = 0;
  Status diff(ByteSpan source, ByteSpan target, Writer& payload) const { return diff(source, target, payload, {}); }
  // True when diff() hands the payload to its writer as it encodes, so that
  // a writer refusing more bytes stops the encoding early; false when the
  // payload comes out only at the end.
  virtual bool writes_as_it_encodes() const { return false; }
  // Decodes `payload` against `source` and writes exactly `target_size` bytes
  // (any number for kUnknownSize) to `target`; a payload that decodes to any
  // other size fails with
  // DeltaErrc::wrong_size. On failure `target` holds a prefix of the output
  // that the caller must discard.
  virtual Status apply(ByteSpan source, Reader& payload, Writer& target, std::uint64_t target_size) const = 0;
  // Decodes `payload` into `target`, a writable region of exactly the
  // target's size (e.g. OutputFile::map_region()), which the decoder may
  // read back as its history. Fails as apply() does; on failure `target`
  // holds unspecified bytes. The default writes through apply().
  virtual Status apply_into(ByteSpan source, Reader& payload, std::span<std::uint8_t> target) const;
  // True when apply_into() needs less memory than apply() because the
  // decoder keeps its history in the target region (the zstd-based engines:
  // no window of their own); callers that can offer a region then should.
  virtual bool keeps_history_in_target() const { return false; }
  // Working memory apply() needs besides reading the source, in bytes.
  virtual std::uint64_t apply_memory(std::uint64_t source_size, std::uint64_t target_size) const = 0;
  // The same for one payload this engine made (whole in `payload`), for
  // engines whose payloads may ask for more (the native deflate layer).
  virtual std::uint64_t apply_memory_of(ByteSpan payload, std::uint64_t source_size, std::uint64_t target_size) const {
    (void)payload;
    return apply_memory(source_size, target_size);
  }
  // Checks what the first bytes of a payload (`head`: its first 18 bytes, or
  // all of a shorter payload) state about the result against `target_size`,
  // without decoding: a pre-flight check that costs no memory. Fails with
  // DeltaErrc::wrong_size or corrupt_payload; engines whose payloads state
  // nothing up front pass.
  virtual Status check_stated_size(ByteSpan head, std::uint64_t target_size) const {
    (void)head;
    (void)target_size;
    return {};
  }
  // What a payload this engine made states about its own form, in reading
  // order, from its header alone (nothing is decoded; memory: the header):
  // for the native engine, plain or layered and the streams of the layer.
  // Empty for engines whose payloads state nothing; fails with
  // DeltaErrc::corrupt_payload on a header that cannot be read.
  virtual Expected<std::vector<PayloadFact>> describe_payload(Reader& payload) const {
    (void)payload;
    return std::vector<PayloadFact>{};
  }
};

// Applies `payload`, which `engine` made, to `source` and compares the result
// with `target` byte for byte as it comes, holding none of it (memory: the
// engine's apply memory). Fails with DeltaErrc::encode_failed, naming the
// engine and what went wrong, when the payload does not make exactly
// `target`: a builder's check that it never ships a payload its own applier
// refuses.
Status check_applies(const Engine& engine, ByteSpan source, ByteSpan payload, ByteSpan target);

// The engine called `name`, or nullptr. Names: "native", "zstd", "vcdiff", "full".
const Engine* find_engine(std::string_view name);
// The names find_engine() knows, in the order `auto` prefers them on a tie.
const std::vector<std::string>& engine_names();

// Writes to `inner`, failing once more than `limit` bytes would be written.
class BoundedWriter final : public Writer {
public:
  BoundedWriter(Writer& inner, std::uint64_t limit) : inner_(inner), limit_(limit) {}
  Status write(ByteSpan data) override;
  std::uint64_t written() const { return written_; }

private:
  Writer& inner_;
  std::uint64_t limit_;
  std::uint64_t written_ = 0;
};

// Smallest n with 2^n >= value (at least `floor`).
unsigned ceil_log2(std::uint64_t value, unsigned floor = 10);

} // namespace dfota::delta

template <> struct std::is_error_code_enum<dfota::delta::DeltaErrc> : std::true_type {};
