// Checkpoint byte format: round trips, compatibility errors, corruption, files.
#include "shared/core/fs.h"
#include "shared/model/checkpoint.h"

#include <xxhash.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "shared/core/bytes.h"
#include "shared/core/error.h"
#include "shared/game/registry.h"
#include "shared/model/network_backend.h"
#include "shared/model/trainer.h"
#include "tests/model/model_test_util.h"
#include "tests/test_support.h"

namespace zp::model {
namespace {

using nn::BatchBuffers;

using Catch::Matchers::Contains;
using test::tiny_model;

// The xxHash64 every format ends with (the checkpoint's own, recomputed).
uint64_t data_checksum(const std::string& b) { return XXH64(b.data(), b.size(), 0); }

config::LearnerConfig cpu_learner() {
  config::LearnerConfig l;
  l.device = "cpu";
  l.threads = 1;
  return l;
}

// The message of the FormatError `fn` throws ("" if it throws nothing or something else).
template <typename Fn>
std::string format_error(Fn&& fn) {
  try {
    fn();
  } catch (const FormatError& e) {
    return e.what();
  } catch (...) {
    return "<other exception>";
  }
  return "<no exception>";
}

TEST_CASE("checkpoint: metadata round trip", "[unit][model]") {
  auto game = game::make_game("gomoku", {9});
  config::ModelConfig m = tiny_model();
  m.value_hidden = 13;
  const CheckpointMeta meta = make_checkpoint_meta(*game, m, 1234, 56);
  const std::string bytes = encode_checkpoint(meta, "WEIGHTS");
  const DecodedCheckpoint d = decode_checkpoint(bytes);
  CHECK(d.weights == "WEIGHTS");
  CHECK(d.meta.game == "gomoku");
  CHECK(d.meta.game_params == "size=9");
  CHECK(d.meta.obs == game::ObsShape{3, 9, 9});
  CHECK(d.meta.num_actions == 81);
  CHECK(d.meta.blocks == 1);
  CHECK(d.meta.channels == 8);
  CHECK(d.meta.policy_channels == 2);
  CHECK(d.meta.value_channels == 1);
  CHECK(d.meta.value_hidden == 13);
  CHECK(d.meta.training_step == 1234);
  CHECK(d.meta.model_version == 56);
  CHECK(bytes.substr(0, 4) == "ZPCK");
  CHECK(describe_checkpoint(d.meta) ==
        "gomoku(size=9) 1x8 (policy 2, value 1/13), obs 3x9x9, 81 actions, step 1234, "
        "version 56");
  CHECK_NOTHROW(check_compatible(d.meta, *game, m));
}

TEST_CASE("checkpoint: truncated, bad magic, corrupted, trailing bytes", "[unit][model]") {
  auto game = game::make_game("connect4");
  Trainer trainer(*game, tiny_model(), cpu_learner());
  const std::string good = trainer.checkpoint_bytes(3);
  REQUIRE_NOTHROW(decode_checkpoint(good));

  CHECK_THAT(format_error([&] { decode_checkpoint(good.substr(0, 10)); }), Contains("truncated"));
  CHECK_THAT(format_error([&] { decode_checkpoint(good.substr(0, good.size() - 1)); }),
             Contains("truncated"));
  CHECK_THAT(format_error([&] { decode_checkpoint(good.substr(0, good.size() / 2)); }),
             Contains("checkpoint truncated: weights"));
  CHECK_THAT(format_error([&] { decode_checkpoint(""); }), Contains("truncated"));

  std::string bad = good;
  bad[0] = 'X';
  CHECK_THAT(format_error([&] { decode_checkpoint(bad); }), Contains("bad magic"));

  bad = good;
  bad[4] = 9;  // format version 9
  CHECK_THAT(format_error([&] { decode_checkpoint(bad); }), Contains("format version 9"));

  for (size_t at : {size_t{20}, good.size() / 2, good.size() - 9, good.size() - 1}) {
    bad = good;
    bad[at] ^= 0x01;
    CHECK_THAT(format_error([&] { decode_checkpoint(bad); }), Contains("checksum mismatch"));
  }
  CHECK_THAT(format_error([&] { decode_checkpoint(good + "x"); }), Contains("trailing"));
}

TEST_CASE("checkpoint: lengths beyond the bytes present are refused before any allocation",
          "[unit][model]") {
  // A crafted header: metadata and weights lengths near 4 GiB and 2^64, nothing after them.
  auto crafted = [](uint32_t meta_len, uint64_t weights_len) {
    std::string b = "ZPCK";
    put<uint32_t>(&b, kCheckpointFormatVersion);
    put<uint32_t>(&b, meta_len);
    put<uint64_t>(&b, weights_len);
    put<uint64_t>(&b, 0);
    return b;
  };
  CHECK_THAT(format_error([&] { decode_checkpoint(crafted(0xFFFFFFFFu, 0)); }),
             Contains("checkpoint truncated: metadata needs 4294967295 bytes"));
  CHECK_THAT(format_error([&] { decode_checkpoint(crafted(0, UINT64_MAX)); }),
             Contains("checkpoint truncated: weights needs 18446744073709551615 bytes"));
  // A string length inside the metadata is checked against the metadata's own bytes.
  std::string meta;
  put<uint32_t>(&meta, 0xFFFFFFF0u);  // "game name" length
  std::string b = "ZPCK";
  put<uint32_t>(&b, kCheckpointFormatVersion);
  put<uint32_t>(&b, static_cast<uint32_t>(meta.size()));
  b += meta;
  put<uint64_t>(&b, 0);
  put<uint64_t>(&b, data_checksum(b));
  CHECK_THAT(format_error([&] { decode_checkpoint(b); }),
             Contains("checkpoint metadata truncated: game name needs 4294967280 bytes"));
}

TEST_CASE("checkpoint: another game, params or shape fails saying what differs", "[unit][model]") {
  auto connect4 = game::make_game("connect4");
  auto tictactoe = game::make_game("tictactoe");
  config::ModelConfig m = tiny_model();
  Trainer trainer(*connect4, m, cpu_learner());
  const std::string bytes = trainer.checkpoint_bytes(1);

  const std::string other_game =
      format_error([&] { make_torch_backend(*tictactoe, m, 1)->load_weights(bytes); });
  CHECK_THAT(other_game, Contains("checkpoint is for connect4 1x8, config wants tictactoe 1x8"));
  CHECK_THAT(other_game, Contains("game: connect4 vs tictactoe"));

  config::ModelConfig wider = m;
  wider.blocks = 2;
  wider.channels = 16;
  const std::string other_shape =
      format_error([&] { make_torch_backend(*connect4, wider, 1)->load_weights(bytes); });
  CHECK_THAT(other_shape, Contains("checkpoint is for connect4 1x8, config wants connect4 2x16"));
  CHECK_THAT(other_shape, Contains("blocks: 1 vs 2; channels: 8 vs 16"));

  config::ModelConfig head = m;
  head.value_hidden = 32;
  CHECK_THAT(format_error([&] { make_torch_backend(*connect4, head, 1)->load_weights(bytes); }),
             Contains("value_hidden: 8 vs 32"));

  auto gomoku7 = game::make_game("gomoku", {7});
  auto gomoku9 = game::make_game("gomoku", {9});
  Trainer g7(*gomoku7, m, cpu_learner());
  const std::string other_params = format_error(
      [&] { make_torch_backend(*gomoku9, m, 1)->load_weights(g7.checkpoint_bytes(1)); });
  CHECK_THAT(other_params,
             Contains("checkpoint is for gomoku(size=7) 1x8, config wants gomoku(size=9) 1x8"));
  CHECK_THAT(other_params, Contains("game params: 'size=7' vs 'size=9'"));

  // The trainer refuses foreign checkpoints the same way.
  Trainer t3(*tictactoe, m, cpu_learner());
  CHECK_THAT(format_error([&] { t3.load_checkpoint(bytes); }), Contains("config wants tictactoe"));
}

TEST_CASE("checkpoint: file round trip gives the same outputs", "[unit][model]") {
  test::TempDir dir;
  const std::string path = dir.path() + "/model.zpck";
  auto game = game::make_game("connect4");
  const config::ModelConfig m = tiny_model();
  Trainer trainer(*game, m, cpu_learner(), 0, 5);
  zp::write_file_atomic(path, trainer.checkpoint_bytes(4));
  // Only the file itself is left behind (no temporary).
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator()) == 1);

  const CheckpointMeta meta = read_checkpoint_meta(path);
  CHECK(meta.model_version == 4);
  CHECK(meta.game == "connect4");

  auto from_bytes = make_torch_backend(*game, m, 8, "", 1);
  from_bytes->load_weights(trainer.checkpoint_bytes(4));
  auto from_file = make_torch_backend(*game, m, 8, path);
  auto fresh = make_torch_backend(*game, m, 8, "", 1);
  CHECK(from_file->model_version() == 4);
  for (auto* ev : {from_bytes.get(), from_file.get(), fresh.get()}) {
    test::fill_positions(*game, ev->buffers(), 8);
    ev->compute(8);
  }
  const auto want = test::outputs(from_bytes->buffers(), 8);
  CHECK(test::max_abs_diff(test::outputs(from_file->buffers(), 8), want) == 0.0f);
  CHECK(test::max_abs_diff(test::outputs(fresh->buffers(), 8), want) > 1e-3f);
}

TEST_CASE("checkpoint: missing file is an IoError, a bad file a FormatError", "[unit][model]") {
  test::TempDir dir;
  auto game = game::make_game("connect4");
  const std::string missing = dir.path() + "/nope.zpck";
  CHECK_THROWS_AS(make_torch_backend(*game, tiny_model(), 1, missing), IoError);
  CHECK_THROWS_AS(read_checkpoint_meta(missing), IoError);
  CHECK_THROWS_AS(read_checkpoint_file(missing), IoError);

  const std::string junk = dir.path() + "/junk.zpck";
  zp::write_file_atomic(junk, "this is not a checkpoint at all, just some text");
  const std::string msg = format_error([&] { read_checkpoint_meta(junk); });
  CHECK_THAT(msg, Contains(junk));
  CHECK_THAT(msg, Contains("bad magic"));
  CHECK_THAT(format_error([&] { make_torch_backend(*game, tiny_model(), 1, junk); }),
             Contains("bad magic"));
  CHECK_THROWS_AS(zp::write_file_atomic(dir.path() + "/no/such/dir/x", "x"), IoError);
}

}  // namespace
}  // namespace zp::model

namespace zp::model {
namespace {

TEST_CASE("network attributes: the reported checkpoint size is what the trainer publishes",
          "[unit][model]") {
  // The supervisor sizes the shm model store from network_attributes(); a published
  // checkpoint larger than that would fail at run time.
  struct Case {
    const char* game;
    int board;
    int blocks, channels;
  };
  for (const Case& c : {Case{"tictactoe", 0, 1, 8}, Case{"connect4", 0, 2, 16},
                        Case{"gomoku", 9, 1, 12}}) {
    auto game = game::make_game(c.game, {c.board});
    config::ModelConfig m = tiny_model();
    m.blocks = c.blocks;
    m.channels = c.channels;
    const NetworkAttributes a = network_attributes(*game, m);
    Trainer trainer(*game, m, cpu_learner(), 0, 3);
    const std::string bytes = trainer.checkpoint_bytes(12345);
    INFO(c.game << " " << c.blocks << "x" << c.channels);
    CHECK(a.checkpoint_bytes == bytes.size());
    CHECK(a.parameters > static_cast<int64_t>(c.channels) * c.channels * 9 * 2 * c.blocks);
  }
}

}  // namespace
}  // namespace zp::model
