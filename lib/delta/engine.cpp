#include "delta/engine.hpp"

#include <algorithm>

namespace dfota::delta {

namespace {
const char* describe(DeltaErrc value) {
  switch (value) {
  case DeltaErrc::unknown_engine: return "unknown engine";
  case DeltaErrc::engine_unavailable: return "engine unavailable";
  case DeltaErrc::corrupt_payload: return "corrupt payload";
  case DeltaErrc::wrong_size: return "payload decodes to the wrong size";
  case DeltaErrc::limit_exceeded: return "payload exceeds a limit";
  case DeltaErrc::encode_failed: return "encoding failed";
  case DeltaErrc::wrong_source: return "payload made for another source";
  }
  return nullptr;
}
} // namespace

const std::error_category& delta_category() {
  static const EnumErrorCategory<DeltaErrc> category("delta", describe, "unknown delta error");
  return category;
}

std::error_code make_error_code(DeltaErrc value) { return {static_cast<int>(value), delta_category()}; }

namespace {

// Writes into a region of fixed size, refusing what would not fit.
class RegionWriter final : public Writer {
public:
  explicit RegionWriter(std::span<std::uint8_t> region) : region_(region) {}
  Status write(ByteSpan data) override {
    if (data.size() > region_.size() - used_) {
      return make_error(DeltaErrc::wrong_size,
                        "payload decodes to more than the announced " + std::to_string(region_.size()) + " bytes");
    }
    std::copy(data.begin(), data.end(), region_.begin() + static_cast<std::ptrdiff_t>(used_));
    used_ += data.size();
    return {};
  }

private:
  std::span<std::uint8_t> region_;
  std::size_t used_ = 0;
};

} // namespace

Status Engine::apply_into(ByteSpan source, Reader& payload, std::span<std::uint8_t> target) const {
  RegionWriter writer(target);
  return apply(source, payload, writer, target.size());
}

Status BoundedWriter::write(ByteSpan data) {
  if (written_ + data.size() > limit_) {
    return make_error(DeltaErrc::wrong_size,
                      "payload decodes to more than the announced " + std::to_string(limit_) + " bytes");
  }
  written_ += data.size();
  return inner_.write(data);
}

unsigned ceil_log2(std::uint64_t value, unsigned floor) {
  unsigned n = floor;
  while (n < 63 && (std::uint64_t{1} << n) < value)
    ++n;
  return n;
}

} // namespace dfota::delta
