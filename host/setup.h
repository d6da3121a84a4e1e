// The start-up pieces of `zeroplay join` (host.h): checking the options, the host's run
// directory and its keys, and the host's config from the head's. Plain functions.
#pragma once

#include <string>

#include "host/host.h"
#include "shared/config/config.h"

namespace zp::host {

// Checks ENDPOINT (tcp://HOST:PORT), --actors and --devices, and that the keys in --keys are
// readable; fills in the default run directory and name. Throws ConfigError / IoError.
JoinOptions checked_options(JoinOptions o);

// Creates the run directory (it must be new or empty) and copies the keys into its keys/.
void prepare_host_dir(const JoinOptions& o);

// The head's config as this host runs it: writer.endpoint = ENDPOINT, actors.count = N,
// model.device = --devices when given. Throws ConfigError.
config::Config host_config(const std::string& head_yaml, const JoinOptions& o);

}  // namespace zp::host
