#include "core/files.hpp"

#include "core/text.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <limits.h>
#include <mutex>
#include <set>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dfota {

namespace fs = std::filesystem;

namespace {

// Temporaries not yet committed or removed (remove_pending_outputs()).
struct PendingOutputs {
  std::mutex mutex;
  std::set<fs::path> paths;
  bool removed = false; // remove_pending_outputs() ran: the process is ending
};
PendingOutputs& pending() {
  static PendingOutputs* outputs = new PendingOutputs(); // never destroyed: a signal may come at exit
  return *outputs;
}
// Creates a temporary with `make` (mkstemp or mkdtemp on `pattern`) and
// registers it under the registry's lock, so that remove_pending_outputs()
// never runs between the two; once it has run, nothing more is created.
// Returns errno on failure (ECANCELED after the removal).
template <class Make> int create_pending(std::string& pattern, Make make) {
  std::lock_guard lock(pending().mutex);
  if (pending().removed) return ECANCELED;
  if (!make(pattern.data())) return errno;
  pending().paths.insert(pattern);
  return 0;
}
void drop_pending(const fs::path& path) {
  std::lock_guard lock(pending().mutex);
  pending().paths.erase(path);
}

// ".<name>.partial-": the prefix of every temporary of `name`, cut so that
// the whole temporary ("<prefix><pid>-XXXXXX") fits in NAME_MAX bytes.
std::string temporary_prefix(const std::string& name) {
  constexpr std::size_t kSuffix = sizeof(".partial-") - 1 + 10 + 1 + 6; // pid, '-', XXXXXX
  const std::size_t room = NAME_MAX - 1 - kSuffix;
  return "." + name.substr(0, std::min(name.size(), room)) + ".partial-";
}

// Removes temporaries `<dir>/<prefix><pid>-...` whose process no longer runs
// (a run killed before it could clean up). A live process's are left alone.
void remove_dead_temporaries(const fs::path& dir, const std::string& prefix) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const auto dash = rest.find('-');
    if (dash == std::string::npos || dash == 0 || dash > 10) continue;
    const auto pid = parse_whole_number(rest.substr(0, dash));
    if (!pid || *pid == 0 || *pid > static_cast<std::uint64_t>(INT_MAX)) continue;
    if (static_cast<pid_t>(*pid) == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(*pid), 0) == 0 || errno != ESRCH) continue;
    remove_tree(entry.path());
  }
}

std::string temporary_pattern(const fs::path& dir, const std::string& name) {
  const std::string prefix = temporary_prefix(name);
  remove_dead_temporaries(dir, prefix);
  return (dir / (prefix + std::to_string(::getpid()) + "-XXXXXX")).string();
}

} // namespace

void remove_pending_outputs() noexcept {
  std::lock_guard lock(pending().mutex);
  for (const auto& path : pending().paths)
    remove_tree(path);
  pending().paths.clear();
  pending().removed = true;
}

void remove_tree(const fs::path& path) noexcept {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (!ec) return;
  // A read-only directory keeps its entries: open every directory up, then again.
  for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
  }
  ::chmod(path.c_str(), 0700);
  std::error_code again;
  fs::remove_all(path, again);
}

Expected<Bytes> read_file(const std::string& path, std::uint64_t limit) {
  auto reader = FdReader::open(path);
  if (!reader) return reader.error();
  auto bytes = read_all(**reader, limit);
  if (!bytes) return bytes.error().with_context(path);
  return bytes;
}

bool is_safe_relative_path(std::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  if (path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

OutputFile::OutputFile(fs::path destination, fs::path temporary, int fd)
    : destination_(std::move(destination)), temporary_(std::move(temporary)),
      writer_(std::make_unique<FdWriter>(fd, true)) {}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : destination_(std::move(other.destination_)), temporary_(std::move(other.temporary_)),
      writer_(std::move(other.writer_)), committed_(other.committed_), region_(other.region_),
      region_size_(other.region_size_) {
  other.committed_ = true; // the moved-from object owns nothing
  other.region_ = nullptr;
}

Expected<std::span<std::uint8_t>> OutputFile::map_region(std::uint64_t size) {
  if (region_ != nullptr) return make_error(CoreErrc::limit_exceeded, temporary_.string() + ": mapped twice");
  if (size == 0) return std::span<std::uint8_t>{};
  if (size > SIZE_MAX) return make_error(CoreErrc::limit_exceeded, destination_.string() + ": too large to map");
  if (int error = ::posix_fallocate(writer_->fd(), 0, static_cast<off_t>(size)); error != 0)
    return system_error("cannot write " + destination_.string(), error);
  void* region = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, writer_->fd(), 0);
  if (region == MAP_FAILED) return system_error("cannot map " + destination_.string(), errno);
  region_ = region;
  region_size_ = size;
  return std::span<std::uint8_t>(static_cast<std::uint8_t*>(region), size);
}

void OutputFile::unmap_region() {
  if (region_ == nullptr) return;
  ::munmap(region_, region_size_);
  region_ = nullptr;
}

Status write_text_file(const fs::path& destination, std::string_view text) {
  auto file = OutputFile::create(destination);
  if (!file) return file.error();
  const ByteSpan bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  if (auto written = file->writer().write(bytes); !written) return written;
  return file->commit();
}

Expected<OutputFile> OutputFile::create(const fs::path& destination, unsigned mode) {
  fs::path dir = destination.parent_path();
  if (dir.empty()) dir = ".";
  std::string pattern = temporary_pattern(dir, destination.filename().string());
  int fd = -1;
  if (int error = create_pending(pattern, [&](char* path) { return (fd = ::mkstemp(path)) >= 0; }); error != 0)
    return system_error("cannot create " + destination.string(), error);
  ::fchmod(fd, mode);
  return OutputFile(destination, fs::path(pattern), fd);
}

OutputFile::~OutputFile() {
  unmap_region();
  if (!committed_) {
    writer_.reset();
    std::error_code ignored;
    fs::remove(temporary_, ignored);
    drop_pending(temporary_);
  }
}

Status OutputFile::set_mode(unsigned mode) {
  if (::fchmod(writer_->fd(), mode) != 0) return system_error(temporary_.string(), errno);
  return {};
}

Status OutputFile::commit() {
  if (region_ != nullptr && ::msync(region_, region_size_, MS_SYNC) != 0)
    return system_error(temporary_.string(), errno);
  unmap_region();
  if (::fsync(writer_->fd()) != 0) return system_error(temporary_.string(), errno);
  writer_.reset();
  if (::rename(temporary_.c_str(), destination_.c_str()) != 0) {
    int saved = errno;
    std::error_code ignored;
    fs::remove(temporary_, ignored);
    drop_pending(temporary_);
    committed_ = true;
    return system_error("cannot create " + destination_.string(), saved);
  }
  drop_pending(temporary_);
  committed_ = true;
  return {};
}

Expected<TempDir> TempDir::create(const fs::path& parent, std::string_view prefix) {
  std::string pattern = (parent / (std::string(prefix) + "XXXXXX")).string();
  if (int error = create_pending(pattern, [](char* path) { return ::mkdtemp(path) != nullptr; }); error != 0)
    return system_error("cannot create a temporary directory in " + parent.string(), error);
  return TempDir(fs::path(pattern));
}

Expected<TempDir> TempDir::create_beside(const fs::path& destination) {
  fs::path dir = destination.parent_path();
  if (dir.empty()) dir = ".";
  std::string pattern = temporary_pattern(dir, destination.filename().string());
  if (int error = create_pending(pattern, [](char* path) { return ::mkdtemp(path) != nullptr; }); error != 0)
    return system_error("cannot create " + destination.string(), error);
  return TempDir(fs::path(pattern));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

TempDir::~TempDir() {
  if (!path_.empty()) {
    remove_tree(path_);
    drop_pending(path_);
  }
}

fs::path TempDir::release() {
  drop_pending(path_);
  fs::path kept = std::move(path_);
  path_.clear();
  return kept;
}

bool is_within(const fs::path& path, const fs::path& dir) {
  std::error_code ec;
  const fs::path resolved_path = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) return false;
  const fs::path resolved_dir = fs::weakly_canonical(fs::absolute(dir, ec), ec);
  if (ec) return false;
  // Component by component; a trailing separator leaves an empty last one.
  auto p = resolved_path.begin();
  for (const fs::path& part : resolved_dir) {
    if (part.empty()) continue;
    if (p == resolved_path.end() || *p != part) return false;
    ++p;
  }
  return true;
}

fs::path system_temp_directory() {
  const char* dir = std::getenv("TMPDIR");
  if (dir && *dir) return dir;
  return "/tmp";
}

bool names_same_file(const fs::path& a, const fs::path& b) {
  if (a.empty() || b.empty()) return false; // an empty path names no file
  std::error_code ec;
  if (fs::equivalent(a, b, ec) && !ec) return true;
  std::error_code a_ec, b_ec;
  const fs::path absolute_a = fs::absolute(a, a_ec);
  const fs::path absolute_b = fs::absolute(b, b_ec);
  if (a_ec || b_ec) return false;
  const fs::path resolved_a = fs::weakly_canonical(absolute_a, a_ec);
  const fs::path resolved_b = fs::weakly_canonical(absolute_b, b_ec);
  return !a_ec && !b_ec && resolved_a == resolved_b;
}

} // namespace dfota
