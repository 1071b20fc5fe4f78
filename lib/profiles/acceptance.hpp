// The checks a module of a family makes on a package before it applies it,
// as the family's guide and profile state them: package size, project,
// source version, space. One function, called by the validator (predicting
// the module's answer before anything is sent) and by the simulator (being
// the module): the two can never disagree on a rule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "profiles/profile.hpp"

namespace dfota::profiles {

// What the package states.
struct PackageFacts {
  std::uint64_t size = 0;
  std::string project;
  std::string source_version;
  std::string target_version;
  std::uint64_t space_needed = 0; // bytes free the module needs (the caller knows whether the package is stored yet)
};

// What is known of the module; a check whose input is unknown is not made.
struct ModuleFacts {
  std::optional<std::string> project;
  std::optional<std::string> revision; // as it prints it
  std::optional<std::uint64_t> free_space;
};

enum class Check { size, project, version, space };
const char* to_string(Check check);

struct CheckResult {
  Check check;
  bool passed = true;
  int code = 0;                // the module's code when it fails (the profile's upgrade.codes)
  bool already_target = false; // version: the module already runs the package's target
};

// The checks, in the module's order, each made when its inputs are known
// (size: only when the family states a limit).
std::vector<CheckResult> acceptance_checks(const Profile& profile, const PackageFacts& package,
                                           const ModuleFacts& module);

// The first check that fails; nullopt when the module takes the package.
// (Its code may be 0: the family's guide names none.)
std::optional<CheckResult> first_refusal(const std::vector<CheckResult>& checks);

} // namespace dfota::profiles
