// The one little-endian byte codec for every binary format: game records, shards and the
// wire (shared/data), checkpoints and the trainer's state (shared/model). Header-only.
//
//   std::string out;  put<uint32_t>(&out, 7);  put_str(&out, "connect4");
//   ByteReader r(out, "checkpoint");  r.get<uint32_t>("format version");  r.str("game name");
//
// Reading past the end throws FormatError
//   "<what> truncated: <field> needs N bytes at offset X, only Y left".
// Thread-compatible (a reader is used by one thread).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "shared/core/error.h"

namespace zp {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the formats are little-endian");

template <typename T>
void put(std::string* out, T v) {
  static_assert(std::is_arithmetic<T>::value, "numbers only");
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

// "str": u32 byte length, then the bytes.
inline void put_str(std::string* out, std::string_view s) {
  put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out->append(s.data(), s.size());
}

class ByteReader {
 public:
  ByteReader(std::string_view bytes, const char* what) : b_(bytes), what_(what) {}

  template <typename T>
  T get(const char* field = "a value") {
    static_assert(std::is_arithmetic<T>::value, "numbers only");
    need(sizeof(T), field);
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  // A view of the next n bytes (into the original bytes).
  std::string_view take(uint64_t n, const char* field = "bytes") {
    need(n, field);
    std::string_view v = b_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::string str(const char* field) { return std::string(take(get<uint32_t>(field), field)); }
  size_t pos() const { return pos_; }
  size_t remaining() const { return b_.size() - pos_; }

 private:
  void need(uint64_t n, const char* field) const {
    if (n > b_.size() - pos_)
      throw FormatError(std::string(what_) + " truncated: " + field + " needs " +
                        std::to_string(n) + " bytes at offset " + std::to_string(pos_) +
                        ", only " + std::to_string(b_.size() - pos_) + " left");
  }
  std::string_view b_;
  const char* what_;
  size_t pos_ = 0;
};

}  // namespace zp
