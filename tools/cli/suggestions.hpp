// "Did you mean ...?" for a mistyped verb or option: the known name nearest
// to what was typed, when it is near enough to be the one meant.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dfota::cli {

// The number of single-character insertions, deletions, substitutions and
// swaps of two neighbours that turn `a` into `b`.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `typed`, if at most a third of its length (and at
// least one character) differs; ties go to the first candidate.
std::optional<std::string> nearest_name(std::string_view typed, const std::vector<std::string>& candidates);

} // namespace dfota::cli
