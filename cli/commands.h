// Subcommands of the `zeroplay` executable. Each add_*_command registers one subcommand on
// the CLI11 app, with a callback that does the work and may throw zp::Error; main() turns
// errors into a one-line message and a non-zero exit code.
#pragma once

#include <CLI/CLI.hpp>

namespace zp::cli {

void add_config_command(CLI::App& app);
void add_solve_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
// Hidden role subcommands the supervisor spawns (writer, actor, learner): cmd_roles.cpp.
void add_role_commands(CLI::App& app);
void add_bench_command(CLI::App& app);
// Registers `inference` on the `bench` parent (cmd_bench_inference.cpp).
void add_bench_inference(CLI::App& bench);
// Registers `selfplay` on the `bench` parent (cmd_bench_selfplay.cpp).
void add_bench_selfplay(CLI::App& bench);
// Registers `train` on the `bench` parent (cmd_bench_train.cpp).
void add_bench_train(CLI::App& bench);
void add_selfplay_command(CLI::App& app);
void add_play_command(CLI::App& app);
void add_train_command(CLI::App& app);
// `join ENDPOINT --keys DIR`: an actor host joining a run over tcp (cmd_join.cpp).
void add_join_command(CLI::App& app);
// `keygen DIR`: a joining host's own CURVE key pair (cmd_keygen.cpp).
void add_keygen_command(CLI::App& app);
// `eval arena`, `eval oracle`, the hidden `eval make-positions`, and `plot` (cmd_eval.cpp).
void add_eval_command(CLI::App& app);
// `export CKPT --format onnx|torchscript --out FILE`, through the Python package (cmd_export.cpp).
void add_export_command(CLI::App& app);

}  // namespace zp::cli
