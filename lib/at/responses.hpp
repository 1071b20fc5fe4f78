// Parsers for the answers a module gives during DFOTA, and the formatter for
// the FOTA URCs in each family's spelling. Pure functions; every parser takes
// one line as the module sent it and accepts the variants the guides print
// (spaces after commas, missing commas, HTTPPEND/HTTPEnd, hex case).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "profiles/profile.hpp"

namespace dfota::at {

// One +QIND: "FOTA" report.
enum class FotaStage {
  ftp_start,
  ftp_end, // value: <ftp_err>
  http_start,
  http_end, // value: <http_err> (HTTPEND, HTTPPEND, HTTPEnd)
  file_start,
  file_end, // value: <file_err>
  start,
  updating,    // value: percent
  downloading, // value: percent (later ASR firmware)
  end,         // value: <err>
};
const char* to_string(FotaStage stage);
bool stage_has_value(FotaStage stage);

struct FotaEvent {
  FotaStage stage = FotaStage::start;
  int value = 0;
  bool operator==(const FotaEvent&) const = default;
};

// Parses a +QIND: "FOTA" line. Nothing for other lines and for incomplete
// ones (a stage that needs a number but has none): the caller counts those
// as garbled.
std::optional<FotaEvent> parse_fota_urc(std::string_view line);

// True when the line starts like a FOTA report (complete or not).
bool looks_like_fota_urc(std::string_view line);

// The line (without CR LF) that a module of this family prints for `event`.
std::string format_fota_urc(const profiles::UrcSpelling& spelling, const FotaEvent& event);

// "+QFOTADL: 345200, b34a" or "+QFUPL: 1187,2d19" (the prefix is given).
struct UploadReport {
  std::uint64_t size = 0;
  std::uint16_t checksum = 0;
};
std::optional<UploadReport> parse_upload_report(std::string_view line, std::string_view prefix);
// The line a module prints: "+QFOTADL: 345200, b34a" (the guides put a space
// after the comma there) or "+QFUPL: 1187,2d19".
std::string format_upload_report(std::string_view prefix, const UploadReport& report, bool space_after_comma);

// "+QFLDS: <free>,<total>"
struct FreeSpace {
  std::uint64_t free = 0;
  std::uint64_t total = 0;
};
std::optional<FreeSpace> parse_free_space(std::string_view line);
std::string format_free_space(const FreeSpace& space);

// "+QFLST: "<name>",<size>"
struct StoredFile {
  std::string name;
  std::uint64_t size = 0;
};
std::optional<StoredFile> parse_file_entry(std::string_view line);
std::string format_file_entry(const StoredFile& file);

// The flow-control setting as a module reads it back: "+IFC: 2,2" (UART)
// or "+QCFG: "usbifc",2,2" (USB): <dce_by_dte>,<dte_by_dce>, 2 for RTS/CTS.
struct FlowControlSetting {
  int dce_by_dte = 0;
  int dte_by_dce = 0;
  bool hardware() const { return dce_by_dte == 2 && dte_by_dce == 2; }
  std::string text() const { return std::to_string(dce_by_dte) + "," + std::to_string(dte_by_dce); }
};
// nullopt for any other line.
std::optional<FlowControlSetting> parse_flow_control(std::string_view line);
std::string format_flow_control(bool usb, const FlowControlSetting& setting);

// The FOTA context (UGxx guide: FTP/HTTP downloads need a PDP context; its
// id is AT+QCFG="fota/cid", its APN AT+QICSGP): "+QCFG: "fota/cid",<cid>".
std::optional<int> parse_fota_cid(std::string_view line);
std::string format_fota_cid(int cid);
// "+QICSGP: <type>,"<apn>","<user>","<password>",<auth>": the APN ("" when
// none is set); nullopt for any other line.
std::optional<std::string> parse_pdp_context_apn(std::string_view line);
std::string format_pdp_context(std::string_view apn);

// What ATI prints: "Quectel" / "EC25" / "Revision: EC25EFAR06A06M4G".
struct Identity {
  std::string manufacturer;
  std::string model;
  std::string revision;
};
Identity parse_identity(const std::vector<std::string>& info_lines);
// ATI's information lines for `identity`.
std::vector<std::string> format_identity(const Identity& identity);

// "+QGMR: X" or "X" (AT+QGMR, AT+CGMR, AT+GMR) -> "X".
std::string parse_revision_line(std::string_view line);

// True for a revision a module prints right after boot before its software
// version is known ("..._00.000.00.000" or empty).
bool is_placeholder_revision(std::string_view revision);

// Quotes a string argument for a command line ("a\"b" is not allowed in AT:
// fails when the text holds a double quote or a control character).
std::optional<std::string> quote_argument(std::string_view text);

} // namespace dfota::at
