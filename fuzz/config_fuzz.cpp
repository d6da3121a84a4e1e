// libFuzzer target: YAML config loading (config::load_config_string: yaml-cpp, the key schema
// and the cross-key checks); a config that loads must survive to_yaml and load again.
#include <cstdlib>

#include "fuzz/fuzz_support.h"
#include "shared/config/config.h"
#include "shared/core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)zp::fuzz::connect4();  // registers the games
  zp::config::Config c;
  try {
    c = zp::config::load_config_string(zp::fuzz::bytes_of(data, size), "fuzz");
  } catch (const zp::Error&) {
    return 0;
  }
  try {
    (void)zp::config::load_config_string(zp::config::to_yaml(c), "round trip");
  } catch (const zp::Error&) {
    std::abort();  // a resolved config must load again (train saves and resumes it)
  }
  return 0;
}
