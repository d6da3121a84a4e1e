#include "shared/search/config_params.h"

namespace zp::search {

SearchParams params_from_config(const config::SearchConfig& c, bool add_noise) {
  SearchParams p;
  p.algorithm = c.algorithm == "gumbel" ? Algorithm::kGumbel : Algorithm::kPuct;
  p.simulations = c.simulations;
  p.c_puct = c.c_puct;
  p.fpu_reduction = c.fpu_reduction;
  p.dirichlet_alpha = c.dirichlet_alpha;
  p.dirichlet_fraction = add_noise ? c.dirichlet_fraction : 0.0f;
  p.virtual_loss = c.virtual_loss;
  p.reuse_tree = c.reuse_tree;
  p.gumbel_considered = c.gumbel_considered;
  p.gumbel_scale = add_noise ? 1.0f : 0.0f;
  p.q_transform.c_visit = c.gumbel_c_visit;
  p.q_transform.c_scale = c.gumbel_c_scale;
  return p;
}

}  // namespace zp::search
