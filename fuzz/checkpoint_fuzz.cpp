// libFuzzer target: checkpoint decoding (model::decode_checkpoint: framing, metadata, lengths)
// and the compatibility check against Connect Four's default model, behind a correct
// checksum (fuzz_support.h). The weights blob itself is torch's zip archive, decoded by
// LibTorch, and is not fuzzed here.
#include "fuzz/fuzz_support.h"
#include "shared/config/config.h"
#include "shared/core/error.h"
#include "shared/model/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const zp::game::Game& game = zp::fuzz::connect4();
  static const zp::config::ModelConfig model;
  const std::string bytes = zp::fuzz::with_checksum(data, size);
  try {
    const zp::model::DecodedCheckpoint c = zp::model::decode_checkpoint(bytes);
    (void)zp::model::describe_checkpoint(c.meta);
    zp::model::check_compatible(c.meta, game, model);
  } catch (const zp::Error&) {
  }
  return 0;
}
