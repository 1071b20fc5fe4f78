// `dfota release`: every package of a release in one go, with an index.
#include <iomanip>
#include <sstream>

#include "cli/command.hpp"
#include "cli/text_table.hpp"
#include "core/files.hpp"
#include "release/release.hpp"

namespace dfota::cli {

namespace {

std::string seconds_text(double seconds) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(1) << seconds;
  return text.str();
}

// "ec2x ok", "ec2x refused 505", "-" when no family was checked.
std::string modules_text(const release::PackageResult& p) {
  std::string text;
  for (const auto& v : p.validations) {
    text += (text.empty() ? "" : ", ") + v.profile + (v.ok ? " ok" : " refused");
    if (!v.ok) {
      for (const auto& f : v.findings)
        if (f.verdict == validate::Verdict::fail && f.code) {
          text += " " + std::to_string(f.code);
          break;
        }
    }
  }
  return text.empty() ? "-" : text;
}

class ReleaseCommand final : public Command {
public:
  explicit ReleaseCommand(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "release", "Build every field version's package to a new version: verified, validated, indexed");
    sub->add_option("--to", request_.target, "The new version's firmware directory")->required();
    sub->add_option("--from", request_.sources, "Field versions' firmware directories (one or more)")
        ->required()
        ->expected(1, -1);
    sub->add_option("-o,--output", request_.output_dir,
                    "Directory for the packages, index.json and index.txt (created when missing)")
        ->required();
    sub->add_option("-j,--jobs", request_.jobs, "Packages built at once (default: one per core this process may use)")
        ->check(CLI::Range(1, 64));
    sub->add_flag("--reverse", request_.reverse, "Also build the packages back from the new version to each");
    sub->add_option("--engine", request_.build.engine, "Delta engine: auto, native, zstd, vcdiff or full")
        ->check(CLI::IsMember({"auto", "native", "zstd", "vcdiff", "full"}))
        ->default_val("auto");
    sub->add_option("--profile", profiles_,
                    "Validate against this module family (repeatable; default: the families whose models name "
                    "the project)");
    sub->add_option("--sign-key", sign_key_, "Sign every package with this private key (PEM)");
    sub->add_flag("--json", json_, "Print index.json instead of the table");
    add_force_flag(sub, force_);
    sub->footer(
        "Each package is named FROM-VERSION_to_TO-VERSION.zip, verified by applying it to its source,\n"
        "and validated as a module running FROM-VERSION would see it. A failing pair is reported and\n"
        "does not stop the others. Exit 0 when every package is ok; otherwise the exit code of the\n"
        "first one that is not (20 when a module is predicted to refuse it).\n\n"
        "Examples:\n"
        "  dfota release --to fw/v4 --from fw/v1 fw/v2 fw/v3 -o release-v4 -j 2\n"
        "  dfota release --to fw/v4 --from fw/v3 -o release-v4 --reverse --profile ec2x --sign-key release.key");
  }

  int run(std::ostream& out, std::ostream& err) override {
    if (int code = check_outputs(err, {{"-o", request_.output_dir.string(), true}}); code != kOk) return code;
    if (int code = refuse_existing_output(err, "-o", request_.output_dir.string(), force_, true); code != kOk)
      return code;
    auto registry = profiles::Registry::load(formats_directory());
    if (!registry) return report(err, registry.error());
    for (const auto& id : profiles_) {
      auto profile = registry->find(id);
      if (!profile) return report(err, profile.error());
      request_.profiles.push_back(*profile);
    }
    if (!sign_key_.empty()) {
      auto key = load_signing_key(sign_key_, err);
      if (!key) return report(err, key.error());
      request_.build.sign_key = std::move(*key);
    }
    auto result = release::build_release(request_, *registry, [&](const release::PackageResult& p) {
      if (p.status == release::Status::failed) {
        err << "failed  " << printable(p.from_dir.string()) << " -> " << printable(p.to_dir.string()) << ": "
            << printable(p.error ? p.error->message() : "unknown") << "\n";
      } else {
        err << (p.status == release::Status::ok ? "built   " : "refused ") << printable(p.file) << ": "
            << grouped(p.size) << " bytes in " << seconds_text(p.build_seconds) << " s, verified in "
            << seconds_text(p.verify_seconds) << " s, " << modules_text(p) << "\n";
      }
      err << std::flush;
    });
    if (!result) return report(err, result.error());

    const std::string json = release::index_json(*result).dump(2) + "\n";
    std::ostringstream table;
    print_table(*result, table);
    if (auto w = write_text_file(request_.output_dir / "index.json", json); !w) return report(err, w.error());
    if (auto w = write_text_file(request_.output_dir / "index.txt", table.str()); !w) return report(err, w.error());
    out << (json_ ? json : table.str());

    for (const auto& p : result->packages) {
      if (p.status == release::Status::failed) return p.error ? exit_code_for(*p.error) : kInternal;
      if (p.status == release::Status::refused) return kValidationFailed;
    }
    return kOk;
  }

private:
  static void print_table(const release::Result& result, std::ostream& out) {
    std::size_t ok = 0;
    for (const auto& p : result.packages)
      ok += p.status == release::Status::ok;
    out << "release " << printable(result.project) << " " << printable(result.target_version) << ": " << ok << " of "
        << result.packages.size() << " packages ok\n\n";
    TextTable table({"STATUS", "FROM", "TO", "SIZE", "CHECKSUM", "ENGINES", "MODULES", "FILE / ERROR"},
                    {TextTable::Align::left, TextTable::Align::left, TextTable::Align::left, TextTable::Align::right});
    for (const auto& p : result.packages) {
      const bool failed = p.status == release::Status::failed;
      table.add_row({release::to_string(p.status), p.from_version.empty() ? p.from_dir.string() : p.from_version,
                     p.to_version.empty() ? p.to_dir.string() : p.to_version, failed ? "-" : grouped(p.size),
                     failed ? "-" : p.module_checksum, failed ? "-" : p.engines, modules_text(p),
                     failed ? (p.error ? p.error->message() : "") : p.file});
    }
    table.print(out);
    out << "\nSHA-256\n";
    for (const auto& p : result.packages)
      if (p.status != release::Status::failed) out << p.sha256 << "  " << printable(p.file) << "\n";
  }

  release::Request request_;
  std::vector<std::string> profiles_;
  std::string sign_key_;
  bool json_ = false;
  bool force_ = false;
};

} // namespace

std::unique_ptr<Command> make_release_command(CLI::App& app) { return std::make_unique<ReleaseCommand>(app); }

} // namespace dfota::cli
