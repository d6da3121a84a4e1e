#include "learner/learner_state.h"

#include "shared/run/files.h"

#include <optional>
#include <algorithm>
#include <filesystem>
#include <sstream>
#include <utility>
#include <vector>

#include "shared/core/fs.h"
#include "shared/core/error.h"
#include "shared/core/parse.h"
#include "shared/core/log.h"
#include "shared/model/checkpoint.h"

namespace zp::learner {

namespace fs = std::filesystem;

using run::learner_state_path;
using run::model_file_name;

namespace {
// Prefix of the lines that record the config keys fixed for a run.
const std::string kFixedPrefix = "config.";
}  // namespace

void save_learner_state(const std::string& dir, const LearnerState& s) {
  std::ostringstream os;
  os << "# zeroplay learner state, written with training_state.pt\n"
     << "step " << s.step << "\n"
     << "version " << s.version << "\n"
     << "samples_trained " << s.samples_trained << "\n"
     << "positions_ingested " << s.positions_ingested << "\n"
     << "last_shard " << s.last_shard << "\n";
  for (const auto& [version, step] : s.version_steps)
    os << "version_step " << version << " " << step << "\n";
  for (const auto& [key, value] : s.fixed) os << kFixedPrefix << key << " " << value << "\n";
  write_file_atomic(learner_state_path(dir), os.str());
}

LearnerState load_learner_state(const std::string& dir) {
  const std::string path = learner_state_path(dir);
  return parse_learner_state(read_file(path), path);
}

LearnerState parse_learner_state(const std::string& text, const std::string& path) {
  std::istringstream in(text);
  LearnerState s;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.find(' ');
    const std::string key = line.substr(0, sp);
    const std::string value = sp == std::string::npos ? "" : line.substr(sp + 1);
    auto number_of = [&](const std::string& text) -> int64_t {
      const std::optional<uint64_t> v = parse_uint(text);
      if (!v || *v > static_cast<uint64_t>(INT64_MAX))
        throw FormatError(path + ": " + key + ": bad value '" + value + "'");
      return static_cast<int64_t>(*v);
    };
    auto number = [&] { return number_of(value); };
    if (key == "step") s.step = number();
    else if (key == "version") s.version = number();
    else if (key == "samples_trained") s.samples_trained = number();
    else if (key == "positions_ingested") s.positions_ingested = number();
    else if (key == "last_shard") s.last_shard = value;
    else if (key == "version_step") {
      const size_t mid = value.find(' ');
      if (mid == std::string::npos)
        throw FormatError(path + ": version_step: bad value '" + value + "' (want: version step)");
      s.version_steps.emplace_back(number_of(value.substr(0, mid)),
                                   number_of(value.substr(mid + 1)));
    }
    else if (key.rfind(kFixedPrefix, 0) == 0)
      s.fixed.emplace_back(key.substr(kFixedPrefix.size()), value);
  }
  return s;
}

void write_latest(const std::string& dir, int64_t version) {
  write_file_atomic(run::latest_path(dir), model_file_name(version) + "\n");
}

namespace {

// model-<v>.zpck files in `dir`, sorted by version.
std::vector<std::pair<int64_t, fs::path>> model_files(const std::string& dir) {
  std::vector<std::pair<int64_t, fs::path>> files;
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    int64_t version = 0;
    if (run::parse_model_file_name(name, &version)) files.emplace_back(version, it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

std::vector<int64_t> model_versions(const std::string& dir) {
  std::vector<int64_t> versions;
  for (const auto& [v, path] : model_files(dir)) versions.push_back(v);
  std::reverse(versions.begin(), versions.end());
  return versions;
}

int64_t highest_model_version(const std::string& dir) {
  const auto files = model_files(dir);
  return files.empty() ? 0 : files.back().first;
}

int prune_model_files(const std::string& dir, int keep) {
  const auto files = model_files(dir);
  int removed = 0;
  std::error_code ec;
  for (size_t i = 0; i + static_cast<size_t>(keep) < files.size(); ++i) {
    if (fs::remove(files[i].second, ec)) {
      ++removed;
    } else if (ec) {
      spdlog::warn("cannot remove old checkpoint {}: {}", files[i].second.string(), ec.message());
    }
  }
  return removed;
}

}  // namespace zp::learner
