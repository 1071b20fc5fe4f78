// A command line as the module side reads it: "AT+QFOTADL="COM",345200,5"
// -> name "+QFOTADL", form write, arguments ["COM" quoted, "345200", "5"].
// Pure parsing for the simulator (and for anyone logging a host's commands).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dfota::at {

enum class CommandForm {
  execute, // AT+X, ATI, ATE0 (the digits of a basic command are its argument)
  test,    // AT+X=?
  read,    // AT+X?
  write,   // AT+X=<args>
};

struct Argument {
  std::string text;    // without the quotes
  bool quoted = false; // was written as "..."
};

struct CommandLine {
  std::string name; // upper case: "+QFOTADL", "I", "E", "&D", "" for plain AT
  CommandForm form = CommandForm::execute;
  std::vector<Argument> arguments;
};

// Where the command of a line a module received starts: at its first "AT"
// (either case); bytes before it (line noise, a stray +++) are not part of
// it. npos when the line holds no "AT".
std::size_t command_start(std::string_view line);

// Parses one command line (without its CR). Nothing when it does not start
// with AT or a quoted argument does not close.
std::optional<CommandLine> parse_command_line(std::string_view line);

} // namespace dfota::at
