#include <catch2/catch.hpp>

#include "shared/core/error.h"

TEST_CASE("check macros print both values and throw CheckError", "[unit][core]") {
  int a = 3, b = 4;
  try {
    ZP_CHECK_EQ(a, b);
    FAIL("ZP_CHECK_EQ(3, 4) did not throw");
  } catch (const zp::CheckError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("a == b") != std::string::npos);
    CHECK(msg.find("(3 vs 4)") != std::string::npos);
    CHECK(msg.find("error_test.cpp") != std::string::npos);
  }
  CHECK_NOTHROW([&] { ZP_CHECK_LT(a, b); }());
  CHECK_THROWS_AS([&] { ZP_CHECK(a > b); }(), zp::CheckError);
}

TEST_CASE("errors form one hierarchy", "[unit][core]") {
  CHECK_THROWS_AS(throw zp::ConfigError("x"), zp::Error);
  CHECK_THROWS_AS(throw zp::FormatError("x"), zp::Error);
  CHECK_THROWS_AS(throw zp::IoError("x"), zp::Error);
}

TEST_CASE("a failed check is an internal error, not a user error", "[unit][core]") {
  // A bug must never be caught by the `catch (const Error&)` meant for bad input.
  bool caught_as_user_error = false;
  try {
    try {
      ZP_CHECK_GE(1, 2);
    } catch (const zp::Error&) {
      caught_as_user_error = true;
    }
  } catch (const zp::CheckError& e) {
    const zp::ExitReport r = zp::exit_report(e);
    CHECK(r.code == 70);
    CHECK(r.line.rfind("internal error: check failed at error_test.cpp:", 0) == 0);
  }
  CHECK_FALSE(caught_as_user_error);
  const zp::ExitReport user = zp::exit_report(zp::ConfigError("x.yaml:3: search.c_puct: bad"));
  CHECK(user.code == 1);
  CHECK(user.line == "error: x.yaml:3: search.c_puct: bad");
  CHECK(zp::exit_report(std::runtime_error("boom")).code == 70);
}
