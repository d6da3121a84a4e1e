// The Connect Four solver against labelled positions: the team's shared set
// (shared/data/connect4/positions.txt), Pons' benchmark sets, and our own generated set.
#include <catch2/catch.hpp>

#include <array>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "shared/core/error.h"
#include "shared/game/games/connect4/connect4.h"
#include "shared/game/games/connect4/solver.h"
#include "shared/game/registry.h"
#include "tests/test_support.h"

namespace zp::game {
namespace {

struct Labelled {
  std::string moves;
  std::array<int, 7> scores;
};

// Reads "<moves> s1 ... s7" lines; an empty vector if the file is missing.
std::vector<Labelled> read_labelled(const std::string& path) {
  std::vector<Labelled> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream is(line);
    Labelled l;
    is >> l.moves;
    for (int& s : l.scores) is >> s;
    REQUIRE(is);
    out.push_back(l);
  }
  return out;
}

// Checks analyze() on every labelled position with at least `min_moves` moves; returns how
// many were checked.
int check_positions(const std::vector<Labelled>& set, size_t min_moves, Connect4Solver* solver) {
  auto g = make_game("connect4");
  int checked = 0;
  for (const Labelled& l : set) {
    if (l.moves.size() < min_moves) continue;
    auto s = g->state_from_moves(l.moves);
    const auto scores = solver->analyze(static_cast<const Connect4State&>(*s));
    INFO(l.moves);
    REQUIRE(scores == l.scores);
    ++checked;
  }
  return checked;
}

}  // namespace

TEST_CASE("connect4 solver: small positions and conventions", "[unit][game]") {
  auto g = make_game("connect4");
  Connect4Solver solver;
  auto state = [&](const char* moves) {
    return std::unique_ptr<Connect4State>(
        static_cast<Connect4State*>(g->state_from_moves(moves).release()));
  };
  // X to move has three in column 1: winning with the 4th stone scores 22 - 4 = 18.
  CHECK(solver.solve(*state("121212")) == 18);
  // Terminal positions are refused.
  CHECK_THROWS_AS(solver.solve(*state("1212121")), StateError);
  CHECK_THROWS_AS(solver.analyze(*state("1212121")), StateError);
  // One line of Pons' Middle-Easy set: column 5 is full (-1000), the best column's score is
  // the position's score.
  auto s = state("5554224333234511764415115");
  const std::array<int, 7> expected{-8, -8, -8, -8, Connect4Solver::kInvalidMove, 4, -8};
  CHECK(solver.analyze(*s) == expected);
  CHECK(solver.solve(*s) == 4);
  // An immediate win scores (43 - stones on the board) / 2: here O's 4th stone, 22 - 4.
  CHECK(solver.solve(*state("1212123")) == 18);  // O to move with three in column 2
  // Reusing the table across calls and after reset() gives the same answers.
  solver.reset();
  CHECK(solver.analyze(*s) == expected);
  CHECK(solver.nodes() > 0);
}

TEST_CASE("connect4 solver reproduces labelled positions", "[unit][game]") {
  const std::string data = test::require_shared_data();
  if (data.empty()) return;
  Connect4Solver solver;
  SECTION("shared positions.txt, the positions with 14 or more moves") {
    // (Fewer moves take up to seconds each: the whole file runs in the [integration] test.)
    const auto set = read_labelled(data + "/connect4/positions.txt");
    REQUIRE(set.size() == 1800);
    CHECK(check_positions(set, 14, &solver) == 1044);
  }
  SECTION("Pons End-Easy and Middle-Easy sets") {
    for (const char* name : {"Test_L3_R1.txt", "Test_L2_R1.txt"}) {
      const auto set = read_labelled(data + "/connect4/pons/" + name);
      REQUIRE(set.size() == 1000);
      CHECK(check_positions(set, 0, &solver) == 1000);
    }
  }
}

TEST_CASE("connect4 solver reproduces our generated set", "[unit][game][binary]") {
  const auto set = read_labelled(test::source_dir() + "/data/connect4/random_positions.txt");
  REQUIRE(set.size() == 500);
  Connect4Solver solver;
  CHECK(check_positions(set, 14, &solver) == 344);
}

namespace {

// Pipes a labelled file through `zeroplay solve` and compares the output line by line.
void check_binary_reproduces(const std::string& path, int expected_lines, int threads) {
  std::ifstream in(path);
  const std::string expected((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  const auto r = test::run_command(test::zeroplay_binary() + " solve --game connect4 --threads " +
                                       std::to_string(threads) + " 2>/dev/null",
                                   expected);
  REQUIRE(r.exit_code == 0);
  std::istringstream want(expected), got(r.output);
  std::string w, o;
  int line = 0;
  while (std::getline(want, w)) {
    ++line;
    INFO(path << " line " << line);
    REQUIRE(std::getline(got, o));
    REQUIRE(o == w);
  }
  CHECK_FALSE(std::getline(got, o));
  CHECK(line == expected_lines);
}

}  // namespace

// All 1,800 shared positions through the binary. About 5 minutes of CPU (see
// data/connect4/README.md), split over 2 threads.
TEST_CASE("zeroplay solve reproduces shared positions.txt", "[integration][solver][binary]") {
  const std::string data = test::require_shared_data();
  if (data.empty()) return;
  check_binary_reproduces(data + "/connect4/positions.txt", 1800, 2);
}

TEST_CASE("zeroplay solve reproduces Pons' Middle-Medium set", "[integration][solver][binary]") {
  const std::string data = test::require_shared_data();
  if (data.empty()) return;
  check_binary_reproduces(data + "/connect4/pons/Test_L2_R2.txt", 1000, 1);
}

TEST_CASE("zeroplay solve reports bad lines and goes on", "[integration][solver][binary]") {
  const std::string input =
      "2252576253462244111563365343671351441 extra fields\n9\n\n# comment\n1212121\n"
      "7422341735647741166133573473242566\n";
  const auto r = test::run_command(test::zeroplay_binary() + " solve --game connect4", input);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("line 2:") != std::string::npos);  // '9' is not a column
  CHECK(r.output.find("line 5:") != std::string::npos);  // already won
  CHECK(r.output.find("2252576253462244111563365343671351441 -1000 -1000 -1000 -1000 -1000 -1 "
                      "-2\n") != std::string::npos);
  CHECK(r.output.find("7422341735647741166133573473242566 -3 1 -1000 -1000 -4 1 -1000\n") !=
        std::string::npos);
  CHECK(r.output.find("2 failed") != std::string::npos);
  // The thread pool prints the same answers in the same order.
  const auto one = test::run_command(test::zeroplay_binary() + " solve 2>/dev/null", input);
  const auto three =
      test::run_command(test::zeroplay_binary() + " solve --threads 3 2>/dev/null", input);
  CHECK(one.output.rfind("2252576253462244111563365343671351441 ", 0) == 0);
  CHECK(three.exit_code == 1);
  CHECK(three.output == one.output);
}

}  // namespace zp::game
