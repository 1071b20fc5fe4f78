#include "upload/package_to_send.hpp"

#include "core/files.hpp"
#include "package/package_reader.hpp"

namespace dfota::upload {

Expected<std::shared_ptr<const PackageToSend>> load_package_to_send(const std::filesystem::path& path) {
  auto opened = package::open_package(path);
  if (!opened) return opened.error();
  auto bytes = read_file(path.string(), 4ull << 30);
  if (!bytes) return bytes.error();
  auto loaded = std::make_shared<PackageToSend>();
  loaded->path = path;
  loaded->bytes = std::move(*bytes);
  loaded->checksum.update(loaded->bytes);
  loaded->target_version = opened->manifest.target_version;
  return std::shared_ptr<const PackageToSend>(std::move(loaded));
}

} // namespace dfota::upload
