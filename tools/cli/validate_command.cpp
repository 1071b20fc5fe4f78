// `dfota validate` and `dfota explain`: the module's answer, predicted.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "cli/command.hpp"
#include "cli/text_table.hpp"
#include "core/files.hpp"
#include "report/junit.hpp"
#include "validate/validator.hpp"

namespace dfota::cli {

namespace fs = std::filesystem;

std::string formats_directory() {
  if (const char* env = std::getenv("DFOTA_FORMATS_DIR"); env && *env) return env;
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    fs::path installed = fs::path(self).parent_path().parent_path() / "share" / "dfota" / "formats";
    std::error_code ec;
    if (fs::is_directory(installed / "profiles", ec)) return installed.string();
  }
  return DFOTA_SOURCE_FORMATS_DIR;
}

namespace {

Expected<profiles::Registry> load_registry() { return profiles::Registry::load(formats_directory()); }

class ValidateCommand final : public Command {
public:
  explicit ValidateCommand(CLI::App& app) {
    auto* sub = app.add_subcommand("validate", "Predict what a module will answer to a package, rule by rule");
    sub->add_option("package", request_.package, "Package to check")->required();
    sub->add_option("--profile", profile_, "Module family: ugxx, ec2x, ec200t, rg50xq")->required();
    sub->add_option("--module-version", request_.module_version, "Revision as AT+QGMR or ATI prints it");
    sub->add_option("--module-project", request_.module_project, "Project (default: from --module-version)");
    sub->add_option("--free-space", request_.free_space, "Free bytes on the module (AT+QFLDS=\"UFS\")")
        ->check(whole_number());
    sub->add_option("--source", request_.source, "The firmware directory the module runs");
    sub->add_option("--url", request_.url, "URL the module will download from");
    sub->add_option("--upload-name", request_.upload_name, "File name for AT+QFUPL");
    sub->add_option("--method", request_.method, "Upload method: com, file, qfupl, ftp, http, https, url")
        ->check(CLI::IsMember({"com", "file", "qfupl", "ftp", "http", "https", "url"}));
    add_pubkey_option(sub, pubkeys_);
    sub->add_flag("--json", json_, "Print {\"ok\": bool, \"findings\": [...]}");
    sub->add_option("--junit", junit_, "Also write JUnit XML: one test case per rule (Jenkins, GitLab)");
    sub->footer(
        "Exit 0 only when no rule fails (warnings and skips do not fail).\n\nExamples:\n"
        "  dfota validate update.zip --profile ec2x --module-version EC25EFAR06A06M4G_01.003.01.003 \\\n"
        "      --free-space 30000000 --url ftp://user:pass@host:21/update.zip\n"
        "  dfota validate update.zip --profile rg50xq --module-version RM500QGLABR11A06M4G --junit validate.xml\n"
        "  dfota validate update.zip --profile ec2x --pubkey release.pub --json");
  }

  int run(std::ostream& out, std::ostream& err) override {
    if (!junit_.empty()) {
      if (names_same_file(junit_, request_.package)) return refuse_output_over(err, "--junit", "the package");
      if (names_any_file(junit_, pubkeys_)) return refuse_output_over(err, "--junit", "a --pubkey file");
    }
    if (int code = check_outputs(err, {{"--junit", junit_}}); code != kOk) return code;
    auto registry = load_registry();
    if (!registry) return report(err, registry.error());
    auto profile = registry->find(profile_);
    if (!profile) return report(err, profile.error());
    auto keys = load_trusted_keys(pubkeys_);
    if (!keys) return report(err, keys.error());
    request_.trusted_keys = std::move(*keys);
    const auto started = std::chrono::steady_clock::now();
    const auto findings = validate::validate_package(request_, **profile, *registry);
    if (!junit_.empty()) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      auto written = write_text_file(junit_, junit_document(findings, **profile, *registry, seconds));
      if (!written) return report(err, written.error());
    }
    const bool ok = validate::passed(findings);
    const bool signature_refused = std::any_of(findings.begin(), findings.end(), [](const validate::Finding& f) {
      return f.rule == "signature" && f.verdict == validate::Verdict::fail;
    });
    if (json_) {
      nlohmann::ordered_json j;
      j["schema"] = "dfota.validate/1"; // formats/json/validate.schema.json
      j["ok"] = ok;
      j["profile"] = profile_;
      j["findings"] = nlohmann::ordered_json::array();
      for (const auto& f : findings) {
        j["findings"].push_back({{"rule", f.rule},
                                 {"status", validate::to_string(f.verdict)},
                                 {"code", f.code ? nlohmann::ordered_json(f.code) : nlohmann::ordered_json(nullptr)},
                                 {"message", f.message}});
      }
      out << j.dump(2) << '\n';
    } else {
      TextTable table({"RULE", "STATUS", "CODE", "WHY"});
      for (const auto& f : findings) {
        table.add_row({f.rule, validate::to_string(f.verdict), f.code ? std::to_string(f.code) : "-", f.message});
      }
      table.print(out);
      out << (ok                  ? "ok: the module is expected to accept the package\n"
              : signature_refused ? "refused: the package does not carry a signature by a trusted key\n"
                                  : "refused: the module is expected to answer with the codes above\n");
    }
    if (ok) return kOk;
    return signature_refused ? kSignatureRefused : kValidationFailed;
  }

private:
  // One suite for the package and family, one case per rule.
  std::string junit_document(const std::vector<validate::Finding>& findings, const profiles::Profile& profile,
                             const profiles::Registry& registry, double seconds) const {
    report::TestSuite suite;
    suite.name = "dfota validate " + request_.package.filename().string() + " (" + profile.id + ")";
    suite.timestamp = report::junit_timestamp_now();
    suite.seconds = seconds;
    suite.properties = {{"package", request_.package.string()}, {"profile", profile.id}};
    if (request_.module_version) suite.properties.emplace_back("module_version", *request_.module_version);
    for (const auto& f : findings) {
      report::TestCase c;
      c.name = f.rule;
      c.classname = "dfota.validate." + profile.id;
      switch (f.verdict) {
      case validate::Verdict::pass: c.output = f.message; break;
      case validate::Verdict::warn: c.output = "warning: " + f.message; break;
      case validate::Verdict::skip:
        c.outcome = report::TestCase::Outcome::skipped;
        c.message = f.message;
        break;
      case validate::Verdict::fail: {
        c.outcome = report::TestCase::Outcome::failed;
        c.message = f.code ? "module answers " + std::to_string(f.code) + ": " + f.message : f.message;
        c.type = f.code ? "module-error-" + std::to_string(f.code) : "rule-" + f.rule;
        c.detail = f.message + "\n";
        if (f.code) {
          const std::string meaning = registry.meaning(f.code, profile.id);
          if (!meaning.empty()) c.detail += "error " + std::to_string(f.code) + ": " + meaning + "\n";
          c.detail += "more: dfota explain " + std::to_string(f.code) + " --profile " + profile.id + "\n";
        }
        break;
      }
      }
      suite.cases.push_back(std::move(c));
    }
    return report::to_junit_xml({suite});
  }

  std::vector<std::string> pubkeys_;
  validate::Request request_;
  std::string profile_;
  std::string junit_;
  bool json_ = false;
};

class ExplainCommand final : public Command {
public:
  explicit ExplainCommand(CLI::App& app) {
    auto* sub = app.add_subcommand("explain", "What a module error code means and what to do about it");
    sub->add_option("code", code_, "Error code, as in +QIND: \"FOTA\",\"END\",<err> or +CME ERROR: <n>");
    sub->add_option("--profile", profile_, "Module family (ugxx, ec2x, ec200t, rg50xq)");
    sub->add_flag("--all", all_, "The whole catalogue as a table, with the pre-flight rule that catches each code");
    sub->add_flag("--markdown", markdown_, "With --all: a Markdown table (docs/troubleshooting.md is made so)");
    sub->footer("Examples:\n  dfota explain 511 --profile rg50xq\n  dfota explain --all --profile ec2x");
  }

  int run(std::ostream& out, std::ostream& err) override {
    auto registry = load_registry();
    if (!registry) return report(err, registry.error());
    if (!profile_.empty()) {
      if (auto p = registry->find(profile_); !p) return report(err, p.error());
    }
    if (all_) return print_catalogue(*registry, out);
    if (code_ == 0) {
      err << "dfota: error: give a code, or --all for the whole catalogue (see 'dfota explain --help')\n";
      return kUsage;
    }
    auto entries = registry->lookup(code_, profile_);
    if (entries.empty()) {
      std::string message = "code " + std::to_string(code_) + " is not in the catalogue";
      if (!profile_.empty()) {
        // Name the families whose guides do use the code.
        std::string users;
        for (const auto* e : registry->lookup(code_)) {
          for (const auto& f : e->families)
            users += (users.empty() ? "" : ", ") + f;
          if (e->families.empty()) users = "all families";
        }
        message = "code " + std::to_string(code_) + " is not one " + profile_ + " reports" +
                  (users.empty() ? " (no family's guide names it)" : "; it is used by " + users);
      }
      return report(err, make_error(profiles::ProfileErrc::unknown_name, message));
    }
    for (const auto* e : entries) {
      std::string families;
      for (const auto& f : e->families)
        families += (families.empty() ? "" : ", ") + f;
      out << code_ << " (" << e->scope << (families.empty() ? ", all families" : ", " + families) << "): " << e->meaning
          << '\n';
      if (e->module_retries) out << "  the module retries by itself; follow it, do not treat this as the end\n";
      if (!e->advice.empty()) out << "  what to do: " << e->advice << '\n';
    }
    return kOk;
  }

private:
  // One row per catalogue entry; "caught by" names the validate rules (and
  // families) that predict the code before anything reaches a module.
  int print_catalogue(const profiles::Registry& registry, std::ostream& out) const {
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : registry.catalogue()) {
      if (!profile_.empty() && !e.applies_to(profile_)) continue;
      std::string families;
      for (const auto& f : e.families)
        families += (families.empty() ? "" : ", ") + f;
      std::map<std::string, std::vector<std::string>> caught; // rule -> families
      for (const auto& profile : registry.profiles()) {
        if ((!profile_.empty() && profile.id != profile_) || !e.applies_to(profile.id)) continue;
        for (const auto& p : validate::predicted_codes(profile))
          if (p.scope == e.scope && e.covers(p.code)) caught[p.rule].push_back(profile.id);
      }
      std::string caught_by;
      for (const auto& [rule, ids] : caught) {
        std::string list;
        for (const auto& id : ids)
          list += (list.empty() ? "" : ", ") + id;
        caught_by += (caught_by.empty() ? "" : "; ") + rule + " (" + list + ")";
      }
      const std::string code =
          e.last != e.code ? std::to_string(e.code) + "-" + std::to_string(e.last) : std::to_string(e.code);
      rows.push_back({code, e.scope, families.empty() ? "all" : families, e.meaning, e.module_retries ? "yes" : "no",
                      caught_by.empty() ? "-" : caught_by, e.advice});
    }
    const std::vector<std::string> headers = {"CODE",           "SCOPE",     "FAMILIES",  "MEANING",
                                              "MODULE RETRIES", "CAUGHT BY", "WHAT TO DO"};
    if (markdown_) {
      out << "| code | scope | families | meaning | module retries | caught before upload by | what to do |\n"
          << "|---:|---|---|---|---|---|---|\n";
      for (const auto& row : rows) {
        out << "|";
        for (std::string cell : row) {
          for (std::size_t at = cell.find('|'); at != std::string::npos; at = cell.find('|', at + 2))
            cell.replace(at, 1, "\\|");
          out << " " << cell << " |";
        }
        out << "\n";
      }
      return kOk;
    }
    TextTable table(headers, {TextTable::Align::right});
    for (auto& row : rows)
      table.add_row(row);
    table.print(out);
    return kOk;
  }

  int code_ = 0;
  std::string profile_;
  bool all_ = false;
  bool markdown_ = false;
};

} // namespace

std::unique_ptr<Command> make_validate_command(CLI::App& app) { return std::make_unique<ValidateCommand>(app); }
std::unique_ptr<Command> make_explain_command(CLI::App& app) { return std::make_unique<ExplainCommand>(app); }

} // namespace dfota::cli
