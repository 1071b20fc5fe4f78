// Small text helpers shared by the AT parsers, the simulator and the
// uploader (ASCII only: AT commands and answers are ASCII).
#pragma once

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dfota {

inline std::string to_upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

// Without leading and trailing white space (space, tab, CR, LF).
inline std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

// A count or size as people type it: decimal digits only (no sign, space or
// "0x"), and no more than fits in 64 bits; nullopt otherwise.
inline std::optional<std::uint64_t> parse_whole_number(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A duration in seconds as people read it, without trailing zeros: "90",
// "1.5", "0.02".
std::string seconds_text(std::chrono::milliseconds duration);

// `text` safe to print on a terminal: C0 controls, DEL, C1 controls (U+0080
// to U+009F) and bytes that are not UTF-8 become "\xNN" (tab, CR and LF as
// "\t", "\r", "\n"); other UTF-8 passes unchanged. Every string from a
// package, a module or a file name goes through it before it is printed, so
// no escape sequence of theirs reaches the terminal.
std::string printable(std::string_view text);

// 1234567 -> "1,234,567".
inline std::string grouped(std::uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

} // namespace dfota
