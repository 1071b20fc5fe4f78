// The upload area's error category, in a file of its own so that a program
// can map errors to exit codes without linking the rest of the area.
#include "upload/uploader.hpp"

#include <string>

namespace dfota::upload {

namespace {
const char* describe(UploadErrc value) {
  switch (value) {
  case UploadErrc::validation_refused: return "refused by pre-flight validation";
  case UploadErrc::transfer_failed: return "transfer failed";
  case UploadErrc::module_error: return "the module reported an error";
  case UploadErrc::timeout: return "timed out";
  case UploadErrc::port_lost: return "port lost";
  case UploadErrc::not_supported: return "method not supported";
  case UploadErrc::wrong_version: return "wrong version after the upgrade";
  case UploadErrc::no_module: return "no module";
  case UploadErrc::modem_manager: return "ModemManager did not leave the module alone";
  }
  return nullptr;
}
} // namespace

const std::error_category& upload_category() {
  static const EnumErrorCategory<UploadErrc> category("upload", describe, "unknown upload error");
  return category;
}

std::error_code make_error_code(UploadErrc value) { return {static_cast<int>(value), upload_category()}; }

} // namespace dfota::upload
