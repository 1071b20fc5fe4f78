#include "sim/upgrader.hpp"

#include "package/applier.hpp"
#include "profiles/acceptance.hpp"

namespace dfota::sim {

namespace fs = std::filesystem;
using at::FotaStage;

void Upgrader::begin(const fs::path& package, bool delete_after) {
  const auto& profile = module_.profile();
  if (auto ok = module_.slot().set_flag({package, delete_after, 0}); !ok) {
    module_.log("* cannot set the upgrade flag: " + ok.error().message());
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
      if (flag && profile.module_retries(code) && attempts < profile.retry_attempts) {
        flag->attempts = attempts;
        (void)slot.set_flag(*flag);
        module_.log("* attempt " + std::to_string(attempts) + " failed with " + std::to_string(code) + ": retrying");
        module_.reboot(true);
        continue;
      }
      module_.log("* upgrade failed with " + std::to_string(code) + ": the module keeps " + slot.info().version);
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
  if (!opened) {
    module_.log("* package refused: " + opened.error().message());
    return Module::end_code_for(profile.upgrade.bad_package);
  }
  if (slot.info().version == opened->manifest.target_version &&
      slot.info().version != opened->manifest.source_version) {
    // Power was cut after the new version went in place: the upgrade is done.
    module_.log("* the firmware already is " + slot.info().version + ": the interrupted upgrade had completed");
    module_.fota_urc({FotaStage::updating, 100});
    return 0;
  }
  if (int code = check_package(*opened, package_size); code != 0) {
    module_.log("* package refused with " + std::to_string(code));
    return code;
  }
  return apply(*opened, flag);
}

int Upgrader::apply(const package::OpenedPackage& opened, const UpgradeFlag& flag) {
  const auto& profile = module_.profile();
  FirmwareSlot& slot = module_.slot();
  int reported = 0;
  auto report = [&](int percent) {
    if (percent <= reported) return;
    reported = percent;
    module_.fota_urc({FotaStage::updating, percent});
  };
  report(1);
  const auto& faults = module_.options().faults;
  if (faults.fail_code && flag.attempts < faults.fail_times) {
    report(20);
    return *faults.fail_code;
  }
  slot.discard_staging();
  package::ApplyOptions apply_options;
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
    module_.log("* apply failed: " + applied.error().message());
    slot.discard_staging();
    if (applied.error().is(package::PackageErrc::source_mismatch)) return Module::end_code_for(profile.upgrade.source);
    if (applied.error().is(package::PackageErrc::payload_mismatch) ||
        applied.error().is(package::PackageErrc::target_mismatch))
      return Module::end_code_for(profile.upgrade.corrupt_payload);
    return Module::end_code_for(profile.upgrade.failed);
  }
  if (module_.power_loss_due(PowerLossPhase::swap)) {
    if (auto ok = slot.move_current_aside(); !ok) module_.log("* " + ok.error().message());
    module_.cut_power("with the old firmware moved aside and the new one staged");
    return -1;
  }
  if (auto ok = slot.replace_with_staging(); !ok) {
    module_.log("* cannot put the new firmware in place: " + ok.error().message());
    return Module::end_code_for(profile.upgrade.failed);
  }
  if (module_.power_loss_due(PowerLossPhase::commit)) {
    module_.cut_power("with the new firmware in place and the upgrade flag still set");
    return -1;
  }
  report(100);
  module_.log("* firmware now " + slot.info().version);
  return 0;
}

} // namespace dfota::sim
