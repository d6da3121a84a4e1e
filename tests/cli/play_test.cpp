// `zeroplay play` driven through stdin, as a script (or a person) would.
#include <catch2/catch.hpp>

#include "tests/test_support.h"

TEST_CASE("play: a scripted full game, with a garbled move rejected and retried",
          "[unit][play]") {
  // The human (first player) tries every cell in order; cells the engine took are rejected as
  // illegal and the next line is read, so the game always reaches its end.
  const std::string input = "hello\n0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  const auto r = zp::test::run_command(zp::test::zeroplay_binary() + " play " +
                                           zp::test::source_dir() +
                                           "/config/tictactoe.yaml --human-first --sims 200",
                                       input);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  // The garbled line gets an error naming it and a second chance.
  CHECK(r.output.find("error:") != std::string::npos);
  CHECK(r.output.find("'hello'") != std::string::npos);
  CHECK(r.output.find("try again") != std::string::npos);
  // The engine shows its analysis and the game ends with a result.
  CHECK(r.output.find("visits") != std::string::npos);
  CHECK(r.output.find("engine plays") != std::string::npos);
  CHECK(r.output.find("game over:") != std::string::npos);
  // Pure MCTS with 200 simulations does not lose tic-tac-toe to this script.
  CHECK(r.output.find("game over: you win") == std::string::npos);
}

TEST_CASE("play: end of input quits cleanly", "[unit][play]") {
  const auto r = zp::test::run_command(zp::test::zeroplay_binary() + " play " +
                                       zp::test::source_dir() + "/config/connect4.yaml --sims 50",
                                       "");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("engine plays") != std::string::npos);
  CHECK(r.output.find("bye") != std::string::npos);
}
