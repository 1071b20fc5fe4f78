#include "sim/replay/replayer.hpp"

#include <algorithm>
#include <cctype>

#include "at/command_line.hpp"
#include "sim/errors.hpp"

namespace dfota::sim {

using transport::Duration;
using transport::TimePoint;

namespace {
constexpr Duration kSlice{100};            // how often waits check whether to stop
constexpr Duration kAfterLast{5000};       // after the last step, how long the host has to close the port
constexpr Duration kBeforeVanish{20};      // the last answer leaves before the port goes
constexpr Duration kBeforeClose{200};      // the host reads a last ERROR before the replay ends
constexpr std::size_t kMaxInput = 1 << 16; // bytes without an end of line kept at most

bool is_bare_at(std::string_view line) {
  return line.size() == 2 && std::toupper(static_cast<unsigned char>(line[0])) == 'A' &&
         std::toupper(static_cast<unsigned char>(line[1])) == 'T';
}
} // namespace

Expected<std::unique_ptr<Replayer>> Replayer::create(Recording recording, ReplayOptions options) {
  if (!(options.speed > 0)) return make_error(SimErrc::bad_option, "the replay speed must be above 0");
  if (options.link.empty()) return make_error(SimErrc::bad_option, "--link is required");
  transport::Clock& clock = options.clock ? *options.clock : transport::steady_clock();
  auto port = transport::PtyPort::create(options.link, clock);
  if (!port) return port.error();
  return std::unique_ptr<Replayer>(new Replayer(std::move(recording), std::move(options), std::move(*port)));
}

Replayer::Replayer(Recording recording, ReplayOptions options, std::unique_ptr<transport::PtyPort> port)
    : recording_(std::move(recording)), options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : transport::steady_clock()), port_(std::move(port)) {}

std::string Replayer::terminal() const { return port_ ? port_->terminal() : std::string(); }

void Replayer::log(at::Direction direction, std::string_view text) const {
  if (options_.log) options_.log(direction, text);
}

Duration Replayer::scaled(Duration recorded) const {
  return Duration(static_cast<Duration::rep>(static_cast<double>(recorded.count()) / options_.speed));
}

Error Replayer::diverged(const ReplayStep& step, const std::string& what) const {
  return make_error(SimErrc::replay_diverged, "line " + std::to_string(step.log_line) + " of the recording: " + what);
}

Status Replayer::run(const std::atomic<bool>& stop) {
  stop_ = &stop;
  auto finish = [&](Status status) {
    // The last answer (an ERROR to a command the recording does not have)
    // reaches the host before the port goes: closing drops unread bytes.
    if (!status && port_ && port_->host_attached()) clock_.sleep_for(kBeforeClose);
    port_.reset();
    return status;
  };
  log(at::Direction::event,
      "replaying " + std::to_string(recording_.steps.size()) + " steps recorded on " + recording_.port);
  if (!wait_for_host(TimePoint::max())) return finish({});
  last_step_ = clock_.now();
  for (const ReplayStep& step : recording_.steps) {
    if (stop.load()) return finish({});
    if (auto ok = play(step); !ok) {
      log(at::Direction::event, ok.error().message());
      return finish(ok);
    }
    ++played_;
    last_step_ = clock_.now();
  }
  log(at::Direction::event, "the recording is played to its end");
  // A host that goes on past the recording has left it; one that closes
  // the port (or waits) is done.
  const TimePoint until = clock_.deadline_in(kAfterLast);
  std::string line;
  while (!stop.load() && port_ && port_->host_attached() && clock_.now() < until) {
    while (take_line(line)) {
      log(at::Direction::to_module, line);
      if (is_bare_at(line)) {
        send("\r\nOK\r\n");
        continue;
      }
      send("\r\nERROR\r\n");
      ReplayStep end;
      end.log_line = recording_.steps.empty() ? 0 : recording_.steps.back().log_line;
      return finish(diverged(end, "the recording ends here; the host sent " + line));
    }
    (void)read_more(std::min(until, clock_.deadline_in(kSlice)));
  }
  return finish({});
}

Status Replayer::play(const ReplayStep& step) {
  using Kind = ReplayStep::Kind;
  switch (step.kind) {
  case Kind::expect_command: return expect_command(step);
  case Kind::expect_escape: return expect_escape(step);
  case Kind::receive_data: receive_data(step); return {};
  case Kind::send_line:
    sleep_until(last_step_ + scaled(step.after));
    log(at::Direction::from_module, step.text);
    send("\r\n" + step.text + "\r\n");
    return {};
  case Kind::send_bytes:
    sleep_until(last_step_ + scaled(step.after));
    log(at::Direction::from_module, "(" + std::to_string(step.text.size()) + " bytes of noise)");
    send(step.text);
    return {};
  case Kind::port_gone:
    sleep_until(last_step_ + std::max(kBeforeVanish, scaled(step.after)));
    log(at::Direction::event, "the port goes (" + step.text + ")");
    port_.reset();
    input_.clear();
    line_feed_may_follow_ = false;
    return {};
  case Kind::port_back: {
    sleep_until(last_step_ + scaled(step.after));
    auto port = transport::PtyPort::create(options_.link, clock_);
    if (!port) return port.error();
    port_ = std::move(*port);
    log(at::Direction::event, "the port is back at " + options_.link.string() + " -> " + port_->terminal());
    // The recording marks the moment the host had the port open again.
    if (!wait_for_host(clock_.deadline_in(scaled(step.after) + options_.patience)))
      return stop_->load() ? Status{} : diverged(step, "the host did not open the port again");
    return {};
  }
  }
  return {};
}

Status Replayer::expect_command(const ReplayStep& step) {
  const TimePoint deadline = last_step_ + scaled(step.after) + options_.patience;
  std::string line;
  for (;;) {
    while (take_line(line)) {
      log(at::Direction::to_module, line);
      if (command_matches(step.text, line)) return {};
      if (is_bare_at(line)) {
        log(at::Direction::from_module, "OK (a probe the recording does not have)");
        send("\r\nOK\r\n");
        continue;
      }
      send("\r\nERROR\r\n");
      return diverged(step, "the host sent " + line + " where the recording has " + step.text);
    }
    if (stop_->load()) return {};
    if (clock_.now() >= deadline)
      return diverged(step, "the host sent nothing in time where the recording has " + step.text);
    (void)read_more(std::min(deadline, clock_.deadline_in(kSlice)));
  }
}

Status Replayer::expect_escape(const ReplayStep& step) {
  const TimePoint deadline = last_step_ + scaled(step.after) + options_.patience;
  for (;;) {
    if (const auto at = input_.find("+++"); at != std::string::npos) {
      input_.erase(0, at + 3);
      log(at::Direction::to_module, "+++");
      return {};
    }
    if (stop_->load()) return {};
    if (clock_.now() >= deadline) return diverged(step, "the recording has +++, the host did not send it in time");
    (void)read_more(std::min(deadline, clock_.deadline_in(kSlice)));
  }
}

void Replayer::receive_data(const ReplayStep& step) {
  std::uint64_t received = 0;
  std::uint64_t acked = 0;
  TimePoint idle_until = clock_.deadline_in(options_.data_idle);
  while (received < step.size && !stop_->load()) {
    drop_line_feed();
    if (!input_.empty()) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(input_.size(), step.size - received));
      input_.erase(0, n);
      received += n;
      idle_until = clock_.deadline_in(options_.data_idle);
      for (; step.ack && received / 1024 > acked; ++acked)
        send("A");
      continue;
    }
    if (clock_.now() >= idle_until) break;
    (void)read_more(std::min(idle_until, clock_.deadline_in(kSlice)));
  }
  log(at::Direction::event, "data mode: " + std::to_string(received) + " of " + std::to_string(step.size) + " bytes");
}

void Replayer::send(std::string_view bytes) {
  // Lost, as on a USB port nobody reads, when no host has the port open.
  if (!port_ || !port_->host_attached() || bytes.empty()) return;
  (void)port_->write_all(as_bytes(bytes), clock_.deadline_in(Duration(2000)));
}

void Replayer::sleep_until(TimePoint until) {
  while (clock_.now() < until && !stop_->load())
    clock_.sleep_until(std::min(until, clock_.deadline_in(kSlice)));
}

bool Replayer::read_more(TimePoint deadline) {
  if (!port_ || !port_->host_attached()) {
    clock_.sleep_until(std::min(deadline, clock_.deadline_in(Duration(20))));
    return false;
  }
  std::uint8_t buffer[4096];
  auto n = port_->read_some(buffer, deadline);
  if (!n || *n == 0) return false;
  input_.append(reinterpret_cast<const char*>(buffer), *n);
  if (input_.size() > kMaxInput) input_.erase(0, input_.size() - kMaxInput);
  return true;
}

void Replayer::drop_line_feed() {
  if (!line_feed_may_follow_ || input_.empty()) return;
  if (input_.front() == '\n') input_.erase(0, 1);
  line_feed_may_follow_ = false;
}

bool Replayer::take_line(std::string& line) {
  for (;;) {
    drop_line_feed();
    const auto end = input_.find_first_of("\r\n");
    if (end == std::string::npos) return false;
    line = input_.substr(0, end);
    line_feed_may_follow_ = input_[end] == '\r';
    input_.erase(0, end + 1);
    // Bytes before "AT" (a stray +++, noise) are not part of the command.
    const std::size_t start = at::command_start(line);
    if (start == std::string::npos) continue;
    line.erase(0, start);
    return true;
  }
}

bool Replayer::wait_for_host(TimePoint deadline) {
  while (!(port_ && port_->host_attached())) {
    if (stop_->load() || clock_.now() >= deadline) return false;
    clock_.sleep_for(Duration(10));
  }
  clock_.sleep_for(Duration(20)); // the host flushes its input on open
  return true;
}

} // namespace dfota::sim
