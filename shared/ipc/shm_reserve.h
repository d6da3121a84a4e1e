// Reserving the memory of a new shared-memory object (tmpfs under /dev/shm).
//
// ftruncate() on tmpfs only sets the size: the pages are allocated on first touch, and if
// /dev/shm is full by then (a container's 64 MiB default) the toucher dies with SIGBUS.
// reserve_shm allocates every page up front, so a lack of shared memory is one clear error at
// start instead.
#pragma once

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <cstddef>
#include <string>

namespace zp::ipc {

// Where POSIX shared-memory objects live on Linux.
constexpr const char* kShmDir = "/dev/shm";

// Gives the new, empty object open as `fd` a size of `bytes`, every byte allocated
// (posix_fallocate). `what` names it in errors ("model store zp-...-models"). Throws IoError
//   "<what> needs 98.3 MiB of shared memory, but /dev/shm has only 60.2 MiB free (of
//    64.0 MiB); ..."
// when /dev/shm lacks the room (checked with statvfs first, then by the allocation itself).
void reserve_shm(int fd, size_t bytes, const std::string& what);

// Creates the shm object `name` (replacing an old one; mode 0600) with `bytes` reserved as
// above, and maps it read-write into *shm and *region; the object is zero-filled. On failure
// it removes the object again and throws IoError ("cannot create shared memory <name> (<n>
// bytes): ..." or reserve_shm's message, `what` naming it).
void create_reserved_shm(const std::string& name, size_t bytes, const std::string& what,
                         boost::interprocess::shared_memory_object* shm,
                         boost::interprocess::mapped_region* region);

}  // namespace zp::ipc
