// libFuzzer target: the learner's checkpoints/learner_state parser
// (learner::parse_learner_state).
#include "fuzz/fuzz_support.h"
#include "learner/learner_state.h"
#include "shared/core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)zp::learner::parse_learner_state(zp::fuzz::bytes_of(data, size), "fuzz");
  } catch (const zp::Error&) {
  }
  return 0;
}
