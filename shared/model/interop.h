// Interoperation with other implementations of the network (the Python package, its
// exports), without torch headers: so C++ can run an exported model and tests can check that
// every implementation computes what the C++ checkpoint computes.
//
// make_torchscript_backend: a TorchScript network (the file `zeroplay export --format
// torchscript` writes) behind the nn::Backend interface, fp32 on the CPU.
//
// The module's forward takes observations [N, P, H, W] (float32) and returns the tuple
// (policy logits [N, A], value [N, 1]), as PolicyValueNet does (network.h). compute() masks
// and softmaxes exactly as the LibTorch backend does: illegal logits set to -inf before the
// softmax, illegal probabilities then exactly 0.
//
// The export stores its metadata in the extra file "zeroplay.json" of the TorchScript archive
// (docs/formats.md); read_torchscript_metadata returns that text ("" when the file has none).
// Not thread-safe: one owner thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "shared/game/game.h"
#include "shared/nn/backend.h"

namespace zp::model {

// Loads `path` with torch::jit::load onto the CPU. Throws IoError (missing or unreadable file)
// or FormatError (not a TorchScript archive, or its outputs do not fit `game`, checked with
// one forward on the initial position).
std::unique_ptr<nn::Backend> make_torchscript_backend(const game::Game& game,
                                                      const std::string& path, int max_batch);

// The "zeroplay.json" extra file of a TorchScript archive. Same errors as above.
std::string read_torchscript_metadata(const std::string& path);

// The same checkpoint as the C++ network writes it: decodes `checkpoint_bytes`, loads the
// weights into a PolicyValueNet of the checkpoint's shape and encodes them again with
// serialize_weights (metadata unchanged). For checkpoints written elsewhere (zeroplay.save in
// Python). Throws FormatError.
std::string rewrite_checkpoint(std::string_view checkpoint_bytes);

}  // namespace zp::model
