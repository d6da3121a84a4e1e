// See ../README.md: a declaration-only stand-in for Gloo's header. ProcessGroupGloo.hpp's
// inline setTimeout names Context::setTimeout; it is never called from our code.
#pragma once
#include <chrono>

namespace gloo {
class Context {
 public:
  void setTimeout(std::chrono::milliseconds timeout);
};
}  // namespace gloo
