// The one number parser: whole strings only ("12" yes; "12x", " 12", "" and out-of-range
// values no). Every command-line, file and config number goes through these.
//
// Thread-safe (no state).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace zp {

// A decimal integer, optionally signed ("-3"); nullopt if `text` is anything else.
std::optional<int64_t> parse_int(std::string_view text);
// Non-negative decimal digits only ("0", "42"); nullopt for signs, spaces, overflow.
std::optional<uint64_t> parse_uint(std::string_view text);
// A finite decimal or exponent number ("0.25", "-1e-3", "5"); nullopt for nan, inf, junk.
std::optional<double> parse_number(std::string_view text);

}  // namespace zp
