#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>

#include "shared/core/fs.h"
#include "shared/core/bytes.h"
#include "shared/core/error.h"
#include "shared/data/shard.h"
#include "shared/game/registry.h"
#include "tests/test_support.h"

namespace {

// A complete, legal Connect Four game: player 0 wins vertically in column 1.
zp::data::GameRecord sample_record() {
  auto g = zp::game::make_game("connect4");
  zp::data::GameRecord r;
  r.actor_id = 3;
  r.sequence = 17;
  r.model_version = 5;
  r.game_name = "connect4";
  r.num_actions = 7;
  std::vector<float> pi(7, 0.0f);
  for (zp::game::Action a : g->parse_moves("1212121")) {
    std::fill(pi.begin(), pi.end(), 0.0f);
    pi[a] = 0.75f;
    pi[6] += 0.25f;
    r.add_position(a, pi.data());
  }
  r.result = 1;
  return r;
}

}  // namespace

TEST_CASE("records round-trip and validate", "[unit][data]") {
  const auto r = sample_record();
  std::string bytes;
  zp::data::encode_record(r, &bytes);
  CHECK(zp::data::record_size(bytes) == bytes.size());
  const auto d = zp::data::decode_record(bytes);
  CHECK(d.actor_id == 3);
  CHECK(d.sequence == 17);
  CHECK(d.model_version == 5);
  CHECK(d.moves == r.moves);
  CHECK(d.policy_offsets == r.policy_offsets);
  CHECK(d.result == 1);
  CHECK_NOTHROW(zp::data::validate_record(d, *zp::game::make_game("connect4")));
}

namespace {

// `bytes` (a version 3 record of 7 positions) rewritten as an older version: the search values
// go (version 2), and the flags too (version 1); the version, payload length and checksum are
// fixed by hand.
std::string as_old_version(const std::string& bytes, uint16_t version) {
  const size_t flags_at = 12 + 4 + 8 + 8 + 1 + 8 + 1 + 1 + 2 + 2 + 7 * 2;
  std::string old = bytes.substr(0, bytes.size() - 8);
  old.erase(flags_at + 7, 7 * 4);             // the f32 search values
  if (version == 1) old.erase(flags_at, 7);  // the u8 flags
  std::memcpy(&old[4], &version, 2);
  const uint32_t payload = static_cast<uint32_t>(old.size() - 12);
  std::memcpy(&old[8], &payload, 4);
  const uint64_t sum = zp::data::checksum64(old.data(), old.size());
  old.append(reinterpret_cast<const char*>(&sum), 8);
  return old;
}

// `bytes` with its checksum recomputed after an edit.
std::string resum(std::string bytes) {
  std::string body = bytes.substr(0, bytes.size() - 8);
  const uint64_t sum = zp::data::checksum64(body.data(), body.size());
  body.append(reinterpret_cast<const char*>(&sum), 8);
  return body;
}

}  // namespace

TEST_CASE("records keep the full-search flag and search value of each position, and versions 1 "
          "and 2 still read", "[unit][data]") {
  auto r = sample_record();
  r.flags = {1, 0, 0, 1, 0, 1, 1};
  r.search_values = {0.25f, -0.5f, 1.0f, -1.0f, 0.0f, 0.125f, 0.75f};
  std::string bytes;
  zp::data::encode_record(r, &bytes);
  const auto d = zp::data::decode_record(bytes);
  CHECK(d.flags == r.flags);
  CHECK(d.policy_target(0));
  CHECK_FALSE(d.policy_target(1));
  REQUIRE(d.has_search_values());
  CHECK(d.search_values == r.search_values);

  for (uint16_t version : {1, 2}) {
    CAPTURE(version);
    const auto old = zp::data::decode_record(as_old_version(bytes, version));
    CHECK(old.moves == r.moves);
    REQUIRE(old.policy.size() == d.policy.size());
    for (size_t i = 0; i < d.policy.size(); ++i) {
      CHECK(old.policy[i].action == d.policy[i].action);
      CHECK(old.policy[i].prob == d.policy[i].prob);
    }
    CHECK(old.flags == (version == 1 ? std::vector<uint8_t>(7, zp::data::kPositionFullSearch)
                                     : r.flags));
    CHECK_FALSE(old.has_search_values());
    // Re-encoded (the writer re-encodes what it receives), it still has none: no zeros the
    // learner would take for the search's value.
    std::string again;
    zp::data::encode_record(old, &again);
    const auto back = zp::data::decode_record(again);
    CHECK_FALSE(back.has_search_values());
    CHECK(back.flags == old.flags);
    CHECK(back.moves == old.moves);
  }

  const size_t flags_at = 12 + 4 + 8 + 8 + 1 + 8 + 1 + 1 + 2 + 2 + 7 * 2;
  SECTION("unknown flag bits are refused") {
    bytes[flags_at] = 4;
    CHECK_THROWS_WITH(zp::data::decode_record(resum(bytes)), Catch::Contains("unknown bits"));
  }
  SECTION("a search value outside [-1, 1] is refused") {
    const float v = 1.5f;
    std::memcpy(&bytes[flags_at + 7 + 2 * 4], &v, 4);
    CHECK_THROWS_WITH(zp::data::decode_record(resum(bytes)),
                      Catch::Contains("search value at position 2"));
  }
  SECTION("a NaN search value is refused") {
    const float v = std::nanf("");
    std::memcpy(&bytes[flags_at + 7], &v, 4);
    CHECK_THROWS_WITH(zp::data::decode_record(resum(bytes)), Catch::Contains("not in [-1, 1]"));
  }
}

TEST_CASE("add_position clamps the search value into [-1, 1]", "[unit][data]") {
  zp::data::GameRecord r;
  r.num_actions = 7;
  const std::vector<float> pi{0, 0, 0, 1, 0, 0, 0};
  r.add_position(3, pi.data(), true, 1.0001f);
  r.add_position(3, pi.data(), true, -3.0f);
  r.add_position(3, pi.data(), false, std::nanf(""));
  r.add_position(3, pi.data());
  CHECK(r.search_values == std::vector<float>{1.0f, -1.0f, 0.0f, 0.0f});
}

TEST_CASE("bad records are rejected with a reason", "[unit][data]") {
  std::string bytes;
  zp::data::encode_record(sample_record(), &bytes);
  SECTION("truncated") {
    CHECK_THROWS_WITH(zp::data::decode_record(bytes.substr(0, bytes.size() - 3)),
                      Catch::Contains("truncated"));
    CHECK(zp::data::record_size(bytes.substr(0, 5)) == 0);
  }
  SECTION("checksum") {
    bytes[20] ^= 0x40;
    CHECK_THROWS_WITH(zp::data::decode_record(bytes), Catch::Contains("checksum"));
  }
  SECTION("garbage") {
    CHECK_THROWS_WITH(zp::data::decode_record(std::string(64, 'x')), Catch::Contains("magic"));
  }
  SECTION("wrong game") {
    CHECK_THROWS_WITH(zp::data::validate_record(zp::data::decode_record(bytes),
                                                *zp::game::make_game("tictactoe")),
                      Catch::Contains("connect4"));
  }
  SECTION("result that disagrees with the moves") {
    auto r = sample_record();
    r.result = -1;
    CHECK_THROWS_WITH(zp::data::validate_record(r, *zp::game::make_game("connect4")),
                      Catch::Contains("disagrees"));
  }
  SECTION("game not finished") {
    auto r = sample_record();
    r.moves.pop_back();
    r.policy_offsets.pop_back();
    CHECK_THROWS_WITH(zp::data::validate_record(r, *zp::game::make_game("connect4")),
                      Catch::Contains("before the game is over"));
  }
}

TEST_CASE("shards round-trip and corruption is detected", "[unit][data]") {
  zp::test::TempDir dir;
  const std::string path = dir.path() + "/a.shard";
  zp::data::ShardBuilder b("connect4");
  for (int i = 0; i < 5; ++i) b.add(sample_record());
  b.write(path);
  CHECK(b.empty());
  zp::data::ShardInfo info;
  const auto records = zp::data::read_shard(path, &info);
  CHECK(records.size() == 5);
  CHECK(info.num_positions == 35);
  CHECK(info.game_name == "connect4");

  std::string bytes = zp::read_file(path);
  SECTION("flipped byte") {
    bytes[bytes.size() / 2] ^= 1;
    zp::write_file_atomic(path, bytes);
    CHECK_THROWS_WITH(zp::data::read_shard(path), Catch::Contains("checksum"));
  }
  SECTION("truncated") {
    zp::write_file_atomic(path, bytes.substr(0, bytes.size() - 100));
    CHECK_THROWS_AS(zp::data::read_shard(path), zp::FormatError);
  }
  SECTION("missing") {
    CHECK_THROWS_AS(zp::data::read_shard(dir.path() + "/none.shard"), zp::IoError);
  }
}

TEST_CASE("a shard header claiming billions of records is a FormatError, not an allocation",
          "[unit][data]") {
  // 4G records claimed by a 40-byte file with a correct checksum: reading it must neither
  // reserve for them (bad_alloc would escape and crash-loop the learner) nor accept it.
  std::string body;
  zp::put<uint32_t>(&body, zp::data::kShardMagic);
  zp::put<uint16_t>(&body, zp::data::kShardVersion);
  zp::put<uint16_t>(&body, 0);
  zp::put<uint32_t>(&body, 0xFFFFFFFFu);
  zp::put<uint64_t>(&body, 12);
  zp::put<uint8_t>(&body, 8);
  body += "connect4";
  std::string file = body;
  zp::put<uint64_t>(&file, zp::data::checksum64(body.data(), body.size()));
  zp::test::TempDir dir;
  const std::string path = dir.path() + "/shard-000001.zps";
  zp::write_file_atomic(path, file);
  CHECK_THROWS_WITH(zp::data::read_shard(path, nullptr),
                    Catch::Contains("header claims 4294967295 records, but only 0 bytes follow"));
}
