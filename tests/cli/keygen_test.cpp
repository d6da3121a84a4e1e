// `zeroplay keygen DIR`: a joining host's own CURVE key pair. The keys load as a host's
// (writer.public copied from the head), the secret is 0600 in a 0700 folder, the head admits
// the public key once it is in keys/authorized/, and existing keys or a bad writer.public are
// one error line each with nothing overwritten or made.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "shared/core/fs.h"
#include "shared/ipc/curve_keys.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace {

zp::test::CommandResult keygen(const std::string& args) {
  return zp::test::run_command(zp::test::zeroplay_binary() + " keygen " + args + " 2>&1");
}

unsigned mode_of(const std::string& path) {
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

void check_one_line_error(const zp::test::CommandResult& r, const std::string& message) {
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.rfind("zeroplay: error: ", 0) == 0);
  CHECK(r.output.find(message) != std::string::npos);
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
}

}  // namespace

TEST_CASE("keygen: a host's own key pair, admitted by the head once authorized",
          "[unit][join][binary]") {
  zp::test::TempDir tmp;
  const std::string head = tmp.path() + "/run/keys";
  zp::ipc::ensure_curve_keys(head);
  const std::string dir = tmp.path() + "/host-keys";

  const auto made = keygen(dir + " --writer-public " + head + "/writer.public --name gpu7");
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  CHECK(made.output.find("RUN/keys/authorized/gpu7.public") != std::string::npos);
  CHECK(mode_of(dir) == 0700);
  CHECK(mode_of(dir + "/actor.secret") == 0600);
  const zp::ipc::CurveClientKeys host = zp::ipc::load_client_keys(dir);
  CHECK(host.server_public == zp::ipc::load_server_keys(head).public_key);
  CHECK(host.public_key != zp::ipc::load_client_keys(head).public_key);  // a pair of its own

  // The head admits it once its .public is in keys/authorized/.
  auto admitted = [&] {
    const auto& a = zp::ipc::load_server_keys(head).authorized;
    return std::find(a.begin(), a.end(), host.public_key) != a.end();
  };
  CHECK_FALSE(admitted());
  fs::copy_file(dir + "/actor.public", head + "/authorized/gpu7.public");
  CHECK(admitted());

  SECTION("existing keys are never overwritten") {
    const std::string before = zp::test::read_text(dir + "/actor.secret");
    check_one_line_error(keygen(dir), "actor.public already exists");
    CHECK(zp::test::read_text(dir + "/actor.secret") == before);
  }
  SECTION("without --writer-public it says where writer.public must come from") {
    const auto bare = keygen(tmp.path() + "/bare");
    INFO(bare.output);
    CHECK(bare.exit_code == 0);
    CHECK(bare.output.find("copy the head's RUN/keys/writer.public") != std::string::npos);
    CHECK(fs::exists(tmp.path() + "/bare/actor.secret"));
    CHECK_FALSE(fs::exists(tmp.path() + "/bare/writer.public"));
  }
}

TEST_CASE("keygen: a bad or missing writer.public is one error line, and nothing is made",
          "[unit][join][binary]") {
  zp::test::TempDir tmp;
  const std::string junk = tmp.path() + "/junk.public";
  zp::write_file_atomic(junk, "not a key\n");
  check_one_line_error(keygen(tmp.path() + "/a --writer-public " + junk),
                       "does not hold one 40-character Z85 key");
  CHECK_FALSE(fs::exists(tmp.path() + "/a"));
  check_one_line_error(keygen(tmp.path() + "/b --writer-public " + tmp.path() + "/none.public"),
                       "none.public");
  CHECK_FALSE(fs::exists(tmp.path() + "/b"));
}
