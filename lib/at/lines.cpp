#include "at/lines.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace dfota::at {

void LineFramer::feed(ByteSpan bytes, std::vector<std::string>& lines) {
  for (std::uint8_t byte : bytes) {
    if (byte == '\r' || byte == '\n') {
      if (!pending_.empty()) lines.push_back(std::move(pending_));
      pending_.clear();
      continue;
    }
    if (pending_.size() < kMaxLine) pending_.push_back(static_cast<char>(byte));
  }
}

const char* to_string(LineKind kind) {
  switch (kind) {
  case LineKind::echo: return "echo";
  case LineKind::ok: return "ok";
  case LineKind::error: return "error";
  case LineKind::cme_error: return "cme_error";
  case LineKind::cms_error: return "cms_error";
  case LineKind::connect: return "connect";
  case LineKind::no_carrier: return "no_carrier";
  case LineKind::urc: return "urc";
  case LineKind::info: return "info";
  case LineKind::noise: return "noise";
  }
  return "?";
}

bool is_final(LineKind kind) {
  return kind == LineKind::ok || kind == LineKind::error || kind == LineKind::cme_error ||
         kind == LineKind::cms_error || kind == LineKind::connect || kind == LineKind::no_carrier;
}

namespace {
bool starts_with_upper(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && to_upper(text.substr(0, prefix.size())) == prefix;
}

// "+CME ERROR: 421" -> 421; text after the colon -> -1.
int error_number(std::string_view rest) {
  rest = trim(rest);
  int value = -1;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc() || end != rest.data() + rest.size()) return -1;
  return value;
}

bool printable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
}

// The "+NAME" of a "+NAME: ..." line, upper case, or "".
std::string plus_name(std::string_view line) {
  if (line.empty() || (line[0] != '+' && line[0] != '^')) return {};
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return {};
  return to_upper(line.substr(0, colon));
}
} // namespace

std::string command_name(std::string_view command_line) {
  std::string_view line = trim(command_line);
  if (!starts_with_upper(line, "AT")) return {};
  line.remove_prefix(2);
  if (line.empty()) return {};
  if (line[0] == '+' || line[0] == '^' || line[0] == '$') {
    std::size_t end = 1;
    while (end < line.size() && (std::isalnum(static_cast<unsigned char>(line[end])) || line[end] == '_'))
      ++end;
    return to_upper(line.substr(0, end));
  }
  if (line[0] == '&' && line.size() > 1) return to_upper(line.substr(0, 2));
  return to_upper(line.substr(0, 1));
}

bool is_urc_line(std::string_view line) {
  static constexpr std::string_view kPlain[] = {"RDY", "POWERED DOWN", "NORMAL POWER DOWN", "RING"};
  const std::string text = to_upper(trim(line));
  for (auto word : kPlain)
    if (text == word) return true;
  static constexpr std::string_view kPrefixes[] = {"+QIND:", "+QUSIM:", "+QSTAT:", "+CPIN:", "+CFUN:", "+QFOTA:"};
  for (auto prefix : kPrefixes)
    if (text.rfind(prefix, 0) == 0) return true;
  return false;
}

Line classify_line(std::string_view raw, std::string_view pending_command) {
  const std::string_view line = trim(raw);
  Line out{LineKind::info, std::string(line), -1};
  if (!printable(line)) {
    out.kind = LineKind::noise;
    return out;
  }
  const std::string text = to_upper(line);
  if (!pending_command.empty() && text == to_upper(trim(pending_command))) {
    out.kind = LineKind::echo;
    return out;
  }
  if (text == "OK") {
    out.kind = LineKind::ok;
  } else if (text == "ERROR") {
    out.kind = LineKind::error;
  } else if (text.rfind("+CME ERROR:", 0) == 0) {
    out.kind = LineKind::cme_error;
    out.code = error_number(line.substr(11));
  } else if (text.rfind("+CMS ERROR:", 0) == 0) {
    out.kind = LineKind::cms_error;
    out.code = error_number(line.substr(11));
  } else if (text == "CONNECT" || text.rfind("CONNECT ", 0) == 0) {
    out.kind = LineKind::connect;
  } else if (text == "NO CARRIER") {
    out.kind = LineKind::no_carrier;
  } else {
    const std::string name = plus_name(line);
    const std::string pending = command_name(pending_command);
    if (!name.empty() && !pending.empty() && name == pending)
      out.kind = LineKind::info;
    else if (is_urc_line(line))
      out.kind = LineKind::urc;
    else if (starts_with_upper(line, "AT") && pending_command.empty())
      out.kind = LineKind::echo; // an echo of something typed earlier
  }
  return out;
}

} // namespace dfota::at
