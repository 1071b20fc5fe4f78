#include "package/applier.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "core/files.hpp"
#include "core/hash.hpp"
#include "delta/engine.hpp"
#include "firmware/firmware.hpp"
#include "package/package_signature.hpp"

namespace dfota::package {

namespace fs = std::filesystem;
using firmware::EntryType;
using firmware::PartitionKind;

namespace {

Error source_mismatch(const std::string& what, const std::string& actual, const std::string& expected) {
  return make_error(PackageErrc::source_mismatch,
                    what + ": source SHA-256 is " + actual + ", the package expects " + expected);
}

// Names the first file of a tree whose content differs from the manifest.
std::string first_tree_difference(const PartitionEntry& entry, const fs::path& dir) {
  for (const auto& file : entry.files) {
    if (file.type != EntryType::file || !file.source) continue;
    auto d = firmware::digest_file(dir / file.path);
    if (!d) return file.path + " is missing";
    if (d->sha256 != file.source->sha256) return file.path + " differs";
  }
  return "its file list or modes differ";
}

Status check_content(const std::string& what, const Digests& actual, const Content& expected) {
  if (actual.size != expected.size || actual.sha256 != expected.sha256 || actual.md5 != expected.md5) {
    return make_error(PackageErrc::target_mismatch, what + ": result has SHA-256 " + actual.sha256 + " (" +
                                                        std::to_string(actual.size) + " bytes), the package expects " +
                                                        expected.sha256 + " (" + std::to_string(expected.size) +
                                                        " bytes)");
  }
  return {};
}

class Applier {
public:
  Applier(const OpenedPackage& package, fs::path source_dir, fs::path work_dir, const ApplyOptions& options)
      : package_(package), source_dir_(std::move(source_dir)), work_(std::move(work_dir)), options_(options) {
    for (const auto& entry : package_.manifest.partitions) {
      if (entry.op == Operation::remove) continue;
      if (entry.kind == PartitionKind::image) total_ += entry.target->size;
      for (const auto& file : entry.files)
        if (file.op != Operation::remove && file.type == EntryType::file) total_ += file.target->size;
    }
  }

  Status run() {
    for (const auto& entry : package_.manifest.partitions) {
      Status ok = entry.kind == PartitionKind::image ? apply_image(entry) : apply_tree(entry);
      if (!ok) return ok;
    }
    return write_firmware_json();
  }
  std::uint64_t bytes_written() const { return written_; }

private:
  // Produces one file at `out` from `payload` (or a copy of `source_file`
  // when unchanged) and checks it against `target`.
  Status produce(const std::string& what, Operation op, const std::optional<Payload>& payload,
                 const fs::path& source_file, bool has_source, const Content& target, const fs::path& out,
                 unsigned mode) {
    auto file = OutputFile::create(out, 0600);
    if (!file) return file.error();
    DigestWriter digest;
    TeeWriter tee(file->writer(), digest);
    // An engine writes a piece per copy or literal run: gathered here into
    // large writes to the file and the digest.
    BufferedWriter output(tee);
    MappedFile source;
    if (has_source) {
      auto m = MappedFile::open(source_file.string());
      if (!m) return m.error();
      source = std::move(*m);
    }
    if (op == Operation::unchanged) {
      if (auto ok = output.write(source.bytes()); !ok) return ok;
    } else {
      const delta::Engine* engine = delta::find_engine(payload->engine);
      if (!engine) {
        return make_error(PackageErrc::manifest_invalid, what + ": unknown engine \"" + payload->engine + "\"");
      }
      auto reader = open_payload(package_.zip, *payload);
      if (!reader) return reader.error();
      // An engine that keeps its history in its output decodes into the
      // file's mapping (no window of its own), and the digest is taken from
      // there once it is whole; the others stream through `output`.
      if (engine->keeps_history_in_target()) {
        auto region = file->map_region(target.size);
        if (!region) return region.error();
        if (auto ok = engine->apply_into(source.bytes(), **reader, *region); !ok) return ok.error().with_context(what);
        if (auto ok = digest.write(*region); !ok) return ok;
      } else if (auto ok = engine->apply(source.bytes(), **reader, output, target.size); !ok) {
        return ok.error().with_context(what);
      }
      // Drain the payload so that its hash is checked to the last byte.
      std::uint8_t extra[1];
      auto tail = (*reader)->read(extra);
      if (!tail) return tail.error();
      if (*tail != 0) return make_error(PackageErrc::payload_mismatch, what + ": payload has data after its end");
    }
    if (auto ok = output.flush(); !ok) return ok;
    if (auto ok = check_content(what, digest.finish(), target); !ok) return ok;
    if (auto ok = file->set_mode(mode); !ok) return ok;
    if (auto ok = file->commit(); !ok) return ok;
    written_ += target.size;
    if (options_.on_progress && !options_.on_progress(written_, total_))
      return make_error(CoreErrc::cancelled, what + ": apply stopped by the caller");
    return {};
  }

  Status apply_image(const PartitionEntry& entry) {
    if (entry.op == Operation::remove) return {};
    return produce("partition " + entry.name, entry.op, entry.payload, source_dir_ / entry.name,
                   entry.source.has_value() && entry.op != Operation::full, *entry.target, work_ / entry.name,
                   entry.mode);
  }

  Status apply_tree(const PartitionEntry& entry) {
    if (entry.op == Operation::remove) return {};
    const fs::path root = work_ / entry.name;
    if (::mkdir(root.c_str(), 0700) != 0) return system_error(root.string(), errno);
    std::vector<std::pair<fs::path, unsigned>> dir_modes{{root, entry.mode}};
    std::set<std::string> dirs; // directories created so far, relative
    for (const auto& file : entry.files) {
      if (file.op == Operation::remove) continue;
      const std::string what = "file " + entry.name + "/" + file.path;
      // A file may only go into a directory this package creates, never
      // through a symbolic link.
      auto slash = file.path.rfind('/');
      if (slash != std::string::npos && !dirs.count(file.path.substr(0, slash))) {
        return make_error(PackageErrc::unsafe_entry, what + ": its parent is not a directory of the package");
      }
      const fs::path out = root / file.path;
      switch (file.type) {
      case EntryType::directory:
        if (::mkdir(out.c_str(), 0700) != 0) return system_error(out.string(), errno);
        dirs.insert(file.path);
        dir_modes.emplace_back(out, file.mode);
        break;
      case EntryType::symlink:
        if (::symlink(file.link_target.c_str(), out.c_str()) != 0) return system_error(out.string(), errno);
        break;
      case EntryType::file: {
        const bool has_source = file.source.has_value() && file.op != Operation::full;
        if (auto ok = produce(what, file.op, file.payload, source_dir_ / entry.name / file.path, has_source,
                              *file.target, out, file.mode);
            !ok) {
          return ok;
        }
        break;
      }
      }
    }
    // Modes last, deepest first, so that read-only directories are filled
    // before they close.
    for (auto it = dir_modes.rbegin(); it != dir_modes.rend(); ++it) {
      if (::chmod(it->first.c_str(), it->second) != 0) return system_error(it->first.string(), errno);
    }
    auto digest = firmware::digest_tree(root, listing_version(package_.manifest));
    if (!digest) return digest.error();
    return check_content("partition " + entry.name, *digest, *entry.target);
  }

  Status write_firmware_json() {
    auto bytes = package_.zip.read_entry(kFirmwareJsonEntry, 1 << 20);
    if (!bytes) return bytes.error();
    Digests d = digest_bytes(*bytes);
    if (d.sha256 != package_.manifest.firmware_json.sha256 || d.size != package_.manifest.firmware_json.size) {
      return make_error(PackageErrc::payload_mismatch,
                        std::string(kFirmwareJsonEntry) + " does not match the manifest");
    }
    auto file = OutputFile::create(work_ / firmware::kFirmwareJson, package_.manifest.firmware_json_mode);
    if (!file) return file.error();
    if (auto ok = file->writer().write(*bytes); !ok) return ok;
    return file->commit();
  }

  const OpenedPackage& package_;
  fs::path source_dir_;
  fs::path work_;
  const ApplyOptions& options_;
  std::uint64_t written_ = 0;
  std::uint64_t total_ = 0;
};

} // namespace

namespace {

// Clears setuid, setgid, sticky and world-writable bits below `root` (symbolic
// links are not followed); returns the paths changed, relative to `root`.
Expected<std::vector<std::string>> drop_special_modes(const fs::path& root) {
  constexpr mode_t kSpecial = S_ISUID | S_ISGID | S_ISVTX | S_IWOTH;
  std::vector<std::string> changed;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) return system_error(it->path().string(), errno);
    if (S_ISLNK(st.st_mode) || (st.st_mode & kSpecial) == 0) continue;
    if (::chmod(it->path().c_str(), st.st_mode & 07777 & ~kSpecial) != 0)
      return system_error(it->path().string(), errno);
    changed.push_back(fs::relative(it->path(), root).string());
  }
  if (ec) return system_error(root.string(), ec.value());
  return changed;
}

} // namespace

Status verify_source(const Manifest& manifest, const fs::path& source_dir) {
  auto source = firmware::open_firmware(source_dir);
  if (!source) {
    return make_error(PackageErrc::source_mismatch, "source " + source_dir.string() + ": " + source.error().message());
  }
  std::map<std::string, const firmware::Partition*> present;
  for (const auto& p : source->partitions)
    present[p.name] = &p;
  for (const auto& entry : manifest.partitions) {
    auto it = present.find(entry.name);
    if (!entry.source) {
      if (it != present.end()) {
        return make_error(PackageErrc::source_mismatch, "partition " + entry.name +
                                                            ": the source has it, but the package was built from a "
                                                            "firmware without it");
      }
      continue;
    }
    if (it == present.end()) {
      return make_error(PackageErrc::source_mismatch,
                        "partition " + entry.name + ": missing from the source " + source_dir.string());
    }
    if (it->second->kind != entry.kind) {
      return make_error(PackageErrc::source_mismatch,
                        "partition " + entry.name + ": is a " + firmware::to_string(it->second->kind) +
                            " in the source, the package expects a " + firmware::to_string(entry.kind));
    }
    const fs::path path = source_dir / entry.name;
    auto digest = entry.kind == PartitionKind::image ? firmware::digest_file(path)
                                                     : firmware::digest_tree(path, listing_version(manifest));
    if (!digest) return digest.error();
    if (digest->sha256 != entry.source->sha256 || digest->size != entry.source->size) {
      std::string what = "partition " + entry.name;
      if (entry.kind == PartitionKind::tree) what += " (" + first_tree_difference(entry, path) + ")";
      return source_mismatch(what, digest->sha256, entry.source->sha256);
    }
    present.erase(it);
  }
  if (!present.empty()) {
    return make_error(PackageErrc::source_mismatch,
                      "partition " + present.begin()->first + ": the source has it, but the package does not know it");
  }
  return {};
}

Expected<ApplyResult> apply_package(const OpenedPackage& package, const fs::path& source_dir,
                                    const fs::path& output_dir, const ApplyOptions& options) {
  if (!options.trusted_keys.empty()) {
    if (auto key = verify_package(package, options.trusted_keys); !key) return key.error();
  }
  if (is_within(output_dir, source_dir)) {
    return make_error(PackageErrc::output_exists, output_dir.string() + ": the result would be written inside " +
                                                      source_dir.string() +
                                                      ", the source firmware, and become part of it; write it "
                                                      "elsewhere");
  }
  std::error_code ec;
  const bool output_present = fs::exists(fs::symlink_status(output_dir, ec));
  const bool output_is_directory = fs::is_directory(fs::symlink_status(output_dir, ec));
  const bool output_in_use = output_present && !(output_is_directory && fs::is_empty(output_dir, ec));
  if (output_in_use && !(options.replace_output && output_is_directory)) {
    return make_error(PackageErrc::output_exists,
                      output_dir.string() + " already exists and is not an empty directory");
  }
  if (!options.source_verified) {
    if (auto ok = verify_source(package.manifest, source_dir); !ok) return ok.error();
  }

  fs::path absolute_out = fs::absolute(output_dir, ec);
  fs::path parent = absolute_out.parent_path();
  auto work = TempDir::create_beside(absolute_out);
  if (!work) return work.error();
  Applier applier(package, source_dir, work->path(), options);
  if (auto ok = applier.run(); !ok) return ok.error();
  std::vector<std::string> dropped;
  if (options.trusted_keys.empty() && !options.keep_special_modes) {
    auto stripped = drop_special_modes(work->path());
    if (!stripped) return stripped.error();
    dropped = std::move(*stripped);
  }
  if (::chmod(work->path().c_str(), 0755) != 0) return system_error(work->path().string(), errno);
  if (output_in_use) {
    // Replaced: the old directory is swapped out in one step and removed
    // only once the new one is in place.
    if (::renameat2(AT_FDCWD, work->path().c_str(), AT_FDCWD, absolute_out.c_str(), RENAME_EXCHANGE) != 0) {
      if (errno != EINVAL && errno != ENOSYS) return system_error(absolute_out.string(), errno);
      // A file system without RENAME_EXCHANGE: the old output aside, the new in, the old removed.
      const fs::path aside = work->path().string() + "-old";
      if (::rename(absolute_out.c_str(), aside.c_str()) != 0) return system_error(absolute_out.string(), errno);
      if (::rename(work->path().c_str(), absolute_out.c_str()) != 0) {
        const int saved = errno;
        ::rename(aside.c_str(), absolute_out.c_str());
        return system_error(absolute_out.string(), saved);
      }
      work->release();
      remove_tree(aside);
      return ApplyResult{package.manifest, applier.bytes_written(), std::move(dropped)};
    }
    // The work directory's name now holds the old output; the TempDir removes it.
    return ApplyResult{package.manifest, applier.bytes_written(), std::move(dropped)};
  }
  if (output_present && ::rmdir(absolute_out.c_str()) != 0) return system_error(absolute_out.string(), errno);
  if (::rename(work->path().c_str(), absolute_out.c_str()) != 0) return system_error(absolute_out.string(), errno);
  work->release();
  return ApplyResult{package.manifest, applier.bytes_written(), std::move(dropped)};
}

Expected<ApplyResult> apply_package(const fs::path& package, const fs::path& source_dir, const fs::path& output_dir,
                                    const ApplyOptions& options) {
  auto opened = open_package(package);
  if (!opened) return opened.error();
  return apply_package(*opened, source_dir, output_dir, options);
}

} // namespace dfota::package
