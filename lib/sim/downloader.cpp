#include "sim/downloader.hpp"

#include <cstdio>
#include <memory>

#include "core/files.hpp"
#include "profiles/url.hpp"
#include "sim/curl_library.hpp"

namespace dfota::sim {

namespace {

struct Sink {
  Writer* writer = nullptr;
  std::uint64_t bytes = 0;
  bool failed = false;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t n = size * count;
  if (!sink->writer->write(ByteSpan(reinterpret_cast<const std::uint8_t*>(data), n))) {
    sink->failed = true;
    return 0;
  }
  sink->bytes += n;
  return n;
}

int ftp_code(CURLcode rc) {
  switch (rc) {
  case CURLE_COULDNT_RESOLVE_HOST: return 604;
  case CURLE_COULDNT_CONNECT: return 605;
  case CURLE_OPERATION_TIMEDOUT: return 609;
  case CURLE_LOGIN_DENIED: return 625;
  case CURLE_REMOTE_FILE_NOT_FOUND: return 627;
  case CURLE_REMOTE_ACCESS_DENIED: return 617;
  case CURLE_FTP_CANT_GET_HOST:
  case CURLE_FTP_ACCEPT_FAILED:
  case CURLE_FTP_PORT_FAILED: return 615;
  case CURLE_RECV_ERROR:
  case CURLE_PARTIAL_FILE: return 616;
  case CURLE_WRITE_ERROR:
  case CURLE_FILESIZE_EXCEEDED: return 619;
  default: return 601;
  }
}

int http_code(CURLcode rc, long status) {
  switch (rc) {
  case CURLE_OK: return status >= 200 && status < 300 ? 0 : 723;
  case CURLE_COULDNT_RESOLVE_HOST: return 714;
  case CURLE_COULDNT_CONNECT:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION: return 716;
  case CURLE_OPERATION_TIMEDOUT: return 702;
  case CURLE_RECV_ERROR:
  case CURLE_PARTIAL_FILE: return 717;
  case CURLE_HTTP_RETURNED_ERROR: return 723;
  case CURLE_URL_MALFORMAT: return 711;
  default: return 701;
  }
}
} // namespace

DownloadResult download(const std::string& url, const std::filesystem::path& destination,
                        const profiles::Profile& profile, const profiles::Registry& registry,
                        const DownloadOptions& options) {
  const bool ftp = url.size() >= 4 && (url.compare(0, 4, "ftp:") == 0 || url.compare(0, 4, "FTP:") == 0);
  const char* scope = ftp ? "ftp" : "http";
  const int unknown = ftp ? 601 : 701;
  DownloadResult result;
  auto file = OutputFile::create(destination, 0600);
  if (!file) {
    result.code = ftp ? 619 : 701;
    result.detail = file.error().message();
    return result;
  }
  auto library = curl_library();
  if (!library) {
    result.code = unknown;
    result.detail = library.error().message();
    return result;
  }
  const CurlLibrary& lib = **library;
  std::unique_ptr<CURL, void (*)(CURL*)> curl(lib.easy_init(), lib.easy_cleanup);
  if (!curl) {
    result.code = unknown;
    result.detail = "libcurl cannot start a transfer";
    return result;
  }
  Sink sink{&file->writer()};
  // URLs from the guides start "FTP://"/"HTTP://": schemes are case-insensitive.
  std::string lowered = url;
  if (auto colon = lowered.find("://"); colon != std::string::npos)
    for (std::size_t i = 0; i < colon; ++i)
      lowered[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(lowered[i])));
  lib.easy_setopt(curl.get(), CURLOPT_URL, lowered.c_str());
  lib.easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "ftp,http,https");
  lib.easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
  lib.easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  lib.easy_setopt(curl.get(), CURLOPT_FAILONERROR, 0L);
  lib.easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  lib.easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  lib.easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.stall_timeout.count() / 1000 + 1));
  lib.easy_setopt(curl.get(), CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_size));
  lib.easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, write_body);
  lib.easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);
  if (options.ca_file) lib.easy_setopt(curl.get(), CURLOPT_CAINFO, options.ca_file->c_str());
  char message[CURL_ERROR_SIZE] = {};
  lib.easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, message);
  const CURLcode rc = lib.easy_perform(curl.get());
  long status = 0;
  lib.easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  result.code = ftp ? (rc == CURLE_OK ? 0 : ftp_code(rc)) : http_code(rc, status);
  if (sink.failed) result.code = ftp ? 619 : 729;
  result.bytes = sink.bytes;
  if (result.code != 0) {
    result.detail = profiles::redact_url(url) + ": " + (message[0] ? message : lib.easy_strerror(rc));
    if (!ftp && rc == CURLE_OK) result.detail += " (HTTP status " + std::to_string(status) + ")";
    bool listed = false;
    for (const auto* entry : registry.lookup(result.code, profile.id))
      if (entry->scope == scope && entry->applies_to(profile.id)) listed = true;
    if (!listed) result.code = unknown;
    return result;
  }
  if (auto ok = file->commit(); !ok) {
    result.code = ftp ? 619 : 729;
    result.detail = ok.error().message();
  }
  return result;
}

} // namespace dfota::sim
