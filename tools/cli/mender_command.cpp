// `dfota mender-update-module STATE FILES`: the Mender Update Module `dfota`
// (mender/update_module.hpp), called by the script Mender runs from
// /usr/share/mender/modules/v3/dfota. Uploads run in this process through
// Main(), exactly as `dfota upload` would.
#include <sstream>

#include "cli/command.hpp"
#include "cli/main_command.hpp"
#include "mender/update_module.hpp"

namespace dfota::cli {

namespace {

class MenderUpdateModuleCommand final : public Command {
public:
  explicit MenderUpdateModuleCommand(CLI::App& app) {
    auto* sub = app.add_subcommand("mender-update-module",
                                   "The Mender Update Module 'dfota': Mender's client runs it for each state");
    sub->add_option("state", state_, "The Update Module state (ArtifactInstall, ArtifactRollback, ...)")->required();
    sub->add_option("files", files_, "The payload's tree Mender prepared")->required()->check(CLI::ExistingDirectory);
    sub->footer("Installed as /usr/share/mender/modules/v3/dfota; an artifact of type 'dfota' carries a package and\n"
                "meta-data naming the port. See samples/mender/README.md and docs/release-guide.md (Fleets).\n"
                "Exit 0 for success; otherwise dfota's exit code (dfota --help), which Mender takes as a failure.");
  }

  int run(std::ostream& out, std::ostream& err) override {
    mender::Environment environment;
    environment.upload = [](const std::vector<std::string>& args, std::string& json_lines, std::ostream& log) {
      std::vector<std::string> command{"dfota"};
      command.insert(command.end(), args.begin(), args.end());
      std::ostringstream json;
      const int code = Main(command, json, log);
      json_lines = json.str();
      return code;
    };
    return mender::handle_state(state_, files_, environment, out, err);
  }

private:
  std::string state_;
  std::string files_;
};

} // namespace

std::unique_ptr<Command> make_mender_command(CLI::App& app) { return std::make_unique<MenderUpdateModuleCommand>(app); }

} // namespace dfota::cli
