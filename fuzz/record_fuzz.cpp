// libFuzzer target: record decoding (data::decode_record) and validation against Connect Four
// (data::validate_record), behind a correct checksum (fuzz_support.h).
#include "fuzz/fuzz_support.h"
#include "shared/core/error.h"
#include "shared/data/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const zp::game::Game& game = zp::fuzz::connect4();
  const std::string bytes = zp::fuzz::with_checksum(data, size);
  try {
    if (zp::data::record_size(bytes) == 0) return 0;
    const zp::data::GameRecord r = zp::data::decode_record(bytes);
    zp::data::validate_record(r, game);
  } catch (const zp::Error&) {
  }
  return 0;
}
