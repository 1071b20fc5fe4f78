#include "sim/upgrader.hpp"

#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "package/applier.hpp"
#include "package/inspector.hpp"
#include "profiles/acceptance.hpp"

namespace dfota::sim {

namespace fs = std::filesystem;
using at::FotaStage;

namespace {

// Copies the slot's firmware into its staging directory with firmware.json
// naming `revision`: what a vendor package leaves behind, as the simulator
// models it.
Status stage_with_revision(FirmwareSlot& slot, const std::string& revision) {
  std::error_code ec;
  fs::copy(slot.root(), slot.staging(), fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  if (ec) return system_error("cannot stage " + slot.staging().string(), ec.value());
  const fs::path info = slot.staging() / "firmware.json";
  auto text = read_file(info.string(), 1 << 20);
  if (!text) return text.error();
  auto json = nlohmann::json::parse(text->begin(), text->end(), nullptr, false);
  if (json.is_discarded() || !json.is_object())
    return make_error(CoreErrc::invalid_input, info.string() + ": not a JSON object");
  json["version"] = revision;
  return write_text_file(info, json.dump(2) + "\n");
}

// The UPDATING reports of one attempt: each percent once, rising.
class UpdatingReports {
public:
  explicit UpdatingReports(Module& module) : module_(module) {}
  void operator()(int percent) {
    if (percent <= reported_) return;
    reported_ = percent;
    module_.fota_urc({FotaStage::updating, percent});
  }

private:
  Module& module_;
  int reported_ = 0;
};

} // namespace

void Upgrader::begin(const fs::path& package, bool delete_after) {
  const auto& profile = module_.profile();
  if (auto ok = module_.slot().set_flag({package, delete_after, 0}); !ok) {
    module_.log(at::Direction::event, "cannot set the upgrade flag: " + ok.error().message());
    module_.fota_urc({FotaStage::end, Module::end_code_for(profile.upgrade.failed)});
    return;
  }
  if (module_.power_loss_due(PowerLossPhase::flagged)) return module_.cut_power("with the upgrade flag set");
  if (profile.upgrade.reboot_before_apply) module_.reboot(true);
  run();
}

void Upgrader::run() {
  const auto& profile = module_.profile();
  FirmwareSlot& slot = module_.slot();
  for (;;) {
    if (module_.stopping()) return;
    auto flag = slot.flag();
    const int code = flag ? attempt(*flag) : Module::end_code_for(profile.upgrade.failed);
    if (code < 0) return; // power lost: the flag stays for the next start
    module_.fota_urc({FotaStage::end, code});
    if (code != 0) {
      const int attempts = (flag ? flag->attempts : 0) + 1;
      if (flag && profile.retries_after(code, attempts)) {
        flag->attempts = attempts;
        (void)slot.set_flag(*flag);
        module_.log(at::Direction::event,
                    "attempt " + std::to_string(attempts) + " failed with " + std::to_string(code) + ": retrying");
        module_.reboot(true);
        continue;
      }
      module_.log(at::Direction::event,
                  "upgrade failed with " + std::to_string(code) + ": the module keeps " + slot.info().version);
    }
    // Done, either way: the flag goes, and a downloaded package with it.
    slot.clear_flag();
    std::error_code ec;
    if (flag && flag->delete_package_after) fs::remove(flag->package, ec);
    if (module_.power_loss_due(PowerLossPhase::reboot)) return module_.cut_power("during the reboot after the upgrade");
    module_.reboot(false);
    module_.announce_ready();
    return;
  }
}

int Upgrader::check_package(const package::OpenedPackage& opened, std::uint64_t package_size) {
  const auto& m = opened.manifest;
  const auto& profile = module_.profile();
  profiles::PackageFacts package{package_size, m.project, m.source_version, m.target_version, m.space_needed};
  profiles::ModuleFacts facts;
  facts.project = module_.slot().info().project;
  facts.revision = module_.slot().info().version;
  // The package is already in the store.
  facts.free_space = module_.options().faults.fs_full ? 0 : module_.store().free();
  if (auto refusal = profiles::first_refusal(profiles::acceptance_checks(profile, package, facts)))
    return Module::end_code_for(refusal->code);
  if (!package::verify_source(m, module_.slot().root())) return Module::end_code_for(profile.upgrade.source);
  return 0;
}

int Upgrader::attempt(const UpgradeFlag& flag) {
  const auto& profile = module_.profile();
  FirmwareSlot& slot = module_.slot();
  module_.fota_urc({FotaStage::start, 0});
  std::error_code ec;
  const std::uint64_t package_size = fs::file_size(flag.package, ec);
  auto opened = package::open_package(flag.package);
  // Not a dfota package: with --vendor-upgrade-to taken as the vendor's,
  // as a real module takes it; a damaged dfota package stays refused.
  const auto& vendor_revision = module_.options().vendor_upgrade_to;
  if (!opened && vendor_revision) {
    auto zip_like = package::looks_like_zip(flag.package);
    if ((zip_like && !*zip_like) || opened.error().is(package::PackageErrc::manifest_missing))
      return apply_vendor(flag, *vendor_revision);
  }
  if (!opened) {
    module_.log(at::Direction::event, "package refused: " + opened.error().message());
    return Module::end_code_for(profile.upgrade.bad_package);
  }
  if (slot.info().version == opened->manifest.target_version &&
      slot.info().version != opened->manifest.source_version) {
    // Power was cut after the new version went in place: the upgrade is done.
    module_.log(at::Direction::event,
                "the firmware already is " + slot.info().version + ": the interrupted upgrade had completed");
    module_.fota_urc({FotaStage::updating, 100});
    return 0;
  }
  if (int code = check_package(*opened, package_size); code != 0) {
    module_.log(at::Direction::event, "package refused with " + std::to_string(code));
    return code;
  }
  return apply(*opened, flag);
}

int Upgrader::apply(const package::OpenedPackage& opened, const UpgradeFlag& flag) {
  const auto& profile = module_.profile();
  FirmwareSlot& slot = module_.slot();
  UpdatingReports report(module_);
  report(1);
  const auto& faults = module_.options().faults;
  if (faults.fail_code && flag.attempts < faults.fail_times) {
    report(20);
    return *faults.fail_code;
  }
  slot.discard_staging();
  package::ApplyOptions apply_options;
  apply_options.source_verified = true; // by check_package(), just before
  apply_options.on_progress = [&](std::uint64_t done, std::uint64_t total) {
    const int percent = total == 0 ? 99 : static_cast<int>(1 + done * 98 / total);
    report(percent);
    if (module_.power_loss_due(PowerLossPhase::updating, percent)) {
      module_.cut_power("at UPDATING " + std::to_string(percent) + "%");
      return false;
    }
    return !module_.stopping();
  };
  auto applied = package::apply_package(opened, slot.root(), slot.staging(), apply_options);
  if (module_.power_lost()) return -1;
  if (!applied && module_.stopping()) return -1; // shut down mid-apply: resumes like a power loss
  if (!applied) {
    module_.log(at::Direction::event, "apply failed: " + applied.error().message());
    slot.discard_staging();
    if (applied.error().is(package::PackageErrc::source_mismatch)) return Module::end_code_for(profile.upgrade.source);
    if (applied.error().is(package::PackageErrc::payload_mismatch) ||
        applied.error().is(package::PackageErrc::target_mismatch))
      return Module::end_code_for(profile.upgrade.corrupt_payload);
    return Module::end_code_for(profile.upgrade.failed);
  }
  return put_in_place(std::ref(report));
}

int Upgrader::put_in_place(const std::function<void(int)>& report) {
  const auto& profile = module_.profile();
  FirmwareSlot& slot = module_.slot();
  if (module_.power_loss_due(PowerLossPhase::swap)) {
    if (auto ok = slot.move_current_aside(); !ok) module_.log(at::Direction::event, ok.error().message());
    module_.cut_power("with the old firmware moved aside and the new one staged");
    return -1;
  }
  if (auto ok = slot.replace_with_staging(); !ok) {
    module_.log(at::Direction::event, "cannot put the new firmware in place: " + ok.error().message());
    return Module::end_code_for(profile.upgrade.failed);
  }
  if (module_.power_loss_due(PowerLossPhase::commit)) {
    module_.cut_power("with the new firmware in place and the upgrade flag still set");
    return -1;
  }
  report(100);
  module_.log(at::Direction::event, "firmware now " + slot.info().version);
  return 0;
}

int Upgrader::apply_vendor(const UpgradeFlag& flag, const std::string& revision) {
  FirmwareSlot& slot = module_.slot();
  UpdatingReports report(module_);
  module_.log(at::Direction::event, "vendor package: nothing inside is checked; the module comes up on " + revision);
  report(1);
  const auto& faults = module_.options().faults;
  if (faults.fail_code && flag.attempts < faults.fail_times) {
    report(20);
    return *faults.fail_code;
  }
  if (slot.info().version == revision) {
    report(100);
    return 0; // already there (or an interrupted upgrade had completed)
  }
  slot.discard_staging();
  for (int percent = 10; percent <= 90; percent += 10) {
    report(percent);
    if (module_.power_loss_due(PowerLossPhase::updating, percent)) {
      module_.cut_power("at UPDATING " + std::to_string(percent) + "%");
      return -1;
    }
    if (module_.stopping()) return -1;
  }
  if (auto ok = stage_with_revision(slot, revision); !ok) {
    module_.log(at::Direction::event, "cannot stage the vendor firmware: " + ok.error().message());
    slot.discard_staging();
    return Module::end_code_for(module_.profile().upgrade.failed);
  }
  return put_in_place(std::ref(report));
}

} // namespace dfota::sim
