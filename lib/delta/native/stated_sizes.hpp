// The check of the sizes a native payload states (both layers start with
// them) against what the caller knows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "delta/engine.hpp"

namespace dfota::delta::native {

// Fails with DeltaErrc::wrong_source when the payload was made for a source
// of another size than `source_size` (nullopt: not known), and with
// DeltaErrc::wrong_size when it makes another size than `target_size`
// (kUnknownSize: any).
inline Status check_stated_sizes(std::uint64_t made_for, std::uint64_t makes, std::optional<std::uint64_t> source_size,
                                 std::uint64_t target_size) {
  if (source_size && made_for != *source_size) {
    return make_error(DeltaErrc::wrong_source, "the payload was made for a source of " + std::to_string(made_for) +
                                                   " bytes, this one has " + std::to_string(*source_size));
  }
  if (target_size != kUnknownSize && makes != target_size) {
    return make_error(DeltaErrc::wrong_size, "the payload makes " + std::to_string(makes) + " bytes, " +
                                                 std::to_string(target_size) + " announced");
  }
  return {};
}

} // namespace dfota::delta::native
