#include "sim/data_mode.hpp"

#include <string>
#include <vector>

namespace dfota::sim {

using transport::Duration;
using transport::TimePoint;

DataResult receive_data(Module& module, Writer& out, const DataLimits& limits) {
  DataResult r;
  Link& link = module.link();
  transport::Clock& clock = module.clock();
  const Faults& faults = module.options().faults;
  const std::uint64_t size = limits.size;
  link.reset_data_mode();
  const Duration guard = module.options().guard_time;
  TimePoint last = clock.now();
  bool any = false;
  std::string held; // '+' characters that may be an escape
  TimePoint held_at{};
  std::uint64_t since_ack = 0;
  std::uint64_t to_lose = faults.lose_bytes;
  bool to_corrupt = faults.corrupt_upload;
  std::vector<std::uint8_t> buffer(16384);
  Bytes chunk;
  auto take = [&](std::uint8_t byte) {
    if (to_lose > 0 && r.received >= 100) { // line faults past the first bytes
      --to_lose;
      return;
    }
    if (to_corrupt && r.received >= 100) {
      byte ^= 0x5a;
      to_corrupt = false;
    }
    chunk.push_back(byte);
    ++r.received;
    if (!r.failed && module.power_loss_due(PowerLossPhase::upload, static_cast<int>(r.received * 100 / size))) {
      module.cut_power("after " + std::to_string(r.received) + " of " + std::to_string(size) + " bytes of the upload");
      r.failed = true;
    }
    if (limits.ack_every_kib && ++since_ack == 1024) {
      since_ack = 0;
      if (!out.write(chunk)) r.failed = true;
      chunk.clear();
      module.send_raw("A");
    }
  };
  while (r.received < size) {
    if (module.stopping()) {
      r.failed = true;
      break;
    }
    const TimePoint now = clock.now();
    if (held.size() == 3 && now - held_at >= guard) {
      r.escaped = true;
      break;
    }
    if (now - last >= (any ? limits.idle : limits.first_byte)) {
      r.timed_out = true;
      break;
    }
    const std::size_t room = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - r.received));
    auto n =
        link.receive(std::span(buffer).first(room), clock.deadline_in(Duration(50)), true, module.flow_control_on());
    if (!n) continue;
    const TimePoint arrived = clock.now();
    for (std::size_t i = 0; i < *n && r.received < size; ++i) {
      const std::uint8_t byte = buffer[i];
      if (byte == '+' && held.empty() && arrived - last >= guard) {
        held = "+";
        held_at = arrived;
      } else if (byte == '+' && !held.empty() && held.size() < 3 && arrived - held_at < guard) {
        held.push_back('+');
      } else {
        for (char h : held)
          take(static_cast<std::uint8_t>(h));
        held.clear();
        take(byte);
      }
    }
    if (*n > 0) {
      last = arrived;
      any = true;
    }
    if (!chunk.empty() && !module.power_lost()) {
      if (!out.write(chunk)) r.failed = true;
      chunk.clear();
    }
    if (r.failed) break;
  }
  if (!held.empty() && !r.escaped) {
    for (char h : held)
      take(static_cast<std::uint8_t>(h));
    if (!chunk.empty() && !out.write(chunk)) r.failed = true;
  }
  if (link.lost_bytes() > 0)
    module.log(at::Direction::event, std::to_string(link.lost_bytes()) + " bytes lost: no flow control");
  return r;
}

} // namespace dfota::sim
