#include "sim/link.hpp"

#include <algorithm>
#include <chrono>

namespace dfota::sim {

using transport::Duration;
using transport::TimePoint;

namespace {
TimePoint::duration seconds(double s) {
  return std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(s));
}
} // namespace

TimePoint Pacer::reserve(std::size_t n, TimePoint now) {
  if (!rate_) return now;
  const TimePoint start = std::max(now, free_at_);
  free_at_ = start + seconds(static_cast<double>(n) / *rate_);
  return start;
}

std::size_t OverflowModel::accept(std::size_t n, TimePoint now) {
  if (started_) {
    const double drained = std::chrono::duration<double>(now - last_).count() * rate_;
    level_ = std::max(0.0, level_ - drained);
  }
  started_ = true;
  last_ = now;
  const std::size_t room = static_cast<std::size_t>(std::max(0.0, capacity_ - level_));
  const std::size_t taken = std::min(n, room);
  level_ += static_cast<double>(taken);
  lost_ += n - taken;
  return taken;
}

Link::Link(transport::Clock& clock, LinkSettings settings)
    : clock_(clock), settings_(settings),
      out_(settings.baud ? std::optional<double>(*settings.baud / 10.0) : std::nullopt),
      in_(settings.baud ? std::optional<double>(*settings.baud / 10.0) : std::nullopt) {}

void Link::attach(std::unique_ptr<transport::ModulePort> port) { port_ = std::move(port); }

void Link::detach() { port_.reset(); }

void Link::send(std::string_view bytes) {
  if (!host_attached() || bytes.empty()) return;
  // Paced in small pieces so that a long answer takes the link's time.
  while (!bytes.empty()) {
    const std::size_t n = out_.limited() ? std::min<std::size_t>(bytes.size(), 64) : bytes.size();
    clock_.sleep_until(out_.reserve(n, clock_.now()));
    if (!port_->write_all(as_bytes(bytes.substr(0, n)), clock_.deadline_in(Duration(2000)))) return;
    bytes.remove_prefix(n);
  }
}

void Link::reset_data_mode() {
  // Loss happens only where the module takes less than the wire carries.
  const std::optional<double> wire = settings_.baud ? std::optional<double>(*settings_.baud / 10.0) : std::nullopt;
  if (settings_.unpaced_limit && (!wire || static_cast<double>(*settings_.unpaced_limit) < *wire))
    overflow_.emplace(static_cast<double>(*settings_.unpaced_limit), settings_.receive_buffer);
  else
    overflow_.reset();
}

Expected<std::size_t> Link::receive(std::span<std::uint8_t> buffer, TimePoint deadline, bool data_mode,
                                    bool flow_control) {
  if (!port_) return make_error(transport::TransportErrc::closed, "no port");
  if (!host_attached()) {
    clock_.sleep_until(std::min(deadline, clock_.deadline_in(Duration(20))));
    return make_error(transport::TransportErrc::closed, "no host has the port open");
  }
  Expected<std::size_t> got = std::size_t{0};
  if (data_mode && in_.limited()) {
    // The wire carries baud/10 bytes a second: take no more, the host's
    // writes wait in the terminal's buffer meanwhile.
    got = port_->read_some(buffer.first(std::min<std::size_t>(buffer.size(), 256)), deadline);
    if (got) clock_.sleep_until(in_.reserve(*got, clock_.now()));
  } else {
    got = port_->read_some(buffer, deadline);
  }
  if (!got || !data_mode || flow_control || !overflow_) return got;
  const std::size_t kept = overflow_->accept(*got, clock_.now());
  lost_ += *got - kept;
  return kept;
}

} // namespace dfota::sim
