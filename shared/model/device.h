// Device queries and device-string resolution, without torch headers (device.cpp has them).
// Thread-safe. Calling these initialises the CUDA runtime in this process when a driver is
// present: call them after any fork (the supervisor fork+execs its children, so that holds).
#pragma once

#include <string>

namespace zp::model {

// Whether torch can use at least one CUDA device here.
bool cuda_available();
// Number of CUDA devices torch sees (0 without a driver or a device).
int cuda_device_count();

// Compute capability of CUDA device `index` as major * 10 + minor (90 for an H100); 0
// without CUDA.
int cuda_compute_capability(int index);

// Whether `p` points into page-locked (pinned) host memory that CUDA registered; false
// without CUDA. For tests and diagnostics.
bool is_pinned_host_memory(const void* p);

// torch's intra-op thread count in this process (at::get_num_threads()).
int torch_threads();

// Resolves a config device string to a torch device string:
//   "auto" -> "cuda:0" when cuda_available(), else "cpu";  "cuda" -> "cuda:0";
//   "cpu" and "cuda:N" pass through.
// Throws ConfigError for anything else, and for a CUDA device this machine does not have.
// `key` names the config key in the message, e.g. "model.device".
std::string resolve_device(const std::string& spec, const std::string& key = "device");

}  // namespace zp::model
