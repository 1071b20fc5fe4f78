// The module's end of an AT port: what a simulated module serves on. A
// pseudo-terminal (pty.hpp) for a module other programs reach, an in-memory
// port (memory_ports.hpp) for a module and a host in one test process.
#pragma once

#include <string>

#include "transport/transport.hpp"

namespace dfota::transport {

class ModulePort : public Transport {
public:
  // True while a host has the port open. Reads made while none has fail
  // with closed; callers wait and try again.
  virtual bool host_attached() const = 0;
  // What the host opens (a terminal's path, a port's name), for the log.
  virtual const std::string& terminal() const = 0;
};

} // namespace dfota::transport
