// Reading a module without changing it: what production lines do before and
// after an upgrade. Nothing is written to the module and no upgrade starts;
// the commands are ATI, AT+QGMR (AT+CGMR on old firmware), AT+QFLDS,
// AT+QFLST and the flow-control read commands, after the same clean command
// state as an upload.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "at/responses.hpp"
#include "upload/uploader.hpp"

namespace dfota::upload {

struct ProbeReport {
  std::string port;
  std::string manufacturer, model, revision; // ATI and AT+QGMR/AT+CGMR
  std::string profile;                       // the family's id, "" when the model is not one the profiles know
  std::string family;
  std::optional<at::FreeSpace> space;      // AT+QFLDS="UFS", when the module answers it
  std::vector<at::StoredFile> files;       // AT+QFLST="*"
  std::optional<std::string> flow_control; // "2,2" / "0,0" from AT+IFC? or AT+QCFG="usbifc"
};

struct ProbeOptions {
  std::string port;
  transport::SerialOptions serial;
  transport::Duration guard_time{1000};
  UploadTimeouts timeouts;                                                      // command and version are used
  host::ModemManagerPolicy modem_manager = host::ModemManagerPolicy::automatic; // as for an upload
};

// Fails with UploadErrc::no_module when nothing answers AT, and with the
// port's error when it cannot be opened; a family the profiles do not know
// is not an error (the report's profile is empty).
Expected<ProbeReport> probe_module(const ProbeOptions& options, const profiles::Registry& registry,
                                   std::function<void(const UploadEvent&)> on_event = {}, at::ConversationLog log = {},
                                   transport::Clock& clock = transport::steady_clock(),
                                   transport::PortOpener& ports = transport::system_ports());

} // namespace dfota::upload
