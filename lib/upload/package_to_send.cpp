#include "upload/package_to_send.hpp"

#include "core/files.hpp"
#include "profiles/revision.hpp"

namespace dfota::upload {

Expected<std::shared_ptr<const PackageToSend>> load_package_to_send(const std::filesystem::path& path) {
  // The layout only: the file is read whole below, and hashed once there.
  auto inspected = package::inspect_layout(path);
  if (!inspected) return inspected.error();
  auto bytes = read_file(path.string(), 4ull << 30);
  if (!bytes) return bytes.error();
  auto loaded = std::make_shared<PackageToSend>();
  loaded->path = path;
  loaded->bytes = std::move(*bytes);
  const Digests digests = digest_bytes(loaded->bytes); // the one pass over the bytes
  loaded->checksum = digests.module_checksum;
  loaded->facts = std::make_shared<const validate::PackageFacts>(validate::examine_package(path, {}, digests));
  loaded->layout = inspected->layout;
  if (inspected->manifest) {
    loaded->target_version = inspected->manifest->target_version;
    loaded->source_version = inspected->manifest->source_version;
    loaded->versions_from = "manifest";
  } else {
    // A recovery zip's metadata, when it names revisions a module prints
    // (project, R<nn>A<nn>): Android build fingerprints are not taken.
    for (const auto& [key, value] : inspected->facts) {
      const bool revision = !profiles::parse_revision(value).project.empty();
      if (key == "metadata.post-build" && revision) loaded->target_version = value;
      if (key == "metadata.pre-build" && revision) loaded->source_version = value;
    }
    if (!loaded->target_version.empty() || !loaded->source_version.empty())
      loaded->versions_from = "META-INF/com/android/metadata";
  }
  return std::shared_ptr<const PackageToSend>(std::move(loaded));
}

} // namespace dfota::upload
