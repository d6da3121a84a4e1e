// Little-endian byte writing and bounds-checked reading for the wire and file formats.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "shared/core/error.h"

namespace zp::data {

template <typename T>
void put(std::string* out, T v) {
  static_assert(std::is_trivially_copyable<T>::value, "plain values only");
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));  // x86-64 and aarch64 are little-endian
  out->append(buf, sizeof(T));
}

// Reads values in order; any read past the end throws FormatError naming `what`.
class Reader {
 public:
  Reader(std::string_view bytes, const char* what) : bytes_(bytes), what_(what) {}
  template <typename T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string_view take(size_t n) {
    need(n);
    std::string_view v = bytes_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  size_t pos() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }

 private:
  void need(size_t n) const {
    if (bytes_.size() - pos_ < n)
      throw FormatError(std::string(what_) + " is truncated (needs " + std::to_string(pos_ + n) +
                        " bytes, has " + std::to_string(bytes_.size()) + ")");
  }
  std::string_view bytes_;
  const char* what_;
  size_t pos_ = 0;
};

uint64_t checksum64(const void* data, size_t n);

}  // namespace zp::data
