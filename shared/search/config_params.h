// SearchParams from the config's `search` section. Kept out of tree.h so that the search
// library itself depends on core, game and nn only (zp_search_config links the config).
#pragma once

#include "shared/config/config.h"
#include "shared/search/tree.h"

namespace zp::search {

// Copies config.search; root noise only when `add_noise` (self-play), else off.
SearchParams params_from_config(const config::SearchConfig& c, bool add_noise);

}  // namespace zp::search
