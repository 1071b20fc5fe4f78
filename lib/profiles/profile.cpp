#include "profiles/profile.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/files.hpp"

namespace dfota::profiles {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Field access that names the file and the field in every error.
class Reader {
public:
  Reader(const json& object, std::string origin, std::string where)
      : object_(&object), origin_(std::move(origin)), where_(std::move(where)) {}

  std::string path(const std::string& key) const { return where_.empty() ? key : where_ + "." + key; }
  Error missing(const std::string& key) const {
    return make_error(ProfileErrc::missing_field, origin_ + ": field \"" + path(key) + "\" is missing");
  }
  Error bad(const std::string& key, const std::string& what) const {
    return make_error(ProfileErrc::bad_value, origin_ + ": field \"" + path(key) + "\" " + what);
  }
  Expected<const json*> get(const std::string& key) const {
    auto it = object_->find(key);
    if (it == object_->end()) return missing(key);
    return &*it;
  }
  Expected<std::string> string(const std::string& key, bool allow_null = false) const {
    auto v = get(key);
    if (!v) return v.error();
    if (allow_null && (*v)->is_null()) return std::string();
    if (!(*v)->is_string()) return bad(key, "must be a string");
    return (*v)->get<std::string>();
  }
  Expected<bool> boolean(const std::string& key) const {
    auto v = get(key);
    if (!v) return v.error();
    if (!(*v)->is_boolean()) return bad(key, "must be true or false");
    return (*v)->get<bool>();
  }
  Expected<std::optional<std::uint64_t>> optional_number(const std::string& key) const {
    auto v = get(key);
    if (!v) return v.error();
    if ((*v)->is_null()) return std::optional<std::uint64_t>();
    if (!(*v)->is_number_unsigned()) return bad(key, "must be a non-negative integer or null");
    return std::optional<std::uint64_t>((*v)->get<std::uint64_t>());
  }
  Expected<std::uint64_t> number(const std::string& key) const {
    auto v = optional_number(key);
    if (!v) return v.error();
    if (!*v) return bad(key, "must be a non-negative integer");
    return **v;
  }
  Expected<std::vector<std::string>> strings(const std::string& key) const {
    auto v = get(key);
    if (!v) return v.error();
    if (!(*v)->is_array()) return bad(key, "must be an array of strings");
    std::vector<std::string> out;
    for (const auto& item : **v) {
      if (!item.is_string()) return bad(key, "must be an array of strings");
      out.push_back(item.get<std::string>());
    }
    return out;
  }
  Expected<Reader> object(const std::string& key) const {
    auto v = get(key);
    if (!v) return v.error();
    if (!(*v)->is_object()) return bad(key, "must be an object");
    return Reader(**v, origin_, path(key));
  }

private:
  const json* object_;
  std::string origin_;
  std::string where_;
};

#define DFOTA_READ(target, expr)                                                                                       \
  do {                                                                                                                 \
    auto value_ = (expr);                                                                                              \
    if (!value_) return value_.error();                                                                                \
    target = std::move(*value_);                                                                                       \
  } while (0)

Expected<json> parse_json(ByteSpan text, const std::string& origin) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) { // parse_error, and out_of_range for numbers that overflow
    return make_error(ProfileErrc::syntax, origin + ": " + e.what());
  }
}

const std::vector<std::string> kMethods{"com", "file", "qfupl", "ftp", "http", "https"};

} // namespace

std::string Profile::sd_card_path() const {
  for (const auto& path : local_paths)
    if (path == "/media/card/") return path;
  return "";
}

bool Profile::supports(const std::string& method) const {
  return std::find(methods.begin(), methods.end(), method) != methods.end();
}

std::string Profile::model_prefix_of(const std::string& text) const {
  std::string best;
  for (const auto& model : models)
    if (!model.empty() && text.rfind(model, 0) == 0 && model.size() > best.size()) best = model;
  return best;
}

const Profile* Registry::find_by_model(const std::string& text) const {
  const Profile* found = nullptr;
  std::size_t best = 0;
  for (const auto& profile : profiles_) {
    const std::size_t length = profile.model_prefix_of(text).size();
    if (length > best) {
      found = &profile;
      best = length;
    }
  }
  return found;
}

namespace {
bool in_ranges(const std::vector<std::pair<int, int>>& ranges, int code) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [code](const auto& range) { return code >= range.first && code <= range.second; });
}
} // namespace

bool Profile::module_retries(int code) const {
  return in_ranges(retry_codes, code) || in_ranges(retry_until_success, code);
}

bool Profile::retries_after(int code, int failures) const {
  if (in_ranges(retry_until_success, code)) return true;
  return in_ranges(retry_codes, code) && failures < retry_attempts;
}

Expected<Profile> parse_profile(ByteSpan text, const std::string& origin) {
  auto doc = parse_json(text, origin);
  if (!doc) return doc.error();
  if (!doc->is_object()) return make_error(ProfileErrc::bad_value, origin + ": a profile must be a JSON object");
  Reader r(*doc, origin, "");
  Profile p;
  DFOTA_READ(p.id, r.string("id"));
  DFOTA_READ(p.family, r.string("family"));
  DFOTA_READ(p.guide, r.string("guide"));
  DFOTA_READ(p.models, r.strings("models"));
  DFOTA_READ(p.methods, r.strings("methods"));
  for (const auto& m : p.methods) {
    if (std::find(kMethods.begin(), kMethods.end(), m) == kMethods.end()) {
      return r.bad("methods", "has unknown method \"" + m + "\" (com, file, qfupl, ftp, http, https)");
    }
  }
  DFOTA_READ(p.local_paths, r.strings("local_paths"));
  std::uint64_t n = 0;
  DFOTA_READ(n, r.number("local_name_max"));
  p.local_name_max = n;
  DFOTA_READ(n, r.number("upload_name_max"));
  p.upload_name_max = n;
  DFOTA_READ(p.max_package_size, r.optional_number("max_package_size"));

  Reader url(*doc, origin, "");
  DFOTA_READ(url, r.object("url"));
  DFOTA_READ(p.url.schemes, url.strings("schemes"));
  DFOTA_READ(n, url.number("max_length"));
  p.url.max_length = n;
  for (auto [key, target] :
       {std::pair{"user_max", &p.url.user_max}, std::pair{"password_max", &p.url.password_max},
        std::pair{"server_max", &p.url.server_max}, std::pair{"ftp_path_max", &p.url.ftp_path_max}}) {
    std::optional<std::uint64_t> value;
    DFOTA_READ(value, url.optional_number(key));
    if (value) *target = static_cast<std::size_t>(*value);
  }
  DFOTA_READ(p.url.ftp_root_only, url.boolean("ftp_root_only"));
  DFOTA_READ(p.url.pdp_context_check, url.boolean("pdp_context_check"));
  DFOTA_READ(p.url.not_started_note, url.string("not_started_note", true));

  Reader urc(*doc, origin, "");
  DFOTA_READ(urc, r.object("urc"));
  DFOTA_READ(p.urc.prefix, urc.string("prefix"));
  DFOTA_READ(p.urc.ftp_start, urc.string("ftp_start"));
  DFOTA_READ(p.urc.ftp_end, urc.string("ftp_end"));
  DFOTA_READ(p.urc.http_start, urc.string("http_start"));
  DFOTA_READ(p.urc.http_end, urc.string("http_end"));
  DFOTA_READ(p.urc.file_start, urc.string("file_start", true));
  DFOTA_READ(p.urc.file_end, urc.string("file_end", true));
  DFOTA_READ(p.urc.space_after_comma, urc.boolean("space_after_comma"));
  DFOTA_READ(p.urc.ready, urc.string("ready", true));

  for (const auto& [key, ranges] :
       {std::pair{"retry_codes", &p.retry_codes}, std::pair{"retry_until_success", &p.retry_until_success}}) {
    auto retry = r.get(key);
    if (!retry) return retry.error();
    if (!(*retry)->is_array()) return r.bad(key, "must be an array of codes or [first, last] ranges");
    for (const auto& c : **retry) {
      if (c.is_number_integer()) {
        ranges->emplace_back(c.get<int>(), c.get<int>());
      } else if (c.is_array() && c.size() == 2 && c[0].is_number_integer() && c[1].is_number_integer() &&
                 c[0].get<int>() <= c[1].get<int>()) {
        ranges->emplace_back(c[0].get<int>(), c[1].get<int>());
      } else {
        return r.bad(key, "must be an array of codes or [first, last] ranges");
      }
    }
  }
  DFOTA_READ(n, r.number("retry_attempts"));
  p.retry_attempts = static_cast<int>(n);

  Reader timeouts(*doc, origin, "");
  DFOTA_READ(timeouts, r.object("timeouts"));
  std::optional<std::uint64_t> download_start;
  DFOTA_READ(download_start, timeouts.optional_number("download_start_s"));
  if (download_start) p.download_start_timeout_s = static_cast<int>(*download_start);
  std::optional<std::uint64_t> first_urc;
  DFOTA_READ(first_urc, timeouts.optional_number("first_urc_after_reboot_s"));
  if (first_urc) p.first_urc_after_reboot_s = static_cast<int>(*first_urc);
  DFOTA_READ(n, timeouts.number("com_idle_default_s"));
  p.com_idle_default_s = static_cast<int>(n);
  std::optional<std::uint64_t> answer_ms;
  DFOTA_READ(answer_ms, timeouts.optional_number("qfotadl_answer_ms"));
  if (answer_ms) p.qfotadl_answer = std::chrono::milliseconds(*answer_ms);

  Reader flow(*doc, origin, "");
  DFOTA_READ(flow, r.object("flow_control"));
  DFOTA_READ(p.file_mode_requires_flow_control, flow.boolean("file_mode_requires"));
  DFOTA_READ(p.no_flow_control_bytes_per_s, flow.optional_number("limit_bytes_per_s"));
  std::optional<std::uint64_t> chunk;
  DFOTA_READ(chunk, flow.optional_number("min_chunk"));
  if (chunk) p.no_flow_control_min_chunk = static_cast<std::size_t>(*chunk);

  Reader port(*doc, origin, "");
  DFOTA_READ(port, r.object("port"));
  DFOTA_READ(p.port_reenumerates_on_reboot, port.boolean("reenumerates_on_reboot"));
  DFOTA_READ(p.urcs_on_usb, port.boolean("urcs_on_usb"));

  Reader upgrade(*doc, origin, "");
  DFOTA_READ(upgrade, r.object("upgrade"));
  DFOTA_READ(p.upgrade.reboot_before_apply, upgrade.boolean("reboot_before_apply"));
  Reader codes(*doc, origin, "");
  DFOTA_READ(codes, upgrade.object("codes"));
  for (auto [key, target] :
       {std::pair{"bad_package", &p.upgrade.bad_package}, std::pair{"corrupt_payload", &p.upgrade.corrupt_payload},
        std::pair{"project", &p.upgrade.project}, std::pair{"version", &p.upgrade.version},
        std::pair{"source", &p.upgrade.source}, std::pair{"space", &p.upgrade.space},
        std::pair{"too_large", &p.upgrade.too_large}, std::pair{"failed", &p.upgrade.failed}}) {
    auto value = codes.get(key);
    if (!value) return value.error();
    if ((*value)->is_null()) { // the family's guide names no code for it
      *target = 0;
      continue;
    }
    DFOTA_READ(n, codes.number(key));
    if (n == 0 || n > 999)
      return codes.bad(key, "must be a module error code (1-999), or null when the guide names none");
    *target = static_cast<int>(n);
  }
  return p;
}

bool ErrorCode::applies_to(const std::string& family_id) const {
  return families.empty() || family_id.empty() ||
         std::find(families.begin(), families.end(), family_id) != families.end();
}

Expected<std::vector<ErrorCode>> parse_error_catalogue(ByteSpan text, const std::string& origin) {
  auto doc = parse_json(text, origin);
  if (!doc) return doc.error();
  if (!doc->is_object() || !doc->contains("codes") || !(*doc)["codes"].is_array()) {
    return make_error(ProfileErrc::missing_field, origin + ": field \"codes\" is missing or not an array");
  }
  std::vector<ErrorCode> out;
  const auto& codes = (*doc)["codes"];
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (!codes[i].is_object())
      return make_error(ProfileErrc::bad_value, origin + ": codes[" + std::to_string(i) + "] is not an object");
    Reader r(codes[i], origin, "codes[" + std::to_string(i) + "]");
    ErrorCode e;
    std::uint64_t n = 0;
    DFOTA_READ(n, r.number("code"));
    e.code = static_cast<int>(n);
    e.last = e.code;
    if (codes[i].contains("to")) {
      DFOTA_READ(n, r.number("to"));
      e.last = static_cast<int>(n);
    }
    DFOTA_READ(e.scope, r.string("scope"));
    auto families = r.get("families");
    if (!families) return families.error();
    if (!((*families)->is_string() && (*families)->get<std::string>() == "*")) {
      DFOTA_READ(e.families, r.strings("families"));
    }
    DFOTA_READ(e.meaning, r.string("meaning"));
    DFOTA_READ(e.module_retries, r.boolean("module_retries"));
    DFOTA_READ(e.advice, r.string("advice"));
    DFOTA_READ(n, r.number("lwm2m_result"));
    if (n < 2 || n > 9)
      return make_error(ProfileErrc::bad_value, origin + ": codes[" + std::to_string(i) +
                                                    "].lwm2m_result: expected a failure result from 2 to 9");
    e.lwm2m_result = static_cast<int>(n);
    out.push_back(std::move(e));
  }
  return out;
}

Expected<Registry> Registry::load(const fs::path& formats_dir) {
  Registry registry;
  const fs::path catalogue = formats_dir / "error-codes.json";
  auto text = read_file(catalogue.string(), 4 << 20);
  if (!text)
    return make_error(ProfileErrc::not_found, "cannot read the error-code catalogue: " + text.error().message());
  auto codes = parse_error_catalogue(*text, catalogue.string());
  if (!codes) return codes.error();
  registry.catalogue_ = std::move(*codes);

  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(formats_dir / "profiles", ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (ec) return make_error(ProfileErrc::not_found, "cannot list " + (formats_dir / "profiles").string());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    auto bytes = read_file(file.string(), 1 << 20);
    if (!bytes) return bytes.error();
    auto profile = parse_profile(*bytes, file.string());
    if (!profile) return profile.error();
    if (profile->id != file.stem().string()) {
      return make_error(ProfileErrc::bad_value,
                        file.string() + ": field \"id\" must match the file name (" + file.stem().string() + ")");
    }
    registry.profiles_.push_back(std::move(*profile));
  }
  return registry;
}

Expected<const Profile*> Registry::find(const std::string& id) const {
  std::string known;
  for (const auto& p : profiles_) {
    if (p.id == id) return &p;
    known += (known.empty() ? "" : ", ") + p.id;
  }
  return make_error(ProfileErrc::unknown_name, "no profile \"" + id + "\" (known: " + known + ")");
}

std::vector<const ErrorCode*> Registry::lookup(int code, const std::string& family_id) const {
  std::vector<const ErrorCode*> specific, general;
  for (const auto& e : catalogue_) {
    if (!e.covers(code)) continue;
    if (!e.families.empty() && !family_id.empty() && e.applies_to(family_id))
      specific.push_back(&e);
    else if (e.families.empty() || family_id.empty())
      general.push_back(&e);
  }
  specific.insert(specific.end(), general.begin(), general.end());
  return specific;
}

std::string Registry::meaning(int code, const std::string& family_id, const std::string& scope) const {
  for (const ErrorCode* e : lookup(code, family_id)) {
    if (scope.empty() || e->scope == scope) return e->meaning;
  }
  return "";
}

} // namespace dfota::profiles
