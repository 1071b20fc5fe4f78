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

SimHarness::SimHarness(Wire wire) : wire_(wire), firmware_(dir_ / "firmware"), link_(dir_ / "module0") {
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
  if (wire_ == Wire::memory) {
    o.clock = &virtual_clock_;
    o.make_port = [this](const fs::path& link, transport::Clock&) { return memory_ports_.plug(link.string()); };
  }
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
  std::unique_ptr<transport::VirtualClock::Hold> until_module;
  if (wire_ == Wire::memory) {
    std::lock_guard lock(hold_mutex_);
    if (!until_host_ && hosts_taking_part_ == 0)
      until_host_ = std::make_unique<transport::VirtualClock::Hold>(virtual_clock_);
    until_module = std::make_unique<transport::VirtualClock::Hold>(virtual_clock_);
  }
  thread_ = std::thread([this, hold = std::move(until_module)]() mutable {
    std::optional<transport::VirtualClock::Participant> module_takes_part;
    if (wire_ == Wire::memory) module_takes_part.emplace(virtual_clock_);
    hold.reset(); // the module's thread takes over
    {
      std::lock_guard lock(hold_mutex_);
      until_power_back_.reset();
    }
    result_ = sim_->run(stop_);
    if (wire_ == Wire::memory && !stop_ && hold_after_power_loss_) {
      // Power lost: time stands still until the test starts the module again.
      std::lock_guard lock(hold_mutex_);
      until_power_back_ = std::make_unique<transport::VirtualClock::Hold>(virtual_clock_);
    }
    ended_ = true;
  });
  return true;
}

Status SimHarness::wait_for_end(int timeout_ms) {
  release_hold(); // the module (and a host, if one runs) move the time now
  for (int waited = 0; !ended_ && waited < timeout_ms; waited += 10)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return stop();
}

Status SimHarness::stop() {
  if (!thread_.joinable()) return result_;
  stop_ = true;
  release_hold();
  virtual_clock_.change([] {}); // a module waiting on the clock looks at stop_
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

upload::UploadOutcome SimHarness::upload(const upload::UploadOptions& options, const std::string& profile_id,
                                         std::function<void(const upload::UploadEvent&)> events,
                                         at::ConversationLog log, transport::PortOpener* ports) {
  const auto host_takes_part = take_part_as_host();
  return upload::run_upload(options, *registry().find(profile_id), registry(), std::move(events), std::move(log),
                            clock(), ports ? *ports : this->ports());
}

std::unique_ptr<SimHarness::HostTakesPart> SimHarness::take_part_as_host() {
  if (wire_ != Wire::memory) return nullptr;
  return std::make_unique<HostTakesPart>(*this);
}

SimHarness::HostTakesPart::HostTakesPart(SimHarness& harness)
    : harness_(harness), participant_(harness.virtual_clock_) {
  {
    std::lock_guard lock(harness_.hold_mutex_);
    ++harness_.hosts_taking_part_;
  }
  harness_.release_hold(); // this thread moves the time now
}

SimHarness::HostTakesPart::~HostTakesPart() {
  std::lock_guard lock(harness_.hold_mutex_);
  --harness_.hosts_taking_part_;
}

void SimHarness::release_hold() {
  std::lock_guard lock(hold_mutex_);
  until_host_.reset();
}

transport::PortOpener& SimHarness::ports() {
  return wire_ == Wire::memory ? static_cast<transport::PortOpener&>(memory_ports_) : transport::system_ports();
}

transport::Clock& SimHarness::clock() {
  return wire_ == Wire::memory ? static_cast<transport::Clock&>(virtual_clock_) : transport::steady_clock();
}

std::string SimHarness::log() const {
  std::lock_guard lock(log_mutex_);
  return log_;
}

} // namespace dfota::test
