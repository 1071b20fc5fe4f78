#include "cli/exit_codes.hpp"

#include "delta/engine.hpp"
#include "firmware/firmware.hpp"
#include "package/errors.hpp"
#include "profiles/profile.hpp"
#include "signing/keys.hpp"
#include "sim/errors.hpp"
#include "transport/transport.hpp"
#include "upload/uploader.hpp"

namespace dfota::cli {

const std::vector<ExitCodeDoc>& exit_code_table() {
  static const std::vector<ExitCodeDoc> table{
      {kOk, "ok", "success"},
      {kInternal, "internal", "internal error (a bug)"},
      {kUsage, "usage", "bad command line (an unknown verb, option, profile id or error code, an empty value)"},
      {kIoError, "io", "cannot read an input or write an output (an output's folder must exist)"},
      {kPackageNotFound, "package-not-found", "the package file does not exist"},
      {kPackageEmpty, "package-empty", "the package file is empty"},
      {kNotAZip, "not-a-zip", "the package is not a zip archive"},
      {kCorruptZip, "corrupt-zip", "the zip archive is truncated or damaged"},
      {kManifestMissing, "manifest-missing", "the package has no manifest.json"},
      {kManifestInvalid, "manifest-invalid", "manifest.json is not a valid manifest"},
      {kUnsupportedVersion, "unsupported-version", "the package format version is not supported"},
      {kPayloadMismatch, "payload-mismatch", "a payload differs from the manifest or cannot be decoded"},
      {kUnsafeEntry, "unsafe-entry",
       "an entry path is absolute, has '..', is duplicated or not named by the manifest, or the container breaks the "
       "format's rules"},
      {kSourceMismatch, "source-mismatch", "the source firmware is not the one the package is for"},
      {kTargetMismatch, "target-mismatch", "the result differs from the target the package announces"},
      {kBadFirmware, "bad-firmware", "a firmware directory is malformed"},
      {kOutputExists, "output-exists", "the output exists (--force replaces it), or lies inside a firmware directory"},
      {kEngineUnavailable, "engine-unavailable", "the engine cannot encode on this machine"},
      {kLimitExceeded, "limit-exceeded", "the input exceeds a safety limit"},
      {kValidationFailed, "validation-failed",
       "validate, release: a module is predicted to refuse the package; upload: the pre-flight refused it"},
      {kProfileError, "profile-error", "a module profile or the error catalogue is missing or malformed"},
      {kPowerLost, "power-lost", "sim: the power-loss fault fired; start it again to resume the upgrade"},
      {kPortError, "port-error", "a serial port, pseudo-terminal or TCP port cannot be opened or set up"},
      {kTransferFailed, "transfer-failed", "upload: the transfer did not complete or the checksum differs"},
      {kModuleError, "module-error", "upload: the module reported a download or upgrade error code"},
      {kTimeout, "timeout", "upload: the module stopped answering or reporting in time"},
      {kPortLost, "port-lost", "upload: the port went away and did not come back"},
      {kWrongVersion, "wrong-version", "upload: afterwards the module does not run the target version"},
      {kNoModule, "no-module", "upload: nothing answers AT, or the module family cannot be told"},
      {kMethodUnsupported, "method-unsupported", "upload: the module family does not offer that method"},
      {kSignatureRefused, "signature-refused",
       "the package is unsigned, signed by an untrusted key, or its signature does not verify"},
      {kKeyError, "key-error", "a key file cannot be read, is not a PEM key, or is of an unsupported type"},
      {kModemManager, "modemmanager",
       "upload, probe: with --modemmanager inhibit, ModemManager is not running, does not manage the port, or refused "
       "to leave the module alone"},
      {kReplayDiverged, "replay-diverged",
       "sim --replay: the host sent another command than the recording has, or none in time"},
      {kBadRecording, "bad-recording", "sim --replay: the log is not a recording of a session with a module"},
  };
  return table;
}

int exit_code_for(const Error& error) {
  const auto& cat = error.code().category();
  const int v = error.code().value();
  if (cat == package::package_category()) {
    switch (static_cast<package::PackageErrc>(v)) {
    case package::PackageErrc::not_found: return kPackageNotFound;
    case package::PackageErrc::empty: return kPackageEmpty;
    case package::PackageErrc::not_a_zip: return kNotAZip;
    case package::PackageErrc::corrupt_zip: return kCorruptZip;
    case package::PackageErrc::manifest_missing: return kManifestMissing;
    case package::PackageErrc::manifest_invalid: return kManifestInvalid;
    case package::PackageErrc::unsupported_version: return kUnsupportedVersion;
    case package::PackageErrc::payload_mismatch: return kPayloadMismatch;
    case package::PackageErrc::unsafe_entry: return kUnsafeEntry;
    case package::PackageErrc::source_mismatch: return kSourceMismatch;
    case package::PackageErrc::target_mismatch: return kTargetMismatch;
    case package::PackageErrc::limit_exceeded: return kLimitExceeded;
    case package::PackageErrc::output_exists: return kOutputExists;
    case package::PackageErrc::bad_firmware_pair: return kBadFirmware;
    }
  }
  if (cat == delta::delta_category()) {
    switch (static_cast<delta::DeltaErrc>(v)) {
    case delta::DeltaErrc::unknown_engine: return kUsage;
    case delta::DeltaErrc::engine_unavailable: return kEngineUnavailable;
    case delta::DeltaErrc::corrupt_payload:
    case delta::DeltaErrc::wrong_size: return kPayloadMismatch;
    case delta::DeltaErrc::limit_exceeded: return kLimitExceeded;
    case delta::DeltaErrc::encode_failed: return kInternal;
    case delta::DeltaErrc::wrong_source: return kSourceMismatch;
    }
  }
  if (cat == signing::signing_category()) {
    switch (static_cast<signing::SigningErrc>(v)) {
    case signing::SigningErrc::key_unreadable:
    case signing::SigningErrc::key_invalid:
    case signing::SigningErrc::unsupported_key: return kKeyError;
    case signing::SigningErrc::crypto_failed: return kInternal;
    default: return kSignatureRefused;
    }
  }
  if (cat == firmware::firmware_category()) return kBadFirmware;
  if (cat == profiles::profile_category())
    return static_cast<profiles::ProfileErrc>(v) == profiles::ProfileErrc::unknown_name ? kUsage : kProfileError;
  if (cat == sim::sim_category()) {
    switch (static_cast<sim::SimErrc>(v)) {
    case sim::SimErrc::power_lost: return kPowerLost;
    case sim::SimErrc::replay_diverged: return kReplayDiverged;
    case sim::SimErrc::bad_recording: return kBadRecording;
    default: return kUsage;
    }
  }
  if (cat == transport::transport_category()) {
    const auto t = static_cast<transport::TransportErrc>(v);
    return t == transport::TransportErrc::timeout  ? kTimeout
           : t == transport::TransportErrc::closed ? kPortLost
                                                   : kPortError;
  }
  if (cat == upload::upload_category()) {
    switch (static_cast<upload::UploadErrc>(v)) {
    case upload::UploadErrc::validation_refused: return kValidationFailed;
    case upload::UploadErrc::transfer_failed: return kTransferFailed;
    case upload::UploadErrc::module_error: return kModuleError;
    case upload::UploadErrc::timeout: return kTimeout;
    case upload::UploadErrc::port_lost: return kPortLost;
    case upload::UploadErrc::not_supported: return kMethodUnsupported;
    case upload::UploadErrc::wrong_version: return kWrongVersion;
    case upload::UploadErrc::no_module: return kNoModule;
    case upload::UploadErrc::modem_manager: return kModemManager;
    }
  }
  if (cat == core_category()) {
    switch (static_cast<CoreErrc>(v)) {
    case CoreErrc::limit_exceeded: return kLimitExceeded;
    case CoreErrc::unsafe_path: return kUnsafeEntry;
    case CoreErrc::already_exists: return kOutputExists;
    case CoreErrc::subprocess_failed: return kEngineUnavailable;
    case CoreErrc::unsupported:
    case CoreErrc::truncated: return kPayloadMismatch;
    default: return kIoError;
    }
  }
  return kInternal;
}

} // namespace dfota::cli
