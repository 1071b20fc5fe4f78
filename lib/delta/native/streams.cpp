#include "delta/native/streams.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <lzma.h>
#include <mutex>
#include <optional>

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
// larger than the stream (nor than 2^kMaxWindowLog, the literal stream's
// than 2^packing.window_log). The literal context and position bits suit
// each stream: the control, runs and changes streams are bytes with no
// alignment (pb 0), the control stream's varints gain from less literal
// context (lc 1), the changed bytes from a little less (lc 2); the literal
// stream keeps pb 2 (code is mostly 2- or 4-aligned) and takes the caller's
// lc (LZMA's default 3; x86-64 code gains from 4). On the benchmark pairs
// this takes 0.1-1 % off every payload. LZMA2 carries these settings in its chunks, so a decoder
// needs nothing more.
lzma_options_lzma lzma_options(unsigned stream_id, std::size_t stream_size, LiteralPacking packing) {
  lzma_options_lzma options{};
  lzma_lzma_preset(&options, 9);
  const unsigned window_log = stream_id == kLiteralStream ? packing.window_log : kMaxWindowLog;
  options.dict_size = std::uint32_t{1} << std::min(window_log, ceil_log2(stream_size, 12));
  options.nice_len = 273;
  switch (stream_id) {
  case kControlStream: options.lc = 1, options.lp = 0, options.pb = 0; break;
  case kRunsStream: options.lc = 3, options.lp = 0, options.pb = 0; break;
  case kChangesStream: options.lc = 2, options.lp = 0, options.pb = 0; break;
  default: options.lc = packing.context_bits; break;
  }
  return options;
}

// A part of a stream for one encoder: its bytes [begin, end) and, before
// them, `preset` bytes its encoder is given as a preset dictionary.
struct Part {
  std::size_t begin = 0, end = 0, preset = 0;
};

// Compresses the part `part` of `raw`, the stream numbered `stream_id`, as
// LZMA2 cut into pieces (sync flushes). A part that starts the stream resets
// the decoder's dictionary; a later one (with a preset) resets only the
// coder's state and goes on in the dictionary the parts before it filled. The
// part that ends the stream ends with the end mark, an earlier one with a
// flush. A part of a stream coded in parts has a dictionary no larger than
// its preset and bytes: its matches reach no farther, and its encoder holds
// no more.
Expected<std::vector<Piece>> compress_lzma(unsigned stream_id, const Bytes& raw, Part part, LiteralPacking packing) {
  std::vector<Piece> pieces;
  lzma_options_lzma options = lzma_options(stream_id, raw.size(), packing);
  if (part.begin != 0 || part.end != raw.size()) {
    options.dict_size = static_cast<std::uint32_t>(std::min<std::size_t>(
        options.dict_size, std::max<std::size_t>(LZMA_DICT_SIZE_MIN, part.preset + part.end - part.begin)));
  }
  if (part.preset != 0) {
    options.preset_dict = raw.data() + part.begin - part.preset;
    options.preset_dict_size = static_cast<std::uint32_t>(part.preset);
  }
  const lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &options}, {LZMA_VLI_UNKNOWN, nullptr}};
  lzma_stream stream = LZMA_STREAM_INIT;
  if (lzma_raw_encoder(&stream, filters) != LZMA_OK) return make_error(DeltaErrc::encode_failed, "lzma: cannot start");
  struct Release {
    lzma_stream* s;
    ~Release() { lzma_end(s); }
  } release{&stream};
  const bool ends_stream = part.end == raw.size();
  for (std::size_t at = part.begin; at < part.end; at += kPieceSize) {
    const std::size_t n = std::min(kPieceSize, part.end - at);
    const bool last = ends_stream && at + n == part.end;
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
    pieces.push_back(std::move(piece));
  }
  return pieces;
}

std::size_t packed_size(const CompressedStream& c) {
  std::size_t n = 0;
  for (const Piece& p : c.pieces)
    n += p.data.size();
  return n;
}

// The pieces of a stream's first part and of its second (none when it was
// coded whole).
using CodedParts = std::array<std::vector<Piece>, 2>;

// LZMA2 (the pieces of its parts, in order), or stored when that is not
// smaller; an empty stream has no pieces.
CompressedStream chosen_coding(const Bytes& raw, CodedParts parts) {
  if (raw.empty()) return {};
  CompressedStream packed{Codec::lzma2, std::move(parts[0])};
  std::move(parts[1].begin(), parts[1].end(), std::back_inserter(packed.pieces));
  if (packed_size(packed) >= raw.size()) return CompressedStream{Codec::stored, stored_pieces(raw)};
  return packed;
}

// The bytes of the streams other than the literal stream.
std::uint64_t bytes_beside_literals(const std::array<Bytes, kStreamCount>& streams) {
  std::uint64_t bytes = 0;
  for (unsigned s = 0; s < kStreamCount; ++s)
    if (s != kLiteralStream) bytes += streams[s].size();
  return bytes;
}

// Where a literal stream coded in two parts is cut, and the second part's
// preset: the cut balances the two threads' work as measured on large pairs
// (a preset byte costs the second encoder about half a coded byte, a byte of
// the other streams, with their small dictionaries, about 3/8 of one), at a
// piece boundary. `other_bytes`: the other streams' sizes summed.
std::array<Part, 2> two_parts(std::size_t size, std::uint64_t other_bytes, LiteralPacking packing) {
  const std::size_t preset =
      std::min<std::size_t>(kSecondPartPreset, lzma_options(kLiteralStream, size, packing).dict_size / 2);
  const std::size_t balanced = (size + preset / 2 + other_bytes * 3 / 8) / 2;
  const std::size_t cut =
      std::clamp(balanced / kPieceSize * kPieceSize, kPieceSize, (size - 1) / kPieceSize * kPieceSize);
  return {Part{0, cut, 0}, Part{cut, size, std::min(preset, cut)}};
}

// Compresses the streams on two threads: the largest stream, then each next
// one on the thread with fewer bytes so far; or, for a literal stream to be
// coded in two parts, its first part on one and the rest on the other.
Expected<std::array<CompressedStream, kStreamCount>> compress_streams(const std::array<Bytes, kStreamCount>& streams,
                                                                      LiteralPacking literal_packing) {
  // A job: a stream, whole or a part of it.
  struct Job {
    unsigned stream;
    Part part;
  };
  auto whole = [&](unsigned s) { return Job{s, Part{0, streams[s].size(), 0}}; };
  std::vector<Job> mine, other;
  const Bytes& literal = streams[kLiteralStream];
  if (literal.size() >= literal_packing.two_parts_from && literal.size() > kPieceSize) {
    const std::array<Part, 2> parts = two_parts(literal.size(), bytes_beside_literals(streams), literal_packing);
    mine.push_back({kLiteralStream, parts[0]});
    for (unsigned s = 0; s < kStreamCount; ++s)
      if (s != kLiteralStream) other.push_back(whole(s));
    other.push_back({kLiteralStream, parts[1]});
  } else {
    std::array<unsigned, kStreamCount> order{};
    for (unsigned s = 0; s < kStreamCount; ++s)
      order[s] = s;
    std::sort(order.begin(), order.end(),
              [&](unsigned a, unsigned b) { return streams[a].size() > streams[b].size(); });
    std::size_t mine_bytes = 0, other_bytes = 0;
    for (unsigned s : order) {
      const bool to_other = other_bytes <= mine_bytes;
      (to_other ? other : mine).push_back(whole(s));
      (to_other ? other_bytes : mine_bytes) += streams[s].size();
    }
  }
  std::array<CodedParts, kStreamCount> coded;
  auto run = [&](const std::vector<Job>& jobs) -> Status {
    for (const Job& job : jobs) {
      if (streams[job.stream].empty()) continue;
      auto pieces = compress_lzma(job.stream, streams[job.stream], job.part, literal_packing);
      if (!pieces) return pieces.error();
      coded[job.stream][job.part.begin == 0 ? 0 : 1] = std::move(*pieces);
    }
    return {};
  };
  auto other_job = std::async(std::launch::async, [&] { return run(other); });
  const Status mine_done = run(mine);
  const Status other_done = other_job.get();
  if (!mine_done) return mine_done.error();
  if (!other_done) return other_done.error();
  std::array<CompressedStream, kStreamCount> compressed;
  for (unsigned s = 0; s < kStreamCount; ++s)
    compressed[s] = chosen_coding(streams[s], std::move(coded[s]));
  return compressed;
}

} // namespace

Status write_streams(const std::array<Bytes, kStreamCount>& streams, const std::vector<Demand>& demands, Writer& out,
                     LiteralPacking literal_packing) {
  auto packed = compress_streams(streams, literal_packing);
  if (!packed) return packed.error();
  const std::array<CompressedStream, kStreamCount>& compressed = *packed;

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

namespace {

// `raw` itself up to kMaxSample bytes; beyond, kSampleSlices slices of
// equal size spread evenly over it.
constexpr std::size_t kMaxSample = 512u << 10;
constexpr std::size_t kSampleSlices = 8;
Bytes sample_of(const Bytes& raw) {
  if (raw.size() <= kMaxSample) return raw;
  Bytes sample;
  sample.reserve(kMaxSample);
  constexpr std::size_t kSlice = kMaxSample / kSampleSlices;
  for (std::size_t i = 0; i < kSampleSlices; ++i) {
    const auto at = static_cast<std::ptrdiff_t>((raw.size() - kSlice) / (kSampleSlices - 1) * i);
    sample.insert(sample.end(), raw.begin() + at, raw.begin() + at + static_cast<std::ptrdiff_t>(kSlice));
  }
  return sample;
}

} // namespace

unsigned literal_window_log(std::uint64_t target_size, unsigned version) {
  if (target_size <= kLargeTarget || version < 6) return kMaxWindowLog;
  const std::uint64_t most = target_size / (version == 6 ? 8 : 4);
  unsigned log = kMaxWindowLog;
  while (log < kMaxLiteralWindowLog && (std::uint64_t{2} << log) <= most)
    ++log;
  return log;
}

std::size_t quickly_packed_size(ByteSpan raw) {
  lzma_options_lzma options{};
  lzma_lzma_preset(&options, 0);
  options.dict_size = std::uint32_t{1} << std::min(kMaxWindowLog, ceil_log2(raw.size(), 12));
  const lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &options}, {LZMA_VLI_UNKNOWN, nullptr}};
  Bytes out(lzma_block_buffer_bound(raw.size()));
  std::size_t written = 0;
  if (lzma_raw_buffer_encode(filters, nullptr, raw.data(), raw.size(), out.data(), &written, out.size()) != LZMA_OK)
    return SIZE_MAX;
  return written;
}

std::uint64_t quickly_packed_streams(const std::array<Bytes, kStreamCount>& streams) {
  const ByteSpan literal = streams[kLiteralStream];
  const std::uint64_t other_bytes = bytes_beside_literals(streams);
  // The part of the literal stream packed on a thread of its own: all of
  // it, or, from kTwoPartLiteralFrom on, what leaves the caller's thread as
  // many bytes with the other streams.
  const std::size_t own = literal.size() < kTwoPartLiteralFrom
                              ? literal.size()
                              : static_cast<std::size_t>(std::clamp<std::uint64_t>((literal.size() + other_bytes) / 2,
                                                                                   literal.size() / 2, literal.size()));
  auto own_size = std::async(std::launch::async, [&] { return quickly_packed_size(literal.first(own)); });
  std::uint64_t total = 0;
  for (unsigned s = 0; s < kStreamCount; ++s)
    if (s != kLiteralStream) total += std::min<std::uint64_t>(quickly_packed_size(streams[s]), streams[s].size());
  const std::size_t rest_size = own < literal.size() ? quickly_packed_size(literal.subspan(own)) : 0;
  const std::size_t first_size = own_size.get();
  const bool failed = first_size == SIZE_MAX || rest_size == SIZE_MAX;
  return total + (failed ? literal.size() : std::min<std::uint64_t>(first_size + rest_size, literal.size()));
}

bool packs_smaller(const Bytes& candidate, const Bytes& baseline) {
  auto other = std::async(std::launch::async, [&] { return quickly_packed_size(sample_of(baseline)); });
  const std::size_t candidate_size = quickly_packed_size(sample_of(candidate));
  return candidate_size < other.get();
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

Expected<std::size_t> BufferedInput::read_some(std::span<std::uint8_t> buffer) {
  if (buffer.empty()) return std::size_t{0};
  if (position_ == size_) {
    if (auto ok = refill(); !ok) return ok.error();
  }
  const std::size_t n = std::min(buffer.size(), size_ - position_);
  std::copy_n(buffer_.data() + position_, n, buffer.data());
  position_ += n;
  return n;
}

Expected<bool> BufferedInput::at_end() {
  if (position_ < size_) return false;
  if (auto ok = refill(); !ok) return ok.error();
  return size_ == 0;
}

// --- StreamReader ----------------------------------------------------------

struct StreamReader::Shared {
  std::mutex mutex;
  std::condition_variable changed;
  std::array<std::deque<Bytes>, kStreamCount> queues;
  std::array<bool, kStreamCount> complete{}; // the LZMA2 end mark was decoded
  std::array<bool, kStreamCount> any{};      // a piece was decoded
  std::array<bool, kStreamCount> closed{};
  std::array<std::size_t, kStreamCount> queued{}; // decoded bytes queued or promised (read-ahead in use)
  // The stream whose full queue the reading thread waits on, and the bytes
  // it needs there. The thread wakes some time after the caller makes room,
  // so only stuck() tells that it cannot go on without the caller.
  int blocked_on = -1;
  std::size_t blocked_need = 0;
  bool stuck() const { return blocked_on >= 0 && queued[blocked_on] + blocked_need > kMaxQueuedBytes; }
  // Queues a decoded piece (its room was promised before); the mutex is held.
  void deliver(unsigned stream, Bytes raw, bool end_mark) {
    queues[stream].push_back(std::move(raw));
    any[stream] = true;
    complete[stream] = complete[stream] || end_mark;
  }
  // The literal lane: packed pieces waiting, their bytes, pieces handed over
  // whose bytes are not queued yet, no more to come, the lane has stopped.
  std::deque<Piece> lane_pending;
  std::size_t lane_packed = 0;
  std::size_t lane_in_flight = 0;
  bool lane_closed = false;
  bool lane_done = true;
  bool done = false;  // the reading thread has stopped (and the lane with it)
  bool ended = false; // ... after the end mark, with nothing after it
  std::optional<Error> failure;
  bool stop = false;
};

struct StreamReader::Decoders {
  std::array<lzma_stream, kStreamCount> lzma{};
  std::array<bool, kStreamCount> started{};
  Bytes compressed;
  ~Decoders() {
    for (unsigned s = 0; s < kStreamCount; ++s)
      release(s);
  }
  void release(unsigned s) {
    if (started[s]) lzma_end(&lzma[s]);
    started[s] = false;
  }
  // Decompresses the next piece of stream `s`; after the piece with the
  // stream's end mark the decoder is released, and a later piece is an error.
  Status decode(unsigned s, const Bytes& packed, Bytes& raw, bool& end_mark);
};

StreamReader::StreamReader(BufferedInput& input, unsigned literal_window_log)
    : input_(input), literal_window_log_(std::min(literal_window_log, kMaxLiteralWindowLog)),
      shared_(std::make_unique<Shared>()), decoders_(std::make_unique<Decoders>()) {}

StreamReader::~StreamReader() {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->stop = true;
  }
  shared_->changed.notify_all();
  if (thread_.joinable()) thread_.join();
  if (lane_thread_.joinable()) lane_thread_.join();
}

Status StreamReader::start() {
  for (unsigned s = 0; s < kStreamCount; ++s) {
    auto codec = input_.byte();
    if (!codec) return codec.error();
    if (*codec != static_cast<std::uint8_t>(Codec::stored) && *codec != static_cast<std::uint8_t>(Codec::lzma2)) {
      return make_error(DeltaErrc::corrupt_payload, "native payload names an unknown codec " + std::to_string(*codec));
    }
    codecs_[s] = static_cast<Codec>(*codec);
    if (codecs_[s] == Codec::lzma2) {
      lzma_options_lzma options{};
      options.dict_size = std::uint32_t{1} << (s == kLiteralStream ? literal_window_log_ : kMaxWindowLog);
      const lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &options}, {LZMA_VLI_UNKNOWN, nullptr}};
      decoders_->lzma[s] = LZMA_STREAM_INIT;
      if (lzma_raw_decoder(&decoders_->lzma[s], filters) != LZMA_OK) {
        return make_error(DeltaErrc::limit_exceeded, "lzma: out of memory");
      }
      decoders_->started[s] = true;
    }
  }
  try {
    if (codecs_[kLiteralStream] == Codec::lzma2) {
      shared_->lane_done = false;
      lane_thread_ = std::thread([this] { decode_lane(); });
      lane_ = true;
    }
    thread_ = std::thread([this] { decode_pieces(); });
  } catch (const std::system_error&) {
    return make_error(DeltaErrc::limit_exceeded, "native payload: cannot start a decoding thread");
  }
  return {};
}

namespace {

// Decompresses one piece: `packed` must make exactly raw.size() bytes.
// `complete` tells whether the stream's end mark was in it.
Status inflate(lzma_stream& lzma, const Bytes& packed, Bytes& raw, bool& complete) {
  lzma.next_in = packed.data();
  lzma.avail_in = packed.size();
  lzma.next_out = raw.data();
  lzma.avail_out = raw.size();
  complete = false;
  for (;;) {
    const std::size_t before_in = lzma.avail_in, before_out = lzma.avail_out;
    const lzma_ret rc = lzma_code(&lzma, LZMA_RUN);
    if (rc == LZMA_STREAM_END) {
      complete = true;
      break;
    }
    if (rc == LZMA_MEMLIMIT_ERROR || rc == LZMA_MEM_ERROR) {
      return make_error(DeltaErrc::limit_exceeded, "native payload stream: lzma needs too much memory");
    }
    if (rc != LZMA_OK && rc != LZMA_BUF_ERROR) {
      return make_error(DeltaErrc::corrupt_payload, "native payload stream: lzma data is corrupt");
    }
    if (lzma.avail_in == 0 && lzma.avail_out == 0) break;
    if (lzma.avail_in == before_in && lzma.avail_out == before_out) break;
  }
  if (lzma.avail_out != 0 || lzma.avail_in != 0) {
    return make_error(DeltaErrc::corrupt_payload, "native payload has a piece that decodes to the wrong size");
  }
  return {};
}

Error past_the_end() {
  return make_error(DeltaErrc::corrupt_payload, "native payload has data past the end of a stream");
}

} // namespace

Status StreamReader::Decoders::decode(unsigned s, const Bytes& packed, Bytes& raw, bool& end_mark) {
  end_mark = false;
  if (!started[s]) return past_the_end();
  if (auto ok = inflate(lzma[s], packed, raw, end_mark); !ok) return ok;
  if (end_mark) release(s);
  return {};
}

void StreamReader::decode_pieces() {
  Status status;
  bool at_end_mark = false;
  while (status && !at_end_mark) {
    {
      std::lock_guard lock(shared_->mutex);
      if (shared_->stop || shared_->failure) break;
    }
    status = decode_piece(at_end_mark);
  }
  if (status && at_end_mark) {
    auto end = input_.at_end();
    if (!end) {
      status = end.error();
    } else if (!*end) {
      status = make_error(DeltaErrc::corrupt_payload, "native payload has data after its end");
    }
  }
  {
    std::unique_lock lock(shared_->mutex);
    if (!status && !shared_->failure) shared_->failure = status.error();
    shared_->lane_closed = true;
    shared_->changed.notify_all();
    shared_->changed.wait(lock, [&] { return shared_->lane_done; });
    shared_->ended = status && at_end_mark && !shared_->failure;
    shared_->done = true;
  }
  shared_->changed.notify_all();
}

Status StreamReader::decode_piece(bool& at_end_mark) {
  auto id = input_.byte();
  if (!id) return id.error();
  if (*id == kEndOfStreams) {
    at_end_mark = true;
    return {};
  }
  if (*id >= kStreamCount) return make_error(DeltaErrc::corrupt_payload, "native payload names an unknown stream");
  const unsigned stream = *id;
  auto raw_size = input_.varint();
  if (!raw_size) return raw_size.error();
  auto packed_size = input_.varint();
  if (!packed_size) return packed_size.error();
  if (*raw_size == 0 || *raw_size > kMaxPieceSize) {
    return make_error(DeltaErrc::corrupt_payload,
                      "native payload has a piece of " + std::to_string(*raw_size) + " bytes");
  }
  const bool stored = codecs_[stream] == Codec::stored;
  if ((stored && *packed_size != *raw_size) || *packed_size > 2 * kMaxPieceSize + 1024) {
    return make_error(DeltaErrc::corrupt_payload, "native payload has a piece of impossible size");
  }
  const bool to_lane = lane_ && stream == kLiteralStream;
  if (!stored && !to_lane && !decoders_->started[stream]) return past_the_end();

  // Promise the piece a place in the stream's read-ahead before reading it,
  // and for the lane room among its waiting pieces (the lane drains those on
  // its own, so that wait is not a block on the caller).
  const auto raw_bytes = static_cast<std::size_t>(*raw_size);
  const auto packed_bytes = static_cast<std::size_t>(*packed_size);
  {
    std::unique_lock lock(shared_->mutex);
    if (shared_->closed[stream]) return past_the_end();
    while (shared_->queued[stream] + raw_bytes > kMaxQueuedBytes && !shared_->stop && !shared_->failure) {
      shared_->blocked_on = static_cast<int>(stream);
      shared_->blocked_need = raw_bytes;
      shared_->changed.notify_all();
      shared_->changed.wait(lock);
    }
    shared_->blocked_on = -1;
    if (to_lane) {
      shared_->changed.wait(lock, [&] {
        return shared_->lane_packed == 0 || shared_->lane_packed + packed_bytes <= kMaxQueuedBytes || shared_->stop ||
               shared_->failure;
      });
    }
    if (shared_->stop || shared_->failure) return {};
    shared_->queued[stream] += raw_bytes;
  }

  if (to_lane) {
    Piece piece{raw_bytes, Bytes(packed_bytes)};
    if (auto ok = input_.read(piece.data.data(), piece.data.size()); !ok) return ok;
    {
      std::lock_guard lock(shared_->mutex);
      shared_->lane_packed += piece.data.size();
      ++shared_->lane_in_flight;
      shared_->lane_pending.push_back(std::move(piece));
    }
    shared_->changed.notify_all();
    return {};
  }

  Bytes raw(raw_bytes);
  bool complete = false;
  if (stored) {
    if (auto ok = input_.read(raw.data(), raw.size()); !ok) return ok;
  } else {
    Bytes& compressed = decoders_->compressed;
    compressed.resize(packed_bytes);
    if (auto ok = input_.read(compressed.data(), compressed.size()); !ok) return ok;
    if (auto ok = decoders_->decode(stream, compressed, raw, complete); !ok) return ok;
  }
  {
    std::lock_guard lock(shared_->mutex);
    shared_->deliver(stream, std::move(raw), complete);
  }
  shared_->changed.notify_all();
  return {};
}

void StreamReader::decode_lane() {
  Status status;
  for (;;) {
    Piece piece;
    {
      std::unique_lock lock(shared_->mutex);
      shared_->changed.wait(lock, [&] {
        return shared_->stop || shared_->failure || !shared_->lane_pending.empty() || shared_->lane_closed;
      });
      if (shared_->stop || shared_->failure || shared_->lane_pending.empty()) break;
      piece = std::move(shared_->lane_pending.front());
      shared_->lane_pending.pop_front();
      shared_->lane_packed -= piece.data.size();
    }
    shared_->changed.notify_all();
    Bytes raw(piece.raw_size);
    bool complete = false;
    status = decoders_->decode(kLiteralStream, piece.data, raw, complete);
    if (!status) break;
    {
      std::lock_guard lock(shared_->mutex);
      shared_->deliver(kLiteralStream, std::move(raw), complete);
      --shared_->lane_in_flight;
    }
    shared_->changed.notify_all();
  }
  {
    std::lock_guard lock(shared_->mutex);
    if (!status && !shared_->failure) shared_->failure = status.error();
    shared_->lane_done = true;
  }
  shared_->changed.notify_all();
}

Status StreamReader::next_current(std::uint8_t stream) {
  std::unique_lock lock(shared_->mutex);
  for (;;) {
    auto& queue = shared_->queues[stream];
    if (!queue.empty()) {
      current_[stream] = std::move(queue.front());
      current_used_[stream] = 0;
      queue.pop_front();
      shared_->queued[stream] -= current_[stream].size();
      lock.unlock();
      shared_->changed.notify_all();
      return {};
    }
    if (shared_->failure) return *shared_->failure;
    if (shared_->done) return make_error(DeltaErrc::corrupt_payload, "native payload ends before its streams do");
    const bool on_the_lane = stream == kLiteralStream && shared_->lane_in_flight > 0;
    if (shared_->stuck() && !on_the_lane) {
      return make_error(DeltaErrc::limit_exceeded, "native payload needs more read-ahead than allowed");
    }
    shared_->changed.wait(lock);
  }
}

template <class Take> Status StreamReader::consume(std::uint8_t stream, std::size_t count, Take&& take) {
  while (count > 0) {
    if (current_used_[stream] == current_[stream].size()) {
      if (auto ok = next_current(stream); !ok) return ok;
    }
    const Bytes& piece = current_[stream];
    const std::size_t n = std::min(count, piece.size() - current_used_[stream]);
    take(piece.data() + current_used_[stream], n);
    current_used_[stream] += n;
    count -= n;
  }
  return {};
}

Status StreamReader::read(std::uint8_t stream, std::uint8_t* out, std::size_t count) {
  return consume(stream, count, [&out](const std::uint8_t* bytes, std::size_t n) {
    std::copy_n(bytes, n, out);
    out += n;
  });
}

Status StreamReader::add_to(std::uint8_t stream, std::uint8_t* bytes, std::size_t count) {
  return consume(stream, count, [&bytes](const std::uint8_t* difference, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
      bytes[i] = static_cast<std::uint8_t>(bytes[i] + difference[i]);
    bytes += n;
  });
}

Status StreamReader::skip(std::uint8_t stream, std::size_t count) {
  return consume(stream, count, [](const std::uint8_t*, std::size_t) {});
}

Expected<std::uint64_t> StreamReader::varint(std::uint8_t stream) {
  // Fast path: a whole varint left in the current piece.
  const Bytes& piece = current_[stream];
  std::size_t& used = current_used_[stream];
  if (piece.size() - used >= 10) {
    std::uint64_t value = 0;
    for (unsigned i = 0; i < 9; ++i) {
      const std::uint8_t b = piece[used + i];
      value |= static_cast<std::uint64_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        used += i + 1;
        return value;
      }
    }
    // Ten bytes or more: the general reader checks the 64-bit limit.
  }
  return read_varint([this, stream]() -> Expected<std::uint8_t> {
    std::uint8_t b = 0;
    if (auto ok = read(stream, &b, 1); !ok) return ok.error();
    return b;
  });
}

Status StreamReader::close(std::uint8_t stream) {
  std::lock_guard lock(shared_->mutex);
  if (current_used_[stream] != current_[stream].size() || !shared_->queues[stream].empty() ||
      (codecs_[stream] != Codec::stored && shared_->any[stream] && !shared_->complete[stream])) {
    return make_error(DeltaErrc::corrupt_payload, "native payload has a stream longer than it says");
  }
  shared_->closed[stream] = true;
  Bytes().swap(current_[stream]);
  current_used_[stream] = 0;
  return {};
}

Status StreamReader::finish() {
  std::unique_lock lock(shared_->mutex);
  // A thread waiting on a full queue has data nobody will read.
  shared_->changed.wait(lock, [&] { return shared_->done || shared_->stuck(); });
  for (unsigned s = 0; s < kStreamCount; ++s) {
    if (current_used_[s] != current_[s].size() || !shared_->queues[s].empty()) {
      return make_error(DeltaErrc::corrupt_payload, "native payload has unread stream data");
    }
  }
  if (shared_->failure) return *shared_->failure;
  if (!shared_->done) return make_error(DeltaErrc::corrupt_payload, "native payload has unread stream data");
  for (unsigned s = 0; s < kStreamCount; ++s) {
    if (codecs_[s] != Codec::stored && shared_->any[s] && !shared_->complete[s]) {
      return make_error(DeltaErrc::corrupt_payload, "native payload has an unfinished stream");
    }
  }
  if (!shared_->ended) return make_error(DeltaErrc::corrupt_payload, "native payload has unread stream data");
  return {};
}

} // namespace dfota::delta::native
