// The one signal-handling module. SIGTERM and SIGINT are counted; role processes and
// commands poll stop_requested() and then finish their current unit of work (flush,
// checkpoint) and exit 0. The supervisor also reads the count: a second Ctrl-C kills at once.
#pragma once

namespace zp {

// Installs the handlers (async-signal-safe: they only add to a lock-free atomic).
void install_stop_handlers();
// Restores the default actions, e.g. in a child between fork and exec.
void reset_stop_handlers();
// True once SIGTERM or SIGINT arrived.
bool stop_requested();
// How many SIGTERM / SIGINT arrived since the handlers were installed.
int stop_signal_count();

}  // namespace zp
