#include "upload/package_to_send.hpp"

#include "core/files.hpp"

namespace dfota::upload {

Expected<std::shared_ptr<const PackageToSend>> load_package_to_send(const std::filesystem::path& path) {
  auto inspected = package::inspect_package(path);
  if (!inspected) return inspected.error();
  auto bytes = read_file(path.string(), 4ull << 30);
  if (!bytes) return bytes.error();
  auto loaded = std::make_shared<PackageToSend>();
  loaded->path = path;
  loaded->bytes = std::move(*bytes);
  loaded->checksum.update(loaded->bytes);
  loaded->layout = inspected->layout;
  if (inspected->manifest) {
    loaded->target_version = inspected->manifest->target_version;
    loaded->source_version = inspected->manifest->source_version;
  }
  return std::shared_ptr<const PackageToSend>(std::move(loaded));
}

} // namespace dfota::upload
