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
