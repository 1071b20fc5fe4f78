// Byte streams. Parsers and engines read from a Reader and write to a Writer so
// that they never depend on where the bytes live (file, memory, zip entry, pipe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace dfota {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

// The little-endian unsigned integer of `width` bytes (at most 8) at `at`;
// the caller has checked that they lie inside `bytes`.
inline std::uint64_t load_le(ByteSpan bytes, std::uint64_t at, unsigned width) {
  std::uint64_t v = 0;
  for (unsigned i = 0; i < width; ++i)
    v |= static_cast<std::uint64_t>(bytes[at + i]) << (8 * i);
  return v;
}

// The little-endian 32-bit word at `p`, and its store.
inline std::uint32_t load_le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
inline void store_le32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
  p[2] = static_cast<std::uint8_t>(v >> 16);
  p[3] = static_cast<std::uint8_t>(v >> 24);
}

std::span<const std::uint8_t> as_bytes(std::string_view text);

class Reader {
public:
  virtual ~Reader() = default;
  // Reads up to buffer.size() bytes; returns how many were read, 0 at the end
  // of the stream. After an error the stream's position is unspecified.
  virtual Expected<std::size_t> read(std::span<std::uint8_t> buffer) = 0;
};

class Writer {
public:
  virtual ~Writer() = default;
  // Writes all of `data` or fails; a failed writer must not be used again.
  virtual Status write(ByteSpan data) = 0;
};

// Fills `buffer` completely, or fails with CoreErrc::truncated.
Status read_exact(Reader& reader, std::span<std::uint8_t> buffer);

// Reads the rest of the stream; fails with CoreErrc::limit_exceeded when it is
// longer than `limit` bytes.
Expected<Bytes> read_all(Reader& reader, std::uint64_t limit);

// Copies the whole of `reader` into `writer`; returns the number of bytes.
Expected<std::uint64_t> copy_stream(Reader& reader, Writer& writer);

// Reads from a span that the caller keeps alive.
class SpanReader final : public Reader {
public:
  explicit SpanReader(ByteSpan data) : data_(data) {}
  Expected<std::size_t> read(std::span<std::uint8_t> buffer) override;
  std::size_t remaining() const { return data_.size() - position_; }

private:
  ByteSpan data_;
  std::size_t position_ = 0;
};

// Appends everything written to a vector it owns.
class VectorWriter final : public Writer {
public:
  Status write(ByteSpan data) override;
  Bytes& bytes() { return bytes_; }
  const Bytes& bytes() const { return bytes_; }

private:
  Bytes bytes_;
};

// Discards the bytes and counts them.
class CountingWriter final : public Writer {
public:
  Status write(ByteSpan data) override {
    count_ += data.size();
    return {};
  }
  std::uint64_t count() const { return count_; }

private:
  std::uint64_t count_ = 0;
};

// Forwards to two writers (for example, an output and a digest).
class TeeWriter final : public Writer {
public:
  TeeWriter(Writer& first, Writer& second) : first_(first), second_(second) {}
  Status write(ByteSpan data) override;

private:
  Writer& first_;
  Writer& second_;
};

// Gathers small writes into writes of `capacity` bytes to `next` (writes at
// least that large go straight through, after what is held). A failure of
// `next` is reported by the write() or flush() that reached it, so a caller
// must flush() before it takes the output as written. Keeps a reference to
// `next`; bytes not flushed are dropped on destruction.
class BufferedWriter final : public Writer {
public:
  explicit BufferedWriter(Writer& next, std::size_t capacity = 256u << 10) : next_(next) { buffer_.reserve(capacity); }
  Status write(ByteSpan data) override;
  // Writes what is held to `next`.
  Status flush();

private:
  Writer& next_;
  Bytes buffer_; // its capacity is the buffer's
};

// Reads or writes a file descriptor. The object owns the descriptor when
// constructed with owns=true and closes it on destruction.
class FdReader final : public Reader {
public:
  // `name` is what read errors call the input (open() gives its path).
  FdReader(int fd, bool owns, std::string name = "read") : fd_(fd), owns_(owns), name_(std::move(name)) {}
  ~FdReader() override;
  FdReader(const FdReader&) = delete;
  FdReader& operator=(const FdReader&) = delete;
  static Expected<std::unique_ptr<FdReader>> open(const std::string& path);
  // As open(), except that "-" is the process's standard input (not closed
  // by the reader; named "standard input" in errors).
  static Expected<std::unique_ptr<FdReader>> open_or_stdin(const std::string& path);
  Expected<std::size_t> read(std::span<std::uint8_t> buffer) override;

private:
  int fd_;
  bool owns_;
  std::string name_;
};

class FdWriter final : public Writer {
public:
  FdWriter(int fd, bool owns) : fd_(fd), owns_(owns) {}
  ~FdWriter() override;
  FdWriter(const FdWriter&) = delete;
  FdWriter& operator=(const FdWriter&) = delete;
  Status write(ByteSpan data) override;
  int fd() const { return fd_; }

private:
  int fd_;
  bool owns_;
};

// A read-only memory mapping of a whole file (an empty file maps to an empty
// span). The mapping lives as long as the object.
class MappedFile {
public:
  static Expected<MappedFile> open(const std::string& path);
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  ByteSpan bytes() const { return {data_, size_}; }
  std::size_t size() const { return size_; }

private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Drops from this process's resident memory the whole pages of `bytes` that
// lie in a live MappedFile's mapping; they are read again from the file
// (mostly from the page cache) when next touched. Never changes a byte and
// does nothing for other memory (the heap, the stack, a span that is a copy):
// a hint for code done with a mapped image for a while, whose pages need not
// count in the peak resident set meanwhile. Thread-safe, also against a
// MappedFile being unmapped at the same time.
void release_mapped_pages(ByteSpan bytes);

} // namespace dfota
