// Minimal JSON for our JSON-lines files (metrics.jsonl, elo_games.jsonl): a writer for one
// object per line, and a reader for FLAT objects (string, number, true/false/null values;
// nested objects and arrays are skipped over, not returned). Enough to read back what we
// write; not a general JSON library.
//
// Not thread-safe per object; the functions are.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace zp::arena {

// Builds {"k":v,...} in insertion order. Non-finite numbers are written as null.
class JsonLine {
 public:
  JsonLine& add(const std::string& key, double value);
  JsonLine& add(const std::string& key, int64_t value);
  JsonLine& add(const std::string& key, int value) { return add(key, static_cast<int64_t>(value)); }
  JsonLine& add(const std::string& key, bool value);
  JsonLine& add(const std::string& key, const std::string& value);
  JsonLine& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  // `json` is inserted as it is (a nested object or array built by the caller).
  JsonLine& add_raw(const std::string& key, const std::string& json);
  // The object, without a newline.
  std::string str() const { return body_ + "}"; }

 private:
  std::string body_ = "{";
  bool first_ = true;
  void key(const std::string& k);
};

// JSON string literal with the needed escapes.
std::string json_quote(const std::string& s);

// The top-level fields of one JSON object: strings unescaped, numbers and literals as their
// text. Returns nullopt if the text is not one well-formed object.
std::optional<std::map<std::string, std::string>> parse_flat_json(const std::string& text);

// Appends `line` + '\n' to `path` with one write() on an O_APPEND descriptor (created 0644).
// Throws IoError.
void append_line(const std::string& path, const std::string& line);

}  // namespace zp::arena
