#include "delta/native/streams.hpp"

#include <algorithm>
#include <future>
#include <lzma.h>

#include "delta/engine.hpp"
#include "delta/native/varint.hpp"

namespace dfota::delta::native {

namespace {

struct Piece {
  std::size_t raw_size = 0;
  Bytes data;
};
struct CompressedStream {
  Codec codec = Codec::stored;
  std::vector<Piece> pieces;
};

std::vector<Piece> stored_pieces(const Bytes& raw) {
  std::vector<Piece> pieces;
  for (std::size_t at = 0; at < raw.size(); at += kPieceSize) {
    const std::size_t n = std::min(kPieceSize, raw.size() - at);
    pieces.push_back(
        {n, Bytes(raw.begin() + static_cast<std::ptrdiff_t>(at), raw.begin() + static_cast<std::ptrdiff_t>(at + n))});
  }
  return pieces;
}

// LZMA2 at preset 9 with the longest match length; the dictionary is no
// larger than the stream (nor than a decoder's kMaxWindowLog).
lzma_options_lzma lzma_options(std::size_t stream_size) {
  lzma_options_lzma options{};
  lzma_lzma_preset(&options, 9);
  options.dict_size = std::uint32_t{1} << std::min(kMaxWindowLog, ceil_log2(stream_size, 12));
  options.nice_len = 273;
  return options;
}

// Compresses raw[begin, end) as LZMA2 pieces, starting with a dictionary
// reset. With `last` false the part ends without an end mark, so that another
// part's pieces can follow in the same LZMA2 stream.
Expected<CompressedStream> compress_lzma(const Bytes& raw, std::size_t begin, std::size_t end, bool last_part) {
  CompressedStream result;
  if (begin == end) return result;
  lzma_options_lzma options = lzma_options(end - begin);
  const lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &options}, {LZMA_VLI_UNKNOWN, nullptr}};
  lzma_stream stream = LZMA_STREAM_INIT;
  if (lzma_raw_encoder(&stream, filters) != LZMA_OK) return make_error(DeltaErrc::encode_failed, "lzma: cannot start");
  struct Release {
    lzma_stream* s;
    ~Release() { lzma_end(s); }
  } release{&stream};
  for (std::size_t at = begin; at < end; at += kPieceSize) {
    const std::size_t n = std::min(kPieceSize, end - at);
    const bool last = last_part && at + n == end;
    Piece piece{n, Bytes(n + n / 2 + 1024)};
    stream.next_in = raw.data() + at;
    stream.avail_in = n;
    std::size_t written = 0;
    for (;;) {
      stream.next_out = piece.data.data() + written;
      stream.avail_out = piece.data.size() - written;
      const lzma_ret rc = lzma_code(&stream, last ? LZMA_FINISH : LZMA_SYNC_FLUSH);
      written = piece.data.size() - stream.avail_out;
      if (rc == LZMA_STREAM_END) break;
      if (rc != LZMA_OK) return make_error(DeltaErrc::encode_failed, "lzma: encoding failed");
      if (stream.avail_out == 0) piece.data.resize(piece.data.size() * 2);
    }
    piece.data.resize(written);
    result.pieces.push_back(std::move(piece));
  }
  result.codec = Codec::lzma2;
  return result;
}

std::size_t packed_size(const CompressedStream& c) {
  std::size_t n = 0;
  for (const Piece& p : c.pieces)
    n += p.data.size();
  return n;
}

// LZMA2, or stored when that is not smaller. A stream of kSplitFrom bytes or
// more is compressed as two parts at once, the second starting with a
// dictionary reset: one LZMA2 stream to a decoder.
constexpr std::size_t kSplitFrom = 1u << 20;
Expected<CompressedStream> compress_stream(const Bytes& raw) {
  Expected<CompressedStream> packed = CompressedStream{};
  if (raw.size() >= kSplitFrom) {
    const std::size_t cut = raw.size() / 2 / kPieceSize * kPieceSize;
    auto second = std::async(std::launch::async, [&] { return compress_lzma(raw, cut, raw.size(), true); });
    packed = compress_lzma(raw, 0, cut, false);
    auto tail = second.get();
    if (!packed) return packed;
    if (!tail) return tail;
    for (Piece& piece : tail->pieces)
      packed->pieces.push_back(std::move(piece));
  } else {
    packed = compress_lzma(raw, 0, raw.size(), true);
  }
  if (!packed) return packed;
  if (!raw.empty() && packed_size(*packed) >= raw.size()) return CompressedStream{Codec::stored, stored_pieces(raw)};
  return packed;
}

} // namespace

Status write_streams(const std::array<Bytes, kStreamCount>& streams, const std::vector<Demand>& demands, Writer& out) {
  // The diff stream is the largest by far: it gets a thread of its own.
  auto diff_job = std::async(std::launch::async, [&] { return compress_stream(streams[kDiffStream]); });
  std::array<CompressedStream, kStreamCount> compressed;
  for (unsigned s = 0; s < kStreamCount; ++s) {
    if (s == kDiffStream) continue;
    auto c = compress_stream(streams[s]);
    if (!c) {
      diff_job.wait();
      return c.error();
    }
    compressed[s] = std::move(*c);
  }
  auto diff = diff_job.get();
  if (!diff) return diff.error();
  compressed[kDiffStream] = std::move(*diff);

  Bytes header;
  for (const auto& c : compressed)
    header.push_back(static_cast<std::uint8_t>(c.codec));
  if (auto ok = out.write(header); !ok) return ok;

  std::array<std::size_t, kStreamCount> next{};
  std::array<std::uint64_t, kStreamCount> emitted{};
  auto emit = [&](unsigned s) -> Status {
    const Piece& piece = compressed[s].pieces[next[s]++];
    emitted[s] += piece.raw_size;
    Bytes head{static_cast<std::uint8_t>(s)};
    put_varint(head, piece.raw_size);
    put_varint(head, piece.data.size());
    if (auto ok = out.write(head); !ok) return ok;
    return out.write(piece.data);
  };
  for (const Demand& d : demands) {
    while (next[d.stream] < compressed[d.stream].pieces.size() && emitted[d.stream] < d.end) {
      if (auto ok = emit(d.stream); !ok) return ok;
    }
  }
  for (unsigned s = 0; s < kStreamCount; ++s) {
    while (next[s] < compressed[s].pieces.size()) {
      if (auto ok = emit(s); !ok) return ok;
    }
  }
  const std::uint8_t end = kEndOfStreams;
  return out.write({&end, 1});
}

// --- BufferedInput ---------------------------------------------------------

Status BufferedInput::refill() {
  auto got = reader_.read(buffer_);
  if (!got) return got.error();
  position_ = 0;
  size_ = *got;
  return {};
}

Expected<std::uint8_t> BufferedInput::byte() {
  if (position_ == size_) {
    if (auto ok = refill(); !ok) return ok.error();
    if (size_ == 0) return make_error(DeltaErrc::corrupt_payload, "native payload is truncated");
  }
  return buffer_[position_++];
}

Expected<std::uint64_t> BufferedInput::varint() {
  return read_varint([this] { return byte(); });
}

Status BufferedInput::read(std::uint8_t* out, std::size_t count) {
  while (count > 0) {
    if (position_ == size_) {
      if (auto ok = refill(); !ok) return ok;
      if (size_ == 0) return make_error(DeltaErrc::corrupt_payload, "native payload is truncated");
    }
    const std::size_t n = std::min(count, size_ - position_);
    std::copy_n(buffer_.data() + position_, n, out);
    position_ += n;
    out += n;
    count -= n;
  }
  return {};
}

Expected<bool> BufferedInput::at_end() {
  if (position_ < size_) return false;
  if (auto ok = refill(); !ok) return ok.error();
  return size_ == 0;
}

// --- StreamReader ----------------------------------------------------------

struct StreamReader::State {
  lzma_stream lzma = LZMA_STREAM_INIT;
  bool lzma_started = false;
  std::deque<Bytes> queue;
  std::size_t front_used = 0;
  std::size_t queued = 0;
  bool frame_complete = false;
  bool closed = false;
  bool any = false;
  ~State() { release(); }
  void release() {
    if (lzma_started) lzma_end(&lzma);
    lzma_started = false;
  }
};

StreamReader::StreamReader(BufferedInput& input) : input_(input) {}
StreamReader::~StreamReader() = default;

Status StreamReader::start() {
  for (unsigned s = 0; s < kStreamCount; ++s) {
    auto codec = input_.byte();
    if (!codec) return codec.error();
    if (*codec != static_cast<std::uint8_t>(Codec::stored) && *codec != static_cast<std::uint8_t>(Codec::lzma2)) {
      return make_error(DeltaErrc::corrupt_payload, "native payload names an unknown codec " + std::to_string(*codec));
    }
    codecs_[s] = static_cast<Codec>(*codec);
    states_[s] = std::make_unique<State>();
    if (codecs_[s] == Codec::lzma2) {
      lzma_options_lzma options{};
      options.dict_size = std::uint32_t{1} << kMaxWindowLog;
      const lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &options}, {LZMA_VLI_UNKNOWN, nullptr}};
      if (lzma_raw_decoder(&states_[s]->lzma, filters) != LZMA_OK) {
        return make_error(DeltaErrc::limit_exceeded, "lzma: out of memory");
      }
      states_[s]->lzma_started = true;
    }
  }
  return {};
}

Status StreamReader::next_piece() {
  if (ended_) return make_error(DeltaErrc::corrupt_payload, "native payload ends before its streams do");
  auto id = input_.byte();
  if (!id) return id.error();
  if (*id == kEndOfStreams) {
    ended_ = true;
    return make_error(DeltaErrc::corrupt_payload, "native payload ends before its streams do");
  }
  if (*id >= kStreamCount) return make_error(DeltaErrc::corrupt_payload, "native payload names an unknown stream");
  State& state = *states_[*id];
  auto raw_size = input_.varint();
  if (!raw_size) return raw_size.error();
  auto packed_size = input_.varint();
  if (!packed_size) return packed_size.error();
  if (*raw_size == 0 || *raw_size > kMaxPieceSize) {
    return make_error(DeltaErrc::corrupt_payload,
                      "native payload has a piece of " + std::to_string(*raw_size) + " bytes");
  }
  const bool stored = codecs_[*id] == Codec::stored;
  if ((stored && *packed_size != *raw_size) || *packed_size > 2 * kMaxPieceSize + 1024) {
    return make_error(DeltaErrc::corrupt_payload, "native payload has a piece of impossible size");
  }
  if (state.closed || state.frame_complete) {
    return make_error(DeltaErrc::corrupt_payload, "native payload has data past the end of a stream");
  }
  if (state.queued + *raw_size > kMaxQueuedBytes) {
    return make_error(DeltaErrc::limit_exceeded, "native payload needs more read-ahead than allowed");
  }
  Bytes raw(static_cast<std::size_t>(*raw_size));
  if (stored) {
    if (auto ok = input_.read(raw.data(), raw.size()); !ok) return ok;
  } else {
    compressed_.resize(static_cast<std::size_t>(*packed_size));
    if (auto ok = input_.read(compressed_.data(), compressed_.size()); !ok) return ok;
    state.lzma.next_in = compressed_.data();
    state.lzma.avail_in = compressed_.size();
    state.lzma.next_out = raw.data();
    state.lzma.avail_out = raw.size();
    for (;;) {
      const std::size_t before_in = state.lzma.avail_in, before_out = state.lzma.avail_out;
      const lzma_ret rc = lzma_code(&state.lzma, LZMA_RUN);
      if (rc == LZMA_STREAM_END) {
        state.frame_complete = true;
        break;
      }
      if (rc == LZMA_MEMLIMIT_ERROR || rc == LZMA_MEM_ERROR) {
        return make_error(DeltaErrc::limit_exceeded, "native payload stream: lzma needs too much memory");
      }
      if (rc != LZMA_OK && rc != LZMA_BUF_ERROR) {
        return make_error(DeltaErrc::corrupt_payload, "native payload stream: lzma data is corrupt");
      }
      if (state.lzma.avail_in == 0 && state.lzma.avail_out == 0) break;
      if (state.lzma.avail_in == before_in && state.lzma.avail_out == before_out) break;
    }
    if (state.lzma.avail_out != 0 || state.lzma.avail_in != 0) {
      return make_error(DeltaErrc::corrupt_payload, "native payload has a piece that decodes to the wrong size");
    }
  }
  state.any = true;
  state.queued += raw.size();
  state.queue.push_back(std::move(raw));
  return {};
}

Status StreamReader::read(std::uint8_t stream, std::uint8_t* out, std::size_t count) {
  State& state = *states_[stream];
  while (count > 0) {
    while (state.queue.empty()) {
      if (auto ok = next_piece(); !ok) return ok;
    }
    Bytes& front = state.queue.front();
    const std::size_t n = std::min(count, front.size() - state.front_used);
    std::copy_n(front.data() + state.front_used, n, out);
    state.front_used += n;
    out += n;
    count -= n;
    if (state.front_used == front.size()) {
      state.queued -= front.size();
      state.queue.pop_front();
      state.front_used = 0;
    }
  }
  return {};
}

Expected<std::uint64_t> StreamReader::varint(std::uint8_t stream) {
  return read_varint([this, stream]() -> Expected<std::uint8_t> {
    std::uint8_t b = 0;
    if (auto ok = read(stream, &b, 1); !ok) return ok.error();
    return b;
  });
}

Status StreamReader::close(std::uint8_t stream) {
  State& state = *states_[stream];
  if (!state.queue.empty() || (codecs_[stream] != Codec::stored && state.any && !state.frame_complete)) {
    return make_error(DeltaErrc::corrupt_payload, "native payload has a stream longer than it says");
  }
  state.release();
  state.closed = true;
  return {};
}

Status StreamReader::finish() {
  for (unsigned s = 0; s < kStreamCount; ++s) {
    const State& state = *states_[s];
    if (!state.queue.empty()) return make_error(DeltaErrc::corrupt_payload, "native payload has unread stream data");
    if (codecs_[s] != Codec::stored && state.any && !state.frame_complete && !state.closed) {
      return make_error(DeltaErrc::corrupt_payload, "native payload has an unfinished stream");
    }
  }
  if (!ended_) {
    auto mark = input_.byte();
    if (!mark) return mark.error();
    if (*mark != kEndOfStreams) return make_error(DeltaErrc::corrupt_payload, "native payload has unread stream data");
    ended_ = true;
  }
  auto end = input_.at_end();
  if (!end) return end.error();
  if (!*end) return make_error(DeltaErrc::corrupt_payload, "native payload has data after its end");
  return {};
}

} // namespace dfota::delta::native
