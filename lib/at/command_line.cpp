#include "at/command_line.hpp"

#include <cctype>

#include "at/lines.hpp"
#include "core/text.hpp"

namespace dfota::at {

namespace {
std::optional<std::vector<Argument>> split_arguments(std::string_view text) {
  std::vector<Argument> out;
  if (trim(text).empty()) return out;
  for (;;) {
    text = trim(text);
    Argument argument;
    if (!text.empty() && text.front() == '"') {
      auto close = text.find('"', 1);
      if (close == std::string_view::npos) return std::nullopt;
      argument.text = std::string(text.substr(1, close - 1));
      argument.quoted = true;
      text.remove_prefix(close + 1);
      text = trim(text);
      if (!text.empty() && text.front() != ',') return std::nullopt;
    } else {
      auto comma = text.find(',');
      argument.text = std::string(trim(text.substr(0, comma)));
      text.remove_prefix(comma == std::string_view::npos ? text.size() : comma);
    }
    out.push_back(std::move(argument));
    if (text.empty()) return out;
    text.remove_prefix(1); // the comma
  }
}
} // namespace

std::size_t command_start(std::string_view line) {
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    if ((line[i] == 'A' || line[i] == 'a') && (line[i + 1] == 'T' || line[i + 1] == 't')) return i;
  }
  return std::string_view::npos;
}

std::optional<CommandLine> parse_command_line(std::string_view line) {
  line = trim(line);
  CommandLine out;
  out.name = command_name(line);
  if (line.size() < 2 || (std::toupper(static_cast<unsigned char>(line[0])) != 'A') ||
      (std::toupper(static_cast<unsigned char>(line[1])) != 'T'))
    return std::nullopt;
  std::string_view rest = line.substr(2 + out.name.size());
  const bool extended = !out.name.empty() && (out.name[0] == '+' || out.name[0] == '^' || out.name[0] == '$');
  if (rest.rfind("=?", 0) == 0) {
    out.form = CommandForm::test;
    rest.remove_prefix(2);
  } else if (rest.rfind("?", 0) == 0) {
    out.form = CommandForm::read;
    rest.remove_prefix(1);
  } else if (rest.rfind("=", 0) == 0) {
    out.form = CommandForm::write;
    rest.remove_prefix(1);
  } else if (!extended) {
    out.form = CommandForm::execute; // ATE0: "0" is the argument
  }
  if (!extended && out.form == CommandForm::execute) {
    if (!trim(rest).empty()) out.arguments.push_back({std::string(trim(rest)), false});
    return out;
  }
  if (out.form == CommandForm::test || out.form == CommandForm::read) {
    if (!trim(rest).empty()) return std::nullopt;
    return out;
  }
  if (out.form == CommandForm::execute && !trim(rest).empty()) return std::nullopt;
  auto arguments = split_arguments(rest);
  if (!arguments) return std::nullopt;
  out.arguments = std::move(*arguments);
  return out;
}

} // namespace dfota::at
