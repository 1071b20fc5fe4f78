// The package area's error category, in a file of its own so that a program
// can map errors to exit codes without linking the rest of the area.
#include "package/errors.hpp"

#include "core/error.hpp"

#include <string>

namespace dfota::package {

namespace {
const char* describe(PackageErrc value) {
  switch (value) {
  case PackageErrc::not_found: return "package not found";
  case PackageErrc::empty: return "package is empty";
  case PackageErrc::not_a_zip: return "not a zip archive";
  case PackageErrc::corrupt_zip: return "zip archive is truncated or damaged";
  case PackageErrc::manifest_missing: return "manifest missing";
  case PackageErrc::manifest_invalid: return "manifest invalid";
  case PackageErrc::unsupported_version: return "unsupported format version";
  case PackageErrc::payload_mismatch: return "payload does not match the manifest";
  case PackageErrc::unsafe_entry: return "unsafe entry name";
  case PackageErrc::source_mismatch: return "source firmware does not match";
  case PackageErrc::target_mismatch: return "result does not match the target";
  case PackageErrc::limit_exceeded: return "package exceeds a limit";
  case PackageErrc::output_exists: return "output exists";
  case PackageErrc::bad_firmware_pair: return "firmware versions cannot be paired";
  }
  return nullptr;
}
} // namespace

const std::error_category& package_category() {
  static const EnumErrorCategory<PackageErrc> category("package", describe, "unknown package error");
  return category;
}

std::error_code make_error_code(PackageErrc value) { return {static_cast<int>(value), package_category()}; }

} // namespace dfota::package
