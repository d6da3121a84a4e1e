#include "shared/run/files.h"

#include <cstdio>
#include <optional>

#include "shared/core/parse.h"

namespace zp::run {

namespace {

// The number N of "<prefix>N<suffix>" (decimal digits only), or nullopt.
std::optional<uint64_t> numbered(const std::string& name, const std::string& prefix,
                                 const std::string& suffix) {
  if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return std::nullopt;
  const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.size() > 18) return std::nullopt;
  return parse_uint(digits);
}

}  // namespace

RunPaths::RunPaths(std::string run_dir) : dir(std::move(run_dir)) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
}

std::string RunPaths::model_file(int64_t version) const {
  return checkpoints_dir() + "/" + model_file_name(version);
}

std::string manifest_path(const std::string& shards_dir) { return shards_dir + "/manifest.json"; }
std::string latest_path(const std::string& dir) { return dir + "/latest"; }
std::string training_state_path(const std::string& dir) { return dir + "/training_state.pt"; }
std::string learner_state_path(const std::string& dir) { return dir + "/learner_state"; }

std::string model_file_name(int64_t version) {
  return "model-" + std::to_string(version) + ".zpck";
}

bool parse_model_file_name(const std::string& name, int64_t* version) {
  const std::optional<uint64_t> v = numbered(name, "model-", ".zpck");
  if (!v) return false;
  *version = static_cast<int64_t>(*v);
  return true;
}

std::string shard_file_name(uint64_t index) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "shard-%06llu.zps", static_cast<unsigned long long>(index));
  return buf;
}

bool parse_shard_file_name(const std::string& name, uint64_t* index) {
  const std::optional<uint64_t> v = numbered(name, "shard-", ".zps");
  if (!v) return false;
  *index = *v;
  return true;
}

bool shard_name_less(const std::string& a, const std::string& b) {
  uint64_t ia = 0, ib = 0;
  const bool sa = parse_shard_file_name(a, &ia), sb = parse_shard_file_name(b, &ib);
  if (sa != sb) return sa;
  if (sa && ia != ib) return ia < ib;
  return a < b;
}

}  // namespace zp::run
