// The config keys a run cannot change on --resume: the game and the model shape (a saved
// network and its checkpoints would no longer load), the optimizer (its saved state would
// be dropped) and learner.world_size (the data-parallel ranks; a run resumes with as many
// as it was trained with). A saved set without a key (an older run) does not check that key.
// The supervisor checks them against the run's saved config.yaml before
// anything starts; the learner checks them against its learner_state.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "shared/config/config.h"

namespace zp::config {

// (key, value as text) of every key fixed for a run, e.g. ("learner.optimizer", "sgd").
std::vector<std::pair<std::string, std::string>> resume_fixed_values(const Config& c);

// Throws ConfigError naming every fixed key whose value differs:
//   "--resume: learner.optimizer is 'sgd' in <where>, 'adam' now; ..."
// `saved` are the pairs from resume_fixed_values (a key missing from them is not checked).
void check_resume_values(const std::vector<std::pair<std::string, std::string>>& saved,
                         const Config& now, const std::string& where);

}  // namespace zp::config
