#include "shared/ipc/shm_reserve.h"

#include <fcntl.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/permissions.hpp>

#include "shared/core/error.h"

namespace zp::ipc {

namespace {

std::string mib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024.0));
  return buf;
}

// The one-line refusal: what is needed, what is free, what to do about it.
[[noreturn]] void no_room(const std::string& what, size_t bytes, const char* reason) {
  std::string free_part = "an unknown amount";
  struct statvfs vfs {};
  if (::statvfs(kShmDir, &vfs) == 0) {
    const double frsize = static_cast<double>(vfs.f_frsize);
    free_part = "only " + mib(static_cast<double>(vfs.f_bavail) * frsize) + " free (of " +
                mib(static_cast<double>(vfs.f_blocks) * frsize) + ")";
  }
  throw IoError(what + " needs " + mib(static_cast<double>(bytes)) +
                " of shared memory, but " + kShmDir + " has " + free_part + (reason ? "; " : "") +
                (reason ? reason : "") +
                "; enlarge it (e.g. docker run --shm-size=1g) or configure a smaller model");
}

}  // namespace

void reserve_shm(int fd, size_t bytes, const std::string& what) {
  struct statvfs vfs {};
  // f_blocks == 0: a tmpfs without a size limit; only the allocation below can tell.
  if (::statvfs(kShmDir, &vfs) == 0 && vfs.f_blocks > 0 &&
      bytes > static_cast<unsigned long long>(vfs.f_bavail) * vfs.f_frsize)
    no_room(what, bytes, nullptr);
  int rc;
  do {
    rc = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes));
  } while (rc == EINTR);
  if (rc == ENOSPC || rc == ENOMEM) no_room(what, bytes, std::strerror(rc));
  if (rc != 0)
    throw IoError("cannot allocate " + mib(static_cast<double>(bytes)) + " for " + what + ": " +
                  std::strerror(rc));
}

void create_reserved_shm(const std::string& name, size_t bytes, const std::string& what,
                         boost::interprocess::shared_memory_object* shm,
                         boost::interprocess::mapped_region* region) {
  namespace bip = boost::interprocess;
  bip::shared_memory_object::remove(name.c_str());
  try {
    *shm = bip::shared_memory_object(bip::create_only, name.c_str(), bip::read_write,
                                     bip::permissions(0600));
    reserve_shm(shm->get_mapping_handle().handle, bytes, what);
    *region = bip::mapped_region(*shm, bip::read_write, 0, bytes);
  } catch (const bip::interprocess_exception& e) {
    bip::shared_memory_object::remove(name.c_str());
    throw IoError("cannot create shared memory " + name + " (" + std::to_string(bytes) +
                  " bytes): " + e.what());
  } catch (const IoError&) {
    bip::shared_memory_object::remove(name.c_str());
    throw;
  }
}

}  // namespace zp::ipc
