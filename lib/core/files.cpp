#include "core/files.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dfota {

namespace fs = std::filesystem;

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
      writer_(std::move(other.writer_)), committed_(other.committed_) {
  other.committed_ = true; // the moved-from object owns nothing
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
  std::string pattern = (dir / ("." + destination.filename().string() + ".partial-XXXXXX")).string();
  int fd = ::mkstemp(pattern.data());
  if (fd < 0) return system_error("cannot create a file in " + dir.string(), errno);
  ::fchmod(fd, mode);
  return OutputFile(destination, fs::path(pattern), fd);
}

OutputFile::~OutputFile() {
  if (!committed_) {
    writer_.reset();
    std::error_code ignored;
    fs::remove(temporary_, ignored);
  }
}

Status OutputFile::set_mode(unsigned mode) {
  if (::fchmod(writer_->fd(), mode) != 0) return system_error(temporary_.string(), errno);
  return {};
}

Status OutputFile::commit() {
  if (::fsync(writer_->fd()) != 0) return system_error(temporary_.string(), errno);
  writer_.reset();
  if (::rename(temporary_.c_str(), destination_.c_str()) != 0) {
    int saved = errno;
    std::error_code ignored;
    fs::remove(temporary_, ignored);
    committed_ = true;
    return system_error("cannot create " + destination_.string(), saved);
  }
  committed_ = true;
  return {};
}

Expected<TempDir> TempDir::create(const fs::path& parent, std::string_view prefix) {
  std::string pattern = (parent / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return system_error("cannot create a temporary directory in " + parent.string(), errno);
  }
  return TempDir(fs::path(pattern));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
}

fs::path TempDir::release() {
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
