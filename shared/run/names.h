// Names of a run's shared objects and sockets. Every name carries the run id, so a new run
// never collides with a live one; stale objects of dead runs are found by prefix and removed.
#pragma once

#include <string>
#include <vector>

namespace zp::run {

struct RunNames {
  std::string run_id;        // e.g. "a1b2c3d4" (random hex, saved in <run_dir>/run_id)
  std::string stats;         // shm object name: "zp-<run_id>-stats"
  std::string models;        // shm object name: "zp-<run_id>-models"
  std::string gpu_lock_dir;  // directory of the per-device lock files (the run directory)
  std::string records;       // ZeroMQ endpoint the writer binds for records (PULL)
  std::string acks;          // ZeroMQ endpoint the writer binds for acknowledgements (PUB)

  // `writer_endpoint` empty: ipc:// sockets in the run directory. ipc://PATH: records on
  // PATH, acknowledgements on PATH.acks (a relative PATH is under the run directory).
  // tcp://host:port: records there, acknowledgements on the same host with port+1.
  // Throws ConfigError for anything else, or a socket path over sun_path's 107 characters.
  static RunNames make(const std::string& run_id, const std::string& run_dir,
                       const std::string& writer_endpoint);
  std::string gpu_lock_path(int device) const;
  // The lock of a resolved device spec: gpu_lock_path(N) for "cuda:N", device 0's for "cuda"
  // and "cpu" (the CPU lock, actors.gpu_lock: on). Actors on different devices
  // (actors.devices) take different locks.
  std::string gpu_lock_path(const std::string& device) const;
  // shm object of device d's inference-server request slots: "zp-<run_id>-infer<d>"
  // (actors.inference: server; shared/ipc/infer_slots.h).
  std::string infer_slots(int device) const;
};

// A fresh random run id (8 hex digits).
std::string new_run_id();

// Removes /dev/shm objects named "zp-<id>-*" whose run is dead: the pid recorded in the stats
// block is gone or the block is unreadable. Returns the names removed.
std::vector<std::string> remove_stale_objects();
// Same, limited to run ids that start with `id_prefix` (tests use this so that they never
// touch the objects of runs they did not create).
std::vector<std::string> remove_stale_objects(const std::string& id_prefix);

}  // namespace zp::run
