// Escaping for the XML and HTML this project writes (JUnit reports, the
// package page).
#pragma once

#include <string>
#include <string_view>

namespace dfota::report {

// Text made safe for element content and attribute values. Invalid UTF-8
// and control characters become U+FFFD, so the document always parses. In
// element content (`attribute` false) tab and line feed stay as they are.
std::string escape_markup(std::string_view text, bool attribute = true);

} // namespace dfota::report
