#include "at/responses.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/hash.hpp"
#include "core/text.hpp"

namespace dfota::at {

namespace {
void skip_spaces(std::string_view& text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
}

bool take(std::string_view& text, char c) {
  skip_spaces(text);
  if (text.empty() || text.front() != c) return false;
  text.remove_prefix(1);
  return true;
}

// A double-quoted word; nothing when the quote does not close.
std::optional<std::string_view> quoted(std::string_view& text) {
  skip_spaces(text);
  if (text.empty() || text.front() != '"') return std::nullopt;
  auto close = text.find('"', 1);
  if (close == std::string_view::npos) return std::nullopt;
  auto word = text.substr(1, close - 1);
  text.remove_prefix(close + 1);
  return word;
}

template <typename T> std::optional<T> number(std::string_view& text, int base = 10) {
  skip_spaces(text);
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return value;
}

bool only_spaces_left(std::string_view text) {
  skip_spaces(text);
  return text.empty();
}

struct StageWord {
  std::string_view word;
  FotaStage stage;
};
constexpr StageWord kStageWords[] = {
    {"FTPSTART", FotaStage::ftp_start},      {"FTPEND", FotaStage::ftp_end},    {"HTTPSTART", FotaStage::http_start},
    {"HTTPEND", FotaStage::http_end},        {"HTTPPEND", FotaStage::http_end}, {"FILESTART", FotaStage::file_start},
    {"FILEEND", FotaStage::file_end},        {"START", FotaStage::start},       {"UPDATING", FotaStage::updating},
    {"DOWNLOADING", FotaStage::downloading}, {"END", FotaStage::end},
};
} // namespace

const char* to_string(FotaStage stage) {
  switch (stage) {
  case FotaStage::ftp_start: return "FTPSTART";
  case FotaStage::ftp_end: return "FTPEND";
  case FotaStage::http_start: return "HTTPSTART";
  case FotaStage::http_end: return "HTTPEND";
  case FotaStage::file_start: return "FILESTART";
  case FotaStage::file_end: return "FILEEND";
  case FotaStage::start: return "START";
  case FotaStage::updating: return "UPDATING";
  case FotaStage::downloading: return "DOWNLOADING";
  case FotaStage::end: return "END";
  }
  return "?";
}

bool stage_has_value(FotaStage stage) {
  return stage != FotaStage::ftp_start && stage != FotaStage::http_start && stage != FotaStage::file_start &&
         stage != FotaStage::start;
}

bool looks_like_fota_urc(std::string_view line) {
  skip_spaces(line);
  if (to_upper(line.substr(0, 6)) != "+QIND:") return false;
  line.remove_prefix(6);
  skip_spaces(line);
  return line.empty() ||
         to_upper(line.substr(0, 5)) == std::string("\"FOTA").substr(0, std::min<std::size_t>(5, line.size()));
}

std::optional<FotaEvent> parse_fota_urc(std::string_view line) {
  skip_spaces(line);
  if (to_upper(line.substr(0, 6)) != "+QIND:") return std::nullopt;
  line.remove_prefix(6);
  auto tag = quoted(line);
  if (!tag || to_upper(*tag) != "FOTA") return std::nullopt;
  // The guides print both "FOTA","X" and "FOTA" "X": the comma is optional.
  take(line, ',');
  auto word = quoted(line);
  if (!word) return std::nullopt;
  const std::string name = to_upper(*word);
  const auto* known =
      std::find_if(std::begin(kStageWords), std::end(kStageWords), [&](const StageWord& w) { return w.word == name; });
  if (known == std::end(kStageWords)) return std::nullopt;
  FotaEvent event{known->stage, 0};
  if (!stage_has_value(event.stage)) return only_spaces_left(line) ? std::optional(event) : std::nullopt;
  // "UPDATING",1 / "UPDATING", 1 / "UPDATING" ,1 / "UPDATING" 1
  take(line, ',');
  auto value = number<int>(line);
  if (!value || !only_spaces_left(line)) return std::nullopt;
  event.value = *value;
  return event;
}

std::string format_fota_urc(const profiles::UrcSpelling& spelling, const FotaEvent& event) {
  std::string word;
  switch (event.stage) {
  case FotaStage::ftp_start: word = spelling.ftp_start; break;
  case FotaStage::ftp_end: word = spelling.ftp_end; break;
  case FotaStage::http_start: word = spelling.http_start; break;
  case FotaStage::http_end: word = spelling.http_end; break;
  case FotaStage::file_start: word = spelling.file_start; break;
  case FotaStage::file_end: word = spelling.file_end; break;
  default: word = to_string(event.stage); break;
  }
  std::string line = spelling.prefix + ",\"" + word + "\"";
  if (stage_has_value(event.stage)) {
    line += spelling.space_after_comma ? ", " : ",";
    line += std::to_string(event.value);
  }
  return line;
}

std::optional<UploadReport> parse_upload_report(std::string_view line, std::string_view prefix) {
  skip_spaces(line);
  if (to_upper(line.substr(0, prefix.size())) != to_upper(prefix)) return std::nullopt;
  line.remove_prefix(prefix.size());
  if (!take(line, ':')) return std::nullopt;
  auto size = number<std::uint64_t>(line);
  if (!size || !take(line, ',')) return std::nullopt;
  skip_spaces(line);
  auto checksum = parse_module_checksum(std::string(line));
  if (!checksum) return std::nullopt;
  return UploadReport{*size, *checksum};
}

std::string format_upload_report(std::string_view prefix, const UploadReport& report, bool space_after_comma) {
  return std::string(prefix) + ": " + std::to_string(report.size) + (space_after_comma ? ", " : ",") +
         checksum_hex(report.checksum);
}

std::string format_free_space(const FreeSpace& space) {
  return "+QFLDS: " + std::to_string(space.free) + "," + std::to_string(space.total);
}

std::string format_file_entry(const StoredFile& file) {
  return "+QFLST: \"" + file.name + "\"," + std::to_string(file.size);
}

std::vector<std::string> format_identity(const Identity& identity) {
  return {identity.manufacturer, identity.model, "Revision: " + identity.revision};
}

std::optional<FreeSpace> parse_free_space(std::string_view line) {
  skip_spaces(line);
  if (to_upper(line.substr(0, 7)) != "+QFLDS:") return std::nullopt;
  line.remove_prefix(7);
  auto free = number<std::uint64_t>(line);
  if (!free || !take(line, ',')) return std::nullopt;
  auto total = number<std::uint64_t>(line);
  if (!total) return std::nullopt;
  return FreeSpace{*free, *total};
}

std::optional<int> parse_fota_cid(std::string_view line) {
  skip_spaces(line);
  if (to_upper(line.substr(0, 6)) != "+QCFG:") return std::nullopt;
  line.remove_prefix(6);
  auto key = quoted(line);
  if (!key || to_upper(*key) != "FOTA/CID" || !take(line, ',')) return std::nullopt;
  auto cid = number<int>(line);
  if (!cid || !only_spaces_left(line)) return std::nullopt;
  return cid;
}

std::string format_fota_cid(int cid) { return "+QCFG: \"fota/cid\"," + std::to_string(cid); }

std::optional<std::string> parse_pdp_context_apn(std::string_view line) {
  skip_spaces(line);
  if (to_upper(line.substr(0, 8)) != "+QICSGP:") return std::nullopt;
  line.remove_prefix(8);
  if (!number<int>(line) || !take(line, ',')) return std::nullopt;
  auto apn = quoted(line);
  if (!apn) return std::nullopt;
  return std::string(*apn);
}

std::string format_pdp_context(std::string_view apn) { return "+QICSGP: 1,\"" + std::string(apn) + "\",\"\",\"\",1"; }

std::optional<FlowControlSetting> parse_flow_control(std::string_view line) {
  skip_spaces(line);
  if (to_upper(line.substr(0, 5)) == "+IFC:") {
    line.remove_prefix(5);
  } else if (to_upper(line.substr(0, 6)) == "+QCFG:") {
    line.remove_prefix(6);
    auto key = quoted(line);
    if (!key || to_upper(*key) != "USBIFC" || !take(line, ',')) return std::nullopt;
  } else {
    return std::nullopt;
  }
  auto first = number<int>(line);
  if (!first || !take(line, ',')) return std::nullopt;
  auto second = number<int>(line);
  if (!second || !only_spaces_left(line)) return std::nullopt;
  return FlowControlSetting{*first, *second};
}

std::string format_flow_control(bool usb, const FlowControlSetting& setting) {
  return (usb ? "+QCFG: \"usbifc\"," : "+IFC: ") + setting.text();
}

std::optional<StoredFile> parse_file_entry(std::string_view line) {
  skip_spaces(line);
  if (to_upper(line.substr(0, 7)) != "+QFLST:") return std::nullopt;
  line.remove_prefix(7);
  auto name = quoted(line);
  if (!name || !take(line, ',')) return std::nullopt;
  auto size = number<std::uint64_t>(line);
  if (!size || !only_spaces_left(line)) return std::nullopt;
  return StoredFile{std::string(*name), *size};
}

Identity parse_identity(const std::vector<std::string>& info_lines) {
  Identity id;
  std::vector<std::string> plain;
  for (const auto& raw : info_lines) {
    std::string_view line = raw;
    skip_spaces(line);
    if (to_upper(line.substr(0, 9)) == "REVISION:") {
      line.remove_prefix(9);
      skip_spaces(line);
      id.revision = std::string(line);
    } else if (!line.empty()) {
      plain.emplace_back(line);
    }
  }
  if (!plain.empty()) id.manufacturer = plain[0];
  if (plain.size() > 1) id.model = plain[1];
  return id;
}

std::string parse_revision_line(std::string_view line) {
  skip_spaces(line);
  if (!line.empty() && line.front() == '+') {
    auto colon = line.find(':');
    if (colon != std::string_view::npos) line.remove_prefix(colon + 1);
  }
  skip_spaces(line);
  while (!line.empty() && (line.back() == ' ' || line.back() == '"'))
    line.remove_suffix(1);
  while (!line.empty() && line.front() == '"')
    line.remove_prefix(1);
  return std::string(line);
}

bool is_placeholder_revision(std::string_view revision) {
  if (revision.empty()) return true;
  auto underscore = revision.rfind('_');
  if (underscore == std::string_view::npos) return false;
  auto sub = revision.substr(underscore + 1);
  return !sub.empty() && std::all_of(sub.begin(), sub.end(), [](char c) { return c == '0' || c == '.'; });
}

std::optional<std::string> quote_argument(std::string_view text) {
  for (unsigned char c : text)
    if (c == '"' || c < 0x20 || c == 0x7f) return std::nullopt;
  return "\"" + std::string(text) + "\"";
}

} // namespace dfota::at
