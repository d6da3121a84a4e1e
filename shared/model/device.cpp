#include "shared/model/device.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/cuda/CUDAContext.h>
#include <torch/cuda.h>

#include <cstdlib>

#include "shared/core/error.h"

namespace zp::model {

bool cuda_available() { return torch::cuda::is_available(); }

int cuda_device_count() { return static_cast<int>(torch::cuda::device_count()); }

int cuda_compute_capability(int index) {
  if (!cuda_available() || index < 0 || index >= cuda_device_count()) return 0;
  const cudaDeviceProp* p = at::cuda::getDeviceProperties(static_cast<c10::DeviceIndex>(index));
  return p->major * 10 + p->minor;
}

bool is_pinned_host_memory(const void* p) {
  return cuda_available() && at::globalContext().isPinnedPtr(p);
}

int torch_threads() { return at::get_num_threads(); }

// Only the forms documented in device.h are accepted; a CUDA index is checked against the
// devices this process can see (CUDA_VISIBLE_DEVICES applies).
std::string resolve_device(const std::string& spec, const std::string& key) {
  if (spec == "cpu") return spec;
  if (spec == "auto") return cuda_available() ? "cuda:0" : "cpu";
  int index = -1;
  if (spec == "cuda") {
    index = 0;
  } else if (spec.rfind("cuda:", 0) == 0 && spec.size() > 5 &&
             spec.find_first_not_of("0123456789", 5) == std::string::npos) {
    index = std::atoi(spec.c_str() + 5);
  } else {
    throw ConfigError(key + ": '" + spec + "' is not a device (auto, cpu, cuda or cuda:N)");
  }
  const int count = cuda_device_count();
  if (index >= count) {
    throw ConfigError(key + ": '" + spec + "' asked for, but this machine has " +
                      std::to_string(count) + " CUDA device" + (count == 1 ? "" : "s"));
  }
  return "cuda:" + std::to_string(index);
}

}  // namespace zp::model
