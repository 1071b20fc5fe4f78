#include "at/requests.hpp"

#include "at/responses.hpp"
#include "core/text.hpp"

namespace dfota::at {

namespace {

bool is_write(const CommandLine& command, std::string_view name) {
  return command.name == name && command.form == CommandForm::write && !command.arguments.empty();
}

} // namespace

std::optional<std::string> FotaDownload::format() const {
  switch (source) {
  case Source::com: {
    std::string line = "AT+QFOTADL=\"COM\"";
    if (size) line += "," + std::to_string(*size);
    if (size && timeout_s) line += "," + std::to_string(*timeout_s);
    return line;
  }
  case Source::file: return "AT+QFOTADL=\"FILE:" + std::to_string(size.value_or(0)) + "\"";
  case Source::url:
  case Source::local: {
    auto quoted = quote_argument(location);
    if (!quoted) return std::nullopt;
    return "AT+QFOTADL=" + *quoted;
  }
  }
  return std::nullopt;
}

std::optional<FotaDownload> FotaDownload::parse(const CommandLine& command) {
  if (!is_write(command, "+QFOTADL")) return std::nullopt;
  const std::string target(trim(command.arguments[0].text));
  const std::string key = to_upper(target);
  FotaDownload request;
  if (key == "COM") {
    request.source = Source::com;
    if (command.arguments.size() > 1) {
      request.size = parse_whole_number(command.arguments[1].text);
      if (!request.size) return std::nullopt;
    }
    if (command.arguments.size() > 2) {
      request.timeout_s = parse_whole_number(command.arguments[2].text);
      if (!request.timeout_s) return std::nullopt;
    }
    return request;
  }
  if (key.rfind("FILE:", 0) == 0) {
    request.source = Source::file;
    request.size = parse_whole_number(std::string_view(target).substr(5));
    if (!request.size) return std::nullopt;
    return request;
  }
  request.source = key.find("://") != std::string::npos ? Source::url : Source::local;
  request.location = target;
  return request;
}

std::optional<std::string> FileUpload::format() const {
  auto quoted = quote_argument(name);
  if (!quoted) return std::nullopt;
  return "AT+QFUPL=" + *quoted + "," + std::to_string(size) + "," + std::to_string(timeout_s) + (ack ? ",1" : "");
}

std::optional<FileUpload> FileUpload::parse(const CommandLine& command) {
  if (!is_write(command, "+QFUPL")) return std::nullopt;
  FileUpload request;
  request.name = command.arguments[0].text;
  auto number_at = [&](std::size_t index, std::uint64_t fallback) -> std::optional<std::uint64_t> {
    return index < command.arguments.size() ? parse_whole_number(command.arguments[index].text) : fallback;
  };
  const auto size = number_at(1, kDefaultSize);
  const auto timeout = number_at(2, kDefaultTimeoutS);
  const auto ack = number_at(3, 0);
  if (!size || !timeout || !ack || *ack > 1) return std::nullopt;
  request.size = *size;
  request.timeout_s = *timeout;
  request.ack = *ack == 1;
  return request;
}

std::optional<std::string> format_file_delete(std::string_view name) {
  auto quoted = quote_argument(name);
  if (!quoted) return std::nullopt;
  return "AT+QFDEL=" + *quoted;
}

std::optional<std::string> format_file_list(std::string_view pattern) {
  auto quoted = quote_argument(pattern);
  if (!quoted) return std::nullopt;
  return "AT+QFLST=" + *quoted;
}

const char* storage_prefix(Storage storage) { return storage == Storage::sd ? "SD:" : ""; }

std::string format_free_space_query(Storage storage) {
  return storage == Storage::sd ? "AT+QFLDS=\"SD\"" : "AT+QFLDS=\"UFS\"";
}

std::string format_fota_cid_query() { return "AT+QCFG=\"fota/cid\""; }
std::string format_fota_cid_set(int cid) { return "AT+QCFG=\"fota/cid\"," + std::to_string(cid); }
std::string format_pdp_context_query(int cid) { return "AT+QICSGP=" + std::to_string(cid); }
std::optional<std::string> format_pdp_context_set(int cid, std::string_view apn) {
  auto quoted = quote_argument(apn);
  if (!quoted) return std::nullopt;
  return "AT+QICSGP=" + std::to_string(cid) + ",1," + *quoted + ",\"\",\"\",1";
}

std::string format_flow_control_set(PortKind port, bool on) {
  const char* value = on ? "2,2" : "0,0";
  return port == PortKind::uart ? std::string("AT+IFC=") + value : std::string("AT+QCFG=\"usbifc\",") + value;
}

std::string format_flow_control_query(PortKind port) {
  return port == PortKind::uart ? "AT+IFC?" : "AT+QCFG=\"usbifc\"";
}

} // namespace dfota::at
