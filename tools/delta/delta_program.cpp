#include "delta/delta_program.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

#include "cli/exit_codes.hpp"
#include "core/files.hpp"
#include "core/text.hpp"
#include "delta/engines.hpp"
#include "delta/image_files.hpp"

namespace dfota::delta_tool {

namespace {

using cli::ExitCode;

constexpr std::string_view kUsageText = "usage: dfota-delta diff OLD NEW -o PAYLOAD\n"
                                        "       dfota-delta patch OLD PAYLOAD -o NEW [--size BYTES]\n";

constexpr std::string_view kHelp = "dfota-delta: write and apply native delta payloads between two images\n\n"
                                   "  diff OLD NEW -o PAYLOAD            write the payload that turns OLD into NEW\n"
                                   "  patch OLD PAYLOAD -o NEW           apply it; -o OLD patches OLD in place\n"
                                   "        [--size BYTES]               and check the result's size\n"
                                   "                                     (PAYLOAD '-': read it from standard input)\n\n"
                                   "Payloads are those of 'dfota diff' and 'dfota patch' with the native engine.\n"
                                   "Manual: man dfota-delta.\n\n"
                                   "Exit codes:\n";

// The exit codes dfota-delta can return, with dfota's numbers and meanings
// worded for raw payloads.
struct ExitCodeLine {
  ExitCode code;
  const char* meaning;
};
constexpr ExitCodeLine kExitCodes[] = {
    {cli::kOk, "success"},
    {cli::kInternal, "internal error (a bug)"},
    {cli::kUsage, "bad command line, or -o names an input"},
    {cli::kIoError, "cannot read an input or write the output"},
    {cli::kPayloadMismatch, "the payload cannot be decoded, or its result is not --size bytes"},
    {cli::kSourceMismatch, "OLD is not the image the payload was made from"},
    {cli::kLimitExceeded, "an input exceeds a safety limit"},
};

void print(std::FILE* stream, std::string_view text) { std::fwrite(text.data(), 1, text.size(), stream); }

int usage_error(std::FILE* err, const std::string& message) {
  print(err, "dfota-delta: error: " + message + " (see 'dfota-delta --help')\n");
  return cli::kUsage;
}

// The output would replace the input `what`: refused before anything is read.
int refuse_output_over(std::FILE* err, const std::string& what) {
  print(err, "dfota-delta: error: -o names " + what + " itself; write the output elsewhere\n");
  return cli::kUsage;
}

int report(std::FILE* err, const Error& error) {
  print(err, "dfota-delta: error: " + error.message() + "\n");
  return cli::exit_code_for(error);
}

// The command line once read: the verb, its positional arguments and options.
struct CommandLine {
  std::string verb;
  std::vector<std::string> operands;
  std::optional<std::string> output;
  std::optional<std::uint64_t> size;
};

// Reads args[2..] of `verb`; on a bad command line returns the message.
std::optional<std::string> read_command_line(const std::vector<std::string>& args, CommandLine& line) {
  line.verb = args[1];
  for (std::size_t i = 2; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool takes_value = arg == "-o" || arg == "--output" || (line.verb == "patch" && arg == "--size");
    if (takes_value) {
      if (i + 1 == args.size()) return arg + " needs a value";
      const std::string& value = args[++i];
      if (arg == "--size") {
        line.size = parse_whole_number(value);
        if (!line.size) return "--size: must be a whole number (0 or more), not " + value;
      } else {
        if (line.output) return "-o given twice";
        line.output = value;
      }
    } else if (arg.size() > 1 && arg[0] == '-') {
      return "unknown option " + arg;
    } else {
      line.operands.push_back(arg);
    }
  }
  if (line.operands.size() != 2) return line.verb == "diff" ? "diff takes OLD and NEW" : "patch takes OLD and PAYLOAD";
  if (!line.output) return "-o is required";
  if (line.output->empty()) return "-o is empty; give it a value";
  for (const auto& operand : line.operands) {
    if (operand.empty())
      return line.verb == "diff" ? "OLD and NEW may not be empty" : "OLD and PAYLOAD may not be empty";
  }
  return std::nullopt;
}

int run_diff(const CommandLine& line, std::FILE* out, std::FILE* err) {
  const std::string &old_path = line.operands[0], &new_path = line.operands[1];
  if (names_same_file(*line.output, old_path)) return refuse_output_over(err, "OLD");
  if (names_same_file(*line.output, new_path)) return refuse_output_over(err, "NEW");
  auto written = delta::diff_image_files(delta::NativeEngine(), old_path, new_path, *line.output);
  if (!written) return report(err, written.error());
  print(out, *line.output + ": " + grouped(*written) + " bytes\n");
  return cli::kOk;
}

int run_patch(const CommandLine& line, std::FILE* out, std::FILE* err) {
  const std::string &old_path = line.operands[0], &payload_path = line.operands[1];
  // -o may name OLD (patched in place), never PAYLOAD.
  if (payload_path != "-" && names_same_file(*line.output, payload_path)) return refuse_output_over(err, "PAYLOAD");
  auto written = delta::patch_image_file(delta::NativeEngine(), old_path, payload_path, *line.output,
                                         line.size.value_or(delta::kUnknownSize));
  if (!written) return report(err, written.error());
  print(out, *line.output + ": " + grouped(*written) + " bytes\n");
  return cli::kOk;
}

} // namespace

int DeltaMain(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  if (args.size() < 2) {
    print(err, kUsageText);
    return cli::kUsage;
  }
  const std::string& first = args[1];
  const bool wants_help =
      std::any_of(args.begin() + 1, args.end(), [](const std::string& arg) { return arg == "-h" || arg == "--help"; });
  if (wants_help) { // anywhere, as in `dfota-delta patch --help`
    std::string text(kHelp);
    for (const auto& [code, meaning] : kExitCodes)
      text += std::string(code < 10 ? "   " : "  ") + std::to_string(code) + "  " + meaning + "\n";
    print(out, text);
    return cli::kOk;
  }
  if (first == "--version") {
    print(out, "dfota-delta 0.1.0\n");
    return cli::kOk;
  }
  if (first != "diff" && first != "patch") return usage_error(err, "unknown command '" + first + "'");
  CommandLine line;
  if (auto problem = read_command_line(args, line)) return usage_error(err, *problem);
  try {
    return line.verb == "diff" ? run_diff(line, out, err) : run_patch(line, out, err);
  } catch (const std::exception& e) {
    print(err, std::string("dfota-delta: internal error: ") + e.what() + "\n");
    return cli::kInternal;
  }
}

} // namespace dfota::delta_tool
