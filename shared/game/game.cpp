#include "shared/game/game.h"

#include <sstream>

#include "shared/core/error.h"

namespace zp::game {

void Game::transform_observation(int sym, const float* in, float* out) const {
  const ObsShape shape = observation_shape();
  const int cells = shape.height * shape.width;
  for (int p = 0; p < shape.planes; ++p) {
    const float* src = in + p * cells;
    float* dst = out + p * cells;
    for (int c = 0; c < cells; ++c) dst[transform_cell(sym, c)] = src[c];
  }
}

void Game::transform_policy(int sym, const float* in, float* out) const {
  const int n = num_actions();
  for (int a = 0; a < n; ++a) out[transform_action(sym, a)] = in[a];
}

std::vector<Action> Game::parse_moves(std::string_view text) const {
  // Tokenize: compact lists are one character per move, others are whitespace-separated.
  std::vector<std::string> tokens;
  if (compact_move_list()) {
    for (char ch : text)
      if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') tokens.emplace_back(1, ch);
  } else {
    std::istringstream is{std::string(text)};
    std::string tok;
    while (is >> tok) tokens.push_back(tok);
  }
  std::vector<Action> moves;
  auto state = new_initial_state();
  for (size_t i = 0; i < tokens.size(); ++i) {
    Action a;
    try {
      a = parse_action(tokens[i]);
    } catch (const FormatError& e) {
      throw FormatError("move " + std::to_string(i + 1) + " of '" + std::string(text) +
                        "': " + e.what());
    }
    if (state->is_terminal())
      throw StateError("move " + std::to_string(i + 1) + " ('" + tokens[i] + "') of '" +
                       std::string(text) + "' comes after the game has ended");
    if (!state->is_legal(a))
      throw StateError("move " + std::to_string(i + 1) + " ('" + tokens[i] + "') of '" +
                       std::string(text) + "' is illegal");
    state->apply(a);
    moves.push_back(a);
  }
  return moves;
}

std::string Game::moves_to_string(const std::vector<Action>& moves) const {
  std::string out;
  for (size_t i = 0; i < moves.size(); ++i) {
    if (i > 0 && !compact_move_list()) out += ' ';
    out += action_to_string(moves[i]);
  }
  return out;
}

std::unique_ptr<State> Game::state_from_moves(std::string_view text) const {
  auto state = new_initial_state();
  for (Action a : parse_moves(text)) state->apply(a);
  return state;
}

std::unique_ptr<State> State::transformed(int sym) const {
  auto t = game().new_initial_state();
  for (Action a : history_) t->apply_checked(game().transform_action(sym, a));
  return t;
}

void State::apply_checked(Action a) {
  if (is_terminal())
    throw StateError("move " + game().action_to_string(a) + " applied to a finished game");
  if (a < 0 || a >= game().num_actions() || !is_legal(a))
    throw StateError("illegal move " +
                     (a >= 0 && a < game().num_actions() ? game().action_to_string(a)
                                                         : std::to_string(a)));
  apply(a);
}

}  // namespace zp::game
