// The learner role: replay window semantics, shard watching, and the `zeroplay learner`
// process end to end (publication, corrupt shards, SIGTERM, resume).
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include "learner/launch.h"
#include "learner/learner_state.h"
#include "learner/replay.h"
#include "learner/shard_watcher.h"
#include "learner/staleness.h"
#include "shared/run/files.h"
#include "shared/config/config.h"
#include "shared/core/bytes.h"
#include "shared/core/error.h"
#include "shared/core/fault.h"
#include "shared/core/rng.h"
#include "shared/data/shard.h"
#include "shared/game/registry.h"
#include "shared/ipc/model_store.h"
#include "shared/run/names.h"
#include "shared/ipc/stats.h"
#include "shared/model/checkpoint.h"
#include "tests/run_stats.h"
#include "tests/test_support.h"

namespace {

namespace fs = std::filesystem;
using zp::data::GameRecord;
using zp::learner::ReplayWindow;
using zp::learner::ShardWatcher;

std::shared_ptr<const zp::game::Game> connect4() {
  zp::game::register_all_games();
  return zp::game::make_game("connect4");
}

// Scales pi to sum 1 (as records on the wire must).
void normalize(std::vector<float>& pi) {
  const float sum = std::accumulate(pi.begin(), pi.end(), 0.0f);
  for (float& p : pi) p /= sum;
}

// A record of `moves` (Connect Four digits) whose position i puts `mass` on the move played
// and `rest` on every other legal move (then normalised unless `raw`); the result is taken
// from the game.
GameRecord record_of(const zp::game::Game& g, const std::string& moves, float mass = 0.75f,
                     float rest = 0.05f, bool raw = false) {
  GameRecord r;
  r.game_name = g.name();
  r.num_actions = static_cast<uint16_t>(g.num_actions());
  auto s = g.new_initial_state();
  std::vector<float> pi(g.num_actions());
  for (zp::game::Action a : g.parse_moves(moves)) {
    std::fill(pi.begin(), pi.end(), 0.0f);
    for (zp::game::Action l : s->legal_actions()) pi[l] = rest;
    pi[a] = mass;
    if (!raw) normalize(pi);
    r.add_position(a, pi.data());
    s->apply(a);
  }
  r.result = static_cast<int8_t>(s->is_terminal() ? s->returns(0) : 0);
  return r;
}

// A random legal game with a random visit distribution over the legal moves, played by
// `model_version`.
GameRecord random_record(const zp::game::Game& g, zp::Rng& rng, uint64_t seq,
                         int64_t model_version = 0) {
  GameRecord r;
  r.game_name = g.name();
  r.model_version = model_version;
  r.num_actions = static_cast<uint16_t>(g.num_actions());
  r.sequence = seq;
  auto s = g.new_initial_state();
  std::vector<float> pi(g.num_actions());
  while (!s->is_terminal()) {
    const auto legal = s->legal_actions();
    std::fill(pi.begin(), pi.end(), 0.0f);
    for (zp::game::Action l : legal) pi[l] = 0.01f + static_cast<float>(rng.uniform());
    normalize(pi);
    const zp::game::Action a = legal[rng.uniform_int(static_cast<uint32_t>(legal.size()))];
    r.add_position(a, pi.data());
    s->apply(a);
  }
  r.result = static_cast<int8_t>(s->returns(0));
  return r;
}

// Observations of every position of `moves`, in order.
std::vector<std::vector<float>> observations_of(const zp::game::Game& g, const std::string& moves) {
  std::vector<std::vector<float>> out;
  auto s = g.new_initial_state();
  for (zp::game::Action a : g.parse_moves(moves)) {
    out.emplace_back(g.observation_shape().size());
    s->write_observation(out.back().data());
    s->apply(a);
  }
  return out;
}

bool same_obs(const ReplayWindow& w, int i, const std::vector<float>& expected) {
  return std::equal(expected.begin(), expected.end(), w.observation(i));
}

void write_shard(const zp::game::Game& g, const std::string& path, int games, uint64_t seed,
                 int64_t model_version = 0) {
  zp::Rng rng(seed);
  zp::data::ShardBuilder b(g.name());
  for (int i = 0; i < games; ++i) b.add(random_record(g, rng, seed * 1000 + i, model_version));
  b.write(path);
}

// A shard whose header claims 4G records, with a correct checksum and nothing after the
// header: reading it must fail on the count, never try to allocate for it.
std::string crafted_huge_shard() {
  std::string body;
  zp::put<uint32_t>(&body, zp::data::kShardMagic);
  zp::put<uint16_t>(&body, zp::data::kShardVersion);
  zp::put<uint16_t>(&body, 0);
  zp::put<uint32_t>(&body, 0xFFFFFFFFu);
  zp::put<uint64_t>(&body, 12);
  zp::put<uint8_t>(&body, 8);
  body += "connect4";
  zp::put<uint64_t>(&body, zp::data::checksum64(body.data(), body.size()));
  return body;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("replay window keeps the most recent positions", "[unit][learner]") {
  auto g = connect4();
  const std::string a = "1212121", b = "12324272";  // 7 and 8 positions
  ReplayWindow w(*g, 10);
  CHECK(w.size() == 0);
  w.add_record(record_of(*g, a));
  CHECK(w.size() == 7);
  CHECK(w.total_added() == 7);
  w.add_record(record_of(*g, b));
  CHECK(w.size() == 10);
  CHECK(w.total_added() == 15);
  // Held, oldest first: a's last two positions, then all of b.
  const auto oa = observations_of(*g, a), ob = observations_of(*g, b);
  CHECK(same_obs(w, 0, oa[5]));
  CHECK(same_obs(w, 1, oa[6]));
  for (int i = 0; i < 8; ++i) CHECK(same_obs(w, 2 + i, ob[i]));

  SECTION("a game longer than the window keeps its last positions") {
    ReplayWindow small(*g, 3);
    small.add_record(record_of(*g, b));
    CHECK(small.size() == 3);
    CHECK(small.total_added() == 8);
    for (int i = 0; i < 3; ++i) CHECK(same_obs(small, i, ob[5 + i]));
  }
}

TEST_CASE("replay window value targets follow the player to move", "[unit][learner]") {
  auto g = connect4();
  ReplayWindow w(*g, 100);
  const GameRecord p0_wins = record_of(*g, "1212121");
  const GameRecord p1_wins = record_of(*g, "12324272");
  REQUIRE(p0_wins.result == 1);
  REQUIRE(p1_wins.result == -1);
  REQUIRE_NOTHROW(zp::data::validate_record(p1_wins, *g));
  w.add_record(p0_wins);
  w.add_record(p1_wins);
  for (int i = 0; i < 7; ++i) CHECK(w.value(i) == (i % 2 == 0 ? 1.0f : -1.0f));
  for (int i = 0; i < 8; ++i) CHECK(w.value(7 + i) == (i % 2 == 0 ? -1.0f : 1.0f));

  SECTION("a draw is 0 for both") {
    // A full board with no four in a row.
    const std::string draw = "547125662261271266215743771576315353334444";
    const GameRecord d = record_of(*g, draw);
    REQUIRE_NOTHROW(zp::data::validate_record(d, *g));
    REQUIRE(d.result == 0);
    ReplayWindow dw(*g, 100);
    dw.add_record(d);
    for (int i = 0; i < dw.size(); ++i) CHECK(dw.value(i) == 0.0f);
  }
}

TEST_CASE("replay window mixes the search value into the value target (learner.value_target_q)",
          "[unit][learner]") {
  auto g = connect4();
  GameRecord r = record_of(*g, "1212121");  // player 0 wins: z = +1, -1, +1, ... by player
  REQUIRE(r.result == 1);
  r.search_values = {0.5f, -0.25f, 1.0f, 0.0f, -1.0f, 0.75f, 1.0f};
  ReplayWindow w(*g, 100, 0.25f);
  w.add_record(r);
  REQUIRE(w.size() == 7);
  for (int i = 0; i < 7; ++i) {
    const float z = i % 2 == 0 ? 1.0f : -1.0f;
    CHECK(w.value(i) == Approx(0.75f * z + 0.25f * r.search_values[i]));
  }
  SECTION("weight 0 keeps the game result") {
    ReplayWindow z_only(*g, 100, 0.0f);
    z_only.add_record(r);
    for (int i = 0; i < 7; ++i) CHECK(z_only.value(i) == (i % 2 == 0 ? 1.0f : -1.0f));
  }
  SECTION("weight 1 trains on the search value alone") {
    ReplayWindow q_only(*g, 100, 1.0f);
    q_only.add_record(r);
    for (int i = 0; i < 7; ++i) CHECK(q_only.value(i) == r.search_values[i]);
  }
  SECTION("a record of version 1 or 2 (no search values) keeps the game result") {
    r.search_values.clear();
    ReplayWindow old(*g, 100, 0.25f);
    old.add_record(r);
    for (int i = 0; i < 7; ++i) CHECK(old.value(i) == (i % 2 == 0 ? 1.0f : -1.0f));
  }
}

TEST_CASE("replay window policies are dense and sum to one", "[unit][learner]") {
  auto g = connect4();
  ReplayWindow w(*g, 100);
  // Unnormalised visit mass (0.75 + 6 x 0.5 on the first move) must come out normalised.
  w.add_record(record_of(*g, "1212121", 0.75f, 0.5f, /*raw=*/true));
  // A position without any visit data falls back to the move played.
  GameRecord bare = record_of(*g, "1212121");
  bare.policy.clear();
  std::fill(bare.policy_offsets.begin(), bare.policy_offsets.end(), 0u);
  w.add_record(bare);
  REQUIRE(w.size() == 14);
  for (int i = 0; i < w.size(); ++i) {
    const float* p = w.policy(i);
    CHECK(std::accumulate(p, p + 7, 0.0f) == Approx(1.0f).epsilon(1e-5));
  }
  CHECK(w.policy(0)[0] == Approx(0.75f / (0.75f + 6 * 0.5f)));
  CHECK(w.policy(7)[0] == 1.0f);  // bare record, first move "1" = action 0
  CHECK(w.policy(8)[1] == 1.0f);  // second move "2" = action 1
}

TEST_CASE("sampled examples apply one symmetry to observation and policy", "[unit][learner]") {
  auto g = connect4();
  REQUIRE(g->num_symmetries() == 2);
  // Keep only the last position of "1212121": X (to move) has three stones in column 1, O
  // three in column 2, and the policy is all on column 1 (the winning move).
  ReplayWindow w(*g, 1);
  w.add_record(record_of(*g, "1212121", 1.0f, 0.0f));
  REQUIRE(w.size() == 1);
  const int cells = 6 * 7, batch = 64;
  std::vector<float> obs(batch * 3 * cells), pol(batch * 7), val(batch);
  zp::Rng rng(7);
  w.sample(batch, rng, obs.data(), pol.data(), val.data());
  int mirrored = 0;
  for (int b = 0; b < batch; ++b) {
    const float* o = &obs[b * 3 * cells];
    const float* p = &pol[b * 7];
    const int move = static_cast<int>(std::max_element(p, p + 7) - p);
    CHECK(p[move] == 1.0f);
    // Own stones (plane 0) sit in exactly one column: the one the policy points at.
    for (int x = 0; x < 7; ++x) CHECK(o[5 * 7 + x] == (x == move ? 1.0f : 0.0f));
    // Opponent stones (plane 1) sit next to them, toward the middle.
    const int opp = move == 0 ? 1 : 5;
    CHECK(o[cells + 5 * 7 + opp] == 1.0f);
    CHECK(val[b] == 1.0f);
    REQUIRE((move == 0 || move == 6));
    mirrored += move == 6;
  }
  // Both symmetries occur (64 fair draws: all-identical has probability 2^-63).
  CHECK(mirrored > 0);
  CHECK(mirrored < batch);
}

TEST_CASE("shard watcher reads new shards in order and skips corrupt ones", "[unit][learner]") {
  auto g = connect4();
  zp::test::TempDir tmp;
  const std::string dir = tmp.path() + "/shards";
  ShardWatcher watcher(dir, *g);
  CHECK(watcher.poll().empty());  // no directory yet
  fs::create_directories(dir);
  write_shard(*g, dir + "/shard-000001.zps", 3, 1);
  write_shard(*g, dir + "/shard-000003.zps", 2, 3);
  // Corrupt: a good shard with one byte flipped in the middle.
  write_shard(*g, dir + "/shard-000002.zps", 3, 2);
  std::string bytes = read_text(dir + "/shard-000002.zps");
  bytes[bytes.size() / 2] ^= 0x5a;
  write_text(dir + "/shard-000002.zps", bytes);
  // Checksums fine, but the record's result disagrees with its moves.
  GameRecord liar = record_of(*g, "1212121");
  liar.result = -1;
  zp::data::ShardBuilder lb(g->name());
  lb.add(liar);
  lb.write(dir + "/shard-000004.zps");
  // Not shards: temporaries and the manifest.
  write_text(dir + "/shard-000005.zps.tmp", "partial");
  write_text(dir + "/manifest.json", "{}");

  const auto first = watcher.poll();
  REQUIRE(first.size() == 2);
  CHECK(first[0].name == "shard-000001.zps");
  CHECK(first[0].records.size() == 3);
  CHECK(first[1].name == "shard-000003.zps");
  CHECK(first[1].records.size() == 2);
  uint64_t positions = 0;
  for (const auto& r : first[0].records) positions += r.num_positions();
  CHECK(first[0].positions == positions);
  CHECK(watcher.skipped() == 2);
  CHECK(watcher.poll().empty());  // nothing is read twice
  CHECK(watcher.skipped() == 2);

  write_shard(*g, dir + "/shard-000006.zps", 1, 6);
  const auto second = watcher.poll();
  REQUIRE(second.size() == 1);
  CHECK(second[0].name == "shard-000006.zps");

  SECTION("poll reads at most max_shards at a time") {
    write_shard(*g, dir + "/shard-000007.zps", 1, 7);
    write_shard(*g, dir + "/shard-000008.zps", 1, 8);
    CHECK(watcher.poll(1).at(0).name == "shard-000007.zps");
    CHECK(watcher.poll(1).at(0).name == "shard-000008.zps");
  }
}

TEST_CASE("shard watcher skips a shard whose header claims billions of records",
          "[unit][learner]") {
  auto g = connect4();
  zp::test::TempDir tmp;
  write_text(tmp.path() + "/shard-000001.zps", crafted_huge_shard());
  write_shard(*g, tmp.path() + "/shard-000002.zps", 2, 2);
  ShardWatcher watcher(tmp.path(), *g);
  std::vector<zp::learner::IngestedShard> got;
  REQUIRE_NOTHROW(got = watcher.poll());  // no bad_alloc out of the watcher
  REQUIRE(got.size() == 1);
  CHECK(got[0].name == "shard-000002.zps");
  CHECK(watcher.skipped() == 1);
}

TEST_CASE("shard watcher orders shards by number past shard-999999", "[unit][learner]") {
  // shard_file_name grows to 7 digits at 1,000,000: as strings "shard-1000000.zps" sorts
  // before "shard-999999.zps", and the learner would take the newest shard for the oldest.
  auto g = connect4();
  zp::test::TempDir tmp;
  for (uint64_t i : {999998u, 999999u, 1000000u, 1000001u})
    write_shard(*g, tmp.path() + "/" + zp::run::shard_file_name(i), 1, i);
  ShardWatcher watcher(tmp.path(), *g);
  CHECK(watcher.list() == std::vector<std::string>{"shard-999998.zps", "shard-999999.zps",
                                                   "shard-1000000.zps", "shard-1000001.zps"});
  CHECK(watcher.poll(1).at(0).name == "shard-999998.zps");
  CHECK(zp::run::shard_name_less("shard-999999.zps", "shard-1000000.zps"));
  CHECK_FALSE(zp::run::shard_name_less("shard-1000000.zps", "shard-999999.zps"));
  CHECK(zp::run::shard_name_less("shard-000005.zps", "manifest.json"));  // shards first
}

TEST_CASE("staleness: the mean over a minibatch of its step minus each version's publication step",
          "[unit][learner]") {
  using zp::learner::VersionSteps;
  using zp::learner::mean_staleness;
  VersionSteps steps;
  steps.record(1, 0);
  steps.record(2, 10);
  steps.record(3, 20);
  const int64_t batch[] = {1, 1, 2, 3, 7};  // version 7: publication step unknown
  // (25 + 25 + 15 + 5) / 4: the unknown position is left out, not counted as 0.
  REQUIRE(mean_staleness(steps, 25, batch, 5).has_value());
  CHECK(*mean_staleness(steps, 25, batch, 5) == Approx(17.5));
  const int64_t unknown[] = {0, 7, 7};
  CHECK_FALSE(mean_staleness(steps, 25, unknown, 3).has_value());
  CHECK_FALSE(mean_staleness(steps, 25, batch, 0).has_value());
  // Alternating versions (the one-entry lookup cache must not mix them up).
  const int64_t mixed[] = {3, 1, 3, 1};
  CHECK(*mean_staleness(steps, 20, mixed, 4) == Approx(10.0));

  steps.prune_below(2);
  CHECK_FALSE(steps.step_of(1).has_value());
  CHECK(steps.step_of(2) == 10);
  steps.forget_after_step(15);  // a resume went back to step 15: version 3 (step 20) is gone
  CHECK_FALSE(steps.step_of(3).has_value());
  CHECK(steps.entries() == std::vector<std::pair<int64_t, int64_t>>{{2, 10}});

  // Bounded: beyond kMaxVersionSteps versions the oldest go first.
  VersionSteps many;
  for (int64_t v = 1; v <= static_cast<int64_t>(zp::learner::kMaxVersionSteps) + 10; ++v)
    many.record(v, v * 10);
  CHECK(many.size() == zp::learner::kMaxVersionSteps);
  CHECK_FALSE(many.step_of(10).has_value());
  CHECK(many.step_of(11) == 110);
}

TEST_CASE("replay window: sampled examples carry their record's model version", "[unit][learner]") {
  auto g = connect4();
  ReplayWindow w(*g, 12);
  CHECK(w.oldest_version() == 0);  // empty
  GameRecord a = record_of(*g, "4444"), b = record_of(*g, "33332222");
  a.model_version = 5;
  b.model_version = 7;
  w.add_record(a);
  w.add_record(b);
  CHECK(w.oldest_version() == 5);
  CHECK(w.version(0) == 5);
  CHECK(w.version(4) == 7);
  std::vector<float> obs(64 * w.obs_size()), pol(64 * w.num_actions()), val(64);
  std::vector<int64_t> versions(64, -1);
  zp::Rng rng(3);
  w.sample(64, rng, obs.data(), pol.data(), val.data(), versions.data());
  CHECK(std::count(versions.begin(), versions.end(), 5) > 0);
  CHECK(std::count(versions.begin(), versions.end(), 7) > 0);
  CHECK(std::count(versions.begin(), versions.end(), 5) + std::count(versions.begin(),
        versions.end(), 7) == 64);
  // Each example's version is its row's: the first 4 positions (version 5) hold 4 pieces or
  // fewer in one column, so an example with more than 4 pieces on the board is version 7's.
  for (int i = 0; i < 64; ++i) {
    const float* o = &obs[static_cast<size_t>(i) * w.obs_size()];
    const int pieces = static_cast<int>(std::count(o, o + 2 * 42, 1.0f));
    if (pieces > 3) CHECK(versions[i] == 7);
  }
  // Version 5's positions are overwritten by a later game: the oldest held is 7.
  w.add_record(b);
  CHECK(w.oldest_version() == 7);
}

TEST_CASE("learner state round-trips and old model files are pruned", "[unit][learner]") {
  zp::test::TempDir tmp;
  zp::learner::LearnerState s;
  s.step = 120;
  s.version = 13;
  s.samples_trained = 7680;
  s.positions_ingested = 2000;
  s.last_shard = "shard-000005.zps";
  s.fixed = {{"learner.optimizer", "adam"}, {"model.channels", "64"}};
  s.version_steps = {{11, 100}, {12, 110}, {13, 120}};
  zp::learner::save_learner_state(tmp.path(), s);
  const auto l = zp::learner::load_learner_state(tmp.path());
  CHECK(l.step == 120);
  CHECK(l.version == 13);
  CHECK(l.samples_trained == 7680);
  CHECK(l.positions_ingested == 2000);
  CHECK(l.last_shard == "shard-000005.zps");
  CHECK(l.fixed == s.fixed);
  CHECK(l.version_steps == s.version_steps);
  CHECK_THROWS_AS(zp::learner::load_learner_state(tmp.path() + "/missing"), zp::IoError);
  write_text(zp::run::learner_state_path(tmp.path()), "step x12\n");
  CHECK_THROWS_AS(zp::learner::load_learner_state(tmp.path()), zp::FormatError);
  for (const char* bad : {"version_step 12\n", "version_step 12 x\n", "version_step -1 3\n"}) {
    write_text(zp::run::learner_state_path(tmp.path()), bad);
    CHECK_THROWS_WITH(zp::learner::load_learner_state(tmp.path()),
                      Catch::Contains("version_step: bad value"));
  }

  for (int v : {1, 2, 9, 10, 11})
    write_text(tmp.path() + "/model-" + std::to_string(v) + ".zpck", "x");
  CHECK(zp::learner::prune_model_files(tmp.path(), 3) == 2);
  CHECK_FALSE(fs::exists(tmp.path() + "/model-1.zpck"));
  CHECK_FALSE(fs::exists(tmp.path() + "/model-2.zpck"));
  CHECK(fs::exists(tmp.path() + "/model-9.zpck"));  // numeric, not lexicographic, order
  CHECK(fs::exists(tmp.path() + "/model-11.zpck"));
}

// --- The learner process ----------------------------------------------------------------------

namespace {

// Fails with the learner's output when `cond` does not hold within `timeout_s`.
#define WAIT_OR_FAIL(cond, timeout_s)                                                     \
  do {                                                                                    \
    if (!zp::test::wait_until([&] { return static_cast<bool>(cond); }, timeout_s))                    \
      FAIL("timed out waiting for " #cond "\nlearner output:\n" << read_text(out));      \
  } while (0)

std::vector<std::string> learner_argv(const std::string& run_dir) {
  return {zp::test::zeroplay_binary(), "learner", "--run-dir", run_dir};
}

// Removes the run's shm objects at the end of the test.
struct ShmCleanup {
  zp::run::RunNames names;
  ~ShmCleanup() {
    zp::ipc::Stats::remove(names.stats);
    zp::ipc::ModelStore::remove(names.models);
  }
};

// A run directory for one learner process on tiny.yaml with `overrides`: config, run id,
// the stats block and model store a supervisor would create, and one shard of 20 games.
struct LearnerRun {
  zp::test::TempDir tmp;
  const std::string run = tmp.path(), out = run + "/learner.out";
  const std::string run_id = zp::run::new_run_id();
  ShmCleanup cleanup{zp::run::RunNames::make(run_id, run, "")};
  std::unique_ptr<zp::ipc::Stats> stats = zp::test::create_run_stats(cleanup.names.stats, 2);
  std::unique_ptr<zp::ipc::ModelStore> store =
      zp::ipc::ModelStore::create(cleanup.names.models, 32u << 20);

  LearnerRun(const zp::game::Game& g, const std::vector<std::string>& overrides) {
    fs::create_directories(run + "/shards");
    write_config(overrides);
    write_text(run + "/run_id", run_id);
    write_shard(g, run + "/shards/shard-000001.zps", 20, 21);
  }
  void write_config(const std::vector<std::string>& overrides) const {
    write_text(run + "/config.yaml",
               zp::config::to_yaml(zp::config::load_config(
                   zp::test::source_dir() + "/config/tiny.yaml", overrides)));
  }
};

}  // namespace

TEST_CASE("learner process trains, publishes, skips corrupt shards and resumes",
          "[integration][learner]") {
  using namespace zp::ipc;
  using namespace zp::run;
  auto g = connect4();
  zp::test::TempDir tmp;
  const std::string run = tmp.path(), shards = run + "/shards", out = run + "/learner.out";
  const auto cfg = zp::config::load_config(
      zp::test::source_dir() + "/config/tiny.yaml",
      {"learner.window_positions=2000", "learner.min_positions=100", "learner.batch_size=32",
       "learner.publish_every_steps=5", "learner.sample_reuse=2", "train.max_steps=0"});
  fs::create_directories(shards);
  fs::create_directories(run + "/logs");
  write_text(run + "/config.yaml", zp::config::to_yaml(cfg));
  const std::string run_id = new_run_id();
  write_text(run + "/run_id", run_id);
  ShmCleanup cleanup{RunNames::make(run_id, run, "")};
  auto stats = zp::test::create_run_stats(cleanup.names.stats, 2);
  auto store = ModelStore::create(cleanup.names.models, 32u << 20);
  write_shard(*g, shards + "/shard-000001.zps", 10, 11);
  write_shard(*g, shards + "/shard-000002.zps", 10, 12);
  auto get = [&](Counter c) { return stats->get(kLearnerSlot, c); };

  int64_t old_step = 0;
  {
    zp::test::ChildProcess learner(learner_argv(run), out);
    WAIT_OR_FAIL(get(kPid) == learner.pid(), 60);
    // Versions get published and decode as Connect Four checkpoints for this model shape.
    WAIT_OR_FAIL(store->latest_version() >= 3 && get(kTrainSteps) >= 10, 120);
    std::string bytes;
    const int64_t v = store->read_latest(&bytes);
    CHECK(v >= 3);
    const auto ck = zp::model::decode_checkpoint(bytes);
    CHECK(ck.meta.game == "connect4");
    CHECK(ck.meta.model_version == v);
    CHECK_NOTHROW(zp::model::check_compatible(ck.meta, *g, cfg.model));
    CHECK(get(kModelVersion) >= v);
    CHECK(get(kPositionsIngested) > 100);
    // The sample budget holds: samples <= reuse x positions.
    CHECK(get(kSamplesTrained) <= 2 * get(kPositionsIngested));

    // A corrupt shard is skipped without killing the learner; later shards still count.
    write_text(shards + "/shard-000003.zps", std::string(300, 'x'));
    WAIT_OR_FAIL(get(kShardsSkipped) == 1, 30);
    // So is one whose header claims 4G records (correct checksum): no allocation for them.
    write_text(shards + "/shard-000004.zps", crafted_huge_shard());
    WAIT_OR_FAIL(get(kShardsSkipped) == 2, 30);
    const int64_t before = get(kPositionsIngested);
    write_shard(*g, shards + "/shard-000005.zps", 5, 14);
    WAIT_OR_FAIL(get(kPositionsIngested) > before, 30);
    CHECK(learner.running());
    const int64_t hb = get(kHeartbeatNs);
    WAIT_OR_FAIL(get(kHeartbeatNs) != hb, 5);  // beats while waiting

    learner.signal(SIGTERM);
    REQUIRE(learner.wait(60) == 0);
    old_step = get(kTrainSteps);
    CHECK(old_step >= 10);
  }
  const std::string latest = read_text(run + "/checkpoints/latest");
  REQUIRE_FALSE(latest.empty());
  const std::string model_file = run + "/checkpoints/" + latest.substr(0, latest.find('\n'));
  const auto meta = zp::model::read_checkpoint_meta(model_file);
  CHECK(meta.training_step == old_step);
  CHECK(meta.model_version == store->latest_version());
  CHECK(fs::exists(run + "/checkpoints/training_state.pt"));
  const int64_t old_version = store->latest_version();

  // Restart: it resumes from the saved step, and trains on when new data arrives.
  stats->set(kLearnerSlot, kTrainSteps, 0);
  {
    zp::test::ChildProcess learner(learner_argv(run), out);
    WAIT_OR_FAIL(get(kPid) == learner.pid() && get(kTrainSteps) > 0, 60);
    CHECK(get(kTrainSteps) >= old_step);
    CHECK(get(kWindowPositions) > 0);  // refilled from the old shards
    write_shard(*g, shards + "/shard-000006.zps", 10, 15);
    WAIT_OR_FAIL(get(kTrainSteps) > old_step + 5, 60);
    WAIT_OR_FAIL(store->latest_version() > old_version, 30);
    learner.signal(SIGTERM);
    REQUIRE(learner.wait(60) == 0);
  }
  const std::string log = read_text(run + "/logs/learner.log");
  CHECK_THAT(log, Catch::Contains("resuming from step " + std::to_string(old_step)));
  CHECK_THAT(log, Catch::Contains("skipping corrupt shard shard-000003.zps"));
  CHECK_THAT(log, Catch::Contains("skipping corrupt shard shard-000004.zps: shard " + shards +
                                  "/shard-000004.zps: header claims 4294967295 records"));
}

TEST_CASE("learner process stops by itself at train.max_steps", "[integration][learner]") {
  using namespace zp::ipc;
  using namespace zp::run;
  auto g = connect4();
  const LearnerRun lr(*g, {"learner.min_positions=50", "learner.batch_size=16",
                           "learner.publish_every_steps=4", "train.max_steps=10"});
  const std::string &run = lr.run, &out = lr.out;
  auto& stats = lr.stats;
  auto& store = lr.store;

  zp::test::ChildProcess learner(learner_argv(run), out);
  WAIT_OR_FAIL(!learner.running(), 120);  // stops by itself
  CHECK(learner.wait(1) == 0);
  CHECK(stats->get(kLearnerSlot, kTrainSteps) == 10);
  // Versions 1 (initial), 2 (step 4), 3 (step 8), 4 (final, step 10).
  CHECK(store->latest_version() == 4);
  const auto meta = zp::model::read_checkpoint_meta(run + "/checkpoints/model-4.zpck");
  CHECK(meta.training_step == 10);
  CHECK(read_text(run + "/checkpoints/latest") == "model-4.zpck\n");
}

TEST_CASE("learner: a corrupt training state resumes from the newest model file, never random",
          "[integration][learner]") {
  using namespace zp::ipc;
  using namespace zp::run;
  auto g = connect4();
  auto with_max_steps = [](int steps) {
    return std::vector<std::string>{"learner.min_positions=50", "learner.batch_size=16",
                                    "learner.publish_every_steps=4",
                                    "train.max_steps=" + std::to_string(steps)};
  };
  const LearnerRun lr(*g, with_max_steps(10));
  const std::string &run = lr.run, &out = lr.out;
  auto& stats = lr.stats;
  auto& store = lr.store;
  auto config_with_max_steps = [&](int steps) { lr.write_config(with_max_steps(steps)); };
  {
    zp::test::ChildProcess learner(learner_argv(run), out);
    WAIT_OR_FAIL(!learner.running(), 120);
    REQUIRE(learner.wait(1) == 0);
  }
  REQUIRE(store->latest_version() == 4);  // model-4.zpck holds step 10
  // Outside damage to the training state; the run continues to 14 steps.
  write_text(run + "/checkpoints/training_state.pt", std::string(500, 'x'));
  config_with_max_steps(14);
  {
    zp::test::ChildProcess learner(learner_argv(run), out);
    WAIT_OR_FAIL(!learner.running(), 120);
    CHECK(learner.wait(1) == 0);
  }
  const std::string log = read_text(run + "/logs/learner.log");
  CHECK_THAT(log, Catch::Contains("falling back to model-4.zpck (step 10, version 4)"));
  // Training went on from step 10: the next version was trained past it (a fresh network
  // would have published step 4 as version 5).
  const auto next = zp::model::read_checkpoint_meta(run + "/checkpoints/model-5.zpck");
  CHECK(next.training_step > 10);
  CHECK(stats->get(kLearnerSlot, kTrainSteps) == 14);

  // No loadable model file either: a clear refusal, not random weights.
  write_text(run + "/checkpoints/training_state.pt", std::string(500, 'x'));
  for (const auto& e : fs::directory_iterator(run + "/checkpoints"))
    if (e.path().extension() == ".zpck") write_text(e.path().string(), "garbage");
  config_with_max_steps(20);
  const auto r = zp::test::run_command(zp::test::zeroplay_binary() + " learner --run-dir " + run +
                                       " 2>&1");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("refusing to train on from random weights"));
}

TEST_CASE("learner: staleness is its step minus the data's model step, also after a resume",
          "[integration][learner]") {
  using namespace zp::ipc;
  auto g = connect4();
  auto config = [](int max_steps) {
    return std::vector<std::string>{"learner.min_positions=50", "learner.batch_size=16",
                                    "learner.publish_every_steps=4",
                                    "train.max_steps=" + std::to_string(max_steps)};
  };
  const LearnerRun lr(*g, config(10));
  // Every game was played by version 1, the initial network published at step 0.
  write_shard(*g, lr.run + "/shards/shard-000001.zps", 20, 21, /*model_version=*/1);
  const std::string& out = lr.out;
  {
    zp::test::ChildProcess learner(learner_argv(lr.run), out);
    WAIT_OR_FAIL(!learner.running(), 120);
    REQUIRE(learner.wait(1) == 0);
  }
  // The last minibatch was trained at step 9: 9 steps stale.
  CHECK(lr.stats->get(kLearnerSlot, kStalenessMilli) == 9000);
  CHECK_THAT(read_text(lr.run + "/checkpoints/learner_state"),
             Catch::Contains("\nversion_step 1 0\n"));
  // Resumed without model-1.zpck: the step of version 1 comes from learner_state.
  fs::remove(lr.run + "/checkpoints/model-1.zpck");
  lr.write_config(config(14));
  {
    zp::test::ChildProcess learner(learner_argv(lr.run), out);
    WAIT_OR_FAIL(!learner.running(), 120);
    REQUIRE(learner.wait(1) == 0);
  }
  CHECK(lr.stats->get(kLearnerSlot, kStalenessMilli) == 13000);
  // Data of a version whose step nobody knows: unknown (-1), not invented.
  write_text(lr.run + "/checkpoints/learner_state",
             [&] {
               std::string t = read_text(lr.run + "/checkpoints/learner_state"), kept;
               std::istringstream in(t);
               for (std::string line; std::getline(in, line);)
                 if (line.rfind("version_step ", 0) != 0) kept += line + "\n";
               return kept;
             }());
  lr.write_config(config(16));
  {
    zp::test::ChildProcess learner(learner_argv(lr.run), out);
    WAIT_OR_FAIL(!learner.running(), 120);
    REQUIRE(learner.wait(1) == 0);
  }
  CHECK(lr.stats->get(kLearnerSlot, kStalenessMilli) == -1);
}

TEST_CASE("learner: resuming with a changed optimizer or model shape is an error naming the key",
          "[integration][learner]") {
  // The supervisor refuses such a --resume (supervisor_test.cpp); this is the learner's own
  // guard, for a config.yaml changed behind its back. It must not fall back to a model file
  // with a fresh optimizer, nor to random weights.
  auto g = connect4();
  const std::vector<std::string> base{"learner.min_positions=50", "learner.batch_size=16",
                                      "learner.publish_every_steps=4", "train.max_steps=10"};
  const LearnerRun lr(*g, base);
  const std::string& out = lr.out;
  {
    zp::test::ChildProcess learner(learner_argv(lr.run), out);
    WAIT_OR_FAIL(!learner.running(), 120);
    REQUIRE(learner.wait(1) == 0);
  }
  auto with = [&](const std::string& change) {
    std::vector<std::string> o = base;
    o.back() = "train.max_steps=14";
    o.push_back(change);
    lr.write_config(o);
    return zp::test::run_command(zp::test::zeroplay_binary() + " learner --run-dir " + lr.run +
                                 " 2>&1");
  };
  auto r = with("learner.optimizer=adam");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("learner.optimizer is 'sgd' in the saved learner state " +
                                       zp::run::learner_state_path(lr.run + "/checkpoints") +
                                       ", 'adam' now"));
  r = with("model.channels=32");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("model.channels is '16' in the saved learner state"));
  // Unchanged, it resumes (the refusals changed nothing).
  r = with("learner.momentum=0.8");  // not fixed for a run
  CHECK(r.exit_code == 0);
  CHECK(lr.stats->get(zp::ipc::kLearnerSlot, zp::ipc::kTrainSteps) == 14);
}

TEST_CASE("learner: killed mid-publish, the restart keeps every step and never reuses a version",
          "[integration][learner]") {
  // The second publication (step 4, version 2) is cut by a fault point: after model-2.zpck is
  // written (training state and store still at version 1), or between the training state and
  // the learner state. The restart must keep model-2.zpck as written (a version names one set
  // of weights: before the fix, a later step overwrote it), and the store must end on the
  // newest model file.
  using namespace zp::ipc;
  struct Case {
    const char* point;
    int resumed_step;
    std::string says;
    int last_version;
  };
  const Case cases[] = {
      {"learner.model_file_written:2", 0, "model-2.zpck was written but never published", 6},
      {"learner.state_mid_save:2", 4, "republished model version 2 into the store", 4}};
  auto g = connect4();
  for (const Case& c : cases) {
    INFO(c.point);
    const LearnerRun lr(*g, {"learner.min_positions=50", "learner.batch_size=16",
                             "learner.publish_every_steps=4", "train.max_steps=10"});
    ::setenv("ZP_FAULT", c.point, 1);
    {
      zp::test::ChildProcess learner(learner_argv(lr.run), lr.out);
      ::unsetenv("ZP_FAULT");
      const std::string& out = lr.out;
      WAIT_OR_FAIL(!learner.running(), 120);
      REQUIRE(learner.wait(1) == zp::kFaultExit);
    }
    REQUIRE(zp::model::read_checkpoint_meta(lr.run + "/checkpoints/model-2.zpck").training_step ==
            4);
    {
      zp::test::ChildProcess learner(learner_argv(lr.run), lr.out);
      const std::string& out = lr.out;
      WAIT_OR_FAIL(!learner.running(), 120);
      REQUIRE(learner.wait(1) == 0);
    }
    const std::string log = read_text(lr.run + "/logs/learner.log");
    CHECK_THAT(log, Catch::Contains("resuming from step " + std::to_string(c.resumed_step)));
    CHECK_THAT(log, Catch::Contains(c.says));
    CHECK(zp::model::read_checkpoint_meta(lr.run + "/checkpoints/model-2.zpck").training_step ==
          4);
    CHECK(lr.store->latest_version() == c.last_version);
    const auto last = zp::model::read_checkpoint_meta(lr.run + "/checkpoints/model-" +
                                                      std::to_string(c.last_version) + ".zpck");
    CHECK(last.training_step == 10);
    CHECK(last.model_version == c.last_version);
    CHECK(lr.stats->get(kLearnerSlot, kTrainSteps) == 10);
  }
}

// --- Data parallel (learner.world_size > 1) ---------------------------------------------------

TEST_CASE("replay window: data-parallel shares are disjoint and cover the window",
          "[unit][learner]") {
  auto g = connect4();
  ReplayWindow w(*g, 500);
  zp::Rng games(5);
  for (int i = 0; w.size() < 100; ++i) w.add_record(random_record(*g, games, i));
  const int held = w.size(), shares = 3, batch = 400;
  std::vector<float> obs(static_cast<size_t>(batch) * w.obs_size());
  std::vector<float> policy(static_cast<size_t>(batch) * w.num_actions()), value(batch);
  std::vector<int> positions(batch);
  std::vector<int> owner(held, -1);  // the share that drew each position
  for (int share = 0; share < shares; ++share) {
    zp::Rng rng(100 + share);  // each rank has its own stream; disjointness does not need it
    for (int round = 0; round < 5; ++round) {
      w.sample(batch, rng, obs.data(), policy.data(), value.data(), nullptr, share, shares,
               positions.data());
      for (int i : positions) {
        REQUIRE(i >= 0);
        REQUIRE(i < held);
        CHECK(i % shares == share);
        CHECK((owner[i] == -1 || owner[i] == share));
        owner[i] = share;
      }
    }
  }
  // 2000 draws per share of about 33 positions each: every position was drawn.
  CHECK(std::count(owner.begin(), owner.end(), -1) == 0);
  // One share is the whole window, drawn as before.
  zp::Rng a(9), b(9);
  w.sample(batch, a, obs.data(), policy.data(), value.data(), nullptr, 0, 1, positions.data());
  std::vector<float> obs2(obs.size());
  w.sample(batch, b, obs2.data(), policy.data(), value.data());
  CHECK(obs == obs2);
}

TEST_CASE("learner rank: the command line, then torchrun's, then Slurm's variables",
          "[unit][learner]") {
  using zp::learner::RankFlags;
  using zp::learner::resolve_learner_rank;
  zp::config::Config cfg;
  cfg.learner.world_size = 2;
  std::map<std::string, std::string> env;
  const zp::learner::EnvLookup lookup = [&env](const char* k) -> const char* {
    const auto it = env.find(k);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto error_of = [&](const RankFlags& flags) {
    try {
      resolve_learner_rank(cfg, flags, lookup);
    } catch (const zp::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // No launcher at all with two ranks configured.
  CHECK_THAT(error_of({}), Catch::Contains("learner.world_size is 2 but this learner was "
                                           "given no rank"));
  env = {{"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "2"}, {"MASTER_ADDR", "node7"},
         {"MASTER_PORT", "29400"}};
  auto r = resolve_learner_rank(cfg, {}, lookup);
  CHECK(r.source == "slurm");
  CHECK(r.rank == 1);
  CHECK(r.master_addr == "node7");
  CHECK(r.master_port == 29400);
  env["RANK"] = "0";
  env["WORLD_SIZE"] = "2";
  r = resolve_learner_rank(cfg, {}, lookup);  // torchrun's beat Slurm's
  CHECK(r.source == "torchrun");
  CHECK(r.rank == 0);
  RankFlags flags;
  flags.rank = 1;
  flags.master_port = 1234;
  r = resolve_learner_rank(cfg, flags, lookup);  // the command line beats both
  CHECK(r.source == "command line");
  CHECK(r.rank == 1);
  CHECK(r.master_addr == "127.0.0.1");
  CHECK(r.master_port == 1234);
  flags.master_port = 0;
  CHECK_THAT(error_of(flags), Catch::Contains("--rank needs --master-port"));
  flags.rank = 2;
  flags.master_port = 1234;
  CHECK_THAT(error_of(flags), Catch::Contains("--rank 2 is outside [0, 2)"));
  env["WORLD_SIZE"] = "4";
  CHECK(error_of({}) == "WORLD_SIZE is 4 but learner.world_size is 2; launch as many learner "
                        "ranks as the config says");
  env["WORLD_SIZE"] = "2";
  env.erase("MASTER_PORT");
  CHECK_THAT(error_of({}), Catch::Contains("MASTER_ADDR and MASTER_PORT must name"));
  // One rank configured: a learner inside a torchrun or srun job ignores the variables.
  cfg.learner.world_size = 1;
  r = resolve_learner_rank(cfg, {}, lookup);
  CHECK(r.source == "single");
  CHECK(r.world_size == 1);
  CHECK(zp::learner::learner_role_name(0) == "learner");
  CHECK(zp::learner::learner_role_name(3) == "learner-3");
}

TEST_CASE("learner rank under torchrun and srun: the local rank picks the GPU, torchrun's agent "
          "store is joined as a client under a prefix per restart",
          "[unit][learner]") {
  using zp::learner::resolve_learner_rank;
  zp::config::Config cfg;
  cfg.learner.world_size = 4;
  std::map<std::string, std::string> env = {{"RANK", "3"}, {"WORLD_SIZE", "4"},
                                            {"MASTER_ADDR", "node0"}, {"MASTER_PORT", "29500"}};
  const zp::learner::EnvLookup lookup = [&env](const char* k) -> const char* {
    const auto it = env.find(k);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  // A launcher that sets no local rank: the rank stands in (one node).
  auto r = resolve_learner_rank(cfg, {}, lookup);
  CHECK(r.local_rank == 3);
  CHECK_FALSE(r.agent_store);
  CHECK(r.store_prefix.empty());
  // torchrun on two nodes of two ranks each: global rank 3 is local rank 1 on the second node;
  // its agent hosts the store, and a restarted group uses fresh keys.
  env["LOCAL_RANK"] = "1";
  env["TORCHELASTIC_USE_AGENT_STORE"] = "True";
  env["TORCHELASTIC_RESTART_COUNT"] = "2";
  r = resolve_learner_rank(cfg, {}, lookup);
  CHECK(r.rank == 3);
  CHECK(r.local_rank == 1);
  CHECK(r.agent_store);
  CHECK(r.store_prefix == "zeroplay/2/");
  env["TORCHELASTIC_USE_AGENT_STORE"] = "False";
  CHECK_FALSE(resolve_learner_rank(cfg, {}, lookup).agent_store);
  env["LOCAL_RANK"] = "x";
  try {
    resolve_learner_rank(cfg, {}, lookup);
    FAIL("a malformed LOCAL_RANK was taken");
  } catch (const zp::ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("LOCAL_RANK is 'x'"));
  }
  // srun: SLURM_LOCALID; Slurm has no agent store.
  env = {{"SLURM_PROCID", "2"}, {"SLURM_NTASKS", "4"}, {"SLURM_LOCALID", "0"},
         {"MASTER_ADDR", "node1"}, {"MASTER_PORT", "29500"},
         {"TORCHELASTIC_USE_AGENT_STORE", "True"}};
  r = resolve_learner_rank(cfg, {}, lookup);
  CHECK(r.source == "slurm");
  CHECK(r.rank == 2);
  CHECK(r.local_rank == 0);
  CHECK_FALSE(r.agent_store);
}

TEST_CASE("learner: two Gloo ranks train in lock step, rank 0 alone publishes; a changed "
          "world size is refused on resume", "[integration][learner]") {
  using namespace zp::ipc;
  auto g = connect4();
  const std::vector<std::string> base{"learner.min_positions=50", "learner.batch_size=16",
                                      "learner.publish_every_steps=4", "train.max_steps=10",
                                      "learner.world_size=2"};
  const LearnerRun lr(*g, base);
  const std::string& out = lr.out;  // WAIT_OR_FAIL prints it
  const std::string port = std::to_string(zp::test::free_tcp_port());
  auto rank_argv = [&](int rank) {
    std::vector<std::string> argv = learner_argv(lr.run);
    for (const std::string& a : {std::string("--rank"), std::to_string(rank),
                                 std::string("--master-port"), port})
      argv.push_back(a);
    return argv;
  };
  {
    zp::test::ChildProcess rank1(rank_argv(1), lr.run + "/learner-1.out");
    zp::test::ChildProcess rank0(rank_argv(0), lr.out);
    WAIT_OR_FAIL(!rank0.running() && !rank1.running(), 180);
    CHECK(rank0.wait(1) == 0);
    CHECK(rank1.wait(1) == 0);
    // Rank 0 is "the learner": its pid in the slot, its steps, its publications
    // (versions 1, 2 at step 4, 3 at step 8, 4 final).
    CHECK(lr.stats->get(kLearnerSlot, kPid) == rank0.pid());
  }
  CHECK(lr.stats->get(kLearnerSlot, kTrainSteps) == 10);
  CHECK(lr.store->latest_version() == 4);
  CHECK(zp::model::read_checkpoint_meta(lr.run + "/checkpoints/model-4.zpck").training_step == 10);
  const std::string log0 = read_text(lr.run + "/logs/learner.log");
  const std::string log1 = read_text(lr.run + "/logs/learner-1.log");
  CHECK_THAT(log0, Catch::Contains("rank 0 of 2 (gloo, 8 positions per rank and step)"));
  CHECK_THAT(log1, Catch::Contains("rank 1 of 2 (gloo, 8 positions per rank and step)"));
  CHECK_THAT(log1, Catch::Contains("rank 1: stopped by rank 0 at step 10"));
  CHECK_THAT(log1, !Catch::Contains("info published model version"));  // rank 0 alone
  CHECK_THAT(log0, Catch::Contains("info published model version 4 at step 10"));

  // The run was trained by 2 ranks: one learner (world size 1) refuses to resume it.
  std::vector<std::string> single = base;
  single.back() = "learner.world_size=1";
  single.push_back("train.max_steps=14");
  lr.write_config(single);
  const auto r = zp::test::run_command(zp::test::zeroplay_binary() + " learner --run-dir " +
                                       lr.run + " 2>&1");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("learner.world_size is '2' in the saved learner state " +
                                       zp::run::learner_state_path(lr.run + "/checkpoints") +
                                       ", '1' now"));
  CHECK(lr.stats->get(kLearnerSlot, kTrainSteps) == 10);
}
