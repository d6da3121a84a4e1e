// ProcessGroupNCCL for Communicator (distributed.h), built only with -DZEROPLAY_NCCL=ON: the
// wheel's libtorch_cuda.so exports the class, and its NCCL header comes from the wheel's
// nvidia-nccl package (the NCCL torch runs with). Compiled and linked here; never run on a
// GPU pair yet (the development machines have none), so it is off by default.
#define USE_C10D_NCCL 1

#include "shared/model/distributed_impl.h"

#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

namespace zp::model {

c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store,
                                                    int rank, int world_size,
                                                    std::chrono::milliseconds timeout) {
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world_size, options);
}

}  // namespace zp::model
