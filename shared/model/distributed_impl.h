// Internal to shared/model: the torch side of Communicator (distributed.h), for trainer.cpp.
// Includes torch headers; never include it outside shared/model.
#pragma once

#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/types.h>

#include <string>
#include <vector>

#include "shared/model/distributed.h"

namespace zp::model {

struct Communicator::Impl {
  DistOptions opt;
  std::string backend_name;            // "gloo" | "nccl"
  torch::Device comm_device{torch::kCPU};  // where collectives run: the CPU for Gloo
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> pg;

  // "learner rank 1: " for error lines.
  std::string prefix() const;
  // Waits for `work`; a failure becomes StateError("<prefix><what> failed: ...").
  void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what) const;
  // In place, on any device (staged through comm_device when it differs).
  void allreduce_sum(torch::Tensor& t) const;
  void broadcast_from_0(torch::Tensor& t) const;
};

// ProcessGroupNCCL over `store` (distributed_nccl.cpp); only called when has_nccl().
c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store,
                                                    int rank, int world_size,
                                                    std::chrono::milliseconds timeout);

}  // namespace zp::model
