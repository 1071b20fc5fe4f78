// SIGINT and SIGTERM for the verbs that write files: an interrupted run
// removes what it was writing (remove_pending_outputs(), core/files.hpp),
// gives ModemManager its modems back (host::end_all_inhibitions()) and then
// ends by the same signal, as if it had not been caught.
#pragma once

#include <string>

namespace dfota::cli {

// Blocks SIGINT and SIGTERM in this thread and the threads it starts from
// now on, and starts a thread that waits for them: on one it removes every
// pending output and re-raises the signal with its default action. Call it
// first in main(), before any other thread exists. Not for `sim`, which stops
// cleanly on those signals by itself.
void remove_outputs_on_interrupt();

} // namespace dfota::cli
