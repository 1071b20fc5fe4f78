#include "sim/commands/command_table.hpp"

namespace dfota::sim {

void CommandTable::add(std::initializer_list<const char*> names, const CommandHandler& handler) {
  for (const char* name : names)
    handlers_[name] = handler;
}

bool CommandTable::dispatch(const at::CommandLine& command) const {
  auto found = handlers_.find(command.name);
  if (found == handlers_.end()) return false;
  found->second(command);
  return true;
}

} // namespace dfota::sim
