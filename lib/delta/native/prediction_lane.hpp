// The apply side's second core: predictions of part of a control program's
// copies made on a thread of their own, ahead of the thread that adds the
// difference and writes the target. Prediction is most of an applier's work
// on an ELF pair, and each copy's prediction depends only on the source and
// the program, so the copies are dealt out to two lanes in groups
// (LaneGroups) and the target is still written strictly front to back.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "delta/native/control.hpp"
#include "delta/native/references.hpp"

namespace dfota::delta::native {

// Deals the entries of a program to the two lanes in turns: a run of whole
// entries of at least kCallerGroupCopy copied bytes to the caller's lane,
// then one of at least kLaneGroupCopy to the prediction lane, and so on.
// The caller also adds the difference and writes every byte, so the
// prediction lane gets the larger share. Walked once in program order by
// each side, so both agree on every entry.
inline constexpr std::uint64_t kCallerGroupCopy = 64u << 10;
inline constexpr std::uint64_t kLaneGroupCopy = 128u << 10;
class LaneGroups {
public:
  // True when the copy of `entry`, the next entry in program order, is the
  // prediction lane's.
  bool next_is_ahead(const ControlEntry& entry) {
    const bool ahead = ahead_;
    copied_ += entry.copy;
    if (copied_ >= (ahead_ ? kLaneGroupCopy : kCallerGroupCopy)) {
      copied_ = 0;
      ahead_ = !ahead_;
    }
    return ahead;
  }

private:
  bool ahead_ = false;
  std::uint64_t copied_ = 0;
};

// Programs that copy less than this are predicted on the caller's thread alone.
inline constexpr std::uint64_t kMinLaneCopy = kCallerGroupCopy + kLaneGroupCopy;
// Predicted bytes the lane may hold that the caller has not taken (its
// memory, beside the thread's stack).
inline constexpr std::size_t kLaneBytes = 512u << 10;
// The most the lane predicts before it hands the bytes over.
inline constexpr std::size_t kLanePiece = 32u << 10;

// Predicts the copies LaneGroups deals to it, in program order, as one
// stream of bytes through a ring of kLaneBytes. Keeps references to
// everything it is given: they must outlive it. The destructor stops the
// thread (within a piece) and joins it, so a caller that fails half-way
// just lets it go.
class PredictionLane {
public:
  PredictionLane(const Layout& layout, const MovedAddresses& moved, ByteSpan source,
                 const std::vector<ControlEntry>& entries);
  ~PredictionLane();
  PredictionLane(const PredictionLane&) = delete;
  PredictionLane& operator=(const PredictionLane&) = delete;

  // Starts the thread; an error when none can be had (nothing has changed:
  // the caller predicts everything itself).
  Status start();
  // The next predicted bytes of the lane's stream: at least one and at most
  // `wanted` (> 0) of them, contiguous, waiting until there are some; none
  // (count 0) when the thread failed (out of memory) before making them.
  // The caller may change them; they stay valid until release().
  std::pair<std::uint8_t*, std::size_t> take(std::size_t wanted);
  // Gives the first `count` bytes take() returned back to the lane.
  void release(std::size_t count);

private:
  void run();           // the thread: predict_ahead(), an exception noted in failed_
  void predict_ahead(); // the lane's copies into the ring, until done or stopped

  const Layout& layout_;
  const MovedAddresses& moved_;
  ByteSpan source_;
  const std::vector<ControlEntry>& entries_;
  Bytes ring_;
  std::mutex mutex_;
  std::condition_variable ready_; // bytes were predicted
  std::condition_variable room_;  // bytes were released, or stop_ was set
  // Stream positions: bytes predicted and bytes released so far (ring
  // offset = position % kLaneBytes; predicted_ - released_ <= kLaneBytes).
  std::uint64_t predicted_ = 0;
  std::uint64_t released_ = 0;
  bool stop_ = false;
  bool failed_ = false; // the thread ended on an exception
  std::thread thread_;
};

} // namespace dfota::delta::native
