#include "package/inspector.hpp"

#include "delta/engine.hpp"
#include "firmware/firmware.hpp"
#include "package/package_reader.hpp"
#include "package/package_signature.hpp"

namespace dfota::package {

namespace fs = std::filesystem;

const char* to_string(Layout layout) {
  switch (layout) {
  case Layout::dfota: return "dfota";
  case Layout::android_recovery: return "android-recovery";
  case Layout::android_ab: return "android-ab";
  case Layout::zip: return "zip";
  case Layout::opaque: return "opaque";
  }
  return "?";
}

const char* describe(Layout layout) {
  switch (layout) {
  case Layout::dfota: return "dfota delta package";
  case Layout::android_recovery: return "Android recovery update package (update.zip)";
  case Layout::android_ab: return "Android A/B OTA package (payload.bin)";
  case Layout::zip: return "zip archive of unknown layout";
  case Layout::opaque: return "opaque vendor package (not a zip; e.g. an ASR or Unisoc .bin/.pack)";
  }
  return "?";
}

namespace {

// key=value lines, as in META-INF/com/android/metadata and payload_properties.txt.
void add_properties(const std::string& prefix, const Bytes& text,
                    std::vector<std::pair<std::string, std::string>>& facts) {
  std::string_view rest(reinterpret_cast<const char*>(text.data()), text.size());
  int kept = 0;
  while (!rest.empty() && kept < 64) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    facts.emplace_back(prefix + std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
    ++kept;
  }
}

std::uint64_t big_endian(const Bytes& b, std::size_t at, std::size_t width) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i)
    v = v << 8 | b[at + i];
  return v;
}

void describe_payload_bin(const ZipReader& zip, std::vector<std::pair<std::string, std::string>>& facts) {
  auto reader = zip.open_entry("payload.bin");
  if (!reader) return;
  Bytes head(24);
  if (!read_exact(**reader, head)) {
    facts.emplace_back("payload.bin", "shorter than its header");
    return;
  }
  if (head[0] != 'C' || head[1] != 'r' || head[2] != 'A' || head[3] != 'U') {
    facts.emplace_back("payload.bin", "no CrAU magic");
    return;
  }
  facts.emplace_back("payload.version", std::to_string(big_endian(head, 4, 8)));
  facts.emplace_back("payload.manifest_size", std::to_string(big_endian(head, 12, 8)));
  if (big_endian(head, 4, 8) >= 2)
    facts.emplace_back("payload.metadata_signature_size", std::to_string(big_endian(head, 20, 4)));
}

} // namespace

Expected<bool> looks_like_zip(const fs::path& path) {
  auto in = FdReader::open(path.string());
  if (!in) return in.error();
  std::uint8_t head[4] = {};
  std::size_t held = 0;
  while (held < sizeof head) {
    auto got = (*in)->read(std::span<std::uint8_t>(head).subspan(held));
    if (!got) return got.error();
    if (*got == 0) break;
    held += *got;
  }
  return held == 4 && head[0] == 'P' && head[1] == 'K' &&
         ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
}

namespace {

// Reads what `payload` states about its form into `forms`: only its
// header is read, and a payload that cannot be read is noted, not failed.
void describe_payload(const ZipReader& zip, const Payload& payload,
                      std::map<std::string, std::vector<delta::PayloadFact>>& forms) {
  const delta::Engine* engine = delta::find_engine(payload.engine);
  if (engine == nullptr) return;
  auto reader = zip.open_entry(payload.path);
  if (!reader) {
    forms[payload.path] = {{"unreadable", reader.error().message()}};
    return;
  }
  auto facts = engine->describe_payload(**reader);
  if (!facts)
    forms[payload.path] = {{"unreadable", facts.error().message()}};
  else if (!facts->empty())
    forms[payload.path] = std::move(*facts);
}

} // namespace

Expected<Inspection> inspect_layout(const fs::path& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) { // a missing file fails below as it always did
    if (!fs::is_regular_file(path, ec))
      return make_error(CoreErrc::invalid_input, path.string() + ": not a regular file");
    if (fs::file_size(path, ec) == 0) return make_error(PackageErrc::empty, path.string() + ": empty file");
  }
  auto zip_like = looks_like_zip(path);
  if (zip_like && !*zip_like) {
    Inspection result;
    result.path = path;
    result.layout = Layout::opaque;
    return result;
  }
  auto zip = ZipReader::open(path);
  if (!zip) return zip.error();
  Inspection result;
  result.path = path;
  result.entries = zip->entries();

  if (zip->find(kManifestEntry)) {
    auto opened = open_package(path);
    if (!opened) return opened.error();
    result.layout = Layout::dfota;
    result.manifest = std::move(opened->manifest);
    for (const PartitionEntry& partition : result.manifest->partitions) {
      if (partition.payload) describe_payload(opened->zip, *partition.payload, result.payload_forms);
      for (const TreeFile& file : partition.files) {
        if (file.payload) describe_payload(opened->zip, *file.payload, result.payload_forms);
      }
    }
    result.has_signature = opened->zip.find(kSignatureEntry) != nullptr;
    if (auto signature = read_signature(opened->zip))
      result.signature = std::move(*signature);
    else
      result.signature_problem = signature.error().message();
    return result;
  }
  if (zip->find("payload.bin")) {
    result.layout = Layout::android_ab;
    describe_payload_bin(*zip, result.facts);
    if (auto props = zip->read_entry("payload_properties.txt", 64 << 10))
      add_properties("properties.", *props, result.facts);
  } else if (zip->find("META-INF/com/google/android/update-binary") ||
             zip->find("META-INF/com/google/android/updater-script")) {
    result.layout = Layout::android_recovery;
  }
  if (auto metadata = zip->read_entry("META-INF/com/android/metadata", 64 << 10)) {
    add_properties("metadata.", *metadata, result.facts);
    if (result.layout == Layout::zip) result.layout = Layout::android_recovery;
  }
  return result;
}

Expected<Inspection> inspect_package(const fs::path& path) {
  auto result = inspect_layout(path);
  if (!result) return result.error();
  auto digests = firmware::digest_file(path);
  if (!digests) return digests.error();
  result->file = *digests;
  return result;
}

} // namespace dfota::package
