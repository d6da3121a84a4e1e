#include "shared/core/signals.h"

#include <atomic>
#include <csignal>

namespace zp {

namespace {
// Lock-free, so adding from a signal handler is safe; relaxed is enough because the count
// carries no other data with it.
std::atomic<int> g_stops{0};
static_assert(std::atomic<int>::is_always_lock_free);

void on_stop_signal(int) { g_stops.fetch_add(1, std::memory_order_relaxed); }

void set_handler(void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}
}  // namespace

void install_stop_handlers() { set_handler(on_stop_signal); }
void reset_stop_handlers() { set_handler(SIG_DFL); }

bool stop_requested() { return stop_signal_count() > 0; }
int stop_signal_count() { return g_stops.load(std::memory_order_relaxed); }

}  // namespace zp
