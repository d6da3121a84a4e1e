// The process-management part of a supervisor, shared by `zeroplay train` (supervisor.cpp)
// and `zeroplay join` (host/): a table of child role processes, each spawned from this binary
// (run_setup.h's spawn_role), watched through its heartbeat in the stats block, restarted
// with backoff when it dies, killed when it hangs, and stopped in groups (SIGTERM, then
// SIGKILL after a timeout). The policy (what to spawn, when a death ends the run) stays with
// the caller: reap() reports each exit and the caller decides.
//
// Not thread-safe: one table, used from the controlling thread that forked the children.
#pragma once

#include <sys/types.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shared/ipc/stats.h"
#include "shared/run/files.h"

namespace zp::supervisor {

struct Process {
  std::string name;                // "writer", "actor-3", ...
  std::vector<std::string> args;   // after the binary
  int slot = 0;                    // stats slot; -1 for none (learner ranks > 0)
  int rank = -1;                   // learner rank (data parallel): the caller starts the ranks
                                   // together, restart_due() leaves them alone; -1 otherwise
  pid_t pid = -1;
  int starts = 0;
  double started_at = 0;
  double restart_at = 0;           // when to restart after a crash (backoff)
  double backoff_s = 1.0;
  std::deque<double> crashes;      // times of recent crashes
  bool finished = false;           // exited on purpose (learner at max_steps): no restart
  double killed_at = 0;            // when check_heartbeats sent SIGKILL (0 = not sent)
  bool stuck_reported = false;     // "has not exited" logged for this kill
};

// How a reaped child ended.
struct ExitInfo {
  bool clean = false;  // exit code 0
  std::string how;     // "exit code 3", "signal Killed"
};

class ProcessTable {
 public:
  // `prefix` starts the lines printed on stdout ("[supervisor]", "[join]"); logs of the
  // children go to paths.out(name).
  ProcessTable(run::RunPaths paths, ipc::Stats& stats, std::string prefix);

  Process* add(const std::string& name, std::vector<std::string> args, int slot);
  const std::vector<std::unique_ptr<Process>>& all() const { return procs_; }
  int restarts() const;  // restarts over all processes

  void spawn(Process& p);
  // Reaps every exited child and calls on_exit for each (pid already cleared).
  void reap(const std::function<void(Process&, const ExitInfo&)>& on_exit);
  // A crash: true when `p` crashed 5 times in 2 minutes (give up); else schedules its restart
  // with backoff (1 s doubling to 30 s, reset after a minute of good running) and says so.
  bool record_crash(Process& p, const ExitInfo& exit);
  // Spawns every process whose restart time has come (not finished, not running), but for
  // learner ranks (rank >= 0), which the caller starts as a group.
  void restart_due();
  // SIGKILLs a process whose heartbeat is older than `timeout_s` (it is then reaped and
  // restarted like a crash); reports once a killed process that does not exit. Processes
  // without a stats slot have no heartbeat (learner rank 0 speaks for its group).
  void check_heartbeats(double timeout_s);
  // SIGTERM to `group`, then waits up to `timeout_s` (SIGKILL after it, or at a second stop
  // signal); `tick` runs every 50 ms meanwhile, `waiting(kill_in_s)` every few seconds.
  void stop_group(const std::vector<Process*>& group, double timeout_s,
                  const std::function<void()>& tick = nullptr,
                  const std::function<void(double)>& waiting = nullptr);
  void kill_all_hard();
  // SIGKILL, then up to a few seconds for the exit; a process stuck in the kernel is left.
  void kill_and_reap(Process& p);

 private:
  void say(const std::string& line) const;

  run::RunPaths paths_;
  ipc::Stats& stats_;
  std::string prefix_;
  std::vector<std::unique_ptr<Process>> procs_;
};

}  // namespace zp::supervisor
