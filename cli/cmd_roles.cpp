// The process roles as hidden subcommands: the supervisor spawns `/proc/self/exe <role> ...`
// (fork+exec), so every role runs from the one binary. They are left out of --help (group
// "") because people start runs with `zeroplay train`, not role by role.
//   zeroplay writer --run-dir DIR
//   zeroplay learner --run-dir DIR [--rank R --master-addr A --master-port P]
//   zeroplay evaluator --run-dir DIR
//   zeroplay actor --run-dir DIR --index I [--actor-id ID]
//   zeroplay hub --run-dir DIR                   (writer.endpoint tcp://: joined hosts)
//   zeroplay server --run-dir DIR --device N     (actors.inference: server)
// A role's exit code becomes the process's: CLI::RuntimeError(code) makes main() return it
// without printing anything.
#include <memory>
#include <string>

#include "actor/actor.h"
#include "evaluator/evaluator.h"
#include "hub/hub.h"
#include "learner/learner.h"
#include "server/inference_server.h"
#include "cli/commands.h"
#include "writer/writer.h"

namespace zp::cli {

namespace {

void exit_with(int code) {
  if (code != 0) throw CLI::RuntimeError(code);
}

}  // namespace

void add_role_commands(CLI::App& app) {
  auto writer_dir = std::make_shared<std::string>();
  CLI::App* writer = app.add_subcommand("writer", "Role: receive records, write shards");
  writer->group("");
  writer->add_option("--run-dir", *writer_dir, "Run directory (config.yaml, run_id)")
      ->required();
  writer->callback([writer_dir] { exit_with(writer::run_writer(*writer_dir)); });

  auto learner_dir = std::make_shared<std::string>();
  auto learner_rank = std::make_shared<int>(-1);
  auto learner_flags = std::make_shared<learner::RankFlags>();
  CLI::App* learner = app.add_subcommand("learner", "Role: train on shards, publish models");
  learner->group("");
  learner->add_option("--run-dir", *learner_dir, "Run directory (config.yaml, run_id)")
      ->required();
  learner->add_option("--rank", *learner_rank,
                      "Data-parallel rank, 0 .. learner.world_size - 1 (else RANK or "
                      "SLURM_PROCID from the environment)");
  learner->add_option("--master-addr", learner_flags->master_addr,
                      "Host of rank 0's TCPStore (with --rank)");
  learner->add_option("--master-port", learner_flags->master_port,
                      "Port of rank 0's TCPStore (with --rank)");
  learner->callback([learner_dir, learner_rank, learner_flags] {
    if (*learner_rank >= 0) learner_flags->rank = *learner_rank;
    exit_with(learner::run_learner(*learner_dir, *learner_flags));
  });

  auto actor_dir = std::make_shared<std::string>();
  auto actor_index = std::make_shared<int>(0);
  auto actor_id = std::make_shared<int64_t>(-1);
  CLI::App* actor = app.add_subcommand("actor", "Role: self-play games, stream records");
  actor->group("");
  actor->add_option("--run-dir", *actor_dir, "Run directory (config.yaml, run_id)")->required();
  actor->add_option("--index", *actor_index, "Actor number, 0 .. actors.count - 1")->required();
  actor->add_option("--actor-id", *actor_id,
                    "Actor id in records (default: the index; a joined host's range)");
  actor->callback([actor_dir, actor_index, actor_id] {
    exit_with(actor::run_actor(*actor_dir, *actor_index, *actor_id));
  });

  auto hub_dir = std::make_shared<std::string>();
  CLI::App* hub = app.add_subcommand("hub", "Role: serve joined hosts (config, models, ids)");
  hub->group("");
  hub->add_option("--run-dir", *hub_dir, "Run directory (config.yaml, run_id)")->required();
  hub->callback([hub_dir] { exit_with(hub::run_hub(*hub_dir)); });

  auto server_dir = std::make_shared<std::string>();
  auto server_device = std::make_shared<int>(0);
  CLI::App* server =
      app.add_subcommand("server", "Role: inference server of one device (actors.inference)");
  server->group("");
  server->add_option("--run-dir", *server_dir, "Run directory (config.yaml, run_id)")
      ->required();
  server->add_option("--device", *server_device, "Device index the server runs on")
      ->required();
  server->callback([server_dir, server_device] {
    exit_with(server::run_server(*server_dir, *server_device));
  });

  auto evaluator_dir = std::make_shared<std::string>();
  CLI::App* evaluator =
      app.add_subcommand("evaluator", "Role: rate published models, Elo ladder, gating");
  evaluator->group("");
  evaluator->add_option("--run-dir", *evaluator_dir, "Run directory (config.yaml, run_id)")
      ->required();
  evaluator->callback([evaluator_dir] { exit_with(evaluator::run_evaluator(*evaluator_dir)); });
}

}  // namespace zp::cli
