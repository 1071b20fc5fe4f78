#include "validate/validator.hpp"

#include <algorithm>

#include "delta/engine.hpp"
#include "firmware/firmware.hpp"
#include "package/applier.hpp"
#include "package/inspector.hpp"
#include "package/package_reader.hpp"
#include "package/package_signature.hpp"
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
    if (signature_refused_) return std::move(findings_); // nothing else is worth checking
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

  void check_container() {
    std::error_code ec;
    package_size_ = fs::file_size(request_.package, ec);
    if (auto digests = firmware::digest_file(request_.package)) checksum_ = *digests;
    // A file that is no zip at all: a vendor's opaque package (.bin, .pack).
    if (auto zip_like = package::looks_like_zip(request_.package); zip_like && !*zip_like && package_size_ > 0) {
      if (!request_.trusted_keys.empty()) {
        add("zip", Verdict::pass, 0, std::string(package::describe(package::Layout::opaque)));
        return refuse_signature("a package without a dfota manifest cannot carry a signature");
      }
      foreign_ = true;
      add("zip", Verdict::pass, 0, std::string(package::describe(package::Layout::opaque)));
      add("payloads", Verdict::warn, 0,
          "an opaque package cannot be checked inside; package md5 " + checksum_.md5 + ", checksum " +
              checksum_hex(checksum_.module_checksum));
      return;
    }
    auto opened = package::open_package(request_.package);
    if (!opened && opened.error().is(package::PackageErrc::manifest_missing)) {
      // A zip that is not ours: describe what it is, check what can be checked.
      auto inspected = package::inspect_package(request_.package);
      if (inspected && !request_.trusted_keys.empty()) {
        add("zip", Verdict::pass, 0, std::string("readable zip: ") + package::describe(inspected->layout));
        return refuse_signature("a package without a dfota manifest cannot carry a signature");
      }
      if (inspected) {
        foreign_ = true;
        add("zip", Verdict::pass, 0, std::string("readable zip: ") + package::describe(inspected->layout));
        add("payloads", Verdict::warn, 0,
            "project/version cannot be checked for this layout; package md5 " + checksum_.md5 + ", checksum " +
                checksum_hex(checksum_.module_checksum));
        return;
      }
    }
    if (!opened) {
      add("zip", Verdict::fail, profile_.upgrade.bad_package,
          opened.error().message() + meaning(profile_.upgrade.bad_package));
      if (!request_.trusted_keys.empty())
        return refuse_signature("the package cannot be opened to check its signature");
      add("payloads", Verdict::skip, 0, "the package cannot be opened");
      return;
    }
    add("zip", Verdict::pass, 0,
        "zip and manifest are well-formed (format " + std::to_string(opened->manifest.format_major) + "." +
            std::to_string(opened->manifest.format_minor) + ")");
    const bool payloads_verified = check_signature(*opened);
    if (signature_refused_) return;
    std::vector<const package::Payload*> payloads;
    for (const auto& p : opened->manifest.partitions) {
      if (p.payload) payloads.push_back(&*p.payload);
      for (const auto& f : p.files) {
        if (f.payload) payloads.push_back(&*f.payload);
      }
    }
    // Every payload read to the end (unless the signature check just did):
    // its size and SHA-256 against the manifest.
    for (const auto* payload : payloads_verified ? std::vector<const package::Payload*>{} : payloads) {
      auto reader = package::open_payload(opened->zip, *payload);
      CountingWriter sink;
      auto copied = reader ? copy_stream(**reader, sink) : Expected<std::uint64_t>(reader.error());
      if (!copied) {
        add("payloads", Verdict::fail, profile_.upgrade.corrupt_payload,
            copied.error().message() + meaning(profile_.upgrade.corrupt_payload));
        manifest_ = std::move(opened->manifest);
        return;
      }
    }
    // What each payload states about its result, against the manifest's
    // target size, before anything decodes it (a payload that would make the
    // applier allocate or write more than it announced).
    auto stated_size_problem = [&](const package::Payload& payload, const std::optional<package::Content>& target) {
      const delta::Engine* engine = delta::find_engine(payload.engine);
      if (!engine || !target) return std::string();
      auto reader = opened->zip.open_entry(payload.path);
      if (!reader) return reader.error().message();
      Bytes head(18);
      std::size_t held = 0;
      while (held < head.size()) {
        auto got = (*reader)->read(std::span<std::uint8_t>(head).subspan(held));
        if (!got) return got.error().message();
        if (*got == 0) break;
        held += *got;
      }
      auto ok = engine->check_stated_size(ByteSpan(head).first(held), target->size);
      return ok ? std::string() : payload.path + ": " + ok.error().message();
    };
    for (const auto& p : opened->manifest.partitions) {
      std::string problem = p.payload ? stated_size_problem(*p.payload, p.target) : std::string();
      for (const auto& f : p.files) {
        if (problem.empty() && f.payload) problem = stated_size_problem(*f.payload, f.target);
      }
      if (!problem.empty()) {
        add("payloads", Verdict::fail, profile_.upgrade.corrupt_payload,
            problem + meaning(profile_.upgrade.corrupt_payload));
        manifest_ = std::move(opened->manifest);
        return;
      }
    }
    add("payloads", Verdict::pass, 0,
        std::to_string(payloads.size()) + " payloads match their SHA-256; package md5 " + checksum_.md5 +
            ", checksum " + checksum_hex(checksum_.module_checksum));
    manifest_ = std::move(opened->manifest);
  }

  void refuse_signature(const std::string& why) {
    add("signature", Verdict::fail, 0, "refused: " + why);
    signature_refused_ = true;
  }

  // The "signature" rule. With trusted keys, a refusal ends the validation.
  // Returns true when it verified every payload on the way (a trusted
  // signature), so that they need not be read again.
  bool check_signature(const package::OpenedPackage& opened) {
    if (request_.trusted_keys.empty()) {
      auto document = package::read_signature(opened.zip);
      if (!document)
        add("signature", Verdict::warn, 0, document.error().message());
      else if (*document)
        add("signature", Verdict::skip, 0,
            "signed by key " + (*document)->key_fingerprint + "; give --pubkey to check it");
      else
        add("signature", Verdict::skip, 0, "not signed");
      return false;
    }
    auto key = package::verify_package(opened, request_.trusted_keys);
    if (!key) {
      refuse_signature(key.error().message());
      return false;
    }
    add("signature", Verdict::pass, 0, "signed by trusted key " + key->fingerprint() + "; every payload verified");
    return true;
  }

  void check_versions() {
    if (!manifest_) {
      const char* why = foreign_ ? "project/version cannot be checked for this layout" : "no readable manifest";
      add("project", foreign_ ? Verdict::warn : Verdict::skip, 0, why);
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
          add("project", Verdict::pass, 0, "package is for project " + manifest_->project);
        else
          add("project", Verdict::fail, c.code,
              "module project " + *module.project + ", package is for " + manifest_->project + meaning(c.code));
      } else if (c.check == profiles::Check::version) {
        if (c.passed)
          add("version", Verdict::pass, 0, "module runs the package's source version " + manifest_->source_version);
        else if (c.already_target)
          add("version", Verdict::fail, c.code,
              "module already runs the target version " + manifest_->target_version + meaning(c.code));
        else
          add("version", Verdict::fail, c.code,
              "module runs " + *request_.module_version + ", the package is for " + manifest_->source_version +
                  meaning(c.code));
      }
    }
    if (!request_.module_version) add("version", Verdict::skip, 0, "give --module-version to check the source version");
  }

  // The package as the module's checks see it (profiles/acceptance).
  profiles::PackageFacts package_facts() const {
    profiles::PackageFacts facts;
    facts.size = package_size_;
    facts.space_needed = package_size_;
    if (manifest_) {
      facts.project = manifest_->project;
      facts.source_version = manifest_->source_version;
      facts.target_version = manifest_->target_version;
      facts.space_needed = package::module_space_needed(package_size_, *manifest_);
    }
    return facts;
  }

  void check_source() {
    if (!request_.source) {
      add("source", Verdict::skip, 0, "give --source with the module's firmware to check it partition by partition");
      return;
    }
    if (!manifest_) {
      add("source", Verdict::skip, 0, "no readable manifest");
      return;
    }
    auto ok = package::verify_source(*manifest_, *request_.source);
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
              "package has " + std::to_string(package_size_) + " bytes, the family takes at most " +
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
  std::optional<package::Manifest> manifest_;
  Digests checksum_;
  std::uint64_t package_size_ = 0;
  bool foreign_ = false;
  bool signature_refused_ = false;
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
