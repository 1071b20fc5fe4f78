#include "profiles/acceptance.hpp"

#include "profiles/revision.hpp"

namespace dfota::profiles {

const char* to_string(Check check) {
  switch (check) {
  case Check::size: return "size";
  case Check::project: return "project";
  case Check::version: return "version";
  case Check::space: return "space";
  }
  return "?";
}

std::vector<CheckResult> acceptance_checks(const Profile& profile, const PackageFacts& package,
                                           const ModuleFacts& module) {
  const auto& codes = profile.upgrade;
  std::vector<CheckResult> checks;
  if (profile.max_package_size) {
    const bool fits = package.size <= *profile.max_package_size;
    checks.push_back({Check::size, fits, fits ? 0 : codes.too_large});
  }
  if (module.project) {
    const bool same = same_project(*module.project, package.project);
    checks.push_back({Check::project, same, same ? 0 : codes.project});
  }
  if (module.revision) {
    const bool source = runs_revision(*module.revision, package.source_version);
    CheckResult version{Check::version, source, source ? 0 : codes.version};
    version.already_target = !source && runs_revision(*module.revision, package.target_version);
    checks.push_back(version);
  }
  if (module.free_space) {
    const bool room = package.space_needed <= *module.free_space;
    checks.push_back({Check::space, room, room ? 0 : codes.space});
  }
  return checks;
}

std::optional<CheckResult> first_refusal(const std::vector<CheckResult>& checks) {
  for (const auto& c : checks)
    if (!c.passed) return c;
  return std::nullopt;
}

} // namespace dfota::profiles
