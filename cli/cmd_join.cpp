// `zeroplay join ENDPOINT --keys DIR [--actors N] [--devices LIST] [--run-dir DIR]
// [--name NAME]`: an actor host joining a run started by `zeroplay train` with
// writer.endpoint: tcp://... (host/host.h).
#include <memory>

#include "cli/commands.h"
#include "host/host.h"

namespace zp::cli {

void add_join_command(CLI::App& app) {
  auto o = std::make_shared<host::JoinOptions>();
  CLI::App* cmd = app.add_subcommand(
      "join", "Join a run on another machine as an actor host (the head runs train with "
              "writer.endpoint: tcp://HOST:PORT)");
  cmd->add_option("endpoint", o->endpoint, "The head's writer.endpoint: tcp://HOST:PORT")
      ->required();
  cmd->add_option("--keys", o->keys_dir,
                  "Folder with writer.public, actor.public and actor.secret (from the head's "
                  "<run_dir>/keys, or an actor pair whose .public is in the head's "
                  "keys/authorized/)")
      ->required();
  cmd->add_option("--actors", o->actors, "Actors on this host")->capture_default_str();
  cmd->add_option("--devices", o->devices, "Devices of this host's actors, round robin, e.g. "
                  "cuda:0,cuda:1 (actors.devices; default: the head's)");
  cmd->add_option("--run-dir", o->run_dir, "This host's run directory (default: "
                  "runs/join-<date>-<time>)");
  cmd->add_option("--name", o->name, "Name shown in the head's status (default: host name)");
  cmd->callback([o] {
    const int rc = host::run_join(*o);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace zp::cli
