// A module that answers as a recording did: serves a Recording on a
// pseudo-terminal behind a link, as the simulator does, so that a host (dfota
// upload, or a user's own script) can be run in CI against the conversation
// once recorded with a real module.
//
// Matching: each command the host sends must be the next one the recording
// has (command_matches); a bare "AT" that the recording does not have is
// answered OK, as hosts probe with it. Timing is tolerant: the host may take
// its time over each command (up to the recorded time plus `patience`), and
// the module's answers and reports keep their recorded spacing, divided by
// `speed`. The module echoes nothing.
//
// Single-threaded: run() plays the recording once, then returns.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "at/channel.hpp"
#include "sim/replay/recording.hpp"
#include "transport/pty.hpp"

namespace dfota::sim {

struct ReplayOptions {
  std::filesystem::path link;           // symbolic link to the current terminal
  double speed = 1.0;                   // recorded waits are divided by this (> 0)
  transport::Duration patience{60000};  // beyond the recorded time, how long the host may take to send a command
  transport::Duration data_idle{10000}; // data mode ends when the host sends nothing for this long
  transport::Clock* clock = nullptr;    // borrowed; the steady clock when null
  at::ConversationLog log;              // the host's lines, the recorded answers, the replay's events
};

class Replayer {
public:
  // Creates the port and the link. Fails with SimErrc::bad_option for a
  // speed that is not positive, or the port's error.
  static Expected<std::unique_ptr<Replayer>> create(Recording recording, ReplayOptions options);

  // Waits for a host to open the port, then plays every step. Ends with
  // success after the last step once the host has closed the port (or after
  // 5 s); with SimErrc::replay_diverged, naming the log line, what the
  // recording has and what the host did, when the host sends another
  // command or none in time; with success when `stop` becomes true
  // (checked at least every 100 ms). The link is removed on return.
  Status run(const std::atomic<bool>& stop);

  std::string terminal() const;
  std::size_t steps_played() const { return played_; }

private:
  Replayer(Recording recording, ReplayOptions options, std::unique_ptr<transport::PtyPort> port);

  Status play(const ReplayStep& step);
  Status expect_command(const ReplayStep& step);
  Status expect_escape(const ReplayStep& step);
  void receive_data(const ReplayStep& step);
  void send(std::string_view bytes);
  // Sleeps until `until`, in slices short enough to notice `stop`.
  void sleep_until(transport::TimePoint until);
  // Appends what the host sent to input_; false on timeout or without a host.
  bool read_more(transport::TimePoint deadline);
  // Takes the next command line from input_ (empty lines and bytes before
  // "AT" skipped).
  bool take_line(std::string& line);
  // A command ended by CR may be followed by LF: not a data byte.
  void drop_line_feed();
  // Waits until the host has the port open; false when stopped first.
  bool wait_for_host(transport::TimePoint deadline);
  transport::Duration scaled(transport::Duration recorded) const;
  Error diverged(const ReplayStep& step, const std::string& what) const;
  void log(at::Direction direction, std::string_view text) const;

  Recording recording_;
  ReplayOptions options_;
  transport::Clock& clock_;
  std::unique_ptr<transport::PtyPort> port_;
  const std::atomic<bool>* stop_ = nullptr;
  std::string input_;
  bool line_feed_may_follow_ = false;
  transport::TimePoint last_step_{};
  std::size_t played_ = 0;
};

} // namespace dfota::sim
