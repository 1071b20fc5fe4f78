// One run of the uploader: the state its steps share and the helpers they
// all use. Internal to lib/upload: run_upload() makes one; the steps are in
// identification.cpp (command state, identity, pre-flight), methods/ (one
// strategy per upload method) and follower.cpp (the upgrade through the
// module's reboots). Every step returns Status and fills `report`.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "at/channel.hpp"
#include "at/requests.hpp"
#include "upload/fota_tracker.hpp"
#include "upload/uploader.hpp"

namespace dfota::upload {

// A failure of the delivery that does not stop the run: the module upgrades
// with what it received all the same (UGxx COM mode), so the host follows it
// and fails with this once the module is back.
struct DeliveryProblem {
  UploadErrc code;
  std::string message;
  int module_code = 0;
  std::string scope;
};

struct Session {
  Session(const UploadOptions& upload_options, const profiles::Profile* given_profile,
          const profiles::Registry& catalogue, std::function<void(const UploadEvent&)> event_sink,
          transport::Clock& session_clock, transport::PortOpener& port_opener)
      : options(upload_options), profile(given_profile), registry(catalogue), on_event(std::move(event_sink)),
        clock(session_clock), ports(port_opener) {
    report.port = options.port;
  }

  // ---- telling the caller
  void emit(const UploadEvent& event) const {
    if (on_event) on_event(event);
  }
  void step(const std::string& text) const { emit({UploadEvent::Kind::step, text}); }
  void warn(const std::string& text) const { emit({UploadEvent::Kind::warning, text}); }
  // Records the failure in `report` (with the module code's meaning from the
  // catalogue, for `scope`) and returns it as an error of `code`.
  Error fail(UploadErrc code, const std::string& message, int module_code = 0, const std::string& scope = "");
  // "90 s (--timeout urc=90)": which timeout fired, and how to change it.
  static std::string named_timeout(transport::Duration timeout, const char* key);

  // ---- talking to the module
  // A command with --timeout command unless `timeout` is given.
  Expected<at::Response> command(const std::string& text, transport::Duration timeout = transport::Duration(0));
  // How long AT+QFOTADL may take to answer: the family guide's maximum
  // response time (UGxx: 90 s) when it is longer than --timeout command.
  transport::Duration qfotadl_timeout() const;
  // The revision by AT+QGMR, else AT+CGMR (old firmware refuses AT+QGMR).
  const char* revision_command() const { return qgmr_works ? "AT+QGMR" : "AT+CGMR"; }
  // Whether a reported revision is `expected` (AT+CGMR prints it without
  // the sub-version).
  bool same_version(const std::string& reported, const std::string& expected) const;
  // Whether the module, reporting `reported` after the upgrade, has reached
  // its target: the stated target, or without one any other revision than
  // before.
  bool reached_target(const std::string& reported) const;

  // ---- the package
  const Bytes& bytes() const { return package->bytes; }
  // The name for AT+QFUPL: --upload-name, else the package's file name.
  std::string upload_name() const;
  // Where AT+QFUPL puts the package (--sd-card), and the name it takes there
  // ("SD:u.zip" or "u.zip").
  at::Storage storage() const { return options.sd_card ? at::Storage::sd : at::Storage::ufs; }
  std::string stored_name() const { return at::storage_prefix(storage()) + upload_name(); }

  const UploadOptions& options;
  const profiles::Profile* profile; // null until identify() tells the family
  const profiles::Registry& registry;
  std::function<void(const UploadEvent&)> on_event;
  transport::Clock& clock;
  transport::PortOpener& ports;
  UploadReport report;
  std::shared_ptr<const PackageToSend> package; // shared by the fleet's modules
  std::string url_scheme;                       // ftp, http, https for the url method
  // Held until the run ends, so that ModemManager leaves the module alone
  // through its reboots (null when not asked or not running).
  std::unique_ptr<host::ModemManagerInhibition> modem_manager;
  std::unique_ptr<transport::Transport> port;
  std::optional<at::Channel> channel;
  std::optional<FotaTracker> tracker;
  bool qgmr_works = true;
  std::optional<DeliveryProblem> delivery_problem;
};

// The steps, in the order run_upload() takes them.
// port_sharing.cpp: asks ModemManager to leave the module alone, as
// UploadOptions::modem_manager says, before the port is opened.
Status keep_modem_manager_away(Session& session);
Status clean_state(Session& session);
Status identify(Session& session);
Status preflight(Session& session);
// identification.cpp: the revision, asked again while the module shows a
// placeholder, until `deadline`.
Expected<std::string> revision(Session& session, transport::TimePoint deadline);
// follower.cpp: follows the upgrade to the target version (the decisions
// are follow_machine.hpp's).
Status follow(Session& session);
// follower.cpp: tells the caller what the tracker made of a report `line`.
void note(Session& session, const FotaStep& taken, const std::string& line);
// follower.cpp: the failure the module reported (its END or download code).
Error module_failed(Session& session);

} // namespace dfota::upload
