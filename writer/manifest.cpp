#include "writer/manifest.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iterator>

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

namespace {

using Json = nlohmann::ordered_json;

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// `root` (an object) with one member per line, and the elements of array members one per
// line too, so that the file diffs and greps well: every token comes from nlohmann.
std::string dump_one_per_line(const Json& root) {
  std::string out = "{";
  const char* member_sep = "\n";
  for (const auto& [key, value] : root.items()) {
    out += member_sep;
    out += "  " + dump(Json(key)) + ": ";
    member_sep = ",\n";
    if (!value.is_array() || value.empty()) {
      out += dump(value);
      continue;
    }
    const char* element_sep = "[\n";
    for (const Json& element : value) {
      out += element_sep;
      out += "    " + dump(element);
      element_sep = ",\n";
    }
    out += "\n  ]";
  }
  return out + "\n}\n";
}

// The member `key` of the object `obj`; FormatError if it is missing.
const Json& member(const Json& obj, const char* key, const std::string& what) {
  if (!obj.is_object()) throw FormatError(what + ": expected an object, found " + dump(obj));
  const auto it = obj.find(key);
  if (it == obj.end()) throw FormatError(what + ": missing \"" + key + "\"");
  return *it;
}

// A non-negative integer, at most `max`.
uint64_t to_uint(const Json& v, const char* key, const std::string& what,
                 uint64_t max = UINT64_MAX) {
  if (!v.is_number_unsigned() || v.get<uint64_t>() > max)
    throw FormatError(what + ": \"" + key + "\" is not a valid count: " + dump(v));
  return v.get<uint64_t>();
}

uint64_t uint_member(const Json& obj, const char* key, const std::string& what) {
  return to_uint(member(obj, key, what), key, what);
}

std::string string_member(const Json& obj, const char* key, const std::string& what) {
  const Json& v = member(obj, key, what);
  if (!v.is_string()) throw FormatError(what + ": \"" + key + "\" is not a string: " + dump(v));
  return v.get<std::string>();
}

// An array member; a missing one is empty (as in manifests that never had an entry).
const Json& array_member(const Json& obj, const char* key, const std::string& what) {
  static const Json kEmpty = Json::array();
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return kEmpty;
  if (!it->is_array()) throw FormatError(what + ": \"" + key + "\" is not an array");
  return *it;
}

void parse_shards(const Json& root, const std::string& what, Manifest* m) {
  for (const Json& s : array_member(root, "shards", what)) {
    ShardEntry e;
    e.file = string_member(s, "file", what);
    e.records = uint_member(s, "records", what);
    e.positions = uint_member(s, "positions", what);
    uint64_t index;
    if (!run::parse_shard_file_name(e.file, &index))
      throw FormatError(what + ": \"" + e.file + "\" is not a shard file name");
    m->shards.push_back(e);
  }
}

void parse_actors(const Json& root, const std::string& what, Manifest* m) {
  for (const Json& a : array_member(root, "actors", what)) {
    const auto actor =
        static_cast<uint32_t>(to_uint(member(a, "actor", what), "actor", what, UINT32_MAX));
    SeqRanges& seqs = m->actors[actor];
    for (const Json& r : array_member(a, "ranges", what)) {
      if (!r.is_array() || r.size() != 2) throw FormatError(what + ": bad sequence range");
      const uint64_t lo = to_uint(r[0], "ranges", what), hi = to_uint(r[1], "ranges", what);
      if (lo > hi) throw FormatError(what + ": sequence range [lo, hi] with lo > hi");
      seqs.insert_range(lo, hi);
    }
  }
}

}  // namespace

std::string manifest_to_json(const Manifest& m) {
  Json root;
  root["format"] = "zeroplay-shards";
  root["version"] = 1;
  root["game"] = m.game;
  root["next_shard"] = m.next_shard;
  root["records"] = m.total_records();
  root["positions"] = m.total_positions();
  Json& shards = root["shards"] = Json::array();
  for (const ShardEntry& s : m.shards)
    shards.push_back({{"file", s.file}, {"records", s.records}, {"positions", s.positions}});
  Json& actors = root["actors"] = Json::array();
  for (const auto& [actor, seqs] : m.actors) {
    Json ranges = Json::array();
    for (const auto& [lo, hi] : seqs.ranges()) ranges.push_back({lo, hi});
    actors.push_back({{"actor", actor}, {"max_seq", seqs.max()}, {"ranges", std::move(ranges)}});
  }
  return dump_one_per_line(root);
}

Manifest parse_manifest(const std::string& text, const std::string& what) {
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::exception& e) {
    throw FormatError(what + ": " + e.what());
  }
  if (!root.is_object()) throw FormatError(what + ": not a JSON object");
  const auto format = root.find("format");
  if (format == root.end() || *format != "zeroplay-shards")
    throw FormatError(what + ": \"format\" is not \"zeroplay-shards\"");
  const Json& version = member(root, "version", what);
  if (version != 1) throw FormatError(what + ": unsupported version " + dump(version));
  Manifest m;
  m.game = string_member(root, "game", what);
  m.next_shard = uint_member(root, "next_shard", what);
  parse_shards(root, what, &m);
  parse_actors(root, what, &m);
  if (root.contains("records") && uint_member(root, "records", what) != m.total_records())
    throw FormatError(what + ": \"records\" disagrees with the shard list");
  if (root.contains("positions") && uint_member(root, "positions", what) != m.total_positions())
    throw FormatError(what + ": \"positions\" disagrees with the shard list");
  return m;
}

Manifest load_manifest(const std::string& dir) {
  const std::string path = run::manifest_path(dir);
  if (!std::filesystem::exists(path)) return {};
  return parse_manifest(read_file(path), path);
}

void save_manifest(const std::string& dir, const Manifest& m) {
  write_file_atomic(run::manifest_path(dir), manifest_to_json(m));
}

}  // namespace zp::writer
