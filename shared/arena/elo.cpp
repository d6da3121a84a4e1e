#include "shared/arena/elo.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <string_view>

#include "shared/core/error.h"
#include "shared/core/parse.h"
#include "shared/arena/json_line.h"

namespace zp::arena {

namespace {

// Natural log-odds units per Elo point: r_elo = theta * kEloPerNat.
const double kEloPerNat = 400.0 / std::log(10.0);

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
// log(sigmoid(x)) = -log(1 + e^-x), without overflow for large |x|.
double log_sigmoid(double x) {
  return x > 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x));
}

// Aggregated games of one pair (i < j), from i's side, with the virtual draws included.
struct Pair {
  int i, j;
  double games, score_i;
};

// In-place Cholesky factorisation of the symmetric positive definite n x n matrix `a`
// (row-major); returns false if it is not positive definite.
bool cholesky(std::vector<double>& a, int n) {
  for (int j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (d <= 0) return false;
    d = std::sqrt(d);
    a[j * n + j] = d;
    for (int i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (int k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / d;
    }
  }
  return true;
}

// Solves L L^T x = b with the factor from cholesky().
void cholesky_solve(const std::vector<double>& l, int n, std::vector<double>& b) {
  for (int i = 0; i < n; ++i) {
    double s = b[i];
    for (int k = 0; k < i; ++k) s -= l[i * n + k] * b[k];
    b[i] = s / l[i * n + i];
  }
  for (int i = n - 1; i >= 0; --i) {
    double s = b[i];
    for (int k = i + 1; k < n; ++k) s -= l[k * n + i] * b[k];
    b[i] = s / l[i * n + i];
  }
}

}  // namespace

const EloRating* EloFit::find(const std::string& player) const {
  for (const EloRating& r : ratings)
    if (r.player == player) return &r;
  return nullptr;
}

namespace {

// The games, indexed: players in order of first appearance, games aggregated per unordered
// pair.
struct Games {
  std::map<std::string, int> index;
  std::vector<std::string> names;
  std::map<std::pair<int, int>, std::pair<double, double>> agg;  // (i<j) -> games, score of i
  std::vector<int> real_games;                                   // per player, all opponents
};

// Index the players and aggregate games per unordered pair.
Games aggregate_games(const std::vector<PairResult>& results) {
  Games g;
  auto id = [&](const std::string& name) {
    auto [it, added] = g.index.emplace(name, static_cast<int>(g.names.size()));
    if (added) g.names.push_back(name);
    return it->second;
  };
  for (const PairResult& r : results) {
    const int games = r.wins + r.draws + r.losses;
    if (games <= 0 || r.a == r.b) continue;
    int i = id(r.a), j = id(r.b);
    double score = r.wins + 0.5 * r.draws;  // of a
    if (i > j) {
      std::swap(i, j);
      score = games - score;
    }
    auto& [n, s] = g.agg[{i, j}];
    n += games;
    s += score;
    g.real_games.resize(g.names.size(), 0);
    g.real_games[i] += games;
    g.real_games[j] += games;
  }
  g.real_games.resize(g.names.size(), 0);
  return g;
}

// Players connected to the anchor by games (breadth-first over the pairs).
std::vector<char> connected_to(int anchor, const Games& g) {
  const int n_all = static_cast<int>(g.names.size());
  std::vector<std::vector<int>> adjacent(n_all);
  for (const auto& [ij, gs] : g.agg) {
    adjacent[ij.first].push_back(ij.second);
    adjacent[ij.second].push_back(ij.first);
  }
  std::vector<char> reached(n_all, 0);
  std::queue<int> queue;
  queue.push(anchor);
  reached[anchor] = 1;
  while (!queue.empty()) {
    const int u = queue.front();
    queue.pop();
    for (int v : adjacent[u])
      if (!reached[v]) reached[v] = 1, queue.push(v);
  }
  return reached;
}

// The maximum-likelihood problem over the free ratings (every reached player but the anchor).
struct Problem {
  int n_all = 0;               // players, rated or not
  int n = 0;                   // free parameters
  std::vector<int> var;        // player -> its row, or -1
  std::vector<int> player_of;  // row -> player
  std::vector<Pair> pairs;     // the reached pairs, virtual draws included
  std::vector<double> info, grad;  // filled by fisher()

  double log_likelihood(const std::vector<double>& th) const {
    double ll = 0;
    for (const Pair& q : pairs) {
      const double d = th[q.i] - th[q.j];
      ll += q.score_i * log_sigmoid(d) + (q.games - q.score_i) * log_sigmoid(-d);
    }
    return ll;
  }
  // The Fisher information (info, n x n) and the gradient (grad) at `th`.
  void fisher(const std::vector<double>& th) {
    std::fill(info.begin(), info.end(), 0.0);
    std::fill(grad.begin(), grad.end(), 0.0);
    for (const Pair& q : pairs) {
      const double p = sigmoid(th[q.i] - th[q.j]);
      const double w = q.games * p * (1 - p);
      const double g = q.score_i - q.games * p;  // d ll / d theta_i
      const int a = var[q.i], b = var[q.j];
      if (a >= 0) grad[a] += g, info[a * n + a] += w;
      if (b >= 0) grad[b] -= g, info[b * n + b] += w;
      if (a >= 0 && b >= 0) info[a * n + b] -= w, info[b * n + a] -= w;
    }
  }
};

// Free parameters: every reached player but the anchor. Unreached players go to *unrated.
Problem make_problem(const Games& g, const std::vector<char>& reached, int anchor,
                     double prior_draws, std::vector<std::string>* unrated) {
  Problem pr;
  pr.n_all = static_cast<int>(g.names.size());
  pr.var.assign(pr.n_all, -1);
  for (int p = 0; p < pr.n_all; ++p) {
    if (!reached[p]) {
      unrated->push_back(g.names[p]);
    } else if (p != anchor) {
      pr.var[p] = static_cast<int>(pr.player_of.size());
      pr.player_of.push_back(p);
    }
  }
  for (const auto& [ij, gs] : g.agg)
    if (reached[ij.first])
      pr.pairs.push_back(
          {ij.first, ij.second, gs.first + prior_draws, gs.second + 0.5 * prior_draws});
  pr.n = static_cast<int>(pr.player_of.size());
  pr.info.resize(static_cast<size_t>(pr.n) * pr.n);
  pr.grad.resize(pr.n);
  return pr;
}

// Newton's method on the concave log-likelihood, with step halving as a safeguard. Returns
// the ratings in natural units (per player, the anchor's 0); *iterations counts the steps.
std::vector<double> maximise(Problem& pr, const std::function<void()>& tick, int* iterations) {
  const int n = pr.n;
  std::vector<double> theta(pr.n_all, 0.0);
  constexpr int kMaxIterations = 100;
  bool converged = n == 0;
  double ll = pr.log_likelihood(theta);
  std::vector<double> step(n), trial(pr.n_all);
  for (int it = 0; it < kMaxIterations && !converged; ++it) {
    *iterations = it + 1;
    pr.fisher(theta);
    std::vector<double> l = pr.info;
    ZP_CHECK(cholesky(l, n));
    step = pr.grad;
    cholesky_solve(l, n, step);
    double scale = 1.0, trial_ll = 0;
    for (int halvings = 0; halvings < 40; ++halvings, scale *= 0.5) {
      trial = theta;
      for (int k = 0; k < n; ++k) trial[pr.player_of[k]] += scale * step[k];
      trial_ll = pr.log_likelihood(trial);
      if (trial_ll >= ll - 1e-12) break;
    }
    double largest = 0;
    for (int k = 0; k < n; ++k) largest = std::max(largest, std::abs(scale * step[k]));
    theta = trial;
    ll = trial_ll;
    converged = largest < 1e-9;
    if (tick) tick();
  }
  if (!converged) throw StateError("Elo fit did not converge in 100 Newton steps");
  return theta;
}

// Standard errors: sqrt of the diagonal of the inverse Fisher information at the optimum.
// Appends the anchor, then every free player, to fit->ratings, sorted by Elo after the anchor.
void add_ratings(Problem& pr, const std::vector<double>& theta, const Games& g,
                 const std::string& anchor, int anchor_id, const std::function<void()>& tick,
                 EloFit* fit) {
  const int n = pr.n;
  pr.fisher(theta);
  std::vector<double> l = pr.info;
  ZP_CHECK(n == 0 || cholesky(l, n));
  std::vector<double> column(n);
  fit->ratings.push_back({anchor, 0.0, 0.0, g.real_games[anchor_id]});
  for (int k = 0; k < n; ++k) {
    if (tick && k % 64 == 63) tick();
    std::fill(column.begin(), column.end(), 0.0);
    column[k] = 1.0;
    cholesky_solve(l, n, column);
    const int p = pr.player_of[k];
    fit->ratings.push_back({g.names[p], theta[p] * kEloPerNat, std::sqrt(column[k]) * kEloPerNat,
                            g.real_games[p]});
  }
  std::sort(fit->ratings.begin() + 1, fit->ratings.end(),
            [](const EloRating& x, const EloRating& y) { return x.elo > y.elo; });
}

}  // namespace

EloFit fit_elo(const std::vector<PairResult>& results, const std::string& anchor,
               double prior_draws, const std::function<void()>& tick) {
  const Games g = aggregate_games(results);
  EloFit fit;
  const auto anchor_it = g.index.find(anchor);
  if (anchor_it == g.index.end()) {
    fit.unrated = g.names;
    return fit;
  }
  const int anchor_id = anchor_it->second;
  Problem pr = make_problem(g, connected_to(anchor_id, g), anchor_id, prior_draws, &fit.unrated);
  const std::vector<double> theta = maximise(pr, tick, &fit.iterations);
  add_ratings(pr, theta, g, anchor, anchor_id, tick, &fit);
  return fit;
}

void append_pair_result(const std::string& path, const PairResult& r) {
  Json line;
  line["time"] = r.time;
  line["a"] = r.a;
  line["b"] = r.b;
  line["wins"] = r.wins;
  line["draws"] = r.draws;
  line["losses"] = r.losses;
  append_line(path, json_line(line));
}

namespace {

// A game count: a JSON integer in [0, INT_MAX].
bool count_field(const Json& j, const char* key, int* out) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return false;
  const int64_t v = it->get<int64_t>();
  if (v < 0 || v > std::numeric_limits<int>::max()) return false;
  *out = static_cast<int>(v);
  return true;
}

// One elo_games.jsonl line, or nullopt if it is not a match result.
std::optional<PairResult> parse_pair_result(const std::string& text) {
  const std::optional<Json> j = parse_json_object(text);
  if (!j) return std::nullopt;
  PairResult r;
  const auto a = j->find("a"), b = j->find("b"), time = j->find("time");
  if (a == j->end() || !a->is_string() || b == j->end() || !b->is_string()) return std::nullopt;
  r.a = a->get<std::string>();
  r.b = b->get<std::string>();
  if (!count_field(*j, "wins", &r.wins) || !count_field(*j, "draws", &r.draws) ||
      !count_field(*j, "losses", &r.losses))
    return std::nullopt;
  if (time != j->end()) {
    if (!time->is_number()) return std::nullopt;
    r.time = time->get<double>();
  }
  if (r.a.empty() || r.b.empty()) return std::nullopt;
  return r;
}

}  // namespace

std::vector<PairResult> read_pair_results(const std::string& path) {
  std::vector<PairResult> out;
  std::ifstream in(path);
  if (!in) return out;  // no games recorded yet
  std::string text;
  int line_no = 0;
  while (std::getline(in, text)) {
    ++line_no;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::optional<PairResult> r = parse_pair_result(text);
    if (!r) {
      spdlog::warn("{}:{}: not a match result line; skipped", path, line_no);
      continue;
    }
    out.push_back(std::move(*r));
  }
  if (in.bad()) throw IoError("cannot read " + path);
  return out;
}

int64_t version_of_player(const std::string& name) {
  if (name.size() < 2 || name[0] != 'v') return 0;
  const std::optional<uint64_t> v = parse_uint(std::string_view(name).substr(1));
  return v && *v <= static_cast<uint64_t>(INT64_MAX) ? static_cast<int64_t>(*v) : 0;
}

std::vector<PairResult> keep_newest_versions(const std::vector<PairResult>& results,
                                             size_t max_versions, int64_t also) {
  std::set<int64_t> versions;
  for (const PairResult& r : results)
    for (const std::string* p : {&r.a, &r.b})
      if (const int64_t v = version_of_player(*p)) versions.insert(v);
  // The lowest version kept among the newest `max_versions`.
  int64_t lowest = 0;
  if (versions.size() > max_versions) lowest = *std::prev(versions.end(), max_versions);
  auto kept = [&](const std::string& player) {
    const int64_t v = version_of_player(player);
    return v == 0 || v >= lowest || v == also;
  };
  std::vector<PairResult> out;
  for (const PairResult& r : results)
    if (kept(r.a) && kept(r.b)) out.push_back(r);
  return out;
}

}  // namespace zp::arena
