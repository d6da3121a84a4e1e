// Writing the config out: to_yaml (the resolved config as a commented YAML file) and
// print_help_keys (the key reference), both generated from the schema table.
#include <algorithm>
#include <ostream>
#include <sstream>

#include "shared/config/config.h"
#include "shared/config/schema.h"

namespace zp::config {
namespace {

using detail::KeySpec;

// `text` split into lines of at most `width` columns at spaces.
std::vector<std::string> wrap(const std::string& text, size_t width) {
  std::istringstream words(text);
  std::vector<std::string> lines;
  std::string word, line;
  while (words >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// `text` as YAML comment lines that fit in 100 columns.
void write_comment(std::ostream& os, const std::string& text, const std::string& indent) {
  for (const std::string& line : wrap(text, 100 - indent.size() - 2)) {
    os << indent << "# " << line << "\n";
  }
}

}  // namespace

std::string to_yaml(const Config& config) {
  std::ostringstream os;
  os << "# Zeroplay configuration, every key with its help text.\n"
     << "# Types, defaults and ranges: zeroplay config --help-keys\n";
  if (!config.source.empty()) {
    std::string source = config.source;
    std::replace(source.begin(), source.end(), '\n', ' ');
    os << "# Resolved from: " << source << "\n";
  }
  for (const auto& section : detail::sections()) {
    os << "\n";
    write_comment(os, section.help, "");
    os << section.name << ":\n";
    for (const KeySpec& k : detail::keys()) {
      if (k.section != section.name) continue;
      write_comment(os, k.help, "  ");
      os << "  " << k.name << ": " << detail::format(k, config) << "\n";
    }
  }
  return os.str();
}

void print_help_keys(std::ostream& os) {
  const Config defaults;
  os << "Config keys by section. A config file maps sections to keys:\n"
        "  search:\n"
        "    simulations: 400\n"
        "Keys left out keep their defaults. --set search.simulations=400 overrides one key.\n";
  for (const auto& section : detail::sections()) {
    // "search: help..." with continuation lines aligned under the help's first word.
    const std::string indent(section.name.size() + 2, ' ');
    os << "\n" << section.name << ": ";
    bool first = true;
    for (const std::string& line : wrap(section.help, 100 - indent.size())) {
      os << (first ? "" : indent) << line << "\n";
      first = false;
    }
    for (const KeySpec& k : detail::keys()) {
      if (k.section != section.name) continue;
      const std::string limits = detail::limits_text(k);
      os << "  " << k.full() << "  (" << detail::type_name(k)
         << (limits.empty() ? "" : ", " + limits) << "; default " << detail::format(k, defaults)
         << ")\n";
      for (const std::string& line : wrap(k.help, 94)) os << "      " << line << "\n";
    }
  }
}

}  // namespace zp::config
