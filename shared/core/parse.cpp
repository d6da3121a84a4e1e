#include "shared/core/parse.h"

#include <charconv>
#include <cmath>

namespace zp {

namespace {

template <typename T>
std::optional<T> parse_whole(std::string_view text) {
  T value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

std::optional<int64_t> parse_int(std::string_view text) { return parse_whole<int64_t>(text); }

std::optional<uint64_t> parse_uint(std::string_view text) {
  // from_chars accepts no '+', but would accept "-0"; digits only.
  if (!text.empty() && text[0] == '-') return std::nullopt;
  return parse_whole<uint64_t>(text);
}

std::optional<double> parse_number(std::string_view text) {
  const std::optional<double> v = parse_whole<double>(text);
  if (!v || !std::isfinite(*v)) return std::nullopt;
  return v;
}

}  // namespace zp
