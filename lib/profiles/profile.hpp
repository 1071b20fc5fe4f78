// Module families as data: formats/profiles/<id>.json describes what a family
// accepts and how it answers (methods, URL rules, URC spellings, error codes,
// timeouts, flow control, port behaviour), and formats/error-codes.json is the
// one catalogue of every code in the guides. Adding a family is adding a file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.hpp"

namespace dfota::profiles {

enum class ProfileErrc {
  not_found = 1, // no profile with that id, or no catalogue
  syntax,        // the file is not valid JSON
  missing_field, // a required field is absent
  bad_value,     // a field has the wrong type or an impossible value
  unknown_name,  // the caller asked for a profile id or error code the catalogue does not have
};
const std::error_category& profile_category();
std::error_code make_error_code(ProfileErrc value);

struct UrlRules {
  std::vector<std::string> schemes;    // lowercase: ftp, http, https
  std::size_t max_length = 0;          // the whole URL, bytes
  std::optional<std::size_t> user_max; // FTP URLs only (the guides state none for HTTP); absent: no limit
  std::optional<std::size_t> password_max;
  std::optional<std::size_t> server_max;
  std::optional<std::size_t> ftp_path_max;
  bool ftp_root_only = false; // FTP file must be in the server's root
  // UGxx guide: "When you upgrade firmware on a FTP/HTTP server, you need to
  // activate a PDP context ID": the uploader reads the FOTA context's APN
  // before it triggers, and warns when none is set.
  bool pdp_context_check = false;
  // What the guide says when a download never starts (RG50xQ: the first APN
  // note); "" where it says nothing.
  std::string not_started_note;
};

struct UrcSpelling {
  std::string prefix; // +QIND: "FOTA"
  std::string ftp_start, ftp_end, http_start, http_end;
  std::string file_start, file_end; // empty when the family has no FILE: mode
  bool space_after_comma = false;
  std::string ready; // "RDY" or empty
};

// How the family goes through an upgrade, and the <err> of +QIND "END" it
// reports for each kind of rejected package (so that the simulator answers
// and the validator predicts the same code).
// The <err> of +QIND "FOTA","END" the module reports for each kind of
// refused or failed package; 0 where the family's guide names no code (UGxx:
// "0 means OK, else ERROR").
struct UpgradeBehaviour {
  bool reboot_before_apply = true; // Qualcomm: download, reboot into recovery, apply
  int bad_package = 504;           // not a package at all (zip, manifest)
  int corrupt_payload = 504;       // a payload fails its checksum (ASR: 506 MD5)
  int project = 505;               // package for another project
  int version = 505;               // package for another source version
  int source = 510;                // the firmware on the module differs from the package's source
  int space = 511;                 // not enough space to apply
  int too_large = 550;             // package larger than the family takes
  int failed = 504;                // the upgrade failed for another reason
};

struct Profile {
  std::string id;
  std::string family;
  std::string guide;
  std::vector<std::string> models;
  std::vector<std::string> methods;     // com, file, qfupl, ftp, http, https
  std::vector<std::string> local_paths; // prefixes for AT+QFOTADL=<local file>
  std::size_t local_name_max = 0;       // whole local path, bytes
  std::size_t upload_name_max = 0;      // AT+QFUPL file name, bytes
  std::optional<std::uint64_t> max_package_size;
  UrlRules url;
  UrcSpelling urc;
  std::vector<std::pair<int, int>> retry_codes; // ranges the module retries by itself, retry_attempts times in all
  int retry_attempts = 0;
  // Ranges the module retries until the upgrade succeeds (RG50xQ 520-530:
  // "will reboot and retry to upgrade the firmware until the upgrade is
  // successful"): no count ends them, only the host's total timeout.
  std::vector<std::pair<int, int>> retry_until_success;
  // UGxx guide: "The maximum response time of +QIND: "FOTA","FTPSTART" or
  // +QIND: "FOTA","HTTPSTART" is 90 seconds"; nullopt where the guide is
  // silent (the host's --timeout urc gap applies then).
  std::optional<int> download_start_timeout_s;
  // "After the module is rebooted, the first URC should be reported within
  // 90 seconds. Otherwise, it means an unknown error occurs" (RG50xQ note);
  // nullopt where the family's guide is silent (the host's --timeout urc
  // gap applies then).
  std::optional<int> first_urc_after_reboot_s;
  int com_idle_default_s = 5;
  // The longest the guide says AT+QFOTADL takes to answer (UGxx: 90 s,
  // RG50xQ: 300 ms); absent where the guide is silent.
  std::optional<std::chrono::milliseconds> qfotadl_answer;
  // "Before sending AT+QFOTADL=<FILE:<length>>, customers need to set
  // hardware flow control. If not, the speed ... should be limited"
  // (EC200T guide): the uploader warns when FILE mode goes without it.
  bool file_mode_requires_flow_control = false;
  std::optional<std::uint64_t> no_flow_control_bytes_per_s;
  std::optional<std::size_t> no_flow_control_min_chunk;
  bool port_reenumerates_on_reboot = true;
  bool urcs_on_usb = true;
  UpgradeBehaviour upgrade;

  bool supports(const std::string& method) const;
  // The local path AT+QFOTADL reads a file of the SD card under (EC2x guide:
  // "/media/card/"); "" where the family's guide names none.
  std::string sd_card_path() const;
  bool module_retries(int code) const;
  // Whether the module tries again after its `failures`-th failed attempt
  // (1 for the first) ended with `code`: always for retry_until_success,
  // while failures < retry_attempts for retry_codes, never otherwise. The
  // simulator retries and the uploader keeps following by this one rule.
  bool retries_after(int code, int failures) const;
  // The longest of `models` that `text` (a model name or a revision) starts
  // with; "" when none does.
  std::string model_prefix_of(const std::string& text) const;
};

// Parses a profile; errors name `origin` (the file) and the field.
Expected<Profile> parse_profile(ByteSpan text, const std::string& origin);

struct ErrorCode {
  int code = 0;
  int last = 0;                      // == code unless a range
  std::string scope;                 // fota, ftp, http, file, cme
  std::vector<std::string> families; // empty: every family
  std::string meaning;
  bool module_retries = false;
  std::string advice;
  int lwm2m_result = 8; // OMA LwM2M /5/0/5 for this failure (2..9)

  bool covers(int value) const { return value >= code && value <= last; }
  bool applies_to(const std::string& family_id) const;
};

Expected<std::vector<ErrorCode>> parse_error_catalogue(ByteSpan text, const std::string& origin);

// The profiles and the catalogue of one formats directory.
class Registry {
public:
  // Reads `<formats_dir>/profiles/*.json` and `<formats_dir>/error-codes.json`.
  static Expected<Registry> load(const std::filesystem::path& formats_dir);

  const std::vector<Profile>& profiles() const { return profiles_; }
  // The profile with this id, or a not_found error listing the known ids.
  Expected<const Profile*> find(const std::string& id) const;
  // The family whose model is the longest prefix of `text` (the model ATI
  // prints, or a revision); null when no family's model is.
  const Profile* find_by_model(const std::string& text) const;
  const std::vector<ErrorCode>& catalogue() const { return catalogue_; }
  // The catalogue entries for `code`: those of `family_id` (when given) first,
  // then the ones for every family.
  std::vector<const ErrorCode*> lookup(int code, const std::string& family_id = "") const;
  // The meaning of a code for a family in one line ("" when unknown).
  std::string meaning(int code, const std::string& family_id, const std::string& scope = "") const;

private:
  std::vector<Profile> profiles_;
  std::vector<ErrorCode> catalogue_;
};

} // namespace dfota::profiles

template <> struct std::is_error_code_enum<dfota::profiles::ProfileErrc> : std::true_type {};
