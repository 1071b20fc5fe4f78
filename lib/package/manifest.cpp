#include "package/manifest.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "core/files.hpp"
#include "delta/engine.hpp"

namespace dfota::package {

using firmware::EntryType;
using firmware::PartitionKind;
using nlohmann::ordered_json;

namespace {

ordered_json content_json(const std::optional<Content>& c) {
  if (!c) return nullptr;
  ordered_json j;
  j["size"] = c->size;
  j["sha256"] = c->sha256;
  j["md5"] = c->md5;
  return j;
}

void put_payload(ordered_json& j, const std::optional<Payload>& p) {
  if (!p) return;
  j["engine"] = p->engine;
  j["payload"] = p->path;
  j["payload_size"] = p->size;
  j["payload_sha256"] = p->sha256;
}

Error invalid(const std::string& where, const std::string& what) {
  return make_error(PackageErrc::manifest_invalid, "manifest: " + where + " " + what);
}

// Typed access to a JSON object, with error messages that name the field.
class Fields {
public:
  Fields(const nlohmann::json& object, std::string where) : object_(object), where_(std::move(where)) {}

  const std::string& where() const { return where_; }
  std::string at(const std::string& key) const { return where_.empty() ? key : where_ + "." + key; }

  const nlohmann::json* find(const std::string& key) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  Expected<std::string> string(const std::string& key, bool required = true) const {
    const auto* v = find(key);
    if (!v) {
      if (required) return invalid(at(key), "is missing");
      return std::string();
    }
    if (!v->is_string()) return invalid(at(key), "is not a string");
    return v->get<std::string>();
  }
  Expected<std::uint64_t> number(const std::string& key) const {
    const auto* v = find(key);
    if (!v) return invalid(at(key), "is missing");
    if (!v->is_number_unsigned()) return invalid(at(key), "is not a non-negative integer");
    return v->get<std::uint64_t>();
  }
  Expected<unsigned> mode(const std::string& key) const {
    auto text = string(key);
    if (!text) return text.error();
    if (text->empty() || text->size() > 5) return invalid(at(key), "is not an octal mode");
    unsigned value = 0;
    for (char c : *text) {
      if (c < '0' || c > '7') return invalid(at(key), "is not an octal mode");
      value = value * 8 + static_cast<unsigned>(c - '0');
    }
    if (value > 07777) return invalid(at(key), "is not an octal mode");
    return value;
  }
  Expected<std::optional<Content>> content(const std::string& key) const {
    const auto* v = find(key);
    if (!v) return std::optional<Content>();
    if (!v->is_object()) return invalid(at(key), "is not an object");
    Fields f(*v, at(key));
    Content c;
    auto size = f.number("size");
    if (!size) return size.error();
    c.size = *size;
    auto sha = f.hash("sha256", 64);
    if (!sha) return sha.error();
    c.sha256 = *sha;
    auto md5 = f.hash("md5", 32);
    if (!md5) return md5.error();
    c.md5 = *md5;
    return std::optional<Content>(c);
  }
  Expected<std::string> hash(const std::string& key, std::size_t length) const {
    auto text = string(key);
    if (!text) return text.error();
    if (text->size() != length || text->find_first_not_of("0123456789abcdef") != std::string::npos) {
      return invalid(at(key), "is not a lowercase hex digest of " + std::to_string(length) + " digits");
    }
    return text;
  }
  Expected<std::optional<Payload>> payload() const {
    if (!find("payload")) return std::optional<Payload>();
    Payload p;
    auto engine = string("engine");
    if (!engine) return engine.error();
    if (!delta::find_engine(*engine)) {
      std::string known;
      for (const auto& name : delta::engine_names())
        known += (known.empty() ? "" : ", ") + name;
      return invalid(at("engine"), "names an engine this program does not know: \"" + *engine + "\" (" + known + ")");
    }
    p.engine = *engine;
    auto path = string("payload");
    if (!path) return path.error();
    if (!is_safe_relative_path(*path)) {
      return make_error(PackageErrc::unsafe_entry,
                        "manifest: " + at("payload") + " is not a safe relative path: " + *path);
    }
    p.path = *path;
    auto size = number("payload_size");
    if (!size) return size.error();
    p.size = *size;
    auto sha = hash("payload_sha256", 64);
    if (!sha) return sha.error();
    p.sha256 = *sha;
    return std::optional<Payload>(p);
  }

private:
  const nlohmann::json& object_;
  std::string where_;
};

Expected<Operation> parse_operation(const std::string& text, const std::string& where) {
  if (text == "delta") return Operation::delta;
  if (text == "full") return Operation::full;
  if (text == "unchanged") return Operation::unchanged;
  if (text == "remove") return Operation::remove;
  return invalid(where, "has unknown operation \"" + text + "\"");
}

// The fields an operation needs: a payload for delta/full, a source for
// delta/unchanged/remove, a target for everything but remove.
Status check_operation(Operation op, bool has_payload, bool has_source, bool has_target, const std::string& where) {
  const bool needs_payload = op == Operation::delta || op == Operation::full;
  const bool needs_source = op == Operation::delta || op == Operation::unchanged || op == Operation::remove;
  const bool needs_target = op != Operation::remove;
  if (needs_payload != has_payload)
    return invalid(where, needs_payload ? "needs a payload" : "must not have a payload");
  if (needs_source && !has_source) return invalid(where, "needs a source");
  if (needs_target != has_target) return invalid(where, needs_target ? "needs a target" : "must not have a target");
  return {};
}

Expected<TreeFile> parse_tree_file(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return invalid(where, "is not an object");
  Fields f(j, where);
  TreeFile file;
  auto path = f.string("path");
  if (!path) return path.error();
  if (!is_safe_relative_path(*path)) {
    return make_error(PackageErrc::unsafe_entry,
                      "manifest: " + f.at("path") + " is not a safe relative path: " + *path);
  }
  file.path = *path;
  auto type = f.string("type");
  if (!type) return type.error();
  if (*type == "file")
    file.type = EntryType::file;
  else if (*type == "dir")
    file.type = EntryType::directory;
  else if (*type == "symlink")
    file.type = EntryType::symlink;
  else
    return invalid(f.at("type"), "is not file, dir or symlink");
  auto op = f.string("op");
  if (!op) return op.error();
  auto operation = parse_operation(*op, f.at("op"));
  if (!operation) return operation.error();
  file.op = *operation;
  auto mode = f.mode("mode");
  if (!mode) return mode.error();
  file.mode = *mode;
  if (file.type == EntryType::symlink) {
    auto target = f.string("link_target");
    if (!target) return target.error();
    if (target->empty() || target->find('\0') != std::string::npos) return invalid(f.at("link_target"), "is empty");
    file.link_target = *target;
  }
  auto payload = f.payload();
  if (!payload) return payload.error();
  file.payload = *payload;
  auto source = f.content("source");
  if (!source) return source.error();
  file.source = *source;
  auto target = f.content("target");
  if (!target) return target.error();
  file.target = *target;
  if (file.type == EntryType::file) {
    if (auto ok =
            check_operation(file.op, file.payload.has_value(), file.source.has_value(), file.target.has_value(), where);
        !ok) {
      return ok.error();
    }
  } else if (file.payload) {
    return invalid(where, "is not a file and must not have a payload");
  }
  return file;
}

Expected<PartitionEntry> parse_partition(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return invalid(where, "is not an object");
  Fields f(j, where);
  PartitionEntry p;
  auto name = f.string("name");
  if (!name) return name.error();
  if (!is_safe_relative_path(*name) || name->find('/') != std::string::npos || *name == firmware::kFirmwareJson) {
    return make_error(PackageErrc::unsafe_entry,
                      "manifest: " + f.at("name") + " is not a plain partition name: " + *name);
  }
  p.name = *name;
  auto kind = f.string("kind");
  if (!kind) return kind.error();
  if (*kind == "image")
    p.kind = PartitionKind::image;
  else if (*kind == "tree")
    p.kind = PartitionKind::tree;
  else
    return invalid(f.at("kind"), "is not image or tree");
  auto op = f.string("op");
  if (!op) return op.error();
  auto operation = parse_operation(*op, f.at("op"));
  if (!operation) return operation.error();
  p.op = *operation;
  auto mode = f.mode("mode");
  if (!mode) return mode.error();
  p.mode = *mode;
  auto memory = f.number("apply_memory");
  if (!memory) return memory.error();
  p.apply_memory = *memory;
  auto source = f.content("source");
  if (!source) return source.error();
  p.source = *source;
  auto target = f.content("target");
  if (!target) return target.error();
  p.target = *target;
  if (p.kind == PartitionKind::image) {
    auto payload = f.payload();
    if (!payload) return payload.error();
    p.payload = *payload;
    if (auto ok = check_operation(p.op, p.payload.has_value(), p.source.has_value(), p.target.has_value(), where);
        !ok) {
      return ok.error();
    }
  } else {
    if (f.find("payload")) return invalid(where, "is a tree; its files carry the payloads");
    const auto* files = f.find("files");
    if (!files || !files->is_array()) return invalid(f.at("files"), "is missing or not an array");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < files->size(); ++i) {
      auto file = parse_tree_file((*files)[i], f.at("files[" + std::to_string(i) + "]"));
      if (!file) return file.error();
      if (!seen.insert(file->path).second) {
        return make_error(PackageErrc::unsafe_entry, "manifest: " + where + " lists " + file->path + " twice");
      }
      p.files.push_back(std::move(*file));
    }
    if (p.op != Operation::remove && !p.target) return invalid(where, "needs a target");
  }
  return p;
}

} // namespace

const char* to_string(Operation op) {
  switch (op) {
  case Operation::delta: return "delta";
  case Operation::full: return "full";
  case Operation::unchanged: return "unchanged";
  case Operation::remove: return "remove";
  }
  return "?";
}

std::uint64_t PartitionEntry::payload_bytes() const {
  std::uint64_t total = payload ? payload->size : 0;
  for (const auto& f : files)
    total += f.payload ? f.payload->size : 0;
  return total;
}

std::uint64_t Manifest::payload_bytes() const {
  std::uint64_t total = 0;
  for (const auto& p : partitions)
    total += p.payload_bytes();
  return total;
}

std::string to_json_text(const Manifest& m) {
  ordered_json j;
  j["format"] = kFormatName;
  j["format_version"] = std::to_string(m.format_major) + "." + std::to_string(m.format_minor);
  j["project"] = m.project;
  if (!m.family.empty()) j["family"] = m.family;
  j["source_version"] = m.source_version;
  j["target_version"] = m.target_version;
  j["requirements"] = {
      {"space_needed", m.space_needed}, {"largest_partition", m.largest_partition}, {"apply_memory", m.apply_memory}};
  ordered_json fw;
  fw["path"] = kFirmwareJsonEntry;
  fw["mode"] = firmware::mode_text(m.firmware_json_mode);
  fw["size"] = m.firmware_json.size;
  fw["sha256"] = m.firmware_json.sha256;
  fw["md5"] = m.firmware_json.md5;
  j["firmware_json"] = fw;
  ordered_json parts = ordered_json::array();
  for (const auto& p : m.partitions) {
    ordered_json pj;
    pj["name"] = p.name;
    pj["kind"] = firmware::to_string(p.kind);
    pj["op"] = to_string(p.op);
    pj["mode"] = firmware::mode_text(p.mode);
    put_payload(pj, p.payload);
    pj["source"] = content_json(p.source);
    pj["target"] = content_json(p.target);
    pj["apply_memory"] = p.apply_memory;
    if (p.kind == firmware::PartitionKind::tree) {
      ordered_json files = ordered_json::array();
      for (const auto& f : p.files) {
        ordered_json fj;
        fj["path"] = f.path;
        fj["type"] = firmware::to_string(f.type);
        fj["op"] = to_string(f.op);
        fj["mode"] = firmware::mode_text(f.mode);
        if (f.type == EntryType::symlink) fj["link_target"] = f.link_target;
        put_payload(fj, f.payload);
        if (f.type == EntryType::file) {
          fj["source"] = content_json(f.source);
          fj["target"] = content_json(f.target);
        }
        files.push_back(std::move(fj));
      }
      pj["files"] = std::move(files);
    }
    parts.push_back(std::move(pj));
  }
  j["partitions"] = std::move(parts);
  return j.dump(2) + "\n";
}

Expected<Manifest> parse_manifest(ByteSpan text) {
  if (text.size() > kMaxManifestSize) {
    return make_error(PackageErrc::limit_exceeded,
                      "manifest is larger than " + std::to_string(kMaxManifestSize) + " bytes");
  }
  auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return make_error(PackageErrc::manifest_invalid, "manifest: not valid JSON");
  if (!j.is_object()) return make_error(PackageErrc::manifest_invalid, "manifest: not a JSON object");
  Fields f(j, "");
  auto format = f.string("format");
  if (!format) return format.error();
  if (*format != kFormatName) return invalid("format", "is \"" + *format + "\", not \"" + kFormatName + "\"");
  auto version = f.string("format_version");
  if (!version) return version.error();
  Manifest m;
  if (std::sscanf(version->c_str(), "%d.%d", &m.format_major, &m.format_minor) != 2 || m.format_major < 0 ||
      m.format_minor < 0) {
    return invalid("format_version", "is not MAJOR.MINOR: " + *version);
  }
  if (m.format_major != kFormatMajor) {
    return make_error(PackageErrc::unsupported_version, "package format version " + *version +
                                                            " is not supported (this program reads " +
                                                            std::to_string(kFormatMajor) + ".x)");
  }
  for (auto [key, target] : {std::pair{"project", &m.project}, std::pair{"source_version", &m.source_version},
                             std::pair{"target_version", &m.target_version}}) {
    auto value = f.string(key);
    if (!value) return value.error();
    *target = *value;
  }
  auto family = f.string("family", false);
  if (!family) return family.error();
  m.family = *family;

  const auto* req = f.find("requirements");
  if (!req || !req->is_object()) return invalid("requirements", "is missing or not an object");
  Fields r(*req, "requirements");
  for (auto [key, target] :
       {std::pair{"space_needed", &m.space_needed}, std::pair{"largest_partition", &m.largest_partition},
        std::pair{"apply_memory", &m.apply_memory}}) {
    auto value = r.number(key);
    if (!value) return value.error();
    *target = *value;
  }

  const auto* fw = f.find("firmware_json");
  if (!fw || !fw->is_object()) return invalid("firmware_json", "is missing or not an object");
  Fields fwf(*fw, "firmware_json");
  auto fw_path = fwf.string("path");
  if (!fw_path) return fw_path.error();
  if (*fw_path != kFirmwareJsonEntry)
    return invalid("firmware_json.path", std::string("must be ") + kFirmwareJsonEntry);
  auto fw_mode = fwf.mode("mode");
  if (!fw_mode) return fw_mode.error();
  m.firmware_json_mode = *fw_mode;
  auto fw_size = fwf.number("size");
  if (!fw_size) return fw_size.error();
  m.firmware_json.size = *fw_size;
  auto fw_sha = fwf.hash("sha256", 64);
  if (!fw_sha) return fw_sha.error();
  m.firmware_json.sha256 = *fw_sha;
  auto fw_md5 = fwf.hash("md5", 32);
  if (!fw_md5) return fw_md5.error();
  m.firmware_json.md5 = *fw_md5;

  const auto* parts = f.find("partitions");
  if (!parts || !parts->is_array()) return invalid("partitions", "is missing or not an array");
  std::set<std::string> names, payloads;
  for (std::size_t i = 0; i < parts->size(); ++i) {
    auto p = parse_partition((*parts)[i], "partitions[" + std::to_string(i) + "]");
    if (!p) return p.error();
    if (!names.insert(p->name).second) {
      return make_error(PackageErrc::unsafe_entry, "manifest: partition " + p->name + " is listed twice");
    }
    auto note_payload = [&](const std::optional<Payload>& pl) -> Status {
      if (pl && !payloads.insert(pl->path).second) {
        return make_error(PackageErrc::unsafe_entry, "manifest: payload " + pl->path + " is used twice");
      }
      return {};
    };
    if (auto ok = note_payload(p->payload); !ok) return ok.error();
    for (const auto& file : p->files) {
      if (auto ok = note_payload(file.payload); !ok) return ok.error();
    }
    // A file goes only into a directory the tree lists, never through a
    // symbolic link (the applier refuses it too; this lets inspect and
    // validate tell before anything is applied).
    std::set<std::string> dirs;
    for (const auto& file : p->files) {
      if (file.type == firmware::EntryType::directory && file.op != Operation::remove) dirs.insert(file.path);
    }
    for (const auto& file : p->files) {
      const auto slash = file.path.rfind('/');
      if (file.op != Operation::remove && slash != std::string::npos && !dirs.count(file.path.substr(0, slash))) {
        return make_error(PackageErrc::unsafe_entry, "manifest: file " + p->name + "/" + file.path +
                                                         ": its parent is not a directory of the package");
      }
    }
    m.partitions.push_back(std::move(*p));
  }
  // The requirements must cover what the partitions declare: a module sizes
  // its work by them.
  std::uint64_t targets = 0;
  for (const auto& p : m.partitions) {
    if (p.op == Operation::unchanged || p.op == Operation::remove || !p.target) continue;
    targets = p.target->size > UINT64_MAX - targets ? UINT64_MAX : targets + p.target->size;
    if (p.target->size > m.largest_partition)
      return invalid("requirements.largest_partition", "is smaller than partition " + p.name + "'s target (" +
                                                           std::to_string(p.target->size) + " bytes)");
  }
  if (targets > m.space_needed)
    return invalid("requirements.space_needed",
                   "is smaller than the partitions' target sizes (" + std::to_string(targets) + " bytes)");
  return m;
}

} // namespace dfota::package
