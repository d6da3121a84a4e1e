// What the learner keeps in <run_dir>/checkpoints/ so that a restarted learner continues where
// the last one left off.
//
//   model-<version>.zpck  published checkpoints (model/checkpoint.h bytes), newest few only
//   latest                one line: the file name of the newest checkpoint ("model-12.zpck")
//   training_state.pt     Trainer::save_training_state: weights, optimizer state, step
//   learner_state         the learner's own counters, as "key value" lines:
//                           step <i64>                 trainer step when saved (cross-check)
//                           version <i64>              last published model version
//                           samples_trained <i64>      positions put into minibatches, whole run
//                           positions_ingested <i64>   positions read from NEW shards, whole run
//                           last_shard <name>          newest shard file ingested ("" = none)
//                           version_step <v> <step>    one line per model version whose data
//                                                      may still be trained on: the trainer step
//                                                      it was published at (staleness.h)
//                           config.<key> <value>       every key fixed for a run
//                                                      (config/resume.h), e.g.
//                                                      "config.learner.optimizer sgd"
//
// Every file is written atomically (tmp, fsync, rename). A publication writes, in order: the
// model file, training_state.pt, learner_state, latest; and only then the shm model store. A
// crash between two of them leaves an older but self-consistent learner_state, and the store
// never holds a version newer than the one learner_state records.
//
// Functions are thread-safe (no shared state); they block on file I/O.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace zp::learner {

struct LearnerState {
  int64_t step = 0;
  int64_t version = 0;
  int64_t samples_trained = 0;
  int64_t positions_ingested = 0;
  std::string last_shard;
  // (version, step it was published at), oldest version first; empty in a state saved before
  // they were recorded.
  std::vector<std::pair<int64_t, int64_t>> version_steps;
  // (key, value) of the config keys fixed for a run, as config::resume_fixed_values gives
  // them; empty in a state saved before they were recorded.
  std::vector<std::pair<std::string, std::string>> fixed;
};

// File names inside the checkpoints directory come from shared/run/files.h.

// Writes learner_state atomically. Throws IoError.
void save_learner_state(const std::string& checkpoints_dir, const LearnerState& s);
// Reads learner_state. Throws IoError if missing, FormatError if a known key has a bad value.
// Unknown keys are ignored (so fields may be added later).
LearnerState load_learner_state(const std::string& checkpoints_dir);
// The same for its text; `path` names it in errors.
LearnerState parse_learner_state(const std::string& text, const std::string& path);

// Writes `latest` naming run::model_file_name(version). Throws IoError.
void write_latest(const std::string& checkpoints_dir, int64_t version);

// The <v> of every model-<v>.zpck file in the directory, newest first.
std::vector<int64_t> model_versions(const std::string& checkpoints_dir);

// The highest <v> among model-<v>.zpck files in the directory (0 if none).
int64_t highest_model_version(const std::string& checkpoints_dir);

// Deletes model-<v>.zpck files except the `keep` highest versions. Returns how many it removed.
// Errors are logged, not thrown (pruning must never stop training).
int prune_model_files(const std::string& checkpoints_dir, int keep);

}  // namespace zp::learner
