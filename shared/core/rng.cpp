#include "shared/core/rng.h"

namespace zp {

double Rng::gamma(double alpha) {
  if (alpha < 1.0) {
    // Gamma(a) = Gamma(a + 1) * U^(1/a).
    const double u = uniform();
    return gamma(alpha + 1.0) * std::pow(u > 0 ? u : 1e-300, 1.0 / alpha);
  }
  const double d = alpha - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

void Rng::dirichlet(double alpha, int n, float* out) {
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const double g = gamma(alpha);
    out[i] = static_cast<float>(g);
    sum += g;
  }
  if (sum <= 0) {
    for (int i = 0; i < n; ++i) out[i] = 1.0f / n;
    return;
  }
  for (int i = 0; i < n; ++i) out[i] = static_cast<float>(out[i] / sum);
}

}  // namespace zp
