#include "at/channel.hpp"

#include <algorithm>
#include <chrono>

#include "core/text.hpp"

namespace dfota::at {

using transport::TimePoint;

namespace {
const char* describe(AtErrc value) {
  switch (value) {
  case AtErrc::command_failed: return "command failed";
  case AtErrc::bad_answer: return "unexpected answer";
  }
  return nullptr;
}
} // namespace

const std::error_category& at_category() {
  static const EnumErrorCategory<AtErrc> category("at", describe, "unknown AT error");
  return category;
}

std::error_code make_error_code(AtErrc value) { return {static_cast<int>(value), at_category()}; }

Channel::Channel(transport::Transport& port, transport::Clock& clock, ConversationLog log)
    : port_(&port), clock_(clock), log_(std::move(log)) {}

void Channel::set_transport(transport::Transport& port) {
  port_ = &port;
  inbox_.clear();
  in_step_ = true; // a reopened port carries no answer of the old one
}

Status Channel::fill(TimePoint deadline) {
  // A deadline holds however fast bytes keep arriving: a transport may still
  // hand over waiting bytes after it (FdTransport does), so the clock decides.
  if (clock_.now() >= deadline)
    return make_error(transport::TransportErrc::timeout, port_->name() + ": no complete answer in time");
  std::uint8_t buffer[4096];
  auto n = port_->read_some(buffer, deadline);
  if (!n) return n.error();
  inbox_.append(reinterpret_cast<const char*>(buffer), *n);
  // Bounded input: text with no end of line within LineFramer::kMaxLine bytes
  // is line noise, dropped and counted, never kept or scanned again.
  if (inbox_.size() > LineFramer::kMaxLine && inbox_.find_first_of("\r\n") == std::string::npos) {
    ++noise_lines_;
    if (log_)
      log_(Direction::from_module, "(noise: " + std::to_string(inbox_.size()) + " bytes without an end of line)");
    inbox_.clear();
  }
  return {};
}

bool Channel::pop_line(std::string& line) {
  for (;;) {
    auto end = inbox_.find_first_of("\r\n");
    if (end == std::string::npos) return false;
    line = inbox_.substr(0, end);
    auto next = inbox_.find_first_not_of("\r\n", end);
    inbox_.erase(0, next == std::string::npos ? inbox_.size() : next);
    if (!line.empty()) return true;
  }
}

void Channel::keep_urc(const std::string& line) {
  if (log_) log_(Direction::from_module, line);
  urcs_.push_back(line);
}

Status Channel::send_command(std::string_view command, std::string_view shown) {
  if (log_) log_(Direction::to_module, shown.empty() ? command : shown);
  std::string text(command);
  text += '\r';
  return port_->write_all(as_bytes(text), clock_.deadline_in(transport::Duration(5000)));
}

Expected<Response> Channel::wait_final(std::string_view pending, TimePoint deadline) {
  Response response;
  const TimePoint started = clock_.now();
  for (;;) {
    std::string raw;
    while (pop_line(raw)) {
      Line line = classify_line(raw, pending);
      switch (line.kind) {
      case LineKind::echo: break;
      case LineKind::urc: keep_urc(line.text); break;
      case LineKind::noise:
        ++noise_lines_;
        if (log_) log_(Direction::from_module, "(noise: " + std::to_string(raw.size()) + " bytes)");
        break;
      case LineKind::info:
        if (log_) log_(Direction::from_module, line.text);
        response.info.push_back(line.text);
        break;
      default:
        if (log_) log_(Direction::from_module, line.text);
        response.final = line;
        return response;
      }
    }
    if (auto ok = fill(deadline); !ok) {
      if (!ok.error().is(transport::TransportErrc::timeout)) return ok.error();
      in_step_ = false; // the answer may still come
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - started);
      std::string what = pending.empty() ? std::string("answer") : "answer to " + std::string(pending);
      if (what.size() > 80) what = what.substr(0, 77) + "...";
      return make_error(transport::TransportErrc::timeout,
                        port_->name() + ": no " + what + " within " + seconds_text(waited) + " s");
    }
  }
}

Expected<Response> Channel::command(std::string_view command, transport::Duration timeout) {
  if (!in_step_) {
    if (auto ok = resynchronise(clock_.deadline_in(timeout + kResyncTime)); !ok) return ok.error();
  }
  if (auto ok = send_command(command); !ok) return ok.error();
  return wait_final(command, clock_.deadline_in(timeout));
}

Expected<int> Channel::drain_until_quiet(transport::Duration quiet, TimePoint deadline) {
  int finals = 0;
  for (;;) {
    std::string raw;
    while (pop_line(raw)) {
      Line line = classify_line(raw, "");
      if (line.kind == LineKind::urc) {
        keep_urc(line.text);
      } else if (line.kind == LineKind::noise) {
        ++noise_lines_;
      } else {
        if (line.kind == LineKind::ok || line.kind == LineKind::error || line.kind == LineKind::cme_error ||
            line.kind == LineKind::cms_error || line.kind == LineKind::connect || line.kind == LineKind::no_carrier)
          ++finals;
        if (log_) log_(Direction::from_module, "(out of step) " + line.text);
      }
    }
    if (clock_.now() >= deadline) return finals;
    auto ok = fill(std::min(deadline, clock_.deadline_in(quiet)));
    if (!ok) {
      if (ok.error().is(transport::TransportErrc::timeout)) return finals; // quiet (or the deadline)
      return ok.error();
    }
  }
}

Status Channel::resynchronise(TimePoint deadline) {
  // The probe is a command nothing else sends, whose answer carries its own
  // name ("+CMEE: <n>"): a late final result of an earlier command, with or
  // without lines, can never pass for it.
  static constexpr std::string_view kProbe = "AT+CMEE?";
  if (log_) log_(Direction::to_module, "(resynchronising after a late answer)");
  while (clock_.now() < deadline) {
    auto dropped = drain_until_quiet(kQuietTime, deadline);
    if (!dropped) return dropped.error();
    if (clock_.now() >= deadline) break;
    if (auto ok = send_command(kProbe); !ok) return ok;
    const TimePoint answer_by = std::min(deadline, clock_.deadline_in(transport::Duration(2000)));
    bool answered = false, named = false;
    for (std::string raw; !answered;) {
      while (!answered && pop_line(raw)) {
        Line line = classify_line(raw, kProbe);
        if (line.kind == LineKind::echo) continue;
        if (line.kind == LineKind::urc) {
          keep_urc(line.text);
        } else if (line.kind == LineKind::info && line.text.rfind("+CMEE:", 0) == 0) {
          if (log_) log_(Direction::from_module, line.text);
          named = true;
        } else if (line.kind == LineKind::ok && named) {
          if (log_) log_(Direction::from_module, line.text);
          answered = true;
        } else {
          // A late line or result of an earlier command.
          if (log_) log_(Direction::from_module, "(out of step) " + line.text);
          if (line.kind != LineKind::info && line.kind != LineKind::noise) named = false;
        }
      }
      if (answered) break;
      auto ok = fill(answer_by);
      if (!ok && !ok.error().is(transport::TransportErrc::timeout)) return ok;
      if (!ok) break;
    }
    if (!answered) continue;
    // In step, unless yet another final result was on its way.
    auto late = drain_until_quiet(kQuietTime, deadline);
    if (!late) return late.error();
    if (*late == 0) {
      in_step_ = true;
      return {};
    }
  }
  return make_error(transport::TransportErrc::timeout,
                    port_->name() + ": answers out of step with commands, and no clean answer to AT+CMEE? in time");
}

Expected<std::string> Channel::next_urc(TimePoint deadline) {
  for (;;) {
    std::string raw;
    while (urcs_.empty() && pop_line(raw)) {
      Line line = classify_line(raw, "");
      if (line.kind == LineKind::noise) {
        ++noise_lines_;
        if (log_) log_(Direction::from_module, "(noise: " + std::to_string(raw.size()) + " bytes)");
        continue;
      }
      keep_urc(line.text);
    }
    if (!urcs_.empty()) {
      std::string urc = std::move(urcs_.front());
      urcs_.pop_front();
      return urc;
    }
    if (auto ok = fill(deadline); !ok) return ok.error();
  }
}

Status Channel::write_data(ByteSpan data, TimePoint deadline) { return port_->write_all(data, deadline); }

Expected<std::size_t> Channel::read_data(std::span<std::uint8_t> buffer, TimePoint deadline) {
  if (clock_.now() >= deadline)
    return make_error(transport::TransportErrc::timeout, port_->name() + ": nothing received in time");
  if (!inbox_.empty()) {
    const std::size_t n = std::min(buffer.size(), inbox_.size());
    std::copy_n(inbox_.begin(), n, buffer.begin());
    inbox_.erase(0, n);
    return n;
  }
  return port_->read_some(buffer, deadline);
}

Status Channel::escape_data_mode(transport::Duration guard) {
  if (auto ok = port_->drain(clock_.deadline_in(transport::Duration(60000))); !ok) return ok;
  clock_.sleep_for(guard);
  if (log_) log_(Direction::to_module, "+++");
  if (auto ok = port_->write_all(as_bytes("+++"), clock_.deadline_in(guard)); !ok) return ok;
  clock_.sleep_for(guard);
  return {};
}

void Channel::discard_input() {
  inbox_.clear();
  urcs_.clear();
  port_->discard_input();
}

} // namespace dfota::at
