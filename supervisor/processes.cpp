#include "supervisor/processes.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "shared/core/clock.h"
#include "shared/core/log.h"
#include "shared/core/signals.h"
#include "supervisor/run_setup.h"

namespace zp::supervisor {

namespace {

// A killed process still there after this long is reported (once): it is stuck in the
// kernel (D state, e.g. I/O on a hung disk) or otherwise cannot exit yet.
constexpr double kStuckReportS = 5.0;
// While a group stops, a line of what is still running every this many seconds.
constexpr double kStopReportS = 3.0;

// The state letter of /proc/<pid>/stat ('D', 'Z', 'R', ...), '?' if unreadable.
char proc_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : '?';
}

ExitInfo exit_info(int status) {
  ExitInfo e;
  e.clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  e.how = WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                            : std::string("signal ") + strsignal(WTERMSIG(status));
  return e;
}

}  // namespace

ProcessTable::ProcessTable(run::RunPaths paths, ipc::Stats& stats, std::string prefix)
    : paths_(std::move(paths)), stats_(stats), prefix_(std::move(prefix)) {}

void ProcessTable::say(const std::string& line) const {
  std::printf("%s %s\n", prefix_.c_str(), line.c_str());
  std::fflush(stdout);
}

Process* ProcessTable::add(const std::string& name, std::vector<std::string> args, int slot) {
  procs_.push_back(std::make_unique<Process>());
  Process& p = *procs_.back();
  p.name = name;
  p.args = std::move(args);
  p.slot = slot;
  return &p;
}

int ProcessTable::restarts() const {
  int n = 0;
  for (const auto& p : procs_) n += std::max(0, p->starts - 1);
  return n;
}

void ProcessTable::spawn(Process& p) {
  const pid_t pid = spawn_role(p.args, paths_.out(p.name));
  p.pid = pid;
  p.killed_at = 0;
  p.starts += 1;
  p.started_at = now_s();
  if (p.slot >= 0) {
    stats_.set(p.slot, ipc::kStarts, p.starts);
    // The heartbeat restarts now; an old value must not make the new process look hung.
    stats_.set(p.slot, ipc::kHeartbeatNs, now_ns());
  }
  spdlog::info("started {} (pid {}){}", p.name, pid,
               p.starts > 1 ? " restart #" + std::to_string(p.starts - 1) : "");
}

void ProcessTable::reap(const std::function<void(Process&, const ExitInfo&)>& on_exit) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (auto& p : procs_) {
      if (p->pid != pid) continue;
      p->pid = -1;
      on_exit(*p, exit_info(status));
      break;
    }
  }
}

bool ProcessTable::record_crash(Process& p, const ExitInfo& exit) {
  const double now = now_s();
  p.crashes.push_back(now);
  while (!p.crashes.empty() && now - p.crashes.front() > 120) p.crashes.pop_front();
  if (p.crashes.size() >= 5) return true;
  if (now - p.started_at > 60) p.backoff_s = 1.0;  // it had been running fine
  p.restart_at = now + p.backoff_s;
  spdlog::warn("{} died ({}); restarting in {:.0f} s", p.name, exit.how, p.backoff_s);
  char line[256];
  std::snprintf(line, sizeof(line), "%s died (%s); restarting in %.0f s", p.name.c_str(),
                exit.how.c_str(), p.backoff_s);
  say(line);
  p.backoff_s = std::min(p.backoff_s * 2, 30.0);
  return false;
}

void ProcessTable::restart_due() {
  const double now = now_s();
  for (auto& p : procs_)
    if (p->rank < 0 && p->pid < 0 && !p->finished && now >= p->restart_at) spawn(*p);
}

void ProcessTable::check_heartbeats(double timeout_s) {
  const int64_t now = now_ns();
  for (auto& p : procs_) {
    if (p->pid <= 0 || p->slot < 0) continue;
    if (p->killed_at > 0) {  // killed once already: wait for it, say so once
      const double waited = now_s() - p->killed_at;
      if (!p->stuck_reported && waited > kStuckReportS) {
        const char state = proc_state(p->pid);
        spdlog::error("{} (pid {}) has not exited {:.0f} s after SIGKILL (state {}{}); it is "
                      "restarted once it exits", p->name, p->pid, waited, state,
                      state == 'D' ? ": stuck in the kernel, e.g. on a hung disk" : "");
        char line[256];
        std::snprintf(line, sizeof(line), "%s (pid %d) has not exited %.0f s after SIGKILL "
                      "(state %c)", p->name.c_str(), p->pid, waited, state);
        say(line);
        p->stuck_reported = true;
      }
      continue;
    }
    const double silent = (now - stats_.get(p->slot, ipc::kHeartbeatNs)) * 1e-9;
    if (silent > timeout_s && now_s() - p->started_at > timeout_s) {
      spdlog::warn("{} (pid {}) sent no heartbeat for {:.0f} s; killing it", p->name, p->pid,
                   silent);
      char line[256];
      std::snprintf(line, sizeof(line), "%s hung (no heartbeat for %.0f s); restarting",
                    p->name.c_str(), silent);
      say(line);
      kill(p->pid, SIGKILL);
      p->killed_at = now_s();
      p->stuck_reported = false;
    }
  }
}

void ProcessTable::stop_group(const std::vector<Process*>& group, double timeout_s,
                              const std::function<void()>& tick,
                              const std::function<void(double)>& waiting) {
  for (Process* p : group)
    if (p->pid > 0) kill(p->pid, SIGTERM);
  Stopwatch sw;
  double next_report = kStopReportS;
  for (;;) {
    bool alive = false;
    for (Process* p : group) {
      if (p->pid <= 0) continue;
      int status;
      if (waitpid(p->pid, &status, WNOHANG) == p->pid)
        p->pid = -1;
      else
        alive = true;
    }
    if (!alive) return;
    if (waiting && sw.seconds() >= next_report) {
      waiting(timeout_s - sw.seconds());
      next_report = sw.seconds() + kStopReportS;
    }
    if (stop_signal_count() >= 2 || sw.seconds() > timeout_s) {
      for (Process* p : group)
        if (p->pid > 0) {
          spdlog::warn("{} did not stop in time; killing it", p->name);
          kill_and_reap(*p);
        }
      return;
    }
    if (tick) tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void ProcessTable::kill_all_hard() {
  for (auto& p : procs_)
    if (p->pid > 0) kill(p->pid, SIGKILL);
  for (auto& p : procs_)
    if (p->pid > 0) kill_and_reap(*p);
}

void ProcessTable::kill_and_reap(Process& p) {
  kill(p.pid, SIGKILL);
  Stopwatch sw;
  while (waitpid(p.pid, nullptr, WNOHANG) == 0) {
    if (sw.seconds() > kStuckReportS) {
      const char state = proc_state(p.pid);
      spdlog::error("{} (pid {}) has not exited {:.0f} s after SIGKILL (state {}); leaving it",
                    p.name, p.pid, kStuckReportS, state);
      char line[256];
      std::snprintf(line, sizeof(line), "%s (pid %d) has not exited %.0f s after SIGKILL "
                    "(state %c); leaving it", p.name.c_str(), p.pid, kStuckReportS, state);
      say(line);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  p.pid = -1;
}

}  // namespace zp::supervisor
