#include "sim/replay/recording.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "at/command_line.hpp"
#include "at/lines.hpp"
#include "at/requests.hpp"
#include "report/session_log.hpp"
#include "sim/errors.hpp"

namespace dfota::sim {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// The data phase a command opens, if any, and the module's line that opens
// it: CONNECT (AT+QFUPL, COM mode), or the FILESTART report after OK
// (AT+QFOTADL="FILE:<length>", EC200T guide).
struct DataPhase {
  std::uint64_t size = 0;
  bool ack = false;
  bool after_file_start = false;
};

std::optional<DataPhase> data_phase_of(std::string_view command) {
  auto line = at::parse_command_line(command);
  if (!line) return std::nullopt;
  if (auto upload = at::FileUpload::parse(*line)) return DataPhase{upload->size, upload->ack, false};
  if (auto download = at::FotaDownload::parse(*line)) {
    using Source = at::FotaDownload::Source;
    if (download->source == Source::com && download->size) return DataPhase{*download->size, false, false};
    if (download->source == Source::file && download->size) return DataPhase{*download->size, false, true};
  }
  return std::nullopt;
}

// "(noise: 40 bytes)" or "(noise: 5000 bytes without an end of line)".
std::optional<ReplayStep> noise_step(std::string_view text) {
  if (!starts_with(text, "(noise: ")) return std::nullopt;
  std::uint64_t count = 0;
  std::size_t i = 8;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && count < (1u << 20))
    count = count * 10 + static_cast<std::uint64_t>(text[i++] - '0');
  ReplayStep step;
  step.kind = text.find("without an end of line") != std::string_view::npos ? ReplayStep::Kind::send_bytes
                                                                            : ReplayStep::Kind::send_line;
  // The bytes themselves are not kept; bytes no AT line has stand in.
  step.text.assign(static_cast<std::size_t>(count), '\xFE');
  return step;
}

} // namespace

Expected<Recording> read_recording(std::istream& log, std::string_view port) {
  std::vector<std::pair<int, report::SessionLogLine>> lines;
  std::map<std::string, int> commands_per_port;
  std::string text;
  int number = 0;
  bool simulator_events = false;
  while (std::getline(log, text)) {
    ++number;
    auto parsed = report::parse_session_log_line(text);
    if (!parsed) continue;
    if (parsed->marker == '*') simulator_events = true;
    if (parsed->port.empty()) continue;
    if (parsed->marker == '>')
      ++commands_per_port[parsed->port];
    else
      commands_per_port.try_emplace(parsed->port, 0);
    lines.emplace_back(number, std::move(*parsed));
  }
  if (simulator_events)
    return make_error(SimErrc::bad_recording,
                      "this is a simulator's log (it has '*' events); replay what dfota upload --log-file recorded");
  if (commands_per_port.empty()) return make_error(SimErrc::bad_recording, "no line of a dfota session log in it");
  Recording recording;
  if (port.empty()) {
    if (commands_per_port.size() > 1) {
      std::string names;
      for (const auto& [name, count] : commands_per_port)
        names += (names.empty() ? "" : ", ") + name;
      return make_error(SimErrc::bad_recording,
                        "it records several ports (" + names + "); choose one with --replay-port");
    }
    recording.port = commands_per_port.begin()->first;
  } else {
    recording.port = std::string(port);
    if (!commands_per_port.count(recording.port))
      return make_error(SimErrc::bad_recording, "it has no line of port " + recording.port);
  }
  if (commands_per_port[recording.port] == 0)
    return make_error(SimErrc::bad_recording, "it has no command sent to " + recording.port);

  std::optional<std::int64_t> previous_time;
  std::optional<DataPhase> pending; // a data phase the last command opens with its final answer
  for (auto& [line_number, line] : lines) {
    if (line.port != recording.port) continue;
    const std::string bytes = report::log_text_bytes(line.text);
    std::vector<ReplayStep> made;
    if (line.marker == '>') {
      if (starts_with(bytes, "(")) continue; // the host's own remarks ("(resynchronising ...)")
      ReplayStep step;
      step.kind = bytes == "+++" ? ReplayStep::Kind::expect_escape : ReplayStep::Kind::expect_command;
      step.text = bytes;
      pending = step.kind == ReplayStep::Kind::expect_command ? data_phase_of(bytes) : std::nullopt;
      made.push_back(std::move(step));
    } else if (line.marker == '<') {
      if (auto noise = noise_step(bytes)) {
        made.push_back(std::move(*noise));
      } else {
        ReplayStep step;
        step.text = starts_with(bytes, "(out of step) ") ? bytes.substr(14) : bytes;
        made.push_back(step);
        if (pending) {
          const bool opens =
              pending->after_file_start ? step.text.find("\"FILESTART\"") != std::string::npos : step.text == "CONNECT";
          if (opens) {
            ReplayStep data;
            data.kind = ReplayStep::Kind::receive_data;
            data.size = pending->size;
            data.ack = pending->ack;
            made.push_back(std::move(data));
          }
          // A refusal ends the command; FILE mode's OK comes before its report.
          const at::LineKind kind = at::classify_line(step.text, "").kind;
          const bool final = at::is_final(kind);
          const bool refused = final && kind != at::LineKind::ok && kind != at::LineKind::connect;
          if (opens || refused || (!pending->after_file_start && final)) pending.reset();
        }
      }
    } else if (line.marker == '-' && (starts_with(bytes, "port gone") || starts_with(bytes, "port back"))) {
      ReplayStep step;
      step.kind = starts_with(bytes, "port gone") ? ReplayStep::Kind::port_gone : ReplayStep::Kind::port_back;
      step.text = bytes;
      made.push_back(std::move(step));
    } else {
      continue;
    }
    const std::int64_t gap = previous_time ? std::max<std::int64_t>(0, line.time_ms - *previous_time) : 0;
    previous_time = line.time_ms;
    for (std::size_t i = 0; i < made.size(); ++i) {
      made[i].after = transport::Duration(i == 0 ? gap : 0);
      made[i].log_line = line_number;
      recording.steps.push_back(std::move(made[i]));
    }
  }
  return recording;
}

bool command_matches(std::string_view recorded, std::string_view sent) {
  auto upper_at = [](std::string_view text) {
    std::string out(text);
    for (std::size_t i = 0; i < std::min<std::size_t>(2, out.size()); ++i)
      out[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[i])));
    return out;
  };
  const std::string want = upper_at(recorded);
  const std::string got = upper_at(sent);
  // "***" in the recording matches any text (a password the log hid).
  std::size_t w = 0;
  std::size_t g = 0;
  std::size_t star_w = std::string::npos;
  std::size_t star_g = 0;
  while (g < got.size()) {
    if (want.compare(w, 3, "***") == 0) {
      star_w = w += 3;
      star_g = g;
    } else if (w < want.size() && want[w] == got[g]) {
      ++w;
      ++g;
    } else if (star_w != std::string::npos) {
      w = star_w;
      g = ++star_g;
    } else {
      return false;
    }
  }
  while (want.compare(w, 3, "***") == 0)
    w += 3;
  return w == want.size();
}

} // namespace dfota::sim
