// The native engine: approximate matching (matcher.hpp), a control program
// (control.hpp), executable-aware prediction (references.hpp) and separately
// compressed, interleaved streams (streams.hpp). The payload layout is
// specified in formats/native-delta.md.
#include <algorithm>
#include <array>
#include <cstring>
#include <future>
#include <iterator>
#include <lzma.h>
#include <optional>
#include <string>

#include "core/cores.hpp"
#include "core/hash.hpp"
#include "delta/change_map.hpp"
#include "delta/engines.hpp"
#include "delta/native/control.hpp"
#include "delta/native/difference.hpp"
#include "delta/native/estimate.hpp"
#include "delta/native/literals.hpp"
#include "delta/native/load_address.hpp"
#include "delta/native/matcher.hpp"
#include "delta/native/plt.hpp"
#include "delta/native/prediction_lane.hpp"
#include "delta/native/realign.hpp"
#include "delta/native/references.hpp"
#include "delta/native/stated_sizes.hpp"
#include "delta/native/stream_layer.hpp"
#include "delta/native/streams.hpp"
#include "delta/native/varint.hpp"

namespace dfota::delta {

namespace {

using namespace native;

// The encoder writes version 7 for targets over kLargeTarget and for
// literals under the x86-64 transform, version 5 otherwise. Version 6 lets
// the control program's cap and the literal stream's dictionary grow with
// the target (max_control_entries(), literal_window_log()); version 7 lets
// the dictionary grow twice as far and adds the x86-64 literal transform.
// Up to kLargeTarget their limits are version 5's, so writing version 5
// there (when the transform is not used) lets appliers that know only
// version 5 take those payloads. Version 5 marks the executable segments,
// where alone the code kinds are looked for; version 4 adds the literal
// transform to version 3, which keeps the control program field by field,
// each copy's source start as a change of diagonal; versions 6, 4, 3 and 2
// (entry by entry, with seeks) are still read.
constexpr char kMagicVersion7[4] = {'D', 'F', 'N', '7'};
constexpr char kMagicVersion6[4] = {'D', 'F', 'N', '6'};
constexpr char kMagic[4] = {'D', 'F', 'N', '5'};
constexpr char kMagicVersion4[4] = {'D', 'F', 'N', '4'};
constexpr char kMagicVersion3[4] = {'D', 'F', 'N', '3'};
constexpr char kMagicVersion2[4] = {'D', 'F', 'N', '2'};
// Any diagonal (source start - target start) of a valid copy, and any change
// between two of them, is smaller in magnitude than this (source < 2^31,
// target < 2^32).
constexpr std::int64_t kMaxDiagonal = std::int64_t{1} << 33;
constexpr std::uint64_t kMaxTargetSize = UINT32_MAX;
constexpr std::size_t kChunk = 64u << 10;

Error corrupt(const std::string& what) { return make_error(DeltaErrc::corrupt_payload, "native payload: " + what); }

// Calls sink(const uint8_t*, size_t) with the difference (target -
// prediction) of the copy of `placed`, a piece at a time, through `chunk`
// (kChunk bytes).
template <class Sink>
void copy_difference(const Layout& layout, const MovedAddresses& moved, ByteSpan source, ByteSpan target,
                     const PlacedEntry& placed, Bytes& chunk, Sink&& sink) {
  predicted_difference(layout, moved, source, target, placed.source_start, placed.target_start, placed.entry.copy,
                       chunk, sink);
}

// Calls sink(const uint8_t*, size_t) with the difference of every copy, in
// program order, a chunk at a time, and end_of_copy() after each entry's
// copy.
template <class Sink, class EndOfCopy>
void for_each_difference(const Layout& layout, const MovedAddresses& moved, ByteSpan source, ByteSpan target,
                         const std::vector<ControlEntry>& entries, Sink&& sink, EndOfCopy&& end_of_copy) {
  Bytes chunk(kChunk);
  (void)for_each_placed(entries, [&](const PlacedEntry& placed) -> Status {
    copy_difference(layout, moved, source, target, placed, chunk, sink);
    end_of_copy();
    return {};
  });
}

// Bytes of the copies that differ from their prediction, counted on both
// cores (split_in_two()).
std::uint64_t changed_bytes(const Layout& layout, const MovedAddresses& moved, ByteSpan source, ByteSpan target,
                            const std::vector<ControlEntry>& entries) {
  const std::vector<PlacedEntry> placed = placed_entries(entries);
  std::array<std::uint64_t, 2> changed{};
  split_in_two(placed, [&](std::size_t first, std::size_t last, int part) {
    Bytes chunk(kChunk);
    for (std::size_t i = first; i < last; ++i) {
      copy_difference(layout, moved, source, target, placed[i], chunk,
                      [&](const std::uint8_t* d, std::size_t n) { changed[part] += count_changed(d, n); });
    }
  });
  return changed[0] + changed[1];
}

// The difference streams of a layout, with where each entry's copy ends in
// them and, inside copies longer than a chunk, where each chunk after the
// first begins: an applier reads the runs and the changes of a copy side by
// side, holding at most kMaxQueuedBytes of one while it waits for the
// other, so the pieces of both must take turns within a long copy too (a
// copy of 4 MiB changed every 8th byte has 1 MiB of runs).
struct DifferenceStreams {
  DifferenceWriter writer;
  std::vector<DifferenceWriter::Mark> copy_ends;
  struct InnerMark {
    std::size_t entry; // whose copy it lies in
    DifferenceWriter::Mark mark;
  };
  std::vector<InnerMark> inner_marks; // in order
};
DifferenceStreams difference_streams(const Layout& layout, const MovedAddresses& moved, ByteSpan source,
                                     ByteSpan target, const std::vector<ControlEntry>& entries) {
  DifferenceStreams result;
  result.copy_ends.reserve(entries.size());
  std::uint64_t copy_start = 0; // difference bytes before the current copy
  for_each_difference(
      layout, moved, source, target, entries,
      [&](const std::uint8_t* d, std::size_t n) {
        if (result.writer.consumed() > copy_start)
          result.inner_marks.push_back({result.copy_ends.size(), result.writer.mark()});
        result.writer.append(d, n);
      },
      [&] {
        result.copy_ends.push_back(result.writer.mark());
        copy_start = result.writer.consumed();
      });
  result.writer.finish();
  return result;
}

// Segment flags (version 5): bit 0, executable.
constexpr std::uint64_t kExecutableFlag = 1;

void put_segments(Bytes& out, const AddressSpace& space) {
  put_varint(out, space.segments().size());
  for (const Segment& s : space.segments()) {
    put_varint(out, s.vaddr);
    put_varint(out, s.offset);
    put_varint(out, s.size);
    put_varint(out, s.executable ? kExecutableFlag : 0);
  }
}

// `with_flags`: version 5, whose segments end with their flags.
Expected<AddressSpace> read_segments(BufferedInput& in, std::uint64_t image_size, bool with_flags) {
  auto count = in.varint();
  if (!count) return count.error();
  if (*count > kMaxSegments) return corrupt("too many segments");
  std::vector<Segment> segments;
  for (std::uint64_t i = 0; i < *count; ++i) {
    auto vaddr = in.varint();
    if (!vaddr) return vaddr.error();
    auto offset = in.varint();
    if (!offset) return offset.error();
    auto size = in.varint();
    if (!size) return size.error();
    Segment s{*vaddr, *offset, *size};
    if (with_flags) {
      auto flags = in.varint();
      if (!flags) return flags.error();
      if ((*flags & ~kExecutableFlag) != 0) return corrupt("unknown segment flags");
      s.executable = *flags == kExecutableFlag;
    }
    if (s.offset > image_size || s.size > image_size - s.offset || s.vaddr + s.size < s.vaddr) {
      return corrupt("segment outside its image");
    }
    segments.push_back(s);
  }
  return AddressSpace(std::move(segments));
}

// Checks a program read from a payload against both image sizes: every
// seek stays inside the source, every copy ends inside it, copies and
// literals make exactly the target and no entry is empty.
Status check_program(const std::vector<ControlEntry>& entries, std::uint64_t source_size, std::uint64_t target_size) {
  std::uint64_t source_position = 0, target_position = 0;
  for (const ControlEntry& e : entries) {
    const std::int64_t step = e.seek;
    if ((step < 0 && static_cast<std::uint64_t>(-(step + 1)) >= source_position) ||
        (step > 0 && static_cast<std::uint64_t>(step) > source_size - source_position)) {
      return corrupt("seek outside the source");
    }
    source_position += static_cast<std::uint64_t>(step);
    const std::uint64_t left = target_size - target_position;
    if (e.copy > left || e.literal > left - e.copy || std::uint64_t{e.copy} + e.literal == 0)
      return corrupt("control entry out of range");
    if (e.copy > source_size - source_position) return corrupt("copy beyond the end of the source");
    source_position += e.copy;
    target_position += std::uint64_t{e.copy} + e.literal;
  }
  if (target_position != target_size) return corrupt("control program does not make the whole target");
  return {};
}

// Reads one control field (a copy or literal length) that may not exceed
// the target.
Expected<std::uint32_t> read_length(StreamReader& streams, std::uint64_t target_size) {
  auto value = streams.varint(kControlStream);
  if (!value) return value.error();
  if (*value > target_size) return corrupt("control entry out of range");
  return static_cast<std::uint32_t>(*value);
}

// Reads the version 3 control program (formats/native-delta.md, "Control
// entries"): the changes of diagonal, then the copies, then the literals;
// the entries come back with seeks, as version 2 has them.
Expected<std::vector<ControlEntry>> read_planar_control(StreamReader& streams, std::uint64_t count,
                                                        std::uint64_t target_size) {
  std::vector<ControlEntry> entries(static_cast<std::size_t>(count));
  // The changes of diagonal wait in `seek` until the copies are known.
  for (ControlEntry& e : entries) {
    auto change = streams.varint(kControlStream);
    if (!change) return change.error();
    e.seek = unzigzag(*change);
    if (e.seek <= -kMaxDiagonal || e.seek >= kMaxDiagonal) return corrupt("diagonal change out of range");
  }
  for (std::uint32_t ControlEntry::*field : {&ControlEntry::copy, &ControlEntry::literal}) {
    for (ControlEntry& e : entries) {
      auto value = read_length(streams, target_size);
      if (!value) return value.error();
      e.*field = *value;
    }
  }
  // Diagonals to seeks; a copy-less entry keeps the source position.
  std::int64_t diagonal = 0, source_position = 0, target_position = 0;
  for (ControlEntry& e : entries) {
    diagonal += e.seek;
    if (diagonal <= -kMaxDiagonal || diagonal >= kMaxDiagonal) return corrupt("diagonal out of range");
    e.seek = 0;
    if (e.copy > 0) {
      const std::int64_t start = target_position + diagonal;
      e.seek = start - source_position;
      source_position = start + e.copy;
    }
    target_position += std::int64_t{e.copy} + e.literal;
  }
  return entries;
}

// Reads the version 2 control program: entry by entry, seek, copy, literal.
Expected<std::vector<ControlEntry>> read_interleaved_control(StreamReader& streams, std::uint64_t count,
                                                             std::uint64_t target_size) {
  std::vector<ControlEntry> entries(static_cast<std::size_t>(count));
  for (ControlEntry& e : entries) {
    auto seek = streams.varint(kControlStream);
    if (!seek) return seek.error();
    e.seek = unzigzag(*seek);
    auto copy = read_length(streams, target_size);
    if (!copy) return copy.error();
    auto literal = read_length(streams, target_size);
    if (!literal) return literal.error();
    e.copy = *copy;
    e.literal = *literal;
  }
  return entries;
}

// The fields before the streams.
struct PayloadHeader {
  unsigned version = 5;
  std::uint64_t source_size = 0;
  std::uint64_t target_size = 0;
  Sha256 source_digest{};
  Layout layout;
  LiteralTransform literal_transform = LiteralTransform::none; // versions 4 on
  // The literal stream's largest dictionary (log2): from version 6 on it grows with the target.
  unsigned literal_window_log() const { return native::literal_window_log(target_size, version); }
  // The most control entries it may have: from version 6 on it grows with the target.
  std::uint64_t entry_limit() const { return version >= 6 ? max_control_entries(target_size) : kMaxControlEntries; }
  std::uint64_t entry_count = 0;
};

void put_regions(Bytes& out, const std::vector<RelativeRegion>& regions) {
  put_varint(out, regions.size());
  for (const RelativeRegion& r : regions) {
    put_varint(out, r.offset);
    put_varint(out, r.size);
    put_varint(out, r.mode);
    put_varint(out, r.source_base);
    put_varint(out, r.target_base);
  }
}

Expected<std::vector<RelativeRegion>> read_regions(BufferedInput& in, std::uint64_t source_size) {
  auto count = in.varint();
  if (!count) return count.error();
  if (*count == 0 || *count > kMaxRelativeRegions) return corrupt("bad number of relative regions");
  std::vector<RelativeRegion> regions;
  std::uint64_t end = 0;
  for (std::uint64_t i = 0; i < *count; ++i) {
    std::uint64_t fields[5];
    for (std::uint64_t& f : fields) {
      auto v = in.varint();
      if (!v) return v.error();
      f = *v;
    }
    RelativeRegion r;
    r.offset = fields[0];
    r.size = fields[1];
    if (fields[2] > RelativeRegion::kToSelf) return corrupt("unknown relative region mode");
    r.mode = static_cast<RelativeRegion::Mode>(fields[2]);
    r.source_base = fields[3];
    r.target_base = fields[4];
    if (r.size == 0 || r.offset < end || r.offset > source_size || r.size > source_size - r.offset)
      return corrupt("relative regions out of order or outside the source");
    end = r.offset + r.size;
    regions.push_back(r);
  }
  return regions;
}

// Reads and checks the header. With `source_size` given, another size is
// DeltaErrc::wrong_source; with `target_size` known, another is
// DeltaErrc::wrong_size (both before anything else is checked).
// The version of a plain payload with this magic (its first 4 bytes), or 0.
unsigned plain_version(const std::uint8_t* magic) {
  if (std::memcmp(magic, kMagicVersion2, 4) == 0) return 2;
  if (std::memcmp(magic, kMagicVersion3, 4) == 0) return 3;
  if (std::memcmp(magic, kMagicVersion4, 4) == 0) return 4;
  if (std::memcmp(magic, kMagic, 4) == 0) return 5;
  if (std::memcmp(magic, kMagicVersion6, 4) == 0) return 6;
  if (std::memcmp(magic, kMagicVersion7, 4) == 0) return 7;
  return 0;
}

// Why four magic bytes that name no version this applier reads are refused:
// a later version of a plain payload or of the deflate layer, or no native
// payload at all.
Error unread_magic(const std::uint8_t* magic) {
  const bool digit = magic[3] >= '0' && magic[3] <= '9';
  if (digit && std::memcmp(magic, "DFN", 3) == 0 && magic[3] > '7')
    return corrupt(std::string("a native payload of version ") + static_cast<char>(magic[3]) +
                   ", newer than this dfota reads (versions 2 to 7): a later dfota applies it");
  if (digit && std::memcmp(magic, "DFZ", 3) == 0 && magic[3] > '2')
    return corrupt(std::string("a native payload with a deflate layer of version ") + static_cast<char>(magic[3]) +
                   ", newer than this dfota reads (versions 1 and 2): a later dfota applies it");
  return corrupt("not a native payload (bad magic)");
}

Expected<PayloadHeader> read_header(BufferedInput& in, std::optional<std::uint64_t> source_size,
                                    std::uint64_t target_size) {
  std::uint8_t magic[4];
  if (auto ok = in.read(magic, 4); !ok) return ok.error();
  PayloadHeader header;
  header.version = plain_version(magic);
  if (header.version == 0) return unread_magic(magic);
  auto made_for = in.varint();
  if (!made_for) return made_for.error();
  header.source_size = *made_for;
  auto makes = in.varint();
  if (!makes) return makes.error();
  header.target_size = *makes;
  if (auto ok = check_stated_sizes(header.source_size, header.target_size, source_size, target_size); !ok)
    return ok.error();
  if (header.target_size > kMaxTargetSize || header.source_size > kMaxIndexedSource) {
    return make_error(DeltaErrc::limit_exceeded, "native payload: image larger than the format allows");
  }
  if (auto ok = in.read(header.source_digest.data(), header.source_digest.size()); !ok) return ok.error();
  auto kinds = in.varint();
  if (!kinds) return kinds.error();
  if ((*kinds & ~std::uint64_t{kAllReferenceKinds}) != 0) return corrupt("unknown reference kinds");
  header.layout.kinds = static_cast<KindSet>(*kinds);
  if (header.version >= 4) {
    auto transform = in.varint();
    if (!transform) return transform.error();
    // Transform 3 (x86-64 references) came with version 7.
    const auto last =
        header.version >= 7 ? kLastLiteralTransform : static_cast<std::uint64_t>(LiteralTransform::a32_calls);
    if (*transform > last) return corrupt("unknown literal transform");
    header.literal_transform = static_cast<LiteralTransform>(*transform);
  }
  auto source_space = read_segments(in, header.source_size, header.version >= 5);
  if (!source_space) return source_space.error();
  auto target_space = read_segments(in, header.target_size, header.version >= 5);
  if (!target_space) return target_space.error();
  header.layout.source = std::move(*source_space);
  header.layout.target = std::move(*target_space);
  header.layout.code_by_segment = header.version >= 5;
  if (header.layout.kinds & kRelativeWords) {
    auto regions = read_regions(in, header.source_size);
    if (!regions) return regions.error();
    header.layout.regions = std::move(*regions);
  }
  auto entry_count = in.varint();
  if (!entry_count) return entry_count.error();
  if (*entry_count > header.entry_limit())
    return make_error(DeltaErrc::limit_exceeded, "native payload: too many entries");
  header.entry_count = *entry_count;
  return header;
}

// The whole control program of the payload whose header is `header`, in
// either layout, checked against both image sizes.
Expected<std::vector<ControlEntry>> read_control(StreamReader& streams, const PayloadHeader& header) {
  auto entries = header.version == 2 ? read_interleaved_control(streams, header.entry_count, header.target_size)
                                     : read_planar_control(streams, header.entry_count, header.target_size);
  if (!entries) return entries;
  if (auto ok = check_program(*entries, header.source_size, header.target_size); !ok) return ok.error();
  if (auto ok = streams.close(kControlStream); !ok) return ok.error();
  return entries;
}

std::uint64_t copied_bytes(const std::vector<ControlEntry>& entries) {
  std::uint64_t total = 0;
  for (const ControlEntry& e : entries)
    total += e.copy;
  return total;
}

// A payload made but for its LZMA2 coding: its header, its streams as they
// are, what the decoder asks of each stream when, and how the literals
// pack.
struct PreparedPayload {
  Bytes header;
  std::array<Bytes, kStreamCount> streams;
  std::vector<Demand> demands;
  LiteralPacking packing;
};

// The payload of the program `entries` (with `moved`, its
// moved_addresses_for()) under `layout`, its literals through `transform`
// where that packs them smaller; emit_payload() codes and writes it.
PreparedPayload prepare_payload(const Layout& layout, const MovedAddresses& moved, ByteSpan source, ByteSpan target,
                                const std::vector<ControlEntry>& entries, LiteralTransform transform,
                                const Sha256& source_digest) {
  DifferenceStreams difference = difference_streams(layout, moved, source, target, entries);

  std::array<Bytes, kStreamCount> streams;
  put_control(streams[kControlStream], placed_entries(entries));
  std::vector<Demand> demands;
  demands.push_back({kControlStream, streams[kControlStream].size()}); // a decoder reads it whole, first
  // The literal stream, and beside it the same through `transform`.
  Bytes transformed_literals;
  std::size_t entry = 0, inner = 0;
  (void)for_each_placed(entries, [&](const PlacedEntry& placed) -> Status {
    const std::uint64_t literal_start = placed.target_start + placed.entry.copy;
    const auto run = target.subspan(literal_start, placed.entry.literal);
    streams[kLiteralStream].insert(streams[kLiteralStream].end(), run.begin(), run.end());
    if (transform != LiteralTransform::none) {
      transformed_literals.insert(transformed_literals.end(), run.begin(), run.end());
      encode_literal_run(transform, transformed_literals.data() + transformed_literals.size() - run.size(), run.size(),
                         literal_start);
    }
    for (; inner < difference.inner_marks.size() && difference.inner_marks[inner].entry == entry; ++inner) {
      const DifferenceWriter::Position at = difference.writer.position(difference.inner_marks[inner].mark);
      demands.push_back({kRunsStream, at.runs_end});
      demands.push_back({kChangesStream, at.changes_end});
    }
    const DifferenceWriter::Position at = difference.writer.position(difference.copy_ends[entry++]);
    demands.push_back({kRunsStream, at.runs_end});
    demands.push_back({kChangesStream, at.changes_end});
    demands.push_back({kLiteralStream, streams[kLiteralStream].size()});
    return {};
  });
  streams[kRunsStream] = std::move(difference.writer.runs());
  streams[kChangesStream] = std::move(difference.writer.changes());
  difference = {}; // its marks are in `demands` now: released before the encoders start

  // The transformed literals where they differ and the quick guess says
  // they pack smaller.
  const bool transformed = transform != LiteralTransform::none && transformed_literals != streams[kLiteralStream] &&
                           packs_smaller(transformed_literals, streams[kLiteralStream]);
  if (transformed) streams[kLiteralStream] = std::move(transformed_literals);
  Bytes().swap(transformed_literals); // the one not taken, released likewise

  const LiteralTransform stored_transform = transformed ? transform : LiteralTransform::none;
  const unsigned version =
      target.size() > kLargeTarget || stored_transform == LiteralTransform::x86_64_references ? 7 : 5;
  const char* magic = version == 7 ? kMagicVersion7 : kMagic;
  Bytes header(magic, magic + 4);
  put_varint(header, source.size());
  put_varint(header, target.size());
  header.insert(header.end(), source_digest.begin(), source_digest.end());
  put_varint(header, layout.kinds);
  put_varint(header, static_cast<std::uint64_t>(stored_transform));
  put_segments(header, layout.source);
  put_segments(header, layout.target);
  if (layout.kinds & kRelativeWords) put_regions(header, layout.regions);
  put_varint(header, entries.size());
  // x86-64 literals pack smaller with a fourth bit of literal context (on
  // the rspack pair 0.3 %; ARM code gains nothing). A large target's payload
  // is the only one being coded (diff_images()): its literals, mostly the
  // longest coding, are coded in two parts at once.
  const LiteralPacking packing{literal_window_log(target.size(), version),
                               stored_transform == LiteralTransform::x86_64_references ? 4u : 3u,
                               target.size() > kLargeTarget ? kTwoPartLiteralFrom : UINT64_MAX};
  return {std::move(header), std::move(streams), std::move(demands), packing};
}

Status emit_payload(const PreparedPayload& prepared, Writer& payload) {
  if (auto ok = payload.write(prepared.header); !ok) return ok;
  return write_streams(prepared.streams, prepared.demands, payload, prepared.packing);
}

// The payload with its streams packed quickly (quickly_packed_streams()):
// a ranking of two payloads of the same images that agrees with their full
// coding where they differ by more than a few tenths of a percent.
std::uint64_t quickly_packed_payload(const PreparedPayload& prepared) {
  return prepared.header.size() + quickly_packed_streams(prepared.streams);
}

// A control program, the layout it is predicted under and its offset map.
struct Program {
  Layout layout;
  std::vector<ControlEntry> entries;
  MovedAddresses moved;      // moved_addresses_for() the detected layout and `entries`
  std::uint64_t changed = 0; // bytes of its copies that differ from their prediction
};

// The matcher's program `entries` under the set of kinds of `detected` that
// makes the most bytes agree (none where none helps), realigned when that
// makes fewer differ. `chosen`: the set a program of the same images chose
// (another growth rule's), taken without trying the others.
Program predicted_program(std::vector<ControlEntry> entries, const Layout& detected, ByteSpan source, ByteSpan target,
                          std::optional<KindSet> chosen = std::nullopt) {
  if (detected.kinds == 0) return Program{detected, std::move(entries), MovedAddresses{}, 0};
  // One table serves every trial: the sets of kinds share the segments.
  MovedAddresses moved = moved_addresses_for(detected, entries);
  KindSet best = chosen.value_or(0);
  Layout first_trial = detected;
  first_trial.kinds = best;
  std::uint64_t fewest = changed_bytes(best != 0 ? first_trial : Layout{}, moved, source, target, entries);
  for (const KindSet kinds : {detected.kinds, detected.alternative_kinds}) {
    if (kinds == 0 || chosen) continue;
    Layout trial = detected;
    trial.kinds = kinds;
    if (const std::uint64_t changed = changed_bytes(trial, moved, source, target, entries); changed < fewest) {
      best = kinds;
      fewest = changed;
    }
  }
  Program program{best != 0 ? detected : Layout{}, std::move(entries), std::move(moved), fewest};
  program.layout.kinds = best;
  if (best == 0) return program;
  if (auto realigned = realign(program.entries, program.layout, program.moved, source, target)) {
    MovedAddresses realigned_moved = moved_addresses_for(detected, *realigned);
    if (const std::uint64_t changed = changed_bytes(program.layout, realigned_moved, source, target, *realigned);
        changed < program.changed) {
      program.entries = std::move(*realigned);
      program.moved = std::move(realigned_moved);
      program.changed = changed;
    }
  }
  return program;
}

// `program` with its copies extended (extend_copies()), when the rough cost
// says that pays; nullopt otherwise. Extending trades literal bytes and
// entries for changed bytes. A PLT is predicted only once the copies follow
// it, so where `program` kept no kinds, the sets of `detected` with PLT
// entries get their chance.
std::optional<Program> extended_program(const Program& program, const Layout& detected, ByteSpan source,
                                        ByteSpan target) {
  std::optional<Program> extended;
  std::uint64_t cheapest = rough_cost(program.changed, program.entries);
  const KindSet kept = program.layout.kinds;
  for (const KindSet kinds : {detected.kinds, detected.alternative_kinds}) {
    if (kinds == 0 || (kept != 0 ? kinds != kept : (kinds & kArmPltEntry) == 0)) continue;
    Layout extending = detected;
    extending.kinds = kinds;
    if (auto longer = extend_copies(program.entries, extending, program.moved, source, target)) {
      MovedAddresses longer_moved = moved_addresses_for(detected, *longer);
      const std::uint64_t changed = changed_bytes(extending, longer_moved, source, target, *longer);
      if (const std::uint64_t cost = rough_cost(changed, *longer); cost < cheapest) {
        cheapest = cost;
        extended = Program{extending, std::move(*longer), std::move(longer_moved), changed};
      }
    }
  }
  return extended;
}

// `program` with the copies `by_symbol` (plt_copies_by_symbol()) laid over
// it, when the rough cost says that pays; nullopt otherwise. Realignment and
// extension judge a PLT by its own bytes, which line up better unshifted;
// this judges it by what it does to the calls of the whole image. A program
// that kept no reference kinds (none helped while the PLT was unshifted)
// gets those of `detected`.
std::optional<Program> symbol_aligned(const Program& program, const std::vector<CopyBlock>& by_symbol,
                                      const Layout& detected, ByteSpan source, ByteSpan target) {
  if (by_symbol.empty() || detected.kinds == 0) return std::nullopt;
  auto entries = overlay_copies(program.entries, by_symbol);
  if (!entries) return std::nullopt;
  Layout layout = program.layout.kinds != 0 ? program.layout : detected;
  MovedAddresses moved = moved_addresses_for(detected, *entries);
  const std::uint64_t changed = changed_bytes(layout, moved, source, target, *entries);
  if (rough_cost(changed, *entries) >= rough_cost(program.changed, program.entries)) return std::nullopt;
  return Program{std::move(layout), std::move(*entries), std::move(moved), changed};
}

// A program and the quick estimate of its payload (estimate.hpp).
struct Candidate {
  Program program;
  std::uint64_t estimate = 0;
};

// The growth rules whose programs are weighed, the first also guessing a raw
// image's load address: on the benchmark pairs each is the best for some
// (heavy-change pairs take strict growth, pairs whose changes are mostly
// moved references loose growth).
constexpr std::array<Growth, 3> kGrowths{kEvenGrowth, kLooseGrowth, kStrictGrowth};

// The shares of diff()'s work, as measured on x86-64 firmware: matching (the
// suffix sort and the scan) to kMatchedAt, making and weighing the programs
// to kPredictedAt, then writing the payload (difference streams and LZMA2).
constexpr double kMatchedAt = 0.45;
constexpr double kPredictedAt = 0.65;

} // namespace

Status native::diff_images(ByteSpan source, ByteSpan target, Writer& payload, const DiffProgress& progress) {
  auto tell = [&progress](double fraction) {
    if (progress) progress(fraction);
  };
  Anchors anchors;
  {
    DiffProgress matching;
    if (progress) matching = [&progress](double share) { progress(kMatchedAt * share); };
    auto found = find_anchors(source, target, matching); // the index is freed before prediction starts
    if (!found) return found.error();
    anchors = std::move(*found);
  }
  Layout detected = detect_layout(source, target);
  const std::vector<CopyBlock> by_symbol = plt_copies_by_symbol(source, target);
  const LiteralTransform transform = literal_transform_for(detected.kinds | detected.alternative_kinds);

  // Each growth rule makes a program, extended or not, each weighed by its
  // estimate. The first rule's program chooses the kinds (a raw image's load
  // address is guessed from its copies first); then the other two rules'
  // programs and the candidates of all three are made at once, three jobs
  // on the machine's cores (each holds its program and offset maps, 20 MB on
  // a 50 MB target, far below the suffix array the matching held; the first
  // rule's extension alone took as long as the other two's at once).
  auto entries_of = [&](Growth growth) {
    return to_control(grow_blocks(source, target, anchors, growth), target.size());
  };
  // The candidates of one predicted program: itself and its extension, each
  // laid over the PLT copies by symbol where that pays.
  auto candidates_of = [&](Program program) {
    std::optional<Program> extended = extended_program(program, detected, source, target);
    if (!by_symbol.empty()) {
      if (auto aligned = symbol_aligned(program, by_symbol, detected, source, target)) program = std::move(*aligned);
      if (extended) {
        if (auto aligned = symbol_aligned(*extended, by_symbol, detected, source, target))
          extended = std::move(aligned);
      }
    }
    std::vector<Candidate> made;
    auto add = [&](Program p) {
      const std::uint64_t estimate = estimated_payload_size(p.layout, p.moved, source, target, p.entries, transform);
      made.push_back({std::move(p), estimate});
    };
    add(std::move(program));
    if (extended) add(std::move(*extended));
    return made;
  };
  std::vector<ControlEntry> first_entries = entries_of(kGrowths[0]);
  if (detected.raw_pointer_size != 0) {
    if (auto base = guess_load_address(source, target, offset_map_for(first_entries), detected.raw_pointer_size))
      load_at(detected, *base, detected.raw_pointer_size);
  }
  Program first_program = predicted_program(std::move(first_entries), detected, source, target);
  const KindSet chosen_kinds = first_program.layout.kinds;
  auto later_candidates = [&](Growth growth) {
    return candidates_of(predicted_program(entries_of(growth), detected, source, target, chosen_kinds));
  };
  std::vector<Candidate> kept;
  {
    auto second = std::async(std::launch::async, [&] { return later_candidates(kGrowths[1]); });
    auto third = std::async(std::launch::async, [&] { return later_candidates(kGrowths[2]); });
    kept = candidates_of(std::move(first_program));
    tell(kMatchedAt + (kPredictedAt - kMatchedAt) / 3);
    std::vector<Candidate> second_made = second.get();
    std::vector<Candidate> third_made = third.get();
    std::move(second_made.begin(), second_made.end(), std::back_inserter(kept));
    std::move(third_made.begin(), third_made.end(), std::back_inserter(kept));
  }
  // The two whose estimates are smallest are kept, smallest first.
  std::stable_sort(kept.begin(), kept.end(),
                   [](const Candidate& x, const Candidate& y) { return x.estimate < y.estimate; });
  if (kept.size() > 2) kept.resize(2);
  tell(kPredictedAt);
  anchors = {};

  const Sha256 source_digest = sha256(source);
  auto prepare = [&](const Program& p) {
    return prepare_payload(p.layout, p.moved, source, target, p.entries, transform, source_digest);
  };
  if (kept.size() == 1) return emit_payload(prepare(kept[0].program), payload);
  // The estimate is a quick guess: the two likeliest payloads are made and
  // the smaller one is kept. Up to kLargeTarget both are written in full,
  // at once. Beyond, where each holds about twice its target in streams and
  // LZMA2 state (a 16 MiB literal dictionary costs its encoder 190 MB) and
  // a full coding takes seconds, they are ranked by their streams packed
  // quickly, one after the other, and only the smaller is written in full.
  if (target.size() > kLargeTarget) {
    // The estimate's second first, so that its likelier first choice,
    // prepared last, is written without being prepared again.
    const std::uint64_t second_size = quickly_packed_payload(prepare(kept[1].program));
    PreparedPayload chosen = prepare(kept[0].program);
    if (quickly_packed_payload(chosen) > second_size) {
      chosen = {};
      kept[0] = {};
      chosen = prepare(kept[1].program);
    }
    kept = {};
    // Once prepared, a payload is coded from its streams alone: the
    // images' mapped pages are let go for the coding
    // (release_mapped_pages()), whose LZMA2 state is this stage's peak.
    release_mapped_pages(source);
    release_mapped_pages(target);
    return emit_payload(chosen, payload);
  }
  VectorWriter first, second;
  auto second_job = std::async(std::launch::async, [&] { return emit_payload(prepare(kept[1].program), second); });
  const Status first_done = emit_payload(prepare(kept[0].program), first);
  const Status second_done = second_job.get();
  if (!first_done) return first_done;
  if (!second_done) return second_done;
  return payload.write(second.bytes().size() < first.bytes().size() ? second.bytes() : first.bytes());
}

Status NativeEngine::diff(ByteSpan source, ByteSpan target, Writer& payload, const DiffProgress& progress) const {
  if (target.size() > kMaxTargetSize) {
    return make_error(DeltaErrc::encode_failed, "target larger than the native engine handles (4 GiB)");
  }
  return diff_with_streams(source, target, payload, progress);
}

namespace {

// A payload's first bytes, read to tell its layer, then the rest.
class ReplayedHead final : public Reader {
public:
  ReplayedHead(ByteSpan head, Reader& rest) : head_(head), rest_(rest) {}
  Expected<std::size_t> read(std::span<std::uint8_t> buffer) override {
    if (head_.empty()) return rest_.read(buffer);
    const std::size_t n = std::min(buffer.size(), head_.size());
    std::copy_n(head_.data(), n, buffer.data());
    head_ = head_.subspan(n);
    return n;
  }

private:
  ByteSpan head_;
  Reader& rest_;
};

// The deflate layer's version when `in` starts with its magic (then
// taken), else 0 and the magic bytes read wait in `head` for the plain
// decoder.
Expected<unsigned> starts_stream_layer(Reader& payload, std::array<std::uint8_t, 4>& head, std::size_t& held) {
  held = 0;
  while (held < head.size()) {
    auto got = payload.read(std::span<std::uint8_t>(head).subspan(held));
    if (!got) return got.error();
    if (*got == 0) break;
    held += *got;
  }
  return held == head.size() ? stream_layer_version(head.data()) : 0u;
}

} // namespace

Status NativeEngine::apply(ByteSpan source, Reader& payload, Writer& target, std::uint64_t target_size) const {
  std::array<std::uint8_t, 4> head{};
  std::size_t held = 0;
  auto layered = starts_stream_layer(payload, head, held);
  if (!layered) return layered.error();
  if (*layered) {
    BufferedInput rest(payload);
    return apply_stream_layer(*this, source, rest, *layered, target, target_size);
  }
  ReplayedHead replayed(ByteSpan(head).first(held), payload);
  return apply_plain(source, replayed, target, target_size);
}

Status NativeEngine::apply_plain(ByteSpan source, Reader& payload, Writer& target, std::uint64_t target_size) const {
  BufferedInput in(payload);
  auto header = read_header(in, source.size(), target_size);
  if (!header) return header.error();
  const Layout& layout = header->layout;

  // The streams decode on their own thread, and the control program is read
  // and the prediction lane started, while the source is checked: a wrong
  // source is reported before any fault of the streams, and before a byte
  // is written.
  StreamReader streams(in, header->literal_window_log());
  const Status started = streams.start();
  auto entries = started ? read_control(streams, *header) : Expected<std::vector<ControlEntry>>(started.error());
  const std::vector<ControlEntry> no_entries;
  const std::vector<ControlEntry>& program = entries ? *entries : no_entries;
  const MovedAddresses moved = layout.kinds != 0 && entries ? moved_addresses_for(layout, program) : MovedAddresses{};
  const std::uint64_t copied = copied_bytes(program);
  // With references to predict and a second core, every other group of
  // copies is predicted ahead on a thread of its own.
  PredictionLane lane(layout, moved, source, program);
  const bool two_lanes = layout.kinds != 0 && copied >= kMinLaneCopy && usable_cores() > 1 && lane.start().has_value();
  if (sha256(source) != header->source_digest) {
    return make_error(DeltaErrc::wrong_source, "the source is not the one the payload was made for (SHA-256 differs)");
  }
  if (!started) return started;
  if (!entries) return entries.error();

  DifferenceReader difference(streams, copied);
  // Predicted bytes of a copy made final: the difference added, then written.
  auto add_and_write = [&](std::uint8_t* predicted, std::size_t n) -> Status {
    if (auto ok = difference.add_to(predicted, n); !ok) return ok;
    return target.write({predicted, n});
  };
  LaneGroups groups;
  Bytes buffer(kChunk);
  auto produced = for_each_placed(*entries, [&](const PlacedEntry& placed) -> Status {
    const ControlEntry& e = placed.entry;
    if (two_lanes && groups.next_is_ahead(e)) {
      for (std::uint64_t done = 0; done < e.copy;) {
        const auto [predicted, n] = lane.take(e.copy - done);
        if (n == 0)
          return make_error(DeltaErrc::limit_exceeded, "native payload: the prediction thread ran out of memory");
        if (auto ok = add_and_write(predicted, n); !ok) return ok;
        lane.release(n);
        done += n;
      }
    } else {
      BlockPrediction prediction(layout, moved, source, placed.source_start, placed.target_start, e.copy);
      for (std::uint64_t done = 0; done < e.copy;) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, e.copy - done));
        prediction.fill(buffer.data(), n);
        if (auto ok = add_and_write(buffer.data(), n); !ok) return ok;
        done += n;
      }
    }
    // A call the transform rewrote may be cut by the end of a chunk: its
    // bytes (at most 6) wait at the front of the buffer for the next ones.
    LiteralCoder literals(header->literal_transform, LiteralCoder::decode, placed.target_start + e.copy, e.literal);
    std::size_t waiting = 0;
    for (std::uint64_t done = 0; done < e.literal;) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk - waiting, e.literal - done));
      if (auto ok = streams.read(kLiteralStream, buffer.data() + waiting, n); !ok) return ok;
      done += n;
      const std::size_t held = waiting + n;
      const std::size_t final_bytes = literals.code(buffer.data(), held);
      if (auto ok = target.write({buffer.data(), final_bytes}); !ok) return ok;
      waiting = held - final_bytes;
      std::memmove(buffer.data(), buffer.data() + final_bytes, waiting);
    }
    return {};
  });
  if (!produced) return produced;
  if (auto ok = difference.finish(); !ok) return ok;
  return streams.finish();
}

std::uint64_t NativeEngine::apply_memory_of(ByteSpan payload, std::uint64_t source_size,
                                            std::uint64_t target_size) const {
  const unsigned version = payload.size() < 4 ? 0 : stream_layer_version(payload.data());
  if (version == 0) return apply_memory(source_size, target_size);
  SpanReader reader(payload.subspan(4));
  BufferedInput in(reader);
  auto header = read_stream_layer_header(in, version, std::nullopt, kUnknownSize);
  if (!header) return apply_memory(source_size, target_size);
  return apply_memory(header->expanded_source_size, header->expanded_target_size) + header->expanded_source_size +
         stream_layer_memory(header->source_streams.size());
}

Expected<std::vector<PayloadFact>> NativeEngine::describe_payload(Reader& payload) const {
  std::array<std::uint8_t, 4> head{};
  std::size_t held = 0;
  auto layered = starts_stream_layer(payload, head, held);
  if (!layered) return layered.error();
  std::vector<PayloadFact> facts;
  const auto describe_plain = [&facts](BufferedInput& in) -> Status {
    auto header = read_header(in, std::nullopt, kUnknownSize);
    if (!header) return header.error();
    facts.push_back({"plain payload", "DFN" + std::to_string(header->version) + ", " +
                                          std::to_string(header->entry_count) + " control entries"});
    return {};
  };
  if (*layered == 0) {
    ReplayedHead replayed(ByteSpan(head).first(held), payload);
    BufferedInput in(replayed);
    if (auto ok = describe_plain(in); !ok) return ok.error();
    return facts;
  }
  BufferedInput in(payload);
  auto header = read_stream_layer_header(in, *layered, std::nullopt, kUnknownSize);
  if (!header) return header.error();
  const auto zlib_made =
      static_cast<std::size_t>(std::count_if(header->source_streams.begin(), header->source_streams.end(),
                                             [](const deflate::StreamPlace& place) { return place.zlib_level != 0; }));
  facts.push_back({"deflate layer", "DFZ" + std::to_string(*layered)});
  facts.push_back({"source streams", std::to_string(header->source_streams.size()) + " (" + std::to_string(zlib_made) +
                                         " made again by zlib, " +
                                         std::to_string(header->source_streams.size() - zlib_made) +
                                         " with their parse recorded), " +
                                         std::to_string(header->expanded_source_size) + " bytes expanded"});
  facts.push_back({"target streams", std::to_string(header->target_streams.size()) + ", " +
                                         std::to_string(header->expanded_target_size) + " bytes expanded"});
  if (auto ok = describe_plain(in); !ok) return ok.error();
  return facts;
}

Status NativeEngine::check_stated_size(ByteSpan head, std::uint64_t target_size) const {
  // Both layers start with magic, source size and target size.
  if (head.size() < 4) return {};
  if (stream_layer_version(head.data()) == 0 && plain_version(head.data()) == 0) return unread_magic(head.data());
  std::size_t at = 4;
  std::uint64_t sizes[2] = {0, 0};
  for (std::uint64_t& size : sizes) {
    auto value = read_varint([&]() -> Expected<std::uint8_t> {
      if (at >= head.size()) return make_error(DeltaErrc::corrupt_payload, "short");
      return head[at++];
    });
    if (!value) return {}; // the head ends first: nothing more to tell
    size = *value;
  }
  return check_stated_sizes(sizes[0], sizes[1], std::nullopt, target_size);
}

std::uint64_t NativeEngine::apply_memory(std::uint64_t, std::uint64_t target_size) const {
  // Per stream an LZMA2 decoder, the decoded read-ahead, the piece being
  // read and the one being decoded; the literal lane's waiting packed pieces
  // (kMaxQueuedBytes and one more) and the one it decodes; the control
  // program; the offset map while the moved-address table is made from it
  // (two tables of entries and their page indexes at once; making the offset
  // map holds its candidates and the kept entries, no more); the Thumb
  // literal words ahead; the input buffer, one compressed piece and the
  // chunk buffer; the prediction lane's ring.
  auto decoder_memory = [](unsigned window_log) -> std::uint64_t {
    lzma_options_lzma options{};
    options.dict_size = std::uint32_t{1} << window_log;
    const lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &options}, {LZMA_VLI_UNKNOWN, nullptr}};
    return lzma_raw_decoder_memusage(filters);
  };
  constexpr std::uint64_t kMaxPackedPiece = 2 * kMaxPieceSize + 1024;
  const std::uint64_t per_stream = decoder_memory(kMaxWindowLog) + kMaxQueuedBytes + 2 * kMaxPieceSize;
  // A large target's literal stream may have a larger dictionary (version 7,
  // which the encoder writes for those; version 6's is at most as large).
  const std::uint64_t literal_window =
      decoder_memory(literal_window_log(target_size, 7)) - decoder_memory(kMaxWindowLog);
  const std::uint64_t lane = kMaxQueuedBytes + 2 * kMaxPackedPiece;
  constexpr std::uint64_t kMaxPageIndex = ((std::uint64_t{1} << 16) + 2) * sizeof(std::uint32_t);
  const std::uint64_t entries = max_control_entries(target_size);
  const std::uint64_t program = entries * sizeof(ControlEntry);
  const std::uint64_t maps = (2 * entries + kMaxComposedExtra) * sizeof(MapEntry) + 2 * kMaxPageIndex;
  const std::uint64_t literals = 2 * kMaxThumbLiterals * 16; // a vector's growth at most doubles
  return kStreamCount * per_stream + literal_window + lane + program + maps + literals + (64u << 10) + kMaxPackedPiece +
         kChunk + kLaneBytes;
}

namespace {

// The map of a plain payload; `to_image` (may be null) places its target
// ranges, which are then those of the expanded target, on the image's map.
Expected<ChangeMap> plain_change_map(Reader& payload, std::uint64_t target_size, std::size_t cells,
                                     const ExpandedToImage* to_image, std::uint64_t image_size) {
  BufferedInput in(payload);
  auto header = read_header(in, std::nullopt, target_size);
  if (!header) return header.error();
  StreamReader streams(in, header->literal_window_log());
  if (auto ok = streams.start(); !ok) return ok.error();
  auto entries = read_control(streams, *header);
  if (!entries) return entries.error();
  ChangeMap map = ChangeMap::of_size(to_image ? image_size : header->target_size, cells);
  auto count = [&](std::uint64_t at, std::uint64_t length, ByteOrigin origin) {
    if (to_image)
      to_image->count(map, at, length, origin);
    else
      map.count(at, length, origin);
  };
  DifferenceReader difference(streams, copied_bytes(*entries));
  auto walked = for_each_placed(*entries, [&](const PlacedEntry& placed) -> Status {
    const ControlEntry& e = placed.entry;
    const ByteOrigin same = placed.source_start == placed.target_start ? ByteOrigin::kept : ByteOrigin::moved;
    std::uint64_t at = placed.target_start;
    auto walked_copy = difference.walk(e.copy, [&](bool changed, std::size_t length) {
      count(at, length, changed ? ByteOrigin::changed : same);
      at += length;
    });
    if (!walked_copy) return walked_copy;
    if (auto ok = streams.skip(kLiteralStream, e.literal); !ok) return ok;
    count(placed.target_start + e.copy, e.literal, ByteOrigin::added);
    return {};
  });
  if (!walked) return walked.error();
  if (auto ok = difference.finish(); !ok) return ok.error();
  if (auto ok = streams.finish(); !ok) return ok.error();
  return map;
}

} // namespace

Expected<ChangeMap> native_change_map(Reader& payload, std::uint64_t target_size, std::size_t cells) {
  std::array<std::uint8_t, 4> head{};
  std::size_t held = 0;
  auto layered = starts_stream_layer(payload, head, held);
  if (!layered) return layered.error();
  if (!*layered) {
    ReplayedHead replayed(ByteSpan(head).first(held), payload);
    return plain_change_map(replayed, target_size, cells, nullptr, 0);
  }
  BufferedInput in(payload);
  auto header = read_stream_layer_header(in, *layered, std::nullopt, target_size);
  if (!header) return header.error();
  const ExpandedToImage to_image(*header);
  BufferedRest rest(in);
  return plain_change_map(rest, header->expanded_target_size, cells, &to_image, header->target_size);
}

} // namespace dfota::delta
