#include <catch2/catch.hpp>

#include <vector>

#include "shared/core/rng.h"

TEST_CASE("rng is reproducible and roughly uniform", "[unit][core]") {
  zp::Rng a(42), b(42), c(43);
  CHECK(a.next() == b.next());
  CHECK(a.next() != c.next());
  std::vector<int> counts(10, 0);
  for (int i = 0; i < 100000; ++i) counts[a.uniform_int(10)]++;
  for (int n : counts) CHECK(n > 9000);
  for (int n : counts) CHECK(n < 11000);
}

TEST_CASE("dirichlet samples sum to one with the right mean", "[unit][core]") {
  zp::Rng rng(7);
  std::vector<float> x(4);
  std::vector<double> mean(4, 0.0);
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    rng.dirichlet(0.3, 4, x.data());
    double s = 0;
    for (int k = 0; k < 4; ++k) {
      s += x[k];
      mean[k] += x[k] / n;
    }
    REQUIRE(s == Approx(1.0).epsilon(1e-4));
  }
  for (double m : mean) CHECK(m == Approx(0.25).margin(0.02));
}
