// The learner role: `zeroplay learner --run-dir DIR`, spawned by the supervisor.
//
// It reads the writer's shards from <run_dir>/shards/ into a replay window (replay.h,
// shard_watcher.h), trains the network on minibatches sampled from it (model/trainer.h), and
// every learner.publish_every_steps steps publishes the weights as a new model version into
// the shm model store (actors and the evaluator poll it) and into <run_dir>/checkpoints/
// (learner_state.h lists the files).
//
// Contract with the rest of the run:
//   - Version 1 is the freshly initialised network, published before the first training
//     step, so actors always have a model; versions then increase by one per publication and
//     keep increasing across learner restarts (never below the store's current version).
//   - A restarted learner resumes from checkpoints/ (weights, optimizer, step, counters),
//     refills its window from the newest shards and logs "resuming from step N".
//   - Sample budget: samples_trained <= learner.sample_reuse * positions_ingested, both over
//     the whole run. positions_ingested counts positions of shards read for the first time
//     (a resume's refill of old shards does not count again); when over budget it sleeps.
//   - Corrupt shards are skipped with a warning and counted in kShardsSkipped.
//   - Stats slot ipc::kLearnerSlot: heartbeat at least every second, also while waiting.
//   - SIGTERM/SIGINT: publish and save a final checkpoint, return 0. Also returns 0 once
//     train.max_steps (when > 0) is reached, after a final publication.
//
// Blocks until done. Throws zp::Error (IoError, ConfigError, ...) when the run directory, the
// shm objects or the config cannot be used; the caller turns that into a non-zero exit.
//
// Data parallel (learner.world_size N > 1): N learner processes, ranks 0 .. N-1 (launch.h
// says who starts them and how a process learns its rank), train one network on
// torch.distributed (model/distributed.h). Rank 0 is "the learner" above: it alone reads the
// shard directory's listing, decides when to train, publishes, writes checkpoints/ and its
// stats slot, and logs to logs/learner.log. Before each iteration it broadcasts a command
// (the shards it read, train or not, stop) that the other ranks follow, so every rank's
// window holds the same positions; each rank then samples its own disjoint share of the
// window (ReplayWindow::sample) for batch_size / N positions, and the trainer averages the
// gradients. Ranks > 0 log to logs/learner-<r>.log and write nothing else; they ignore stop
// signals (rank 0 stops the group) and exit with an error when rank 0 goes away.
#pragma once

#include <string>

#include "learner/launch.h"

namespace zp::learner {

int run_learner(const std::string& run_dir, const RankFlags& flags = {});

}  // namespace zp::learner
