// Our JSON-lines files (metrics.jsonl, elo_games.jsonl) and one-line JSON results, through
// nlohmann-json: a compact one-line writer, a reader for one object, and an atomic append.
//
// All functions are thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace zp::arena {

// A JSON value whose objects keep their keys in insertion order (the order lines are built in).
using Json = nlohmann::ordered_json;

// `j` as compact JSON on one line, without a newline. Non-finite numbers are written as null;
// bytes that are not valid UTF-8 become U+FFFD.
std::string json_line(const Json& j);

// One JSON object. Returns nullopt if `text` is not exactly one well-formed object (a torn
// line, trailing text, an array...).
std::optional<Json> parse_json_object(const std::string& text);

// Appends `line` + '\n' to `path` with one write() on an O_APPEND descriptor (created 0644).
// Throws IoError.
void append_line(const std::string& path, const std::string& line);

}  // namespace zp::arena
