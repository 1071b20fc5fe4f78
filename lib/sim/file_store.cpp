#include "sim/file_store.hpp"

#include <algorithm>

namespace dfota::sim {

namespace fs = std::filesystem;

Expected<FileStore> FileStore::open(const fs::path& root, std::uint64_t capacity, bool full) {
  std::error_code ec;
  for (const char* area : {"ufs", "sd"}) {
    fs::create_directories(root / area, ec);
    if (ec) return system_error((root / area).string(), ec.value());
  }
  FileStore store;
  store.root_ = root;
  store.capacity_ = capacity;
  store.full_ = full;
  return store;
}

namespace {
bool plain_name(const std::string& name) {
  if (name.empty() || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return c > 0x20 && c < 0x7f && c != '/' && c != '\\'; });
}
} // namespace

std::optional<fs::path> FileStore::resolve(const std::string& name, std::size_t max_length) const {
  const std::string rest = without_store_prefix(name);
  if (rest.size() > max_length || !plain_name(rest)) return std::nullopt;
  return root_ / (area_of(name) == Area::sd ? "sd" : "ufs") / rest;
}

std::optional<fs::path> FileStore::resolve_module_path(const std::string& path,
                                                       const std::vector<std::string>& prefixes,
                                                       const std::string& sd_card_prefix) const {
  const std::string absolute = !path.empty() && path[0] != '/' ? "/" + path : path;
  for (const auto& prefix : prefixes) {
    if (absolute.rfind(prefix, 0) != 0) continue;
    const std::string name = absolute.substr(prefix.size());
    if (!plain_name(name)) return std::nullopt;
    const char* area = !sd_card_prefix.empty() && prefix == sd_card_prefix ? "sd" : "ufs";
    return root_ / area / name;
  }
  return std::nullopt;
}

Area FileStore::area_of(const std::string& name) {
  return name.rfind(at::storage_prefix(Area::sd), 0) == 0 ? Area::sd : Area::ufs;
}

std::string FileStore::without_store_prefix(const std::string& name) {
  if (area_of(name) == Area::sd) return name.substr(std::string_view(at::storage_prefix(Area::sd)).size());
  return name.rfind("UFS:", 0) == 0 ? name.substr(4) : name;
}

std::vector<StoredEntry> FileStore::list(Area area) const {
  std::vector<StoredEntry> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_ / (area == Area::sd ? "sd" : "ufs"), ec)) {
    if (!entry.is_regular_file(ec)) continue;
    out.push_back({entry.path().filename().string(), entry.file_size(ec)});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::uint64_t FileStore::used(Area area) const {
  std::uint64_t total = 0;
  for (const auto& e : list(area))
    total += e.size;
  return total;
}

std::uint64_t FileStore::free(Area area) const {
  if (full_) return 0;
  const std::uint64_t in_use = used(area);
  return in_use >= capacity_ ? 0 : capacity_ - in_use;
}

} // namespace dfota::sim
