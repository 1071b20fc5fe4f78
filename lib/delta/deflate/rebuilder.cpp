#include "delta/deflate/rebuilder.hpp"

#include "delta/deflate/recorder.hpp"
#include "delta/deflate/zlib_made.hpp"

#include <algorithm>
#include <tuple>

#include "delta/engine.hpp"
#include "delta/native/varint.hpp"

namespace dfota::delta::deflate {

namespace {

constexpr std::size_t kFlushAt = 64u << 10;

Error corrupt(const std::string& what) { return make_error(DeltaErrc::corrupt_payload, "deflate record: " + what); }

// Reads varints and bytes from a record held whole.
struct RecordReader {
  ByteSpan bytes;
  std::size_t at = 0;
  Expected<std::uint64_t> varint() {
    return native::read_varint([this]() -> Expected<std::uint8_t> {
      if (at >= bytes.size()) return corrupt("a record ends early");
      return bytes[at++];
    });
  }
  Expected<std::uint8_t> byte() {
    if (at >= bytes.size()) return corrupt("a record ends early");
    return bytes[at++];
  }
};

} // namespace

Status Rebuilder::flush(bool all) {
  Bytes& bytes = bits_.bytes();
  if (bytes.empty() || (!all && bytes.size() < kFlushAt)) return {};
  if (auto ok = out_.write(bytes); !ok) return ok;
  flushed_ += bytes.size();
  bytes.clear();
  return {};
}

Status Rebuilder::start_block(ByteSpan block_record) {
  RecordReader record{block_record};
  auto header = record.byte();
  if (!header) return header.error();
  const unsigned type = *header >> 1;
  if (*header > 5) return corrupt("a block of an unknown type");
  final_ = (*header & 1) != 0;
  stored_ = type == 0;
  bits_.bits(*header & 1, 1);
  bits_.bits(type, 2);
  matches_.clear();
  next_match_ = 0;
  misses_.clear();
  next_miss_ = 0;
  token_ = 0;
  std::uint64_t content_size = 0;
  if (stored_) {
    auto pad = record.byte();
    if (!pad) return pad.error();
    auto length = record.varint();
    if (!length) return length.error();
    const unsigned pad_bits = bits_.to_boundary();
    if (*pad >> pad_bits != 0 || *length > 0xFFFF) return corrupt("a stored block's header is out of range");
    bits_.bits(*pad, pad_bits);
    bits_.bits(static_cast<std::uint32_t>(*length), 16);
    bits_.bits(static_cast<std::uint32_t>(*length ^ 0xFFFF), 16);
    content_size = *length;
  } else {
    if (type == 1) {
      literal_lengths_.emplace(fixed_literal_lengths());
      distances_.emplace(fixed_distances());
    } else {
      auto header_bits = record.varint();
      if (!header_bits) return header_bits.error();
      const std::uint64_t header_bytes = (*header_bits + 7) / 8;
      if (header_bytes > record.bytes.size() - record.at) return corrupt("a block header ends early");
      const ByteSpan header_span = record.bytes.subspan(record.at, header_bytes);
      BitReader reader(header_span);
      auto codes = read_dynamic_header(reader);
      if (!codes || reader.position() != *header_bits) return corrupt("a dynamic block header is invalid");
      BitReader copy(header_span);
      for (std::uint64_t left = *header_bits; left > 0;) {
        const unsigned n = static_cast<unsigned>(std::min<std::uint64_t>(16, left));
        std::uint32_t v = 0;
        copy.bits(n, v);
        bits_.bits(v, n);
        left -= n;
      }
      record.at += header_bytes;
      literal_lengths_.emplace(codes->literal_lengths);
      distances_.emplace(codes->distances);
    }
    auto content = record.varint();
    if (!content) return content.error();
    content_size = *content;
    auto miss_count = record.varint();
    if (!miss_count) return miss_count.error();
    if (*miss_count > record.bytes.size() - record.at || *miss_count > content_size)
      return corrupt("more misses than the record holds");
    std::uint64_t index = 0;
    for (std::uint64_t i = 0; i < *miss_count; ++i) {
      auto gap = record.varint();
      if (!gap) return gap.error();
      if ((i > 0 && *gap == 0) || *gap > content_size) return corrupt("misses out of order");
      index += *gap;
      misses_.push_back(index);
    }
    auto count = record.varint();
    if (!count) return count.error();
    if (*count > content_size / 3 || *count > kMaxBlockMatches) return corrupt("more matches than a block may hold");
    matches_.assign(static_cast<std::size_t>(*count), Match{true, {0, 0}, 0, 0});
    auto exception_count = record.varint();
    if (!exception_count) return exception_count.error();
    if (*exception_count > *count) return corrupt("more exceptions than matches");
    std::uint64_t match_index = 0;
    for (std::uint64_t i = 0; i < *exception_count; ++i) {
      auto gap = record.varint();
      if (!gap) return gap.error();
      if ((i > 0 && *gap == 0) || *gap >= *count - match_index) return corrupt("exceptions out of order");
      match_index += *gap;
      Match& m = matches_[static_cast<std::size_t>(match_index)];
      auto form = record.varint();
      if (!form) return form.error();
      if (*form == 0) {
        if (record.bytes.size() - record.at < 3) return corrupt("a record ends early");
        m.named = false;
        m.length = static_cast<std::uint16_t>(record.bytes[record.at] + 3);
        m.distance = static_cast<std::uint16_t>((record.bytes[record.at + 1] | record.bytes[record.at + 2] << 8) + 1);
        record.at += 3;
      } else {
        auto rank = record.varint();
        if (!rank) return rank.error();
        if (*form - 1 > kMaxMatch || *rank >= kChainLimit) return corrupt("a match named out of range");
        m.name = {static_cast<unsigned>(*form - 1), static_cast<unsigned>(*rank)};
      }
    }
  }
  if (record.at != record.bytes.size()) return corrupt("a record has bytes after its end");
  block_end_ = position_ + content_size;
  return {};
}

Status Rebuilder::send_tokens() {
  while (position_ < block_end_) {
    if (stored_) {
      if (finder_->held() <= position_) return {};
      bits_.bits(finder_->at(position_++), 8);
      continue;
    }
    if (finder_->held() < std::min<std::uint64_t>(block_end_, position_ + kLookahead)) return {};
    bool match = finder_->expects_match(position_, block_end_);
    if (next_miss_ < misses_.size() && misses_[next_miss_] == token_) {
      match = !match;
      ++next_miss_;
    }
    ++token_;
    if (!match) {
      const std::uint8_t literal = finder_->at(position_++);
      if (!literal_lengths_->has(literal)) return corrupt("a literal its block's code cannot send");
      literal_lengths_->send(bits_, literal);
      continue;
    }
    if (next_match_ >= matches_.size()) return corrupt("more matches than the record names");
    const Match& m = matches_[next_match_++];
    unsigned length = m.length, distance = m.distance;
    if (m.named) {
      auto resolved = finder_->resolve(position_, block_end_, m.name);
      if (!resolved) return corrupt("a named match the content does not offer");
      std::tie(length, distance) = *resolved;
    }
    if (length < 3 || length > kMaxMatch || position_ + length > block_end_) return corrupt("a match beyond its block");
    if (distance == 0 || distance > kWindow || distance > position_)
      return corrupt("a match reaches before the stream");
    const unsigned length_index = length_symbol(length);
    const unsigned distance_index = distance_symbol(distance);
    if (!literal_lengths_->has(257 + length_index) || !distances_->has(distance_index))
      return corrupt("a match its block's code cannot send");
    literal_lengths_->send(bits_, 257 + length_index);
    bits_.bits(length - kLengthBases[length_index].base, kLengthBases[length_index].extra);
    distances_->send(bits_, distance_index);
    bits_.bits(distance - kDistanceBases[distance_index].base, kDistanceBases[distance_index].extra);
    position_ += length;
  }
  return {};
}

Status Rebuilder::take_content(ByteSpan& expanded) {
  while (!expanded.empty() && position_ < block_end_) {
    const std::size_t n = static_cast<std::size_t>(
        std::min<std::uint64_t>({expanded.size(), finder_->room(position_), block_end_ - finder_->held()}));
    finder_->push(expanded.first(n));
    expanded = expanded.subspan(n);
    const std::uint64_t before = position_;
    if (auto ok = send_tokens(); !ok) return ok;
    if (n == 0 && position_ == before) return corrupt("a block's content and matches disagree");
    if (auto ok = flush(false); !ok) return ok;
  }
  return {};
}

Status Rebuilder::end_block() {
  if (!stored_) {
    if (next_match_ != matches_.size() || next_miss_ != misses_.size())
      return corrupt("a block's content and matches disagree");
    if (!literal_lengths_->has(kEndOfBlock)) return corrupt("a block whose code cannot end it");
    literal_lengths_->send(bits_, kEndOfBlock);
  }
  if (auto ok = flush(false); !ok) return ok;
  if (final_) {
    // The records end with the bits that fill the last byte, then zeros.
    if (next_record_ >= records_.size()) return corrupt("the records end before the stream's last bits");
    if (std::any_of(records_.begin() + static_cast<std::ptrdiff_t>(next_record_) + 1, records_.end(),
                    [](std::uint8_t b) { return b != 0; }))
      return corrupt("the records do not end after the final block");
    const unsigned pad_bits = bits_.to_boundary();
    const std::uint8_t fill = records_[next_record_];
    if (fill >> pad_bits != 0) return corrupt("the stream's last bits are out of range");
    bits_.bits(fill, pad_bits);
    state_ = State::done;
  }
  return {};
}

Status Rebuilder::settle() {
  while (state_ == State::content && position_ == block_end_) {
    if (auto ok = end_block(); !ok) return ok;
    if (state_ == State::done) return {};
    if (auto ok = next_block(); !ok) return ok;
  }
  return {};
}

Status Rebuilder::next_block() {
  RecordReader sizes{records_, next_record_};
  auto size = sizes.varint();
  if (!size) return size.error();
  if (*size == 0 || *size > kMaxRecord || *size > records_.size() - sizes.at)
    return corrupt("a record size beyond the limit");
  next_record_ = sizes.at + static_cast<std::size_t>(*size);
  if (auto ok = start_block(ByteSpan(records_).subspan(sizes.at, static_cast<std::size_t>(*size))); !ok) return ok;
  state_ = State::content;
  return {};
}

Status Rebuilder::write(ByteSpan expanded) {
  while (!expanded.empty()) {
    switch (state_) {
    case State::records_size: {
      records_.push_back(expanded.front());
      expanded = expanded.subspan(1);
      if (records_.back() & 0x80) {
        if (records_.size() >= 4) return corrupt("a records section beyond the limit");
        break;
      }
      RecordReader reader{records_};
      auto size = reader.varint();
      if (!size) return size.error();
      if (*size == 0 || *size > kMaxRecords) return corrupt("a records section beyond the limit");
      records_size_ = *size;
      records_.clear();
      state_ = State::records;
      break;
    }
    case State::records: {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(expanded.size(), records_size_ - records_.size()));
      records_.insert(records_.end(), expanded.begin(), expanded.begin() + static_cast<std::ptrdiff_t>(n));
      expanded = expanded.subspan(n);
      if (records_.size() == records_size_) {
        // The records start with zlib's level, or with the parse model the
        // finder expects.
        if (const auto level = zlib_level_of(records_[0])) {
          if (std::any_of(records_.begin() + 1, records_.end(), [](std::uint8_t b) { return b != 0; }))
            return corrupt("a zlib-made stream's records hold more than its level");
          if (!zlib_is_reference())
            return make_error(DeltaErrc::engine_unavailable,
                              "this program's zlib makes other deflate bytes than zlib 1.2 and 1.3: it cannot "
                              "make a zlib-made stream again");
          zlib_.emplace(out_, *level);
          state_ = State::content;
          break;
        }
        const auto model = ParseModel::from_byte(records_[0]);
        if (!model) return corrupt("an unknown parse model");
        finder_.emplace(*model);
        next_record_ = 1;
        if (auto ok = next_block(); !ok) return ok;
        if (auto ok = settle(); !ok) return ok;
      }
      break;
    }
    case State::content:
      if (zlib_) {
        if (auto ok = zlib_->write(expanded); !ok) return ok;
        expanded = {};
        break;
      }
      if (auto ok = take_content(expanded); !ok) return ok;
      if (auto ok = settle(); !ok) return ok;
      break;
    case State::done: return corrupt("bytes after the stream's end");
    }
  }
  return {};
}

Status Rebuilder::finish() {
  if (zlib_ && state_ == State::content) {
    state_ = State::done;
    return zlib_->finish();
  }
  if (state_ != State::done) return corrupt("the stream ends early");
  return flush(true);
}

} // namespace dfota::delta::deflate
