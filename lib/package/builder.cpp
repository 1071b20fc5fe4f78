#include "package/builder.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <sys/stat.h>

#include "core/files.hpp"
#include "core/hash.hpp"
#include "delta/engine.hpp"
#include "firmware/firmware.hpp"
#include "package/package_signature.hpp"
#include "package/zip_container.hpp"

namespace dfota::package {

namespace fs = std::filesystem;
using firmware::EntryType;
using firmware::PartitionKind;

namespace {

Content content_of(ByteSpan bytes) {
  Digests d = digest_bytes(bytes);
  return Content{d.size, d.sha256, d.md5};
}

Content content_of(const Digests& d) { return Content{d.size, d.sha256, d.md5}; }

// Collects a candidate's payload while it is no larger than `smallest` (the
// smallest payload another candidate has finished); refuses the write that
// would make it larger, so that the engine stops there. `smallest` is shared
// with the candidates running at the same time and only ever decreases.
class WithinSmallest final : public Writer {
public:
  explicit WithinSmallest(const std::atomic<std::uint64_t>& smallest) : smallest_(smallest) {}
  Status write(ByteSpan data) override {
    if (out_.bytes().size() + data.size() > smallest_.load()) {
      outgrown_ = true;
      return make_error(delta::DeltaErrc::limit_exceeded, "larger than a payload already made");
    }
    return out_.write(data);
  }
  Bytes& bytes() { return out_.bytes(); }
  // True once a write was refused: the engine's failure means "lost".
  bool outgrown() const { return outgrown_; }

private:
  const std::atomic<std::uint64_t>& smallest_;
  VectorWriter out_;
  bool outgrown_ = false;
};

// The share of the current partition encoded, told to a BuildOptions
// callback each time its whole percent rises, one call at a time. Engines
// tell it from their own threads.
class PartitionProgress {
public:
  explicit PartitionProgress(const std::function<void(double)>& sink) : sink_(sink) {}
  // A new partition: back to 0 %.
  void restart() {
    std::lock_guard lock(mutex_);
    percent_ = -1;
  }
  // Raises the share to `fraction` (a lower one is ignored).
  void rise_to(double fraction) {
    if (!sink_) return;
    const int percent = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 100);
    std::lock_guard lock(mutex_);
    if (percent <= percent_) return;
    percent_ = percent;
    sink_(percent / 100.0);
  }
  bool wanted() const { return static_cast<bool>(sink_); }

private:
  const std::function<void(double)>& sink_;
  std::mutex mutex_;
  int percent_ = -1;
};

// Where one object's encoding lies within its partition's work.
struct ShareOfPartition {
  double start = 0;
  double width = 1;
};

struct Encoded {
  std::string engine;
  Bytes payload;
  std::uint64_t apply_memory = 0;
};

class PackageAssembler {
public:
  PackageAssembler(const BuildOptions& options, fs::path payload_dir)
      : options_(options), payload_dir_(std::move(payload_dir)), progress_(options_.on_partition_progress) {}

  PartitionProgress& progress() { return progress_; }

  // Picks the engine and encodes source -> target. `source` empty and
  // `has_source` false means a new object: only `full` applies. The
  // candidates' mean progress is told as `share` of the partition.
  Expected<Encoded> encode(ByteSpan source, ByteSpan target, bool has_source, ShareOfPartition share = {}) {
    std::vector<const delta::Engine*> candidates;
    if (!has_source) {
      candidates.push_back(delta::find_engine("full"));
    } else if (options_.engine == "auto") {
      for (const auto& name : delta::engine_names()) {
        const delta::Engine* e = delta::find_engine(name);
        if (e->can_diff()) candidates.push_back(e);
      }
    } else {
      const delta::Engine* e = delta::find_engine(options_.engine);
      if (!e) return make_error(delta::DeltaErrc::unknown_engine, "unknown engine " + options_.engine);
      candidates.push_back(e);
    }
    // The smallest payload wins, ties going to the earlier candidate. The
    // candidates whose payload comes out only at the end run first,
    // concurrently (engines share no state); then those that write as they
    // encode, each stopped as soon as it has written more than the smallest
    // payload finished so far: it could no longer win. The choice does not
    // depend on timing, only the work saved does.
    std::atomic<std::uint64_t> smallest{UINT64_MAX};
    // Each candidate's share done; an engine that tells nothing counts as
    // done when it returns.
    std::vector<std::atomic<double>> done(candidates.size());
    auto tell = [this, &done, share] {
      double sum = 0;
      for (const auto& d : done)
        sum += d.load();
      progress_.rise_to(share.start + share.width * sum / static_cast<double>(done.size()));
    };
    auto run = [&, source, target](std::size_t index) -> Expected<std::optional<Bytes>> {
      const delta::Engine* engine = candidates[index];
      WithinSmallest out(smallest);
      delta::DiffProgress told;
      if (progress_.wanted()) {
        told = [&done, &tell, index](double fraction) {
          done[index].store(fraction);
          tell();
        };
      }
      const Status ok = engine->diff(source, target, out, told);
      if (progress_.wanted()) {
        done[index].store(1);
        tell();
      }
      if (!ok) {
        if (out.outgrown()) return std::optional<Bytes>{};
        return ok.error();
      }
      std::uint64_t seen = smallest.load();
      while (out.bytes().size() < seen && !smallest.compare_exchange_weak(seen, out.bytes().size())) {
      }
      return std::optional<Bytes>{std::move(out.bytes())};
    };
    // A failure in the first group is reported without starting the second
    // (the group's other futures still finish: their destructors wait).
    std::vector<std::optional<Bytes>> results(candidates.size());
    for (bool streaming : {false, true}) {
      std::vector<std::pair<std::size_t, std::future<Expected<std::optional<Bytes>>>>> group;
      for (std::size_t i = 0; i < candidates.size(); ++i) {
        if (candidates[i]->writes_as_it_encodes() == streaming)
          group.emplace_back(i, std::async(std::launch::async, run, i));
      }
      for (auto& started : group) {
        auto result = started.second.get();
        if (!result) return result.error();
        results[started.first] = std::move(*result);
      }
    }
    // The smallest payload that applies back to the target wins: each is
    // applied before it is kept, so that an engine's fault stops here
    // instead of on a module; one that fails gives way to the next
    // smallest, and when none applies the first failure is the error.
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i]) order.push_back(i); // the others outgrew a smaller one
    }
    std::stable_sort(order.begin(), order.end(),
                     [&results](std::size_t a, std::size_t b) { return results[a]->size() < results[b]->size(); });
    std::optional<Error> first_failure;
    for (const std::size_t i : order) {
      Bytes& bytes = *results[i];
      if (auto applies = delta::check_applies(*candidates[i], source, bytes, target); !applies) {
        if (!first_failure) first_failure = applies.error();
        continue;
      }
      const std::uint64_t memory = candidates[i]->apply_memory_of(bytes, source.size(), target.size());
      return Encoded{std::string(candidates[i]->name()), std::move(bytes), memory};
    }
    if (first_failure) return *first_failure;
    return make_error(delta::DeltaErrc::encode_failed, "no engine made a payload");
  }

  // Stores an encoded payload under `entry` and describes it.
  Expected<Payload> store(const std::string& entry, const Encoded& encoded) {
    const fs::path file = payload_dir_ / std::to_string(stored_.size());
    auto out = OutputFile::create(file);
    if (!out) return out.error();
    if (auto ok = out->writer().write(encoded.payload); !ok) return ok.error();
    if (auto ok = out->commit(); !ok) return ok.error();
    stored_.emplace_back(entry, file);
    return Payload{encoded.engine, entry, encoded.payload.size(), sha256_hex(encoded.payload)};
  }

  const std::vector<std::pair<std::string, fs::path>>& stored() const { return stored_; }

private:
  const BuildOptions& options_;
  fs::path payload_dir_;
  std::vector<std::pair<std::string, fs::path>> stored_;
  PartitionProgress progress_;
};

Expected<MappedFile> map(const fs::path& path) { return MappedFile::open(path.string()); }

Expected<PartitionEntry> build_image(PackageAssembler& assembler, const std::string& name,
                                     const firmware::Partition* source, const firmware::Partition* target,
                                     const firmware::Firmware& from, const firmware::Firmware& to) {
  PartitionEntry entry;
  entry.name = name;
  entry.kind = PartitionKind::image;
  MappedFile source_map, target_map;
  if (source) {
    auto m = map(from.root / name);
    if (!m) return m.error();
    source_map = std::move(*m);
    entry.source = content_of(source_map.bytes());
    entry.mode = source->mode;
  }
  if (!target) {
    entry.op = Operation::remove;
    return entry;
  }
  auto m = map(to.root / name);
  if (!m) return m.error();
  target_map = std::move(*m);
  entry.target = content_of(target_map.bytes());
  entry.mode = target->mode;
  if (source && entry.source == entry.target) {
    entry.op = Operation::unchanged;
    return entry;
  }
  auto encoded = assembler.encode(source_map.bytes(), target_map.bytes(), source != nullptr);
  if (!encoded) return encoded.error().with_context("partition " + name);
  entry.op = encoded->engine == "full" ? Operation::full : Operation::delta;
  entry.apply_memory = encoded->apply_memory;
  auto payload = assembler.store("payload/" + name, *encoded);
  if (!payload) return payload.error();
  entry.payload = *payload;
  return entry;
}

Expected<PartitionEntry> build_tree(PackageAssembler& assembler, const std::string& name, bool in_source,
                                    bool in_target, const firmware::Firmware& from, const firmware::Firmware& to) {
  PartitionEntry entry;
  entry.name = name;
  entry.kind = PartitionKind::tree;
  std::map<std::string, firmware::TreeEntry> old_entries, new_entries;
  if (in_source) {
    auto list = firmware::list_tree(from.root / name);
    if (!list) return list.error();
    for (auto& e : *list)
      old_entries.emplace(e.path, e);
    auto d = firmware::digest_tree(from.root / name);
    if (!d) return d.error();
    entry.source = content_of(*d);
    struct stat st {};
    if (::stat((from.root / name).c_str(), &st) == 0) entry.mode = st.st_mode & 07777;
  }
  if (!in_target) {
    entry.op = Operation::remove;
    return entry;
  }
  {
    auto list = firmware::list_tree(to.root / name);
    if (!list) return list.error();
    for (auto& e : *list)
      new_entries.emplace(e.path, e);
    auto d = firmware::digest_tree(to.root / name);
    if (!d) return d.error();
    entry.target = content_of(*d);
    struct stat st {};
    if (::stat((to.root / name).c_str(), &st) == 0) entry.mode = st.st_mode & 07777;
  }

  std::vector<std::string> paths;
  for (const auto& [path, _] : old_entries)
    paths.push_back(path);
  for (const auto& [path, _] : new_entries) {
    if (!old_entries.count(path)) paths.push_back(path);
  }
  std::sort(paths.begin(), paths.end());

  bool changed = !in_source;
  // Each path is an equal share of the partition's progress.
  const double per_path = paths.empty() ? 1 : 1.0 / static_cast<double>(paths.size());
  for (std::size_t index = 0; index < paths.size(); ++index) {
    const std::string& path = paths[index];
    assembler.progress().rise_to(per_path * static_cast<double>(index));
    auto old_it = old_entries.find(path);
    auto new_it = new_entries.find(path);
    const firmware::TreeEntry* old_e = old_it == old_entries.end() ? nullptr : &old_it->second;
    const firmware::TreeEntry* new_e = new_it == new_entries.end() ? nullptr : &new_it->second;
    TreeFile file;
    file.path = path;
    if (!new_e) {
      file.type = old_e->type;
      file.mode = old_e->mode;
      file.op = Operation::remove;
      file.link_target = old_e->link_target;
      if (old_e->type == EntryType::file) {
        auto m = map(from.root / name / path);
        if (!m) return m.error();
        file.source = content_of(m->bytes());
      }
      changed = true;
      entry.files.push_back(std::move(file));
      continue;
    }
    file.type = new_e->type;
    file.mode = new_e->mode;
    file.link_target = new_e->link_target;
    const bool same_type = old_e && old_e->type == new_e->type;
    if (new_e->type != EntryType::file) {
      const bool same = same_type && old_e->link_target == new_e->link_target;
      file.op = same ? Operation::unchanged : Operation::full;
      if (!same || old_e->mode != new_e->mode) changed = true;
      entry.files.push_back(std::move(file));
      continue;
    }
    auto target_map = map(to.root / name / path);
    if (!target_map) return target_map.error();
    file.target = content_of(target_map->bytes());
    MappedFile source_map;
    if (same_type) {
      auto m = map(from.root / name / path);
      if (!m) return m.error();
      source_map = std::move(*m);
      file.source = content_of(source_map.bytes());
    }
    if (file.source && file.source == file.target) {
      file.op = Operation::unchanged;
      if (old_e->mode != new_e->mode) changed = true;
      entry.files.push_back(std::move(file));
      continue;
    }
    changed = true;
    auto encoded = assembler.encode(source_map.bytes(), target_map->bytes(), same_type,
                                    {per_path * static_cast<double>(index), per_path});
    if (!encoded) return encoded.error().with_context("file " + name + "/" + path);
    file.op = encoded->engine == "full" ? Operation::full : Operation::delta;
    entry.apply_memory = std::max(entry.apply_memory, encoded->apply_memory);
    auto payload = assembler.store("payload/" + name + "/" + path, *encoded);
    if (!payload) return payload.error();
    file.payload = *payload;
    entry.files.push_back(std::move(file));
  }
  if (!in_source)
    entry.op = Operation::full;
  else
    entry.op = changed ? Operation::delta : Operation::unchanged;
  return entry;
}

} // namespace

Status check_package_output(const fs::path& output, const fs::path& from, const fs::path& to) {
  // The package, and the work directory beside it, must not land in a
  // firmware directory.
  for (const auto& [dir, flag] : {std::pair{&from, "--from"}, std::pair{&to, "--to"}}) {
    if (is_within(output, *dir)) {
      return make_error(PackageErrc::output_exists, output.string() + ": the package would be written inside " +
                                                        dir->string() + " (" + flag +
                                                        "), and become part of that firmware; write it elsewhere");
    }
  }
  return {};
}

Expected<BuildResult> build_package(const fs::path& from, const fs::path& to, const fs::path& output,
                                    const BuildOptions& options) {
  if (options.engine != "auto" && !delta::find_engine(options.engine)) {
    return make_error(delta::DeltaErrc::unknown_engine,
                      "unknown engine \"" + options.engine + "\" (use auto, native, zstd, vcdiff or full)");
  }
  if (options.engine != "auto" && !delta::find_engine(options.engine)->can_diff()) {
    return make_error(delta::DeltaErrc::engine_unavailable,
                      "the " + options.engine + " engine cannot encode on this machine (is xdelta3 installed?)");
  }
  if (auto ok = check_package_output(output, from, to); !ok) return ok.error();
  auto source = firmware::open_firmware(from);
  if (!source) return source.error().with_context("--from");
  auto target = firmware::open_firmware(to);
  if (!target) return target.error().with_context("--to");

  Manifest manifest;
  manifest.project = options.project.empty() ? target->info.project : options.project;
  if (options.project.empty() && source->info.project != target->info.project) {
    return make_error(PackageErrc::bad_firmware_pair, "the two firmware versions are for different projects (" +
                                                          source->info.project + ", " + target->info.project +
                                                          "); give --project to build anyway");
  }
  manifest.source_version = options.from_version.empty() ? source->info.version : options.from_version;
  manifest.target_version = options.to_version.empty() ? target->info.version : options.to_version;
  // A module that runs the package's target version already is not upgraded
  // by it, and nothing afterwards could tell that it was applied: most often
  // the same directory given twice, or a version left unchanged.
  if (manifest.source_version == manifest.target_version) {
    return make_error(PackageErrc::bad_firmware_pair,
                      "both firmware versions are " + manifest.target_version +
                          "; a package must change the version (give --from-version or --to-version to build "
                          "anyway)");
  }
  manifest.family = options.family;

  // Everything, the archive included, is made in a hidden sibling of the
  // output (removed on failure, or by the program on SIGINT/SIGTERM) and the
  // archive renamed onto the output when whole.
  auto work = TempDir::create_beside(output);
  if (!work) return work.error();
  PackageAssembler assembler(options, work->path());

  std::map<std::string, const firmware::Partition*> old_parts, new_parts;
  for (const auto& p : source->partitions)
    old_parts[p.name] = &p;
  for (const auto& p : target->partitions)
    new_parts[p.name] = &p;
  std::vector<std::string> names;
  for (const auto& [n, _] : old_parts)
    names.push_back(n);
  for (const auto& [n, _] : new_parts) {
    if (!old_parts.count(n)) names.push_back(n);
  }
  std::sort(names.begin(), names.end());

  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto& name = names[i];
    if (options.on_partition) options.on_partition(name, i, names.size());
    assembler.progress().restart();
    const firmware::Partition* old_p = old_parts.count(name) ? old_parts[name] : nullptr;
    const firmware::Partition* new_p = new_parts.count(name) ? new_parts[name] : nullptr;
    if (old_p && new_p && old_p->kind != new_p->kind) {
      return make_error(PackageErrc::bad_firmware_pair,
                        "partition " + name + " is " + firmware::to_string(old_p->kind) + " in the source and " +
                            firmware::to_string(new_p->kind) + " in the target; a partition cannot change kind");
    }
    const PartitionKind kind = (new_p ? new_p : old_p)->kind;
    auto entry = kind == PartitionKind::image
                     ? build_image(assembler, name, old_p, new_p, *source, *target)
                     : build_tree(assembler, name, old_p != nullptr, new_p != nullptr, *source, *target);
    if (!entry) return entry.error();
    assembler.progress().rise_to(1);
    if (entry->op != Operation::unchanged && entry->op != Operation::remove && entry->target) {
      manifest.space_needed += entry->target->size;
    }
    if (entry->target) manifest.largest_partition = std::max(manifest.largest_partition, entry->target->size);
    manifest.apply_memory = std::max(manifest.apply_memory, entry->apply_memory);
    manifest.partitions.push_back(std::move(*entry));
  }
  manifest.firmware_json = content_of(target->firmware_json);
  manifest.firmware_json_mode = target->firmware_json_mode;

  const std::string manifest_text = to_json_text(manifest);
  const fs::path archive = work->path() / "package.zip";
  auto zip = ZipWriter::create(archive);
  if (!zip) return zip.error();
  if (auto ok = zip->add_bytes(kManifestEntry, Bytes(manifest_text.begin(), manifest_text.end())); !ok)
    return ok.error();
  std::string signed_by;
  if (options.sign_key) {
    auto signature = add_signature(*zip, *options.sign_key, as_bytes(manifest_text));
    if (!signature) return signature.error();
    signed_by = signature->key_fingerprint;
  }
  for (const auto& [entry, file] : assembler.stored()) {
    if (auto ok = zip->add_file(entry, file); !ok) return ok.error();
  }
  if (auto ok = zip->add_bytes(kFirmwareJsonEntry, target->firmware_json); !ok) return ok.error();
  if (auto ok = zip->close(); !ok) return ok.error();
  std::error_code ec;
  const auto size = static_cast<std::uint64_t>(fs::file_size(archive, ec));
  if (::rename(archive.c_str(), output.c_str()) != 0) return system_error("cannot create " + output.string(), errno);

  BuildResult result{std::move(manifest), size, signed_by};
  return result;
}

} // namespace dfota::package
