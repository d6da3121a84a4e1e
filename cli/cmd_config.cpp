// `zeroplay config`: validate a config file and print it resolved, or print the key reference.
//   zeroplay config --help-keys
//   zeroplay config config/connect4.yaml [--set search.simulations=400]...
// The resolved YAML (every key, with help comments) goes to stdout; it loads back unchanged.
// Problems propagate as zp::ConfigError / zp::IoError, which main() prints as one line.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "shared/config/config.h"
#include "shared/core/error.h"
#include "cli/commands.h"

namespace zp::cli {

void add_config_command(CLI::App& app) {
  struct Options {
    std::string file;
    std::vector<std::string> overrides;
    bool help_keys = false;
  };
  // The callback runs after parse() returns from this function, so the options live on the heap.
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "config", "Validate a config file and print the resolved YAML, or list every key");
  CLI::Option* file =
      cmd->add_option("file", opts->file, "YAML config file (e.g. config/connect4.yaml)");
  // One value per --set, so a FILE after it is not swallowed as a second override.
  cmd->add_option("--set", opts->overrides, "Override one key: section.key=value (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--help-keys", opts->help_keys,
                "Print every key with its type, default, range and help text")
      ->excludes(file);
  cmd->callback([opts] {
    if (opts->help_keys) {
      config::print_help_keys(std::cout);
      return;
    }
    if (opts->file.empty()) {
      throw ConfigError("config: give a config FILE to validate, or --help-keys");
    }
    const config::Config config = config::load_config(opts->file, opts->overrides);
    std::cout << config::to_yaml(config);
  });
}

}  // namespace zp::cli
