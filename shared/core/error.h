// Error hierarchy and always-on check macros.
//
// One base, `zp::Error`, and a few subclasses that callers really catch differently:
//   ConfigError  - bad YAML, unknown key, wrong type, out-of-range value, bad --set.
//   FormatError  - a record, shard, checkpoint or move list that does not parse.
//   IoError      - a file or socket that cannot be opened, read or written.
//   StateError   - an API used out of order (e.g. an illegal move applied).
// Invariants use ZP_CHECK*, which are never compiled out and print both values:
//   ZP_CHECK_EQ(node.visits, 0) -> "check failed at search.cpp:42: node.visits == 0 (3 vs 0)".
// A failed check is a bug in Zeroplay, not a user error: it throws zp::CheckError, which is
// deliberately not a zp::Error, so that no `catch (const Error&)` meant for bad input swallows
// it. main() reports it as "internal error" with the file and line and exits with
// kInternalErrorExit; the supervisor restarts a role that hits one.
#pragma once

#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>

namespace zp {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class ConfigError : public Error {
 public:
  using Error::Error;
};
class FormatError : public Error {
 public:
  using Error::Error;
};
class IoError : public Error {
 public:
  using Error::Error;
};
class StateError : public Error {
 public:
  using Error::Error;
};
class CheckError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Exit codes of the zeroplay executable: 1 for a user error (zp::Error: bad config, input,
// file), 70 (EX_SOFTWARE) for an internal error (a failed ZP_CHECK or any other exception).
constexpr int kUserErrorExit = 1;
constexpr int kInternalErrorExit = 70;

// The one-line message and the exit code main() gives an exception that ended a command:
//   zp::Error       -> "error: <what>", kUserErrorExit
//   anything else   -> "internal error: <what>" (a failed check names file:line),
//                      kInternalErrorExit
struct ExitReport {
  std::string line;
  int code = 0;
};
ExitReport exit_report(const std::exception& e);

namespace detail {
[[noreturn]] void check_failed(const char* file, int line, const std::string& what);

template <typename A, typename B>
[[noreturn]] void check_op_failed(const char* file, int line, const char* expr, const A& a,
                                  const B& b) {
  std::ostringstream os;
  os << expr << " (" << a << " vs " << b << ")";
  check_failed(file, line, os.str());
}
}  // namespace detail

}  // namespace zp

#define ZP_CHECK(cond)                                           \
  do {                                                           \
    if (!(cond)) ::zp::detail::check_failed(__FILE__, __LINE__, #cond); \
  } while (0)

#define ZP_CHECK_OP_(a, op, b)                                                         \
  do {                                                                                 \
    const auto& zp_a_ = (a);                                                           \
    const auto& zp_b_ = (b);                                                           \
    if (!(zp_a_ op zp_b_))                                                             \
      ::zp::detail::check_op_failed(__FILE__, __LINE__, #a " " #op " " #b, zp_a_, zp_b_); \
  } while (0)

#define ZP_CHECK_EQ(a, b) ZP_CHECK_OP_(a, ==, b)
#define ZP_CHECK_NE(a, b) ZP_CHECK_OP_(a, !=, b)
#define ZP_CHECK_LT(a, b) ZP_CHECK_OP_(a, <, b)
#define ZP_CHECK_LE(a, b) ZP_CHECK_OP_(a, <=, b)
#define ZP_CHECK_GT(a, b) ZP_CHECK_OP_(a, >, b)
#define ZP_CHECK_GE(a, b) ZP_CHECK_OP_(a, >=, b)
