#include "support/test_support.hpp"

#include "core/subprocess.hpp"

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/stat.h>

#include "cli/main_command.hpp"
#include "core/files.hpp"
#include "package/zip_container.hpp"

namespace dfota::test {

fs::path source_dir() { return DFOTA_SOURCE_DIR; }
fs::path sample_firmware(const std::string& version) { return source_dir() / "samples" / "firmware" / version; }

ScratchDir::ScratchDir() {
  auto dir = TempDir::create(system_temp_directory(), "dfota-test-");
  if (!dir) throw std::runtime_error(dir.error().message());
  path_ = dir->release();
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  // Make everything writable again so that read-only test trees can go.
  for (auto it = fs::recursive_directory_iterator(path_, ec); !ec && it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0755);
  }
  fs::remove_all(path_, ec);
}

Bytes random_bytes(std::size_t size, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(size);
  for (auto& b : out)
    b = static_cast<std::uint8_t>(rng());
  return out;
}

Bytes mutate(const Bytes& base, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out = base;
  if (out.empty()) return Bytes{0x42};
  for (int i = 0; i < 16; ++i)
    out[rng() % out.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
  const std::size_t at = rng() % out.size();
  Bytes insert = random_bytes(64 + rng() % 512, seed + 1);
  out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), insert.begin(), insert.end());
  const std::size_t del = rng() % out.size();
  out.erase(out.begin() + static_cast<std::ptrdiff_t>(del),
            out.begin() + static_cast<std::ptrdiff_t>(std::min(out.size(), del + 300)));
  return out;
}

void write_file(const fs::path& path, ByteSpan bytes, unsigned mode) {
  fs::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  f.close();
  ::chmod(path.c_str(), mode);
}

void write_text(const fs::path& path, const std::string& text, unsigned mode) {
  write_file(path, as_bytes(text), mode);
}

Bytes read_bytes(const fs::path& path) {
  auto bytes = read_file(path.string(), UINT64_MAX);
  if (!bytes) throw std::runtime_error(bytes.error().message());
  return *bytes;
}

std::string read_text(const fs::path& path) {
  Bytes b = read_bytes(path);
  return std::string(b.begin(), b.end());
}

std::string read_port(transport::Transport& port, std::size_t want, transport::Clock& clock,
                      transport::Duration within) {
  std::string out;
  const auto deadline = clock.deadline_in(within);
  while (out.size() < want) {
    std::uint8_t buffer[256];
    auto n = port.read_some(std::span<std::uint8_t>(buffer, std::min(sizeof buffer, want - out.size())), deadline);
    if (!n) break;
    out.append(reinterpret_cast<char*>(buffer), *n);
  }
  return out;
}

void write_firmware_json(const fs::path& dir, const std::string& project, const std::string& version) {
  write_text(dir / "firmware.json", "{\"project\": \"" + project + "\", \"version\": \"" + version + "\"}\n");
}

bool same_tree(const fs::path& a, const fs::path& b, std::string* difference) {
  auto fail = [&](const std::string& what) {
    if (difference) *difference = what;
    return false;
  };
  std::vector<std::string> left = list_all(a), right = list_all(b);
  if (left != right) return fail("different file lists");
  for (const auto& rel : left) {
    struct stat sa {
    }, sb{};
    ::lstat((a / rel).c_str(), &sa);
    ::lstat((b / rel).c_str(), &sb);
    if (sa.st_mode != sb.st_mode) return fail(rel + ": mode differs");
    if (S_ISLNK(sa.st_mode)) {
      if (fs::read_symlink(a / rel) != fs::read_symlink(b / rel)) return fail(rel + ": link target differs");
    } else if (S_ISREG(sa.st_mode)) {
      if (read_bytes(a / rel) != read_bytes(b / rel)) return fail(rel + ": content differs");
    }
  }
  return true;
}

std::vector<std::string> list_all(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); ++it) {
    out.push_back(fs::relative(it->path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void rewrite_zip(const fs::path& from, const fs::path& to, const EntryEdit& edit) {
  auto reader = package::ZipReader::open(from);
  if (!reader) throw std::runtime_error(reader.error().message());
  auto writer = package::ZipWriter::create(to);
  if (!writer) throw std::runtime_error(writer.error().message());
  for (const auto& entry : reader->entries()) {
    auto bytes = reader->read_entry(entry.name, UINT64_MAX);
    if (!bytes) throw std::runtime_error(bytes.error().message());
    std::string name = entry.name;
    if (!edit(name, *bytes)) continue;
    if (auto ok = writer->add_bytes(name, std::move(*bytes)); !ok) throw std::runtime_error(ok.error().message());
  }
  if (auto ok = writer->close(); !ok) throw std::runtime_error(ok.error().message());
}

CliResult run_cli(const std::vector<std::string>& args) {
  std::vector<std::string> full{"dfota"};
  full.insert(full.end(), args.begin(), args.end());
  std::ostringstream out, err;
  CliResult result;
  result.exit_code = cli::Main(full, out, err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

void expect_golden(const std::string& golden_name, const std::string& actual) {
  const fs::path path = source_dir() / "tests" / "golden" / golden_name;
  const char* update = std::getenv("DFOTA_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    write_text(path, actual);
    return;
  }
  ASSERT_TRUE(fs::exists(path)) << "missing golden file " << path << " (run with DFOTA_UPDATE_GOLDEN=1)";
  EXPECT_EQ(read_text(path), actual) << "output differs from " << path;
}

std::string junit_schema_problems(const fs::path& path) {
  auto result = run_program(
      {"xmllint", "--noout", "--schema", std::string(DFOTA_SOURCE_DIR) + "/tests/formats/junit.xsd", path.string()});
  if (!result) return "xmllint cannot run: " + result.error().message();
  return result->exit_status == 0 ? "" : result->error_output;
}

fs::path make_field_version(const fs::path& dir, const std::string& name, const std::string& version,
                            std::uint32_t seed) {
  const fs::path root = dir / name;
  fs::copy(sample_firmware("v1"), root, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  write_firmware_json(root, "EC25EFA", version);
  write_file(root / "modem.img", mutate(read_bytes(root / "modem.img"), seed));
  return root;
}

} // namespace dfota::test
