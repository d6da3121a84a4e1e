// Data parallelism on torch.distributed (c10d): one Communicator per process joins a group of
// `world_size` ranks and gives the trainer (trainer.h) its collectives. No torch in this header
// (distributed.cpp holds c10d behind a pImpl), so learner/ stays torch-free.
//
// Rendezvous: rank 0 runs a c10d::TCPStore server on master_addr:master_port; every rank
// (rank 0 too) connects to it as a client and waits until all world_size ranks have joined.
// With agent_store (under torchrun) the launcher's agent already runs that server: every rank
// is a client, and the group's keys go under store_prefix (one per restart of the group).
// Over the store the ranks then build one process group:
//   - ProcessGroupNCCL when `device` is CUDA and this build has NCCL (distributed_nccl.cpp,
//     compiled in by CMake's ZEROPLAY_NCCL=AUTO where torch has CUDA and the wheel's
//     nvidia-nccl header is there: has_nccl(); never run on a GPU pair yet);
//   - ProcessGroupGloo otherwise (on the CPU; with CUDA tensors Gloo stages them through host
//     memory, so a CUDA learner without NCCL works, just slower).
// Gloo binds 127.0.0.1 when master_addr is a loopback address, else the address this host's
// name resolves to (c10d's default device).
//
// Failure modes, each one ZP error line:
//   - a rank that cannot reach the store (or, rank 0, does not see every rank join) within
//     connect_timeout_s throws IoError: "learner rank 1: cannot reach the TCPStore at
//     127.0.0.1:29500 after 91 s", the time it waited (c10d's client tries twice, so about
//     1.5 x connect_timeout_s);
//   - a collective that waits longer than op_timeout_s for a peer (a dead or hung rank), or
//     whose peer's connection drops, throws StateError naming the operation.
// There is no recovery inside a group: whoever launched the ranks restarts all of them.
//
// Not thread-safe: one Communicator per process (tests may run one per thread, each its own
// rank), used from one thread. Every collective blocks until all ranks called it, in the same
// order on every rank (the caller's contract; a mismatch hangs until op_timeout_s).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace zp::model {

struct DistOptions {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  double connect_timeout_s = 60.0;
  double op_timeout_s = 600.0;
  std::string device = "cpu";    // where the reduced tensors live ("cpu", "cuda:0", ...)
  std::string who = "learner";   // names this process in errors: "<who> rank <r>: ..."
  // Another process (torchrun's agent) hosts the TCPStore: rank 0 joins it as a client too.
  bool agent_store = false;
  std::string store_prefix;      // this group's keys in the store start with it ("" = none)
};

class Communicator {
 public:
  // Joins the group; blocks until every rank joined (or throws IoError after
  // connect_timeout_s). Precondition: 0 <= rank < world_size, 1 <= master_port <= 65535.
  explicit Communicator(const DistOptions& options);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const;
  int world_size() const;
  // "gloo" or "nccl".
  std::string backend() const;
  // Whether this build can run ProcessGroupNCCL.
  static bool has_nccl();

  // Rank 0's `bytes` replace every other rank's (length first, then the bytes).
  void broadcast_bytes(std::string* bytes);
  // Element-wise sum over the ranks, in place, in double precision (counters, flags).
  void allreduce_sum(std::vector<double>* values);
  void barrier();

  struct Impl;  // distributed_impl.h (torch), for trainer.cpp
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace zp::model
