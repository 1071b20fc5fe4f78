// Following an upgrade, as a pure state machine: what to do next, from the
// module's reports, the port going and coming back, the revision answers
// and the time. No I/O: follower.cpp performs each action on the channel
// and feeds the outcome back; tests feed transcripts and times directly.
//
// The rules (the guides' and the uploader's own):
// - reports are waited for up to --timeout urc; a URL download that does not
//   start is bounded by the family guide's time where it states one (UGxx);
// - START and UPDATING may be lost while a USB port re-enumerates, so after a
//   reboot, or when the module has been quiet a while after END 0, the
//   revision is asked instead;
// - the module is done when it runs the target (or, with no target stated,
//   another revision than before) and, after END 0, has said RDY;
// - a port that comes back as a module of another project is not ours;
// - a module back from its reboot that neither reports nor answers is given
//   the RG50xQ guide's first-URC time, elsewhere --timeout urc;
// - --timeout total bounds it all.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "profiles/profile.hpp"
#include "transport/clock.hpp"
#include "upload/fota_tracker.hpp"
#include "upload/uploader.hpp"

namespace dfota::upload {

// What the machine knows of the run before following starts.
struct FollowFacts {
  const profiles::Profile* profile = nullptr; // borrowed
  transport::Duration total{0};               // --timeout total
  transport::Duration urc_gap{0};             // --timeout urc
  bool url_method = false;                    // the module downloads the package itself
  std::string version_before;                 // what the module ran before
  bool target_stated = false;
  std::string target_version;
  // Whether a revision the module reports is the one it should run now.
  std::function<bool(const std::string&)> reached_target;
};

struct FollowAction {
  enum class Kind {
    wait_report,  // read the next report until `until`: report(), quiet() or port_gone()
    ask_revision, // ask the revision (a short wait): queued_report() for what came meanwhile, then
                  // revision() or port_gone()
    reopen_port,  // wait for the port to come back: port_back(), or the run fails (port lost)
    confirm,      // read the revision within --timeout version: confirmed()
    done,         // the module runs `version`, the target
    failed,       // `code`, `message` (with `module_code` and `scope` for a module's own code)
  } kind = Kind::wait_report;
  transport::TimePoint until{};
  std::string version;
  UploadErrc code = UploadErrc::timeout;
  std::string message;
  int module_code = 0;
  std::string scope;
};

class FollowMachine {
public:
  // `tracker` is borrowed (it may hold what an upload method fed it) and
  // must outlive the machine. `now` starts the total timeout.
  FollowMachine(FollowFacts facts, FotaTracker& tracker, transport::TimePoint now);

  // The next action at `now`; asking again without feeding anything gives
  // the same action. After done or failed, the same again.
  FollowAction next(transport::TimePoint now);

  // A report read while waiting.
  FotaStep report(const std::string& line, transport::TimePoint now);
  // A report that came in while the revision was asked.
  FotaStep queued_report(const std::string& line) { return tracker_.feed(line); }
  // Nothing came by the `until` of wait_report.
  void quiet(transport::TimePoint now);
  // The port vanished (the module reboots).
  void port_gone();
  void port_back(transport::TimePoint now);
  // The answer to ask_revision: nullopt when none came or it was a
  // placeholder.
  void revision(const std::optional<std::string>& version, transport::TimePoint now);
  // The answer to confirm.
  void confirmed(const std::string& version);

  int reboots() const { return reboots_; }
  const FotaTracker& tracker() const { return tracker_; }

private:
  bool installed() const { return tracker_.phase() == FotaPhase::installed; }
  // How long a wait for reports lasts now: the URC gap, or after END 0 or a
  // reboot the quiet time after which the revision is asked.
  transport::Duration wait_length() const;
  // Whether a URL download has yet to start (no report since the trigger).
  bool awaiting_download() const;
  void fail(UploadErrc code, std::string message);
  // The port came back as another module: why, or nothing when it is ours.
  std::optional<std::string> another_module(const std::string& version) const;
  std::string wanted() const;
  std::string download_not_started(const std::string& timeout_named) const;

  FollowFacts facts_;
  FotaTracker& tracker_;
  transport::TimePoint give_up_;
  transport::TimePoint download_due_;
  transport::TimePoint last_report_;
  bool ask_next_ = false; // until the answer (or the port's loss) is fed
  bool reopen_next_ = false;
  bool gone_while_waiting_ = false;
  int reboots_ = 0;
  std::optional<FollowAction> end_; // done or failed
};

} // namespace dfota::upload
