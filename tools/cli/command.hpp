// What every `dfota <verb>` shares: a registered CLI11 subcommand whose
// options bind into the command object, and a run() that returns the exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "cli/exit_codes.hpp"
#include "core/files.hpp" // names_same_file()
#include "core/text.hpp"  // grouped()
#include "signing/keys.hpp"

namespace dfota::cli {

class Command {
public:
  virtual ~Command() = default;
  virtual int run(std::ostream& out, std::ostream& err) = 0;
};

// Each registers its subcommand on `app` and returns the object its options bind to.
std::unique_ptr<Command> make_build_command(CLI::App& app);
std::unique_ptr<Command> make_release_command(CLI::App& app);
std::unique_ptr<Command> make_inspect_command(CLI::App& app);
std::unique_ptr<Command> make_apply_command(CLI::App& app);
std::unique_ptr<Command> make_checksum_command(CLI::App& app);
std::unique_ptr<Command> make_diff_command(CLI::App& app);
std::unique_ptr<Command> make_patch_command(CLI::App& app);
std::unique_ptr<Command> make_validate_command(CLI::App& app);
std::unique_ptr<Command> make_explain_command(CLI::App& app);
std::unique_ptr<Command> make_sim_command(CLI::App& app);
std::unique_ptr<Command> make_upload_command(CLI::App& app);
std::unique_ptr<Command> make_probe_command(CLI::App& app);
std::unique_ptr<Command> make_keygen_command(CLI::App& app);
std::unique_ptr<Command> make_sign_command(CLI::App& app);
std::unique_ptr<Command> make_completion_command(CLI::App& app);
std::unique_ptr<Command> make_mender_command(CLI::App& app);

// Key options shared by the verbs (signing_commands.cpp). Loading a private
// key warns on `err` when its file is readable by other users.
Expected<signing::PrivateKey> load_signing_key(const std::string& path, std::ostream& err);
Expected<std::vector<signing::PublicKey>> load_trusted_keys(const std::vector<std::string>& paths);
void add_pubkey_option(CLI::App* sub, std::vector<std::string>& paths);

// Where profiles and the error catalogue live: $DFOTA_FORMATS_DIR, else the
// installed share/dfota/formats beside the program, else the source tree's formats/.
std::string formats_directory();

// Checks a count or size option with parse_whole_number() (core/text.hpp). (CLI11 alone turns "-5" into
// a huge unsigned value.)
CLI::Validator whole_number();

// Prints "dfota: error: <message>" and returns the error's exit code.
int report(std::ostream& err, const Error& error);

// True when `output` names one of `inputs` (names_same_file(), core/files.hpp).
bool names_any_file(const std::filesystem::path& output, const std::vector<std::string>& inputs);
// Prints "dfota: error: <option> names <what> itself; ..." and returns kUsage.
int refuse_output_over(std::ostream& err, const std::string& option, const std::string& what);

// Every output a command will write, checked before any work starts so that
// a bad one never hides the outcome of a long run: its folder must exist and
// it must not be a directory. Empty paths (options not given) are skipped.
// Prints one line and returns kIoError for the first bad one; kOk otherwise.
struct OutputOption {
  std::string option; // "--junit"
  std::string path;
  bool directory = false; // the output is a directory the command makes (apply -o, release -o)
};
int check_outputs(std::ostream& err, const std::vector<OutputOption>& outputs);

// The overwrite rule every verb follows: an output that already exists (a
// file, or a directory that is not empty) is refused with exit 16 unless
// --force is given. Reports (--html, --junit, --log-file) are rewritten by
// every run and are not subject to it; `patch -o OLD` and `sign` without -o
// work in place by design. Prints one line; returns kOk or kOutputExists.
int refuse_existing_output(std::ostream& err, const std::string& option, const std::string& path, bool force,
                           bool directory = false);
// Adds -f/--force to `sub`, bound to `force`.
void add_force_flag(CLI::App* sub, bool& force);

// The options every verb takes about its own output (set by Main before a
// verb runs): -q/--quiet (nothing but error lines; the exit code tells the
// rest), -v/--verbose (upload and sim print the AT conversation, build names
// each partition as it encodes it), --no-progress (no status lines rewritten
// in place).
struct OutputChoices {
  bool quiet = false;
  bool verbose = false;
  bool no_progress = false;
};
const OutputChoices& output_choices();

// True when `stream` is the process's standard error and that is a terminal
// that can rewrite a line (TERM is not "dumb"), and --no-progress was not
// given: a status line may then be rewritten in place. False for any other
// stream (a test's, a pipe, a file), which get no status lines at all.
bool is_terminal_stderr(const std::ostream& stream);

} // namespace dfota::cli
