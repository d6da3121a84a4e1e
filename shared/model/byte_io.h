// Little-endian byte writing and bounds-checked reading for the model's file formats
// (checkpoint.h, the trainer's training state). Header-only, no torch. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shared/core/error.h"

namespace zp::model {

inline void put_u32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void put_u64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
// "str": u32 byte length, then the bytes.
inline void put_str(std::string* out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out->append(s.data(), s.size());
}

// Reads fields in order from a view; running past the end throws FormatError
// "<format> truncated: <field> needs N bytes at offset X, only Y left".
class ByteReader {
 public:
  ByteReader(std::string_view bytes, const char* format) : b_(bytes), format_(format) {}

  uint32_t u32(const char* field) {
    need(4, field);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(byte(pos_ + i)) << (8 * i);
    pos_ += 4;
    return v;
  }
  uint64_t u64(const char* field) {
    need(8, field);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(byte(pos_ + i)) << (8 * i);
    pos_ += 8;
    return v;
  }
  int32_t i32(const char* field) { return static_cast<int32_t>(u32(field)); }
  int64_t i64(const char* field) { return static_cast<int64_t>(u64(field)); }
  // A view of the next n bytes (into the original bytes).
  std::string_view bytes(uint64_t n, const char* field) {
    need(n, field);
    std::string_view v = b_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::string str(const char* field) { return std::string(bytes(u32(field), field)); }
  size_t pos() const { return pos_; }
  size_t remaining() const { return b_.size() - pos_; }

 private:
  uint8_t byte(size_t i) const { return static_cast<uint8_t>(b_[i]); }
  void need(uint64_t n, const char* field) const {
    if (n > b_.size() - pos_) {
      throw FormatError(std::string(format_) + " truncated: " + field + " needs " +
                        std::to_string(n) + " bytes at offset " + std::to_string(pos_) + ", only " +
                        std::to_string(b_.size() - pos_) + " left");
    }
  }
  std::string_view b_;
  const char* format_;
  size_t pos_ = 0;
};

}  // namespace zp::model
