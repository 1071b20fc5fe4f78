// The difference of the copies (target byte - predicted byte, over all copies
// in program order) kept as runs: the runs stream holds one varint pair
// (unchanged count, changed count) per run, the changes stream the changed
// (non-zero) bytes. Most copied bytes are unchanged, so the coder sees a tenth
// of the bytes it would see in one difference stream, and an applier skips
// unchanged bytes instead of adding zeros (formats/native-delta.md,
// "Difference").
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "delta/native/references.hpp"
#include "delta/native/streams.hpp"

namespace dfota::delta::native {

// Builds the runs and changes streams from the difference bytes, appended in
// order.
class DifferenceWriter {
public:
  void append(const std::uint8_t* difference, std::size_t count);
  // Ends the last run; call after the last append.
  void finish();

  // Where the applier is in both streams once it has consumed the first
  // `consumed` difference bytes; `consumed` must be a value of consumed()
  // seen between appends. Valid after finish().
  struct Position {
    std::uint64_t runs_end = 0;
    std::uint64_t changes_end = 0;
  };
  // A mark for the current point: pass it to position() after finish().
  struct Mark {
    std::size_t run = 0;
    std::uint64_t changes = 0;
    bool any = false;
  };
  Mark mark() const { return {run_ends_.size(), changes_.size(), consumed_ > 0}; }
  Position position(const Mark& mark) const;

  std::uint64_t consumed() const { return consumed_; }
  std::uint64_t changed() const { return changes_.size(); }
  Bytes& runs() { return runs_; }
  Bytes& changes() { return changes_; }

private:
  void end_run();
  Bytes runs_;
  Bytes changes_;
  std::vector<std::uint64_t> run_ends_; // runs_ size after each ended run
  std::uint64_t unchanged_ = 0;         // of the open run
  std::uint64_t changing_ = 0;          // of the open run
  std::uint64_t consumed_ = 0;
};

// Calls sink(const uint8_t*, size_t) with the difference (target byte −
// predicted byte) of target[target_start, +length) copied from
// source[source_start, +length) under `layout` and `moved`, a piece at a
// time through `chunk` (not empty). Both ranges must lie inside their
// images.
template <class Sink>
void predicted_difference(const Layout& layout, const MovedAddresses& moved, ByteSpan source, ByteSpan target,
                          std::uint64_t source_start, std::uint64_t target_start, std::uint64_t length, Bytes& chunk,
                          Sink&& sink) {
  BlockPrediction prediction(layout, moved, source, source_start, target_start, length);
  for (std::uint64_t done = 0; done < length;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), length - done));
    prediction.fill(chunk.data(), n);
    const std::uint8_t* t = target.data() + target_start + done;
    for (std::size_t i = 0; i < n; ++i)
      chunk[i] = static_cast<std::uint8_t>(t[i] - chunk[i]);
    sink(chunk.data(), n);
    done += n;
  }
}

// Counts non-zero difference bytes without keeping them (to compare
// predictions before writing the streams).
inline std::uint64_t count_changed(const std::uint8_t* difference, std::size_t count) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < count; ++i)
    n += difference[i] != 0;
  return n;
}

// Reads the runs and changes streams of a StreamReader. `total` is the
// number of difference bytes the payload's copies consume; a run that would
// reach past it is DeltaErrc::corrupt_payload. The reader never reads a run
// before a byte of it is needed. After a failure the object must not be used.
class DifferenceReader {
public:
  DifferenceReader(StreamReader& streams, std::uint64_t total) : streams_(streams), left_(total) {}

  // bytes[0, count) += the next `count` difference bytes (mod 256).
  Status add_to(std::uint8_t* bytes, std::size_t count);
  // Calls visit(changed, length) for the next `count` difference bytes in
  // runs of equal kind (changed bytes are read and dropped).
  template <class Visit> Status walk(std::size_t count, Visit&& visit);
  // Closes both streams: fails when they hold more than was consumed.
  Status finish();

private:
  Status next_run();
  StreamReader& streams_;
  std::uint64_t left_ = 0; // difference bytes not yet described by a run
  std::uint64_t unchanged_ = 0;
  std::uint64_t changing_ = 0;
};

template <class Visit> Status DifferenceReader::walk(std::size_t count, Visit&& visit) {
  while (count > 0) {
    if (unchanged_ == 0 && changing_ == 0) {
      if (auto ok = next_run(); !ok) return ok;
    }
    if (unchanged_ > 0) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(unchanged_, count));
      visit(false, n);
      unchanged_ -= n;
      count -= n;
      continue;
    }
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(changing_, count));
    if (auto ok = streams_.skip(kChangesStream, n); !ok) return ok;
    visit(true, n);
    changing_ -= n;
    count -= n;
  }
  return {};
}

} // namespace dfota::delta::native
