// Helpers shared by the tests: scratch directories, firmware trees made on the
// fly, deterministic data, and running the command line.
#pragma once

#include <filesystem>
#include <functional>
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "transport/transport.hpp"

namespace dfota::test {

namespace fs = std::filesystem;

// The repository root and the bundled sample firmware.
fs::path source_dir();
fs::path sample_firmware(const std::string& version); // "v1" or "v2"

// A fresh directory under the system temp dir, removed at destruction.
class ScratchDir {
public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

private:
  fs::path path_;
};

// Deterministic pseudo-random bytes.
Bytes random_bytes(std::size_t size, std::uint32_t seed);
// `base` with a few scattered edits, an insertion and a deletion (a "new version").
Bytes mutate(const Bytes& base, std::uint32_t seed);

void write_file(const fs::path& path, ByteSpan bytes, unsigned mode = 0644);
void write_text(const fs::path& path, const std::string& text, unsigned mode = 0644);
Bytes read_bytes(const fs::path& path);
std::string read_text(const fs::path& path);
// Up to `want` bytes from `port`, as many as arrive within `within` on `clock`.
std::string read_port(transport::Transport& port, std::size_t want, transport::Clock& clock = transport::steady_clock(),
                      transport::Duration within = transport::Duration(2000));

// A field version for release tests: sample v1 copied to `dir/name` with its
// own version string (project EC25EFA) and a changed modem image.
fs::path make_field_version(const fs::path& dir, const std::string& name, const std::string& version,
                            std::uint32_t seed);

// Writes firmware.json with project and version.
void write_firmware_json(const fs::path& dir, const std::string& project, const std::string& version);

// True when both directory trees hold the same names, types, modes, bytes
// and link targets; `difference` says what differs first.
bool same_tree(const fs::path& a, const fs::path& b, std::string* difference = nullptr);

// Every file and directory below `dir` (relative paths), to check that nothing
// was written where it should not be.
std::vector<std::string> list_all(const fs::path& dir);

// Copies the zip at `from` to `to`, letting `edit` change each entry's name
// and bytes (return false to drop the entry); entries keep their order.
using EntryEdit = std::function<bool(std::string& name, Bytes& bytes)>;
void rewrite_zip(const fs::path& from, const fs::path& to, const EntryEdit& edit);

// "" when the file at `path` is JUnit XML of the shape tests/formats/junit.xsd
// states (checked by xmllint); otherwise xmllint's complaint.
std::string junit_schema_problems(const fs::path& path);

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs Main() in-process with args (without the program name).
CliResult run_cli(const std::vector<std::string>& args);

// When DFOTA_UPDATE_GOLDEN=1, writes `actual` to the golden file; otherwise
// expects the file to hold exactly `actual`.
void expect_golden(const std::string& golden_name, const std::string& actual);

} // namespace dfota::test
