#include "cli/interrupts.hpp"

#include <csignal>
#include <pthread.h>
#include <thread>

#include "core/files.hpp"
#include "host/modem_manager.hpp"

namespace dfota::cli {

void remove_outputs_on_interrupt() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (::pthread_sigmask(SIG_BLOCK, &signals, nullptr) != 0) return;
  std::thread([signals] {
    int received = 0;
    if (::sigwait(&signals, &received) != 0) return;
    remove_pending_outputs();
    host::end_all_inhibitions(); // ModemManager gets the module back now
    // End by the signal itself, so that a shell sees what ended the run.
    ::signal(received, SIG_DFL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, received);
    ::pthread_sigmask(SIG_UNBLOCK, &only, nullptr);
    ::raise(received);
  }).detach();
}

} // namespace dfota::cli
