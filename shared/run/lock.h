// The run lock: one supervisor per run directory. `train` holds an exclusive POSIX record lock
// on <run_dir>/run.lock for its whole life. The kernel drops it when the supervisor dies, and
// fork() does not pass it to the children, so nothing else can hold it. A second `train` on a
// locked directory (e.g. `--resume` while the first still runs) fails at once, naming the pid.
//
// Not copyable; movable. One per process (closing any descriptor of the file would drop a
// POSIX lock, so nothing else in the supervisor opens it).
#pragma once

#include <string>

namespace zp::run {

class RunLock {
 public:
  // Takes the lock, writing our pid into the file. Throws StateError naming the holder's
  // pid when another process holds it, IoError when the file cannot be opened.
  explicit RunLock(const std::string& run_dir);
  ~RunLock();
  RunLock(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  RunLock& operator=(RunLock&&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace zp::run
