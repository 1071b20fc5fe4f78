// The revision strings modules print (ATI, AT+QGMR, AT+CGMR) and packages
// name: "EC25EFAR06A06M4G_01.003.01.003" is project "EC25EFA", release
// "R06A06", base "EC25EFAR06A06M4G", sub-version "01.003.01.003".
#pragma once

#include <string>

namespace dfota::profiles {

struct Revision {
  std::string project;     // the part before R<nn>A<nn>
  std::string base;        // before the '_'
  std::string sub_version; // after it ("" when absent)
};
Revision parse_revision(const std::string& text);

// True when a module that prints `module_revision` runs `package_version`:
// the same string, or the same base when the module printed none of the
// sub-version (ATI and AT+CGMR leave it out).
bool runs_revision(const std::string& module_revision, const std::string& package_version);

// True when a module of project `module_project` takes a package for
// `package_project` (which may be given as a whole revision).
bool same_project(const std::string& module_project, const std::string& package_project);

} // namespace dfota::profiles
