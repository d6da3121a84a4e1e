// libFuzzer target: shard parsing (data::parse_shard, what read_shard does with a file's
// bytes) and validation of every record, behind a correct checksum (fuzz_support.h).
#include "fuzz/fuzz_support.h"
#include "shared/core/error.h"
#include "shared/data/shard.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const zp::game::Game& game = zp::fuzz::connect4();
  const std::string bytes = zp::fuzz::with_checksum(data, size);
  try {
    for (const zp::data::GameRecord& r : zp::data::parse_shard(bytes, "fuzz"))
      zp::data::validate_record(r, game);
  } catch (const zp::Error&) {
  }
  return 0;
}
