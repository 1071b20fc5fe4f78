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

// Compares what is written with `expected`, byte for byte, keeping nothing.
class ComparingWriter final : public Writer {
public:
  explicit ComparingWriter(ByteSpan expected) : expected_(expected) {}
  Status write(ByteSpan data) override {
    const std::size_t left = expected_.size() - at_;
    const std::size_t n = std::min(left, data.size());
    const auto differ = std::mismatch(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n),
                                      expected_.begin() + static_cast<std::ptrdiff_t>(at_));
    if (differ.first != data.begin() + static_cast<std::ptrdiff_t>(n)) {
      return make_error(DeltaErrc::encode_failed,
                        "the payload decodes to other bytes than the target, from byte " +
                            std::to_string(at_ + static_cast<std::size_t>(differ.first - data.begin())));
    }
    if (data.size() > left) return make_error(DeltaErrc::encode_failed, "the payload decodes to more than the target");
    at_ += n;
    return {};
  }
  std::size_t compared() const { return at_; }

private:
  ByteSpan expected_;
  std::size_t at_ = 0;
};

} // namespace

Status check_applies(const Engine& engine, ByteSpan source, ByteSpan payload, ByteSpan target) {
  SpanReader reader(payload);
  ComparingWriter compared(target);
  if (auto ok = engine.apply(source, reader, compared, target.size()); !ok) {
    return make_error(DeltaErrc::encode_failed,
                      std::string(engine.name()) + " made a payload that does not apply: " + ok.error().message());
  }
  if (compared.compared() != target.size()) {
    return make_error(DeltaErrc::encode_failed,
                      std::string(engine.name()) + " made a payload that decodes to fewer bytes than the target");
  }
  return {};
}

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
