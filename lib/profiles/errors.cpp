// The profiles area's error category, in a file of its own so that a program
// can map errors to exit codes without linking the rest of the area.
#include "profiles/profile.hpp"

#include <string>

namespace dfota::profiles {

namespace {
const char* describe(ProfileErrc value) {
  switch (value) {
  case ProfileErrc::not_found: return "profile not found";
  case ProfileErrc::syntax: return "profile is not valid JSON";
  case ProfileErrc::missing_field: return "profile field missing";
  case ProfileErrc::bad_value: return "profile field has a bad value";
  case ProfileErrc::unknown_name: return "no such profile or error code";
  }
  return nullptr;
}
} // namespace

const std::error_category& profile_category() {
  static const EnumErrorCategory<ProfileErrc> category("profile", describe, "unknown profile error");
  return category;
}

std::error_code make_error_code(ProfileErrc value) { return {static_cast<int>(value), profile_category()}; }

} // namespace dfota::profiles
