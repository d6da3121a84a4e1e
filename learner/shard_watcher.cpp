#include "learner/shard_watcher.h"

#include <algorithm>
#include <filesystem>

#include "shared/core/error.h"
#include "shared/core/log.h"
#include "shared/data/shard.h"
#include "shared/run/files.h"

namespace zp::learner {

namespace fs = std::filesystem;

namespace {

bool is_shard_name(const std::string& name) {
  const std::string ext = ".zps";
  return name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
}

}  // namespace

ShardWatcher::ShardWatcher(std::string dir, const game::Game& game)
    : dir_(std::move(dir)), game_(game) {}

std::vector<std::string> ShardWatcher::list() const {
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(dir_, ec), end;
  // A missing directory is "no shards yet"; entries vanishing mid-listing are harmless.
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (is_shard_name(name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end(), run::shard_name_less);
  return names;
}

std::vector<IngestedShard> ShardWatcher::poll(size_t max_shards) {
  std::vector<IngestedShard> out;
  for (const std::string& name : list()) {
    if (out.size() >= max_shards) break;
    if (handled(name)) continue;
    if (auto shard = read(name)) out.push_back(std::move(*shard));
  }
  return out;
}

std::optional<IngestedShard> ShardWatcher::read(const std::string& name) {
  handled_.insert(name);
  const std::string path = dir_ + "/" + name;
  IngestedShard shard;
  shard.name = name;
  try {
    data::ShardInfo info;
    shard.records = data::read_shard(path, &info);
    for (size_t i = 0; i < shard.records.size(); ++i) {
      try {
        data::validate_record(shard.records[i], game_);
      } catch (const FormatError& e) {
        throw FormatError("shard " + path + ": record " + std::to_string(i) + ": " + e.what());
      }
      shard.positions += shard.records[i].num_positions();
    }
  } catch (const FormatError& e) {
    ++skipped_;
    spdlog::warn("skipping corrupt shard {}: {}", name, e.what());
    return std::nullopt;
  } catch (const IoError& e) {
    ++skipped_;
    spdlog::warn("skipping unreadable shard {}: {}", name, e.what());
    return std::nullopt;
  }
  return shard;
}

}  // namespace zp::learner
