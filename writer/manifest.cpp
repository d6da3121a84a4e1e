#include "writer/manifest.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "shared/run/files.h"
#include "shared/core/fs.h"
#include "shared/core/error.h"
#include "shared/data/shard.h"

namespace zp::writer {

// --- SeqRanges ----------------------------------------------------------------------------

void SeqRanges::insert(uint64_t seq) { insert_range(seq, seq); }

void SeqRanges::insert_range(uint64_t lo, uint64_t hi) {
  // Start from the first range that could touch [lo, hi]: the last one starting <= lo.
  auto it = ranges_.upper_bound(lo);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second == UINT64_MAX || prev->second + 1 >= lo) it = prev;
  }
  // Swallow every range that overlaps or is adjacent to [lo, hi].
  while (it != ranges_.end() && (hi == UINT64_MAX || it->first <= hi + 1)) {
    lo = std::min(lo, it->first);
    hi = std::max(hi, it->second);
    it = ranges_.erase(it);
  }
  ranges_.emplace(lo, hi);
}

bool SeqRanges::contains(uint64_t seq) const {
  auto it = ranges_.upper_bound(seq);
  if (it == ranges_.begin()) return false;
  return std::prev(it)->second >= seq;
}

std::pair<uint64_t, uint64_t> SeqRanges::range_of(uint64_t seq) const {
  auto it = ranges_.upper_bound(seq);
  ZP_CHECK(it != ranges_.begin());
  --it;
  ZP_CHECK_GE(it->second, seq);
  return *it;
}

// --- Manifest -----------------------------------------------------------------------------

uint64_t Manifest::total_records() const {
  uint64_t n = 0;
  for (const auto& s : shards) n += s.records;
  return n;
}

uint64_t Manifest::total_positions() const {
  uint64_t n = 0;
  for (const auto& s : shards) n += s.positions;
  return n;
}

// Written by hand (one shard or actor per line, so the file diffs and greps well); read back
// with yaml-cpp, since JSON is a subset of YAML.
std::string manifest_to_json(const Manifest& m) {
  std::ostringstream os;
  os << "{\n  \"format\": \"zeroplay-shards\",\n  \"version\": 1,\n";
  os << "  \"game\": \"" << m.game << "\",\n";
  os << "  \"next_shard\": " << m.next_shard << ",\n";
  os << "  \"records\": " << m.total_records() << ",\n";
  os << "  \"positions\": " << m.total_positions() << ",\n";
  os << "  \"shards\": [";
  for (size_t i = 0; i < m.shards.size(); ++i) {
    const auto& s = m.shards[i];
    os << (i ? ",\n" : "\n") << "    {\"file\": \"" << s.file << "\", \"records\": " << s.records
       << ", \"positions\": " << s.positions << "}";
  }
  os << (m.shards.empty() ? "],\n" : "\n  ],\n");
  os << "  \"actors\": [";
  bool first = true;
  for (const auto& [actor, seqs] : m.actors) {
    os << (first ? "\n" : ",\n") << "    {\"actor\": " << actor << ", \"max_seq\": " << seqs.max()
       << ", \"ranges\": [";
    bool first_range = true;
    for (const auto& [lo, hi] : seqs.ranges()) {
      os << (first_range ? "" : ", ") << "[" << lo << ", " << hi << "]";
      first_range = false;
    }
    os << "]}";
    first = false;
  }
  os << (m.actors.empty() ? "]\n}\n" : "\n  ]\n}\n");
  return os.str();
}

Manifest parse_manifest(const std::string& text, const std::string& what) {
  Manifest m;
  try {
    const YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) throw FormatError(what + ": not a JSON object");
    if (!root["format"] || root["format"].as<std::string>() != "zeroplay-shards")
      throw FormatError(what + ": \"format\" is not \"zeroplay-shards\"");
    if (root["version"].as<int>() != 1)
      throw FormatError(what + ": unsupported version " + root["version"].as<std::string>());
    m.game = root["game"].as<std::string>();
    m.next_shard = root["next_shard"].as<uint64_t>();
    for (const auto& s : root["shards"]) {
      ShardEntry e;
      e.file = s["file"].as<std::string>();
      e.records = s["records"].as<uint64_t>();
      e.positions = s["positions"].as<uint64_t>();
      uint64_t index;
      if (!run::parse_shard_file_name(e.file, &index))
        throw FormatError(what + ": \"" + e.file + "\" is not a shard file name");
      m.shards.push_back(e);
    }
    for (const auto& a : root["actors"]) {
      SeqRanges& seqs = m.actors[a["actor"].as<uint32_t>()];
      for (const auto& r : a["ranges"]) {
        if (!r.IsSequence() || r.size() != 2) throw FormatError(what + ": bad sequence range");
        const uint64_t lo = r[0].as<uint64_t>(), hi = r[1].as<uint64_t>();
        if (lo > hi) throw FormatError(what + ": sequence range [lo, hi] with lo > hi");
        seqs.insert_range(lo, hi);
      }
    }
    if (root["records"] && root["records"].as<uint64_t>() != m.total_records())
      throw FormatError(what + ": \"records\" disagrees with the shard list");
    if (root["positions"] && root["positions"].as<uint64_t>() != m.total_positions())
      throw FormatError(what + ": \"positions\" disagrees with the shard list");
  } catch (const YAML::Exception& e) {
    throw FormatError(what + ": " + e.what());
  }
  return m;
}

Manifest load_manifest(const std::string& dir) {
  const std::string path = dir + "/manifest.json";
  if (!std::filesystem::exists(path)) return {};
  return parse_manifest(read_file(path), path);
}

void save_manifest(const std::string& dir, const Manifest& m) {
  write_file_atomic(dir + "/manifest.json", manifest_to_json(m));
}

}  // namespace zp::writer
