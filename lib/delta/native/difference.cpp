#include "delta/native/difference.hpp"

#include <algorithm>

#include "delta/engine.hpp"
#include "delta/native/varint.hpp"

namespace dfota::delta::native {

void DifferenceWriter::end_run() {
  put_varint(runs_, unchanged_);
  put_varint(runs_, changing_);
  run_ends_.push_back(runs_.size());
  unchanged_ = changing_ = 0;
}

void DifferenceWriter::append(const std::uint8_t* difference, std::size_t count) {
  consumed_ += count;
  for (std::size_t i = 0; i < count;) {
    if (difference[i] == 0) {
      if (changing_ > 0) end_run();
      const std::uint8_t* zero_end = std::find_if(difference + i, difference + count, [](std::uint8_t b) { return b; });
      unchanged_ += static_cast<std::uint64_t>(zero_end - (difference + i));
      i = static_cast<std::size_t>(zero_end - difference);
    } else {
      const std::uint8_t* change_end = std::find(difference + i, difference + count, std::uint8_t{0});
      changes_.insert(changes_.end(), difference + i, change_end);
      changing_ += static_cast<std::uint64_t>(change_end - (difference + i));
      i = static_cast<std::size_t>(change_end - difference);
    }
  }
}

void DifferenceWriter::finish() {
  if (unchanged_ + changing_ > 0) end_run();
}

DifferenceWriter::Position DifferenceWriter::position(const Mark& mark) const {
  if (!mark.any) return {};
  return {run_ends_.at(mark.run), mark.changes};
}

Status DifferenceReader::next_run() {
  auto unchanged = streams_.varint(kRunsStream);
  if (!unchanged) return unchanged.error();
  auto changing = streams_.varint(kRunsStream);
  if (!changing) return changing.error();
  if (*unchanged + *changing == 0 || *unchanged > left_ || *changing > left_ - *unchanged) {
    return make_error(DeltaErrc::corrupt_payload, "native payload has a difference run out of range");
  }
  left_ -= *unchanged + *changing;
  unchanged_ = *unchanged;
  changing_ = *changing;
  return {};
}

Status DifferenceReader::add_to(std::uint8_t* bytes, std::size_t count) {
  while (count > 0) {
    if (unchanged_ == 0 && changing_ == 0) {
      if (auto ok = next_run(); !ok) return ok;
    }
    if (unchanged_ > 0) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(unchanged_, count));
      unchanged_ -= n;
      bytes += n;
      count -= n;
      continue;
    }
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(changing_, count));
    if (auto ok = streams_.add_to(kChangesStream, bytes, n); !ok) return ok;
    changing_ -= n;
    bytes += n;
    count -= n;
  }
  return {};
}

Status DifferenceReader::finish() {
  if (unchanged_ + changing_ > 0 || left_ > 0) {
    return make_error(DeltaErrc::corrupt_payload, "native payload has difference runs that do not fit its copies");
  }
  if (auto ok = streams_.close(kRunsStream); !ok) return ok;
  return streams_.close(kChangesStream);
}

} // namespace dfota::delta::native
