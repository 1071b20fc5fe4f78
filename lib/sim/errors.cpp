// The sim area's error category, in a file of its own so that a program
// can map errors to exit codes without linking the rest of the area.
#include "sim/simulator.hpp"

#include <string>

namespace dfota::sim {

namespace {
class SimCategory final : public std::error_category {
public:
  const char* name() const noexcept override { return "sim"; }
  std::string message(int value) const override {
    switch (static_cast<SimErrc>(value)) {
    case SimErrc::power_lost: return "power lost";
    case SimErrc::bad_option: return "bad simulator option";
    }
    return "unknown simulator error";
  }
};
} // namespace

const std::error_category& sim_category() {
  static const SimCategory category;
  return category;
}

std::error_code make_error_code(SimErrc value) { return {static_cast<int>(value), sim_category()}; }

} // namespace dfota::sim
