// Values of the --json documents that more than one command writes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace dfota::cli {

// An optional text: null when empty, never "" (every schema in
// formats/json/ states absent values as null).
inline nlohmann::ordered_json text_or_null(const std::string& text) {
  return text.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(text);
}

} // namespace dfota::cli
