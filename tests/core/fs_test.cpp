// write_file_atomic: two writers of one path never mix their bytes.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "shared/core/error.h"
#include "shared/core/fs.h"
#include "tests/test_support.h"

namespace {

// True when `s` is `n` copies of one of the writers' bytes.
bool uniform(const std::string& s, size_t n) {
  if (s.size() != n) return false;
  return s.find_first_not_of(s[0]) == std::string::npos && (s[0] == 'a' || s[0] == 'b');
}

}  // namespace

TEST_CASE("write_file_atomic: two concurrent writers of one path never interleave bytes",
          "[unit][core]") {
  zp::test::TempDir dir;
  const std::string path = dir.path() + "/state";
  constexpr size_t kBytes = 4u << 20;
  constexpr int kRounds = 20;
  pid_t kids[2];
  for (int k = 0; k < 2; ++k) {
    kids[k] = ::fork();
    REQUIRE(kids[k] >= 0);
    if (kids[k] == 0) {
      const std::string mine(kBytes, k == 0 ? 'a' : 'b');
      int rc = 0;
      try {
        for (int i = 0; i < kRounds; ++i) zp::write_file_atomic(path, mine);
      } catch (const zp::IoError&) {
        rc = 1;
      }
      ::_exit(rc);
    }
  }
  // Read the file while they write; every version seen must be one writer's whole file.
  int torn_reads = 0, status[2] = {-1, -1};
  for (bool running = true; running;) {
    running = false;
    for (int k = 0; k < 2; ++k) {
      if (status[k] == -1 && ::waitpid(kids[k], &status[k], WNOHANG) == 0) status[k] = -1;
      running = running || status[k] == -1;
    }
    if (std::filesystem::exists(path) && !uniform(zp::read_file(path), kBytes)) ++torn_reads;
  }
  for (int k = 0; k < 2; ++k) {
    INFO("writer " << k);
    CHECK((WIFEXITED(status[k]) && WEXITSTATUS(status[k]) == 0));  // no IoError either
  }
  CHECK(torn_reads == 0);
  CHECK(uniform(zp::read_file(path), kBytes));
  // No temporaries left behind by successful writes.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) (void)e, ++entries;
  CHECK(entries == 1);
}

TEST_CASE("write_file_atomic: a failed fsync of the directory is an IoError", "[unit][core]") {
  // The rename is only durable once the directory is fsync'ed: a failure there must reach
  // the caller (the writer acknowledges nothing then), never be ignored.
  zp::test::TempDir dir;
  const std::string path = dir.path() + "/manifest.json";
  ::setenv("ZP_FAULT", "fs.dir_fsync", 1);
  std::string error;
  try {
    zp::write_file_atomic(path, "{}");
  } catch (const zp::IoError& e) {
    error = e.what();
  }
  ::unsetenv("ZP_FAULT");
  CHECK_THAT(error, Catch::Contains("cannot fsync directory " + dir.path() + "/"));
  CHECK_THAT(error, Catch::Contains(path));
  CHECK_NOTHROW(zp::write_file_atomic(path, "{}"));  // only the one injected failure
}
