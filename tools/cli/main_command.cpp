#include "cli/main_command.hpp"

#include <algorithm>
#include <filesystem>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string_view>
#include <unistd.h>

#include "cli/command.hpp"
#include "cli/suggestions.hpp"

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

// Options whose empty value means something (an empty APN is the network's default).
bool may_be_empty(const CLI::Option& option) { return option.get_name() == "--apn"; }

// The first option of `sub` given an empty value ("" from a script whose
// variable was unset), as its name; empty when there is none.
std::string option_with_empty_value(const CLI::App& sub) {
  for (const CLI::Option* option : sub.get_options()) {
    if (may_be_empty(*option)) continue;
    for (const auto& value : option->results()) {
      if (value.empty()) return option->get_name();
    }
  }
  return {};
}

std::vector<std::string> option_names(const CLI::App& sub) {
  std::vector<std::string> names;
  for (const CLI::Option* option : sub.get_options()) {
    for (const auto& name : option->get_lnames())
      names.push_back("--" + name);
    for (const auto& name : option->get_snames())
      names.push_back("-" + name);
  }
  return names;
}

// "unknown option '--frm'; did you mean '--from'?" for the first option
// after the verb that `sub` does not have; empty when every option is known.
std::string unknown_option(const CLI::App& sub, const std::string& verb, const std::vector<std::string>& args) {
  const auto known = option_names(sub);
  bool after_verb = verb.empty();
  bool is_value = false; // the previous argument was an option waiting for its value
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!after_verb) {
      after_verb = arg == verb;
      continue;
    }
    if (arg == "--") break;
    if (is_value || arg.size() < 2 || arg[0] != '-') {
      is_value = false;
      continue;
    }
    const std::string name = arg.substr(0, arg.find('='));
    if (std::find(known.begin(), known.end(), name) != known.end()) {
      const CLI::Option* option = sub.get_option_no_throw(name);
      is_value = option != nullptr && option->get_type_size() > 0 && name.size() == arg.size();
      continue;
    }
    std::string message = "unknown option '" + name + "'";
    if (auto near = nearest_name(name, known)) message += "; did you mean '" + *near + "'?";
    return message;
  }
  return {};
}

// Arguments nothing took, in the order given.
std::string unexpected_arguments(const std::vector<std::string>& extras) {
  std::string message = extras.size() > 1 ? "unexpected arguments" : "unexpected argument";
  for (const auto& extra : extras)
    message += " '" + extra + "'";
  return message;
}

} // namespace

namespace {
OutputChoices g_output_choices;

// Passes on only the lines that are errors ("dfota: error: ...",
// "dfota: internal error: ..."), for --quiet.
class ErrorLinesOnly final : public std::streambuf {
public:
  explicit ErrorLinesOnly(std::ostream& target) : target_(target) {}

protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    line_ += traits_type::to_char_type(c);
    if (line_.back() == '\n') {
      if (line_.rfind("dfota: error: ", 0) == 0 || line_.rfind("dfota: internal error: ", 0) == 0)
        target_ << line_ << std::flush;
      line_.clear();
    }
    return c;
  }

private:
  std::ostream& target_;
  std::string line_;
};

// Discards everything, for --quiet's standard output.
class Discard final : public std::streambuf {
protected:
  int_type overflow(int_type c) override { return traits_type::not_eof(c); }
};
} // namespace

const OutputChoices& output_choices() { return g_output_choices; }

bool is_terminal_stderr(const std::ostream& stream) {
  if (g_output_choices.no_progress || g_output_choices.quiet) return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return &stream == &std::cerr && ::isatty(STDERR_FILENO) == 1;
}

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

int check_outputs(std::ostream& err, const std::vector<OutputOption>& outputs) {
  for (const auto& [option, path, directory] : outputs) {
    if (path.empty() || path == "-") continue;
    const std::filesystem::path output(path);
    std::filesystem::path folder = output.parent_path();
    if (folder.empty()) folder = ".";
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec)) {
      err << "dfota: error: " << option << " " << printable(path) << ": the folder " << printable(folder.string())
          << " does not exist\n";
      return kIoError;
    }
    if (!directory && std::filesystem::is_directory(output, ec)) {
      err << "dfota: error: " << option << " " << printable(path) << " is a directory; name a file\n";
      return kIoError;
    }
  }
  return kOk;
}

int refuse_existing_output(std::ostream& err, const std::string& option, const std::string& path, bool force,
                           bool directory) {
  if (force || path.empty() || path == "-") return kOk;
  std::error_code ec;
  const auto status = std::filesystem::symlink_status(path, ec);
  if (!std::filesystem::exists(status)) return kOk;
  if (directory && std::filesystem::is_directory(status) && std::filesystem::is_empty(path, ec)) return kOk;
  err << "dfota: error: " << option << " " << printable(path) << " exists"
      << (directory && std::filesystem::is_directory(status) ? " and is not empty" : "")
      << "; give --force to replace it\n";
  return kOutputExists;
}

void add_force_flag(CLI::App* sub, bool& force) {
  sub->add_flag("-f,--force", force, "Replace an output that exists already");
}

int report(std::ostream& err, const Error& error) {
  err << "dfota: error: " << printable(error.message()) << '\n';
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
  add(make_probe_command);
  add(make_sim_command);
  add(make_explain_command);
  add(make_keygen_command);
  add(make_sign_command);
  add(make_completion_command);
  add(make_mender_command);

  // Every verb takes -q, -v and --no-progress.
  OutputChoices choices;
  for (const auto& [sub, _] : commands) {
    sub->add_flag("-q,--quiet", choices.quiet, "Print nothing but errors (the exit code tells the rest)");
    sub->add_flag("-v,--verbose", choices.verbose,
                  "Say more: the AT conversation (upload, sim), each partition as it is encoded (build)");
    sub->add_flag("--no-progress", choices.no_progress, "No status lines rewritten in place (also when TERM=dumb)");
  }

  // A repeatable option takes one value each time it is given (--pubkey A
  // --pubkey B) on verbs with positional arguments, so that it never swallows
  // the package that follows it.
  for (const auto& [sub, _] : commands) {
    bool has_positional = false;
    for (const CLI::Option* option : sub->get_options())
      has_positional = has_positional || option->get_positional();
    if (!has_positional) continue;
    for (CLI::Option* option : sub->get_options()) {
      if (!option->get_positional() && option->get_expected_max() > 1) option->allow_extra_args(false);
    }
  }

  // A first word that is no verb is named, with the verb it is nearest to.
  if (args.size() > 1 && !args[1].empty() && args[1][0] != '-') {
    std::vector<std::string> verbs;
    for (const auto& [sub, _] : commands)
      verbs.push_back(sub->get_name());
    if (std::find(verbs.begin(), verbs.end(), args[1]) == verbs.end()) {
      err << "dfota: error: unknown command '" << printable(args[1]) << "'";
      if (auto near = nearest_name(args[1], verbs)) err << "; did you mean '" << *near << "'?";
      err << " (see 'dfota --help')\n";
      return kUsage;
    }
  }

  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  CLI::App* parsed = nullptr;
  auto parsed_verb = [&] {
    for (const auto& [sub, _] : commands) {
      if (sub->parsed()) return sub;
    }
    return static_cast<CLI::App*>(nullptr);
  };
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) { // --help or --version
      std::ostringstream ignored;
      app.exit(e, out, ignored);
      return kOk;
    }
    parsed = parsed_verb();
    const std::string verb = parsed ? parsed->get_name() : "";
    const std::string see = "see 'dfota" + (verb.empty() ? "" : " " + verb) + " --help'";
    std::string message = unknown_option(parsed ? *parsed : app, verb, args);
    if (message.empty() && dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      const auto extras = (parsed ? *parsed : app).remaining();
      if (!extras.empty()) message = unexpected_arguments(extras);
    }
    if (message.empty()) message = e.what();
    err << "dfota: error: " << printable(message) << " (" << see << ")\n";
    return kUsage;
  }
  parsed = parsed_verb();
  if (parsed != nullptr) {
    if (const auto option = option_with_empty_value(*parsed); !option.empty()) {
      err << "dfota: error: " << option << " is empty; give it a value (see 'dfota " << parsed->get_name()
          << " --help')\n";
      return kUsage;
    }
  }
  g_output_choices = choices;
  ErrorLinesOnly error_lines(err);
  Discard discard;
  std::ostream quiet_err(&error_lines), quiet_out(&discard);
  for (const auto& [sub, command] : commands) {
    if (sub == parsed) {
      try {
        if (choices.quiet) return command->run(quiet_out, quiet_err);
        return command->run(out, err);
      } catch (const std::exception& e) {
        err << "dfota: internal error: " << printable(e.what()) << '\n';
        return kInternal;
      }
    }
  }
  err << "dfota: error: no command given (see 'dfota --help')\n";
  return kUsage;
}

} // namespace dfota::cli
