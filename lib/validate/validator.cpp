#include "validate/validator.hpp"

#include <algorithm>

#include "delta/engine.hpp"
#include "firmware/firmware.hpp"
#include "package/applier.hpp"
#include "package/inspector.hpp"
#include "profiles/acceptance.hpp"
#include "profiles/revision.hpp"
#include "profiles/url.hpp"

namespace dfota::validate {

namespace fs = std::filesystem;

const char* to_string(Verdict verdict) {
  switch (verdict) {
  case Verdict::pass: return "pass";
  case Verdict::fail: return "fail";
  case Verdict::warn: return "warn";
  case Verdict::skip: return "skip";
  }
  return "?";
}

bool passed(const std::vector<Finding>& findings) {
  return std::none_of(findings.begin(), findings.end(), [](const Finding& f) { return f.verdict == Verdict::fail; });
}

namespace {

class Rules {
public:
  Rules(const Request& request, const profiles::Profile& profile, const profiles::Registry& registry)
      : request_(request), profile_(profile), registry_(registry) {}

  std::vector<Finding> run() {
    check_container();
    if (facts_->signature_refused) return std::move(findings_); // nothing else is worth checking
    check_versions();
    check_source();
    check_sizes();
    check_method();
    check_url();
    check_upload_name();
    return std::move(findings_);
  }

private:
  void add(std::string rule, Verdict verdict, int code, std::string message) {
    findings_.push_back(Finding{std::move(rule), verdict, code, std::move(message)});
  }
  std::string meaning(int code, const std::string& scope = "fota") const {
    if (code == 0)
      return " (the module ends the upgrade with an error; the " + profile_.family + " guide names no code)";
    std::string m = registry_.meaning(code, profile_.id, scope);
    return m.empty() ? "" : " (" + std::to_string(code) + ": " + m + ")";
  }

  // The zip, signature and payloads rules: the package's own findings, with
  // this family's codes.
  void check_container() {
    facts_ = request_.facts;
    if (!facts_)
      facts_ = std::make_shared<const PackageFacts>(examine_package(request_.package, request_.trusted_keys));
    for (const ContainerFinding& found : facts_->container) {
      const int code = found.code == ContainerFinding::Code::bad_package       ? profile_.upgrade.bad_package
                       : found.code == ContainerFinding::Code::corrupt_payload ? profile_.upgrade.corrupt_payload
                                                                               : 0;
      add(found.rule, found.verdict, code,
          found.code == ContainerFinding::Code::none ? found.message : found.message + meaning(code));
    }
  }

  void check_versions() {
    if (!facts_->manifest) {
      const char* why = facts_->foreign ? "project/version cannot be checked for this layout" : "no readable manifest";
      add("project", facts_->foreign ? Verdict::warn : Verdict::skip, 0, why);
      add("version", Verdict::skip, 0, why);
      return;
    }
    if (!request_.module_version && !request_.module_project) {
      add("project", Verdict::skip, 0, "give --module-version (as AT+QGMR prints it) to check project and version");
      add("version", Verdict::skip, 0, "give --module-version to check the source version");
      return;
    }
    profiles::ModuleFacts module;
    module.project =
        request_.module_project.value_or(profiles::parse_revision(request_.module_version.value_or("")).project);
    module.revision = request_.module_version;
    for (const auto& c : profiles::acceptance_checks(profile_, package_facts(), module)) {
      if (c.check == profiles::Check::project) {
        if (c.passed)
          add("project", Verdict::pass, 0, "package is for project " + facts_->manifest->project);
        else
          add("project", Verdict::fail, c.code,
              "module project " + *module.project + ", package is for " + facts_->manifest->project + meaning(c.code));
      } else if (c.check == profiles::Check::version) {
        if (c.passed)
          add("version", Verdict::pass, 0,
              "module runs the package's source version " + facts_->manifest->source_version);
        else if (c.already_target)
          add("version", Verdict::fail, c.code,
              "module already runs the target version " + facts_->manifest->target_version + meaning(c.code));
        else
          add("version", Verdict::fail, c.code,
              "module runs " + *request_.module_version + ", the package is for " + facts_->manifest->source_version +
                  meaning(c.code));
      }
    }
    if (!request_.module_version) add("version", Verdict::skip, 0, "give --module-version to check the source version");
  }

  // The package as the module's checks see it (profiles/acceptance).
  profiles::PackageFacts package_facts() const {
    profiles::PackageFacts facts;
    facts.size = facts_->file.size;
    facts.space_needed = facts_->file.size;
    if (facts_->manifest) {
      facts.project = facts_->manifest->project;
      facts.source_version = facts_->manifest->source_version;
      facts.target_version = facts_->manifest->target_version;
      facts.space_needed = package::module_space_needed(facts_->file.size, *facts_->manifest);
    }
    return facts;
  }

  void check_source() {
    if (!request_.source) {
      add("source", Verdict::skip, 0, "give --source with the module's firmware to check it partition by partition");
      return;
    }
    if (!facts_->manifest) {
      add("source", Verdict::skip, 0, "no readable manifest");
      return;
    }
    auto ok = package::verify_source(*facts_->manifest, *request_.source);
    if (ok)
      add("source", Verdict::pass, 0, "every partition of " + request_.source->string() + " matches the package");
    else
      add("source", Verdict::fail, profile_.upgrade.source, ok.error().message() + meaning(profile_.upgrade.source));
  }

  void check_sizes() {
    profiles::ModuleFacts module;
    module.free_space = request_.free_space;
    const auto facts = package_facts();
    if (!profile_.max_package_size)
      add("size", Verdict::skip, 0, "the " + profile_.family + " guide states no package size limit");
    for (const auto& c : profiles::acceptance_checks(profile_, facts, module)) {
      if (c.check == profiles::Check::size) {
        if (c.passed)
          add("size", Verdict::pass, 0, "package size within the family's limit");
        else
          add("size", Verdict::fail, c.code,
              "package has " + std::to_string(facts_->file.size) + " bytes, the family takes at most " +
                  std::to_string(*profile_.max_package_size) + meaning(c.code));
      } else if (c.check == profiles::Check::space) {
        if (c.passed)
          add("space", Verdict::pass, 0,
              "needs " + std::to_string(facts.space_needed) + " of " + std::to_string(*request_.free_space) +
                  " bytes free");
        else
          add("space", Verdict::fail, c.code,
              "needs " + std::to_string(facts.space_needed) + " bytes (package + space to apply), the module has " +
                  std::to_string(*request_.free_space) + meaning(c.code));
      }
    }
    if (!request_.free_space)
      add("space", Verdict::skip, 0, "give --free-space (AT+QFLDS=\"UFS\" tells it) to check the space needed");
  }

  void check_method() {
    if (!request_.method) {
      add("method", Verdict::skip, 0, "give --method to check it against the family");
      return;
    }
    std::string method = *request_.method;
    if (method == "url" && request_.url) {
      auto parsed = profiles::parse_url(*request_.url);
      if (parsed) method = parsed->scheme;
    }
    if (method == "url") {
      const bool any = profile_.supports("ftp") || profile_.supports("http") || profile_.supports("https");
      add("method", any ? Verdict::pass : Verdict::fail, 0,
          any ? "the family downloads from URLs" : "the family takes no URL");
      return;
    }
    std::string supported;
    for (const auto& m : profile_.methods)
      supported += (supported.empty() ? "" : ", ") + m;
    if (profile_.supports(method))
      add("method", Verdict::pass, 0, profile_.family + " supports " + method);
    else
      add("method", Verdict::fail, 0,
          profile_.family + " does not support " + method + " (supports " + supported + ")");
  }

  void check_url() {
    if (!request_.url) {
      add("url", Verdict::skip, 0, "no --url given");
      return;
    }
    const std::string shown = profiles::redact_url(*request_.url);
    auto url = profiles::parse_url(*request_.url);
    if (!url) {
      add("url", Verdict::fail, 711, url.error().message() + ": " + shown);
      return;
    }
    const int code = url->scheme == "ftp" ? 610 : 711;
    const std::vector<std::string> problems = profiles::url_rule_problems(*url, request_.url->size(), profile_);
    if (problems.empty()) {
      add("url", Verdict::pass, 0, shown + " fits the family's rules");
      return;
    }
    std::string text;
    for (const auto& p : problems)
      text += (text.empty() ? "" : "; ") + p;
    add("url", Verdict::fail, code, "URL " + shown + ": " + text);
  }

  void check_upload_name() {
    if (!request_.upload_name) {
      add("upload-name", Verdict::skip, 0, "no --upload-name given");
      return;
    }
    const std::string& name = *request_.upload_name;
    const bool bad_chars = name.empty() || std::any_of(name.begin(), name.end(), [](char c) {
                             return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '/' || c == '\\';
                           });
    if (bad_chars) {
      add("upload-name", Verdict::fail, 406, "\"" + name + "\" is not a valid file name" + meaning(406, "cme"));
      return;
    }
    if (name.size() > profile_.upload_name_max) {
      add("upload-name", Verdict::fail, 406,
          "\"" + name + "\" has " + std::to_string(name.size()) + " bytes, at most " +
              std::to_string(profile_.upload_name_max) + meaning(406, "cme"));
      return;
    }
    if (!profile_.local_paths.empty()) {
      const std::string full = profile_.local_paths.front() + name;
      if (full.size() > profile_.local_name_max) {
        add("upload-name", Verdict::fail, 0,
            full + " is longer than the " + std::to_string(profile_.local_name_max) + " bytes AT+QFOTADL takes");
        return;
      }
    }
    const auto dot = name.rfind('.');
    const bool eight_three =
        name.size() <= 12 && (dot == std::string::npos ? name.size() <= 8 : dot <= 8 && name.size() - dot - 1 <= 3);
    if (!eight_three)
      add("upload-name", Verdict::warn, 0, "\"" + name + "\" is valid, but 8.3 names are recommended");
    else
      add("upload-name", Verdict::pass, 0, "\"" + name + "\" is a valid file name");
  }

  const Request& request_;
  const profiles::Profile& profile_;
  const profiles::Registry& registry_;
  std::vector<Finding> findings_;
  std::shared_ptr<const PackageFacts> facts_; // set first, by check_container()
};

} // namespace

std::vector<Finding> validate_package(const Request& request, const profiles::Profile& profile,
                                      const profiles::Registry& registry) {
  return Rules(request, profile, registry).run();
}

std::vector<PredictedCode> predicted_codes(const profiles::Profile& profile) {
  const auto& u = profile.upgrade;
  std::vector<PredictedCode> codes{{"zip", u.bad_package, "fota"},
                                   {"payloads", u.corrupt_payload, "fota"},
                                   {"project", u.project, "fota"},
                                   {"version", u.version, "fota"},
                                   {"source", u.source, "fota"},
                                   {"space", u.space, "fota"},
                                   {"size", u.too_large, "fota"},
                                   {"upload-name", 406, "cme"},
                                   {"url", 610, "ftp"},
                                   {"url", 711, "http"}};
  // A rule whose module code the family's guide does not name predicts none.
  std::erase_if(codes, [](const PredictedCode& p) { return p.code == 0; });
  return codes;
}

} // namespace dfota::validate
