// The concrete engines. Use find_engine() rather than these classes directly.
#pragma once

#include "delta/engine.hpp"

namespace dfota::delta {

// This project's own engine for firmware: approximate suffix-array matching,
// prediction of moved branch/call targets and pointers in ELF code, and
// separately compressed control, difference (as runs) and literal streams
// (formats/native-delta.md); images carrying deflate streams are diffed by
// the streams' contents (stream_layer.hpp). Apply memory of a plain payload
// is bounded by a constant (about 14.7 MiB, apply_memory()) up to a 16 MiB
// target and grows by half a byte per target byte beyond (the control
// program's limit grows with the target), besides reading the source by
// position; apply() decodes the streams on two more threads and,
// with a second usable core, predicts part of the copies on a third.
class NativeEngine final : public Engine {
public:
  std::string_view name() const override { return "native"; }
  using Engine::diff;
  Status diff(ByteSpan source, ByteSpan target, Writer& payload, const DiffProgress& progress) const override;
  Status apply(ByteSpan source, Reader& payload, Writer& target, std::uint64_t target_size) const override;
  std::uint64_t apply_memory(std::uint64_t source_size, std::uint64_t target_size) const override;
  // A layered payload adds its expanded source and the rebuilder's memory.
  std::uint64_t apply_memory_of(ByteSpan payload, std::uint64_t source_size, std::uint64_t target_size) const override;
  Status check_stated_size(ByteSpan head, std::uint64_t target_size) const override;
  // Its layer (plain, or deflate layer DFZ1/DFZ2 with its streams counted)
  // and the plain payload's version and entries.
  Expected<std::vector<PayloadFact>> describe_payload(Reader& payload) const override;

private:
  // Applies a plain (DFN2-5) payload.
  Status apply_plain(ByteSpan source, Reader& payload, Writer& target, std::uint64_t target_size) const;
};

// libzstd with the source as a prefix dictionary and long-distance matching,
// as `zstd --patch-from` does. Apply memory: the decoder's window, which spans
// source and target.
class ZstdEngine final : public Engine {
public:
  std::string_view name() const override { return "zstd"; }
  using Engine::diff;
  Status diff(ByteSpan source, ByteSpan target, Writer& payload, const DiffProgress& progress) const override;
  bool writes_as_it_encodes() const override { return true; }
  Status apply(ByteSpan source, Reader& payload, Writer& target, std::uint64_t target_size) const override;
  Status apply_into(ByteSpan source, Reader& payload, std::span<std::uint8_t> target) const override;
  bool keeps_history_in_target() const override { return true; }
  std::uint64_t apply_memory(std::uint64_t source_size, std::uint64_t target_size) const override;
  Status check_stated_size(ByteSpan head, std::uint64_t target_size) const override;
};

// The compressed target alone (zstd); apply() ignores the source.
class FullEngine final : public Engine {
public:
  std::string_view name() const override { return "full"; }
  using Engine::diff;
  Status diff(ByteSpan source, ByteSpan target, Writer& payload, const DiffProgress& progress) const override;
  bool writes_as_it_encodes() const override { return true; }
  Status apply(ByteSpan source, Reader& payload, Writer& target, std::uint64_t target_size) const override;
  Status apply_into(ByteSpan source, Reader& payload, std::span<std::uint8_t> target) const override;
  bool keeps_history_in_target() const override { return true; }
  std::uint64_t apply_memory(std::uint64_t source_size, std::uint64_t target_size) const override;
  Status check_stated_size(ByteSpan head, std::uint64_t target_size) const override;
};

// RFC 3284 VCDIFF. Encoding runs the xdelta3 program; decoding is this
// project's own decoder (vcdiff_decoder.hpp), so applying needs no program.
class VcdiffEngine final : public Engine {
public:
  std::string_view name() const override { return "vcdiff"; }
  bool can_diff() const override;
  using Engine::diff;
  Status diff(ByteSpan source, ByteSpan target, Writer& payload, const DiffProgress& progress) const override;
  Status apply(ByteSpan source, Reader& payload, Writer& target, std::uint64_t target_size) const override;
  std::uint64_t apply_memory(std::uint64_t source_size, std::uint64_t target_size) const override;
};

} // namespace dfota::delta
