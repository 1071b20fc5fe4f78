// The exit codes of `dfota`, documented in README.md and `dfota --help`.
// They are part of the interface that scripts rely on: never renumber.
#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"

namespace dfota::cli {

enum ExitCode : int {
  kOk = 0,
  kInternal = 1,            // a bug: please report it
  kUsage = 2,               // bad command line
  kIoError = 3,             // cannot read an input or write an output
  kPackageNotFound = 4,     // the package file does not exist
  kPackageEmpty = 5,        // the package file is empty
  kNotAZip = 6,             // not a zip archive
  kCorruptZip = 7,          // zip truncated or damaged
  kManifestMissing = 8,     // no manifest.json
  kManifestInvalid = 9,     // manifest.json is not a valid manifest
  kUnsupportedVersion = 10, // unknown package format major version
  kPayloadMismatch = 11,    // a payload differs from the manifest, or cannot be decoded
  kUnsafeEntry = 12,        // an entry path with "..", absolute, or duplicated
  kSourceMismatch = 13,     // the source firmware is not the one the package is for
  kTargetMismatch = 14,     // the result differs from the announced target
  kBadFirmware = 15,        // a firmware directory is malformed
  kOutputExists = 16,       // the output is in the way
  kEngineUnavailable = 17,  // the engine cannot encode here (xdelta3 missing)
  kLimitExceeded = 18,      // input beyond a safety limit
  kValidationFailed = 20,   // validate: at least one rule predicts a module error
  kProfileError = 21,       // a module profile or the error catalogue is missing or malformed
  kPowerLost = 22,          // sim: the power-loss fault fired; run it again to resume the upgrade
  kPortError = 23,          // a serial port, pseudo-terminal or TCP port cannot be opened or set up
};

struct ExitCodeDoc {
  int code;
  const char* name;
  const char* meaning;
};
const std::vector<ExitCodeDoc>& exit_code_table();

// The exit code for a library error.
int exit_code_for(const Error& error);

} // namespace dfota::cli
