// Reading and writing one key's value: strict scalar parsing per type, limit checks, and the
// YAML spelling that reads back exactly.
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string_view>
#include <type_traits>

#include "shared/config/schema.h"
#include "shared/core/parse.h"

namespace zp::config::detail {
namespace {

// A bound or a type limit as a reader expects it: "1000000", "0.5", "2147483647".
std::string fmt_bound(long double x) {
  char buf[64];
  if (x == std::floor(x) && std::fabs(x) < 1e20L) {
    std::snprintf(buf, sizeof buf, "%.0Lf", x);
  } else {
    std::snprintf(buf, sizeof buf, "%.10Lg", x);
  }
  return buf;
}

// The shortest decimal spelling that parses back to exactly `v`; integral values keep a ".0"
// so they read as real numbers ("30.0").
template <typename T>
std::string fmt_real(T v) {
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(v));
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, static_cast<double>(v));
    const T back = std::is_same_v<T, float> ? std::strtof(buf, nullptr) : std::strtod(buf, nullptr);
    if (back == v) break;
  }
  return buf;
}

// Digits with an optional leading sign, nothing else (no spaces, no '.', no exponent).
bool is_decimal_integer(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// What a value of type T must look like, for messages.
template <typename T>
std::string expected_phrase() {
  if constexpr (std::is_same_v<T, bool>) return "expected true or false";
  if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    return "expected a non-negative integer";
  }
  if constexpr (std::is_integral_v<T>) return "expected an integer";
  return "expected a number";
}

template <typename T>
std::string assign_number(const KeySpec& spec, T* out, const std::string* text) {
  if (!text) return "missing value (" + expected_phrase<T>() + ")";
  const std::string& s = *text;
  const std::string bad = expected_phrase<T>() + ", got '" + s + "'";
  T parsed{};
  long double v = 0;  // the value for range checks; exact for every int64/uint64 bound
  if constexpr (std::is_integral_v<T>) {
    if (!is_decimal_integer(s) || (std::is_unsigned_v<T> && s[0] == '-')) return bad;
    v = std::strtold(s.c_str(), nullptr);
    if (v < static_cast<long double>(std::numeric_limits<T>::min())) {
      return "must be >= " + fmt_bound(std::numeric_limits<T>::min()) + ", got " + s;
    }
    if (v > static_cast<long double>(std::numeric_limits<T>::max())) {
      return "must be <= " + fmt_bound(std::numeric_limits<T>::max()) + ", got " + s;
    }
    const std::string_view digits = s[0] == '+' ? std::string_view(s).substr(1) : s;
    if constexpr (std::is_signed_v<T>) {
      parsed = static_cast<T>(parse_int(digits).value());
    } else {
      parsed = static_cast<T>(parse_uint(digits).value());
    }
  } else {
    const std::string_view text = !s.empty() && s[0] == '+' ? std::string_view(s).substr(1) : s;
    const std::optional<double> number = parse_number(text);
    if (!number) return bad;
    parsed = static_cast<T>(*number);
    if (!std::isfinite(parsed)) return "expected a finite number, got '" + s + "'";
    v = parsed;
  }
  const Limits& l = spec.limits;
  if (l.lo_open ? !(v > l.lo) : v < l.lo) {
    return std::string("must be ") + (l.lo_open ? "> " : ">= ") + fmt_bound(l.lo) + ", got " + s;
  }
  if (v > l.hi) return "must be <= " + fmt_bound(l.hi) + ", got " + s;
  *out = parsed;
  return "";
}

std::string assign_bool(bool* out, const std::string* text) {
  if (!text) return "missing value (" + expected_phrase<bool>() + ")";
  const std::string& s = *text;
  // The YAML 1.2 core schema's spellings; yes/no/on/off are deliberately not booleans.
  if (s == "true" || s == "True" || s == "TRUE") {
    *out = true;
  } else if (s == "false" || s == "False" || s == "FALSE") {
    *out = false;
  } else {
    return expected_phrase<bool>() + ", got '" + s + "'";
  }
  return "";
}

std::string join_choices(const std::vector<std::string>& choices, const char* sep) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i) out += (i ? sep : "") + choices[i];
  return out;
}

std::string assign_string(const KeySpec& spec, std::string* out, const std::string* text) {
  const Limits& l = spec.limits;
  if (!l.choices.empty()) {
    const std::string allowed = "must be one of " + join_choices(l.choices, ", ");
    if (!text) return "missing value (" + allowed + ")";
    bool found = false;
    for (const std::string& c : l.choices) found = found || c == *text;
    if (!found) return allowed + "; got '" + *text + "'";
  }
  const std::string value = text ? *text : "";
  if (l.check) {
    const std::string problem = l.check(value);
    if (!problem.empty()) return problem;
  }
  *out = value;
  return "";
}

// A string as a YAML scalar: plain when that reads back unchanged, else double-quoted.
std::string yaml_string(const std::string& s) {
  bool plain = !s.empty() && s != "~" && s != "null" && s != "Null" && s != "NULL";
  for (size_t i = 0; plain && i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const bool safe = std::isalnum(c) || c == '_' || c == '.' || c == '/' || c == '+' ||
                      (i > 0 && (c == ':' || c == '-'));
    plain = safe && !(c == ':' && i + 1 == s.size());
  }
  if (plain) return s;
  std::string out = "\"";
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

}  // namespace

std::string assign(const KeySpec& spec, Config& config, const std::string* text) {
  return std::visit(
      [&](auto* member) -> std::string {
        using T = std::remove_pointer_t<decltype(member)>;
        if constexpr (std::is_same_v<T, bool>) {
          return assign_bool(member, text);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return assign_string(spec, member, text);
        } else {
          return assign_number(spec, member, text);
        }
      },
      spec.bind(config));
}

std::string format(const KeySpec& spec, const Config& config) {
  Config copy = config;  // bind() takes a mutable Config; the copy keeps `config` untouched
  return std::visit(
      [](auto* member) -> std::string {
        using T = std::remove_pointer_t<decltype(member)>;
        if constexpr (std::is_same_v<T, bool>) {
          return *member ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return yaml_string(*member);
        } else if constexpr (std::is_integral_v<T>) {
          return std::to_string(*member);
        } else {
          return fmt_real(*member);
        }
      },
      spec.bind(copy));
}

std::string type_name(const KeySpec& spec) {
  Config scratch;
  static const char* const kNames[] = {"int", "int64", "uint64", "float", "double", "bool"};
  const Ref ref = spec.bind(scratch);
  if (std::holds_alternative<std::string*>(ref)) {
    return spec.limits.choices.empty() ? "string" : "enum";
  }
  return kNames[ref.index()];
}

std::string limits_text(const KeySpec& spec) {
  const Limits& l = spec.limits;
  if (!l.choices.empty()) return "one of: " + join_choices(l.choices, " | ");
  if (l.check) return l.check_desc;
  const bool has_lo = std::isfinite(l.lo), has_hi = std::isfinite(l.hi);
  if (has_lo && has_hi) {
    return (l.lo_open ? "(" : "[") + fmt_bound(l.lo) + ", " + fmt_bound(l.hi) + "]";
  }
  if (has_lo) return (l.lo_open ? "> " : ">= ") + fmt_bound(l.lo);
  if (has_hi) return "<= " + fmt_bound(l.hi);
  return "";
}

}  // namespace zp::config::detail
