// A simulated module served from a thread of the test, with its own copy of
// the sample firmware v1; and the packages between the sample versions,
// built once.
//
// By default the module and the host meet on an in-memory port, on a
// VirtualClock: reboot delays and timeouts cost no real time. The module's
// thread and the thread running upload() take part in the clock; from
// start() until the first upload(), stop() or wait_for_end() time stands
// still, so that the module waits for the test's host as for a fast one. SimHarness(Wire::pty) serves a real
// pseudo-terminal on real time, for tests of what only a terminal shows.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "profiles/profile.hpp"
#include "sim/simulator.hpp"
#include "support/test_support.hpp"
#include "transport/memory_ports.hpp"
#include "transport/virtual_clock.hpp"
#include "upload/uploader.hpp"

namespace dfota::test {

// Built once per test program under a scratch directory.
struct SamplePackages {
  fs::path forward;       // v1 -> v2
  fs::path reverse;       // v2 -> v1
  fs::path other_project; // v1 -> v2 labelled for another project
};
const SamplePackages& sample_packages();
const profiles::Registry& registry();

class SimHarness {
public:
  enum class Wire { memory, pty };
  // The firmware starts as a copy of sample v1.
  explicit SimHarness(Wire wire = Wire::memory);
  ~SimHarness();

  // Options preset for tests: no reboot delay, short boot wait and guard time.
  sim::SimOptions options(const std::string& profile_id);
  // Starts the simulator thread; false when it could not be created.
  bool start(sim::SimOptions options);
  // After a power loss, time stands still until start() brings the module
  // back: for tests that restart it while a host waits (memory only).
  // Without it a host waiting for the port sees it never come back.
  void hold_time_after_power_loss() { hold_after_power_loss_ = true; }
  // Waits for the simulator to end (power loss) or stops it.
  Status stop();
  Status wait_for_end(int timeout_ms);

  upload::UploadOptions upload_options(const fs::path& package, const std::string& method = "auto") const;
  // run_upload() on this harness's clock and ports; `ports` replaces them
  // (a wrapper of ports()).
  upload::UploadOutcome upload(const upload::UploadOptions& options, const std::string& profile_id,
                               std::function<void(const upload::UploadEvent&)> events = {},
                               at::ConversationLog log = {}, transport::PortOpener* ports = nullptr);
  // The calling thread takes part in the clock as the host while the
  // result lives (nothing on a pty), for tests that talk to the module
  // without upload().
  class HostTakesPart;
  std::unique_ptr<HostTakesPart> take_part_as_host();
  // What the host reaches the module by, and the time both sides keep.
  transport::PortOpener& ports();
  transport::Clock& clock();

  const fs::path& firmware() const { return firmware_; }
  const fs::path& link() const { return link_; }
  const fs::path& dir() const { return dir_.path(); }
  std::string log() const;

private:
  Wire wire_;
  transport::VirtualClock virtual_clock_;
  transport::MemoryPorts memory_ports_{virtual_clock_};
  // Time stands still until the host takes part (memory only).
  void release_hold();
  std::mutex hold_mutex_;
  std::unique_ptr<transport::VirtualClock::Hold> until_host_;
  int hosts_taking_part_ = 0;
  bool hold_after_power_loss_ = false;
  std::unique_ptr<transport::VirtualClock::Hold> until_power_back_; // after a power loss
  ScratchDir dir_;
  fs::path firmware_;
  fs::path link_;
  std::unique_ptr<sim::Simulator> sim_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> ended_{false};
  Status result_;
  mutable std::mutex log_mutex_;
  std::string log_;
};

class SimHarness::HostTakesPart {
public:
  explicit HostTakesPart(SimHarness& harness);
  ~HostTakesPart();

private:
  SimHarness& harness_;
  transport::VirtualClock::Participant participant_;
};

} // namespace dfota::test
