#include "shared/model/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "shared/core/error.h"
#include "shared/core/fs.h"
#include "shared/core/bytes.h"

namespace zp::model {

namespace {

constexpr char kMagic[4] = {'Z', 'P', 'C', 'K'};
// magic + version + metadata length + weights length + checksum.
constexpr size_t kMinSize = 4 + 4 + 4 + 8 + 8;

std::string label(const std::string& game, const std::string& params, int blocks, int channels) {
  std::string s = game;
  if (!params.empty()) s += "(" + params + ")";
  return s + " " + std::to_string(blocks) + "x" + std::to_string(channels);
}

std::string obs_string(const game::ObsShape& s) {
  return std::to_string(s.planes) + "x" + std::to_string(s.height) + "x" + std::to_string(s.width);
}

}  // namespace

CheckpointMeta make_checkpoint_meta(const game::Game& game, const config::ModelConfig& model,
                                    int64_t training_step, int64_t model_version) {
  CheckpointMeta m;
  m.game = game.name();
  m.game_params = game.params_string();
  m.obs = game.observation_shape();
  m.num_actions = game.num_actions();
  m.blocks = model.blocks;
  m.channels = model.channels;
  m.policy_channels = model.policy_channels;
  m.value_channels = model.value_channels;
  m.value_hidden = model.value_hidden;
  m.training_step = training_step;
  m.model_version = model_version;
  return m;
}

std::string describe_checkpoint(const CheckpointMeta& m) {
  std::ostringstream os;
  os << label(m.game, m.game_params, m.blocks, m.channels) << " (policy " << m.policy_channels
     << ", value " << m.value_channels << "/" << m.value_hidden << "), obs " << obs_string(m.obs)
     << ", " << m.num_actions << " actions, step " << m.training_step << ", version "
     << m.model_version;
  return os.str();
}

std::string encode_checkpoint(const CheckpointMeta& m, std::string_view weights) {
  std::string meta;
  put_str(&meta, m.game);
  put_str(&meta, m.game_params);
  for (int v : {m.obs.planes, m.obs.height, m.obs.width, m.num_actions, m.blocks, m.channels,
                m.policy_channels, m.value_channels, m.value_hidden}) {
    put<uint32_t>(&meta, static_cast<uint32_t>(v));
  }
  put<uint64_t>(&meta, static_cast<uint64_t>(m.training_step));
  put<uint64_t>(&meta, static_cast<uint64_t>(m.model_version));

  std::string out;
  out.reserve(kMinSize + meta.size() + weights.size());
  out.append(kMagic, 4);
  put<uint32_t>(&out, kCheckpointFormatVersion);
  put<uint32_t>(&out, static_cast<uint32_t>(meta.size()));
  out += meta;
  put<uint64_t>(&out, weights.size());
  out.append(weights.data(), weights.size());
  put<uint64_t>(&out, XXH64(out.data(), out.size(), 0));
  return out;
}

// Checks run cheapest-first: size, magic and version before hashing megabytes of weights,
// so a wrong file type gets the clearer message. Metadata is parsed only after the checksum
// passed, so its lengths can be trusted.
DecodedCheckpoint decode_checkpoint(std::string_view bytes) {
  if (bytes.size() < kMinSize) {
    throw FormatError("checkpoint truncated: " + std::to_string(bytes.size()) +
                      " bytes, a checkpoint has at least " + std::to_string(kMinSize));
  }
  if (std::memcmp(bytes.data(), kMagic, 4) != 0) {
    throw FormatError("not a checkpoint: bad magic (expected \"ZPCK\")");
  }
  ByteReader r(bytes, "checkpoint");
  r.take(4, "magic");
  const uint32_t version = r.get<uint32_t>("format version");
  if (version != kCheckpointFormatVersion) {
    throw FormatError("checkpoint format version " + std::to_string(version) +
                      " is not supported (this build reads version " +
                      std::to_string(kCheckpointFormatVersion) + ")");
  }
  const uint32_t meta_len = r.get<uint32_t>("metadata length");
  ByteReader meta(r.take(meta_len, "metadata"), "checkpoint metadata");
  const uint64_t weights_len = r.get<uint64_t>("weights length");
  DecodedCheckpoint d;
  d.weights = r.take(weights_len, "weights");
  const size_t checked = r.pos();
  const uint64_t stored = r.get<uint64_t>("checksum");
  if (r.remaining() != 0) {
    throw FormatError("checkpoint has " + std::to_string(r.remaining()) +
                      " unexpected trailing bytes");
  }
  if (stored != XXH64(bytes.data(), checked, 0)) {
    throw FormatError("checkpoint checksum mismatch (corrupted bytes)");
  }

  CheckpointMeta& m = d.meta;
  m.game = meta.str("game name");
  m.game_params = meta.str("game params");
  m.obs.planes = meta.get<int32_t>("obs planes");
  m.obs.height = meta.get<int32_t>("obs height");
  m.obs.width = meta.get<int32_t>("obs width");
  m.num_actions = meta.get<int32_t>("num_actions");
  m.blocks = meta.get<int32_t>("blocks");
  m.channels = meta.get<int32_t>("channels");
  m.policy_channels = meta.get<int32_t>("policy_channels");
  m.value_channels = meta.get<int32_t>("value_channels");
  m.value_hidden = meta.get<int32_t>("value_hidden");
  m.training_step = meta.get<int64_t>("training step");
  m.model_version = meta.get<int64_t>("model version");
  return d;
}

// Every field that changes a tensor shape is compared; step and version are not (any
// version of the right shape loads).
void check_compatible(const CheckpointMeta& m, const game::Game& game,
                      const config::ModelConfig& model, const std::string& source) {
  const CheckpointMeta want = make_checkpoint_meta(game, model, 0, 0);
  std::string diffs;
  auto diff = [&diffs](const std::string& field, const std::string& have,
                       const std::string& wanted) {
    if (have == wanted) return;
    if (!diffs.empty()) diffs += "; ";
    diffs += field + ": " + have + " vs " + wanted;
  };
  diff("game", m.game, want.game);
  diff("game params", "'" + m.game_params + "'", "'" + want.game_params + "'");
  diff("observation", obs_string(m.obs), obs_string(want.obs));
  diff("actions", std::to_string(m.num_actions), std::to_string(want.num_actions));
  diff("blocks", std::to_string(m.blocks), std::to_string(want.blocks));
  diff("channels", std::to_string(m.channels), std::to_string(want.channels));
  diff("policy_channels", std::to_string(m.policy_channels), std::to_string(want.policy_channels));
  diff("value_channels", std::to_string(m.value_channels), std::to_string(want.value_channels));
  diff("value_hidden", std::to_string(m.value_hidden), std::to_string(want.value_hidden));
  if (diffs.empty()) return;
  throw FormatError((source.empty() ? "" : source + ": ") + "checkpoint is for " +
                    label(m.game, m.game_params, m.blocks, m.channels) + ", config wants " +
                    label(want.game, want.game_params, want.blocks, want.channels) + " (" + diffs +
                    ")");
}

std::string read_checkpoint_file(const std::string& path) {
  std::string bytes = read_file(path);
  try {
    decode_checkpoint(bytes);
  } catch (const FormatError& e) {
    throw FormatError(path + ": " + e.what());
  }
  return bytes;
}

CheckpointMeta read_checkpoint_meta(const std::string& path) {
  const std::string bytes = read_checkpoint_file(path);
  return decode_checkpoint(bytes).meta;
}

}  // namespace zp::model
