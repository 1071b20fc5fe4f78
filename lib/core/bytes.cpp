#include "core/bytes.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dfota {

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

Status read_exact(Reader& reader, std::span<std::uint8_t> buffer) {
  std::size_t done = 0;
  while (done < buffer.size()) {
    auto got = reader.read(buffer.subspan(done));
    if (!got) return got.error();
    if (*got == 0) {
      return make_error(CoreErrc::truncated, "stream ended " + std::to_string(buffer.size() - done) + " bytes early");
    }
    done += *got;
  }
  return {};
}

Expected<Bytes> read_all(Reader& reader, std::uint64_t limit) {
  Bytes out;
  std::uint8_t chunk[65536];
  for (;;) {
    auto got = reader.read(chunk);
    if (!got) return got.error();
    if (*got == 0) return out;
    if (out.size() + *got > limit) {
      return make_error(CoreErrc::limit_exceeded,
                        "stream is longer than the limit of " + std::to_string(limit) + " bytes");
    }
    out.insert(out.end(), chunk, chunk + *got);
  }
}

Expected<std::uint64_t> copy_stream(Reader& reader, Writer& writer) {
  std::vector<std::uint8_t> chunk(1 << 16);
  std::uint64_t total = 0;
  for (;;) {
    auto got = reader.read(chunk);
    if (!got) return got.error();
    if (*got == 0) return total;
    if (auto ok = writer.write({chunk.data(), *got}); !ok) return ok.error();
    total += *got;
  }
}

Expected<std::size_t> SpanReader::read(std::span<std::uint8_t> buffer) {
  std::size_t n = std::min(buffer.size(), data_.size() - position_);
  if (n) std::memcpy(buffer.data(), data_.data() + position_, n);
  position_ += n;
  return n;
}

Status VectorWriter::write(ByteSpan data) {
  bytes_.insert(bytes_.end(), data.begin(), data.end());
  return {};
}

Status TeeWriter::write(ByteSpan data) {
  if (auto ok = first_.write(data); !ok) return ok;
  return second_.write(data);
}

Status BufferedWriter::write(ByteSpan data) {
  if (data.size() <= buffer_.capacity() - buffer_.size()) {
    buffer_.insert(buffer_.end(), data.begin(), data.end());
    return {};
  }
  if (auto ok = flush(); !ok) return ok;
  if (data.size() >= buffer_.capacity()) return next_.write(data);
  buffer_.insert(buffer_.end(), data.begin(), data.end());
  return {};
}

Status BufferedWriter::flush() {
  if (buffer_.empty()) return {};
  auto ok = next_.write(buffer_);
  buffer_.clear(); // keeps the capacity
  return ok;
}

FdReader::~FdReader() {
  if (owns_ && fd_ >= 0) ::close(fd_);
}

Expected<std::unique_ptr<FdReader>> FdReader::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return system_error(path, errno);
  return std::make_unique<FdReader>(fd, true, path);
}

Expected<std::unique_ptr<FdReader>> FdReader::open_or_stdin(const std::string& path) {
  if (path == "-") return std::make_unique<FdReader>(STDIN_FILENO, false, "standard input");
  return open(path);
}

Expected<std::size_t> FdReader::read(std::span<std::uint8_t> buffer) {
  for (;;) {
    ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return system_error(name_, errno);
  }
}

FdWriter::~FdWriter() {
  if (owns_ && fd_ >= 0) ::close(fd_);
}

Status FdWriter::write(ByteSpan data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return system_error("write", errno);
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

namespace {

// The live MappedFile mappings, start -> size, so that
// release_mapped_pages() never drops pages of memory that has no file
// behind it (dropping a heap page would zero it).
class MappedRanges {
public:
  void add(const std::uint8_t* start, std::size_t size) {
    std::lock_guard lock(mutex_);
    ranges_[start] = size;
  }
  // Unmaps [start, +size) once no release is running on it.
  void unmap(const std::uint8_t* start, std::size_t size) {
    {
      std::lock_guard lock(mutex_);
      ranges_.erase(start);
    }
    ::munmap(const_cast<std::uint8_t*>(start), size);
  }
  void release(ByteSpan bytes) {
    if (bytes.empty()) return;
    std::lock_guard lock(mutex_);
    auto after = ranges_.upper_bound(bytes.data());
    if (after == ranges_.begin()) return;
    const auto& [start, size] = *std::prev(after);
    const std::uintptr_t mapped_end = reinterpret_cast<std::uintptr_t>(start) + size;
    const std::uintptr_t begin = reinterpret_cast<std::uintptr_t>(bytes.data());
    if (begin >= mapped_end || begin + bytes.size() > mapped_end) return;
    const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const std::uintptr_t first = (begin + page - 1) / page * page;
    const std::uintptr_t last = (begin + bytes.size()) / page * page;
    if (first < last) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
  }

private:
  std::mutex mutex_;
  std::map<const std::uint8_t*, std::size_t> ranges_;
};

// Never destroyed: a MappedFile may outlive static destruction.
MappedRanges& mapped_ranges() {
  static auto* ranges = new MappedRanges;
  return *ranges;
}

} // namespace

void release_mapped_pages(ByteSpan bytes) { mapped_ranges().release(bytes); }

Expected<MappedFile> MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return system_error(path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int saved = errno;
    ::close(fd);
    return system_error(path, saved);
  }
  MappedFile file;
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(CoreErrc::invalid_input, path + ": not a regular file");
  }
  if (st.st_size > 0) {
    void* data = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      int saved = errno;
      ::close(fd);
      return system_error(path, saved);
    }
    file.data_ = static_cast<const std::uint8_t*>(data);
    file.size_ = static_cast<std::size_t>(st.st_size);
    mapped_ranges().add(file.data_, file.size_);
  }
  ::close(fd);
  return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_) mapped_ranges().unmap(data_, size_);
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_) mapped_ranges().unmap(data_, size_);
}

} // namespace dfota
