// Echo, identity, error reporting, functionality, flow control, and the PDP
// and FOTA context configuration.
#include "core/text.hpp"
#include "profiles/revision.hpp"
#include "sim/commands/argument.hpp"
#include "sim/commands/command_table.hpp"

namespace dfota::sim {

namespace {

using at::CommandForm;
using at::CommandLine;

void identify(Module& module, const CommandLine& c) {
  if (c.form == CommandForm::test) return module.ok();
  const auto& profile = module.profile();
  const std::string& version = module.slot().info().version;
  const std::string base = profiles::parse_revision(version).base;
  std::string model = profile.model_prefix_of(version);
  if (model.empty()) model = profile.models.empty() ? "MODULE" : profile.models.front();
  if (c.name == "I") {
    for (const auto& line : at::format_identity({"Quectel", model, base}))
      module.respond(line);
  } else if (c.name == "+GMI" || c.name == "+CGMI") {
    module.respond("Quectel");
  } else if (c.name == "+GMM" || c.name == "+CGMM") {
    module.respond(model);
  } else if (c.name == "+GMR" || c.name == "+CGMR") {
    module.respond(base);
  } else {
    if (module.options().faults.qgmr_error) return module.error();
    const bool early = module.clock().now() - module.booted_at() < module.options().early_revision;
    module.respond(early ? base + "_00.000.00.000" : version);
  }
  module.ok();
}

void error_reporting(Module& module, const CommandLine& c) {
  int& cmee = module.boot_settings().cmee;
  if (c.form == CommandForm::read) return module.respond("+CMEE: " + std::to_string(cmee)), module.ok();
  if (c.form == CommandForm::test) return module.respond("+CMEE: (0-2)"), module.ok();
  auto v = parse_whole_number(argument(c, 0));
  if (c.form != CommandForm::write || !v || *v > 2) return module.error();
  cmee = static_cast<int>(*v);
  module.ok();
}

void functionality(Module& module, const CommandLine& c) {
  if (c.form == CommandForm::read) return module.respond("+CFUN: 1"), module.ok();
  if (c.form == CommandForm::write && argument(c, 0) == "1" && argument(c, 1) == "1") {
    module.ok();
    module.reboot(false);
    module.announce_ready();
    return;
  }
  if (c.form == CommandForm::write) return module.ok();
  module.error();
}

// The setting of AT+IFC or AT+QCFG="usbifc" from its two arguments at
// `first`: 0 or 2 each (none, RTS/CTS); nullopt for anything else.
std::optional<at::FlowControlSetting> flow_control_argument(const CommandLine& c, std::size_t first) {
  auto dce = parse_whole_number(argument(c, first)), dte = parse_whole_number(argument(c, first + 1));
  if (!dce || !dte || (*dce != 0 && *dce != 2) || (*dte != 0 && *dte != 2)) return std::nullopt;
  return at::FlowControlSetting{static_cast<int>(*dce), static_cast<int>(*dte)};
}

void flow_control(Module& module, const CommandLine& c) {
  at::FlowControlSetting& setting = module.boot_settings().uart_flow_control;
  if (c.form == CommandForm::read) return module.respond(at::format_flow_control(false, setting)), module.ok();
  if (c.form == CommandForm::test) return module.respond("+IFC: (0,2),(0,2)"), module.ok();
  if (c.form != CommandForm::write || c.arguments.size() != 2) return module.error();
  auto value = flow_control_argument(c, 0);
  if (!value) return module.error();
  setting = *value;
  module.ok();
}

void configuration(Module& module, const CommandLine& c) {
  const std::string key = to_upper(argument(c, 0));
  if (c.form != CommandForm::write) return module.error();
  if (key == "USBIFC") {
    at::FlowControlSetting& setting = module.boot_settings().usb_flow_control;
    if (c.arguments.size() == 1) return module.respond(at::format_flow_control(true, setting)), module.ok();
    if (c.arguments.size() != 3) return module.error();
    auto value = flow_control_argument(c, 1);
    if (!value) return module.error();
    setting = *value;
    return module.ok();
  }
  if (key == "FOTA/CID") {
    int& cid = module.stored_settings().fota_cid;
    if (c.arguments.size() == 1) return module.respond(at::format_fota_cid(cid)), module.ok();
    auto v = parse_whole_number(argument(c, 1));
    if (!v || *v < 1 || *v > 16) return module.error();
    cid = static_cast<int>(*v);
    return module.ok();
  }
  module.error();
}

void pdp_context(Module& module, const CommandLine& c) {
  if (c.form != CommandForm::write || c.arguments.empty()) return module.error();
  auto cid = parse_whole_number(argument(c, 0));
  if (!cid || *cid < 1 || *cid > 16) return module.error();
  std::string& apn = module.stored_settings().apn;
  if (c.arguments.size() == 1) return module.respond(at::format_pdp_context(apn)), module.ok();
  apn = argument(c, 2);
  module.ok();
}

} // namespace

void add_basic_commands(CommandTable& table, Module& module) {
  table.add({""}, [&module](const CommandLine&) { module.ok(); });
  table.add({"E"}, [&module](const CommandLine& c) {
    const std::string v = argument(c, 0);
    if (v != "" && v != "0" && v != "1") return module.error();
    module.boot_settings().echo = v == "1";
    module.ok();
  });
  table.add({"V", "Z", "&D", "&F", "&W", "Q", "&C"}, [&module](const CommandLine&) { module.ok(); });
  table.add({"I", "+GMI", "+CGMI", "+GMM", "+CGMM", "+GMR", "+CGMR", "+QGMR"},
            [&module](const CommandLine& c) { identify(module, c); });
  table.add({"+CMEE"}, [&module](const CommandLine& c) { error_reporting(module, c); });
  table.add({"+CPIN"}, [&module](const CommandLine& c) {
    if (c.form != CommandForm::read) return module.error();
    module.respond("+CPIN: READY");
    module.ok();
  });
  table.add({"+CFUN"}, [&module](const CommandLine& c) { functionality(module, c); });
  table.add({"+IFC"}, [&module](const CommandLine& c) { flow_control(module, c); });
  table.add({"+QCFG"}, [&module](const CommandLine& c) { configuration(module, c); });
  table.add({"+QICSGP"}, [&module](const CommandLine& c) { pdp_context(module, c); });
  table.add({"+QINDCFG"}, [&module](const CommandLine&) { module.ok(); }); // URC reporting stays on
}

} // namespace dfota::sim
