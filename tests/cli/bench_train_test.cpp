// `zeroplay bench train`, run as a user would: one row per batch size with a positive step
// rate (the default batch is learner.batch_size), and one-line errors for bad arguments.
#include <algorithm>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace {

zp::test::CommandResult bench(const std::string& args) {
  return zp::test::run_command(zp::test::zeroplay_binary() +
                               " bench train --set model.blocks=1 --set model.channels=8 "
                               "--seconds 0.05 " + args);
}

}  // namespace

TEST_CASE("bench train: a row per batch size, learner.batch_size by default", "[unit][bench]") {
  const auto r = bench("--device cpu --batches 4,16 --json");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  CHECK(j["bench"] == "train");
  CHECK(j["device"] == "cpu");
  REQUIRE(j["results"].size() == 2);
  CHECK(j["results"][0]["batch"] == 4);
  CHECK(j["results"][1]["batch"] == 16);
  for (const auto& row : j["results"]) {
    CHECK(row["steps"].get<int>() >= 3);
    CHECK(row["steps_per_s"].get<double>() > 0);
    CHECK(row["samples_per_s"].get<double>() ==
          Approx(row["steps_per_s"].get<double>() * row["batch"].get<int>()));
  }

  const auto table = bench("--device cpu --set learner.batch_size=8");
  INFO(table.output);
  CHECK(table.exit_code == 0);
  CHECK(table.output.find("bench train: connect4, resnet 1x8, ") != std::string::npos);
  CHECK(table.output.find(", device cpu, learner threads ") != std::string::npos);
  CHECK(table.output.find("\n      8 ") != std::string::npos);  // the one row, batch 8
}

TEST_CASE("bench train: a bad batch size or device is a one-line error", "[unit][bench]") {
  const auto b = bench("--device cpu --batches 4,0");
  CHECK(b.exit_code == 1);
  CHECK(b.output == "zeroplay: error: --batches: batch sizes must be >= 1, got 0\n");
  const auto d = bench("--device tpu");
  CHECK(d.exit_code == 1);
  CHECK(d.output.find("zeroplay: error: ") == 0);
  CHECK(d.output.find("tpu") != std::string::npos);
  CHECK(std::count(d.output.begin(), d.output.end(), '\n') == 1);
}
