#include "evaluator/evaluator.h"

#include <optional>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "shared/config/config.h"
#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/core/parse.h"
#include "shared/core/log.h"
#include "shared/core/signals.h"
#include "shared/arena/arena.h"
#include "shared/arena/elo.h"
#include "shared/arena/json_line.h"
#include "shared/arena/oracle.h"
#include "shared/arena/paths.h"
#include "shared/arena/pons.h"
#include "shared/arena/network_players.h"
#include "shared/arena/players.h"
#include "shared/game/registry.h"
#include "shared/ipc/model_store.h"
#include "shared/run/role.h"
#include "shared/ipc/stats.h"
#include "shared/model/checkpoint.h"
#include "shared/tb/event_log.h"

namespace zp::evaluator {

namespace {

namespace fs = std::filesystem;

constexpr int kSlot = ipc::kEvaluatorSlot;
constexpr int kMaxBatch = 64;     // positions per network call (games side by side)
constexpr int kPollMs = 200;      // store polling period while idle
constexpr int kOpeningPlies = 2;  // random opening moves per pair of arena games
constexpr const char* kAnchor = "random";

std::string version_name(int64_t v) { return "v" + std::to_string(v); }


// One labelled set and its name, e.g. "Test_L2_R1".
struct OracleSet {
  std::string name;
  std::vector<arena::LabelledPosition> positions;
};

class Evaluator {
 public:
  explicit Evaluator(run::Role& role);
  int run();

 private:
  void beat() { stats_->heartbeat(kSlot); }
  void restore();
  void load_oracle_sets();
  void ensure_best();
  // Rates `version`; returns false if a stop request cut it short (nothing recorded then).
  bool evaluate(int64_t version, const std::string& bytes);
  // The parts of evaluate(), in order. Each adds its figures to the metrics line and its
  // words to the readable summary; those that play return false on a stop request.
  struct Gate {
    double rate = -1;      // the candidate's score against the gate opponent (-1: none)
    int64_t against = 0;  // the gate opponent's version
  };
  using Summary = std::vector<std::string>;
  bool play_matches(int64_t version, uint64_t seed, arena::Json& line, Summary& summary,
                    Gate* gate);
  double rate_on_ladder(const std::string& name, arena::Json& line, Summary& summary);
  bool score_oracle(arena::Json& line, Summary& summary, double* oracle_milli);
  // The packed stats counters of the Pons figures (shared/arena/pons.h).
  struct PonsPacked {
    int64_t policy = 0, search = 0;
  };
  bool score_pons(arena::Json& line, Summary& summary, PonsPacked* packed);
  // Chooses on the first `count` positions (0 = all), kMaxBatch at a time; false on a stop
  // request (the choices are then incomplete).
  bool choose_until_stop(const std::vector<arena::LabelledPosition>& positions, size_t count,
                         arena::Player& player, arena::OracleScore* score);
  void apply_gate(int64_t version, const std::string& bytes, const Gate& gate, arena::Json& line,
                  Summary& summary);
  void record(const arena::Json& line);
  void make_network_players(const std::string& bytes);
  arena::MatchResult match(arena::Player& a, arena::Player& b, uint64_t seed);
  void sleep_ms(int ms);

  const run::RunContext ctx_;
  const config::Config& cfg_;
  const config::EvaluatorConfig& ecfg_;
  std::shared_ptr<const game::Game> game_;
  ipc::Stats* const stats_;  // the role's
  std::unique_ptr<ipc::ModelStore> store_;
  const std::string games_path_;
  const std::string metrics_path_;
  tb::EventLog tb_;  // tb/evaluator/: each metrics line's figures as scalars

  // Players: the model under test (search and raw policy), one opponent network (previous
  // or best), and the fixed baselines. Networks are created with the first model's shape and
  // then only reloaded (load_weights), which reallocates nothing.
  std::unique_ptr<arena::SearchPlayer> candidate_, opponent_;
  std::unique_ptr<arena::PolicyPlayer> policy_;
  model::NetworkBackend* candidate_net_ = nullptr;
  model::NetworkBackend* opponent_net_ = nullptr;
  model::NetworkBackend* policy_net_ = nullptr;
  std::unique_ptr<arena::Player> random_, mcts_;

  std::vector<arena::PairResult> ladder_;   // recorded matches of the fitted players
  std::vector<arena::PairResult> pending_;  // this evaluation's matches, recorded at its end
  int64_t last_version_ = 0;               // last rated version (0 = none)
  std::string last_bytes_;                 // its checkpoint (empty if lost)
  int64_t best_version_ = 0;
  std::string best_bytes_;
  OracleSet oracle_;
  std::vector<arena::PonsPositions> pons_;  // Pons' sets present, in benchmark order
};

Evaluator::Evaluator(run::Role& role)
    : ctx_(role.ctx()),
      cfg_(ctx_.config),
      ecfg_(cfg_.evaluator),
      game_(game::make_game(cfg_.game.name, {cfg_.game.board_size})),
      stats_(&role.stats()),
      store_(ipc::ModelStore::open(ctx_.names.models)),
      games_path_(ctx_.paths().elo_games()),
      metrics_path_(ctx_.paths().metrics()),
      tb_(ctx_.paths().tb("evaluator"), "evaluator", tb::eval_tag_rules()) {
  beat();
  arena::PlayerOptions opt;
  opt.seed = 17;
  opt.max_batch = kMaxBatch;
  random_ = std::make_unique<arena::RandomPlayer>(opt.seed);
  mcts_ = arena::make_rollout_player(*game_, cfg_, ecfg_.rollout_simulations, opt);
  random_->set_tick([this] { beat(); });
  mcts_->set_tick([this] { beat(); });
}

void Evaluator::sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

void Evaluator::restore() {
  ladder_ = arena::read_pair_results(games_path_);
  for (const arena::PairResult& r : ladder_)
    last_version_ = std::max({last_version_, arena::version_of_player(r.a),
                              arena::version_of_player(r.b)});
  if (last_version_ == 0) return;
  const std::string path =
      ctx_.paths().model_file(last_version_);
  try {
    last_bytes_ = model::read_checkpoint_file(path);
  } catch (const Error& e) {
    spdlog::warn("cannot reload the last rated model: {}; the next one plays no predecessor",
                 e.what());
  }
  const size_t recorded = ladder_.size();
  ladder_ = arena::keep_newest_versions(ladder_, ecfg_.ladder_versions);
  spdlog::info("resumed: {} recorded matches ({} among the newest {} versions, fitted), last "
               "rated version {}", recorded, ladder_.size(), ecfg_.ladder_versions,
               last_version_);
}

void Evaluator::load_oracle_sets() {
  if (game_->name() != "connect4") return;
  const bool configured = !ecfg_.positions.empty();
  const std::string path = configured ? ecfg_.positions : arena::default_positions_path();
  try {
    oracle_.name = fs::path(path).stem().string();
    oracle_.positions = arena::read_labelled_positions(path, *game_);
    spdlog::info(
        "oracle: {} positions from {} ({} where the choice matters)", oracle_.positions.size(),
        path,
        arena::score_choices(oracle_.positions, std::vector<int>(oracle_.positions.size(), -1))
            .matters);
  } catch (const Error& e) {
    // No oracle figures, but the evaluator goes on: gating and Elo matter more.
    spdlog::error("oracle accuracy disabled: {}", e.what());
    oracle_.positions.clear();
  }
  const std::string pons = arena::pons_dir();
  std::vector<std::string> problems;
  pons_ = arena::read_available_pons_sets(pons, *game_, &problems);
  for (const std::string& p : problems) spdlog::warn("skipping benchmark set: {}", p);
  if (pons_.empty()) return;
  std::vector<std::string> names;
  for (const arena::PonsPositions& p : pons_) names.push_back(p.set().name);
  spdlog::info("oracle: {} of Pons' benchmark sets from {} ({}); search on {} positions of each",
               pons_.size(), pons, fmt::join(names, ", "),
               ecfg_.pons_search_positions > 0 ? std::to_string(ecfg_.pons_search_positions)
                                               : std::string("all"));
}

void Evaluator::ensure_best() {
  if (!ecfg_.gating || best_version_ > 0) return;
  best_version_ = store_->read_best(&best_bytes_);
  if (best_version_ > 0) return;
  std::string bytes;
  const int64_t v = store_->read_latest(&bytes);
  if (v == 0) return;
  store_->publish_best(v, bytes);
  best_version_ = v;
  best_bytes_ = std::move(bytes);
  stats_->set(kSlot, ipc::kBestVersion, v);
  spdlog::info("gating: no best model yet, version {} is the first best", v);
}

void Evaluator::make_network_players(const std::string& bytes) {
  if (candidate_) return;
  arena::PlayerOptions opt;
  opt.simulations = ecfg_.simulations;
  opt.max_batch = kMaxBatch;
  opt.seed = 1;
  auto make = [&](model::NetworkBackend** raw) {
    auto net = arena::make_network_backend(*game_, cfg_, bytes, kMaxBatch, opt.seed);
    *raw = net.get();
    return net;
  };
  const search::SearchParams params = arena::eval_search_params(cfg_, ecfg_.simulations);
  candidate_ = std::make_unique<arena::SearchPlayer>("candidate", *game_, make(&candidate_net_),
                                                    params, opt.seed);
  opponent_ = std::make_unique<arena::SearchPlayer>("opponent", *game_, make(&opponent_net_), params,
                                                   opt.seed);
  policy_ = std::make_unique<arena::PolicyPlayer>("policy", make(&policy_net_));
  for (arena::Player* p :
       {static_cast<arena::Player*>(candidate_.get()), static_cast<arena::Player*>(opponent_.get()),
        static_cast<arena::Player*>(policy_.get())})
    p->set_tick([this] { beat(); });
  spdlog::info("evaluation network: {}", candidate_net_->describe());
}

arena::MatchResult Evaluator::match(arena::Player& a, arena::Player& b, uint64_t seed) {
  arena::ArenaOptions opt;
  opt.games = ecfg_.games;
  opt.seed = seed;
  opt.opening_plies = kOpeningPlies;
  opt.should_stop = [] { return stop_requested(); };
  opt.tick = [this] { beat(); };
  const arena::MatchResult r = arena::play_match(*game_, a, b, opt);
  if (!r.stopped) pending_.push_back({r.a, r.b, r.wins, r.draws, r.losses, unix_time_s()});
  return r;
}

bool Evaluator::evaluate(int64_t version, const std::string& bytes) {
  const Stopwatch watch;
  pending_.clear();  // left over from an evaluation a stop request cut short
  const std::string name = version_name(version);
  const model::CheckpointMeta meta = model::decode_checkpoint(bytes).meta;
  make_network_players(bytes);
  candidate_net_->load_weights(bytes);
  policy_net_->load_weights(bytes);
  candidate_->set_name(name);
  const uint64_t seed = 1000003ULL * static_cast<uint64_t>(version);
  arena::Json line;
  line["kind"] = "eval";
  line["time"] = unix_time_s();
  line["version"] = version;
  line["step"] = meta.training_step;
  line["games"] = ecfg_.games;
  line["simulations"] = ecfg_.simulations;
  Summary summary;  // the readable log line, in parts

  Gate gate;
  if (!play_matches(version, seed, line, summary, &gate)) return false;
  const double elo = rate_on_ladder(name, line, summary);
  double oracle_milli = 0;
  if (!score_oracle(line, summary, &oracle_milli)) return false;
  PonsPacked pons;
  if (!score_pons(line, summary, &pons)) return false;
  apply_gate(version, bytes, gate, line, summary);
  line["best_version"] = best_version_;
  line["eval_seconds"] = watch.seconds();
  summary.push_back(fmt::format("{:.1f} s", watch.seconds()));

  record(line);
  spdlog::info("{} (step {}): {}", name, meta.training_step, fmt::join(summary, " | "));
  // The figures first, the version they belong to last (the status line and the tests read
  // the version to know that the figures are there).
  stats_->set(kSlot, ipc::kEvalEloMilli, std::isfinite(elo) ? std::llround(elo * 1000) : 0);
  stats_->set(kSlot, ipc::kEvalOracleMilli, std::llround(oracle_milli));
  stats_->set(kSlot, ipc::kEvalPonsPolicy, pons.policy);
  stats_->set(kSlot, ipc::kEvalPonsSearch, pons.search);
  stats_->set(kSlot, ipc::kEvalVersion, version);
  stats_->set(kSlot, ipc::kBestVersion, best_version_);
  last_version_ = version;
  last_bytes_ = bytes;
  return true;
}

// 1. Matches: against the previous version, the best one (for the gate) and the baselines.
bool Evaluator::play_matches(int64_t version, uint64_t seed, arena::Json& line,
                             Summary& summary, Gate* gate) {
  if (last_version_ > 0 && !last_bytes_.empty()) {
    opponent_net_->load_weights(last_bytes_);
    opponent_->set_name(version_name(last_version_));
    const arena::MatchResult r = match(*candidate_, *opponent_, seed + 1);
    if (r.stopped) return false;
    line["prev_version"] = last_version_;
    line["win_rate_prev"] = r.win_rate();
    summary.push_back(fmt::format("vs {} {:.1f}%", r.b, 100 * r.win_rate()));
    if (ecfg_.gating && best_version_ == last_version_) {
      gate->rate = r.win_rate();
      gate->against = last_version_;
    }
  }
  if (ecfg_.gating && best_version_ > 0 && best_version_ != version && gate->rate < 0) {
    opponent_net_->load_weights(best_bytes_);
    opponent_->set_name(version_name(best_version_));
    const arena::MatchResult r = match(*candidate_, *opponent_, seed + 2);
    if (r.stopped) return false;
    gate->rate = r.win_rate();
    gate->against = best_version_;
  }
  for (arena::Player* baseline : {random_.get(), mcts_.get()}) {
    const arena::MatchResult r = match(*candidate_, *baseline, seed + 3 + (baseline == mcts_.get()));
    if (r.stopped) return false;
    const std::string key = baseline == random_.get() ? "win_rate_random" : "win_rate_mcts";
    line[key] = r.win_rate();
    summary.push_back(fmt::format("vs {} {:.1f}%", r.b, 100 * r.win_rate()));
  }
  line["mcts"] = mcts_->name();
  return true;
}

// 2. The ladder over every recorded game, this evaluation's included. Returns the Elo of
// `name` (NaN when it cannot be rated).
double Evaluator::rate_on_ladder(const std::string& name, arena::Json& line, Summary& summary) {
  std::vector<arena::PairResult> all = ladder_;
  all.insert(all.end(), pending_.begin(), pending_.end());
  const arena::EloFit fit = arena::fit_elo(all, kAnchor, 1.0, [this] { beat(); });
  const arena::EloRating* mine = fit.find(name);
  const double elo = mine ? mine->elo : NAN, elo_err = mine ? mine->stderr_elo : NAN;
  line["elo"] = elo;
  line["elo_stderr"] = elo_err;
  arena::Json ladder = arena::Json::array();
  for (const arena::EloRating& r : fit.ratings) {
    arena::Json rung;
    rung["player"] = r.player;
    rung["elo"] = r.elo;
    rung["stderr"] = r.stderr_elo;
    rung["games"] = r.games;
    ladder.push_back(std::move(rung));
  }
  line["ladder"] = std::move(ladder);
  summary.push_back(fmt::format("elo {:.0f} +- {:.0f}", elo, elo_err));
  return elo;
}

// 3. Oracle accuracy (Connect Four) on the labelled set.
bool Evaluator::score_oracle(arena::Json& line, Summary& summary, double* oracle_milli) {
  if (!oracle_.positions.empty()) {
    arena::OracleScore policy_score, search_score;
    if (!choose_until_stop(oracle_.positions, 0, *policy_, &policy_score) ||
        !choose_until_stop(oracle_.positions, ecfg_.oracle_search_positions, *candidate_,
                           &search_score))
      return false;
    line["oracle_set"] = oracle_.name;
    line["oracle_positions"] = policy_score.positions;
    line["oracle_matters"] = policy_score.matters;
    line["oracle_policy_accuracy"] = policy_score.accuracy();
    line["oracle_policy_error_rate"] = policy_score.error_rate();
    line["oracle_search_positions"] = search_score.positions;
    line["oracle_search_accuracy"] = search_score.accuracy();
    line["oracle_search_error_rate"] = search_score.error_rate();
    *oracle_milli = 1000.0 * search_score.accuracy();
    summary.push_back(fmt::format("oracle policy {:.1f}% search {:.1f}% (error {:.1f}%)",
                                  100 * policy_score.accuracy(), 100 * search_score.accuracy(),
                                  100 * search_score.error_rate()));
  }
  return true;
}

bool Evaluator::choose_until_stop(const std::vector<arena::LabelledPosition>& positions,
                                  size_t count, arena::Player& player, arena::OracleScore* score) {
  if (count == 0 || count > positions.size()) count = positions.size();
  const std::vector<arena::LabelledPosition> chosen(positions.begin(), positions.begin() + count);
  std::vector<int> choices;
  for (size_t begin = 0; begin < count; begin += kMaxBatch) {
    if (stop_requested()) return false;
    const size_t end = std::min(count, begin + kMaxBatch);
    const std::vector<arena::LabelledPosition> chunk(chosen.begin() + begin, chosen.begin() + end);
    for (int c : arena::choose_on_positions(chunk, *game_, player, kMaxBatch)) choices.push_back(c);
  }
  *score = arena::score_choices(chosen, choices);
  return true;
}

// 3b. Pons' benchmark sets (when ../shared/data is present): the raw policy on every position,
// search with evaluator.simulations on the first evaluator.pons_search_positions of each set.
// Returns false on a stop request.
bool Evaluator::score_pons(arena::Json& line, Summary& summary, PonsPacked* packed) {
  if (pons_.empty()) return true;
  const Stopwatch watch;
  arena::Json positions = arena::Json::object(), policy = arena::Json::object();
  arena::Json searched = arena::Json::object(), search = arena::Json::object();
  std::array<double, arena::kNumPonsSets> policy_rates, search_rates;
  policy_rates.fill(-1);
  search_rates.fill(-1);
  for (const arena::PonsPositions& p : pons_) {
    arena::OracleScore ps, ss;
    if (!choose_until_stop(p.positions, 0, *policy_, &ps) ||
        !choose_until_stop(p.positions, ecfg_.pons_search_positions, *candidate_, &ss))
      return false;
    const char* key = p.set().file;
    positions[key] = ps.positions;
    policy[key] = ps.error_rate();
    searched[key] = ss.positions;
    search[key] = ss.error_rate();
    policy_rates[p.index] = ps.error_rate();
    search_rates[p.index] = ss.error_rate();
  }
  line["pons_positions"] = std::move(positions);
  line["pons_policy_error_rate"] = std::move(policy);
  line["pons_search_positions"] = std::move(searched);
  line["pons_search_error_rate"] = std::move(search);
  line["pons_seconds"] = watch.seconds();
  packed->policy = arena::pack_pons_rates(policy_rates);
  packed->search = arena::pack_pons_rates(search_rates);
  summary.push_back(arena::format_pons_compact(packed->policy, packed->search));
  return true;
}

// 4. Gating: the candidate becomes the best model if it passed the gate.
void Evaluator::apply_gate(int64_t version, const std::string& bytes, const Gate& gate,
                           arena::Json& line, Summary& summary) {
  if (!ecfg_.gating) return;
  bool promoted = false;
  if (gate.rate >= ecfg_.gating_threshold) {
    store_->publish_best(version, bytes);
    best_version_ = version;
    best_bytes_ = bytes;
    promoted = true;
  }
  line["gate_against"] = gate.against;
  line["gate_win_rate"] = gate.rate;
  line["promoted"] = promoted;
  summary.push_back(
      fmt::format("best v{}{}", best_version_,
                  promoted ? fmt::format(" (passed the gate, {:.1f}%)", 100 * gate.rate) : ""));
}

// 5. Record: the matches first (the ladder's source), then the metrics line.
void Evaluator::record(const arena::Json& line) {
  for (const arena::PairResult& r : pending_) arena::append_pair_result(games_path_, r);
  ladder_.insert(ladder_.end(), pending_.begin(), pending_.end());
  // Bounded (evaluator.ladder_versions): the fit's time and memory, and the line's ladder.
  ladder_ = arena::keep_newest_versions(ladder_, ecfg_.ladder_versions, best_version_);
  pending_.clear();
  const std::string text = arena::json_line(line);
  arena::append_line(metrics_path_, text);
  tb_.write_line(text);  // best effort: a failure is one warning, never a stop
}

int Evaluator::run() {
  spdlog::info("evaluator for {}, run {}: {} games per match, {} simulations, baseline mcts:{}",
               game_->name(), ctx_.names.run_id, ecfg_.games, ecfg_.simulations,
               ecfg_.rollout_simulations);
  if (!ecfg_.enabled) {
    // Spawned although disabled: stay alive (so nobody restarts us) and do nothing.
    spdlog::info("evaluator.enabled is false: idle");
    while (!stop_requested()) beat(), sleep_ms(kPollMs);
    return 0;
  }
  restore();
  load_oracle_sets();
  std::string bytes;
  while (!stop_requested()) {
    beat();
    ensure_best();
    stats_->set(kSlot, ipc::kBestVersion, best_version_);
    const int64_t latest = store_->latest_version();
    const bool due = latest > last_version_ &&
                     (last_version_ == 0 || latest >= last_version_ + ecfg_.every_versions);
    if (!due) {
      sleep_ms(kPollMs);
      continue;
    }
    // Always the newest: versions published meanwhile are skipped.
    const int64_t v = store_->read_latest(&bytes);
    if (last_version_ > 0 && v > last_version_ + ecfg_.every_versions)
      spdlog::info("skipping to the newest version {} (last rated {})", v, last_version_);
    if (!evaluate(v, bytes)) break;
  }
  spdlog::info("evaluator stopping");
  return 0;
}

}  // namespace

int run_evaluator(const std::string& run_dir) {
  return run::run_role(run_dir, "evaluator", kSlot, [](run::Role& role) {
    Evaluator evaluator(role);
    return evaluator.run();
  });
}

}  // namespace zp::evaluator
