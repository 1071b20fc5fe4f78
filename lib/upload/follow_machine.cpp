#include "upload/follow_machine.hpp"

#include <algorithm>

#include "profiles/revision.hpp"
#include "upload/session.hpp"

namespace dfota::upload {

using transport::Duration;
using transport::TimePoint;

namespace {
// How long a module may be quiet after END 0 or after a reboot before it is
// asked for its revision.
constexpr Duration kQuietProbe{3000};
} // namespace

FollowMachine::FollowMachine(FollowFacts facts, FotaTracker& tracker, TimePoint now)
    : facts_(std::move(facts)), tracker_(tracker), give_up_(now + facts_.total),
      download_due_(now + Duration(facts_.profile->download_start_timeout_s.value_or(0) * 1000)), last_report_(now) {}

void FollowMachine::fail(UploadErrc code, std::string message) {
  FollowAction failed;
  failed.kind = FollowAction::Kind::failed;
  failed.code = code;
  failed.message = std::move(message);
  end_ = std::move(failed);
}

FollowAction FollowMachine::next(TimePoint now) {
  if (end_) return *end_;
  if (tracker_.phase() == FotaPhase::failed) {
    fail(UploadErrc::module_error, tracker_.failure());
    end_->module_code = tracker_.error_code();
    end_->scope = tracker_.error_scope();
    return *end_;
  }
  if (now >= give_up_) {
    fail(UploadErrc::timeout, "the upgrade did not finish within " + Session::named_timeout(facts_.total, "total"));
    return *end_;
  }
  FollowAction action;
  if (reopen_next_) {
    action.kind = FollowAction::Kind::reopen_port;
    return action;
  }
  if (installed() && tracker_.saw_ready()) {
    action.kind = FollowAction::Kind::confirm;
    return action;
  }
  if (ask_next_) {
    action.kind = FollowAction::Kind::ask_revision;
    return action;
  }
  action.until = std::min(give_up_, now + wait_length());
  if (awaiting_download() && facts_.profile->download_start_timeout_s)
    action.until = std::min(action.until, download_due_);
  action.kind = FollowAction::Kind::wait_report;
  return action;
}

Duration FollowMachine::wait_length() const { return installed() || reboots_ > 0 ? kQuietProbe : facts_.urc_gap; }

bool FollowMachine::awaiting_download() const {
  return facts_.url_method && tracker_.phase() == FotaPhase::triggered && reboots_ == 0;
}

FotaStep FollowMachine::report(const std::string& line, TimePoint now) {
  last_report_ = now;
  return tracker_.feed(line);
}

std::string FollowMachine::download_not_started(const std::string& timeout_named) const {
  std::string message = "the module did not start the download (no FTPSTART or HTTPSTART) within " + timeout_named;
  if (!facts_.profile->url.not_started_note.empty()) message += "; " + facts_.profile->url.not_started_note;
  return message;
}

void FollowMachine::quiet(TimePoint now) {
  if (now >= give_up_) return; // the total timeout fired: next() names it
  const bool bounded = facts_.profile->download_start_timeout_s.has_value();
  if (awaiting_download() && bounded && now >= download_due_)
    return fail(UploadErrc::timeout, download_not_started(std::to_string(*facts_.profile->download_start_timeout_s) +
                                                          " s (the " + facts_.profile->family + " guide's maximum)"));
  if (awaiting_download())
    return fail(UploadErrc::timeout, download_not_started(Session::named_timeout(wait_length(), "urc")));
  if (!installed() && reboots_ == 0)
    return fail(UploadErrc::timeout, "no report from the module for " + Session::named_timeout(wait_length(), "urc"));
  ask_next_ = true;
}

void FollowMachine::port_gone() {
  // Gone while waiting for reports (not while asking): the time since the
  // last report starts again when it is back.
  gone_while_waiting_ = !ask_next_;
  ask_next_ = false;
  reopen_next_ = true;
}

void FollowMachine::port_back(TimePoint now) {
  reopen_next_ = false;
  ++reboots_;
  if (gone_while_waiting_) last_report_ = now;
  ask_next_ = true;
}

std::optional<std::string> FollowMachine::another_module(const std::string& version) const {
  if (reboots_ == 0) return std::nullopt;
  const std::string project = profiles::parse_revision(version).project;
  const std::string before = profiles::parse_revision(facts_.version_before).project;
  if (project.empty() || before.empty() || profiles::same_project(before, project)) return std::nullopt;
  if (facts_.target_stated && profiles::same_project(project, facts_.target_version)) return std::nullopt;
  return "the port came back as another module: it runs " + version + " (project " + project + "), the upgrade " +
         "started on a module of project " + before +
         "; name the port by /dev/serial/by-path or by-id so that it stays with its module";
}

std::string FollowMachine::wanted() const {
  if (facts_.target_stated) return "not " + facts_.target_version;
  return "the revision it ran before (no target stated: give --to-version)";
}

void FollowMachine::revision(const std::optional<std::string>& version, TimePoint now) {
  ask_next_ = false;
  if (tracker_.phase() == FotaPhase::failed) return; // next() reports the module's code
  if (version) {
    if (auto other = another_module(*version)) return fail(UploadErrc::port_lost, *other);
    if (facts_.reached_target(*version)) {
      FollowAction done;
      done.kind = FollowAction::Kind::done;
      done.version = *version;
      end_ = std::move(done);
      return;
    }
    if (installed())
      return fail(UploadErrc::wrong_version, "the module reported END 0 but runs " + *version + ", " + wanted());
    if (now - last_report_ > facts_.urc_gap)
      return fail(UploadErrc::wrong_version, "the module still runs " + *version + " and reports nothing");
    return;
  }
  // Back from a reboot but neither reporting nor answering: never waited on
  // until the total timeout. The RG50xQ note bounds the first URC after the
  // reboot; elsewhere the URC gap does.
  if (reboots_ == 0) return;
  const auto& first_urc = facts_.profile->first_urc_after_reboot_s;
  const Duration limit = first_urc ? Duration(*first_urc * 1000) : facts_.urc_gap;
  if (now - last_report_ <= limit) return;
  fail(UploadErrc::timeout, "the module came back from its reboot but has reported and answered nothing for " +
                                (first_urc ? std::to_string(*first_urc) + " s (" + facts_.profile->family +
                                                 " guide: the first URC after the reboot comes within " +
                                                 std::to_string(*first_urc) + " s, otherwise an unknown error occurred)"
                                           : Session::named_timeout(limit, "urc")));
}

void FollowMachine::confirmed(const std::string& version) {
  if (auto other = another_module(version)) return fail(UploadErrc::port_lost, *other);
  if (!facts_.reached_target(version))
    return fail(UploadErrc::wrong_version, "the module runs " + version + ", " + wanted());
  FollowAction done;
  done.kind = FollowAction::Kind::done;
  done.version = version;
  end_ = std::move(done);
}

} // namespace dfota::upload
