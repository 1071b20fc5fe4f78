// A module's AT port as a Transport on a ManualClock, answering each command
// line the host writes through a handler the test gives: the replies (and any
// reports that follow them) become readable at their times, one after the
// other, as a module that handles one command at a time sends them. A
// PortOpener hands this port to the uploader. Command mode only (no data
// phase).
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "transport/port_opener.hpp"

namespace dfota::test {

class FakeModule final : public transport::Transport {
public:
  struct Reply {
    transport::Duration after; // after the previous reply (or the command)
    std::string bytes;
    bool hang_up = false; // instead of bytes: the port goes away (a reboot); reopening finds it back
  };
  using Handler = std::function<std::vector<Reply>(const std::string& command)>;

  FakeModule(transport::ManualClock& clock, Handler handler) : clock_(clock), handler_(std::move(handler)) {}
  // When several modules share one manual clock, each host thread's sleeps
  // move the others' time: a reply due 10 ms after a write may then fall
  // after a deadline taken before it. A module that answers promptly hands
  // out each reply as soon as it is read for, whatever the time (for tests
  // of what runs where, not of timing).
  enum class Answers { on_time, promptly };
  FakeModule(transport::ManualClock& clock, Handler handler, Answers answers)
      : clock_(clock), handler_(std::move(handler)), answers_(answers) {}

  // Every command line the host sent, in order.
  const std::vector<std::string>& commands() const { return commands_; }

  Expected<std::size_t> read_some(std::span<std::uint8_t> buffer, transport::TimePoint deadline) override {
    const bool prompt = answers_ == Answers::promptly && !pending_.empty();
    if (!prompt && (pending_.empty() || pending_.front().at > deadline)) {
      clock_.sleep_until(deadline);
      return make_error(transport::TransportErrc::timeout, "fake: timeout");
    }
    auto& next = pending_.front();
    if (!prompt) clock_.sleep_until(next.at);
    if (next.hang_up) {
      pending_.pop_front();
      return make_error(transport::TransportErrc::closed, "fake: the port went away");
    }
    const std::size_t n = std::min(buffer.size(), next.bytes.size());
    std::copy_n(next.bytes.begin(), n, buffer.begin());
    next.bytes.erase(0, n);
    if (next.bytes.empty()) pending_.pop_front();
    return n;
  }
  Status write_all(ByteSpan data, transport::TimePoint) override {
    for (auto byte : data) {
      if (byte != '\r') {
        line_.push_back(static_cast<char>(byte));
        continue;
      }
      commands_.push_back(line_);
      transport::TimePoint at = std::max(clock_.now(), last_);
      for (auto& reply : handler_(line_)) {
        at += reply.after;
        pending_.push_back({at, std::move(reply.bytes), reply.hang_up});
      }
      last_ = at;
      line_.clear();
    }
    return {};
  }
  Status drain(transport::TimePoint) override { return {}; }
  void discard_input() override {
    // What has arrived by now is dropped; what is still on its way is not.
    while (!pending_.empty() && pending_.front().at <= clock_.now())
      pending_.pop_front();
  }
  const std::string& name() const override { return name_; }

  // Hands out this module's port (borrowed: the module outlives the upload).
  class Ports final : public transport::PortOpener {
  public:
    explicit Ports(FakeModule& module) : module_(module) {}
    Expected<std::unique_ptr<transport::Transport>> open(const std::string&, const transport::SerialOptions&,
                                                         transport::TimePoint, transport::Clock&) override {
      return std::unique_ptr<transport::Transport>(new Borrowed(module_));
    }
    Expected<std::unique_ptr<transport::Transport>> reopen_when_back(const std::string& spec,
                                                                     const transport::SerialOptions& options,
                                                                     transport::TimePoint deadline,
                                                                     transport::Clock& clock) override {
      return open(spec, options, deadline, clock);
    }

  private:
    struct Borrowed final : transport::Transport {
      explicit Borrowed(FakeModule& m) : module(m) {}
      Expected<std::size_t> read_some(std::span<std::uint8_t> b, transport::TimePoint d) override {
        return module.read_some(b, d);
      }
      Status write_all(ByteSpan data, transport::TimePoint d) override { return module.write_all(data, d); }
      Status drain(transport::TimePoint d) override { return module.drain(d); }
      void discard_input() override { module.discard_input(); }
      const std::string& name() const override { return module.name(); }
      FakeModule& module;
    };
    FakeModule& module_;
  };

private:
  struct Pending {
    transport::TimePoint at;
    std::string bytes;
    bool hang_up = false;
  };
  transport::ManualClock& clock_;
  Handler handler_;
  Answers answers_ = Answers::on_time;
  std::deque<Pending> pending_;
  transport::TimePoint last_{};
  std::string line_;
  std::vector<std::string> commands_;
  std::string name_ = "fake";
};

} // namespace dfota::test
