// Cooperative shutdown for role processes: SIGTERM and SIGINT set a flag that the main loop
// polls; the process then finishes its current unit of work (flush, checkpoint) and exits 0.
#pragma once

namespace zp {

// Installs the handlers (async-signal-safe: they only store to a lock-free atomic).
void install_stop_handlers();
// True once SIGTERM or SIGINT arrived (or request_stop() was called).
bool stop_requested();
void request_stop();

}  // namespace zp
