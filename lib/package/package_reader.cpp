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
  std::set<std::string> names;
  for (const auto& entry : zip->entries()) {
    if (!entry.safe_name) {
      return make_error(PackageErrc::unsafe_entry,
                        path.string() + ": entry \"" + entry.name + "\" has an unsafe name (absolute or with ..)");
    }
    if (!names.insert(entry.name).second) {
      return make_error(PackageErrc::unsafe_entry, path.string() + ": entry " + entry.name + " appears twice");
    }
  }
  if (!zip->find(kManifestEntry)) {
    return make_error(PackageErrc::manifest_missing, path.string() + ": no manifest.json (not a dfota package?)");
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
  return OpenedPackage{std::move(*zip), std::move(*manifest), std::move(*bytes)};
}

} // namespace dfota::package
