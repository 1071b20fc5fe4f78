// AT+QFOTADL in every form: "COM" (data mode), "FILE:<length>", an FTP or
// HTTP(S) URL the module downloads, and a package already in its file store.
#include "at/requests.hpp"
#include "core/files.hpp"
#include "core/text.hpp"
#include "profiles/url.hpp"
#include "sim/commands/checksum_writer.hpp"
#include "sim/commands/command_table.hpp"
#include "sim/data_mode.hpp"
#include "sim/downloader.hpp"

namespace dfota::sim {

namespace {

namespace fs = std::filesystem;
using at::CommandForm;
using at::CommandLine;
using at::FotaDownload;
using at::FotaStage;
using transport::Duration;

// Where a package the module receives or downloads is kept until the
// upgrade ends.
fs::path received_package(Module& module) { return module.options().state / "fota" / "package.bin"; }

void over_com(Module& module, Upgrader& upgrader, const FotaDownload& request) {
  const auto& profile = module.profile();
  const std::uint64_t size = request.size.value_or(UINT64_MAX);
  const std::uint64_t timeout_s = request.timeout_s.value_or(profile.com_idle_default_s);
  if (size == 0 || timeout_s == 0 || timeout_s > 3600) return module.error();
  const fs::path package = received_package(module);
  auto file = OutputFile::create(package, 0600);
  if (!file) return module.error();
  module.respond("CONNECT");
  ChecksumWriter sum(file->writer());
  const Duration timeout(timeout_s * 1000);
  DataResult r = receive_data(module, sum, {size, timeout, timeout, false});
  module.log(at::Direction::to_module, "(" + std::to_string(r.received) + " bytes of data)");
  if (module.power_lost()) return; // the half-received package is not committed
  module.respond(at::format_upload_report("+QFOTADL", {r.received, sum.checksum()}, true));
  if (r.failed) return module.error();
  if (r.timed_out)
    module.cme_error(421);
  else
    module.ok();
  // "If the <uploadsize> is greater than 0, TA will begin to upgrade."
  if (r.received == 0 || !file->commit()) return;
  upgrader.begin(package, true);
}

// How long FILE mode waits for the first byte after FILESTART: the EC200T
// guide is silent; the simulator's own choice.
constexpr Duration kFileFirstByte{90000};

void over_file(Module& module, Upgrader& upgrader, std::uint64_t length) {
  const auto& profile = module.profile();
  const fs::path package = received_package(module);
  auto file = OutputFile::create(package, 0600);
  if (!file) return module.error();
  module.ok();
  module.fota_urc({FotaStage::file_start, 0});
  DataResult r = receive_data(module, file->writer(),
                              {length, kFileFirstByte, Duration(profile.com_idle_default_s * 1000), false});
  module.log(at::Direction::to_module,
             "(" + std::to_string(r.received) + " of " + std::to_string(length) + " bytes of data)");
  if (module.power_lost()) return;
  if (r.received != length || r.failed || !file->commit()) {
    module.fota_urc({FotaStage::file_end, 500});
    return;
  }
  module.fota_urc({FotaStage::file_end, 0});
  upgrader.begin(package, true);
}

void over_url(Module& module, Upgrader& upgrader, const std::string& url) {
  const bool ftp = to_upper(url.substr(0, 4)) == "FTP:";
  module.ok();
  module.fota_urc({ftp ? FotaStage::ftp_start : FotaStage::http_start, 0});
  const fs::path package = received_package(module);
  DownloadOptions download_options;
  download_options.ca_file = module.options().ca_file;
  DownloadResult result = download(url, package, module.profile(), *module.options().registry, download_options);
  if (result.code != 0) module.log(at::Direction::event, "download failed: " + result.detail);
  module.fota_urc({ftp ? FotaStage::ftp_end : FotaStage::http_end, result.code});
  if (result.code == 0) upgrader.begin(package, true);
}

void from_store(Module& module, Upgrader& upgrader, const std::string& name) {
  const auto& profile = module.profile();
  auto path = module.store().resolve_module_path(name, profile.local_paths, profile.sd_card_path());
  std::error_code ec;
  if (!profile.supports("qfupl") || name.size() > profile.local_name_max || !path || !fs::is_regular_file(*path, ec))
    return module.error();
  module.ok();
  upgrader.begin(*path, false);
}

void fota_download(Module& module, Upgrader& upgrader, const CommandLine& c) {
  if (c.form == CommandForm::test) return module.ok();
  const auto request = FotaDownload::parse(c);
  if (!request) return module.error();
  const auto& profile = module.profile();
  switch (request->source) {
  case FotaDownload::Source::com:
    if (!profile.supports("com")) return module.error();
    return over_com(module, upgrader, *request);
  case FotaDownload::Source::file:
    if (!profile.supports("file") || *request->size == 0) return module.error();
    return over_file(module, upgrader, *request->size);
  case FotaDownload::Source::url: {
    auto url = profiles::parse_url(request->location);
    if (!url || !profile.supports(url->scheme) ||
        !profiles::url_rule_problems(*url, request->location.size(), profile).empty())
      return module.error();
    return over_url(module, upgrader, request->location);
  }
  case FotaDownload::Source::local: return from_store(module, upgrader, request->location);
  }
}

} // namespace

void add_fota_commands(CommandTable& table, Module& module, Upgrader& upgrader) {
  table.add({"+QFOTADL"}, [&module, &upgrader](const CommandLine& c) { fota_download(module, upgrader, c); });
}

} // namespace dfota::sim
