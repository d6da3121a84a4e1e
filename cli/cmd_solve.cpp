// `zeroplay solve`: exact Connect Four scores of every column of positions read from stdin.
//
//   zeroplay solve --game connect4 [--threads N] < positions.txt
//
// Input: one position per line, as its move string ("4453"); anything after the first
// whitespace-separated field is ignored, so a labelled file can be piped in as it is. Blank
// lines and lines starting with '#' are skipped.
// Output: one line per position, in input order, "<moves> s1 s2 ... s7", the format of
// shared/data/connect4/positions.txt (scores as in shared/game/games/connect4/solver.h).
// A bad line prints "line N: <why>" on stderr and solving goes on; the exit code is 1 if any
// line failed. A summary (positions, failures, seconds) goes to stderr at the end.
// With --threads 1 (the default) each line is answered as soon as it is read; with N > 1 the
// whole input is read first and N solvers (64 MB of table each) work on it.
//
// Hidden generator (how data/connect4/random_positions.txt was made):
//   zeroplay solve --generate N [--seed S] [--min-moves 8] [--max-moves 30] [--threads T]
// plays random playouts whose length is drawn uniformly in [min, max] moves, each move drawn
// uniformly among the legal moves that do not end the game, drops positions seen before
// (same stones, whatever the move order), and prints N labelled positions as above. The
// positions depend only on N, the seed and the lengths (not on --threads).
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "shared/core/error.h"
#include "shared/core/rng.h"
#include "shared/game/games/connect4/connect4.h"
#include "shared/game/games/connect4/solver.h"
#include "shared/game/registry.h"
#include "cli/commands.h"

namespace zp::cli {
namespace {

using game::Connect4Solver;
using game::Connect4State;

struct SolveOptions {
  std::string game = "connect4";
  int threads = 1;
  int generate = 0;
  uint64_t seed = 1;
  int min_moves = 8;
  int max_moves = 30;
};

// One position to label: the parsed state, or the reason it could not be parsed.
struct Job {
  int line_no = 0;
  std::unique_ptr<game::State> state;
  std::string error;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Parses the first field of `line` into a job; `error` is set on failure.
Job parse_line(const game::Game& g, int line_no, const std::string& moves) {
  Job job;
  job.line_no = line_no;
  try {
    job.state = g.state_from_moves(moves);
    if (job.state->is_terminal())
      throw StateError("the game is already over after '" + moves + "'");
  } catch (const Error& e) {
    job.state.reset();
    job.error = e.what();
  }
  return job;
}

// "<moves> s1 ... s7\n"
std::string label(const game::State& s, Connect4Solver* solver) {
  std::string line = s.game().moves_to_string(s.history());
  for (int v : solver->analyze(static_cast<const Connect4State&>(s)))
    line += " " + std::to_string(v);
  return line + '\n';
}

// Prints one job's answer (stdout) or error (stderr); returns whether it succeeded.
bool emit(const Job& job, const std::string& answer) {
  if (!job.state) {
    std::fprintf(stderr, "zeroplay solve: line %d: %s\n", job.line_no, job.error.c_str());
    return false;
  }
  std::fputs(answer.c_str(), stdout);
  std::fflush(stdout);  // one line at a time, so a pipe shows progress
  return true;
}

// Labels every job with `threads` solvers and prints the answers in job order as they come.
// Returns the number of failed jobs.
int run_pool(const std::vector<Job>& jobs, int threads) {
  std::vector<std::string> answers(jobs.size());
  std::vector<char> done(jobs.size(), 0);
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      Connect4Solver solver;  // one table per thread: solvers are not thread-safe
      // Relaxed is enough: the counter only hands out distinct indices; results are published
      // under the mutex.
      for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < jobs.size();) {
        std::string a = jobs[i].state ? label(*jobs[i].state, &solver) : "";
        std::lock_guard<std::mutex> lock(mu);
        answers[i] = std::move(a);
        done[i] = 1;
        cv.notify_all();
      }
    });
  }
  int failed = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done[i] != 0; });
    lock.unlock();
    if (!emit(jobs[i], answers[i])) ++failed;
  }
  for (auto& w : workers) w.join();
  return failed;
}

// Reads stdin and labels every position; returns the number of failed lines.
int solve_stdin(const game::Game& g, int threads) {
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<Connect4Solver> solver;  // the streaming path's solver
  if (threads == 1) solver = std::make_unique<Connect4Solver>();
  std::vector<Job> jobs;
  std::string line;
  int line_no = 0, positions = 0, failed = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    const size_t begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos || line[begin] == '#') continue;
    const size_t end = line.find_first_of(" \t\r", begin);
    Job job =
        parse_line(g, line_no, line.substr(begin, end == std::string::npos ? end : end - begin));
    ++positions;
    if (solver) {
      if (!emit(job, job.state ? label(*job.state, solver.get()) : "")) ++failed;
    } else {
      jobs.push_back(std::move(job));
    }
  }
  if (!solver) failed = run_pool(jobs, threads);
  const double secs = seconds_since(t0);
  std::fprintf(stderr,
               "zeroplay solve: %d positions, %d solved, %d failed, %.2f s (%.1f ms per "
               "position, %d thread%s)\n",
               positions, positions - failed, failed, secs,
               positions ? 1000.0 * secs / positions : 0.0, threads, threads == 1 ? "" : "s");
  return failed;
}

void generate(const game::Game& g, const SolveOptions& opt) {
  if (opt.min_moves < 0 || opt.max_moves < opt.min_moves || opt.max_moves > 40)
    throw ConfigError("solve --generate needs 0 <= --min-moves <= --max-moves <= 40");
  const auto t0 = std::chrono::steady_clock::now();
  Rng rng(opt.seed);
  std::unordered_set<uint64_t> seen;
  std::vector<game::Action> candidates;
  std::vector<Job> jobs;
  while (static_cast<int>(jobs.size()) < opt.generate) {
    const int length =
        opt.min_moves + static_cast<int>(rng.uniform_int(opt.max_moves - opt.min_moves + 1));
    auto state = g.new_initial_state();
    auto& c4 = static_cast<Connect4State&>(*state);
    bool ok = true;
    for (int i = 0; i < length && ok; ++i) {
      candidates.clear();
      for (int col = 0; col < game::c4::kWidth; ++col)
        if (c4.can_play(col) && !c4.is_winning_move(col)) candidates.push_back(col);
      ok = !candidates.empty();
      if (ok) c4.apply(candidates[rng.uniform_int(static_cast<uint32_t>(candidates.size()))]);
    }
    if (!ok || c4.is_terminal() || !seen.insert(c4.key()).second) continue;
    Job job;
    job.line_no = static_cast<int>(jobs.size()) + 1;
    job.state = std::move(state);
    jobs.push_back(std::move(job));
  }
  const int failed = run_pool(jobs, opt.threads);
  ZP_CHECK_EQ(failed, 0);
  std::fprintf(stderr, "zeroplay solve: generated %zu positions (seed %llu) in %.2f s\n",
               jobs.size(), static_cast<unsigned long long>(opt.seed), seconds_since(t0));
}

}  // namespace

void add_solve_command(CLI::App& app) {
  auto opt = std::make_shared<SolveOptions>();
  CLI::App* cmd = app.add_subcommand(
      "solve",
      "Exact Connect Four scores of each column for positions read from stdin (one move "
      "string per line; extra fields ignored). Prints '<moves> s1 ... s7'.");
  cmd->add_option("--game", opt->game, "Game to solve (only connect4)")->capture_default_str();
  cmd->add_option("--threads", opt->threads,
                  "Solver threads (64 MB each); above 1 the whole input is read first")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  // Hidden options (empty group): the generator of data/connect4/random_positions.txt.
  cmd->add_option("--generate", opt->generate, "Generate N random labelled positions")->group("");
  cmd->add_option("--seed", opt->seed, "Generator seed")->group("");
  cmd->add_option("--min-moves", opt->min_moves, "Generator: shortest playout")->group("");
  cmd->add_option("--max-moves", opt->max_moves, "Generator: longest playout")->group("");
  cmd->callback([opt] {
    if (opt->game != "connect4")
      throw ConfigError("solve: only connect4 has a solver, not '" + opt->game + "'");
    auto g = game::make_game(opt->game);
    if (opt->generate > 0) {
      generate(*g, *opt);
      return;
    }
    if (solve_stdin(*g, opt->threads) > 0) throw CLI::RuntimeError(1);
  });
}

}  // namespace zp::cli
