#include "delta/native/control.hpp"

#include <algorithm>

#include "delta/native/varint.hpp"

namespace dfota::delta::native {

namespace {

std::vector<ControlEntry> entries_from(const std::vector<CopyBlock>& blocks, std::uint64_t target_size,
                                       std::uint64_t min_copy) {
  std::vector<ControlEntry> entries;
  std::uint64_t source_position = 0;
  std::uint64_t pending_literal = 0; // literal bytes not yet given to an entry
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const CopyBlock& b = blocks[i];
    const std::uint64_t literal_to = i + 1 == blocks.size() ? target_size : blocks[i + 1].target_start;
    const std::uint64_t literal = literal_to - (b.target_start + b.length);
    if (b.length < min_copy || b.length == 0) {
      // The copy becomes literal: it joins the previous entry's literal.
      const std::uint64_t bytes = b.length + literal;
      if (!entries.empty())
        entries.back().literal += static_cast<std::uint32_t>(bytes);
      else
        pending_literal += bytes;
      continue;
    }
    if (pending_literal > 0) {
      entries.push_back({0, 0, static_cast<std::uint32_t>(pending_literal)});
      pending_literal = 0;
    }
    ControlEntry e;
    e.seek = static_cast<std::int64_t>(b.source_start) - static_cast<std::int64_t>(source_position);
    e.copy = static_cast<std::uint32_t>(b.length);
    e.literal = static_cast<std::uint32_t>(literal);
    source_position = b.source_start + b.length;
    entries.push_back(e);
  }
  if (pending_literal > 0) entries.push_back({0, 0, static_cast<std::uint32_t>(pending_literal)});
  return entries;
}

} // namespace

std::vector<ControlEntry> to_control(const std::vector<CopyBlock>& blocks, std::uint64_t target_size) {
  std::uint64_t min_copy = kMinCopy;
  for (;;) {
    auto entries = entries_from(blocks, target_size, min_copy);
    if (entries.size() <= max_control_entries(target_size)) return entries;
    min_copy *= 2;
  }
}

void put_control(Bytes& out, const std::vector<PlacedEntry>& placed) {
  std::int64_t diagonal = 0;
  for (const PlacedEntry& p : placed) {
    if (p.entry.copy == 0) {
      put_varint(out, 0);
      continue;
    }
    const std::int64_t next = static_cast<std::int64_t>(p.source_start) - static_cast<std::int64_t>(p.target_start);
    put_varint(out, zigzag(next - diagonal));
    diagonal = next;
  }
  for (const PlacedEntry& p : placed)
    put_varint(out, p.entry.copy);
  for (const PlacedEntry& p : placed)
    put_varint(out, p.entry.literal);
}

std::vector<PlacedEntry> placed_entries(const std::vector<ControlEntry>& entries) {
  std::vector<PlacedEntry> placed;
  placed.reserve(entries.size());
  (void)for_each_placed(entries, [&](const PlacedEntry& entry) -> Status {
    placed.push_back(entry);
    return {};
  });
  return placed;
}

OffsetMap offset_map_for(const std::vector<ControlEntry>& entries) {
  std::vector<MapEntry> candidates;
  (void)for_each_placed(entries, [&](const PlacedEntry& placed) -> Status {
    if (placed.entry.copy >= kMinMapLength) {
      candidates.push_back({placed.source_start, placed.entry.copy, placed.target_start});
    }
    return {};
  });
  std::stable_sort(candidates.begin(), candidates.end(), [](const MapEntry& a, const MapEntry& b) {
    return a.source_start != b.source_start ? a.source_start < b.source_start : a.length > b.length;
  });
  std::vector<MapEntry> kept;
  std::uint64_t end = 0;
  for (MapEntry e : candidates) {
    if (e.source_start < end) {
      const std::uint64_t cut = end - e.source_start;
      if (cut >= e.length || e.length - cut < kMinMapLength) continue;
      e.source_start += cut;
      e.target_start += cut;
      e.length -= cut;
    }
    kept.push_back(e);
    end = e.source_start + e.length;
  }
  return OffsetMap(std::move(kept));
}

MovedAddresses moved_addresses_for(const Layout& layout, const std::vector<ControlEntry>& entries) {
  return MovedAddresses(layout.source, offset_map_for(entries), layout.target);
}

std::optional<std::vector<ControlEntry>> overlay_copies(const std::vector<ControlEntry>& entries,
                                                        const std::vector<CopyBlock>& copies) {
  // The program as pieces of the target in order: a copy (from `source`) or
  // a literal.
  struct Piece {
    std::uint64_t target_start = 0, length = 0;
    bool copy = false;
    std::uint64_t source_start = 0;
  };
  std::uint64_t target_size = 0;
  for (const ControlEntry& e : entries)
    target_size += std::uint64_t{e.copy} + e.literal;
  const std::uint64_t max_entries = max_control_entries(target_size);
  std::vector<Piece> pieces;
  std::size_t next = 0; // the first range of `copies` that ends after the piece being cut
  auto keep_outside = [&](const Piece& piece) {
    std::uint64_t at = piece.target_start;
    const std::uint64_t end = piece.target_start + piece.length;
    while (next < copies.size() && copies[next].target_start + copies[next].length <= at)
      ++next;
    for (std::size_t c = next; at < end; ++c) {
      const std::uint64_t cut = c < copies.size() ? std::min(end, copies[c].target_start) : end;
      if (cut > at) {
        Piece part = piece;
        part.target_start = at;
        part.length = cut - at;
        part.source_start = piece.source_start + (at - piece.target_start);
        pieces.push_back(part);
      }
      if (c >= copies.size()) break;
      at = std::max(at, copies[c].target_start + copies[c].length);
    }
  };
  (void)for_each_placed(entries, [&](const PlacedEntry& placed) -> Status {
    if (placed.entry.copy > 0) keep_outside({placed.target_start, placed.entry.copy, true, placed.source_start});
    if (placed.entry.literal > 0)
      keep_outside({placed.target_start + placed.entry.copy, placed.entry.literal, false, 0});
    return {};
  });
  for (const CopyBlock& c : copies)
    pieces.push_back({c.target_start, c.length, true, c.source_start});
  std::stable_sort(pieces.begin(), pieces.end(),
                   [](const Piece& a, const Piece& b) { return a.target_start < b.target_start; });

  // The pieces cover the target in order, so a copy right after a copy
  // (no literal between) continues it when it reads on from where it ended.
  std::vector<ControlEntry> result;
  std::uint64_t source_position = 0; // where the last copy ended
  for (const Piece& p : pieces) {
    if (!p.copy) {
      if (result.empty()) result.push_back({0, 0, 0});
      result.back().literal += static_cast<std::uint32_t>(p.length);
      continue;
    }
    if (!result.empty() && result.back().copy > 0 && result.back().literal == 0 && p.source_start == source_position) {
      result.back().copy += static_cast<std::uint32_t>(p.length);
    } else {
      result.push_back({static_cast<std::int64_t>(p.source_start) - static_cast<std::int64_t>(source_position),
                        static_cast<std::uint32_t>(p.length), 0});
    }
    source_position = p.source_start + p.length;
    if (result.size() > max_entries) return std::nullopt;
  }
  return result;
}

} // namespace dfota::delta::native
