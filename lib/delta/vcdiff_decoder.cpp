#include "delta/vcdiff_decoder.hpp"

#include <array>
#include <cstring>
#include <lzma.h>
#include <memory>
#include <optional>

#include "delta/engine.hpp"

namespace dfota::delta {

namespace {

// Header and window indicator bits (RFC 3284 section 4, xdelta3 extensions).
constexpr std::uint8_t kHdrSecondary = 0x01;
constexpr std::uint8_t kHdrCodeTable = 0x02;
constexpr std::uint8_t kHdrAppHeader = 0x04;
constexpr std::uint8_t kWinSource = 0x01;
constexpr std::uint8_t kWinTarget = 0x02;
constexpr std::uint8_t kWinAdler32 = 0x04;
constexpr std::uint8_t kDeltaData = 0x01;
constexpr std::uint8_t kDeltaInst = 0x02;
constexpr std::uint8_t kDeltaAddr = 0x04;

// xdelta3's secondary compressor ids.
constexpr std::uint8_t kSecondaryDjw = 1;
constexpr std::uint8_t kSecondaryLzma = 2;
constexpr std::uint8_t kSecondaryFgk = 16;

enum Op : std::uint8_t { kNoop = 0, kAdd = 1, kRun = 2, kCopy = 3 };

struct Instruction {
  Op type = kNoop;
  std::uint8_t size = 0;
  std::uint8_t mode = 0;
};
using CodeEntry = std::array<Instruction, 2>;

// The default code table of RFC 3284 section 5.6.
const std::array<CodeEntry, 256>& default_code_table() {
  static const std::array<CodeEntry, 256> table = [] {
    std::array<CodeEntry, 256> t{};
    std::size_t i = 0;
    t[i++] = {Instruction{kRun, 0, 0}, Instruction{}};
    for (std::uint8_t size = 0; size <= 17; ++size)
      t[i++] = {Instruction{kAdd, size, 0}, Instruction{}};
    for (std::uint8_t mode = 0; mode <= 8; ++mode) {
      t[i++] = {Instruction{kCopy, 0, mode}, Instruction{}};
      for (std::uint8_t size = 4; size <= 18; ++size)
        t[i++] = {Instruction{kCopy, size, mode}, Instruction{}};
    }
    for (std::uint8_t mode = 0; mode <= 5; ++mode)
      for (std::uint8_t add = 1; add <= 4; ++add)
        for (std::uint8_t copy = 4; copy <= 6; ++copy)
          t[i++] = {Instruction{kAdd, add, 0}, Instruction{kCopy, copy, mode}};
    for (std::uint8_t mode = 6; mode <= 8; ++mode)
      for (std::uint8_t add = 1; add <= 4; ++add)
        t[i++] = {Instruction{kAdd, add, 0}, Instruction{kCopy, 4, mode}};
    for (std::uint8_t mode = 0; mode <= 8; ++mode)
      t[i++] = {Instruction{kCopy, 4, mode}, Instruction{kAdd, 1, 0}};
    return t;
  }();
  return table;
}

Error corrupt(const std::string& what) { return make_error(DeltaErrc::corrupt_payload, "vcdiff: " + what); }

// A cursor over one in-memory section.
class Cursor {
public:
  explicit Cursor(ByteSpan data) : data_(data) {}
  bool at_end() const { return pos_ == data_.size(); }
  std::size_t position() const { return pos_; }
  Expected<std::uint8_t> byte(const char* section) {
    if (pos_ >= data_.size()) return corrupt(std::string(section) + " section ends early");
    return data_[pos_++];
  }
  Expected<std::uint64_t> varint(const char* section) {
    std::uint64_t value = 0;
    for (int i = 0; i < 10; ++i) {
      auto b = byte(section);
      if (!b) return b.error();
      if (value > (UINT64_MAX >> 7)) return corrupt(std::string("integer overflow in ") + section + " section");
      value = (value << 7) | (*b & 0x7f);
      if (!(*b & 0x80)) return value;
    }
    return corrupt(std::string("integer too long in ") + section + " section");
  }
  Expected<ByteSpan> take(std::uint64_t n, const char* section) {
    if (n > data_.size() - pos_) return corrupt(std::string(section) + " section ends early");
    ByteSpan out = data_.subspan(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return out;
  }

private:
  ByteSpan data_;
  std::size_t pos_ = 0;
};

// Reads VCDIFF integers and bytes from the payload stream.
class StreamInput {
public:
  explicit StreamInput(Reader& reader) : reader_(reader) {}
  // Next byte, or nullopt at a clean end of stream.
  Expected<std::optional<std::uint8_t>> next_or_end() {
    std::uint8_t b;
    auto got = reader_.read({&b, 1});
    if (!got) return got.error();
    if (*got == 0) return std::optional<std::uint8_t>();
    return std::optional<std::uint8_t>(b);
  }
  Expected<std::uint8_t> byte() {
    std::uint8_t b;
    if (auto ok = read_exact(reader_, {&b, 1}); !ok) return corrupt("payload is truncated");
    return b;
  }
  Expected<std::uint64_t> varint() {
    std::uint64_t value = 0;
    for (int i = 0; i < 10; ++i) {
      auto b = byte();
      if (!b) return b.error();
      if (value > (UINT64_MAX >> 7)) return corrupt("integer overflow in window header");
      value = (value << 7) | (*b & 0x7f);
      if (!(*b & 0x80)) return value;
    }
    return corrupt("integer too long in window header");
  }
  Status bytes(std::span<std::uint8_t> out) {
    if (auto ok = read_exact(reader_, out); !ok) {
      if (ok.error().is(CoreErrc::truncated)) return corrupt("payload is truncated");
      return ok;
    }
    return {};
  }

private:
  Reader& reader_;
};

// xdelta3's LZMA secondary compression: one xz stream per section kind that
// runs across all windows, sync-flushed at the end of each section.
class LzmaSection {
public:
  LzmaSection() = default;
  LzmaSection(const LzmaSection&) = delete;
  LzmaSection& operator=(const LzmaSection&) = delete;
  ~LzmaSection() {
    if (started_) lzma_end(&stream_);
  }

  Status decode(ByteSpan input, std::uint64_t output_size, Bytes& output) {
    if (!started_) {
      // xdelta3's secondary LZMA uses a dictionary of a few MiB; 32 MiB of
      // decoder memory is ample and bounds what a payload can make us allocate.
      if (lzma_stream_decoder(&stream_, 32u << 20, LZMA_TELL_NO_CHECK) != LZMA_OK) {
        return make_error(DeltaErrc::limit_exceeded, "vcdiff: cannot start the LZMA decoder");
      }
      started_ = true;
    }
    output.resize(static_cast<std::size_t>(output_size));
    stream_.next_in = input.data();
    stream_.avail_in = input.size();
    stream_.next_out = output.data();
    stream_.avail_out = output.size();
    while (stream_.avail_out > 0) {
      std::size_t before_in = stream_.avail_in, before_out = stream_.avail_out;
      lzma_ret rc = lzma_code(&stream_, LZMA_RUN);
      if (rc != LZMA_OK && rc != LZMA_NO_CHECK) {
        return corrupt("LZMA secondary data is damaged (liblzma code " + std::to_string(rc) + ")");
      }
      if (stream_.avail_in == before_in && stream_.avail_out == before_out) {
        return corrupt("LZMA secondary data ends early");
      }
    }
    if (stream_.avail_in != 0) return corrupt("LZMA secondary data has unused input");
    return {};
  }

private:
  lzma_stream stream_ = LZMA_STREAM_INIT;
  bool started_ = false;
};

// The address cache of RFC 3284 section 5.1 (s_near = 4, s_same = 3).
class AddressCache {
public:
  void reset() {
    near_.fill(0);
    same_.fill(0);
    next_near_ = 0;
  }
  Expected<std::uint64_t> decode(std::uint64_t here, std::uint8_t mode, Cursor& addresses) {
    std::uint64_t addr = 0;
    if (mode == 0) {
      auto v = addresses.varint("address");
      if (!v) return v.error();
      addr = *v;
    } else if (mode == 1) {
      auto v = addresses.varint("address");
      if (!v) return v.error();
      if (*v > here) return corrupt("address before the start of the window");
      addr = here - *v;
    } else if (mode < 2 + kNear) {
      auto v = addresses.varint("address");
      if (!v) return v.error();
      addr = near_[mode - 2] + *v;
      if (addr < *v) return corrupt("address overflow");
    } else if (mode < 2 + kNear + kSame) {
      auto b = addresses.byte("address");
      if (!b) return b.error();
      addr = same_[(mode - 2 - kNear) * 256 + *b];
    } else {
      return corrupt("copy mode " + std::to_string(mode) + " is out of range");
    }
    if (addr >= here) return corrupt("copy address points past the current position");
    near_[next_near_] = addr;
    next_near_ = (next_near_ + 1) % kNear;
    same_[addr % (kSame * 256)] = addr;
    return addr;
  }

private:
  static constexpr std::size_t kNear = 4;
  static constexpr std::size_t kSame = 3;
  std::array<std::uint64_t, kNear> near_{};
  std::array<std::uint64_t, kSame * 256> same_{};
  std::size_t next_near_ = 0;
};

std::uint32_t adler32(ByteSpan data) {
  std::uint32_t a = 1, b = 0;
  constexpr std::uint32_t kMod = 65521;
  std::size_t i = 0;
  while (i < data.size()) {
    std::size_t block = std::min<std::size_t>(data.size() - i, 5552);
    for (std::size_t end = i + block; i < end; ++i) {
      a += data[i];
      b += a;
    }
    a %= kMod;
    b %= kMod;
  }
  return (b << 16) | a;
}

class Decoder {
public:
  Decoder(ByteSpan source, Reader& payload, Writer& target, const VcdiffLimits& limits)
      : source_(source), input_(payload), target_(target), limits_(limits) {}

  Status run() {
    if (auto ok = read_header(); !ok) return ok;
    for (std::uint64_t window = 0;; ++window) {
      auto indicator = input_.next_or_end();
      if (!indicator) return indicator.error();
      if (!indicator->has_value()) return {};
      if (auto ok = decode_window(**indicator); !ok) {
        return ok.error().with_context("window " + std::to_string(window));
      }
    }
  }

private:
  Status read_header() {
    std::array<std::uint8_t, 4> magic{};
    if (auto ok = input_.bytes(magic); !ok) return corrupt("not a VCDIFF payload (too short)");
    if (magic[0] != 0xd6 || magic[1] != 0xc3 || magic[2] != 0xc4) return corrupt("not a VCDIFF payload (bad magic)");
    if (magic[3] != 0x00)
      return make_error(CoreErrc::unsupported, "vcdiff: version " + std::to_string(magic[3]) + " is not supported");
    auto indicator = input_.byte();
    if (!indicator) return indicator.error();
    if (*indicator & ~(kHdrSecondary | kHdrCodeTable | kHdrAppHeader)) return corrupt("unknown header indicator bits");
    if (*indicator & kHdrSecondary) {
      auto id = input_.byte();
      if (!id) return id.error();
      if (*id == kSecondaryDjw || *id == kSecondaryFgk) {
        return make_error(CoreErrc::unsupported, std::string("vcdiff: xdelta3's ") +
                                                     (*id == kSecondaryDjw ? "djw" : "fgk") +
                                                     " secondary compression is not supported (use lzma or none)");
      }
      if (*id != kSecondaryLzma) return corrupt("unknown secondary compressor " + std::to_string(*id));
      secondary_ = true;
    }
    if (*indicator & kHdrCodeTable) {
      return make_error(CoreErrc::unsupported, "vcdiff: application-defined code tables are not supported");
    }
    if (*indicator & kHdrAppHeader) {
      auto length = input_.varint();
      if (!length) return length.error();
      if (*length > limits_.max_app_header)
        return make_error(DeltaErrc::limit_exceeded, "vcdiff: application header too large");
      Bytes skip(static_cast<std::size_t>(*length));
      if (auto ok = input_.bytes(skip); !ok) return ok;
    }
    return {};
  }

  Status decode_window(std::uint8_t indicator) {
    if (indicator & ~(kWinSource | kWinTarget | kWinAdler32)) return corrupt("unknown window indicator bits");
    if (indicator & kWinTarget) {
      return make_error(CoreErrc::unsupported,
                        "vcdiff: windows that copy from the target (VCD_TARGET) are not supported");
    }
    std::uint64_t segment_size = 0, segment_pos = 0;
    if (indicator & kWinSource) {
      auto size = input_.varint();
      if (!size) return size.error();
      auto pos = input_.varint();
      if (!pos) return pos.error();
      if (*pos > source_.size() || *size > source_.size() - *pos) {
        return corrupt("source segment lies outside the source (wrong source image?)");
      }
      segment_size = *size;
      segment_pos = *pos;
    }
    auto delta_length = input_.varint();
    if (!delta_length) return delta_length.error();
    auto window_size = input_.varint();
    if (!window_size) return window_size.error();
    if (*window_size > limits_.max_window_size) {
      return make_error(DeltaErrc::limit_exceeded, "vcdiff: window of " + std::to_string(*window_size) +
                                                       " bytes exceeds the limit of " +
                                                       std::to_string(limits_.max_window_size));
    }
    auto delta_indicator = input_.byte();
    if (!delta_indicator) return delta_indicator.error();
    if (*delta_indicator & ~(kDeltaData | kDeltaInst | kDeltaAddr)) return corrupt("unknown delta indicator bits");
    if (*delta_indicator && !secondary_) return corrupt("compressed sections without a secondary compressor");
    std::array<std::uint64_t, 3> lengths{};
    for (auto& length : lengths) {
      auto v = input_.varint();
      if (!v) return v.error();
      length = *v;
    }
    const std::uint64_t total = lengths[0] + lengths[1] + lengths[2];
    if (lengths[0] > limits_.max_section_size || lengths[1] > limits_.max_section_size ||
        lengths[2] > limits_.max_section_size || total > limits_.max_section_size) {
      return make_error(DeltaErrc::limit_exceeded, "vcdiff: window sections exceed the limit");
    }
    if (total > *delta_length) return corrupt("section lengths exceed the delta length");
    std::optional<std::uint32_t> expected_adler;
    if (indicator & kWinAdler32) {
      std::array<std::uint8_t, 4> sum{};
      if (auto ok = input_.bytes(sum); !ok) return ok;
      expected_adler = std::uint32_t(sum[0]) << 24 | std::uint32_t(sum[1]) << 16 | std::uint32_t(sum[2]) << 8 | sum[3];
    }
    Bytes sections(static_cast<std::size_t>(total));
    if (auto ok = input_.bytes(sections); !ok) return ok;

    std::array<ByteSpan, 3> parts{ByteSpan(sections).subspan(0, lengths[0]),
                                  ByteSpan(sections).subspan(lengths[0], lengths[1]),
                                  ByteSpan(sections).subspan(lengths[0] + lengths[1], lengths[2])};
    const std::array<std::uint8_t, 3> bits{kDeltaData, kDeltaInst, kDeltaAddr};
    for (std::size_t i = 0; i < 3; ++i) {
      if (!(*delta_indicator & bits[i])) continue;
      Cursor c(parts[i]);
      auto size = c.varint("secondary");
      if (!size) return size.error();
      if (*size == 0 || *size > limits_.max_section_size) return corrupt("secondary section size out of range");
      ByteSpan compressed = parts[i].subspan(c.position());
      if (auto ok = lzma_[i].decode(compressed, *size, decoded_[i]); !ok) return ok;
      parts[i] = decoded_[i];
    }

    window_.assign(static_cast<std::size_t>(*window_size), 0);
    if (auto ok = execute(parts, segment_pos, segment_size); !ok) return ok;
    if (expected_adler && adler32(window_) != *expected_adler) {
      return corrupt("target window checksum mismatch (wrong source image?)");
    }
    return target_.write(window_);
  }

  Status execute(const std::array<ByteSpan, 3>& parts, std::uint64_t segment_pos, std::uint64_t segment_size) {
    Cursor data(parts[0]), inst(parts[1]), addr(parts[2]);
    cache_.reset();
    const auto& table = default_code_table();
    std::uint64_t out = 0; // bytes of the target window produced so far
    const std::uint64_t window_size = window_.size();
    while (!inst.at_end()) {
      auto index = inst.byte("instruction");
      if (!index) return index.error();
      for (const Instruction& in : table[*index]) {
        if (in.type == kNoop) continue;
        std::uint64_t size = in.size;
        if (size == 0) {
          auto v = inst.varint("instruction");
          if (!v) return v.error();
          size = *v;
        }
        if (size > window_size - out) return corrupt("instruction writes past the end of the window");
        switch (in.type) {
        case kAdd: {
          auto bytes = data.take(size, "data");
          if (!bytes) return bytes.error();
          if (size > 0) std::memcpy(window_.data() + out, bytes->data(), bytes->size()); // data() may be null at 0
          break;
        }
        case kRun: {
          auto b = data.byte("data");
          if (!b) return b.error();
          if (size > 0) std::memset(window_.data() + out, *b, static_cast<std::size_t>(size));
          break;
        }
        case kCopy: {
          const std::uint64_t here = segment_size + out;
          auto a = cache_.decode(here, in.mode, addr);
          if (!a) return a.error();
          std::uint64_t from = *a;
          std::uint64_t done = 0;
          if (from < segment_size) { // part in the source segment
            std::uint64_t n = std::min(size, segment_size - from);
            if (n > 0) // a zero-size copy still updates the address cache, but copies nothing
              std::memcpy(window_.data() + out, source_.data() + segment_pos + from, static_cast<std::size_t>(n));
            done = n;
            from += n;
          }
          // The rest copies from this window's earlier output, possibly
          // overlapping what it writes (a run of a pattern): byte by byte.
          std::uint8_t* dst = window_.data() + out;
          for (std::uint64_t t = from - segment_size; done < size; ++done, ++t)
            dst[done] = window_[t];
          break;
        }
        default: break;
        }
        out += size;
      }
    }
    if (out != window_size) return corrupt("window decodes to fewer bytes than announced");
    if (!data.at_end() || !addr.at_end()) return corrupt("window has unused data or addresses");
    return {};
  }

  ByteSpan source_;
  StreamInput input_;
  Writer& target_;
  VcdiffLimits limits_;
  bool secondary_ = false;
  std::array<LzmaSection, 3> lzma_;
  std::array<Bytes, 3> decoded_;
  AddressCache cache_;
  Bytes window_;
};

} // namespace

Status vcdiff_decode(ByteSpan source, Reader& payload, Writer& target, const VcdiffLimits& limits) {
  return Decoder(source, payload, target, limits).run();
}

} // namespace dfota::delta
