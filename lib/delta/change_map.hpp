// Where a payload's target bytes come from, read from the payload alone (no
// source needed): for a picture of what changed in an image.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace dfota::delta {

// What makes a target byte.
enum class ByteOrigin : std::uint8_t {
  kept,    // copied from the same offset of the source, unchanged
  moved,   // copied from another offset of the source, unchanged (code shifted)
  changed, // copied from the source and then changed
  added,   // new bytes carried in the payload
};
inline constexpr std::size_t kByteOrigins = 4;
const char* to_string(ByteOrigin origin);

struct ChangeMap {
  std::uint64_t target_size = 0;
  std::array<std::uint64_t, kByteOrigins> totals{}; // bytes of each origin
  // The target cut into equal cells (the last one shorter); each counts its
  // bytes by origin.
  std::uint64_t cell_size = 0;
  std::vector<std::array<std::uint64_t, kByteOrigins>> cells;

  // A map of `target_size` bytes with nothing counted yet, in at most
  // `cells` cells of at least one byte.
  static ChangeMap of_size(std::uint64_t target_size, std::size_t cells);
  // Counts target bytes [at, at + length) as `origin`; the range must lie
  // inside target_size.
  void count(std::uint64_t at, std::uint64_t length, ByteOrigin origin);
};

// The map of a payload of `engine` making `target_size` bytes, in at most
// `cells` cells. Native payloads are read to their end (checked as apply
// does, less the source); "full" is all added bytes. Other engines: nullopt
// (their instructions are not read here). Errors are the payload's.
Expected<std::optional<ChangeMap>> map_changes(const std::string& engine, Reader& payload, std::uint64_t target_size,
                                               std::size_t cells);

// The native engine's part (native_engine.cpp).
Expected<ChangeMap> native_change_map(Reader& payload, std::uint64_t target_size, std::size_t cells);

} // namespace dfota::delta
