#include "shared/arena/json_line.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "shared/core/error.h"

namespace zp::arena {

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

void JsonLine::key(const std::string& k) {
  if (!first_) body_ += ',';
  first_ = false;
  body_ += json_quote(k);
  body_ += ':';
}

JsonLine& JsonLine::add(const std::string& k, double value) {
  key(k);
  if (!std::isfinite(value)) {
    body_ += "null";
  } else {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%.10g", value);
    body_ += buf;
  }
  return *this;
}

JsonLine& JsonLine::add(const std::string& k, int64_t value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

JsonLine& JsonLine::add(const std::string& k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
  return *this;
}

JsonLine& JsonLine::add(const std::string& k, const std::string& value) {
  key(k);
  body_ += json_quote(value);
  return *this;
}

JsonLine& JsonLine::add_raw(const std::string& k, const std::string& json) {
  key(k);
  body_ += json;
  return *this;
}

namespace {

// A cursor over the text; every parse step returns false on malformed input.
struct Parser {
  const std::string& t;
  size_t i = 0;

  void ws() {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n')) ++i;
  }
  bool string(std::string* out) {
    if (i >= t.size() || t[i] != '"') return false;
    ++i;
    while (i < t.size() && t[i] != '"') {
      char c = t[i++];
      if (c == '\\') {
        if (i >= t.size()) return false;
        const char e = t[i++];
        switch (e) {
          case 'n':
            c = '\n';
            break;
          case 't':
            c = '\t';
            break;
          case 'r':
            c = '\r';
            break;
          case 'b':
            c = '\b';
            break;
          case 'f':
            c = '\f';
            break;
          case 'u':
            if (i + 4 > t.size()) return false;
            c = static_cast<char>(std::strtol(t.substr(i, 4).c_str(), nullptr, 16));
            i += 4;
            break;
          default:
            c = e;
        }
      }
      if (out) *out += c;
    }
    if (i >= t.size()) return false;
    ++i;  // closing quote
    return true;
  }
  // A scalar (number or literal) as its text.
  bool scalar(std::string* out) {
    const size_t begin = i;
    while (i < t.size() && std::strchr(",}] \t\r\n", t[i]) == nullptr) ++i;
    if (i == begin) return false;
    *out = t.substr(begin, i - begin);
    return true;
  }
  // Skips a nested object or array (strings inside may hold brackets).
  bool skip_nested() {
    int depth = 0;
    while (i < t.size()) {
      const char c = t[i];
      if (c == '"') {
        if (!string(nullptr)) return false;
        continue;
      }
      ++i;
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return true;
      }
    }
    return false;
  }
};

}  // namespace

std::optional<std::map<std::string, std::string>> parse_flat_json(const std::string& text) {
  Parser p{text};
  std::map<std::string, std::string> fields;
  p.ws();
  if (p.i >= text.size() || text[p.i] != '{') return std::nullopt;
  ++p.i;
  p.ws();
  if (p.i < text.size() && text[p.i] == '}') {
    ++p.i;
  } else {
    for (;;) {
      std::string key, value;
      p.ws();
      if (!p.string(&key)) return std::nullopt;
      p.ws();
      if (p.i >= text.size() || text[p.i] != ':') return std::nullopt;
      ++p.i;
      p.ws();
      if (p.i >= text.size()) return std::nullopt;
      if (text[p.i] == '"') {
        if (!p.string(&value)) return std::nullopt;
        fields[key] = value;
      } else if (text[p.i] == '{' || text[p.i] == '[') {
        if (!p.skip_nested()) return std::nullopt;
      } else {
        if (!p.scalar(&value)) return std::nullopt;
        fields[key] = value;
      }
      p.ws();
      if (p.i >= text.size()) return std::nullopt;
      if (text[p.i] == ',') {
        ++p.i;
        continue;
      }
      if (text[p.i] != '}') return std::nullopt;
      ++p.i;
      break;
    }
  }
  p.ws();
  if (p.i != text.size()) return std::nullopt;
  return fields;
}

void append_line(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError("cannot open " + path + ": " + std::strerror(errno));
  const std::string data = line + "\n";
  const ssize_t n = ::write(fd, data.data(), data.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(data.size()))
    throw IoError("cannot append to " + path + ": " +
                  (n < 0 ? std::strerror(err) : std::string("short write")));
}

}  // namespace zp::arena
