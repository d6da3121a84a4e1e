// `zeroplay inspect PATH`: check and summarise a shard file or a whole run directory.
//   zeroplay inspect runs/c4/shards/shard-000003.zps [--all] [--first N]
//   zeroplay inspect runs/c4
// A shard: its game, counts, checksum, whether every record validates against the game, and
// the first records (actor, sequence, model version, moves, result). A run directory: the
// config summary, the manifest, every shard (checked the same way), duplicates across shards
// and the checkpoints present. Read-only. Anything invalid makes the command fail (exit 1)
// with the reasons, after the report has been printed.
#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "shared/run/files.h"
#include "shared/core/fs.h"
#include "shared/config/config.h"
#include "shared/core/error.h"
#include "shared/data/shard.h"
#include "shared/game/registry.h"
#include "cli/commands.h"
#include "writer/manifest.h"

namespace zp::cli {

namespace fs = std::filesystem;

namespace {

struct Options {
  std::string path;
  bool all = false;
  int first = 10;
};

// The run's config when `dir` (a run directory) has a loadable one.
std::unique_ptr<config::Config> try_config(const fs::path& dir) {
  try {
    const std::string path = run::RunPaths(dir.string()).config();
    if (fs::exists(path)) return std::make_unique<config::Config>(config::load_config(path));
  } catch (const Error&) {
  }
  return nullptr;
}

// Result of checking one shard.
struct ShardReport {
  data::ShardInfo info;
  std::vector<data::GameRecord> records;
  std::string format_problem;    // read_shard failed: checksum, framing, decoding
  std::string validity_problem;  // a record does not replay on the game
};

ShardReport check_shard(const std::string& path, const config::Config* run_config) {
  ShardReport rep;
  try {
    rep.records = data::read_shard(path, &rep.info);
  } catch (const Error& e) {
    rep.format_problem = e.what();
    return rep;
  }
  try {
    game::GameParams params;
    if (run_config && run_config->game.name == rep.info.game_name)
      params.board_size = run_config->game.board_size;
    const auto game = game::make_game(rep.info.game_name, params);
    for (size_t i = 0; i < rep.records.size(); ++i) {
      try {
        data::validate_record(rep.records[i], *game);
      } catch (const Error& e) {
        rep.validity_problem = "record " + std::to_string(i) + " (actor " +
                               std::to_string(rep.records[i].actor_id) + ", sequence " +
                               std::to_string(rep.records[i].sequence) + "): " + e.what();
        break;
      }
    }
  } catch (const Error& e) {
    rep.validity_problem = e.what();
  }
  return rep;
}

void print_records(const std::vector<data::GameRecord>& records, const Options& o) {
  const size_t n = o.all ? records.size() : std::min<size_t>(records.size(), o.first);
  if (n == 0) return;
  std::printf("  %s%zu of %zu records%s:\n", o.all ? "" : "first ", n, records.size(),
              n < records.size() ? " (--all for all)" : "");
  std::printf("  %6s %6s %20s %8s %6s %6s\n", "#", "actor", "sequence", "model", "moves", "result");
  for (size_t i = 0; i < n; ++i) {
    const auto& r = records[i];
    std::printf("  %6zu %6u %20llu %8lld %6zu %+6d\n", i, r.actor_id,
                static_cast<unsigned long long>(r.sequence),
                static_cast<long long>(r.model_version), r.moves.size(),
                static_cast<int>(r.result));
  }
}

void inspect_shard(const Options& o) {
  const fs::path path = fs::absolute(o.path);
  auto cfg = try_config(path.parent_path().parent_path());
  const ShardReport rep = check_shard(path.string(), cfg.get());
  std::error_code ec;
  std::printf("shard %s (%llu bytes)\n", path.string().c_str(),
              static_cast<unsigned long long>(fs::file_size(path, ec)));
  if (!rep.format_problem.empty()) {
    std::printf("  checksum   INVALID: %s\n", rep.format_problem.c_str());
    std::fflush(stdout);
    throw FormatError("shard " + path.string() + " is invalid: " + rep.format_problem);
  }
  std::printf("  game       %s\n  records    %u\n  positions  %llu\n  checksum   OK\n",
              rep.info.game_name.c_str(), rep.info.num_records,
              static_cast<unsigned long long>(rep.info.num_positions));
  if (rep.validity_problem.empty())
    std::printf("  validity   all %zu records replay legally on %s\n", rep.records.size(),
                rep.info.game_name.c_str());
  else
    std::printf("  validity   INVALID: %s\n", rep.validity_problem.c_str());
  print_records(rep.records, o);
  std::fflush(stdout);
  if (!rep.validity_problem.empty())
    throw FormatError("shard " + path.string() + " is invalid: " + rep.validity_problem);
}

// Problems found in a run directory, for the final error.
using Problems = std::vector<std::string>;

// run id and config: prints them; returns the config when it loads.
std::unique_ptr<config::Config> report_run_config(const fs::path& dir, Problems& problems) {
  std::string run_id;
  try {
    run_id = zp::read_file(run::RunPaths(dir.string()).run_id());
    while (!run_id.empty() && std::isspace(static_cast<unsigned char>(run_id.back())))
      run_id.pop_back();
    std::printf("  run_id       %s\n", run_id.c_str());
  } catch (const Error& e) {
    std::printf("  run_id       MISSING\n");
    problems.push_back("no run_id file");
  }
  std::unique_ptr<config::Config> cfg;
  try {
    cfg = std::make_unique<config::Config>(config::load_config(run::RunPaths(dir.string()).config()));
    const config::Config& c = *cfg;
    std::printf("  config       game %s%s, %d actors x %d games, %d simulations/move\n",
                c.game.name.c_str(),
                c.game.board_size ? (" " + std::to_string(c.game.board_size)).c_str() : "",
                c.actors.count, c.actors.games_per_actor, c.search.simulations);
    std::printf(
        "               model %d blocks x %d channels on %s (%s), learner batch %d, "
        "lr %g (%s)\n",
        c.model.blocks, c.model.channels, c.model.device.c_str(), c.model.precision.c_str(),
        c.learner.batch_size, c.learner.lr, c.learner.optimizer.c_str());
    std::printf("               writer %s, shards of %d positions or %g s\n",
                c.writer.endpoint.empty() ? "ipc" : c.writer.endpoint.c_str(),
                c.writer.shard_positions, c.writer.shard_seconds);
  } catch (const Error& e) {
    std::printf("  config       INVALID: %s\n", e.what());
    problems.push_back(std::string("config.yaml: ") + e.what());
  }
  return cfg;
}

// manifest: prints it; *have is set when there is a readable one.
writer::Manifest report_manifest(const fs::path& shards_dir, bool* have, Problems& problems) {
  writer::Manifest manifest;
  *have = false;
  try {
    if (fs::exists(run::manifest_path(shards_dir.string()))) {
      manifest = writer::load_manifest(shards_dir.string());
      *have = true;
      std::printf("  manifest     %zu shards, %llu records, %llu positions, %zu actors, next %s\n",
                  manifest.shards.size(), static_cast<unsigned long long>(manifest.total_records()),
                  static_cast<unsigned long long>(manifest.total_positions()),
                  manifest.actors.size(), run::shard_file_name(manifest.next_shard).c_str());
      for (const auto& [actor, seqs] : manifest.actors) {
        std::printf("               actor %u: %zu sequence range(s), last [%llu, %llu]\n", actor,
                    seqs.ranges().size(),
                    static_cast<unsigned long long>(seqs.ranges().rbegin()->first),
                    static_cast<unsigned long long>(seqs.ranges().rbegin()->second));
      }
    } else {
      std::printf("  manifest     none (no shard written yet)\n");
    }
  } catch (const Error& e) {
    std::printf("  manifest     INVALID: %s\n", e.what());
    problems.push_back(e.what());
  }
  return manifest;
}

// The shard files in `shards_dir` by index, and the quarantined (*.corrupt) names.
std::map<uint64_t, fs::path> list_shards(const fs::path& shards_dir,
                                         std::vector<std::string>* quarantined) {
  std::map<uint64_t, fs::path> files;
  if (!fs::is_directory(shards_dir)) return files;
  for (const auto& entry : fs::directory_iterator(shards_dir)) {
    const std::string name = entry.path().filename().string();
    uint64_t index;
    if (run::parse_shard_file_name(name, &index)) files[index] = entry.path();
    if (name.size() > 8 && name.compare(name.size() - 8, 8, ".corrupt") == 0)
      quarantined->push_back(name);
  }
  return files;
}

// shards: checks every file against the game and the manifest, and looks for duplicates.
void report_shards(const fs::path& shards_dir, const writer::Manifest& manifest,
                   bool have_manifest, const config::Config* cfg, Problems& problems) {
  std::vector<std::string> quarantined;
  const std::map<uint64_t, fs::path> files = list_shards(shards_dir, &quarantined);
  std::map<std::string, const writer::ShardEntry*> listed;
  for (const auto& s : manifest.shards) listed[s.file] = &s;
  uint64_t records = 0, positions = 0;
  int invalid = 0;
  std::set<std::pair<uint32_t, uint64_t>> seen;
  uint64_t duplicates = 0;
  for (const auto& [index, path] : files) {
    const std::string name = path.filename().string();
    const ShardReport rep = check_shard(path.string(), cfg);
    const std::string problem =
        rep.format_problem.empty() ? rep.validity_problem : rep.format_problem;
    if (!problem.empty()) {
      ++invalid;
      std::printf("  INVALID      %s: %s\n", name.c_str(), problem.c_str());
      problems.push_back(name + ": " + problem);
      continue;
    }
    records += rep.info.num_records;
    positions += rep.info.num_positions;
    for (const auto& r : rep.records)
      if (!seen.emplace(r.actor_id, r.sequence).second) ++duplicates;
    auto it = listed.find(name);
    if (have_manifest && it == listed.end()) {
      std::printf("  note         %s is not in the manifest (the writer adopts it at start)\n",
                  name.c_str());
    } else if (it != listed.end() && (it->second->records != rep.info.num_records ||
                                      it->second->positions != rep.info.num_positions)) {
      std::printf("  INVALID      %s: manifest says %llu records / %llu positions\n", name.c_str(),
                  static_cast<unsigned long long>(it->second->records),
                  static_cast<unsigned long long>(it->second->positions));
      problems.push_back(name + ": counts disagree with the manifest");
    }
  }
  for (const auto& s : manifest.shards) {
    uint64_t index = 0;
    run::parse_shard_file_name(s.file, &index);
    if (!files.count(index))
      std::printf("  note         %s is in the manifest but not on disk\n", s.file.c_str());
  }
  std::printf("  shards       %zu files, %llu records, %llu positions, %d invalid\n", files.size(),
              static_cast<unsigned long long>(records), static_cast<unsigned long long>(positions),
              invalid);
  if (!quarantined.empty())
    std::printf("               %zu quarantined (*.corrupt), e.g. %s\n", quarantined.size(),
                quarantined.front().c_str());
  if (duplicates > 0) {
    std::printf("  INVALID      %llu records appear in more than one place\n",
                static_cast<unsigned long long>(duplicates));
    problems.push_back(std::to_string(duplicates) + " duplicate records (actor, sequence)");
  }
}

// checkpoints: every file in checkpoints/ with its size.
void report_checkpoints(const fs::path& dir) {
  const fs::path ckpt_dir = run::RunPaths(dir.string()).checkpoints_dir();
  std::map<std::string, uintmax_t> ckpts;
  if (fs::is_directory(ckpt_dir))
    for (const auto& entry : fs::directory_iterator(ckpt_dir)) {
      std::error_code ec;
      ckpts[entry.path().filename().string()] = entry.is_regular_file() ? entry.file_size(ec) : 0;
    }
  std::printf("  checkpoints  %zu files%s\n", ckpts.size(), ckpts.empty() ? "" : ":");
  for (const auto& [name, size] : ckpts)
    std::printf("               %-32s %12llu bytes\n", name.c_str(),
                static_cast<unsigned long long>(size));
}

void inspect_run(const Options& o) {
  const fs::path dir = fs::absolute(o.path).lexically_normal();
  Problems problems;
  std::printf("run %s\n", dir.string().c_str());
  const std::unique_ptr<config::Config> cfg = report_run_config(dir, problems);
  const fs::path shards_dir = run::RunPaths(dir.string()).shards_dir();
  bool have_manifest = false;
  const writer::Manifest manifest = report_manifest(shards_dir, &have_manifest, problems);
  report_shards(shards_dir, manifest, have_manifest, cfg.get(), problems);
  report_checkpoints(dir);
  std::fflush(stdout);

  if (!problems.empty()) {
    std::string all = problems.front();
    if (problems.size() > 1) all += " (and " + std::to_string(problems.size() - 1) + " more)";
    throw FormatError("run " + dir.string() + " is invalid: " + all);
  }
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  CLI::App* cmd =
      app.add_subcommand("inspect", "Check and summarise a shard file or a run directory");
  cmd->add_option("path", opts->path, "A shard (.zps) or a run directory")->required();
  cmd->add_flag("--all", opts->all, "List every record of a shard");
  cmd->add_option("--first", opts->first, "Records of a shard to list (default 10)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([opts] {
    std::error_code ec;
    if (fs::is_directory(opts->path, ec))
      inspect_run(*opts);
    else if (fs::exists(opts->path, ec))
      inspect_shard(*opts);
    else
      throw IoError("inspect: " + opts->path + " does not exist");
  });
}

}  // namespace zp::cli
