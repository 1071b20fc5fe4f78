// Files and directories with the guarantees the tools promise: outputs appear
// whole or not at all, and relative paths from untrusted input never leave
// their root.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "core/bytes.hpp"

namespace dfota {

// Reads a whole regular file; fails with CoreErrc::limit_exceeded above `limit`.
Expected<Bytes> read_file(const std::string& path, std::uint64_t limit);

// True for a relative path of plain components: not empty, not absolute, no
// "." or ".." component, no empty component, no backslash or NUL.
bool is_safe_relative_path(std::string_view path);

// True when `path` is `dir` or lies below it, compared after resolving the
// symbolic links, "." and ".." of the parts of each that exist
// (std::filesystem::weakly_canonical); false when either cannot be resolved.
bool is_within(const std::filesystem::path& path, const std::filesystem::path& dir);

// True when `a` and `b` name one file: the same existing file by any path
// (device and inode), or the same path once the links, "." and ".." of its
// existing part are resolved (for files not made yet). Commands use it to
// refuse an output that would replace one of their inputs. Never throws; an
// empty path names no file (false).
bool names_same_file(const std::filesystem::path& a, const std::filesystem::path& b);

// A file written under a temporary name in the destination's directory and
// renamed onto the destination by commit(). Destroying an uncommitted
// OutputFile removes the temporary, so a failed run leaves nothing behind.
// The temporary is `.<name>.partial-<pid>-XXXXXX` (the name shortened so that
// it fits NAME_MAX, whatever the destination's length); create() first
// removes such temporaries of the same destination whose process is gone.
class OutputFile {
public:
  static Expected<OutputFile> create(const std::filesystem::path& destination, unsigned mode = 0644);
  OutputFile(OutputFile&& other) noexcept;
  OutputFile& operator=(OutputFile&&) = delete;
  OutputFile(const OutputFile&) = delete;
  ~OutputFile();

  Writer& writer() { return *writer_; }
  // The whole file as one writable region of `size` bytes, shared with the
  // file (disk space reserved first, so that a full disk is an error here
  // rather than a fault while writing). For a decoder that reads back what
  // it wrote. Call at most once, before anything is written through
  // writer(), and write nothing through writer() afterwards. The region
  // lives until commit() or destruction.
  Expected<std::span<std::uint8_t>> map_region(std::uint64_t size);
  // Sets the permission bits the file will have.
  Status set_mode(unsigned mode);
  // Flushes to disk and renames onto the destination (replacing it).
  Status commit();

private:
  OutputFile(std::filesystem::path destination, std::filesystem::path temporary, int fd);
  std::filesystem::path destination_;
  std::filesystem::path temporary_;
  std::unique_ptr<FdWriter> writer_;
  bool committed_ = false;
  void* region_ = nullptr; // map_region()'s mapping
  std::size_t region_size_ = 0;
  void unmap_region();
};

// Writes `text` to `destination` through an OutputFile: the file appears
// whole, or the old one stays.
Status write_text_file(const std::filesystem::path& destination, std::string_view text);

// A directory that is removed with its contents on destruction unless
// release() was called (read-only directories inside it included).
class TempDir {
public:
  // Creates `<parent>/<prefix>XXXXXX`.
  static Expected<TempDir> create(const std::filesystem::path& parent, std::string_view prefix);
  // Creates a hidden sibling of `destination` to build it in, named as
  // OutputFile's temporaries are, after removing those of dead runs.
  static Expected<TempDir> create_beside(const std::filesystem::path& destination);
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }
  // Keeps the directory; the caller now owns it.
  std::filesystem::path release();

private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

// Removes every OutputFile temporary and TempDir that is neither committed,
// released nor destroyed yet: what a program's SIGINT/SIGTERM handling calls
// (from a normal thread, not a signal handler) so that an interrupted run
// leaves nothing behind. Creating and registering a temporary is one step
// under the registry's lock, so none escapes the removal; after it, creating
// one fails (ECANCELED) while the process ends.
void remove_pending_outputs() noexcept;

// Removes `path` and all below it, making read-only directories writable
// first where that is what stops the removal. Never throws.
void remove_tree(const std::filesystem::path& path) noexcept;

// The directory the system wants temporary files in ($TMPDIR or /tmp).
std::filesystem::path system_temp_directory();

} // namespace dfota
