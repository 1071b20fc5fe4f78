#include <algorithm>
#include <functional>
#include <memory>
// ZSTD_d_stableOutBuffer (decoding into the caller's buffer, with no window
// of the decoder's own) is in zstd's experimental section; Debian 12's
// libzstd 1.5.4 takes it.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include "delta/engines.hpp"

namespace dfota::delta {

namespace {

constexpr int kLevel = 19;

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

Error zstd_error(DeltaErrc code, const char* what, size_t rc) {
  return make_error(code, std::string(what) + ": " + ZSTD_getErrorName(rc));
}

unsigned window_log_for(std::uint64_t span) {
  const ZSTD_bounds bounds = ZSTD_cParam_getBounds(ZSTD_c_windowLog);
  unsigned log = ceil_log2(span, static_cast<unsigned>(bounds.lowerBound));
  return std::min<unsigned>(log, static_cast<unsigned>(bounds.upperBound));
}

// Compresses `target`, referencing `prefix` (may be empty) as already-seen
// data, handing the frame to `payload` as it is made, so that a writer that
// refuses more bytes stops the work early; `progress` (may be empty) is told
// the share of `target` consumed.
Status compress(ByteSpan prefix, ByteSpan target, Writer& payload, const DiffProgress& progress) {
  std::unique_ptr<ZSTD_CCtx, CCtxDeleter> cctx(ZSTD_createCCtx());
  if (!cctx) return make_error(DeltaErrc::encode_failed, "zstd: out of memory");
  const unsigned wlog = window_log_for(prefix.size() + target.size());
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kLevel);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_windowLog, static_cast<int>(wlog));
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_enableLongDistanceMatching, 1);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 0);
  // The frame states its content size: decompress() relies on it.
  if (size_t rc = ZSTD_CCtx_setPledgedSrcSize(cctx.get(), target.size()); ZSTD_isError(rc))
    return zstd_error(DeltaErrc::encode_failed, "zstd", rc);
  if (!prefix.empty()) {
    size_t rc = ZSTD_CCtx_refPrefix(cctx.get(), prefix.data(), prefix.size());
    if (ZSTD_isError(rc)) return zstd_error(DeltaErrc::encode_failed, "zstd prefix", rc);
  }
  // The target is handed over a chunk at a time so that progress can be
  // told as it is consumed (given whole, a delta that compresses well is
  // made in one call).
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  Bytes out(ZSTD_CStreamOutSize());
  std::size_t handed = 0;
  for (;;) {
    const std::size_t end = std::min(target.size(), handed + kChunk);
    ZSTD_inBuffer input{target.data() + handed, end - handed, 0};
    const ZSTD_EndDirective directive = end == target.size() ? ZSTD_e_end : ZSTD_e_continue;
    for (;;) {
      ZSTD_outBuffer output{out.data(), out.size(), 0};
      const size_t left = ZSTD_compressStream2(cctx.get(), &output, &input, directive);
      if (ZSTD_isError(left)) return zstd_error(DeltaErrc::encode_failed, "zstd", left);
      if (auto ok = payload.write({out.data(), output.pos}); !ok) return ok;
      if (directive == ZSTD_e_end ? left == 0 : input.pos == input.size) break;
    }
    if (directive == ZSTD_e_end) return {};
    handed = end;
    if (progress) progress(static_cast<double>(handed) / static_cast<double>(target.size()));
  }
}

// The most bytes a zstd frame header takes (ZSTD_FRAMEHEADERSIZE_MAX, which
// zstd.h defines only for static linking).
constexpr std::size_t kFrameHeaderMax = 18;

// Reads from `payload` into `buffer` until it holds at least a whole frame
// header (or the payload ends), so that a payload arriving a byte at a time
// through a pipe is read as one given at once. Returns the bytes held.
Expected<std::size_t> read_frame_header(Reader& payload, Bytes& buffer) {
  std::size_t held = 0;
  while (held < kFrameHeaderMax) {
    auto got = payload.read(std::span<std::uint8_t>(buffer).subspan(held));
    if (!got) return got.error();
    if (*got == 0) break;
    held += *got;
  }
  return held;
}

// The content size a frame's header states; it must be `target_size` when
// that is known.
Expected<std::uint64_t> stated_size(ByteSpan head, std::uint64_t target_size) {
  const unsigned long long declared = ZSTD_getFrameContentSize(head.data(), head.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR || declared == ZSTD_CONTENTSIZE_UNKNOWN)
    return make_error(DeltaErrc::corrupt_payload, "zstd payload does not state its content size");
  if (target_size != kUnknownSize && declared != target_size) {
    return make_error(DeltaErrc::wrong_size, "zstd payload states " + std::to_string(declared) + " bytes, " +
                                                 std::to_string(target_size) + " announced");
  }
  return static_cast<std::uint64_t>(declared);
}

// One zstd frame being decoded: the decoder, referencing `prefix`, and the
// input read so far.
struct FrameDecoder {
  std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx;
  Bytes in_buf;
  std::size_t pending = 0; // bytes of in_buf read but not yet given to the decoder
};

// What one call of the decoder did.
struct DecodeStep {
  bool frame_done = false;
  bool produced = false;
};

// The error for a failed ZSTD_decompressStream() call.
Error decode_error(size_t rc, std::uint64_t target_size) {
  const ZSTD_ErrorCode code = ZSTD_getErrorCode(rc);
  if (code == ZSTD_error_dstSize_tooSmall) {
    return make_error(DeltaErrc::wrong_size,
                      "payload decodes to more than the announced " + std::to_string(target_size) + " bytes");
  }
  return zstd_error(code == ZSTD_error_frameParameter_windowTooLarge ? DeltaErrc::limit_exceeded
                                                                     : DeltaErrc::corrupt_payload,
                    "zstd payload", rc);
}

// Starts decoding a frame of `payload` against `prefix`. The window never
// needs to exceed what the encoder used: source + target. The frame states
// its content size (the encoder always writes it): it must be the target's
// size when that is known, and stands for it when not, so that a small
// payload cannot make the decoder allocate a window of gigabytes or write
// more than it announced. Both are checked before the first byte is decoded.
// `stable_output`: the caller decodes into one buffer holding the whole
// target (ZSTD_d_stableOutBuffer), and the decoder allocates no window.
Expected<FrameDecoder> open_frame(ByteSpan prefix, Reader& payload, std::uint64_t target_size, bool stable_output) {
  FrameDecoder d{std::unique_ptr<ZSTD_DCtx, DCtxDeleter>(ZSTD_createDCtx()),
                 Bytes(std::max<std::size_t>(ZSTD_DStreamInSize(), kFrameHeaderMax)), 0};
  if (!d.dctx) return make_error(DeltaErrc::limit_exceeded, "zstd: out of memory");
  if (!prefix.empty()) {
    size_t rc = ZSTD_DCtx_refPrefix(d.dctx.get(), prefix.data(), prefix.size());
    if (ZSTD_isError(rc)) return zstd_error(DeltaErrc::corrupt_payload, "zstd prefix", rc);
  }
  if (stable_output) {
    if (size_t rc = ZSTD_DCtx_setParameter(d.dctx.get(), ZSTD_d_stableOutBuffer, 1); ZSTD_isError(rc))
      return zstd_error(DeltaErrc::corrupt_payload, "zstd", rc);
  }
  auto header = read_frame_header(payload, d.in_buf);
  if (!header) return header.error();
  if (*header > 0) {
    auto declared = stated_size(ByteSpan(d.in_buf).first(*header), target_size);
    if (!declared) return declared.error();
    const std::uint64_t size = *declared;
    const unsigned wlog = window_log_for(size > UINT64_MAX - prefix.size() ? UINT64_MAX : prefix.size() + size);
    ZSTD_DCtx_setParameter(d.dctx.get(), ZSTD_d_windowLogMax, static_cast<int>(wlog));
  }
  d.pending = *header;
  return d;
}

// Feeds the rest of the payload to `decode` (one ZSTD_decompressStream()
// call on the given input), then flushes what the decoder holds. Fails on
// data after the frame and on a frame that does not end.
Status run_frame(FrameDecoder& d, Reader& payload, const std::function<Expected<DecodeStep>(ZSTD_inBuffer&)>& decode) {
  bool frame_done = false;
  for (;;) {
    std::size_t got = d.pending;
    d.pending = 0;
    if (got == 0) {
      auto read = payload.read(d.in_buf);
      if (!read) return read.error();
      got = *read;
    }
    if (got == 0) break;
    if (frame_done) return make_error(DeltaErrc::corrupt_payload, "zstd payload has data after its frame");
    ZSTD_inBuffer input{d.in_buf.data(), got, 0};
    while (input.pos < input.size && !frame_done) {
      auto step = decode(input);
      if (!step) return step.error();
      frame_done = step->frame_done;
    }
    if (input.pos < input.size) return make_error(DeltaErrc::corrupt_payload, "zstd payload has data after its frame");
  }
  while (!frame_done) {
    ZSTD_inBuffer input{nullptr, 0, 0};
    auto step = decode(input);
    if (!step) return step.error();
    frame_done = step->frame_done;
    if (!frame_done && !step->produced) return make_error(DeltaErrc::corrupt_payload, "zstd payload is truncated");
  }
  return {};
}

// Decompresses one zstd frame from `payload` into `target`, referencing
// `prefix`, through a buffer; the decoder keeps its own window.
Status decompress(ByteSpan prefix, Reader& payload, Writer& target, std::uint64_t target_size) {
  auto frame = open_frame(prefix, payload, target_size, false);
  if (!frame) return frame.error();
  BoundedWriter bounded(target, target_size);
  Bytes out_buf(ZSTD_DStreamOutSize());
  auto decode = [&](ZSTD_inBuffer& input) -> Expected<DecodeStep> {
    ZSTD_outBuffer output{out_buf.data(), out_buf.size(), 0};
    const size_t rc = ZSTD_decompressStream(frame->dctx.get(), &output, &input);
    if (ZSTD_isError(rc)) return decode_error(rc, target_size);
    if (auto ok = bounded.write({out_buf.data(), output.pos}); !ok) return ok.error();
    return DecodeStep{rc == 0, output.pos > 0};
  };
  if (auto ok = run_frame(*frame, payload, decode); !ok) return ok;
  if (target_size != kUnknownSize && bounded.written() != target_size) {
    return make_error(DeltaErrc::wrong_size, "payload decodes to " + std::to_string(bounded.written()) + " bytes, " +
                                                 std::to_string(target_size) + " announced");
  }
  return {};
}

// Decompresses one zstd frame from `payload` straight into `region` (exactly
// the target), referencing `prefix`. The decoder reads its history back from
// the region (ZSTD_d_stableOutBuffer), so it allocates no window: its own
// memory is its input buffer and tables, whatever the frame's window.
Status decompress_into(ByteSpan prefix, Reader& payload, std::span<std::uint8_t> region) {
  auto frame = open_frame(prefix, payload, region.size(), true);
  if (!frame) return frame.error();
  // The same buffer for every call, as ZSTD_d_stableOutBuffer requires.
  ZSTD_outBuffer output{region.data(), region.size(), 0};
  auto decode = [&](ZSTD_inBuffer& input) -> Expected<DecodeStep> {
    const std::size_t before = output.pos;
    const size_t rc = ZSTD_decompressStream(frame->dctx.get(), &output, &input);
    if (ZSTD_isError(rc)) return decode_error(rc, region.size());
    return DecodeStep{rc == 0, output.pos > before};
  };
  if (auto ok = run_frame(*frame, payload, decode); !ok) return ok;
  if (output.pos != region.size()) {
    return make_error(DeltaErrc::wrong_size, "payload decodes to " + std::to_string(output.pos) + " bytes, " +
                                                 std::to_string(region.size()) + " announced");
  }
  return {};
}

} // namespace

Status ZstdEngine::apply_into(ByteSpan source, Reader& payload, std::span<std::uint8_t> target) const {
  return decompress_into(source, payload, target);
}

Status FullEngine::apply_into(ByteSpan, Reader& payload, std::span<std::uint8_t> target) const {
  return decompress_into({}, payload, target);
}

Status ZstdEngine::diff(ByteSpan source, ByteSpan target, Writer& payload, const DiffProgress& progress) const {
  return compress(source, target, payload, progress);
}

Status ZstdEngine::apply(ByteSpan source, Reader& payload, Writer& target, std::uint64_t target_size) const {
  return decompress(source, payload, target, target_size);
}

std::uint64_t ZstdEngine::apply_memory(std::uint64_t source_size, std::uint64_t target_size) const {
  return (std::uint64_t{1} << window_log_for(source_size + target_size)) + ZSTD_DStreamInSize() + ZSTD_DStreamOutSize();
}

Status ZstdEngine::check_stated_size(ByteSpan head, std::uint64_t target_size) const {
  auto stated = stated_size(head, target_size);
  if (!stated) return stated.error();
  return {};
}

Status FullEngine::check_stated_size(ByteSpan head, std::uint64_t target_size) const {
  auto stated = stated_size(head, target_size);
  if (!stated) return stated.error();
  return {};
}

Status FullEngine::diff(ByteSpan, ByteSpan target, Writer& payload, const DiffProgress& progress) const {
  return compress({}, target, payload, progress);
}

Status FullEngine::apply(ByteSpan, Reader& payload, Writer& target, std::uint64_t target_size) const {
  return decompress({}, payload, target, target_size);
}

std::uint64_t FullEngine::apply_memory(std::uint64_t, std::uint64_t target_size) const {
  return (std::uint64_t{1} << window_log_for(target_size)) + ZSTD_DStreamInSize() + ZSTD_DStreamOutSize();
}

} // namespace dfota::delta
