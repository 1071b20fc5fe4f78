#include "upload/methods/data_transfer.hpp"

#include <algorithm>

#include "at/responses.hpp"
#include "core/hash.hpp"

namespace dfota::upload {

using at::LineKind;
using transport::Duration;
using transport::TimePoint;

namespace {

double seconds_between(TimePoint a, TimePoint b) { return std::chrono::duration<double>(b - a).count(); }

Status wait_ack(Session& s);

} // namespace

// FILE mode without flow control: bytes per second the host keeps to (95 %
// of the family's limit), or 0 for as fast as the port takes them.
double file_mode_pace(const Session& s) {
  if (s.options.serial.flow_control == transport::FlowControl::rtscts || !s.profile->no_flow_control_bytes_per_s)
    return 0;
  return static_cast<double>(*s.profile->no_flow_control_bytes_per_s) * 0.95;
}

// Sends the package in data mode. `ack_every_kib`: wait for the module's
// 'A' after every 1024 bytes (AT+QFUPL ack mode).
Status send_package(Session& s, double bytes_per_second, std::size_t chunk, bool ack_every_kib) {
  s.step("sending " + std::to_string(s.bytes().size()) + " bytes");
  const TimePoint started = s.clock.now();
  TimePoint last_event{};
  std::size_t sent = 0;
  const std::size_t piece = ack_every_kib ? 1024 : chunk;
  while (sent < s.bytes().size()) {
    const std::size_t n = std::min(piece, s.bytes().size() - sent);
    if (bytes_per_second > 0) {
      const auto due = started + std::chrono::duration_cast<TimePoint::duration>(
                                     std::chrono::duration<double>(static_cast<double>(sent) / bytes_per_second));
      s.clock.sleep_until(due);
    }
    auto ok = s.channel->write_data(ByteSpan(s.bytes()).subspan(sent, n), s.clock.deadline_in(Duration(30000)));
    if (!ok) return s.fail(UploadErrc::transfer_failed, "sending the package: " + ok.error().message());
    sent += n;
    if (ack_every_kib && n == 1024) {
      if (auto acked = wait_ack(s); !acked) return acked;
    }
    const TimePoint now = s.clock.now();
    if (now - last_event >= Duration(200) || sent == s.bytes().size()) {
      last_event = now;
      s.emit({UploadEvent::Kind::transfer, "", sent, s.bytes().size(), seconds_between(started, now)});
    }
  }
  if (auto ok = s.port->drain(s.clock.deadline_in(Duration(600000))); !ok) return ok;
  s.report.upload_bytes = sent;
  s.report.upload_seconds = seconds_between(started, s.clock.now());
  return {};
}

namespace {
Status wait_ack(Session& s) {
  const TimePoint deadline = s.clock.deadline_in(Duration(10000));
  for (;;) {
    std::uint8_t byte = 0;
    auto n = s.channel->read_data({&byte, 1}, deadline);
    if (!n) return s.fail(UploadErrc::transfer_failed, "no ACK from the module: " + n.error().message());
    if (*n == 1 && byte == 'A') return {};
  }
}
} // namespace

// Compares the module's "+<cmd>: <size>,<checksum>" with the package.
Status check_report(Session& s, const at::Response& r, const char* prefix) {
  std::optional<at::UploadReport> got;
  for (const auto& line : r.info)
    if (auto parsed = at::parse_upload_report(line, prefix)) got = parsed;
  if (!got) return s.fail(UploadErrc::transfer_failed, std::string("no ") + prefix + " report after the upload");
  if (auto mismatch = report_mismatch(s, *got)) return s.fail(UploadErrc::transfer_failed, *mismatch);
  s.step("checksum " + checksum_hex(s.package->checksum) + " confirmed by the module");
  return {};
}

std::optional<std::string> report_mismatch(Session& s, const at::UploadReport& got) {
  const std::uint16_t ours = s.package->checksum;
  if (got.size == s.bytes().size() && got.checksum == ours) return std::nullopt;
  if (got.size == s.bytes().size()) s.report.error_rule = "checksum";
  return "the module received " + std::to_string(got.size) + " bytes with checksum " + checksum_hex(got.checksum) +
         ", the package has " + std::to_string(s.bytes().size()) + " bytes with checksum " + checksum_hex(ours);
}

Status expect_connect(Session& s, const Expected<at::Response>& r, const std::string& what) {
  if (!r) return r.error();
  if (r->final.kind == LineKind::connect) return {};
  if (r->final.kind == LineKind::cme_error)
    return s.fail(UploadErrc::transfer_failed, what + " refused", r->final.code, "file");
  return s.fail(UploadErrc::transfer_failed, what + " answered " + r->final.text);
}

} // namespace dfota::upload
