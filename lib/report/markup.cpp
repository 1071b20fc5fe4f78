#include "report/markup.hpp"

namespace dfota::report {

std::string escape_markup(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    switch (c) {
    case '&': out += "&amp;"; continue;
    case '<': out += "&lt;"; continue;
    case '>': out += "&gt;"; continue;
    case '"': out += "&quot;"; continue;
    case '\'': out += "&apos;"; continue;
    case '\t': out += attribute ? "&#9;" : "\t"; continue;
    case '\n': out += attribute ? "&#10;" : "\n"; continue;
    case '\r': out += "&#13;"; continue;
    default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      out += "\xEF\xBF\xBD";
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      continue;
    }
    const std::size_t length = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (!valid) {
      out += "\xEF\xBF\xBD";
      continue;
    }
    out.append(text.substr(i, length));
    i += length - 1;
  }
  return out;
}

} // namespace dfota::report
