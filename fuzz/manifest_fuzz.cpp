// libFuzzer target: the writer's shards/manifest.json parser (writer::parse_manifest), and
// the JSON it writes back must parse to the same manifest.
#include <cstdlib>

#include "fuzz/fuzz_support.h"
#include "shared/core/error.h"
#include "writer/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zp::writer::Manifest m;
  try {
    m = zp::writer::parse_manifest(zp::fuzz::bytes_of(data, size), "fuzz");
  } catch (const zp::Error&) {
    return 0;
  }
  const std::string again = zp::writer::manifest_to_json(m);
  if (zp::writer::manifest_to_json(zp::writer::parse_manifest(again, "round trip")) != again)
    std::abort();  // what the writer saves must read back the same
  return 0;
}
