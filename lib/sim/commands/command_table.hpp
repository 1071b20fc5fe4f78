// The module's AT front end as a table: one handler per command name, as
// at::parse_command_line() spells it ("+QFOTADL", "I", "E", "" for plain
// AT). Each room of commands adds its handlers: basic_commands.cpp (echo,
// identity, error reporting, functionality, flow control, PDP and FOTA
// configuration), file_commands.cpp (the file store) and fota_commands.cpp
// (AT+QFOTADL in every form). A handler answers through the Module.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>

#include "at/command_line.hpp"
#include "sim/module.hpp"
#include "sim/upgrader.hpp"

namespace dfota::sim {

using CommandHandler = std::function<void(const at::CommandLine&)>;

class CommandTable {
public:
  // Adds `handler` for every name in `names` (a later handler replaces one
  // of the same name).
  void add(std::initializer_list<const char*> names, const CommandHandler& handler);
  // Runs the command's handler; false when no handler has its name.
  bool dispatch(const at::CommandLine& command) const;

private:
  std::unordered_map<std::string, CommandHandler> handlers_;
};

// The rooms. Handlers keep `module` (and `upgrader`) by reference: both must
// outlive the table.
void add_basic_commands(CommandTable& table, Module& module);
void add_file_commands(CommandTable& table, Module& module);
void add_fota_commands(CommandTable& table, Module& module, Upgrader& upgrader);

} // namespace dfota::sim
