// A CUDA device the machine does not have is refused up front, in one line, by every command
// that would run a network on it: `train` before it spawns anything, creates a run directory
// or shared memory; `selfplay`, `play` and `eval` before any work.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "shared/config/config.h"
#include "shared/core/fs.h"
#include "shared/game/registry.h"
#include "shared/model/trainer.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace {

// No machine has a 100th device, so the message is the same everywhere but for the count.
const std::string kMissing = "cuda:99";

std::string refusal(const std::string& key, const std::string& spec = kMissing) {
  return "zeroplay: error: " + key + ": '" + spec + "' asked for, but this machine has ";
}

std::string tiny_config() { return zp::test::source_dir() + "/config/tiny.yaml"; }

std::set<std::string> shm_objects() {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator("/dev/shm"))
    if (e.path().filename().string().rfind("zp-", 0) == 0)
      names.insert(e.path().filename().string());
  return names;
}

struct Timed {
  zp::test::CommandResult r;
  double seconds = 0;
};

Timed run_zeroplay(const std::string& args) {
  const auto t0 = std::chrono::steady_clock::now();
  Timed t;
  t.r = zp::test::run_command(zp::test::zeroplay_binary() + " " + args);
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return t;
}

// The refusal is the whole output: one line, exit code 1, quickly.
void check_refused(const Timed& t, const std::string& message) {
  INFO(t.r.output);
  CHECK(t.r.exit_code == 1);
  CHECK(t.r.output.rfind(message, 0) == 0);
  CHECK(std::count(t.r.output.begin(), t.r.output.end(), '\n') == 1);
  CHECK(t.seconds < 5);
}

// A checkpoint of tiny.yaml's network (random weights).
std::string write_tiny_checkpoint(const std::string& dir) {
  const zp::config::Config cfg = zp::config::load_config(tiny_config());
  auto game = zp::game::make_game(cfg.game.name);
  zp::model::Trainer trainer(*game, cfg.model, cfg.learner, 0, 1);
  const std::string path = dir + "/model-1.zpck";
  zp::write_file_atomic(path, trainer.checkpoint_bytes(1));
  return path;
}

}  // namespace

TEST_CASE("train refuses a missing CUDA device before it creates or spawns anything",
          "[unit][train][device]") {
  for (const std::string key : {"model.device", "learner.device", "actors.devices"}) {
    DYNAMIC_SECTION(key) {
      zp::test::TempDir tmp;
      const std::string run = tmp.path() + "/run";
      const std::set<std::string> before = shm_objects();
      const Timed t =
          run_zeroplay("train " + tiny_config() + " --run-dir " + run + " --set " + key + "=" +
                       kMissing + " --set train.max_seconds=30");
      check_refused(t, refusal(key));
      CHECK_FALSE(fs::exists(run));
      const std::set<std::string> after = shm_objects();
      CHECK(std::includes(before.begin(), before.end(), after.begin(), after.end()));
    }
  }
  SECTION("--resume leaves the run directory as it was") {
    zp::test::TempDir tmp;
    fs::copy_file(tiny_config(), tmp.path() + "/config.yaml");
    const Timed t = run_zeroplay("train --resume --run-dir " + tmp.path() +
                                 " --set model.device=" + kMissing);
    check_refused(t, refusal("model.device"));
    CHECK(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()) == 1);
    CHECK(zp::test::read_text(tmp.path() + "/config.yaml") ==
          zp::test::read_text(tiny_config()));
  }
  if (!zp::test::cuda_device_available()) {
    SECTION("plain 'cuda' on a machine without one") {
      zp::test::TempDir tmp;
      const Timed t = run_zeroplay("train " + tiny_config() + " --run-dir " + tmp.path() +
                                   "/run --set model.device=cuda");
      check_refused(t, refusal("model.device", "cuda") + "0 CUDA devices\n");
      CHECK_FALSE(fs::exists(tmp.path() + "/run"));
    }
  }
}

TEST_CASE("selfplay, play and eval refuse a missing CUDA device before any work",
          "[unit][device]") {
  zp::test::TempDir tmp;
  const std::string ckpt = write_tiny_checkpoint(tmp.path());
  const std::string dev = " --set model.device=" + kMissing;
  const std::string positions =
      zp::test::source_dir() + "/data/connect4/selfplay_positions.txt";
  SECTION("selfplay") {
    check_refused(run_zeroplay("selfplay " + tiny_config() + " --games 1" + dev),
                  refusal("model.device"));
  }
  SECTION("play") {
    check_refused(run_zeroplay("play " + tiny_config() + " --checkpoint " + ckpt + dev),
                  refusal("model.device"));
  }
  SECTION("eval arena") {
    check_refused(run_zeroplay("eval arena --config " + tiny_config() + " --a " + ckpt +
                               " --b random --games 2" + dev),
                  refusal("model.device"));
  }
  SECTION("eval oracle") {
    check_refused(run_zeroplay("eval oracle --config " + tiny_config() + " --checkpoint " +
                               ckpt + " --positions " + positions + " --sims 0" + dev),
                  refusal("model.device"));
  }
}
