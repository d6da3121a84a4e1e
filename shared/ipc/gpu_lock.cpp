#include "shared/ipc/gpu_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/sync/file_lock.hpp>
#include <cerrno>
#include <cstring>

#include "shared/core/clock.h"
#include "shared/core/error.h"

namespace zp::ipc {

namespace bip = boost::interprocess;

struct GpuLock::Impl {
  std::string path;
  bip::file_lock lock;
};

GpuLock::GpuLock(const std::string& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  // file_lock needs an existing file. Create it here, then close our descriptor before the
  // lock opens its own: fcntl locks are dropped when ANY descriptor of the file is closed
  // by the process, so no stray descriptor may outlive this constructor.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw IoError("cannot create GPU lock file " + path + ": " + std::strerror(errno));
  ::close(fd);
  try {
    impl_->lock = bip::file_lock(path.c_str());
  } catch (const bip::interprocess_exception& e) {
    throw IoError("cannot open GPU lock file " + path + ": " + e.what());
  }
}

GpuLock::~GpuLock() = default;  // closing the file releases a lock still held

void GpuLock::lock() {
  const int64_t t0 = now_ns();
  for (;;) {
    try {
      impl_->lock.lock();
      break;
    } catch (const bip::interprocess_exception& e) {
      // A signal (e.g. SIGTERM asking us to stop) interrupts F_SETLKW; just wait again: the
      // caller checks for a stop request once it has finished the batch.
      if (e.get_native_error() == EINTR) continue;
      throw IoError("cannot lock " + impl_->path + ": " + e.what());
    }
  }
  locked_at_ = now_ns();
  wait_ns_ += locked_at_ - t0;
}

void GpuLock::unlock() {
  try {
    impl_->lock.unlock();
  } catch (const bip::interprocess_exception& e) {
    throw IoError("cannot unlock " + impl_->path + ": " + e.what());
  }
  hold_ns_ += now_ns() - locked_at_;
}

}  // namespace zp::ipc
