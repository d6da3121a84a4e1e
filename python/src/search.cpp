// Our MCTS (search/tree.h) for Python, with a Python callable as the evaluator.
//
// Tree.run(evaluator) plays the gather/scatter rounds of tree.h: each round gathers up to
// `leaves` leaves, calls evaluator(obs, legal) once with obs float32 [n, P, H, W] and legal bool
// [n, A], and expects (policy [n, A], value [n] or [n, 1]) back (anything numpy converts).
// With logits=True (default) the policy is raw logits, masked and softmaxed here as the
// LibTorch backend does; with logits=False it is priors (>= 0), renormalised over the legal
// moves by the tree. Values are for the player to move, in [-1, 1].
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "shared/core/error.h"
#include "shared/search/tree.h"
#include "python/src/bindings.h"

namespace py = pybind11;

namespace zp::python {

namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

class PyTree {
 public:
  PyTree(const PyGame& g, const search::SearchParams& params, uint64_t seed, int leaves)
      : game_(g.game), tree_(*g.game, params, seed), leaves_(leaves) {
    if (leaves < 1) throw ConfigError("leaves must be at least 1, got " + std::to_string(leaves));
    const int n = game_->num_actions();
    obs_.resize(static_cast<size_t>(leaves) * game_->observation_shape().size());
    legal_.resize(static_cast<size_t>(leaves) * n);
    policy_.resize(static_cast<size_t>(leaves) * n);
    value_.resize(leaves);
    buffers_ = {leaves,         game_->observation_shape().size(), n, obs_.data(), legal_.data(),
                policy_.data(), value_.data()};
  }

  void reset(const PyState& s) {
    if (s.game != game_) throw ConfigError("state is of another game than the search");
    if (s.state->is_terminal()) throw StateError("cannot search a terminal position");
    tree_.reset(*s.state);
    has_root_ = true;
  }

  void run(const py::object& evaluator, bool logits) {
    search::Tree& t = tree();
    while (!t.done()) {
      const int n = t.gather(leaves_, buffers_, 0);
      if (n > 0) evaluate(evaluator, n, logits);
      t.scatter(buffers_, 0);
    }
  }

  void advance(game::Action a) {
    if (a < 0 || a >= game_->num_actions() || !tree().root_state().is_legal(a))
      throw StateError("advance: " + std::to_string(a) + " is not a legal move at the root");
    tree_.advance(a);
  }

  // The tree, once reset() has given it a root (before that its root does not exist).
  search::Tree& tree() {
    if (!has_root_) throw StateError("reset() the search with a state first");
    return tree_;
  }
  const game::Game& game() const { return *game_; }

 private:
  void evaluate(const py::object& evaluator, int n, bool logits);
  void store_policy(const FloatArray& p, int n, bool logits);

  std::shared_ptr<const game::Game> game_;
  search::Tree tree_;
  int leaves_;
  std::vector<float> obs_, policy_, value_;
  std::vector<uint8_t> legal_;
  nn::BatchBuffers buffers_;
  bool has_root_ = false;
};

void PyTree::evaluate(const py::object& evaluator, int n, bool logits) {
  const game::ObsShape s = game_->observation_shape();
  const int a = game_->num_actions();
  py::array_t<float> obs({n, s.planes, s.height, s.width});
  std::copy(obs_.begin(), obs_.begin() + static_cast<size_t>(n) * s.size(), obs.mutable_data());
  const py::bytes bytes(reinterpret_cast<const char*>(legal_.data()), static_cast<size_t>(n) * a);
  const py::object mask = py::module_::import("numpy")
                              .attr("frombuffer")(bytes, "uint8")
                              .attr("reshape")(n, a)
                              .attr("astype")("bool");
  const py::object out = evaluator(obs, mask);
  const py::tuple pair = py::cast<py::tuple>(out);
  if (pair.size() != 2) throw ConfigError("evaluator must return (policy, value)");
  const FloatArray policy = FloatArray::ensure(pair[0]);
  const FloatArray value = FloatArray::ensure(pair[1]);
  if (!policy || policy.ndim() != 2 || policy.shape(0) != n || policy.shape(1) != a)
    throw ConfigError("evaluator policy must have shape (" + std::to_string(n) + ", " +
                      std::to_string(a) + ")");
  if (!value || value.size() != n)
    throw ConfigError("evaluator value must have " + std::to_string(n) + " entries");
  store_policy(policy, n, logits);
  for (int i = 0; i < n; ++i) {
    const float v = value.data()[i];
    if (!(v >= -1.0f && v <= 1.0f))
      throw ConfigError("evaluator value " + std::to_string(v) + " is not in [-1, 1]");
    value_[i] = v;
  }
}

// Logits: softmax over the legal moves (illegal ones 0), as the LibTorch backend computes it.
void PyTree::store_policy(const FloatArray& p, int n, bool logits) {
  const int a = game_->num_actions();
  for (int i = 0; i < n; ++i) {
    const float* in = p.data() + static_cast<size_t>(i) * a;
    const uint8_t* legal = legal_.data() + static_cast<size_t>(i) * a;
    float* out = policy_.data() + static_cast<size_t>(i) * a;
    float top = -std::numeric_limits<float>::infinity(), sum = 0.0f;
    for (int j = 0; j < a; ++j) {
      if (!std::isfinite(in[j]) && legal[j])
        throw ConfigError("evaluator policy has a non-finite entry on a legal move");
      if (!logits && legal[j] && in[j] < 0.0f)
        throw ConfigError("evaluator priors must be >= 0 (pass logits=True for logits)");
      if (legal[j]) top = std::max(top, in[j]);
    }
    for (int j = 0; j < a; ++j) {
      out[j] = !legal[j] ? 0.0f : logits ? std::exp(in[j] - top) : in[j];
      sum += out[j];
    }
    if (logits)
      for (int j = 0; j < a; ++j) out[j] /= sum;
  }
}

search::SearchParams make_params(const std::string& algorithm, int simulations, float c_puct,
                                 float fpu_reduction, float dirichlet_alpha,
                                 float dirichlet_fraction, float virtual_loss, bool reuse_tree,
                                 int gumbel_considered, float gumbel_scale, float c_visit,
                                 float c_scale) {
  search::SearchParams p;
  if (algorithm == "puct") {
    p.algorithm = search::Algorithm::kPuct;
  } else if (algorithm == "gumbel") {
    p.algorithm = search::Algorithm::kGumbel;
  } else {
    throw ConfigError("algorithm must be puct or gumbel, got '" + algorithm + "'");
  }
  if (simulations < 1)
    throw ConfigError("simulations must be at least 1, got " + std::to_string(simulations));
  p.simulations = simulations;
  p.c_puct = c_puct;
  p.fpu_reduction = fpu_reduction;
  p.dirichlet_alpha = dirichlet_alpha;
  p.dirichlet_fraction = dirichlet_fraction;
  p.virtual_loss = virtual_loss;
  p.reuse_tree = reuse_tree;
  p.gumbel_considered = gumbel_considered;
  p.gumbel_scale = gumbel_scale;
  p.q_transform = {c_visit, c_scale};
  return p;
}

py::list root_children(PyTree& t) {
  std::vector<search::RootChild> children;
  t.tree().root_children(&children);
  py::list out;
  for (const auto& c : children) out.append(py::make_tuple(c.action, c.visits, c.prior, c.q));
  return out;
}

py::array_t<float> visit_policy(PyTree& t) {
  py::array_t<float> out(std::vector<py::ssize_t>{t.game().num_actions()});
  t.tree().visit_policy(out.mutable_data());
  return out;
}

}  // namespace

void bind_search(py::module_& m) {
  const search::SearchParams d;
  py::class_<PyTree>(m, "Tree", "One MCTS tree (search/tree.h); see zeroplay.Search.")
      .def(py::init([](const PyGame& g, uint64_t seed, int leaves, const std::string& algorithm,
                       int simulations, float c_puct, float fpu_reduction, float dirichlet_alpha,
                       float dirichlet_fraction, float virtual_loss, bool reuse_tree,
                       int gumbel_considered, float gumbel_scale, float c_visit, float c_scale) {
             return std::make_unique<PyTree>(
                 g,
                 make_params(algorithm, simulations, c_puct, fpu_reduction, dirichlet_alpha,
                             dirichlet_fraction, virtual_loss, reuse_tree, gumbel_considered,
                             gumbel_scale, c_visit, c_scale),
                 seed, leaves);
           }),
           py::arg("game"), py::arg("seed") = 1, py::arg("leaves") = 8,
           py::arg("algorithm") = "puct", py::arg("simulations") = d.simulations,
           py::arg("c_puct") = d.c_puct, py::arg("fpu_reduction") = d.fpu_reduction,
           py::arg("dirichlet_alpha") = d.dirichlet_alpha, py::arg("dirichlet_fraction") = 0.0f,
           py::arg("virtual_loss") = d.virtual_loss, py::arg("reuse_tree") = d.reuse_tree,
           py::arg("gumbel_considered") = d.gumbel_considered, py::arg("gumbel_scale") = 0.0f,
           py::arg("c_visit") = d.q_transform.c_visit, py::arg("c_scale") = d.q_transform.c_scale)
      .def("reset", &PyTree::reset, py::arg("state"))
      .def(
          "advance", &PyTree::advance, py::arg("action"))
      .def("run", &PyTree::run, py::arg("evaluator"), py::arg("logits") = true)
      .def("set_search_budget",
           [](PyTree& t, int sims, bool noise) { t.tree().set_search_budget(sims, noise); })
      .def("done", [](PyTree& t) { return t.tree().done(); })
      .def_property_readonly("root_visits", [](PyTree& t) { return t.tree().root_visits(); })
      .def_property_readonly("simulations", [](PyTree& t) { return t.tree().simulations(); })
      .def("root_children", &root_children, "[(action, visits, prior, q)] in action order.")
      .def("root_value", [](PyTree& t) { return t.tree().root_value(); })
      .def("visit_policy", &visit_policy)
      .def(
          "choose_move", [](PyTree& t, float temperature) { return t.tree().choose_move(temperature); },
          py::arg("temperature") = 0.0f);
}

}  // namespace zp::python
