#include "core/error.hpp"

#include <cerrno>
#include <cstring>

namespace dfota {

Error Error::with_context(std::string_view context) const {
  std::string text(context);
  text += ": ";
  text += message_;
  return Error(code_, std::move(text));
}

namespace {
const char* describe(CoreErrc value) {
  switch (value) {
  case CoreErrc::io_error: return "input/output error";
  case CoreErrc::not_found: return "not found";
  case CoreErrc::permission_denied: return "permission denied";
  case CoreErrc::already_exists: return "already exists";
  case CoreErrc::invalid_input: return "invalid input";
  case CoreErrc::truncated: return "truncated input";
  case CoreErrc::limit_exceeded: return "limit exceeded";
  case CoreErrc::unsafe_path: return "unsafe path";
  case CoreErrc::subprocess_failed: return "helper program failed";
  case CoreErrc::unsupported: return "unsupported";
  case CoreErrc::cancelled: return "cancelled";
  }
  return nullptr;
}
} // namespace

const std::error_category& core_category() {
  static const EnumErrorCategory<CoreErrc> category("core", describe, "unknown core error");
  return category;
}

std::error_code make_error_code(CoreErrc value) { return {static_cast<int>(value), core_category()}; }

Error system_error(std::string_view what, int errno_value) {
  CoreErrc code = CoreErrc::io_error;
  switch (errno_value) {
  case ENOENT:
  case ENOTDIR: code = CoreErrc::not_found; break;
  case EACCES:
  case EPERM:
  case EROFS: code = CoreErrc::permission_denied; break;
  case EEXIST:
  case ENOTEMPTY: code = CoreErrc::already_exists; break;
  default: break;
  }
  std::string text(what);
  text += ": ";
  text += std::strerror(errno_value);
  return make_error(code, std::move(text));
}

} // namespace dfota
