// A simulated module served from a thread of the test, on a real pty, with
// its own copy of the sample firmware v1; and the packages between the
// sample versions, built once.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "profiles/profile.hpp"
#include "sim/simulator.hpp"
#include "support/test_support.hpp"
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
  // The firmware starts as a copy of sample v1.
  SimHarness();
  ~SimHarness();

  // Options preset for tests: no reboot delay, short boot wait and guard time.
  sim::SimOptions options(const std::string& profile_id);
  // Starts the simulator thread; false when it could not be created.
  bool start(sim::SimOptions options);
  // Waits for the simulator to end (power loss) or stops it.
  Status stop();
  Status wait_for_end(int timeout_ms);

  upload::UploadOptions upload_options(const fs::path& package, const std::string& method = "auto") const;
  upload::UploadOutcome upload(const upload::UploadOptions& options, const std::string& profile_id);

  const fs::path& firmware() const { return firmware_; }
  const fs::path& link() const { return link_; }
  const fs::path& dir() const { return dir_.path(); }
  std::string log() const;

private:
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

} // namespace dfota::test
