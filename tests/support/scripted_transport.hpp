// A transport that plays a module's side from a script, on a ManualClock:
// each chunk arrives at its time; read deadlines move the clock instead of
// sleeping. Records what the host wrote.
#pragma once

#include <deque>
#include <string>

#include "transport/transport.hpp"

namespace dfota::test {

class ScriptedTransport final : public transport::Transport {
public:
  explicit ScriptedTransport(transport::ManualClock& clock) : clock_(clock) {}

  // `bytes` become readable `after` the previous chunk (or the start).
  void then(transport::Duration after, std::string bytes) { chunks_.push_back({after, std::move(bytes)}); }
  // The port goes away after the scripted chunks.
  void then_close() { close_at_end_ = true; }
  const std::string& written() const { return written_; }

  Expected<std::size_t> read_some(std::span<std::uint8_t> buffer, transport::TimePoint deadline) override {
    if (chunks_.empty()) {
      if (close_at_end_) return make_error(transport::TransportErrc::closed, "scripted: closed");
      clock_.sleep_until(deadline);
      return make_error(transport::TransportErrc::timeout, "scripted: timeout");
    }
    auto& next = chunks_.front();
    const auto at = last_ + next.after;
    if (at > deadline) {
      clock_.sleep_until(deadline);
      return make_error(transport::TransportErrc::timeout, "scripted: timeout");
    }
    clock_.sleep_until(at);
    last_ = at;
    const std::size_t n = std::min(buffer.size(), next.bytes.size());
    std::copy_n(next.bytes.begin(), n, buffer.begin());
    next.bytes.erase(0, n);
    next.after = transport::Duration(0);
    if (next.bytes.empty()) chunks_.pop_front();
    return n;
  }
  Status write_all(ByteSpan data, transport::TimePoint) override {
    written_.append(reinterpret_cast<const char*>(data.data()), data.size());
    return {};
  }
  Status drain(transport::TimePoint) override { return {}; }
  void discard_input() override {}
  const std::string& name() const override { return name_; }

private:
  struct Chunk {
    transport::Duration after;
    std::string bytes;
  };
  transport::ManualClock& clock_;
  std::deque<Chunk> chunks_;
  transport::TimePoint last_{};
  bool close_at_end_ = false;
  std::string written_;
  std::string name_ = "scripted";
};

} // namespace dfota::test
