#include "shared/run/lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shared/core/error.h"
#include "shared/run/files.h"

namespace zp::run {

RunLock::RunLock(const std::string& run_dir) {
  const std::string path = RunPaths(run_dir).lock();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw IoError("cannot open the run lock " + path + ": " + std::strerror(errno));
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (::fcntl(fd_, F_SETLK, &fl) != 0) {
    const int err = errno;
    struct flock holder {};
    holder.l_type = F_WRLCK;
    holder.l_whence = SEEK_SET;
    const bool known = ::fcntl(fd_, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK;
    ::close(fd_);
    fd_ = -1;
    if (err == EACCES || err == EAGAIN)
      throw StateError("run directory " + run_dir + " is in use by another zeroplay train" +
                       (known ? " (pid " + std::to_string(holder.l_pid) + ")" : "") +
                       "; stop it first, or pick another --run-dir");
    throw IoError("cannot lock " + path + ": " + std::strerror(err));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The pid in the file is for people; the lock itself is what counts.
  }
}

RunLock::RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // drops the lock
}

}  // namespace zp::run
