// Catch2 runner. Registers the games once. `--gpu-gate` (first argument) makes the run exit
// with 77 (ctest: Skipped) when no CUDA device is present, so [gpu] tests are skipped, never
// faked, on CPU-only machines.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <vector>

#include "shared/game/registry.h"
#include "tests/test_support.h"

int main(int argc, char** argv) {
  zp::game::register_all_games();
  std::vector<char*> args(argv, argv + argc);
#ifndef ZP_TESTS_WITHOUT_TORCH
  if (args.size() > 1 && std::strcmp(args[1], "--gpu-gate") == 0) {
    if (!zp::test::cuda_device_available()) {
      std::printf("SKIPPED: no CUDA device on this machine; [gpu] tests need one\n");
      return 77;
    }
    args.erase(args.begin() + 1);
  }
#endif
  return Catch::Session().run(static_cast<int>(args.size()), args.data());
}
