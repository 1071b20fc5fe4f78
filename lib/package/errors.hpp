// Errors of the package area. Each names one way a package or its use can be
// wrong; the command-line tools give each its own exit code.
#pragma once

#include <system_error>

namespace dfota::package {

enum class PackageErrc {
  not_found = 1,       // the package file does not exist
  empty,               // the package file has no bytes
  not_a_zip,           // the file is not a ZIP archive
  corrupt_zip,         // a ZIP archive that is truncated or damaged
  manifest_missing,    // no manifest.json
  manifest_invalid,    // manifest.json is not a valid manifest
  unsupported_version, // a format major version this program does not know
  payload_mismatch,    // a payload's size or hash differs from the manifest
  unsafe_entry,        // an entry name with "..", an absolute path, or a duplicate
  source_mismatch,     // the source firmware is not the one the package is for
  target_mismatch,     // the applied result differs from the announced target
  limit_exceeded,      // the package exceeds a safety limit
  output_exists,       // the output path is in the way
  bad_firmware_pair,   // the two firmware versions cannot be paired
};

const std::error_category& package_category();
std::error_code make_error_code(PackageErrc value);

} // namespace dfota::package

template <> struct std::is_error_code_enum<dfota::package::PackageErrc> : std::true_type {};
