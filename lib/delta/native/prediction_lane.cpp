#include "delta/native/prediction_lane.hpp"

#include <algorithm>
#include <exception>
#include <system_error>

#include "delta/engine.hpp"

namespace dfota::delta::native {

PredictionLane::PredictionLane(const Layout& layout, const MovedAddresses& moved, ByteSpan source,
                               const std::vector<ControlEntry>& entries)
    : layout_(layout), moved_(moved), source_(source), entries_(entries) {}

PredictionLane::~PredictionLane() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  room_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status PredictionLane::start() {
  try {
    ring_.resize(kLaneBytes);
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error&) {
    return make_error(DeltaErrc::limit_exceeded, "native payload: cannot start a prediction thread");
  }
  return {};
}

std::pair<std::uint8_t*, std::size_t> PredictionLane::take(std::size_t wanted) {
  std::unique_lock lock(mutex_);
  ready_.wait(lock, [this] { return predicted_ > released_ || failed_; });
  if (predicted_ == released_) return {nullptr, 0};
  const std::size_t at = static_cast<std::size_t>(released_ % kLaneBytes);
  const std::size_t count =
      static_cast<std::size_t>(std::min<std::uint64_t>({wanted, predicted_ - released_, kLaneBytes - at}));
  return {ring_.data() + at, count};
}

void PredictionLane::release(std::size_t count) {
  {
    std::lock_guard lock(mutex_);
    released_ += count;
  }
  room_.notify_one();
}

void PredictionLane::run() {
  try {
    predict_ahead();
  } catch (const std::exception&) { // a BlockPrediction's allocation
    {
      std::lock_guard lock(mutex_);
      failed_ = true;
    }
    ready_.notify_one();
  }
}

void PredictionLane::predict_ahead() {
  LaneGroups groups;
  std::uint64_t position = 0; // bytes this thread has predicted (predicted_ once published)
  auto walked = for_each_placed(entries_, [&](const PlacedEntry& placed) -> Status {
    if (!groups.next_is_ahead(placed.entry)) return {};
    const std::uint32_t copy = placed.entry.copy;
    BlockPrediction prediction(layout_, moved_, source_, placed.source_start, placed.target_start, copy);
    for (std::uint64_t done = 0; done < copy;) {
      std::size_t room = 0;
      {
        std::unique_lock lock(mutex_);
        room_.wait(lock, [&] { return stop_ || position - released_ < kLaneBytes; });
        if (stop_) return make_error(DeltaErrc::limit_exceeded, "native payload: prediction stopped");
        room = static_cast<std::size_t>(kLaneBytes - (position - released_));
      }
      const std::size_t at = static_cast<std::size_t>(position % kLaneBytes);
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>({copy - done, room, kLaneBytes - at, kLanePiece}));
      prediction.fill(ring_.data() + at, n);
      position += n;
      done += n;
      {
        std::lock_guard lock(mutex_);
        predicted_ = position;
      }
      ready_.notify_one();
    }
    return {};
  });
  (void)walked; // only a stop ends the walk early
}

} // namespace dfota::delta::native
