#include "writer/recovery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "shared/run/files.h"
#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/core/fault.h"
#include "shared/core/fs.h"
#include "shared/data/shard.h"

namespace zp::writer {

namespace fs = std::filesystem;

namespace {

// Reads and fully validates one shard; returns the problem, or "" if it is sound.
std::string check_shard(const std::string& path, const game::Game& game,
                        std::vector<data::GameRecord>* records, data::ShardInfo* info) {
  try {
    *records = data::read_shard(path, info);
    if (info->game_name != game.name())
      return "holds " + info->game_name + " games, the run plays " + game.name();
    for (const auto& r : *records) data::validate_record(r, game);
  } catch (const Error& e) {  // FormatError (bad bytes) or IoError (unreadable)
    return e.what();
  }
  return "";
}

void rename_corrupt(const fs::path& path, const std::string& why) {
  spdlog::warn("shard {} is invalid ({}); renaming it to {}.corrupt", path.string(), why,
               path.filename().string());
  std::error_code ec;
  fs::rename(path, path.string() + ".corrupt", ec);
  if (ec) throw IoError("cannot rename " + path.string() + ": " + ec.message());
}

// The manifest in `dir`; a corrupt one is renamed to manifest.json.corrupt and rebuilt (from
// nothing here, from the shard files by the caller). Sets *rebuilt then.
Manifest load_or_rebuild(const std::string& dir, bool* rebuilt) {
  *rebuilt = false;
  try {
    return load_manifest(dir);
  } catch (const FormatError& e) {
    spdlog::warn("{}; rebuilding the manifest from the shard files", e.what());
    std::error_code ec;
    const std::string manifest = run::manifest_path(dir);
    fs::rename(manifest, manifest + ".corrupt", ec);
    if (ec) throw IoError("cannot rename " + manifest + ": " + ec.message());
    *rebuilt = true;
    return Manifest{};
  }
}

// What is on disk: shard files by index, and the largest index of any shard-like name (in
// m->next_shard). Deletes temporaries left by a crash mid-write.
std::map<uint64_t, fs::path> scan_shards(const std::string& dir, Manifest* m,
                                         RecoveryReport* report) {
  std::error_code ec;
  std::map<uint64_t, fs::path> on_disk;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    // "*.tmp" (written by earlier versions) and write_file_atomic's "*.tmp.<pid>.<n>".
    if ((name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) ||
        is_temp_file_name(name)) {
      fs::remove(entry.path(), ec);
      ++report->temporaries;
      continue;
    }
    uint64_t index;
    std::string base = name;
    const std::string corrupt = ".corrupt";
    if (base.size() > corrupt.size() &&
        base.compare(base.size() - corrupt.size(), corrupt.size(), corrupt) == 0)
      base.resize(base.size() - corrupt.size());
    if (!run::parse_shard_file_name(base, &index)) continue;
    m->next_shard = std::max(m->next_shard, index + 1);
    if (base == name) on_disk[index] = entry.path();
  }
  return on_disk;
}

// Manifest entries whose file disappeared: drop them from the list, but keep their
// sequences, so the records are still known as durable and never accepted twice. Returns
// the names still listed; sets *changed when one was dropped.
std::set<std::string> drop_missing(const std::map<uint64_t, fs::path>& on_disk, Manifest* m,
                                   RecoveryReport* report, bool* changed) {
  std::set<std::string> listed;
  for (auto it = m->shards.begin(); it != m->shards.end();) {
    uint64_t index = 0;
    run::parse_shard_file_name(it->file, &index);
    if (!on_disk.count(index)) {
      spdlog::warn("shard {} is in the manifest but not on disk; dropping it from the list",
                   it->file);
      ++report->missing;
      *changed = true;
      it = m->shards.erase(it);
    } else {
      listed.insert(it->file);
      ++it;
    }
  }
  return listed;
}

void sort_by_index(std::vector<ShardEntry>* shards);

// Shards on disk that the manifest does not know: adopt the sound ones, quarantine the rest.
// Sets *changed when one was adopted. Beats `options.progress` per shard, logs progress every
// 5 s, and saves the manifest with what it adopted so far every `options.save_every_s`.
void adopt_unlisted(const std::string& dir, const std::map<uint64_t, fs::path>& on_disk,
                    const std::set<std::string>& listed, const game::Game& game,
                    const RecoveryOptions& options, Manifest* m, RecoveryReport* report,
                    bool* changed) {
  const size_t unlisted = on_disk.size() - listed.size();
  size_t checked = 0;
  Stopwatch since_log, since_save;
  for (const auto& [index, path] : on_disk) {
    const std::string name = path.filename().string();
    if (listed.count(name)) continue;
    if (options.progress) options.progress();
    if (since_log.seconds() >= 5.0) {
      since_log.reset();
      spdlog::info("recovery: checked {}/{} shards missing from the manifest (adopted {}, "
                   "corrupt {})", checked, unlisted, report->adopted, report->corrupt);
    }
    ++checked;
    std::vector<data::GameRecord> records;
    data::ShardInfo info;
    const std::string problem = check_shard(path.string(), game, &records, &info);
    if (!problem.empty()) {
      rename_corrupt(path, problem);
      ++report->corrupt;
      continue;
    }
    spdlog::info("adopting shard {} ({} records, {} positions) missing from the manifest", name,
                 info.num_records, info.num_positions);
    m->shards.push_back({name, info.num_records, info.num_positions});
    for (const auto& r : records) m->actors[r.actor_id].insert(r.sequence);
    ++report->adopted;
    report->adopted_records += info.num_records;
    report->adopted_positions += info.num_positions;
    *changed = true;
    fault_point("writer.recovery_adopted");
    if (since_save.seconds() >= options.save_every_s && checked < unlisted) {
      since_save.reset();
      sort_by_index(&m->shards);
      save_manifest(dir, *m);
    }
  }
}

void sort_by_index(std::vector<ShardEntry>* shards) {
  const auto index_of = [](const ShardEntry& e) {
    uint64_t i = 0;
    run::parse_shard_file_name(e.file, &i);
    return i;
  };
  std::sort(shards->begin(), shards->end(),
            [&](const ShardEntry& a, const ShardEntry& b) { return index_of(a) < index_of(b); });
}

}  // namespace

Manifest recover_manifest(const std::string& dir, const game::Game& game, RecoveryReport* report,
                          const RecoveryOptions& options) {
  *report = {};
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError("cannot create " + dir + ": " + ec.message());

  bool changed = false;
  Manifest m = load_or_rebuild(dir, &changed);
  report->manifest_rebuilt = changed;
  if (m.game.empty()) m.game = game.name();
  if (m.game != game.name())
    throw ConfigError(dir + " holds " + m.game + " shards, but the run's config plays " +
                      game.name());

  const std::map<uint64_t, fs::path> on_disk = scan_shards(dir, &m, report);
  const std::set<std::string> listed = drop_missing(on_disk, &m, report, &changed);
  adopt_unlisted(dir, on_disk, listed, game, options, &m, report, &changed);
  sort_by_index(&m.shards);
  if (changed) save_manifest(dir, m);
  return m;
}

}  // namespace zp::writer
