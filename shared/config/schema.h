// The config schema: one entry per key, declared once in schema.cpp. Internal to
// shared/config; everything else uses config.h.
//
// An entry names the key ("search.simulations"), binds it to its Config member (the member's
// C++ type is the key's type), and gives its limits and help text. The default is not written
// here: it is whatever the member's default initialiser in config.h says, read from a
// value-initialised Config. Parsing, range checks, --set, to_yaml and print_help_keys are all
// driven by this table.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "shared/config/config.h"

namespace zp::config::detail {

// A pointer to one Config member; the alternative held is the key's type.
using Ref = std::variant<int*, int64_t*, uint64_t*, float*, double*, bool*, std::string*>;

// What values a key accepts besides its type's own limits.
struct Limits {
  // Numeric keys: lo <= v <= hi (lo < v when lo_open). Infinite bounds mean "none".
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  // String keys: the allowed values (an enum); empty = any string passing `check`.
  std::vector<std::string> choices;
  // String keys: returns "" when `value` is acceptable, else the problem. May be null.
  std::string (*check)(const std::string& value) = nullptr;
  // How `check` reads in help output, e.g. "auto | cpu | cuda | cuda:N".
  const char* check_desc = "";
};

struct KeySpec {
  std::string section;  // "search"
  std::string name;     // "simulations"
  Ref (*bind)(Config&);
  Limits limits;
  std::string help;

  std::string full() const { return section + "." + name; }
};

struct SectionSpec {
  std::string name;
  std::string help;
};

// The tables, in declaration order (which is also the order of to_yaml and --help-keys).
// Built once on first use; immutable afterwards, so safe to read from any thread.
const std::vector<SectionSpec>& sections();
const std::vector<KeySpec>& keys();

// --- Values (value.cpp) -----------------------------------------------------------------------
// Parses `text` as the key's type, checks its limits and stores it in the member `spec` binds.
// `text` is null when the YAML value is empty (`key:` or `key: ~`): a plain string key then
// becomes "", any other key is an error. Returns "" on success, else the problem as a short
// phrase ("expected an integer, got 'abc'", "must be >= 1, got -5"); `config` is unchanged then.
std::string assign(const KeySpec& spec, Config& config, const std::string* text);
// The key's value in `config` as a YAML scalar that assign() reads back to the same value.
std::string format(const KeySpec& spec, const Config& config);
// "int", "int64", "uint64", "float", "double", "bool", "string" or "enum".
std::string type_name(const KeySpec& spec);
// The accepted values beyond the type, e.g. "[1, 1000000]", "> 0", "one of: sgd | adam";
// "" when any value of the type is accepted.
std::string limits_text(const KeySpec& spec);

}  // namespace zp::config::detail
