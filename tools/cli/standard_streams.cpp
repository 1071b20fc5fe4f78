#include "cli/standard_streams.hpp"

#include <cerrno>
#include <fstream>
#include <unistd.h>

namespace dfota::cli {

Expected<StandardStreamFile> StandardStreamFile::from_standard_input() {
  auto dir = TempDir::create(system_temp_directory(), "dfota-stdin-");
  if (!dir) return dir.error();
  std::filesystem::path path = dir->path() / "standard-input";
  auto file = OutputFile::create(path);
  if (!file) return file.error();
  std::vector<std::uint8_t> buffer(1 << 16);
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return system_error("reading standard input", errno);
    }
    if (auto ok = file->writer().write(ByteSpan(buffer.data(), static_cast<std::size_t>(n))); !ok) return ok.error();
  }
  if (auto ok = file->commit(); !ok) return ok.error();
  return StandardStreamFile(std::move(*dir), std::move(path));
}

Expected<StandardStreamFile> StandardStreamFile::for_standard_output() {
  auto dir = TempDir::create(system_temp_directory(), "dfota-stdout-");
  if (!dir) return dir.error();
  std::filesystem::path path = dir->path() / "standard-output";
  return StandardStreamFile(std::move(*dir), std::move(path));
}

Expected<std::string> path_to_read(const std::string& argument, std::optional<StandardStreamFile>& standard_input) {
  if (argument != "-") return argument;
  if (!standard_input) {
    auto copied = StandardStreamFile::from_standard_input();
    if (!copied) return copied.error();
    standard_input.emplace(std::move(*copied));
  }
  return standard_input->path().string();
}

Status StandardStreamFile::copy_to(std::ostream& out) const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return make_error(CoreErrc::io_error, "cannot read " + path_.string());
  out << in.rdbuf();
  out.flush();
  if (!out) return make_error(CoreErrc::io_error, "cannot write standard output");
  return {};
}

} // namespace dfota::cli
