#include "profiles/revision.hpp"

#include <regex>

namespace dfota::profiles {

Revision parse_revision(const std::string& text) {
  Revision r;
  auto underscore = text.find('_');
  r.base = text.substr(0, underscore);
  if (underscore != std::string::npos) r.sub_version = text.substr(underscore + 1);
  static const std::regex release("R[0-9]+A[0-9]+");
  std::smatch m;
  if (std::regex_search(r.base, m, release))
    r.project = r.base.substr(0, static_cast<std::size_t>(m.position(0)));
  else
    r.project = r.base;
  return r;
}

bool runs_revision(const std::string& module_revision, const std::string& package_version) {
  if (module_revision == package_version) return true;
  const Revision module = parse_revision(module_revision);
  return module.sub_version.empty() && parse_revision(package_version).base == module.base;
}

bool same_project(const std::string& module_project, const std::string& package_project) {
  return module_project == package_project || module_project == parse_revision(package_project).project;
}

} // namespace dfota::profiles
