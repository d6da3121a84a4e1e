// `zeroplay join ENDPOINT --keys DIR [--actors N] [--devices LIST]`: an actor host on another
// machine joining a run that a head (`zeroplay train` with writer.endpoint: tcp://HOST:PORT)
// started. The host:
//   - says HELLO to the head's hub (ENDPOINT's host, PORT+2; shared/run/hub.h) with CURVE
//     keys from DIR (writer.public, actor.public, actor.secret: shared/ipc/curve_keys.h) and
//     gets a host id, a range of actor ids and the run's resolved config;
//   - makes its own run directory (config.yaml = the head's config with writer.endpoint =
//     ENDPOINT and actors.count = N; its own run id; keys/ from DIR) and its own stats block
//     and model store;
//   - relays each new model from the head into its store (host/relay.h);
//   - spawns and supervises N actors with the supervisor's process table (restart with
//     backoff, heartbeats); their records go straight to the head's writer over CURVE tcp;
//   - reports to the hub every second (BEAT), which the head's status line shows.
// When the head is down or unreachable it prints "waiting for head at ENDPOINT" and keeps its
// actors (their unacknowledged records are bounded); when the head comes back (train
// --resume) it says HELLO again with its host id and carries on. When the head stops (STOP)
// or on Ctrl-C it stops its actors (they drain their records into the writer), says BYE and
// exits.
#pragma once

#include <string>

namespace zp::host {

struct JoinOptions {
  std::string endpoint;  // the head's writer.endpoint as reachable from here: tcp://HOST:PORT
  std::string keys_dir;  // writer.public, actor.public, actor.secret
  int actors = 1;
  std::string devices;   // "" = the head's model.device; one device (e.g. cpu, cuda:0)
  std::string run_dir;   // "" = runs/join-<date>-<time>
  std::string name;      // "" = the host name
};

// Runs until the head stops the run or a stop signal. Returns the process exit code. Throws
// ConfigError / IoError (one line) for bad options, missing keys, a refused key.
int run_join(const JoinOptions& options);

}  // namespace zp::host
