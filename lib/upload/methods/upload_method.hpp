// One way of putting the package on the module and triggering its upgrade:
// a strategy per method. deliver() starts with the module identified and
// the package checked, and returns once the module has the package and was
// told to upgrade (the follower takes over), or with the failure recorded
// in the session's report.
#pragma once

#include <string_view>

#include "upload/session.hpp"

namespace dfota::upload {

class UploadMethod {
public:
  virtual ~UploadMethod() = default;
  virtual Status deliver(Session& s) const = 0;
};

const UploadMethod& com_method();
const UploadMethod& file_method();
const UploadMethod& qfupl_method();
const UploadMethod& url_method();

// The strategy for "com", "file", "qfupl" or "url"; null for another name.
const UploadMethod* find_upload_method(std::string_view name);

} // namespace dfota::upload
