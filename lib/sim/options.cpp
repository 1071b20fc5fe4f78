#include "sim/options.hpp"

#include "core/text.hpp"

namespace dfota::sim {

std::string module_log_line(at::Direction direction, std::string_view text) {
  const char* marker = direction == at::Direction::to_module     ? "< "
                       : direction == at::Direction::from_module ? "> "
                                                                 : "* ";
  return marker + std::string(text);
}

namespace {
constexpr std::pair<PowerLossPhase, const char*> kPowerLossPhases[] = {
    {PowerLossPhase::upload, "upload"}, {PowerLossPhase::flagged, "flagged"}, {PowerLossPhase::updating, "updating"},
    {PowerLossPhase::swap, "swap"},     {PowerLossPhase::commit, "commit"},   {PowerLossPhase::reboot, "reboot"},
};
} // namespace

Expected<PowerLoss> parse_power_loss(const std::string& text) {
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  for (const auto& [phase, phase_name] : kPowerLossPhases) {
    if (name != phase_name) continue;
    const bool has_percent = phase == PowerLossPhase::upload || phase == PowerLossPhase::updating;
    if (!has_percent) {
      if (colon != std::string::npos)
        return make_error(CoreErrc::invalid_input, "power loss \"" + text + "\": " + name + " takes no percent");
      return PowerLoss{phase, 0};
    }
    const std::string digits = colon == std::string::npos ? "" : text.substr(colon + 1);
    auto percent = parse_whole_number(digits);
    if (!percent || *percent > 100)
      return make_error(CoreErrc::invalid_input, "power loss \"" + text + "\": give " + name + ":PERCENT (0-100)");
    return PowerLoss{phase, static_cast<int>(*percent)};
  }
  return make_error(CoreErrc::invalid_input,
                    "power loss \"" + text + "\": the phases are upload:P, flagged, updating:P, swap, commit, reboot");
}

std::string to_string(const PowerLoss& point) {
  for (const auto& [phase, phase_name] : kPowerLossPhases) {
    if (phase != point.phase) continue;
    if (phase == PowerLossPhase::upload || phase == PowerLossPhase::updating)
      return std::string(phase_name) + ":" + std::to_string(point.percent);
    return phase_name;
  }
  return "?";
}

} // namespace dfota::sim
