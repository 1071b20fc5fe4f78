// The DFOTA commands a host sends, as types: each formats the command line a
// host writes and parses the one a module reads (at::CommandLine), so that
// the uploader and the simulator cannot disagree about the syntax. Forms and
// defaults are the guides' (../shared/reference): AT+QFOTADL="COM",345200,5;
// AT+QFOTADL="FILE:4884688"; AT+QFOTADL="ftp://...", "http(s)://..." or a
// file in the module's store; AT+QFUPL=<name>[,<size>[,<timeout>[,<ackmode>]]].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "at/command_line.hpp"
#include "transport/transport.hpp"

namespace dfota::at {

// AT+QFOTADL=... : where the module takes its package from.
struct FotaDownload {
  enum class Source {
    com,  // "COM"[,<size>[,<timeout>]]: the package follows in data mode
    file, // "FILE:<length>": the package follows after OK
    url,  // "ftp://", "http://", "https://": the module downloads it
    local // a path in the module's file store
  };
  Source source = Source::com;
  std::optional<std::uint64_t> size;      // com: <fotasize>; file: <length> (always set)
  std::optional<std::uint64_t> timeout_s; // com: idle time before data mode ends
  std::string location;                   // url or local path

  // The command line; nothing when `location` cannot be quoted (a double
  // quote or a control character).
  std::optional<std::string> format() const;
  // What a module reads from AT+QFOTADL's write form; nothing for another
  // command or form, or a malformed one ("FILE:" without a whole number).
  // Spaces inside the quotes are ignored, as the UGxx guide's example has
  // them.
  static std::optional<FotaDownload> parse(const CommandLine& command);
};

// AT+QFUPL=<name>[,<size>[,<timeout>[,<ackmode>]]]: a file into the store.
struct FileUpload {
  static constexpr std::uint64_t kDefaultSize = 10240; // the guides' defaults
  static constexpr std::uint64_t kDefaultTimeoutS = 5;
  std::string name;
  std::uint64_t size = kDefaultSize;
  std::uint64_t timeout_s = kDefaultTimeoutS;
  bool ack = false; // the module sends 'A' after every 1024 bytes

  std::optional<std::string> format() const;
  // Nothing for another command or form, or numbers that are not whole
  // numbers or an <ackmode> other than 0 or 1; the range of <timeout> is the
  // module's to check (+CME ERROR: 425).
  static std::optional<FileUpload> parse(const CommandLine& command);
};

// AT+QFDEL=<name> ("*" for every file) and AT+QFLST[=<pattern>].
std::optional<std::string> format_file_delete(std::string_view name);
std::optional<std::string> format_file_list(std::string_view pattern);
// Where AT+QFUPL puts a file: the user file system, or the SD card (EC2x:
// "SD:<name>", read by AT+QFOTADL as /media/card/<name>).
enum class Storage { ufs, sd };
// The prefix of a file name in `storage` for AT+QFUPL/QFLST/QFDEL: "" (UFS,
// the default) or "SD:".
const char* storage_prefix(Storage storage);
// AT+QFLDS="UFS" or AT+QFLDS="SD": free and total bytes of the store.
std::string format_free_space_query(Storage storage = Storage::ufs);

// AT+QCFG="fota/cid"[,<cid>]: the PDP context the module downloads over;
// AT+QICSGP=<cid>[,1,"<apn>","","",1]: that context's APN. The set forms are
// nothing when the APN cannot be quoted.
std::string format_fota_cid_query();
std::string format_fota_cid_set(int cid);
std::string format_pdp_context_query(int cid);
std::optional<std::string> format_pdp_context_set(int cid, std::string_view apn);

// Hardware flow control is set per kind of port (EC200T guide): AT+IFC on a
// UART, AT+QCFG="usbifc" on a USB AT port.
using transport::PortKind;
// AT+IFC=2,2 or AT+QCFG="usbifc",2,2: RTS/CTS on (off: 0,0).
std::string format_flow_control_set(PortKind port, bool on);
// AT+IFC? or AT+QCFG="usbifc": the setting read back.
std::string format_flow_control_query(PortKind port);

} // namespace dfota::at
