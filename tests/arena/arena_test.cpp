// Evaluation: the Elo fit, the arena, the players and the oracle accuracy. Tagged [unit][eval].
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "shared/config/config.h"
#include "shared/core/error.h"
#include "shared/core/rng.h"
#include "shared/arena/arena.h"
#include "shared/arena/elo.h"
#include "shared/arena/json_line.h"
#include "shared/arena/oracle.h"
#include "shared/arena/paths.h"
#include "shared/arena/players.h"
#include "shared/game/games/connect4/connect4.h"
#include "shared/game/games/connect4/solver.h"
#include "shared/game/registry.h"
#include "tests/test_support.h"

using namespace zp::arena;

namespace {

// `games` games between players rated `ra` and `rb` with 10% draws, the rest split so that
// the expected score matches the Elo formula.
PairResult simulate(const std::string& a, double ra, const std::string& b, double rb, int games,
                    zp::Rng& rng) {
  const double p = 1.0 / (1.0 + std::pow(10.0, (rb - ra) / 400.0));
  const double draw = 0.1, win = (p - draw / 2) / (1 - draw);
  PairResult r{a, b, 0, 0, 0, 0};
  for (int g = 0; g < games; ++g) {
    if (rng.uniform() < draw)
      ++r.draws;
    else if (rng.uniform() < win)
      ++r.wins;
    else
      ++r.losses;
  }
  return r;
}

std::shared_ptr<const zp::game::Game> connect4() { return zp::game::make_game("connect4"); }

std::vector<LabelledPosition> parse(const std::string& text, const std::string& name = "t.txt") {
  std::istringstream in(text);
  return parse_labelled_positions(in, name, *connect4());
}

}  // namespace

TEST_CASE("Elo fit recovers known ratings within its error bars", "[unit][eval]") {
  zp::Rng rng(42);
  const std::map<std::string, double> truth{{"random", 0}, {"p200", 200}, {"p400", 400}};
  std::vector<PairResult> results;
  // Every pair, both orders (so A/B bookkeeping is exercised both ways).
  for (int rep = 0; rep < 2; ++rep)
    for (const auto& [a, ra] : truth)
      for (const auto& [b, rb] : truth)
        if (a < b)
          results.push_back(rep ? simulate(b, rb, a, ra, 1000, rng)
                                : simulate(a, ra, b, rb, 1000, rng));
  const EloFit fit = fit_elo(results, "random");
  REQUIRE(fit.ratings.size() == 3);
  CHECK(fit.unrated.empty());
  CHECK(fit.ratings[0].player == "random");  // the anchor comes first
  for (const auto& [name, r] : truth) {
    const EloRating* e = fit.find(name);
    REQUIRE(e != nullptr);
    INFO(name << ": fit " << e->elo << " +- " << e->stderr_elo << ", truth " << r);
    if (name == "random") {
      CHECK(e->elo == 0.0);
      CHECK(e->stderr_elo == 0.0);
      CHECK(e->games == 4000);
    } else {
      CHECK(std::abs(e->elo - r) < 3 * e->stderr_elo);
      CHECK(e->stderr_elo > 3);  // 4000 games each: errors of roughly 10 Elo
      CHECK(e->stderr_elo < 20);
    }
  }
  // Sorted by decreasing Elo after the anchor.
  CHECK(fit.ratings[1].player == "p400");
  CHECK(fit.ratings[2].player == "p200");
}

TEST_CASE("Elo fit: exact two-player answers, anchoring and symmetry", "[unit][eval]") {
  // 30 of 40 against the anchor: 400 log10(3) without the prior, (30.5 / 10.5) with it.
  const std::vector<PairResult> one{{"a", "random", 25, 10, 5, 0}};  // score 30 of 40
  CHECK(fit_elo(one, "random", 0.0).find("a")->elo == Approx(400 * std::log10(3.0)));
  CHECK(fit_elo(one, "random").find("a")->elo == Approx(400 * std::log10(30.5 / 10.5)));
  // Re-anchoring moves every rating by the same amount.
  const EloFit from_a = fit_elo(one, "a");
  CHECK(from_a.find("a")->elo == 0.0);
  CHECK(from_a.find("random")->elo == Approx(-fit_elo(one, "random").find("a")->elo));
  CHECK(from_a.find("random")->stderr_elo == Approx(fit_elo(one, "random").find("a")->stderr_elo));

  // Symmetric results: equal ratings.
  const std::vector<PairResult> even{
      {"random", "x", 10, 0, 10, 0}, {"random", "y", 7, 6, 7, 0}, {"x", "y", 3, 4, 3, 0}};
  const EloFit fit = fit_elo(even, "random");
  CHECK(fit.find("x")->elo == Approx(0).margin(1e-6));
  CHECK(fit.find("y")->elo == Approx(0).margin(1e-6));
  // More games, smaller errors: x played 30 real games, y 30 as well but x's are decisive.
  CHECK(fit.find("x")->stderr_elo > 0);
}

TEST_CASE("Elo fit: all wins stay finite, unconnected players are unrated", "[unit][eval]") {
  const std::vector<PairResult> results{{"strong", "random", 40, 0, 0, 0},
                                        {"island", "other", 3, 0, 1, 0}};
  const EloFit fit = fit_elo(results, "random");
  const EloRating* s = fit.find("strong");
  REQUIRE(s != nullptr);
  CHECK(std::isfinite(s->elo));
  CHECK(s->elo == Approx(400 * std::log10(40.5 / 0.5)));  // one virtual draw
  CHECK(std::isfinite(s->stderr_elo));
  CHECK(fit.find("island") == nullptr);
  CHECK(fit.unrated.size() == 2);
  // An anchor that never played: nobody can be rated.
  CHECK(fit_elo(results, "nobody").ratings.empty());
}

TEST_CASE("Elo ladder bound: only the newest versions (and the best) stay in the fit",
          "[unit][eval]") {
  using zp::arena::PairResult;
  CHECK(zp::arena::version_of_player("v12") == 12);
  CHECK(zp::arena::version_of_player("random") == 0);
  CHECK(zp::arena::version_of_player("mcts:200") == 0);
  CHECK(zp::arena::version_of_player("v") == 0);
  std::vector<PairResult> all;
  for (int v = 1; v <= 10; ++v) {
    all.push_back({"v" + std::to_string(v), "random", 3, 0, 1, 0});
    all.push_back({"v" + std::to_string(v), "mcts:200", 2, 0, 2, 0});
    if (v > 1) all.push_back({"v" + std::to_string(v), "v" + std::to_string(v - 1), 2, 1, 1, 0});
  }
  all.push_back({"random", "mcts:200", 0, 0, 4, 0});  // baselines only: always kept
  auto players = [](const std::vector<PairResult>& rs) {
    std::set<std::string> p;
    for (const PairResult& r : rs) p.insert({r.a, r.b});
    return p;
  };
  const auto kept = zp::arena::keep_newest_versions(all, 3);
  CHECK(players(kept) == std::set<std::string>{"v8", "v9", "v10", "random", "mcts:200"});
  // v8-v7 leaves (v7 is not kept); v8's games against the baselines stay.
  CHECK(kept.size() == 3 * 2 + 2 + 1);
  CHECK(kept.back().a == "random");
  // The gated best stays even when older.
  const auto with_best = zp::arena::keep_newest_versions(all, 3, 2);
  CHECK(players(with_best).count("v2") == 1);
  CHECK(players(with_best).count("v3") == 0);
  // Under the bound nothing changes; the fit over the kept games still rates every kept player.
  CHECK(zp::arena::keep_newest_versions(all, 10).size() == all.size());
  const auto fit = zp::arena::fit_elo(kept, "random");
  CHECK(fit.find("v8") != nullptr);
  CHECK(fit.find("v7") == nullptr);
}

TEST_CASE("Elo game file round-trips and skips torn lines", "[unit][eval]") {
  zp::test::TempDir dir;
  const std::string path = dir.path() + "/elo_games.jsonl";
  CHECK(read_pair_results(path).empty());  // missing file: no games
  append_pair_result(path, {"v1", "random", 3, 1, 0, 1.5});
  append_pair_result(path, {"v2", "mcts:\"x\"", 0, 0, 4, 2.5});
  { std::ofstream(path, std::ios::app) << "{\"a\":\"v3\",\"b\":\"ran"; }  // a torn last line
  const auto got = read_pair_results(path);
  REQUIRE(got.size() == 2);
  CHECK(got[0].a == "v1");
  CHECK(got[0].wins == 3);
  CHECK(got[0].draws == 1);
  CHECK(got[1].b == "mcts:\"x\"");
  CHECK(got[1].losses == 4);
  CHECK(got[1].time == 2.5);
  // The one-object reader: nested values, strings with brackets; torn, trailing or non-object
  // text is refused.
  const auto fields = parse_json_object(R"({"k":"v","n":[1,{"a":"]"}],"x":-1.5e3,"o":{"z":1}})");
  REQUIRE(fields.has_value());
  CHECK(fields->at("k") == "v");
  CHECK(fields->at("x").get<double>() == -1.5e3);
  CHECK(fields->at("n").at(1).at("a") == "]");
  CHECK_FALSE(parse_json_object("{\"a\":1").has_value());
  CHECK_FALSE(parse_json_object("{\"a\":1} x").has_value());
  CHECK_FALSE(parse_json_object("[1]").has_value());
  // The writer: one line, escapes, non-finite numbers as null, keys in insertion order.
  Json line;
  line["z"] = "a\"b\n\x01";
  line["a"] = std::nan("");
  CHECK(json_line(line) == R"({"z":"a\"b\n\u0001","a":null})");
}

TEST_CASE("arena: fixed seeds reproduce a match, colours alternate over shared openings",
          "[unit][eval]") {
  auto game = connect4();
  const zp::config::Config cfg;
  auto run = [&](uint64_t seed) {
    PlayerOptions opt;
    opt.seed = seed;
    auto a = make_player("mcts:30", *game, cfg, opt);
    opt.seed = seed + 100;
    auto b = make_player("random", *game, cfg, opt);
    ArenaOptions aopt;
    aopt.games = 6;
    aopt.seed = seed;
    return play_match(*game, *a, *b, aopt);
  };
  const MatchResult r1 = run(7), r2 = run(7), r3 = run(8);
  REQUIRE(r1.games.size() == 6);
  CHECK(r1.played() == 6);
  CHECK(r1.a == "mcts:30");
  CHECK(r1.b == "random");
  std::vector<std::string> m1, m2, m3;
  for (const auto& g : r1.games) m1.push_back(g.moves);
  for (const auto& g : r2.games) m2.push_back(g.moves);
  for (const auto& g : r3.games) m3.push_back(g.moves);
  CHECK(m1 == m2);
  CHECK(r1.wins == r2.wins);
  CHECK(m1 != m3);
  // Games finish in any order; check pairs by their openings: every opening is played once
  // with A first and once with B first.
  std::map<std::string, std::vector<bool>> by_opening;
  for (const auto& g : r1.games) by_opening[g.moves.substr(0, 2)].push_back(g.a_first);
  for (const auto& [opening, firsts] : by_opening) {
    INFO("opening " << opening);
    CHECK(firsts.size() % 2 == 0);
    CHECK(std::count(firsts.begin(), firsts.end(), true) ==
          std::count(firsts.begin(), firsts.end(), false));
  }
}

TEST_CASE("arena: pure MCTS with 200 rollouts beats the random player", "[unit][eval]") {
  auto game = connect4();
  const zp::config::Config cfg;
  PlayerOptions opt;
  auto mcts = make_player("mcts:200", *game, cfg, opt);
  opt.seed = 2;
  auto random = make_player("random", *game, cfg, opt);
  ArenaOptions aopt;
  aopt.games = 10;
  aopt.seed = 3;
  int ticks = 0;
  aopt.tick = [&] { ++ticks; };
  const MatchResult r = play_match(*game, *mcts, *random, aopt);
  INFO(r.wins << " wins, " << r.draws << " draws, " << r.losses << " losses");
  CHECK(r.wins >= 9);
  CHECK(r.win_rate() >= 0.9);
  CHECK(ticks > 0);
  CHECK(elo_from_win_rate(0.5) == Approx(0).margin(1e-9));
  CHECK(elo_from_win_rate(0.75) == Approx(400 * std::log10(3.0)));
}

TEST_CASE("arena: a stop request abandons the match", "[unit][eval]") {
  auto game = connect4();
  const zp::config::Config cfg;
  auto a = make_player("random", *game, cfg, {});
  auto b = make_player("random", *game, cfg, {});
  ArenaOptions aopt;
  aopt.games = 4;
  int polls = 0;
  aopt.should_stop = [&] { return ++polls > 3; };
  const MatchResult r = play_match(*game, *a, *b, aopt);
  CHECK(r.stopped);
  CHECK(r.played() < 4);
}

TEST_CASE("players: rollout MCTS sees its leaves and finds a win in one", "[unit][eval]") {
  auto game = connect4();
  const zp::config::Config cfg;
  // X has three in a row on the bottom (columns 1-3): column 4 wins; O must block it.
  auto win = game->state_from_moves("112233");
  PlayerOptions opt;
  auto mcts = make_player("mcts:200", *game, cfg, opt);
  auto uniform = make_player("uniform:200", *game, cfg, opt);
  std::vector<zp::game::Action> moves;
  mcts->choose_moves({win.get()}, &moves);
  CHECK(moves == std::vector<zp::game::Action>{3});
  uniform->choose_moves({win.get()}, &moves);
  CHECK(moves == std::vector<zp::game::Action>{3});
  // O to move after "11223": X threatens column 4 on the bottom row; blocking is forced.
  auto defend = game->state_from_moves("11223");
  mcts->choose_moves({defend.get(), win.get()}, &moves);
  CHECK(moves == std::vector<zp::game::Action>{3, 3});
  CHECK_THROWS_AS(make_player("mcts:x", *game, cfg, opt), zp::ConfigError);
  CHECK_THROWS_AS(make_player("nosuchfile.zpck", *game, cfg, opt), zp::ConfigError);
}

TEST_CASE("oracle: accuracy over positions where the choice matters, error rate over all",
          "[unit][eval]") {
  const auto positions = parse(
      "# a comment, then a blank line\n"
      "\n"
      "4 1 2 3 4 3 2 1\n"            // every move wins: the choice does not matter
      "44 -2 -1 0 1 0 -1 -2\n"       // only column 4 wins
      "444444 0 0 0 -1000 0 -1 0\n"  // column 4 full; column 6 loses, the rest draw
      "1 -3 -4 -5 -6 -5 -4 -3\n");   // every move loses: does not matter
  REQUIRE(positions.size() == 4);
  CHECK(positions[0].line == 3);
  CHECK_FALSE(positions[0].choice_matters());
  CHECK(positions[1].choice_matters());
  CHECK(positions[2].choice_matters());
  CHECK(positions[2].best_sign() == 0);
  CHECK_FALSE(positions[3].choice_matters());

  // Choices: irrelevant, best, a loss where draws were available, irrelevant.
  OracleScore s = score_choices(positions, {0, 3, 5, 6});
  CHECK(s.positions == 4);
  CHECK(s.matters == 2);
  CHECK(s.correct == 1);
  CHECK(s.errors == 1);
  CHECK(s.accuracy() == Approx(0.5));
  CHECK(s.error_rate() == Approx(0.25));
  // All best; a full column or an out-of-range choice is an error.
  s = score_choices(positions, {6, 3, 0, 0});
  CHECK(s.accuracy() == 1.0);
  CHECK(s.error_rate() == 0.0);
  s = score_choices(positions, {-1, 3, 3, 9});
  CHECK(s.correct == 1);
  CHECK(s.errors == 3);

  // A random mover: position 2 has 1 good move of 7, position 3 has 5 of 6.
  const ExpectedScore e = random_mover_expectation(positions);
  CHECK(e.accuracy == Approx((1.0 / 7 + 5.0 / 6) / 2));
  CHECK(e.error_rate == Approx((6.0 / 7 + 1.0 / 6) / 4));
}

TEST_CASE("oracle: a malformed positions file is a FormatError naming file:line", "[unit][eval]") {
  const std::string good = "4 1 2 3 4 3 2 1\n";
  auto fails_at_line_2 = [&](const std::string& bad, const std::string& why) {
    INFO("line: " << bad);
    try {
      parse(good + bad, "bad.txt");
      FAIL("no FormatError");
    } catch (const zp::FormatError& e) {
      const std::string msg = e.what();
      CHECK(msg.rfind("bad.txt:2: ", 0) == 0);
      CHECK(msg.find(why) != std::string::npos);
    }
  };
  fails_at_line_2("4 1 2 3 4 3 2\n", "expected 7 scores");
  fails_at_line_2("4 1 2 3 x 3 2 1\n", "not an integer");
  fails_at_line_2("4 1 2 3 4 3 2 1 9\n", "unexpected text");
  fails_at_line_2("48 1 2 3 4 3 2 1\n", "bad move string");
  fails_at_line_2("4444444 1 2 3 4 3 2 1\n", "bad move string");  // 7th stone in column 4
  fails_at_line_2("444444 0 0 0 5 0 -1 0\n", "column 4 is full");
  fails_at_line_2("4 0 0 0 -1000 0 -1 0\n", "column 4 is playable");
  fails_at_line_2("1212121 0 0 0 0 0 0 0\n", "already over");
  // The file reader names the path; a missing file is an IoError.
  zp::test::TempDir dir;
  const std::string path = dir.path() + "/p.txt";
  std::ofstream(path) << good << good << "4 1 2\n";
  CHECK_THROWS_WITH(read_labelled_positions(path, *connect4()),
                    Catch::Contains(path + ":3: expected 7 scores"));
  CHECK_THROWS_AS(read_labelled_positions(dir.path() + "/none.txt", *connect4()), zp::IoError);
}

TEST_CASE("oracle: players choose on labelled positions, search beats its prior", "[unit][eval]") {
  auto game = connect4();
  const zp::config::Config cfg;
  const auto positions = parse(
      "112233 -1 -1 -1 18 -1 -1 -1\n"  // illustrative labels: column 4 wins at once
      "11223 -1 -1 -1 0 -1 -1 -1\n");  // O must block column 4
  auto uniform_policy =
      std::make_unique<PolicyPlayer>("uniform", zp::nn::make_uniform_backend(*game, 8));
  auto search = make_player("uniform:400", *game, cfg, {});
  // Equal priors: the argmax takes the lowest legal column, which is wrong in both.
  const auto policy_choices = choose_on_positions(positions, *game, *uniform_policy, 1);
  CHECK(policy_choices == std::vector<int>{0, 0});
  CHECK(score_choices(positions, policy_choices).accuracy() == 0.0);
  const auto search_choices = choose_on_positions(positions, *game, *search);
  CHECK(search_choices == std::vector<int>{3, 3});
  CHECK(score_choices(positions, search_choices).accuracy() == 1.0);
}

TEST_CASE("the committed labelled set parses and its labels are the solver's", "[unit][eval]") {
  auto game = connect4();
  const auto positions = read_labelled_positions(default_positions_path(), *game);
  CHECK(positions.size() >= 900);
  int matters = 0;
  for (const auto& p : positions) matters += p.choice_matters();
  CHECK(matters >= 400);  // 461 of the 1,000 (data/connect4/README.md)
  // Re-solve the 10 positions with the most stones (fast) and compare every column.
  std::vector<const LabelledPosition*> late;
  for (const auto& p : positions) late.push_back(&p);
  std::sort(late.begin(), late.end(),
            [](const auto* x, const auto* y) { return x->moves.size() > y->moves.size(); });
  zp::game::Connect4Solver solver(20);
  for (int i = 0; i < 10; ++i) {
    auto s = game->state_from_moves(late[i]->moves);
    const auto scores = solver.analyze(static_cast<const zp::game::Connect4State&>(*s));
    INFO("line " << late[i]->line << ": " << late[i]->moves);
    for (int c = 0; c < kConnect4Columns; ++c) CHECK(scores[c] == late[i]->scores[c]);
  }
}

TEST_CASE("plot: PNG charts from metrics.jsonl, clear errors without it", "[unit][eval][binary]") {
  const std::string zeroplay = zp::test::zeroplay_binary();
  zp::test::TempDir dir;
  auto r = zp::test::run_command(zeroplay + " plot " + dir.path() + "/nope");
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("metrics.jsonl does not exist") != std::string::npos);
  std::ofstream(dir.path() + "/metrics.jsonl").close();
  r = zp::test::run_command(zeroplay + " plot " + dir.path());
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("is empty") != std::string::npos);
  if (zp::test::run_command("/usr/bin/python3 -c 'import matplotlib'").exit_code != 0) {
    WARN("skipping the charts: /usr/bin/python3 has no matplotlib (python3-matplotlib)");
    return;
  }
  {
    std::ofstream m(dir.path() + "/metrics.jsonl");
    for (int i = 1; i <= 3; ++i)
      m << "{\"time\":" << 1000 + i << ",\"elapsed_s\":" << i << ",\"positions_per_s\":" << 100 * i
        << ",\"evals_per_s\":" << 900 * i << ",\"learner_step\":" << 10 * i
        << ",\"loss_policy\":1.5,\"loss_value\":0.5}\n";
    m << R"({"kind":"eval","version":1,"elo":50,"elo_stderr":30,"win_rate_random":0.6,)"
      << R"("win_rate_mcts":0.1,"oracle_policy_accuracy":0.4,"oracle_search_accuracy":0.5,)"
      << R"("pons_policy_error_rate":{"Test_L3_R1":0.3,"Test_L1_R3":0.5},)"
      << R"("pons_search_error_rate":{"Test_L3_R1":0.1,"Test_L1_R3":0.3}})"
      << "\n";
    m << R"({"kind":"eval","version":2,"elo":150,"elo_stderr":30,"win_rate_prev":0.7,)"
      << R"("oracle_policy_accuracy":0.45,"oracle_search_accuracy":0.6,"simulations":16,)"
      << R"("pons_policy_error_rate":{"Test_L3_R1":0.2,"Test_L1_R3":0.45},)"
      << R"("pons_search_error_rate":{"Test_L3_R1":0.05,"Test_L1_R3":0.2},)"
      << R"("ladder":[{"player":"random","elo":0,"stderr":0},{"player":"v2","elo":150,)"
      << R"("stderr":30},{"player":"v1","elo":50,"stderr":30},{"player":"mcts:32","elo":90}]})"
      << "\n";
    m << "{\"torn\":";  // a torn last line is skipped
  }
  r = zp::test::run_command(zeroplay + " plot " + dir.path() + " --out " + dir.path() + "/png");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  for (const char* png : {"throughput", "losses", "elo", "win_rates", "oracle", "pons"})
    CHECK(std::ifstream(dir.path() + "/png/" + png + ".png").good());
  // Without Pons figures (no ../shared/data during the run) there is no pons.png.
  {
    std::ofstream m(dir.path() + "/metrics.jsonl");
    m << R"({"kind":"eval","version":1,"elo":50,"oracle_policy_accuracy":0.4})" << "\n";
  }
  r = zp::test::run_command(zeroplay + " plot " + dir.path() + " --out " + dir.path() + "/png2");
  CHECK(r.exit_code == 0);
  CHECK(std::ifstream(dir.path() + "/png2/oracle.png").good());
  CHECK_FALSE(std::ifstream(dir.path() + "/png2/pons.png").good());
}
