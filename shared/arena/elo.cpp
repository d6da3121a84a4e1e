#include "shared/arena/elo.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <queue>

#include "shared/core/error.h"
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

EloFit fit_elo(const std::vector<PairResult>& results, const std::string& anchor,
               double prior_draws, const std::function<void()>& tick) {
  // Index the players and aggregate games per unordered pair.
  std::map<std::string, int> index;
  std::vector<std::string> names;
  auto id = [&](const std::string& name) {
    auto [it, added] = index.emplace(name, static_cast<int>(names.size()));
    if (added) names.push_back(name);
    return it->second;
  };
  std::map<std::pair<int, int>, std::pair<double, double>> agg;  // (i<j) -> games, score of i
  std::vector<int> real_games;
  for (const PairResult& r : results) {
    const int games = r.wins + r.draws + r.losses;
    if (games <= 0 || r.a == r.b) continue;
    int i = id(r.a), j = id(r.b);
    double score = r.wins + 0.5 * r.draws;  // of a
    if (i > j) {
      std::swap(i, j);
      score = games - score;
    }
    auto& [g, s] = agg[{i, j}];
    g += games;
    s += score;
    real_games.resize(names.size(), 0);
    real_games[i] += games;
    real_games[j] += games;
  }
  real_games.resize(names.size(), 0);

  EloFit fit;
  const auto anchor_it = index.find(anchor);
  if (anchor_it == index.end()) {
    fit.unrated = names;
    return fit;
  }
  // Players connected to the anchor by games (breadth-first over the pairs).
  const int n_all = static_cast<int>(names.size());
  std::vector<std::vector<int>> adjacent(n_all);
  for (const auto& [ij, gs] : agg) {
    adjacent[ij.first].push_back(ij.second);
    adjacent[ij.second].push_back(ij.first);
  }
  std::vector<char> reached(n_all, 0);
  std::queue<int> queue;
  queue.push(anchor_it->second);
  reached[anchor_it->second] = 1;
  while (!queue.empty()) {
    const int u = queue.front();
    queue.pop();
    for (int v : adjacent[u])
      if (!reached[v]) reached[v] = 1, queue.push(v);
  }
  // Free parameters: every reached player but the anchor; var[p] = its row, or -1.
  std::vector<int> var(n_all, -1);
  std::vector<int> player_of;
  for (int p = 0; p < n_all; ++p) {
    if (!reached[p]) {
      fit.unrated.push_back(names[p]);
    } else if (p != anchor_it->second) {
      var[p] = static_cast<int>(player_of.size());
      player_of.push_back(p);
    }
  }
  std::vector<Pair> pairs;
  for (const auto& [ij, gs] : agg)
    if (reached[ij.first])
      pairs.push_back({ij.first, ij.second, gs.first + prior_draws, gs.second + 0.5 * prior_draws});

  // Newton's method on the concave log-likelihood, with step halving as a safeguard.
  const int n = static_cast<int>(player_of.size());
  std::vector<double> theta(n_all, 0.0);
  auto log_likelihood = [&](const std::vector<double>& th) {
    double ll = 0;
    for (const Pair& q : pairs) {
      const double d = th[q.i] - th[q.j];
      ll += q.score_i * log_sigmoid(d) + (q.games - q.score_i) * log_sigmoid(-d);
    }
    return ll;
  };
  std::vector<double> info(static_cast<size_t>(n) * n), grad(n);
  auto fisher = [&](const std::vector<double>& th) {
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
  };
  constexpr int kMaxIterations = 100;
  bool converged = n == 0;
  double ll = log_likelihood(theta);
  std::vector<double> step(n), trial(n_all);
  for (int it = 0; it < kMaxIterations && !converged; ++it) {
    fit.iterations = it + 1;
    fisher(theta);
    std::vector<double> l = info;
    ZP_CHECK(cholesky(l, n));
    step = grad;
    cholesky_solve(l, n, step);
    double scale = 1.0, trial_ll = 0;
    for (int halvings = 0; halvings < 40; ++halvings, scale *= 0.5) {
      trial = theta;
      for (int k = 0; k < n; ++k) trial[player_of[k]] += scale * step[k];
      trial_ll = log_likelihood(trial);
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

  // Standard errors: sqrt of the diagonal of the inverse Fisher information at the optimum.
  fisher(theta);
  std::vector<double> l = info;
  ZP_CHECK(n == 0 || cholesky(l, n));
  std::vector<double> column(n);
  fit.ratings.push_back({anchor, 0.0, 0.0, real_games[anchor_it->second]});
  for (int k = 0; k < n; ++k) {
    if (tick && k % 64 == 63) tick();
    std::fill(column.begin(), column.end(), 0.0);
    column[k] = 1.0;
    cholesky_solve(l, n, column);
    const int p = player_of[k];
    fit.ratings.push_back(
        {names[p], theta[p] * kEloPerNat, std::sqrt(column[k]) * kEloPerNat, real_games[p]});
  }
  std::sort(fit.ratings.begin() + 1, fit.ratings.end(),
            [](const EloRating& x, const EloRating& y) { return x.elo > y.elo; });
  return fit;
}

void append_pair_result(const std::string& path, const PairResult& r) {
  JsonLine line;
  line.add("time", r.time)
      .add("a", r.a)
      .add("b", r.b)
      .add("wins", r.wins)
      .add("draws", r.draws)
      .add("losses", r.losses);
  append_line(path, line.str());
}

std::vector<PairResult> read_pair_results(const std::string& path) {
  std::vector<PairResult> out;
  std::ifstream in(path);
  if (!in) return out;  // no games recorded yet
  std::string text;
  int line_no = 0;
  while (std::getline(in, text)) {
    ++line_no;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto fields = parse_flat_json(text);
    PairResult r;
    bool ok = fields.has_value();
    try {
      if (ok) {
        r.a = fields->at("a");
        r.b = fields->at("b");
        r.wins = std::stoi(fields->at("wins"));
        r.draws = std::stoi(fields->at("draws"));
        r.losses = std::stoi(fields->at("losses"));
        if (fields->count("time")) r.time = std::stod(fields->at("time"));
        ok = r.wins >= 0 && r.draws >= 0 && r.losses >= 0 && !r.a.empty() && !r.b.empty();
      }
    } catch (const std::exception&) {
      ok = false;
    }
    if (!ok) {
      spdlog::warn("{}:{}: not a match result line; skipped", path, line_no);
      continue;
    }
    out.push_back(std::move(r));
  }
  if (in.bad()) throw IoError("cannot read " + path);
  return out;
}

}  // namespace zp::arena
