// Sharing the module's port with the host: ModemManager probes and holds
// the AT ports of every modem it finds, so the upload asks it to step
// aside first (host/modem_manager.hpp).
#include "core/text.hpp"
#include "upload/session.hpp"

namespace dfota::upload {

Status keep_modem_manager_away(Session& s) {
  const host::ModemManagerPolicy policy = s.options.modem_manager;
  if (policy == host::ModemManagerPolicy::ignore) return {};
  auto inhibition = host::inhibit_modem(s.options.port, s.options.timeouts.command);
  if (inhibition) {
    s.modem_manager = std::move(*inhibition);
    s.step("ModemManager leaves " + printable(s.modem_manager->modem().uid) + " (" +
           printable(s.modem_manager->modem().object_path) + ") alone until the upgrade ends");
    return {};
  }
  const Error& error = inhibition.error();
  if (policy == host::ModemManagerPolicy::inhibit)
    return s.fail(UploadErrc::modem_manager, error.message() + " (--modemmanager inhibit)");
  // auto: without ModemManager, or with a module it does not manage, there
  // is nothing to ask; a refusal leaves its probes free to mix in.
  if (error.is(host::HostErrc::refused) || error.is(host::HostErrc::bad_reply))
    s.warn(error.message() + "; going on without (its probes may mix with the upload)");
  return {};
}

} // namespace dfota::upload
