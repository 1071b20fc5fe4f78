#include "cli/command.hpp"
#include "package/applier.hpp"

namespace dfota::cli {

namespace {

class ApplyCommand final : public Command {
public:
  explicit ApplyCommand(CLI::App& app) {
    auto* sub = app.add_subcommand("apply", "Apply a package to a source firmware and verify the result");
    sub->add_option("package", package_, "Package to apply")->required();
    sub->add_option("--source", source_, "Source firmware directory the package was built from")->required();
    sub->add_option("-o,--output", output_, "Directory to create with the target firmware (must not exist)")
        ->required();
    add_pubkey_option(sub, pubkeys_);
    add_force_flag(sub, force_);
    sub->add_flag("--keep-special-modes", keep_special_modes_,
                  "Keep setuid, setgid, sticky and world-writable bits of a package not verified with --pubkey");
    sub->footer("Every source hash is checked before anything is written; every result is checked against the\n"
                "package; on failure nothing is left at --output. Setuid, setgid, sticky and world-writable\n"
                "bits are kept only for a package verified with --pubkey (or with --keep-special-modes).\n\n"
                "Example:\n"
                "  dfota apply update-v1-to-v2.zip --source fw/v1 -o fw/v2-applied\n"
                "  dfota apply update-v1-to-v2.zip --source fw/v1 -o fw/v2-applied --pubkey release.pub");
  }

  int run(std::ostream& out, std::ostream& err) override {
    if (int code = check_outputs(err, {{"-o", output_, true}}); code != kOk) return code;
    if (int code = refuse_existing_output(err, "-o", output_, force_, true); code != kOk) return code;
    package::ApplyOptions options;
    auto keys = load_trusted_keys(pubkeys_);
    if (!keys) return report(err, keys.error());
    options.trusted_keys = std::move(*keys);
    options.keep_special_modes = keep_special_modes_;
    options.replace_output = force_;
    auto result = package::apply_package(package_, source_, output_, options);
    if (!result) return report(err, result.error());
    if (!result->special_modes_dropped.empty()) {
      err << "dfota: warning: setuid, setgid, sticky and world-writable bits dropped from "
          << result->special_modes_dropped.size() << " file(s), first "
          << printable(result->special_modes_dropped.front())
          << " (the package is not verified with --pubkey; --keep-special-modes keeps them)\n";
    }
    out << "applied " << printable(package_) << ": " << printable(output_) << " is "
        << printable(result->manifest.project) << " " << printable(result->manifest.target_version) << " ("
        << result->manifest.partitions.size() << " partitions, " << grouped(result->bytes_written)
        << " bytes verified)\n";
    return kOk;
  }

private:
  std::string package_, source_, output_;
  std::vector<std::string> pubkeys_;
  bool keep_special_modes_ = false;
  bool force_ = false;
};

} // namespace

std::unique_ptr<Command> make_apply_command(CLI::App& app) { return std::make_unique<ApplyCommand>(app); }

} // namespace dfota::cli
