// The ZIP container (libzip). The writer makes byte-for-byte reproducible
// archives: entries stored (payloads are compressed already) in the order
// they are added, with fixed timestamps and attributes; the archive appears
// at its path only when close() succeeds. The reader classifies damage
// (missing, empty, not a zip, truncated) and refuses entries whose names are
// unsafe or duplicated, or whose sizes break the limits.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "package/errors.hpp"

struct zip_source; // libzip

namespace dfota::package {

class ZipWriter {
public:
  // Starts an archive that close() will create at `path` (replacing it).
  static Expected<ZipWriter> create(const std::filesystem::path& path);
  ZipWriter(ZipWriter&&) noexcept;
  ZipWriter& operator=(ZipWriter&&) = delete;
  ~ZipWriter(); // discards the archive unless close() succeeded

  // Adds an entry from memory; the writer keeps its own copy.
  Status add_bytes(const std::string& name, Bytes bytes);
  // Adds an entry whose bytes are read from `file` during close(); the file
  // must stay unchanged until then.
  Status add_file(const std::string& name, const std::filesystem::path& file);
  // Adds entry `name` of `source` under the same name; its bytes are read
  // (and their CRC checked) during close(), so `source` must stay open until then.
  Status add_entry_from(const class ZipReader& source, const std::string& name);
  Status close();

private:
  struct State;
  explicit ZipWriter(std::unique_ptr<State> state);
  Status finish_entry(long long index, const std::string& name);
  // Adds `src` (owned from here on; null when creating it failed) as `name`.
  Status add_source(const std::string& name, ::zip_source* src);
  std::unique_ptr<State> state_;
};

struct ZipEntryInfo {
  std::string name;
  std::uint64_t size = 0; // uncompressed
  std::uint64_t compressed_size = 0;
  std::uint16_t method = 0; // 0 stored, 8 deflate, ...
  bool encrypted = false;
  bool safe_name = true; // passes is_safe_relative_path (a trailing '/' allowed)
};

struct ZipLimits {
  std::uint64_t max_entries = 100000;
  std::uint64_t max_entry_size = std::uint64_t{16} << 30; // 16 GiB uncompressed
  std::uint64_t max_ratio = 1000;                         // uncompressed / compressed, for compressed entries
};

class ZipReader {
public:
  // Opens an archive. Errors: PackageErrc::not_found, empty, not_a_zip,
  // corrupt_zip (including truncation), limit_exceeded; CoreErrc for I/O.
  static Expected<ZipReader> open(const std::filesystem::path& path, const ZipLimits& limits = {});
  ZipReader(ZipReader&&) noexcept;
  ZipReader& operator=(ZipReader&&) = delete;
  ~ZipReader();

  const std::vector<ZipEntryInfo>& entries() const;
  const ZipEntryInfo* find(const std::string& name) const;
  // A stream over one entry's uncompressed bytes. It fails with
  // PackageErrc::corrupt_zip when the data is damaged (CRC) or longer than
  // declared. The reader must outlive the stream.
  Expected<std::unique_ptr<Reader>> open_entry(const std::string& name) const;
  Expected<Bytes> read_entry(const std::string& name, std::uint64_t limit) const;

private:
  friend class ZipWriter;
  struct State;
  explicit ZipReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

} // namespace dfota::package
