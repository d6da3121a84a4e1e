// The cross-process GPU lock: one per device, held by an actor only around copy-in, forward
// and copy-out. Built on boost::interprocess::file_lock (fcntl record locks), which the
// kernel releases when the holder dies, even by SIGKILL, so a killed actor never deadlocks
// the others. Wait and hold times are measured for the stats block.
//
// Not thread-safe: fcntl locks belong to the process; one GpuLock per process.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace zp::ipc {

class GpuLock {
 public:
  // Opens (creating if needed, mode 0600) the lock file at `path`.
  explicit GpuLock(const std::string& path);
  ~GpuLock();
  GpuLock(const GpuLock&) = delete;
  GpuLock& operator=(const GpuLock&) = delete;

  void lock();     // blocks; adds the wait to wait_ns()
  void unlock();   // adds the hold to hold_ns()
  int64_t wait_ns() const { return wait_ns_; }
  int64_t hold_ns() const { return hold_ns_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t wait_ns_ = 0;
  int64_t hold_ns_ = 0;
  int64_t locked_at_ = 0;
};

// RAII holder.
class GpuLockGuard {
 public:
  explicit GpuLockGuard(GpuLock& l) : l_(l) { l_.lock(); }
  ~GpuLockGuard() { l_.unlock(); }
  GpuLockGuard(const GpuLockGuard&) = delete;
  GpuLockGuard& operator=(const GpuLockGuard&) = delete;

 private:
  GpuLock& l_;
};

}  // namespace zp::ipc
