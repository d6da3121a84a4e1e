// The Game / State interface (after OpenSpiel's), shared by every game.
//
// A `Game` is an immutable description (board size, action count, observation shape,
// symmetries) built from parameters; it is shared by all its states and is thread-safe.
// A `State` is a value: copyable through clone()/copy_from(), cheap to copy, owned by one
// thread. Not thread-safe.
//
// Players are 0 (moves first) and 1. Actions are dense ints in [0, num_actions()).
// Hot-path calls (legal_actions, apply, is_terminal, write_observation) never allocate once
// the caller's vectors have reached their capacity.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace zp::game {

using Action = int32_t;
constexpr Action kInvalidAction = -1;

// Observation tensor shape: planes x height x width, row-major, float32.
struct ObsShape {
  int planes = 0, height = 0, width = 0;
  int size() const { return planes * height * width; }
  bool operator==(const ObsShape& o) const {
    return planes == o.planes && height == o.height && width == o.width;
  }
};

class State;

class Game {
 public:
  virtual ~Game() = default;

  // Registry name, e.g. "connect4"; also written into checkpoints and records.
  virtual std::string name() const = 0;
  // A short string of the parameters that change shapes (e.g. "size=9"), for checkpoints.
  virtual std::string params_string() const { return ""; }
  // Size of the policy vector.
  virtual int num_actions() const = 0;
  virtual ObsShape observation_shape() const = 0;
  // Upper bound on the number of moves in a game.
  virtual int max_game_length() const = 0;
  virtual std::unique_ptr<State> new_initial_state() const = 0;

  // --- Symmetries -------------------------------------------------------------------------
  // Symmetry 0 is the identity. A symmetry maps board cells (y * width + x) and actions; the
  // generic transforms below use these two maps to permute observations and policies.
  virtual int num_symmetries() const { return 1; }
  virtual int transform_cell(int sym, int cell) const { return (void)sym, cell; }
  virtual Action transform_action(int sym, Action a) const { return (void)sym, a; }
  // out[plane][transform_cell(sym, c)] = in[plane][c]. `in` and `out` must not alias.
  void transform_observation(int sym, const float* in, float* out) const;
  // out[transform_action(sym, a)] = in[a]. `in` and `out` must not alias.
  void transform_policy(int sym, const float* in, float* out) const;

  // --- Text ---------------------------------------------------------------------------------
  // One move as people write it ("4" in Connect Four, "h8" in Gomoku) and back. parse_action
  // throws FormatError on garbage; it does not check legality.
  virtual std::string action_to_string(Action a) const = 0;
  virtual Action parse_action(std::string_view text) const = 0;
  // A whole move list from the initial position, e.g. "4453" (Connect Four), "h8 i9" (Gomoku).
  // parse_moves throws FormatError naming the bad token, and StateError on an illegal or
  // post-terminal move (it replays the list to check).
  virtual std::vector<Action> parse_moves(std::string_view text) const;
  virtual std::string moves_to_string(const std::vector<Action>& moves) const;
  // Whether moves are written with no separator (digit games) or space-separated.
  virtual bool compact_move_list() const { return false; }
  // Plays a move list from the initial position (uses parse_moves).
  std::unique_ptr<State> state_from_moves(std::string_view text) const;
};

class State {
 public:
  explicit State(const Game* game) : game_(game) {}
  virtual ~State() = default;

  const Game& game() const { return *game_; }

  // Applies a legal action and records it in the history. Precondition: !is_terminal() and
  // the action is legal (checked by apply_checked, not here: this is the hot path).
  void apply(Action a) {
    do_apply(a);
    history_.push_back(a);
  }
  // Same, but throws StateError on an illegal action or a terminal state.
  void apply_checked(Action a);

  // Legal actions in increasing order, written into `out` (cleared first). Empty iff terminal.
  virtual void legal_actions(std::vector<Action>* out) const = 0;
  std::vector<Action> legal_actions() const {
    std::vector<Action> v;
    legal_actions(&v);
    return v;
  }
  virtual bool is_legal(Action a) const = 0;
  virtual bool is_terminal() const = 0;
  // The player to move, 0 or 1. Meaningless once terminal.
  virtual int current_player() const = 0;
  // Final outcome for `player` once terminal: +1 win, -1 loss, 0 draw.
  virtual float returns(int player) const = 0;
  // Outcome for the player who made the last move (cheap helper for search): +1, -1 or 0.
  float last_mover_return() const { return returns(1 - current_player()); }

  // Writes observation_shape().size() floats; layout is documented per game.
  virtual void write_observation(float* out) const = 0;
  // Human-readable board.
  virtual std::string to_string() const = 0;

  virtual std::unique_ptr<State> clone() const = 0;
  // Copies `other` (same concrete game) into this state without allocating when capacity
  // allows. Precondition: other.game() is the same Game object.
  virtual void copy_from(const State& other) = 0;
  // Equality of position and history.
  virtual bool equals(const State& other) const = 0;
  // This position mapped through symmetry `sym` of game(): the board transformed, the same
  // player to move, each move of the history mapped by transform_action. The default replays
  // the mapped history from the initial state (apply_checked: StateError if a mapped move is
  // illegal), which is right when every symmetry keeps the initial position (tictactoe,
  // connect4, gomoku). A game whose opening some symmetry changes overrides it (othello:
  // mirroring its opening gives a position it cannot reach). Not a hot path: the learner
  // transforms observations and policies; the conformance suite checks symmetries with this.
  virtual std::unique_ptr<State> transformed(int sym) const;

  const std::vector<Action>& history() const { return history_; }
  int move_number() const { return static_cast<int>(history_.size()); }

 protected:
  virtual void do_apply(Action a) = 0;
  void copy_base(const State& other) { history_ = other.history_; }
  // Maps every move of the history through symmetry `sym` (for overrides of transformed()).
  void transform_history(int sym) {
    for (Action& a : history_) a = game_->transform_action(sym, a);
  }
  bool base_equals(const State& other) const {
    return game_ == other.game_ && history_ == other.history_;
  }

 private:
  const Game* game_;
  std::vector<Action> history_;
};

}  // namespace zp::game
