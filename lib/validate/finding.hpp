// One rule's verdict on a package for a module.
#pragma once

#include <string>

namespace dfota::validate {

enum class Verdict { pass, fail, warn, skip };
const char* to_string(Verdict verdict);

struct Finding {
  std::string rule; // zip, signature, payloads, project, version, source, size, space, url, upload-name, method
  Verdict verdict = Verdict::skip;
  int code = 0;        // the module's error code that this predicts (0: none)
  std::string message; // one line; never contains a password
};

} // namespace dfota::validate
