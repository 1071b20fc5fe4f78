// What the upload methods share: sending the package in data mode (paced,
// in chunks, or 1 KiB at a time with the module's 'A' after each), checking
// the module's size and checksum report against the package, and reading
// CONNECT.
#pragma once

#include "upload/session.hpp"

namespace dfota::upload {

// FILE mode without flow control: bytes per second the host keeps to (95 %
// of the family's limit), or 0 for as fast as the port takes them.
double file_mode_pace(const Session& s);
// Sends the package in data mode, `chunk` bytes at a time, at most
// `bytes_per_second` (0: as fast as the port takes them). `ack_every_kib`:
// wait for the module's 'A' after every 1024 bytes (AT+QFUPL ack mode).
// Fills the report's upload bytes and seconds.
Status send_package(Session& s, double bytes_per_second, std::size_t chunk, bool ack_every_kib);
// Compares the module's "+<prefix>: <size>,<checksum>" with the package.
Status check_report(Session& s, const at::Response& r, const char* prefix);
// What differs between the module's report `got` and the package ("the
// module received ... the package has ..."), or nullopt when they agree.
// Sets report.error_rule to "checksum" when only the checksum differs.
std::optional<std::string> report_mismatch(Session& s, const at::UploadReport& got);
// Succeeds on CONNECT; a refusal names the module's code.
Status expect_connect(Session& s, const Expected<at::Response>& r, const std::string& what);

} // namespace dfota::upload
