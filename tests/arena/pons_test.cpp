// Pons' benchmark sets (shared/arena/pons.h) and `zeroplay eval oracle --pons DIR`.
// Tagged [unit][eval]; the end-to-end test reads ../shared/data and is Skipped without it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "shared/arena/json_line.h"
#include "shared/arena/oracle.h"
#include "shared/arena/player.h"
#include "shared/arena/players.h"
#include "shared/arena/pons.h"
#include "shared/config/config.h"
#include "shared/core/error.h"
#include "shared/game/registry.h"
#include "tests/test_support.h"

using namespace zp::arena;

namespace {

namespace fs = std::filesystem;

std::shared_ptr<const zp::game::Game> connect4() { return zp::game::make_game("connect4"); }

// Three valid labelled lines (oracle.h's format), for sets made up in a test.
const char* const kLines =
    "4 1 2 3 4 3 2 1\n"
    "44 -2 -1 0 1 0 -1 -2\n"
    "444444 0 0 0 -1000 0 -1 0\n";

// Writes all six sets into `dir`, each holding kLines.
void write_fake_sets(const std::string& dir) {
  for (int i = 0; i < kNumPonsSets; ++i) std::ofstream(pons_set_path(dir, i)) << kLines;
}

// The first `n` lines of every real set into `dir` (never into the repository).
void write_truncated_sets(const std::string& pons, const std::string& dir, int n) {
  for (int i = 0; i < kNumPonsSets; ++i) {
    std::ifstream in(pons_set_path(pons, i));
    REQUIRE(in.good());
    std::ofstream out(pons_set_path(dir, i));
    std::string line;
    for (int k = 0; k < n && std::getline(in, line); ++k) out << line << "\n";
  }
}

std::string last_line(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

// The error message of an IoError / FormatError thrown by `f`; fails the test if none is.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const zp::Error& e) {
    return e.what();
  }
  FAIL("no zp::Error thrown");
  return "";
}

}  // namespace

TEST_CASE("pons: the six sets in benchmark order, with AlphaZero.jl's error rates",
          "[unit][eval]") {
  const auto& sets = pons_sets();
  REQUIRE(sets.size() == 6);
  const char* files[] = {"Test_L3_R1", "Test_L2_R1", "Test_L2_R2",
                         "Test_L1_R1", "Test_L1_R2", "Test_L1_R3"};
  const char* names[] = {"End-Easy",       "Middle-Easy",      "Middle-Medium",
                         "Beginning-Easy", "Beginning-Medium", "Beginning-Hard"};
  const char* shorts[] = {"EE", "ME", "MM", "BE", "BM", "BH"};
  const double refs[] = {0.0, 0.0, 0.027, 0.0, 0.02, 0.07};
  for (int i = 0; i < 6; ++i) {
    CHECK(std::string(sets[i].file) == files[i]);
    CHECK(std::string(sets[i].name) == names[i]);
    CHECK(std::string(sets[i].short_name) == shorts[i]);
    CHECK(sets[i].alphazero_jl == Approx(refs[i]));
  }
  CHECK(pons_set_path("/d", 5) == "/d/Test_L1_R3.txt");
}

TEST_CASE("pons: the strict reader names a missing directory, set file, bad line or empty set",
          "[unit][eval]") {
  auto game = connect4();
  zp::test::TempDir tmp;
  const std::string dir = tmp.path();
  std::string msg = error_of([&] { read_pons_sets(dir + "/none", *game); });
  CHECK(msg == "Pons benchmark directory " + dir + "/none does not exist");

  write_fake_sets(dir);
  const auto sets = read_pons_sets(dir, *game);
  REQUIRE(sets.size() == 6);
  for (int i = 0; i < 6; ++i) {
    CHECK(sets[i].index == i);
    CHECK(sets[i].positions.size() == 3);
  }

  fs::remove(pons_set_path(dir, 2));
  msg = error_of([&] { read_pons_sets(dir, *game); });
  CHECK(msg == "Pons set Middle-Medium: " + dir + "/Test_L2_R2.txt does not exist");
  // The lenient reader (the evaluator's) keeps the other five and says what it left out.
  std::vector<std::string> problems;
  auto present = read_available_pons_sets(dir, *game, &problems);
  REQUIRE(present.size() == 5);
  CHECK(present[2].set().name == std::string("Beginning-Easy"));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == msg);

  std::ofstream(pons_set_path(dir, 2)) << kLines << "4 1 2 3\n";
  msg = error_of([&] { read_pons_sets(dir, *game); });
  CHECK(msg.rfind(dir + "/Test_L2_R2.txt:4: expected 7 scores", 0) == 0);
  CHECK(msg.find('\n') == std::string::npos);

  std::ofstream(pons_set_path(dir, 2)) << "# nothing but a comment\n";
  msg = error_of([&] { read_pons_sets(dir, *game); });
  CHECK(msg == "Pons set Middle-Medium: " + dir + "/Test_L2_R2.txt has no positions");

  problems.clear();
  CHECK(read_available_pons_sets(dir + "/none", *game, &problems).empty());
  CHECK(problems.empty());  // no data at all is not a problem
}

TEST_CASE("pons: per-set rates packed into one counter, and the status line's compact form",
          "[unit][eval]") {
  const std::array<double, kNumPonsSets> rates{0.0, 0.011, 0.078, -1, 1.0, 0.315};
  const int64_t packed = pack_pons_rates(rates);
  CHECK(packed > 0);
  const auto back = unpack_pons_rates(packed);
  for (int i = 0; i < kNumPonsSets; ++i) CHECK(back[i] == Approx(rates[i]).margin(1e-9));
  CHECK(pack_pons_rates({-1, -1, -1, -1, -1, -1}) == 0);
  for (double r : unpack_pons_rates(0)) CHECK(r == -1);

  const int64_t policy = pack_pons_rates({0.226, 0.23, 0.289, 0.135, -1, 0.32});
  const int64_t search = pack_pons_rates({0.011, 0.0, 0.078, -1, -1, 0.187});
  CHECK(format_pons_compact(policy, search) ==
        "pons err% policy/search EE 23/1.1 ME 23/0.0 MM 29/7.8 BE 14/- BH 32/19");
  CHECK(format_pons_compact(0, 0).empty());
}

TEST_CASE("eval oracle --pons: bad input is one error line naming it", "[unit][eval][binary]") {
  const std::string zeroplay = zp::test::zeroplay_binary() + " eval oracle --uniform --sims 0 ";
  zp::test::TempDir tmp;
  const std::string dir = tmp.path();
  auto fails_with = [&](const std::string& args, const std::string& what) {
    const auto r = zp::test::run_command(zeroplay + args);
    INFO(args << ": " << r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output == "zeroplay: error: " + what + "\n");
  };
  fails_with("--pons " + dir + "/none",
             "Pons benchmark directory " + dir + "/none does not exist");
  write_fake_sets(dir);
  fails_with("", "eval oracle: give exactly one of --positions FILE and --pons DIR");
  fails_with("--pons " + dir + " --positions " + pons_set_path(dir, 0),
             "eval oracle: give exactly one of --positions FILE and --pons DIR");
  fs::remove(pons_set_path(dir, 5));
  fails_with("--pons " + dir, "Pons set Beginning-Hard: " + dir + "/Test_L1_R3.txt does not exist");
  std::ofstream(pons_set_path(dir, 5)) << kLines << "48 1 2 3 4 3 2 1\n";
  const auto r = zp::test::run_command(zeroplay + "--pons " + dir);
  CHECK(r.exit_code == 1);
  CHECK(r.output.rfind("zeroplay: error: " + dir + "/Test_L1_R3.txt:4: bad move string", 0) == 0);
}

TEST_CASE("eval oracle --pons: every set, the table and the JSON line, policy and search",
          "[unit][eval][binary]") {
  const std::string data = zp::test::require_shared_data();
  if (data.empty()) return;
  auto game = connect4();
  constexpr int kPositions = 12, kSims = 16;
  zp::test::TempDir tmp;
  write_truncated_sets(data + "/connect4/pons", tmp.path(), kPositions);
  const auto sets = read_pons_sets(tmp.path(), *game);

  // What the command must report, computed here with the same players (in the same order).
  const zp::config::Config cfg;
  PolicyPlayer policy("uniform", zp::nn::make_uniform_backend(*game, 64));
  auto search = make_player("uniform:" + std::to_string(kSims), *game, cfg, {});
  std::vector<OracleScore> want_policy, want_search;
  for (const PonsPositions& p : sets) {
    want_policy.push_back(score_choices(p.positions, choose_on_positions(p.positions, *game, policy)));
    want_search.push_back(score_choices(p.positions, choose_on_positions(p.positions, *game, *search)));
  }

  for (int sims : {0, kSims}) {
    const auto r = zp::test::run_command(zp::test::zeroplay_binary() +
                                         " eval oracle --uniform --pons " + tmp.path() +
                                         " --sims " + std::to_string(sims));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const auto line = parse_json_object(last_line(r.output));
    REQUIRE(line.has_value());
    CHECK(line->at("pons") == tmp.path());
    CHECK(line->at("simulations") == sims);
    const Json& rows = line->at("sets");
    REQUIRE(rows.size() == 6);
    for (int i = 0; i < 6; ++i) {
      const Json& row = rows[i];
      const PonsSet& set = pons_sets()[i];
      INFO(set.name);
      CHECK(row.at("set") == set.name);
      CHECK(row.at("file") == set.file);
      CHECK(row.at("positions") == kPositions);
      CHECK(row.at("alphazero_jl_error_rate").get<double>() == Approx(set.alphazero_jl));
      CHECK(row.at("random").at("error_rate").get<double>() ==
            Approx(random_mover_expectation(sets[i].positions).error_rate));
      CHECK(row.at("policy").at("errors") == want_policy[i].errors);
      CHECK(row.at("policy").at("error_rate").get<double>() == Approx(want_policy[i].error_rate()));
      if (sims == 0) {
        CHECK(row.count("search") == 0);
      } else {
        CHECK(row.at("search").at("simulations") == sims);
        CHECK(row.at("search").at("errors") == want_search[i].errors);
      }
      // The table's row: name, positions, random, policy, search, AlphaZero.jl.
      char policy_cell[16];
      std::snprintf(policy_cell, sizeof(policy_cell), "%.1f%%", 100 * want_policy[i].error_rate());
      std::istringstream table(r.output);
      std::string text, found;
      while (std::getline(table, text))
        if (text.rfind(std::string(set.name) + " ", 0) == 0) found = text;
      std::istringstream cells(found);
      std::string name, positions, random, policy_rate, search_rate, reference;
      cells >> name >> positions >> random >> policy_rate >> search_rate >> reference;
      CHECK(name == set.name);
      CHECK(positions == std::to_string(kPositions));
      CHECK(policy_rate == policy_cell);
      CHECK((search_rate == "-") == (sims == 0));
      CHECK(reference.front() == '~');
    }
    CHECK(r.output.find("set                positions   random   policy   search  AlphaZero.jl") !=
          std::string::npos);
    CHECK(r.output.find("~2.7%") != std::string::npos);
    // A progress line per set.
    for (const PonsSet& set : pons_sets())
      CHECK(r.output.find("[oracle] " + std::string(set.name) + ": policy") != std::string::npos);
  }
}
