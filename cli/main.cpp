// zeroplay: the single executable. Subcommands are the user's commands (train, selfplay,
// play, eval, bench, inspect, solve, config) and the process roles the supervisor spawns.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "shared/core/error.h"
#include "shared/core/log.h"
#include "shared/game/registry.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  zp::game::register_all_games();
  CLI::App app{"zeroplay: AlphaZero-style self-play and training"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for all subcommands");
  zp::cli::add_config_command(app);
  zp::cli::add_solve_command(app);
  zp::cli::add_inspect_command(app);
  zp::cli::add_role_commands(app);
  zp::cli::add_bench_command(app);
  zp::cli::add_selfplay_command(app);
  zp::cli::add_play_command(app);
  zp::cli::add_train_command(app);
  zp::cli::add_join_command(app);
  zp::cli::add_keygen_command(app);
  zp::cli::add_eval_command(app);
  zp::cli::add_export_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    const zp::ExitReport report = zp::exit_report(e);
    std::fprintf(stderr, "zeroplay: %s\n", report.line.c_str());
    return report.code;
  }
  return 0;
}
