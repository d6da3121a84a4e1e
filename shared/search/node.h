// MCTS node layout. Nodes live in a per-tree pool (a std::vector reused across moves); the
// children of a node are contiguous in the pool, so selection scans one cache-friendly run.
//
// Value convention: `value_sum` is from the point of view of the player who made the move
// INTO this node (the player to move at the parent). The parent therefore picks the child
// with the largest Q = value_sum / visits plus the exploration term.
#pragma once

#include <cstdint>

namespace zp::search {

struct Node {
  int32_t first_child = -1;   // pool index of the first child; -1 = not expanded
  int32_t visits = 0;         // completed visits
  float value_sum = 0.0f;     // sum of backed-up values (mover's point of view)
  float prior = 0.0f;         // policy prior of the move into this node
  uint16_t num_children = 0;
  int16_t action = -1;        // move that leads here from the parent
  uint16_t pending = 0;       // in-flight visits of this round (virtual loss)
  uint8_t flags = 0;          // kTerminal | kAwaitingEval, and the terminal outcome
  uint8_t unused = 0;

  static constexpr uint8_t kTerminal = 1;      // game over at this node
  static constexpr uint8_t kAwaitingEval = 2;  // expanded, priors not yet known
  static constexpr uint8_t kOutcomeShift = 2;  // terminal outcome + 1 in bits 2..3

  bool expanded() const { return first_child >= 0; }
  bool terminal() const { return flags & kTerminal; }
  bool awaiting_eval() const { return flags & kAwaitingEval; }
  // Terminal outcome for the mover into this node: +1, 0 or -1.
  float terminal_value() const { return static_cast<float>((flags >> kOutcomeShift) & 3) - 1.0f; }
  void set_terminal(float outcome) {
    flags = static_cast<uint8_t>(kTerminal | ((static_cast<int>(outcome) + 1) << kOutcomeShift));
  }
};

// Fixed layout, checked: the hot loop touches only these 24 bytes per child.
static_assert(sizeof(Node) == 24, "Node layout changed; keep it at 24 bytes");

}  // namespace zp::search
