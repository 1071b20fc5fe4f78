#include "upload/methods/upload_method.hpp"

namespace dfota::upload {

const UploadMethod* find_upload_method(std::string_view name) {
  if (name == "com") return &com_method();
  if (name == "file") return &file_method();
  if (name == "qfupl") return &qfupl_method();
  if (name == "url") return &url_method();
  return nullptr;
}

} // namespace dfota::upload
