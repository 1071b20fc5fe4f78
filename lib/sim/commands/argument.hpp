// Reading a command's arguments in the handlers.
#pragma once

#include <string>

#include "at/command_line.hpp"

namespace dfota::sim {

// The text of argument `index`, or "" when the command has fewer.
inline std::string argument(const at::CommandLine& command, std::size_t index) {
  return index < command.arguments.size() ? command.arguments[index].text : std::string();
}

} // namespace dfota::sim
