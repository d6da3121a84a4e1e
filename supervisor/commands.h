// Subcommands of the `zeroplay` executable. Each add_*_command registers one subcommand on
// the CLI11 app, with a callback that does the work and may throw zp::Error; main() turns
// errors into a one-line message and a non-zero exit code.
#pragma once

#include <CLI/CLI.hpp>

namespace zp::cli {

void add_config_command(CLI::App& app);
void add_solve_command(CLI::App& app);

}  // namespace zp::cli
