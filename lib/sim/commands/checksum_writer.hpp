// A writer that folds the module checksum (AT+QFUPL's and AT+QFOTADL="COM"'s
// report) over what passes through it.
#pragma once

#include "core/bytes.hpp"
#include "core/hash.hpp"

namespace dfota::sim {

class ChecksumWriter final : public Writer {
public:
  explicit ChecksumWriter(Writer& out) : out_(out) {}
  Status write(ByteSpan data) override {
    checksum_.update(data);
    return out_.write(data);
  }
  std::uint16_t checksum() const { return checksum_.value(); }

private:
  Writer& out_;
  ModuleChecksum checksum_;
};

} // namespace dfota::sim
