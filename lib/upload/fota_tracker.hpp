// Follows a module through an upgrade from its URCs, in every family's
// spelling: the state machine of the uploader, as a pure function of the
// lines fed to it (tested with the guides' transcripts).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "at/responses.hpp"
#include "profiles/profile.hpp"

namespace dfota::upload {

enum class FotaPhase {
  triggered,   // AT+QFOTADL answered; nothing reported yet
  downloading, // FTPSTART / HTTPSTART / FILESTART seen
  downloaded,  // the download ended well; the module will install
  updating,    // START / UPDATING seen
  installed,   // END 0: the module reboots into the new firmware
  failed,      // a download or upgrade error the module does not retry
};
const char* to_string(FotaPhase phase);

struct FotaStep {
  enum class Kind {
    ignored, // not a FOTA report (another URC)
    garbled, // an incomplete +QIND: "FOTA" line, tolerated
    event,   // a report that moved the state
    retry,   // END with a code the module retries by itself
    ready,   // RDY
  } kind = Kind::ignored;
  std::optional<at::FotaEvent> event;
};

class FotaTracker {
public:
  explicit FotaTracker(const profiles::Profile& profile) : profile_(profile) {}

  FotaStep feed(std::string_view line);

  FotaPhase phase() const { return phase_; }
  bool finished() const { return phase_ == FotaPhase::installed || phase_ == FotaPhase::failed; }
  int percent() const { return percent_; }
  // The failing code and its scope (fota, ftp, http, file) when failed.
  int error_code() const { return error_code_; }
  const std::string& error_scope() const { return error_scope_; }
  // When failed: "the upgrade ended with END 502", "the download ended
  // with HTTPEND 701".
  std::string failure() const;
  int garbled() const { return garbled_; }
  const std::vector<int>& retried() const { return retried_; }
  bool saw_start() const { return saw_start_; }
  bool saw_ready() const { return saw_ready_; }

private:
  void fail(int code, const char* scope);
  const profiles::Profile& profile_;
  FotaPhase phase_ = FotaPhase::triggered;
  int percent_ = 0;
  int error_code_ = 0;
  std::string error_scope_;
  int garbled_ = 0;
  std::vector<int> retried_;
  bool saw_start_ = false;
  bool saw_ready_ = false;
};

} // namespace dfota::upload
