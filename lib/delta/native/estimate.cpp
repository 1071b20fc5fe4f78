#include "delta/native/estimate.hpp"

#include <algorithm>
#include <array>

#include "delta/native/difference.hpp"
#include "delta/native/streams.hpp"

namespace dfota::delta::native {

std::vector<std::pair<std::uint64_t, std::uint64_t>> estimate_windows(std::uint64_t target_size) {
  if (target_size <= kEstimateSample) return {{0, target_size}};
  constexpr std::uint64_t kWindow = kEstimateSample / kEstimateWindows;
  const std::uint64_t step = (target_size - kWindow) / (kEstimateWindows - 1);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> windows;
  for (std::uint64_t i = 0; i < kEstimateWindows; ++i)
    windows.emplace_back(i * step, i * step + kWindow);
  return windows;
}

std::uint64_t estimated_payload_size(const Layout& layout, const MovedAddresses& moved, ByteSpan source,
                                     ByteSpan target, const std::vector<ControlEntry>& entries,
                                     LiteralTransform transform) {
  const auto windows = estimate_windows(target.size());
  std::vector<PlacedEntry> sampled;
  DifferenceWriter difference;
  Bytes literals;
  Bytes chunk(64u << 10);
  std::size_t first_window = 0; // the first window that ends after the current entry starts
  (void)for_each_placed(entries, [&](const PlacedEntry& placed) -> Status {
    const std::uint64_t start = placed.target_start;
    const std::uint64_t copy_end = start + placed.entry.copy;
    const std::uint64_t end = copy_end + placed.entry.literal;
    while (first_window < windows.size() && windows[first_window].second <= start)
      ++first_window;
    bool reaches = false;
    for (std::size_t w = first_window; w < windows.size() && windows[w].first < end; ++w) {
      const auto [from, to] = windows[w];
      if (const std::uint64_t a = std::max(start, from), b = std::min(copy_end, to); a < b) {
        predicted_difference(layout, moved, source, target, placed.source_start + (a - start), a, b - a, chunk,
                             [&](const std::uint8_t* d, std::size_t n) { difference.append(d, n); });
        reaches = true;
      }
      if (const std::uint64_t a = std::max(copy_end, from), b = std::min(end, to); a < b) {
        literals.insert(literals.end(), target.begin() + static_cast<std::ptrdiff_t>(a),
                        target.begin() + static_cast<std::ptrdiff_t>(b));
        if (transform != LiteralTransform::none)
          encode_literal_run(transform, literals.data() + literals.size() - (b - a), b - a, a);
        reaches = true;
      }
    }
    if (reaches) sampled.push_back(placed);
    return {};
  });
  difference.finish();
  std::array<Bytes, kStreamCount> streams;
  put_control(streams[kControlStream], sampled);
  streams[kRunsStream] = std::move(difference.runs());
  streams[kChangesStream] = std::move(difference.changes());
  streams[kLiteralStream] = std::move(literals);
  return quickly_packed_streams(streams);
}

} // namespace dfota::delta::native
