// `zeroplay bench inference`'s precision and CUDA-graphs axes, run as a user would. On a
// machine without CUDA, half precision and graphs rows must say "not applicable" and carry
// no numbers; on one with CUDA they are timed (the [gpu] side is the device check's).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace {

zp::test::CommandResult bench(const std::string& args) {
  return zp::test::run_command(zp::test::zeroplay_binary() +
                               " bench inference --set model.blocks=1 --set model.channels=8 "
                               "--seconds 0.05 --batches 2,4 " + args);
}

}  // namespace

TEST_CASE("bench inference: one row per precision, graphs and batch; not applicable on the CPU",
          "[unit][bench]") {
  const auto r = bench("--device cpu --precision fp32,bf16,auto --graphs off,on --json");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  CHECK(j["device"] == "cpu");
  int timed = 0, not_applicable = 0;
  for (const auto& row : j["results"]) {
    if (row["applicable"]) {
      ++timed;
      CHECK(row["precision"] == "fp32");  // auto resolves to fp32 on the CPU
      CHECK(row["graphs"] == "off");
      CHECK(row["graphs_asked"] == "off");
      CHECK(row["evals_per_s"].get<double>() > 0);
    } else {
      ++not_applicable;
      CHECK(!row.contains("evals_per_s"));
      CHECK(row["note"].get<std::string>().find("CUDA") != std::string::npos);
      CHECK((row["precision"] == "bf16" || row["graphs"] == "on"));
    }
  }
  // fp32/off and auto/off at batches 2 and 4; fp32/on, bf16/off, bf16/on, auto/on one row each.
  CHECK(timed == 4);
  CHECK(not_applicable == 4);

  const auto table = bench("--device cpu --precision bf16 --graphs off");
  INFO(table.output);
  CHECK(table.exit_code == 0);
  CHECK(table.output.find("bf16    off   not applicable: bf16 inference needs a CUDA device") !=
        std::string::npos);
}

TEST_CASE("bench inference: a bad --precision or --graphs value is a one-line error",
          "[unit][bench]") {
  const auto p = bench("--device cpu --precision fp32,fp8");
  CHECK(p.exit_code == 1);
  CHECK(p.output == "zeroplay: error: --precision: 'fp8' is not one of auto, fp32, fp16, bf16\n");
  const auto g = bench("--device cpu --graphs maybe");
  CHECK(g.exit_code == 1);
  CHECK(g.output == "zeroplay: error: --graphs: 'maybe' is not one of auto, on, off\n");
}
