// Checkpoints: one byte format used on disk (checkpoints/*.zpck, resume) and in the
// shared-memory model store, so a slot can be written to disk as it is and back.
//
// Byte layout, all integers little-endian ("str" = u32 byte length + that many bytes, no NUL):
//
//   offset    size  field
//   0         4     magic "ZPCK"
//   4         4     u32 format version (kCheckpointFormatVersion = 1)
//   8         4     u32 M: metadata length in bytes
//   12        M     metadata, in this order:
//                     str  game name               Game::name(), e.g. "connect4"
//                     str  game params             Game::params_string(), e.g. "size=9"
//                     i32  obs planes, height, width   Game::observation_shape()
//                     i32  num_actions             Game::num_actions()
//                     i32  blocks, channels, policy_channels, value_channels, value_hidden
//                                                  the ModelConfig shape fields
//                     i64  training step           learner step that produced the weights
//                     i64  model version           version published to the model store
//                   (a reader of version 1 ignores metadata bytes past the fields it knows,
//                   so fields may be appended without a version bump)
//   12+M      8     u64 W: weights length in bytes
//   20+M      W     weights: torch::save of the network module (PyTorch's zip archive of the
//                   fp32 parameters and BatchNorm buffers, keyed by module path)
//   20+M+W    8     u64 XXH64 (seed 0) of bytes [0, 20+M+W)
//
// Nothing follows the checksum. Decoding checks, in order: length >= 28, magic, version,
// that every length stays inside the bytes, the checksum, and no trailing bytes; each failure
// is a FormatError naming the problem. A missing or unreadable file is an IoError.
//
// This header and checkpoint.cpp use no torch: they frame and check bytes. The network code
// (network.cpp) produces and consumes the weights blob. All functions are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shared/config/config.h"
#include "shared/game/game.h"

namespace zp::model {

constexpr uint32_t kCheckpointFormatVersion = 1;

struct CheckpointMeta {
  std::string game;
  std::string game_params;
  game::ObsShape obs;
  int num_actions = 0;
  int blocks = 0;
  int channels = 0;
  int policy_channels = 0;
  int value_channels = 0;
  int value_hidden = 0;
  int64_t training_step = 0;
  int64_t model_version = 0;
};

// Metadata describing `game` with the network shape from `model`.
CheckpointMeta make_checkpoint_meta(const game::Game& game, const config::ModelConfig& model,
                                    int64_t training_step, int64_t model_version);

// One line for logs and `inspect`, e.g.
//   "connect4 5x64 (policy 2, value 1/64), obs 3x6x7, 7 actions, step 1200, version 12".
std::string describe_checkpoint(const CheckpointMeta& meta);

// Frames `weights` with `meta` into the byte format above.
std::string encode_checkpoint(const CheckpointMeta& meta, std::string_view weights);

// A decoded checkpoint. `weights` points into the bytes given to decode_checkpoint, which
// must outlive it.
struct DecodedCheckpoint {
  CheckpointMeta meta;
  std::string_view weights;
};
// Validates and splits checkpoint bytes. Throws FormatError (see the checks above).
DecodedCheckpoint decode_checkpoint(std::string_view bytes);

// Throws FormatError unless the checkpoint fits `game` and the shape fields of `model`. The
// message says exactly what differs, e.g.
//   "checkpoint is for connect4 5x64, config wants gomoku(size=9) 6x96 (game: connect4 vs
//    gomoku; game params: '' vs 'size=9'; blocks: 5 vs 6; channels: 64 vs 96)".
// `source` (a path, "model store slot 1", ...) prefixes the message when not empty.
void check_compatible(const CheckpointMeta& meta, const game::Game& game,
                      const config::ModelConfig& model, const std::string& source = "");

// Reads a checkpoint file and validates it (decode_checkpoint); returns its bytes.
// Throws IoError (missing/unreadable) or FormatError prefixed with the path.
std::string read_checkpoint_file(const std::string& path);
// Reads just the metadata of a checkpoint file (validating the whole file), for `inspect`.
CheckpointMeta read_checkpoint_meta(const std::string& path);

}  // namespace zp::model
