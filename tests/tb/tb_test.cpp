// The TensorBoard event files (shared/tb): the TFRecord framing and its masked CRC-32C against
// bytes that tensorboard's own Python writer produced, our reader on truncated and corrupt
// files, and the Event encoding against tensorboard's own serialization.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "shared/core/error.h"
#include "shared/tb/event_writer.h"
#include "shared/tb/record_io.h"
#include "tests/test_support.h"

namespace {

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// Printed by tensorboard 2.21's own code (venv python):
//   RecordWriter(io.BytesIO()).write(b"hello")
const char* kHelloFrame = "0500000000000000eab2043e68656c6c6fbb1f1c19";
//   Event(wall_time=1.5, step=7, summary=Summary(value=[Value(tag="a/b", simple_value=0.25)]))
const char* kScalarEvent = "09000000000000f83f10072a0c0a0a0a03612f62150000803e";
//   Event(wall_time=1.5, file_version="brain.Event:2")
const char* kVersionEvent = "09000000000000f83f1a0d627261696e2e4576656e743a32";

}  // namespace

TEST_CASE("tb: CRC-32C and its mask match the standard check value and tensorboard", "[unit][tb]") {
  const std::string check = "123456789";
  CHECK(zp::tb::crc32c(check.data(), check.size()) == 0xE3069283u);  // CRC-32C check value
  CHECK(zp::tb::masked_crc32c(check.data(), check.size()) == 0xc78ab0e5u);  // tensorboard's
  CHECK(zp::tb::frame_record("hello") == from_hex(kHelloFrame));
}

TEST_CASE("tb: events encode byte for byte as tensorboard's and decode back", "[unit][tb]") {
  CHECK(zp::tb::encode_scalars_event(7, 1.5, {{"a/b", 0.25}}) == from_hex(kScalarEvent));
  CHECK(zp::tb::encode_file_version_event(1.5) == from_hex(kVersionEvent));
  const zp::tb::DecodedEvent d = zp::tb::decode_event(from_hex(kScalarEvent));
  CHECK(d.step == 7);
  CHECK(d.wall_time == 1.5);
  REQUIRE(d.scalars.size() == 1);
  CHECK(d.scalars[0].tag == "a/b");
  CHECK(d.scalars[0].value == 0.25);
  CHECK(zp::tb::decode_event(from_hex(kVersionEvent)).file_version == "brain.Event:2");
  CHECK_THROWS_AS(zp::tb::decode_event("\xff\xff\xff"), zp::FormatError);
}

TEST_CASE("tb: the reader stops cleanly at a truncated or corrupt frame", "[unit][tb]") {
  const std::string a = zp::tb::frame_record("first"), b = zp::tb::frame_record("second");
  const std::string whole = a + b;
  zp::tb::ReadResult r = zp::tb::parse_records(whole);
  CHECK(r.error.empty());
  CHECK(r.records == std::vector<std::string>{"first", "second"});
  CHECK(zp::tb::parse_records("").records.empty());

  // Every cut inside the second frame keeps the first record and reports a truncation.
  for (size_t cut = a.size() + 1; cut < whole.size(); ++cut) {
    INFO("cut at " << cut);
    r = zp::tb::parse_records(std::string_view(whole).substr(0, cut));
    CHECK(r.records == std::vector<std::string>{"first"});
    CHECK(r.truncated);
    CHECK(r.error.find("record 1 at byte " + std::to_string(a.size())) == 0);
  }
  // A flipped bit in any byte of the second frame is a CRC mismatch (or, in the length, a
  // length that no longer fits), never a crash or a wrong record.
  for (size_t i = a.size(); i < whole.size(); ++i) {
    std::string bad = whole;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    r = zp::tb::parse_records(bad);
    INFO("flipped byte " << i << ": " << r.error);
    CHECK(r.records == std::vector<std::string>{"first"});
    CHECK_FALSE(r.error.empty());
  }
  std::string bad_data = whole;
  bad_data[a.size() + 12] ^= 1;
  CHECK(zp::tb::parse_records(bad_data).error == "record 1 at byte " + std::to_string(a.size()) +
                                                     ": data CRC mismatch");
  CHECK_THROWS_AS(zp::tb::read_record_file("/nonexistent/events"), zp::IoError);
}

TEST_CASE("tb: an event writer's file reads back as a version event then the scalars", "[unit][tb]") {
  zp::test::TempDir dir;
  std::string path;
  {
    zp::tb::EventWriter w(dir.path() + "/tb/status", "test");
    path = w.path();
    CHECK(std::filesystem::path(path).filename().string().rfind("events.out.tfevents.", 0) == 0);
    CHECK(w.write_scalars(3, 10.0, {{"x/one", 1.0}, {"x/third", 1.0 / 3}}));
    CHECK(w.write_scalars(5, {{"x/one", 2.0}}));
  }
  const zp::tb::ReadResult r = zp::tb::read_record_file(path);
  CHECK(r.error.empty());
  REQUIRE(r.records.size() == 3);
  CHECK(zp::tb::decode_event(r.records[0]).file_version == zp::tb::kFileVersion);
  const zp::tb::DecodedEvent e = zp::tb::decode_event(r.records[1]);
  CHECK(e.step == 3);
  CHECK(e.wall_time == 10.0);
  REQUIRE(e.scalars.size() == 2);
  CHECK(e.scalars[1].tag == "x/third");
  CHECK(e.scalars[1].value == static_cast<double>(static_cast<float>(1.0 / 3)));
  CHECK(zp::tb::decode_event(r.records[2]).step == 5);
  CHECK_THROWS_WITH(zp::tb::EventWriter("/proc/no/such/dir", "x"),
                    Catch::Contains("cannot create event directory '/proc/no/such/dir'"));
}
