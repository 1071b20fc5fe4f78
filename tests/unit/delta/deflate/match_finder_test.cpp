// The match finder's names: what it expects of a lazy or greedy encoder,
// and names that resolve back to the match they name.
#include "delta/deflate/match_finder.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <random>

#include "support/deflate_streams.hpp"

namespace dfota::delta::deflate {
namespace {

Bytes as_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

TEST(MatchFinder, ANearestLongestMatchIsNamedZeroZero) {
  const Bytes content = as_bytes("abcdefgh--abcdefgh--abcdefgh");
  MatchFinder finder(ParseModel{3, false});
  finder.push(content);
  auto named = finder.name(20, content.size(), 8, 10);
  ASSERT_TRUE(named);
  EXPECT_EQ(named->shortfall, 0u);
  EXPECT_EQ(named->rank, 0u);
  auto resolved = finder.resolve(20, content.size(), NamedMatch{});
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->first, 8u);
  EXPECT_EQ(resolved->second, 10u);
}

TEST(MatchFinder, AFartherOrShorterMatchIsNamedAndResolvesBack) {
  const Bytes content = as_bytes("abcdefgh--abcdefgh--abcdefgh");
  MatchFinder finder(ParseModel{3, false});
  finder.push(content);
  auto farther = finder.name(20, content.size(), 8, 20);
  ASSERT_TRUE(farther);
  EXPECT_EQ(farther->shortfall, 0u);
  EXPECT_EQ(farther->rank, 1u);
  EXPECT_EQ(finder.resolve(20, content.size(), *farther), (std::pair<unsigned, unsigned>{8, 20}));
  auto shorter = finder.name(20, content.size(), 5, 10);
  ASSERT_TRUE(shorter);
  EXPECT_EQ(shorter->shortfall, 3u);
  EXPECT_EQ(finder.resolve(20, content.size(), *shorter), (std::pair<unsigned, unsigned>{5, 10}));
}

TEST(MatchFinder, LazyExpectsNoMatchWhereALongerOneStartsOneByteOn) {
  // At 12, "abc" is on offer (from 0), but at 13 "bcdefgh" is longer
  // (from 4); at 13 nothing longer follows.
  const Bytes content = as_bytes("abcQbcdefgh-abcdefgh");
  MatchFinder lazy(ParseModel{3, false}), greedy(ParseModel{3, true});
  lazy.push(content);
  greedy.push(content);
  EXPECT_FALSE(lazy.expects_match(12, content.size()));
  EXPECT_TRUE(greedy.expects_match(12, content.size()));
  EXPECT_TRUE(lazy.expects_match(13, content.size()));
}

TEST(MatchFinder, AShortestOfFourExpectsNoThreeByteMatch) {
  const Bytes content = as_bytes("abcX----abcY");
  MatchFinder three(ParseModel{3, false}), four(ParseModel{4, false});
  three.push(content);
  four.push(content);
  EXPECT_TRUE(three.expects_match(8, content.size()));
  EXPECT_FALSE(four.expects_match(8, content.size()));
}

TEST(MatchFinder, ParseModelsRoundTripAsBytes) {
  for (const ParseModel model : {ParseModel{3, false}, ParseModel{4, true}}) {
    auto back = ParseModel::from_byte(model.to_byte());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->shortest, model.shortest);
    EXPECT_EQ(back->greedy, model.greedy);
  }
  EXPECT_FALSE(ParseModel::from_byte(5));
  EXPECT_FALSE(ParseModel::from_byte(0x43));
}

TEST(MatchFinder, NamesDoNotDependOnHowTheContentWasCut) {
  const Bytes content = test::sample_text(2000, 9);
  MatchFinder whole(ParseModel{3, false}), pieces(ParseModel{3, false});
  const std::uint64_t at = 50000, end = at + 300;
  whole.push(ByteSpan(content).first(end));
  for (std::uint64_t p = 0; p < end; p += 77)
    pieces.push(ByteSpan(content).subspan(p, std::min<std::uint64_t>(77, end - p)));
  for (std::uint64_t p = at; p < at + 40; ++p)
    EXPECT_EQ(whole.expects_match(p, end), pieces.expects_match(p, end)) << p;
}

TEST(MatchFinder, AFinderGivenTheWindowBeforeAPositionAnswersAsOneFedFromTheStart) {
  const Bytes content = test::sample_text(3000, 10);
  const std::uint64_t at = 90000, end = at + 4000;
  for (const ParseModel model : {ParseModel{3, false}, ParseModel{4, true}}) {
    MatchFinder whole(model), windowed(model, at - kWindow);
    whole.push(ByteSpan(content).first(end));
    windowed.push(ByteSpan(content).subspan(at - kWindow, end - (at - kWindow)));
    EXPECT_EQ(windowed.held(), whole.held());
    for (std::uint64_t p = at; p + kMaxMatch < end; p += 7) {
      EXPECT_EQ(whole.expects_match(p, end), windowed.expects_match(p, end)) << p;
      const NamedMatch second_nearest{0, 1};
      EXPECT_EQ(whole.resolve(p, end, second_nearest), windowed.resolve(p, end, second_nearest)) << p;
      EXPECT_EQ(whole.resolve(p, end, NamedMatch{}), windowed.resolve(p, end, NamedMatch{})) << p;
    }
  }
}

// The finder's nearest longest match as its definition states it: a walk
// of the positions before `p` that share its 3-byte hash, nearest first,
// at most kChainLimit of them, within kWindow; the longest of at least
// `shortest` bytes (of 3 only from within kTooFar), the nearest that long.
std::optional<std::pair<unsigned, unsigned>> walked_longest(const Bytes& content, std::uint64_t p, std::uint64_t end,
                                                            unsigned shortest) {
  auto hash = [&](std::uint64_t at) {
    const std::uint32_t v = content[at] | content[at + 1] << 8 | content[at + 2] << 16;
    return (v * 2654435761u) >> 16;
  };
  const unsigned cap = static_cast<unsigned>(std::min<std::uint64_t>(kMaxMatch, end - p));
  unsigned best = 0, steps = 0;
  std::uint64_t from = 0;
  for (std::uint64_t c = p; c-- > 0 && p - c <= kWindow && steps < kChainLimit;) {
    if (c + 3 > content.size() || hash(c) != hash(p)) continue;
    ++steps;
    unsigned length = 0;
    while (length < cap && content[c + length] == content[p + length])
      ++length;
    if (length <= best || length < shortest || (length == 3 && p - c > kTooFar)) continue;
    best = length;
    from = c;
    if (length == cap) break;
  }
  if (best == 0) return std::nullopt;
  return std::pair{best, static_cast<unsigned>(p - from)};
}

TEST(MatchFinder, TheNearestLongestMatchIsTheWalksOfTheThreeByteChain) {
  // Two letters: each 3-byte hash holds about 4,096 positions of a window,
  // so the walk's limit binds at some and not at others; then runs of one
  // byte with rare others, and text.
  std::mt19937 random(29);
  Bytes two_letters(48000);
  for (auto& b : two_letters)
    b = "ab"[random() & 1];
  Bytes runs(48000, 0);
  for (std::size_t i = 0; i < runs.size(); i += 1 + random() % 700)
    runs[i] = static_cast<std::uint8_t>(random());
  for (const Bytes& content : {two_letters, runs, test::sample_text(900, 4)}) {
    for (const unsigned shortest : {3u, 4u}) {
      MatchFinder finder(ParseModel{shortest, false});
      for (std::uint64_t p = 0; p + 3 <= content.size(); p += 11) {
        const std::uint64_t end = std::min<std::uint64_t>(content.size(), p + 300);
        if (finder.held() < end) finder.push(ByteSpan(content).subspan(finder.held(), end - finder.held()));
        ASSERT_EQ(finder.resolve(p, end, NamedMatch{}), walked_longest(content, p, end, shortest))
            << "at " << p << " of " << content.size() << " bytes, shortest " << shortest;
      }
    }
  }
}

TEST(MatchFinder, AQuestionAsksBeforeTheBytesAfterItsBlockArriveAndLaterAnswersStayTheWalks) {
  // Blocks that end a few bytes after a question, as a stream's do: the
  // finder enters positions whose next bytes it does not hold yet, and
  // must still answer every later question as the walk does. Repeated
  // words and runs of 3 to 14 bytes make matches of 6 bytes and more, found
  // near (in a run) and longer farther back.
  std::mt19937 random(7);
  Bytes content;
  const Bytes words[] = {{1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}};
  while (content.size() < 40000) {
    if (random() % 2 == 0) {
      const Bytes& word = words[random() % 3];
      content.insert(content.end(), word.begin(), word.end());
    } else {
      content.insert(content.end(), 3 + random() % 12, 0);
    }
    content.push_back(static_cast<std::uint8_t>(1 + random() % 4));
  }
  for (const unsigned shortest : {3u, 4u}) {
    MatchFinder finder(ParseModel{shortest, false});
    std::uint64_t p = 0;
    while (p + 16 <= content.size()) {
      const std::uint64_t end = p + 3 + random() % 7; // a block ends 3 to 9 bytes on
      if (finder.held() < end) finder.push(ByteSpan(content).subspan(finder.held(), end - finder.held()));
      ASSERT_EQ(finder.resolve(p, end, NamedMatch{}), walked_longest(content, p, end, shortest))
          << "at " << p << ", block end " << end << ", shortest " << shortest;
      p = end;
    }
  }
}

} // namespace
} // namespace dfota::delta::deflate
