// Running a helper program (the xdelta3 encoder) without a shell.
#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"

namespace dfota {

struct ProcessResult {
  int exit_status = -1;     // exit code, or 128 + signal number
  std::string error_output; // standard error, at most 64 KiB kept
};

// Runs argv[0] (looked up in PATH) with stdin from /dev/null and stdout
// discarded; waits for it. Fails with CoreErrc::subprocess_failed only when
// the program cannot be started; a non-zero exit is reported in the result.
Expected<ProcessResult> run_program(const std::vector<std::string>& argv);

// True when `name` is an executable found in PATH.
bool program_available(const std::string& name);

} // namespace dfota
