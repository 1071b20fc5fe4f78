#include "cli/command.hpp"
#include "package/builder.hpp"

namespace dfota::cli {

namespace {

class BuildCommand final : public Command {
public:
  explicit BuildCommand(CLI::App& app) {
    auto* sub = app.add_subcommand("build", "Build the delta package from one firmware version to another");
    sub->add_option("--from", from_, "Source firmware directory (the version on the module)")->required();
    sub->add_option("--to", to_, "Target firmware directory (the version to install)")->required();
    sub->add_option("-o,--output", output_, "Package to write")->required();
    sub->add_option("--reverse-output", reverse_, "Also write the package from --to back to --from");
    sub->add_option("--engine", options_.engine,
                    "Delta engine: auto (smallest per partition), native, zstd, vcdiff or full")
        ->check(CLI::IsMember({"auto", "native", "zstd", "vcdiff", "full"}))
        ->default_val("auto");
    sub->add_option("--project", options_.project, "Project the package is for (default: from firmware.json)");
    sub->add_option("--from-version", options_.from_version, "Source version (default: from --from/firmware.json)");
    sub->add_option("--to-version", options_.to_version, "Target version (default: from --to/firmware.json)");
    sub->add_option("--sign-key", sign_key_, "Sign the package(s) with this private key (PEM, from dfota keygen)");
    add_force_flag(sub, force_);
    sub->footer("Example:\n  dfota build --from fw/v1 --to fw/v2 -o update-v1-to-v2.zip "
                "--reverse-output update-v2-to-v1.zip");
  }

  int run(std::ostream& out, std::ostream& err) override {
    if (!sign_key_.empty()) {
      for (const auto& [path, option] : {std::pair{&output_, "-o"}, std::pair{&reverse_, "--reverse-output"}}) {
        if (names_same_file(*path, sign_key_)) return refuse_output_over(err, option, "the --sign-key file");
      }
      auto key = load_signing_key(sign_key_, err);
      if (!key) return report(err, key.error());
      options_.sign_key = std::move(*key);
    }
    // Every output is checked before the first package is written.
    if (int code = check_outputs(err, {{"-o", output_}, {"--reverse-output", reverse_}}); code != kOk) return code;
    if (int code = refuse_existing_output(err, "-o", output_, force_); code != kOk) return code;
    if (int code = refuse_existing_output(err, "--reverse-output", reverse_, force_); code != kOk) return code;
    if (!reverse_.empty()) {
      if (names_same_file(reverse_, output_)) {
        err << "dfota: error: --reverse-output is the same file as -o (see 'dfota build --help')\n";
        return kUsage;
      }
      if (auto ok = package::check_package_output(reverse_, from_, to_); !ok)
        return report(err, ok.error().with_context("reverse package"));
    }
    // On a terminal, a status line names the partition being encoded and
    // how much of it is done (a large image takes seconds); it is cleared
    // before anything else prints. With --verbose, every partition gets a
    // line of its own, terminal or not.
    const bool status = is_terminal_stderr(err);
    const bool verbose = output_choices().verbose;
    std::string current; // the status line's text without its percentage
    auto show = [&err, &current, status, verbose](const std::string& package, package::BuildOptions& options) {
      options.on_partition = [&err, &current, status, verbose, package](const std::string& name, std::size_t index,
                                                                        std::size_t count) {
        current = printable(package) + ": encoding " + printable(name) + " (" + std::to_string(index + 1) + "/" +
                  std::to_string(count) + ")";
        if (verbose)
          err << current << "\n" << std::flush;
        else if (status)
          err << "\r\033[K" << current << std::flush;
      };
      options.on_partition_progress = nullptr;
      if (status && !verbose) {
        options.on_partition_progress = [&err, &current](double fraction) {
          err << "\r\033[K" << current << " " << static_cast<int>(fraction * 100) << " %" << std::flush;
        };
      }
    };
    auto clear = [&err, status] {
      if (status) err << "\r\033[K" << std::flush;
    };
    show(output_, options_);
    auto forward = package::build_package(from_, to_, output_, options_);
    clear();
    if (!forward) return report(err, forward.error());
    print(out, output_, *forward);
    if (!reverse_.empty()) {
      package::BuildOptions reverse_options = options_;
      std::swap(reverse_options.from_version, reverse_options.to_version);
      show(reverse_, reverse_options);
      auto backward = package::build_package(to_, from_, reverse_, reverse_options);
      clear();
      if (!backward) return report(err, backward.error().with_context("reverse package"));
      print(out, reverse_, *backward);
    }
    return kOk;
  }

private:
  static void print(std::ostream& out, const std::string& path, const package::BuildResult& result) {
    const auto& m = result.manifest;
    std::size_t changed = 0;
    for (const auto& p : m.partitions)
      changed += p.op != package::Operation::unchanged;
    out << "built " << printable(path) << ": " << grouped(result.package_size) << " bytes, " << printable(m.project)
        << " " << printable(m.source_version) << " -> " << printable(m.target_version) << ", " << m.partitions.size()
        << " partitions (" << changed << " changed)"
        << (result.signed_by.empty() ? "" : ", signed by " + result.signed_by) << "\n";
  }

  std::string from_, to_, output_, reverse_, sign_key_;
  bool force_ = false;
  package::BuildOptions options_;
};

} // namespace

std::unique_ptr<Command> make_build_command(CLI::App& app) { return std::make_unique<BuildCommand>(app); }

} // namespace dfota::cli
