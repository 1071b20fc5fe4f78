// The module's data mode: after CONNECT (AT+QFUPL, AT+QFOTADL="COM") or OK
// (AT+QFOTADL="FILE:n"), bytes are data until the announced size, a quiet
// line or a +++ escape with guard times. The line faults of the options
// (lost and corrupted bytes, power loss during the upload) act here.
#pragma once

#include <cstdint>

#include "core/bytes.hpp"
#include "sim/module.hpp"

namespace dfota::sim {

struct DataLimits {
  std::uint64_t size = 0;           // data mode ends after this many bytes
  transport::Duration first_byte{}; // ... or with no first byte for this long
  transport::Duration idle{};       // ... or with no byte for this long after one
  bool ack_every_kib = false;       // AT+QFUPL's ack mode: 'A' after every 1024 bytes
};

struct DataResult {
  std::uint64_t received = 0;
  bool timed_out = false;
  bool escaped = false;
  bool failed = false; // `out` refused a write, the host went away, the power was cut or the module is stopping
};

// Receives data into `out` as `limits` say. Returns with the module back in
// command mode (or without power: module.power_lost()).
DataResult receive_data(Module& module, Writer& out, const DataLimits& limits);

} // namespace dfota::sim
