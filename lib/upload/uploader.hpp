// Takes a package to a module over its AT port and sees the upgrade through:
// clean command state, identify, pre-flight validation against the live
// module, upload by the family's method, trigger, follow the URCs through
// the module's reboots, confirm the target version.
//
// The library never prints: progress goes to UploadOptions::on_event.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "at/channel.hpp"
#include "host/modem_manager.hpp"
#include "profiles/profile.hpp"
#include "transport/port_opener.hpp"
#include "transport/serial_port.hpp"
#include "upload/package_to_send.hpp"
#include "validate/validator.hpp"

namespace dfota::upload {

enum class UploadErrc {
  validation_refused = 1, // pre-flight: the module would refuse the package
  transfer_failed,        // the upload did not complete or the checksum differs
  module_error,           // the module reported a non-zero download or upgrade code
  timeout,                // the module stopped answering or reporting
  port_lost,              // the port went away and did not come back
  not_supported,          // the family does not offer the method
  wrong_version,          // after the upgrade the module does not run the target version
  no_module,              // nothing answers AT, or the family cannot be told
  modem_manager,          // ModemManagerPolicy::inhibit, and ModemManager was not made to leave the module alone
};
const std::error_category& upload_category();
std::error_code make_error_code(UploadErrc value);

struct UploadTimeouts {
  transport::Duration command{5000};     // an ordinary command's answer
  transport::Duration urc_gap{90000};    // silence between FOTA reports (fwupd: 90 s)
  transport::Duration port_back{120000}; // a vanished port must be back within this
  transport::Duration version{60000};    // a valid revision after the reboot
  transport::Duration total{1800000};    // the whole upgrade after the trigger
};

struct UploadOptions {
  std::filesystem::path package;
  std::string port; // device path, or tcp:HOST:PORT
  // What to ask of ModemManager before the port is opened; an inhibition
  // lasts until run_upload() returns (host/modem_manager.hpp).
  host::ModemManagerPolicy modem_manager = host::ModemManagerPolicy::automatic;
  transport::SerialOptions serial;
  std::string method = "auto";    // auto, com, file, qfupl, url
  std::optional<std::string> url; // where the module downloads from (url method)
  std::optional<std::string> apn; // AT+QICSGP=<cid>,1,"<apn>"
  std::optional<int> cid;         // AT+QCFG="fota/cid",<cid>
  std::string upload_name;        // AT+QFUPL name; default: the package's file name
  bool sd_card = false;           // AT+QFUPL to the SD card ("SD:<name>", /media/card/<name>) instead of UFS
  bool validate = true;
  transport::Duration guard_time{1000}; // +++ guard time
  UploadTimeouts timeouts;
  std::optional<std::filesystem::path> source_firmware; // pre-flight source check, when known
  // The revision the module must run afterwards (default: the dfota
  // manifest's target; a vendor package states none) and the one it must
  // run before anything is sent (default: the manifest's source, checked by
  // the pre-flight).
  std::optional<std::string> to_version;
  std::optional<std::string> from_version;
  // The package read once for a whole fleet (load_package_to_send); null:
  // each run reads `package` itself.
  std::shared_ptr<const PackageToSend> loaded;
};

// What happens, as it happens.
struct UploadEvent {
  enum class Kind {
    step,     // a step begins: text says which
    transfer, // bytes of the package sent so far
    fota,     // a FOTA report from the module
    retry,    // the module retries after a failure code
    warning,  // something tolerated (garbled URC, revision not valid yet, ...)
    port,     // the port went away or came back
  } kind = Kind::step;
  std::string text;
  std::uint64_t bytes = 0; // transfer: sent so far
  std::uint64_t total = 0; // transfer: package size
  double seconds = 0;      // transfer: since the transfer began
  int value = 0;           // fota: percent or code
};

struct UploadReport {
  bool ok = false;
  std::string port;
  std::string profile;
  std::string method;
  std::uint64_t upload_bytes = 0;
  double upload_seconds = 0;
  double total_seconds = 0;
  std::string module_version_before;
  std::string module_version_after;
  std::string target_version; // empty when none was stated
  // False when neither --to-version nor the package named the target:
  // success was then the end of the upgrade on another revision than before.
  bool target_stated = true;
  int error_code = 0;           // the module's code (0 when none)
  std::string error_scope;      // fota, ftp, http, file, cme, validate
  std::string error_meaning;    // from the catalogue
  std::string error_message;    // one line for people (no password)
  std::string error_rule;       // the pre-flight rule that refused, or "checksum" when the module's differs
  bool upgrade_started = false; // the package was on the module and the upgrade was triggered
  int garbled_urcs = 0;
  std::vector<int> retried_codes;
  std::vector<validate::Finding> findings;
};

// Runs the whole upload. `profile` may be null: the family is then told from
// ATI. Returns the report in both outcomes; `error` (when set) is the
// failure, with UploadErrc telling which kind.
struct UploadOutcome {
  UploadReport report;
  std::optional<Error> error;
};
// `ports` opens the module's port and reopens it after a reboot; `clock`
// times every wait (tests pass a scripted module and a ManualClock).
UploadOutcome run_upload(const UploadOptions& options, const profiles::Profile* profile,
                         const profiles::Registry& registry, std::function<void(const UploadEvent&)> on_event = {},
                         at::ConversationLog log = {}, transport::Clock& clock = transport::steady_clock(),
                         transport::PortOpener& ports = transport::system_ports());

// The method `auto` picks for a family (url when a URL is given).
std::string choose_method(const profiles::Profile& profile, const std::string& requested, bool have_url);

} // namespace dfota::upload

template <> struct std::is_error_code_enum<dfota::upload::UploadErrc> : std::true_type {};
