#include "shared/tb/record_io.h"

#include <boost/crc.hpp>

#include <cstring>

#include "shared/core/fs.h"

namespace zp::tb {

namespace {

using Crc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

uint32_t crc32c(const void* data, size_t n) {
  Crc32c crc;
  crc.process_bytes(data, n);
  return crc.checksum();
}

uint32_t mask_crc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

uint32_t masked_crc32c(const void* data, size_t n) { return mask_crc(crc32c(data, n)); }

std::string frame_record(std::string_view data) {
  std::string out;
  out.reserve(data.size() + kFrameOverhead);
  const uint64_t length = data.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  put_u32(out, masked_crc32c(out.data(), 8));
  out.append(data);
  put_u32(out, masked_crc32c(data.data(), data.size()));
  return out;
}

ReadResult parse_records(std::string_view bytes) {
  ReadResult r;
  size_t at = 0;
  auto fail = [&](const std::string& what, bool truncated) {
    r.truncated = truncated;
    r.error = "record " + std::to_string(r.records.size()) + " at byte " + std::to_string(at) +
              ": " + what;
    return r;
  };
  while (at < bytes.size()) {
    const char* p = bytes.data() + at;
    const size_t left = bytes.size() - at;
    if (left < 12) return fail("file ends inside the length header", true);
    if (static_cast<uint32_t>(get_le(p + 8, 4)) != masked_crc32c(p, 8))
      return fail("length CRC mismatch", false);
    const uint64_t length = get_le(p, 8);
    if (length > left - 12 || left - 12 - length < 4)
      return fail("file ends inside a record of " + std::to_string(length) + " bytes", true);
    if (static_cast<uint32_t>(get_le(p + 12 + length, 4)) != masked_crc32c(p + 12, length))
      return fail("data CRC mismatch", false);
    r.records.emplace_back(p + 12, length);
    at += 12 + length + 4;
  }
  return r;
}

ReadResult read_record_file(const std::string& path) {
  return parse_records(read_file(path, "event file"));
}

}  // namespace zp::tb
