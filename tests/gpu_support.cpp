#include "shared/model/device.h"
#include "tests/test_support.h"

namespace zp::test {
// Asks torch (through the model library), not nvidia-smi: a device counts only if torch can
// really use it (driver, runtime and the wheel's CUDA version all agree).
bool cuda_device_available() { return model::cuda_available(); }
}  // namespace zp::test
