#include "sim/simulator.hpp"

#include "at/command_line.hpp"

namespace dfota::sim {

namespace fs = std::filesystem;
using transport::Duration;

namespace {
constexpr Duration kPoll{100}; // how often serving checks whether to stop
} // namespace

Expected<std::unique_ptr<Simulator>> Simulator::create(SimOptions options) {
  if (!options.profile || !options.registry) return make_error(SimErrc::bad_option, "a profile is required");
  if (options.link.empty()) return make_error(SimErrc::bad_option, "--link is required");
  if (options.firmware.empty()) return make_error(SimErrc::bad_option, "--firmware is required");
  if (options.state.empty()) {
    const fs::path firmware = FirmwareSlot::normalized(options.firmware);
    options.state = firmware.parent_path() / (firmware.filename().string() + ".state");
  }
  // A module that cannot start leaves no state directory it made behind.
  std::error_code ec;
  const bool state_existed = fs::exists(options.state, ec);
  const fs::path state = options.state;
  auto fail = [&](Error error) -> Expected<std::unique_ptr<Simulator>> {
    std::error_code ignored;
    if (!state_existed) fs::remove_all(state, ignored);
    return error;
  };
  auto slot = FirmwareSlot::open(options.firmware, options.state);
  if (!slot) return fail(slot.error());
  auto store = FileStore::open(options.state, options.fs_size, options.faults.fs_full);
  if (!store) return fail(store.error());
  transport::Clock& clock = options.clock ? *options.clock : transport::steady_clock();
  auto module = std::make_unique<Module>(std::move(options), std::move(*slot), std::move(*store), clock);
  if (auto plugged = module->plug_port(); !plugged) return fail(plugged.error());
  return std::unique_ptr<Simulator>(new Simulator(std::move(module)));
}

Simulator::Simulator(std::unique_ptr<Module> module) : module_(std::move(module)), upgrader_(*module_) {
  add_basic_commands(commands_, *module_);
  add_file_commands(commands_, *module_);
  add_fota_commands(commands_, *module_, upgrader_);
}

Simulator::~Simulator() = default;

std::string Simulator::terminal() const {
  const auto* port = module_->link().port();
  return port ? port->terminal() : std::string();
}

const firmware::FirmwareInfo& Simulator::firmware() const { return module_->slot().info(); }

Status Simulator::run(const std::atomic<bool>& stop) {
  module_->serve_until(stop);
  if (module_->slot().flag()) {
    // Power came back with the upgrade flag set: boot into recovery and go on.
    module_->log(at::Direction::event, "upgrade flag found: resuming the upgrade");
    module_->boot_port();
    upgrader_.run();
  } else {
    module_->announce_ready();
  }
  if (!module_->power_lost()) serve_commands();
  module_->link().detach();
  if (module_->power_lost())
    return make_error(SimErrc::power_lost, "power lost during the upgrade; start again to resume");
  return {};
}

void Simulator::serve_commands() {
  Module& module = *module_;
  std::uint8_t buffer[512];
  while (!module.stopping() && !module.power_lost()) {
    auto n = module.link().receive(buffer, module.clock().deadline_in(kPoll), false, false);
    if (!n || module.options().faults.no_answer) continue;
    std::string echo;
    for (std::size_t i = 0; i < *n; ++i) {
      const char c = static_cast<char>(buffer[i]);
      if (module.boot_settings().echo) echo.push_back(c);
      if (c == '\r' || c == '\n') {
        if (!echo.empty()) module.send_raw(echo);
        echo.clear();
        if (!line_.empty()) {
          std::string line = std::move(line_);
          line_.clear();
          handle_line(line);
          if (module.power_lost() || module.stopping()) return;
        }
      } else if (c == 0x08 || c == 0x7f) {
        if (!line_.empty()) line_.pop_back();
      } else if (line_.size() < 2048) {
        line_.push_back(c);
      }
    }
    if (!echo.empty()) module.send_raw(echo);
  }
}

void Simulator::handle_line(const std::string& line) {
  Module& module = *module_;
  // Bytes before "AT" (line noise, a stray +++) are ignored, as modules do.
  const std::size_t start = at::command_start(line);
  if (start == std::string::npos) {
    module.log(at::Direction::to_module, "(ignored) " + std::to_string(line.size()) + " bytes without AT");
    return;
  }
  const std::string text = line.substr(start);
  module.log(at::Direction::to_module, text);
  const Faults& faults = module.options().faults;
  if (faults.line_noise && std::uniform_int_distribution<int>(0, 2)(module.random()) == 0) {
    std::string noise;
    const int count = std::uniform_int_distribution<int>(1, 6)(module.random());
    for (int i = 0; i < count; ++i)
      noise.push_back(static_cast<char>(std::uniform_int_distribution<int>(0x80, 0xfe)(module.random())));
    module.log(at::Direction::from_module, "(noise)");
    module.send_raw("\r\n" + noise + "\r\n");
  }
  // Just after boot, a module may take its time over the first command;
  // the host's next commands wait in the line meanwhile.
  if (!module.answered_since_boot() && faults.late_first_answer > Duration(0)) {
    module.log(at::Direction::event, "answering late (" + std::to_string(faults.late_first_answer.count()) + " ms)");
    module.clock().sleep_for(faults.late_first_answer);
  }
  module.mark_answered();
  auto command = at::parse_command_line(text);
  if (!command || !commands_.dispatch(*command)) module.error();
}

} // namespace dfota::sim
