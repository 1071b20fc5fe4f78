#include "support/sim_harness.hpp"

#include <chrono>

#include "package/builder.hpp"

namespace dfota::test {

const SamplePackages& sample_packages() {
  static ScratchDir dir;
  static SamplePackages packages = [] {
    SamplePackages p{dir / "update-v1-to-v2.zip", dir / "update-v2-to-v1.zip", dir / "other-project.zip"};
    package::BuildOptions options;
    options.engine = "zstd";
    if (!package::build_package(sample_firmware("v1"), sample_firmware("v2"), p.forward, options)) std::abort();
    if (!package::build_package(sample_firmware("v2"), sample_firmware("v1"), p.reverse, options)) std::abort();
    options.project = "EC21EUGA";
    if (!package::build_package(sample_firmware("v1"), sample_firmware("v2"), p.other_project, options)) std::abort();
    return p;
  }();
  return packages;
}

const profiles::Registry& registry() {
  static profiles::Registry loaded = *profiles::Registry::load(source_dir() / "formats");
  return loaded;
}

SimHarness::SimHarness() : firmware_(dir_ / "firmware"), link_(dir_ / "module0") {
  fs::copy(sample_firmware("v1"), firmware_, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
}

SimHarness::~SimHarness() { (void)stop(); }

sim::SimOptions SimHarness::options(const std::string& profile_id) {
  sim::SimOptions o;
  o.profile = *registry().find(profile_id);
  o.registry = &registry();
  o.firmware = firmware_;
  o.link = link_;
  o.state = dir_ / "state";
  o.reboot_delay = transport::Duration(0);
  o.boot_wait = transport::Duration(2000);
  o.guard_time = transport::Duration(200);
  o.log = [this](at::Direction direction, std::string_view text) {
    std::lock_guard lock(log_mutex_);
    log_ += sim::module_log_line(direction, text) + "\n";
  };
  return o;
}

bool SimHarness::start(sim::SimOptions options) {
  if (thread_.joinable()) return false;
  auto created = sim::Simulator::create(std::move(options));
  if (!created) {
    std::lock_guard lock(log_mutex_);
    log_ += "create failed: " + created.error().message() + "\n";
    return false;
  }
  sim_ = std::move(*created);
  stop_ = false;
  ended_ = false;
  thread_ = std::thread([this] {
    result_ = sim_->run(stop_);
    ended_ = true;
  });
  return true;
}

Status SimHarness::wait_for_end(int timeout_ms) {
  for (int waited = 0; !ended_ && waited < timeout_ms; waited += 10)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return stop();
}

Status SimHarness::stop() {
  if (!thread_.joinable()) return result_;
  stop_ = true;
  thread_.join();
  sim_.reset();
  return result_;
}

upload::UploadOptions SimHarness::upload_options(const fs::path& package, const std::string& method) const {
  upload::UploadOptions o;
  o.package = package;
  o.port = link_.string();
  o.method = method;
  o.guard_time = transport::Duration(200);
  o.timeouts.urc_gap = transport::Duration(15000);
  o.timeouts.port_back = transport::Duration(15000);
  o.timeouts.version = transport::Duration(10000);
  o.timeouts.total = transport::Duration(60000);
  return o;
}

upload::UploadOutcome SimHarness::upload(const upload::UploadOptions& options, const std::string& profile_id) {
  return upload::run_upload(options, *registry().find(profile_id), registry());
}

std::string SimHarness::log() const {
  std::lock_guard lock(log_mutex_);
  return log_;
}

} // namespace dfota::test
