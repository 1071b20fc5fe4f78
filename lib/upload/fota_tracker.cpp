#include "upload/fota_tracker.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cctype>

namespace dfota::upload {

using at::FotaStage;

const char* to_string(FotaPhase phase) {
  switch (phase) {
  case FotaPhase::triggered: return "triggered";
  case FotaPhase::downloading: return "downloading";
  case FotaPhase::downloaded: return "downloaded";
  case FotaPhase::updating: return "updating";
  case FotaPhase::installed: return "installed";
  case FotaPhase::failed: return "failed";
  }
  return "?";
}

std::string FotaTracker::failure() const {
  const std::string what = error_scope_ == "fota" ? "the upgrade ended with END"
                                                  : "the download ended with " + to_upper(error_scope_) + "END";
  return what + " " + std::to_string(error_code_);
}

void FotaTracker::fail(int code, const char* scope) {
  phase_ = FotaPhase::failed;
  error_code_ = code;
  error_scope_ = scope;
}

FotaStep FotaTracker::feed(std::string_view line) {
  const std::string trimmed(trim(line));
  if (to_upper(trimmed) == "RDY" || (!profile_.urc.ready.empty() && trimmed == profile_.urc.ready)) {
    saw_ready_ = true;
    return {FotaStep::Kind::ready, std::nullopt};
  }
  auto event = at::parse_fota_urc(trimmed);
  if (!event) {
    if (at::looks_like_fota_urc(trimmed)) {
      ++garbled_;
      return {FotaStep::Kind::garbled, std::nullopt};
    }
    return {FotaStep::Kind::ignored, std::nullopt};
  }
  if (finished() && event->stage != FotaStage::start) return {FotaStep::Kind::event, event};
  switch (event->stage) {
  case FotaStage::ftp_start:
  case FotaStage::http_start:
  case FotaStage::file_start: phase_ = FotaPhase::downloading; break;
  case FotaStage::downloading:
    phase_ = FotaPhase::downloading;
    percent_ = event->value;
    break;
  case FotaStage::ftp_end:
  case FotaStage::http_end:
  case FotaStage::file_end:
    if (event->value == 0) {
      phase_ = FotaPhase::downloaded;
    } else {
      fail(event->value, event->stage == FotaStage::ftp_end    ? "ftp"
                         : event->stage == FotaStage::http_end ? "http"
                                                               : "file");
    }
    break;
  case FotaStage::start:
    saw_start_ = true;
    phase_ = FotaPhase::updating;
    percent_ = 0;
    break;
  case FotaStage::updating:
    phase_ = FotaPhase::updating;
    percent_ = std::clamp(event->value, 0, 100);
    break;
  case FotaStage::end:
    if (event->value == 0) {
      phase_ = FotaPhase::installed;
      percent_ = 100;
    } else if (profile_.retries_after(event->value, static_cast<int>(retried_.size()) + 1)) {
      // The module reboots and tries again by itself (RG50xQ 520-530, ...).
      retried_.push_back(event->value);
      phase_ = FotaPhase::updating;
      return {FotaStep::Kind::retry, event};
    } else {
      fail(event->value, "fota");
    }
    break;
  }
  return {FotaStep::Kind::event, event};
}

} // namespace dfota::upload
