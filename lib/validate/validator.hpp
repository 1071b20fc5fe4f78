// Pre-flight validation: predicts what a module of a family will answer to a
// package, rule by rule, naming the module's own error codes.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "profiles/profile.hpp"
#include "signing/keys.hpp"
#include "validate/finding.hpp"
#include "validate/package_facts.hpp"

namespace dfota::validate {

struct Request {
  std::filesystem::path package;
  std::optional<std::string> module_version;   // as AT+QGMR / ATI print it
  std::optional<std::string> module_project;   // else derived from module_version
  std::optional<std::uint64_t> free_space;     // bytes free on the module
  std::optional<std::filesystem::path> source; // the firmware the module runs
  std::optional<std::string> url;
  std::optional<std::string> upload_name;
  std::optional<std::string> method; // com, file, qfupl, ftp, http, https, url
  // When not empty, the package must be signed by one of these keys: the
  // "signature" rule fails otherwise, and then no later rule runs.
  std::vector<signing::PublicKey> trusted_keys;
  // The package examined already (examine_package, with these trusted
  // keys): the file is then not read at all. Examined here when null.
  std::shared_ptr<const PackageFacts> facts;
};

// Runs every rule the request allows; rules without their input are "skip".
std::vector<Finding> validate_package(const Request& request, const profiles::Profile& profile,
                                      const profiles::Registry& registry);

bool passed(const std::vector<Finding>& findings);

// The module codes the rules predict for a family: which refusal a
// pre-flight check catches before upload (for `dfota explain --all`).
struct PredictedCode {
  std::string rule;
  int code = 0;
  std::string scope; // fota, cme, ftp, http (as in the error catalogue)
};
std::vector<PredictedCode> predicted_codes(const profiles::Profile& profile);

} // namespace dfota::validate
