// The module's file store: AT+QFUPL, AT+QFLST, AT+QFDEL, AT+QFLDS.
#include "at/requests.hpp"
#include "core/files.hpp"
#include "core/hash.hpp"
#include "sim/commands/argument.hpp"
#include "sim/commands/checksum_writer.hpp"
#include "sim/commands/command_table.hpp"
#include "sim/data_mode.hpp"

namespace dfota::sim {

namespace {

namespace fs = std::filesystem;
using at::CommandForm;
using at::CommandLine;
using transport::Duration;

// "SD:" names only where the family has an SD card path (EC2x); elsewhere
// the name is invalid (406). The guides are silent on what a module without
// a card answers.
bool has_area(Module& module, Area area) { return area == Area::ufs || !module.profile().sd_card_path().empty(); }

void file_upload(Module& module, const CommandLine& c) {
  if (c.form == CommandForm::test) return module.ok();
  if (c.form != CommandForm::write || c.arguments.empty()) return module.error();
  FileStore& store = module.store();
  const Area area = FileStore::area_of(argument(c, 0));
  auto path = store.resolve(argument(c, 0), module.profile().upload_name_max);
  if (!path || !has_area(module, area)) return module.cme_error(406);
  const auto request = at::FileUpload::parse(c);
  if (!request || request->timeout_s == 0 || request->timeout_s > 3600) return module.cme_error(425);
  std::error_code ec;
  if (fs::exists(*path, ec)) return module.cme_error(407);
  if (request->size > store.capacity()) return module.cme_error(423);
  if (request->size > store.free(area)) return module.cme_error(420);
  auto file = OutputFile::create(*path, 0644);
  if (!file) return module.cme_error(409);
  module.respond("CONNECT");
  ChecksumWriter sum(file->writer());
  const Duration timeout(request->timeout_s * 1000);
  DataResult r = receive_data(module, sum, {request->size, timeout, timeout, request->ack});
  module.log(at::Direction::to_module, "(" + std::to_string(r.received) + " bytes of data)");
  if (module.power_lost()) return (void)file->commit(); // what reached the flash stays, cut short
  // What arrived stays on the module, also after +++ or a timeout.
  if (r.received > 0 || !r.failed) (void)file->commit();
  if (r.failed) return module.cme_error(409);
  module.respond(at::format_upload_report("+QFUPL", {r.received, sum.checksum()}, false));
  if (r.timed_out) return module.cme_error(421);
  module.ok();
}

void file_list(Module& module, const CommandLine& c) {
  if (c.form == CommandForm::test) return module.ok();
  std::string pattern = c.arguments.empty() ? "*" : c.arguments[0].text;
  const Area area = FileStore::area_of(pattern);
  if (!has_area(module, area)) return module.cme_error(406);
  pattern = FileStore::without_store_prefix(pattern);
  for (const auto& e : module.store().list(area)) {
    if (pattern != "*" && pattern != e.name) continue;
    module.respond(at::format_file_entry({e.name, e.size}));
  }
  module.ok();
}

void file_delete(Module& module, const CommandLine& c) {
  if (c.form != CommandForm::write || c.arguments.empty()) return module.error();
  FileStore& store = module.store();
  std::error_code ec;
  if (c.arguments[0].text == "*" || c.arguments[0].text == "UFS:*") {
    for (const auto& e : store.list())
      fs::remove(*store.resolve(e.name, 4096), ec);
    return module.ok();
  }
  auto path = store.resolve(c.arguments[0].text, module.profile().upload_name_max);
  if (!path || !has_area(module, FileStore::area_of(c.arguments[0].text))) return module.cme_error(406);
  if (!fs::exists(*path, ec)) return module.cme_error(405);
  if (!fs::remove(*path, ec)) return module.cme_error(418);
  module.ok();
}

} // namespace

void add_file_commands(CommandTable& table, Module& module) {
  table.add({"+QFUPL"}, [&module](const CommandLine& c) { file_upload(module, c); });
  table.add({"+QFLST"}, [&module](const CommandLine& c) { file_list(module, c); });
  table.add({"+QFDEL"}, [&module](const CommandLine& c) { file_delete(module, c); });
  table.add({"+QFLDS"}, [&module](const CommandLine& c) {
    if (c.form != CommandForm::write && c.form != CommandForm::execute) return module.error();
    const Area area = c.arguments.empty() || c.arguments[0].text != "SD" ? Area::ufs : Area::sd;
    if (!has_area(module, area)) return module.cme_error(406);
    module.respond(at::format_free_space({module.store().free(area), module.store().capacity()}));
    module.ok();
  });
}

} // namespace dfota::sim
