#include "shared/search/config_params.h"

namespace zp::search {

SearchParams params_from_config(const config::SearchConfig& c, bool add_noise) {
  SearchParams p;
  p.simulations = c.simulations;
  p.c_puct = c.c_puct;
  p.fpu_reduction = c.fpu_reduction;
  p.dirichlet_alpha = c.dirichlet_alpha;
  p.dirichlet_fraction = add_noise ? c.dirichlet_fraction : 0.0f;
  p.virtual_loss = c.virtual_loss;
  p.reuse_tree = c.reuse_tree;
  return p;
}

}  // namespace zp::search
