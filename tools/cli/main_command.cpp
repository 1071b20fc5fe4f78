#include "cli/main_command.hpp"

#include <algorithm>
#include <filesystem>

#include <iostream>
#include <sstream>
#include <unistd.h>

#include "cli/command.hpp"

namespace dfota::cli {

namespace {

std::string footer() {
  std::ostringstream text;
  text
      << "Examples:\n"
         "  dfota build --from fw/v1 --to fw/v2 -o update-v1-to-v2.zip --reverse-output update-v2-to-v1.zip\n"
         "  dfota release --to fw/v3 --from fw/v1 fw/v2 -o release-v3 -j 2\n"
         "  dfota inspect update-v1-to-v2.zip\n"
         "  dfota inspect update-v1-to-v2.zip --html update-v1-to-v2.html\n"
         "  dfota apply update-v1-to-v2.zip --source fw/v1 -o fw/v2-applied\n"
         "  dfota checksum update-v1-to-v2.zip\n"
         "  dfota validate update-v1-to-v2.zip --profile ec2x --module-version EC25EFAR06A06M4G --free-space 30000000\n"
         "  dfota validate update-v1-to-v2.zip --profile ec2x --module-version EC25EFAR06A06M4G --junit validate.xml\n"
         "  dfota upload update-v1-to-v2.zip --port /dev/ttyUSB2 --log-file upgrade.log --junit upgrade.xml\n"
         "  dfota sim --profile ec2x --firmware /tmp/module-fw --link /tmp/module0\n"
         "  dfota explain 511 --profile rg50xq\n"
         "  dfota keygen --private release.key --public release.pub\n"
         "  dfota sign update-v1-to-v2.zip --key release.key\n\n"
         "Each verb has its own options and examples: dfota VERB --help. Manual: man dfota.\n\n"
         "Exit codes:\n";
  for (const auto& row : exit_code_table()) {
    text << "  " << (row.code < 10 ? " " : "") << row.code << "  " << row.meaning << '\n';
  }
  return text.str();
}

} // namespace

bool is_terminal_stderr(const std::ostream& stream) { return &stream == &std::cerr && ::isatty(STDERR_FILENO) == 1; }

CLI::Validator whole_number() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (!parse_whole_number(value)) return "must be a whole number (0 or more), not " + value;
        return {};
      },
      "", "whole number");
}

bool names_any_file(const std::filesystem::path& output, const std::vector<std::string>& inputs) {
  return std::any_of(inputs.begin(), inputs.end(),
                     [&](const std::string& input) { return names_same_file(output, input); });
}

int refuse_output_over(std::ostream& err, const std::string& option, const std::string& what) {
  err << "dfota: error: " << option << " names " << what << " itself; write the output elsewhere\n";
  return kUsage;
}

int report(std::ostream& err, const Error& error) {
  err << "dfota: error: " << error.message() << '\n';
  return exit_code_for(error);
}

int Main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app("dfota: build, inspect, validate and apply delta firmware (DFOTA) packages for cellular modules",
               "dfota");
  app.footer(footer());
  app.require_subcommand(1);
  app.set_version_flag("--version", "dfota 0.1.0");

  std::vector<std::pair<CLI::App*, std::unique_ptr<Command>>> commands;
  auto add = [&](std::unique_ptr<Command> (*make)(CLI::App&)) {
    auto command = make(app);
    commands.emplace_back(app.get_subcommands({}).back(), std::move(command));
  };
  add(make_build_command);
  add(make_release_command);
  add(make_inspect_command);
  add(make_apply_command);
  add(make_checksum_command);
  add(make_diff_command);
  add(make_patch_command);
  add(make_validate_command);
  add(make_upload_command);
  add(make_sim_command);
  add(make_explain_command);
  add(make_keygen_command);
  add(make_sign_command);
  add(make_completion_command);

  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) { // --help or --version
      std::ostringstream ignored;
      app.exit(e, out, ignored);
      return kOk;
    }
    std::string verb;
    for (const auto& [sub, _] : commands) {
      if (sub->parsed()) verb = " " + sub->get_name();
    }
    err << "dfota: error: " << e.what() << " (see 'dfota" << verb << " --help')\n";
    return kUsage;
  }
  for (const auto& [sub, command] : commands) {
    if (sub->parsed()) {
      try {
        return command->run(out, err);
      } catch (const std::exception& e) {
        err << "dfota: internal error: " << e.what() << '\n';
        return kInternal;
      }
    }
  }
  err << "dfota: error: no command given (see 'dfota --help')\n";
  return kUsage;
}

} // namespace dfota::cli
