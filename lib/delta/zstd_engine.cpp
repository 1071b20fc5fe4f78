#include <memory>
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
// refuses more bytes stops the work early.
Status compress(ByteSpan prefix, ByteSpan target, Writer& payload) {
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
  Bytes out(ZSTD_CStreamOutSize());
  ZSTD_inBuffer input{target.data(), target.size(), 0};
  for (;;) {
    ZSTD_outBuffer output{out.data(), out.size(), 0};
    const size_t left = ZSTD_compressStream2(cctx.get(), &output, &input, ZSTD_e_end);
    if (ZSTD_isError(left)) return zstd_error(DeltaErrc::encode_failed, "zstd", left);
    if (auto ok = payload.write({out.data(), output.pos}); !ok) return ok;
    if (left == 0) return {};
  }
}

// Decompresses one zstd frame from `payload` into `target`, referencing `prefix`.
Status decompress(ByteSpan prefix, Reader& payload, Writer& target, std::uint64_t target_size) {
  std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx(ZSTD_createDCtx());
  if (!dctx) return make_error(DeltaErrc::limit_exceeded, "zstd: out of memory");
  if (!prefix.empty()) {
    size_t rc = ZSTD_DCtx_refPrefix(dctx.get(), prefix.data(), prefix.size());
    if (ZSTD_isError(rc)) return zstd_error(DeltaErrc::corrupt_payload, "zstd prefix", rc);
  }
  BoundedWriter bounded(target, target_size);
  Bytes in_buf(ZSTD_DStreamInSize());
  Bytes out_buf(ZSTD_DStreamOutSize());
  bool frame_done = false;
  bool first = true;
  for (;;) {
    auto got = payload.read(in_buf);
    if (!got) return got.error();
    if (*got == 0) break;
    if (frame_done) return make_error(DeltaErrc::corrupt_payload, "zstd payload has data after its frame");
    if (first) {
      // The window never needs to exceed what the encoder used: source +
      // target. With the target size unknown, the frame's own content size
      // stands for it (the encoder always writes it), so that a small payload
      // cannot make the decoder allocate a window of gigabytes.
      first = false;
      std::uint64_t size = target_size;
      if (size == kUnknownSize) {
        const unsigned long long declared = ZSTD_getFrameContentSize(in_buf.data(), *got);
        if (declared == ZSTD_CONTENTSIZE_ERROR || declared == ZSTD_CONTENTSIZE_UNKNOWN)
          return make_error(DeltaErrc::corrupt_payload, "zstd payload does not state its content size");
        size = declared;
      }
      const unsigned wlog = window_log_for(size > UINT64_MAX - prefix.size() ? UINT64_MAX : prefix.size() + size);
      ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, static_cast<int>(wlog));
    }
    ZSTD_inBuffer input{in_buf.data(), *got, 0};
    while (input.pos < input.size) {
      ZSTD_outBuffer output{out_buf.data(), out_buf.size(), 0};
      size_t rc = ZSTD_decompressStream(dctx.get(), &output, &input);
      if (ZSTD_isError(rc)) {
        DeltaErrc code = ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge ? DeltaErrc::limit_exceeded
                                                                                           : DeltaErrc::corrupt_payload;
        return zstd_error(code, "zstd payload", rc);
      }
      if (auto ok = bounded.write({out_buf.data(), output.pos}); !ok) return ok;
      if (rc == 0) {
        frame_done = true;
        if (input.pos < input.size) {
          return make_error(DeltaErrc::corrupt_payload, "zstd payload has data after its frame");
        }
      }
    }
  }
  // Flush whatever the decoder still holds.
  while (!frame_done) {
    ZSTD_inBuffer input{nullptr, 0, 0};
    ZSTD_outBuffer output{out_buf.data(), out_buf.size(), 0};
    size_t rc = ZSTD_decompressStream(dctx.get(), &output, &input);
    if (ZSTD_isError(rc)) return zstd_error(DeltaErrc::corrupt_payload, "zstd payload", rc);
    if (auto ok = bounded.write({out_buf.data(), output.pos}); !ok) return ok;
    if (rc == 0)
      frame_done = true;
    else if (output.pos == 0)
      return make_error(DeltaErrc::corrupt_payload, "zstd payload is truncated");
  }
  if (target_size != kUnknownSize && bounded.written() != target_size) {
    return make_error(DeltaErrc::wrong_size, "payload decodes to " + std::to_string(bounded.written()) + " bytes, " +
                                                 std::to_string(target_size) + " announced");
  }
  return {};
}

} // namespace

Status ZstdEngine::diff(ByteSpan source, ByteSpan target, Writer& payload) const {
  return compress(source, target, payload);
}

Status ZstdEngine::apply(ByteSpan source, Reader& payload, Writer& target, std::uint64_t target_size) const {
  return decompress(source, payload, target, target_size);
}

std::uint64_t ZstdEngine::apply_memory(std::uint64_t source_size, std::uint64_t target_size) const {
  return (std::uint64_t{1} << window_log_for(source_size + target_size)) + ZSTD_DStreamInSize() + ZSTD_DStreamOutSize();
}

Status FullEngine::diff(ByteSpan, ByteSpan target, Writer& payload) const { return compress({}, target, payload); }

Status FullEngine::apply(ByteSpan, Reader& payload, Writer& target, std::uint64_t target_size) const {
  return decompress({}, payload, target, target_size);
}

std::uint64_t FullEngine::apply_memory(std::uint64_t, std::uint64_t target_size) const {
  return (std::uint64_t{1} << window_log_for(target_size)) + ZSTD_DStreamInSize() + ZSTD_DStreamOutSize();
}

} // namespace dfota::delta
