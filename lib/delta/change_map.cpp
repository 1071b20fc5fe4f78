#include "delta/change_map.hpp"

#include <algorithm>

namespace dfota::delta {

const char* to_string(ByteOrigin origin) {
  switch (origin) {
  case ByteOrigin::kept: return "kept";
  case ByteOrigin::moved: return "moved";
  case ByteOrigin::changed: return "changed";
  case ByteOrigin::added: return "added";
  }
  return "added";
}

Expected<std::optional<ChangeMap>> map_changes(const std::string& engine, Reader& payload, std::uint64_t target_size,
                                               std::size_t cells) {
  if (engine == "native") {
    auto map = native_change_map(payload, target_size, cells);
    if (!map) return map.error();
    return std::optional<ChangeMap>(std::move(*map));
  }
  if (engine == "full") {
    ChangeMap map;
    map.target_size = target_size;
    map.totals[static_cast<std::size_t>(ByteOrigin::added)] = target_size;
    const std::uint64_t count = std::max<std::uint64_t>(1, std::min<std::uint64_t>(cells, target_size));
    map.cell_size = (target_size + count - 1) / std::max<std::uint64_t>(count, 1);
    for (std::uint64_t at = 0; at < target_size; at += map.cell_size) {
      std::array<std::uint64_t, kByteOrigins> cell{};
      cell[static_cast<std::size_t>(ByteOrigin::added)] = std::min(map.cell_size, target_size - at);
      map.cells.push_back(cell);
    }
    return std::optional<ChangeMap>(std::move(map));
  }
  return std::optional<ChangeMap>();
}

} // namespace dfota::delta
