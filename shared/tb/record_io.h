// TFRecord framing, the container of TensorBoard's event files (events.out.tfevents.*).
//
// A file is a sequence of frames, each:
//   u64 length              little endian, bytes of data
//   u32 masked_crc(length)  masked CRC-32C of the 8 length bytes
//   data                    `length` bytes (here: one serialized tb Event)
//   u32 masked_crc(data)    masked CRC-32C of the data
// CRC-32C is the Castagnoli polynomial 0x1EDC6F41, reflected, init and final xor 0xFFFFFFFF
// (Boost.CRC); the mask is ((crc >> 15) | (crc << 17)) + 0xa282ead8, so that a CRC of data
// holding CRCs does not degenerate. This is TensorFlow's record_writer / crc32c format.
//
// Thread-safety: plain functions on their arguments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zp::tb {

constexpr size_t kFrameOverhead = 8 + 4 + 4;  // length, its CRC, the data's CRC

// CRC-32C of `n` bytes, and its masked form (the value stored in a frame).
uint32_t crc32c(const void* data, size_t n);
uint32_t mask_crc(uint32_t crc);
uint32_t masked_crc32c(const void* data, size_t n);

// One frame around `data`.
std::string frame_record(std::string_view data);

// The frames of a whole file image, read front to back. Reading stops at the first frame that
// does not check out; `records` holds every whole frame before it and `error` says what and
// where ("record 3 at byte 120: data CRC mismatch"). A file that ends inside a frame (a write
// in progress, or a crash mid-write) sets `truncated` and an error too. Never throws on bad
// bytes.
struct ReadResult {
  std::vector<std::string> records;
  bool truncated = false;
  std::string error;  // empty: every byte was a whole, valid frame
};
ReadResult parse_records(std::string_view bytes);
// The same for a file; throws IoError when it cannot be read.
ReadResult read_record_file(const std::string& path);

}  // namespace zp::tb
