#include "package/zip_container.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <list>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "core/files.hpp"

namespace dfota::package {

namespace fs = std::filesystem;

namespace {
// 1980-01-01 00:00:00, the earliest DOS time: fixed for reproducibility.
constexpr time_t kFixedTime = 315532800;

std::string zip_message(zip_t* za) { return zip_error_strerror(zip_get_error(za)); }
} // namespace

struct ZipWriter::State {
  zip_t* archive = nullptr;
  fs::path path;
  std::list<Bytes> buffers; // kept alive until zip_close
};

ZipWriter::ZipWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
ZipWriter::ZipWriter(ZipWriter&&) noexcept = default;

ZipWriter::~ZipWriter() {
  if (state_ && state_->archive) zip_discard(state_->archive);
}

Expected<ZipWriter> ZipWriter::create(const fs::path& path) {
  int error = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (!za) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, error);
    std::string text = path.string() + ": " + zip_error_strerror(&ze);
    zip_error_fini(&ze);
    return make_error(CoreErrc::io_error, text);
  }
  auto state = std::make_unique<State>();
  state->archive = za;
  state->path = path;
  return ZipWriter(std::move(state));
}

Status ZipWriter::finish_entry(long long index, const std::string& name) {
  zip_t* za = state_->archive;
  auto idx = static_cast<zip_uint64_t>(index);
  if (zip_set_file_compression(za, idx, ZIP_CM_STORE, 0) != 0 || zip_file_set_mtime(za, idx, kFixedTime, 0) != 0 ||
      zip_file_set_external_attributes(za, idx, 0, ZIP_OPSYS_UNIX, 0100644u << 16) != 0) {
    return make_error(CoreErrc::io_error, "zip entry " + name + ": " + zip_message(za));
  }
  return {};
}

Status ZipWriter::add_source(const std::string& name, ::zip_source* src) {
  zip_t* za = state_->archive;
  if (!src) return make_error(CoreErrc::io_error, "zip entry " + name + ": " + zip_message(za));
  const zip_int64_t index = zip_file_add(za, name.c_str(), src, ZIP_FL_ENC_UTF_8);
  if (index < 0) {
    zip_source_free(src);
    return make_error(CoreErrc::io_error, "zip entry " + name + ": " + zip_message(za));
  }
  return finish_entry(index, name);
}

Status ZipWriter::add_bytes(const std::string& name, Bytes bytes) {
  zip_t* za = state_->archive;
  state_->buffers.push_back(std::move(bytes));
  const Bytes& kept = state_->buffers.back();
  return add_source(name, zip_source_buffer(za, kept.data(), kept.size(), 0));
}

Status ZipWriter::add_file(const std::string& name, const fs::path& file) {
  zip_t* za = state_->archive;
  return add_source(name, zip_source_file(za, file.c_str(), 0, -1));
}

Status ZipWriter::close() {
  zip_t* za = state_->archive;
  if (zip_close(za) != 0) {
    std::string text = state_->path.string() + ": " + zip_message(za);
    zip_discard(za);
    state_->archive = nullptr;
    return make_error(CoreErrc::io_error, text);
  }
  state_->archive = nullptr;
  ::chmod(state_->path.c_str(), 0644);
  return {};
}

struct ZipReader::State {
  zip_t* archive = nullptr; // owned: discarded with the state, also when open() fails half-way
  std::vector<ZipEntryInfo> entries;
  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    if (archive) zip_discard(archive);
  }
};

ZipReader::ZipReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
ZipReader::ZipReader(ZipReader&&) noexcept = default;

ZipReader::~ZipReader() = default;

namespace {
bool starts_like_zip(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  unsigned char head[4] = {};
  ssize_t n = ::read(fd, head, sizeof head);
  ::close(fd);
  return n == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
}

bool safe_entry_name(std::string_view name) {
  if (!name.empty() && name.back() == '/') name.remove_suffix(1);
  return is_safe_relative_path(name);
}

class EntryReader final : public Reader {
public:
  EntryReader(zip_file_t* file, std::string name, std::uint64_t declared)
      : file_(file), name_(std::move(name)), declared_(declared) {}
  ~EntryReader() override { zip_fclose(file_); }
  EntryReader(const EntryReader&) = delete;
  EntryReader& operator=(const EntryReader&) = delete;

  Expected<std::size_t> read(std::span<std::uint8_t> buffer) override {
    zip_int64_t n = zip_fread(file_, buffer.data(), buffer.size());
    if (n < 0) {
      return make_error(PackageErrc::corrupt_zip,
                        "zip entry " + name_ + " is damaged: " + zip_error_strerror(zip_file_get_error(file_)));
    }
    read_ += static_cast<std::uint64_t>(n);
    if (read_ > declared_) {
      return make_error(PackageErrc::corrupt_zip, "zip entry " + name_ + " is longer than its declared size");
    }
    return static_cast<std::size_t>(n);
  }

private:
  zip_file_t* file_;
  std::string name_;
  std::uint64_t declared_;
  std::uint64_t read_ = 0;
};
} // namespace

Expected<ZipReader> ZipReader::open(const fs::path& path, const ZipLimits& limits) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return make_error(PackageErrc::not_found, path.string() + ": no such package file");
    }
    return system_error(path.string(), errno);
  }
  if (!S_ISREG(st.st_mode)) return make_error(PackageErrc::not_a_zip, path.string() + ": not a regular file");
  if (st.st_size == 0) return make_error(PackageErrc::empty, path.string() + ": the package file is empty");
  int error = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (!za) {
    if (error == ZIP_ER_NOZIP) {
      if (starts_like_zip(path)) {
        return make_error(PackageErrc::corrupt_zip,
                          path.string() + ": the zip archive is truncated (its central directory is missing)");
      }
      return make_error(PackageErrc::not_a_zip, path.string() + ": not a zip archive");
    }
    if (error == ZIP_ER_OPEN || error == ZIP_ER_READ) {
      return make_error(CoreErrc::io_error, path.string() + ": cannot read the package");
    }
    zip_error_t ze;
    zip_error_init_with_code(&ze, error);
    std::string text = path.string() + ": the zip archive is damaged: " + zip_error_strerror(&ze);
    zip_error_fini(&ze);
    return make_error(PackageErrc::corrupt_zip, text);
  }
  auto state = std::make_unique<State>();
  state->archive = za;
  zip_int64_t count = zip_get_num_entries(za, 0);
  if (count < 0 || static_cast<std::uint64_t>(count) > limits.max_entries) {
    return make_error(PackageErrc::limit_exceeded,
                      path.string() + ": more than " + std::to_string(limits.max_entries) + " entries");
  }
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t zs;
    zip_stat_init(&zs);
    if (zip_stat_index(za, static_cast<zip_uint64_t>(i), 0, &zs) != 0 || !(zs.valid & ZIP_STAT_NAME)) {
      return make_error(PackageErrc::corrupt_zip, path.string() + ": entry " + std::to_string(i) + " is unreadable");
    }
    ZipEntryInfo info;
    info.name = zs.name;
    info.size = zs.size;
    info.compressed_size = zs.comp_size;
    info.method = static_cast<std::uint16_t>(zs.comp_method);
    info.encrypted = zs.encryption_method != ZIP_EM_NONE;
    info.safe_name = safe_entry_name(info.name);
    if (info.size > limits.max_entry_size) {
      return make_error(PackageErrc::limit_exceeded, path.string() + ": entry " + info.name + " declares " +
                                                         std::to_string(info.size) + " bytes, above the limit");
    }
    if (info.method != ZIP_CM_STORE && info.size > (1u << 20) &&
        info.size / std::max<std::uint64_t>(info.compressed_size, 1) > limits.max_ratio) {
      return make_error(PackageErrc::limit_exceeded, path.string() + ": entry " + info.name + " expands more than " +
                                                         std::to_string(limits.max_ratio) + " times (a zip bomb?)");
    }
    state->entries.push_back(std::move(info));
  }
  return ZipReader(std::move(state));
}

const std::vector<ZipEntryInfo>& ZipReader::entries() const { return state_->entries; }

const ZipEntryInfo* ZipReader::find(const std::string& name) const {
  for (const auto& e : state_->entries) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

Expected<std::unique_ptr<Reader>> ZipReader::open_entry(const std::string& name) const {
  const ZipEntryInfo* info = find(name);
  if (!info) return make_error(PackageErrc::payload_mismatch, "the package has no entry " + name);
  if (info->encrypted) return make_error(PackageErrc::corrupt_zip, "zip entry " + name + " is encrypted");
  zip_file_t* file = zip_fopen(state_->archive, name.c_str(), ZIP_FL_ENC_GUESS);
  if (!file) {
    return make_error(PackageErrc::corrupt_zip, "zip entry " + name + ": " + zip_message(state_->archive));
  }
  return std::unique_ptr<Reader>(std::make_unique<EntryReader>(file, name, info->size));
}

Expected<Bytes> ZipReader::read_entry(const std::string& name, std::uint64_t limit) const {
  const ZipEntryInfo* info = find(name);
  if (info && info->size > limit) {
    return make_error(PackageErrc::limit_exceeded,
                      "zip entry " + name + " is larger than " + std::to_string(limit) + " bytes");
  }
  auto reader = open_entry(name);
  if (!reader) return reader.error();
  auto bytes = read_all(**reader, limit);
  if (!bytes) {
    if (bytes.error().is(CoreErrc::limit_exceeded)) {
      return make_error(PackageErrc::limit_exceeded,
                        "zip entry " + name + " is larger than " + std::to_string(limit) + " bytes");
    }
    return bytes.error();
  }
  return bytes;
}

Status ZipWriter::add_entry_from(const ZipReader& source, const std::string& name) {
  zip_t* za = state_->archive;
  const zip_int64_t from = zip_name_locate(source.state_->archive, name.c_str(), ZIP_FL_ENC_GUESS);
  if (from < 0) return make_error(CoreErrc::not_found, "zip entry " + name + " is not in the source archive");
  return add_source(name, zip_source_zip(za, source.state_->archive, static_cast<zip_uint64_t>(from), 0, 0, -1));
}

} // namespace dfota::package
