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

ChangeMap ChangeMap::of_size(std::uint64_t target_size, std::size_t cells) {
  ChangeMap map;
  map.target_size = target_size;
  const std::uint64_t count = std::max<std::uint64_t>(1, std::min<std::uint64_t>(cells, target_size));
  map.cell_size = std::max<std::uint64_t>(1, (target_size + count - 1) / count);
  map.cells.resize(static_cast<std::size_t>((target_size + map.cell_size - 1) / map.cell_size));
  return map;
}

void ChangeMap::count(std::uint64_t at, std::uint64_t length, ByteOrigin origin) {
  totals[static_cast<std::size_t>(origin)] += length;
  while (length > 0) {
    const std::uint64_t cell = at / cell_size;
    const std::uint64_t n = std::min(length, (cell + 1) * cell_size - at);
    cells[static_cast<std::size_t>(cell)][static_cast<std::size_t>(origin)] += n;
    at += n;
    length -= n;
  }
}

Expected<std::optional<ChangeMap>> map_changes(const std::string& engine, Reader& payload, std::uint64_t target_size,
                                               std::size_t cells) {
  if (engine == "native") {
    auto map = native_change_map(payload, target_size, cells);
    if (!map) return map.error();
    return std::optional<ChangeMap>(std::move(*map));
  }
  if (engine == "full") {
    ChangeMap map = ChangeMap::of_size(target_size, cells);
    map.count(0, target_size, ByteOrigin::added);
    return std::optional<ChangeMap>(std::move(map));
  }
  return std::optional<ChangeMap>();
}

} // namespace dfota::delta
