// Applying a package to a source firmware directory.
#pragma once

#include <filesystem>
#include <functional>
#include <vector>

#include "package/package_reader.hpp"
#include "signing/keys.hpp"

namespace dfota::package {

// Checks that `source_dir` holds exactly the firmware the package was built
// from: every partition's size and SHA-256 (trees by their canonical
// listing), and no partition the package does not know. Reads only. Fails
// with PackageErrc::source_mismatch naming the partition (or file) and both
// hashes.
Status verify_source(const Manifest& manifest, const std::filesystem::path& source_dir);

struct ApplyOptions {
  // Called after each partition and each file of a tree with the target bytes
  // produced so far and the total; returning false stops the apply, which then
  // fails with CoreErrc::cancelled and leaves nothing at the output.
  std::function<bool(std::uint64_t done, std::uint64_t total)> on_progress;
  // When not empty, the package must be signed by one of these keys; that
  // (and every payload) is checked before anything else, even the output
  // path (package::verify_package).
  std::vector<signing::PublicKey> trusted_keys;
  // Setuid, setgid, sticky and world-writable bits are kept only for a
  // package verified with `trusted_keys`, or when this is set: an unsigned
  // package could otherwise plant a setuid program in the result. They are
  // dropped after every result was checked against the manifest, so the
  // checks see the modes the package states.
  bool keep_special_modes = false;
  // Replace an output directory that exists and is not empty (dfota apply
  // --force): the old one is removed only once the new one is whole and in
  // place. Otherwise such an output is refused with PackageErrc::output_exists.
  bool replace_output = false;
  // The caller ran verify_source() on this source and manifest just before
  // (the simulator's acceptance checks): the source is not hashed again.
  bool source_verified = false;
};

struct ApplyResult {
  Manifest manifest;
  std::uint64_t bytes_written = 0;
  // Paths (relative to the output) whose special mode bits were dropped.
  std::vector<std::string> special_modes_dropped;
};

// Verifies the source first, then writes the target firmware to `output_dir`
// (which must not exist, or be an empty directory), checking every payload
// and every result against the manifest. Work happens in a temporary sibling
// directory renamed onto `output_dir` at the end: on any failure nothing is
// left at `output_dir` and nothing is written anywhere else.
Expected<ApplyResult> apply_package(const OpenedPackage& package, const std::filesystem::path& source_dir,
                                    const std::filesystem::path& output_dir, const ApplyOptions& options = {});

Expected<ApplyResult> apply_package(const std::filesystem::path& package, const std::filesystem::path& source_dir,
                                    const std::filesystem::path& output_dir, const ApplyOptions& options = {});

} // namespace dfota::package
