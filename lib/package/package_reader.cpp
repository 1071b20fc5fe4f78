#include "package/package_reader.hpp"

#include <set>

#include "core/hash.hpp"

namespace dfota::package {

namespace {
class VerifiedReader final : public Reader {
public:
  VerifiedReader(std::unique_ptr<Reader> inner, Payload expected)
      : inner_(std::move(inner)), expected_(std::move(expected)), sha_(Digest::Kind::sha256) {}

  Expected<std::size_t> read(std::span<std::uint8_t> buffer) override {
    auto got = inner_->read(buffer);
    if (!got) return got;
    size_ += *got;
    if (size_ > expected_.size) return mismatch("is longer than the manifest says");
    if (*got == 0 && !finished_) {
      finished_ = true;
      if (size_ != expected_.size) return mismatch("is shorter than the manifest says");
      std::string actual = sha_.finish_hex();
      if (actual != expected_.sha256) {
        return make_error(PackageErrc::payload_mismatch, "payload " + expected_.path + " has SHA-256 " + actual +
                                                             ", the manifest says " + expected_.sha256);
      }
    } else {
      sha_.update(buffer.first(*got));
    }
    return got;
  }

private:
  Error mismatch(const std::string& what) const {
    return make_error(PackageErrc::payload_mismatch, "payload " + expected_.path + " " + what);
  }
  std::unique_ptr<Reader> inner_;
  Payload expected_;
  Digest sha_;
  std::uint64_t size_ = 0;
  bool finished_ = false;
};
} // namespace

Expected<std::unique_ptr<Reader>> open_payload(const ZipReader& zip, const Payload& expected) {
  auto inner = zip.open_entry(expected.path);
  if (!inner) return inner.error();
  return std::unique_ptr<Reader>(std::make_unique<VerifiedReader>(std::move(*inner), expected));
}

Expected<OpenedPackage> open_package(const std::filesystem::path& path) {
  auto zip = ZipReader::open(path);
  if (!zip) return zip.error();
  // The container's rules (formats/package-v1.md, "Container"): safe names,
  // each once (a trailing '/' makes no new name), every entry stored.
  std::set<std::string> names;
  for (const auto& entry : zip->entries()) {
    if (!entry.safe_name) {
      return make_error(PackageErrc::unsafe_entry,
                        path.string() + ": entry \"" + entry.name + "\" has an unsafe name (absolute or with ..)");
    }
    std::string name = entry.name;
    if (!name.empty() && name.back() == '/') name.pop_back();
    if (!names.insert(name).second) {
      return make_error(PackageErrc::unsafe_entry, path.string() + ": entry " + name + " appears twice");
    }
  }
  if (!zip->find(kManifestEntry)) {
    return make_error(PackageErrc::manifest_missing, path.string() + ": no manifest.json (not a dfota package?)");
  }
  if (zip->entries().front().name != kManifestEntry) {
    return make_error(PackageErrc::unsafe_entry, path.string() + ": entry " + zip->entries().front().name +
                                                     " comes before manifest.json, which must be first");
  }
  for (const auto& entry : zip->entries()) {
    if (entry.method != 0) {
      return make_error(PackageErrc::unsafe_entry,
                        path.string() + ": entry " + entry.name + " is compressed; every entry must be stored");
    }
  }
  auto bytes = zip->read_entry(kManifestEntry, kMaxManifestSize);
  if (!bytes) return bytes.error();
  auto manifest = parse_manifest(*bytes);
  if (!manifest) return manifest.error();

  auto check_payload = [&](const std::optional<Payload>& payload) -> Status {
    if (!payload) return {};
    const ZipEntryInfo* entry = zip->find(payload->path);
    if (!entry) return make_error(PackageErrc::payload_mismatch, "the package lacks payload " + payload->path);
    if (entry->size != payload->size) {
      return make_error(PackageErrc::payload_mismatch, "payload " + payload->path + " has " +
                                                           std::to_string(entry->size) + " bytes, the manifest says " +
                                                           std::to_string(payload->size));
    }
    return {};
  };
  for (const auto& p : manifest->partitions) {
    if (auto ok = check_payload(p.payload); !ok) return ok.error();
    for (const auto& f : p.files) {
      if (auto ok = check_payload(f.payload); !ok) return ok.error();
    }
  }
  if (!zip->find(kFirmwareJsonEntry)) {
    return make_error(PackageErrc::payload_mismatch, std::string("the package lacks ") + kFirmwareJsonEntry);
  }
  // Nothing the manifest does not name: a signature covers the manifest, and
  // the manifest must cover every byte that could be sent or applied.
  std::set<std::string> named{kManifestEntry, kSignatureEntry, kFirmwareJsonEntry};
  for (const auto& p : manifest->partitions) {
    if (p.payload) named.insert(p.payload->path);
    for (const auto& f : p.files) {
      if (f.payload) named.insert(f.payload->path);
    }
  }
  for (const auto& entry : zip->entries()) {
    if (!named.count(entry.name)) {
      return make_error(PackageErrc::unsafe_entry,
                        path.string() + ": entry " + entry.name + " is not named by the manifest");
    }
  }
  return OpenedPackage{std::move(*zip), std::move(*manifest), std::move(*bytes)};
}

} // namespace dfota::package
