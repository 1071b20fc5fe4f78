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
  kValidationFailed = 20,   // validate, release: a rule predicts a module error; upload: the pre-flight refused
  kProfileError = 21,       // a module profile or the error catalogue is missing or malformed
  kPowerLost = 22,          // sim: the power-loss fault fired; run it again to resume the upgrade
  kPortError = 23,          // a serial port, pseudo-terminal or TCP port cannot be opened or set up
  kTransferFailed = 24,     // upload: the transfer did not complete or the module's checksum differs
  kModuleError = 25,        // upload: the module reported a download or upgrade error code
  kTimeout = 26,            // upload: the module stopped answering or reporting in time
  kPortLost = 27,           // upload: the port went away and did not come back
  kWrongVersion = 28,       // upload: afterwards the module does not run the target version
  kNoModule = 29,           // upload: nothing answers AT, or the family cannot be told
  kMethodUnsupported = 30,  // upload: the family does not offer that method
  kSignatureRefused = 31,   // the package is unsigned, signed by an untrusted key, or its signature fails
  kKeyError = 32,           // a key file cannot be read, is not a PEM key, or is of an unsupported type
  kModemManager = 33,       // upload: --modemmanager inhibit and ModemManager did not leave the module alone
  kReplayDiverged = 34,     // sim --replay: the host did not send what the recording has
  kBadRecording = 35,       // sim --replay: the log is not a recording of a session with a module
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
