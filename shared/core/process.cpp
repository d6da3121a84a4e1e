#include "shared/core/process.h"

#include <signal.h>

#include <cerrno>
#include <climits>
#include <fstream>
#include <string>

namespace zp {

namespace {

// The state letter of /proc/<pid>/stat ('R', 'S', 'Z', ...), or 0 when unreadable. The
// command name (field 2) is in parentheses and may hold spaces: the state follows the last ')'.
char proc_state(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  const size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() ? line[close + 2] : 0;
}

}  // namespace

bool process_alive(int64_t pid) {
  if (pid <= 0 || pid > INT_MAX) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  return proc_state(pid) != 'Z';
}

}  // namespace zp
