#include "shared/arena/oracle.h"

#include <optional>
#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>

#include "shared/core/error.h"
#include "shared/core/parse.h"

namespace zp::arena {

namespace {

int sign_of(int score) { return score > 0 ? 1 : (score < 0 ? -1 : 0); }

}  // namespace

int LabelledPosition::sign(int col) const {
  ZP_CHECK(col >= 0 && col < kConnect4Columns && scores[col] != kFullColumn);
  return sign_of(scores[col]);
}

int LabelledPosition::best_sign() const {
  int best = -2;
  for (int s : scores)
    if (s != kFullColumn) best = std::max(best, sign_of(s));
  return best;
}

bool LabelledPosition::choice_matters() const {
  int lo = 2, hi = -2;
  for (int s : scores) {
    if (s == kFullColumn) continue;
    lo = std::min(lo, sign_of(s));
    hi = std::max(hi, sign_of(s));
  }
  return lo != hi;
}

std::vector<LabelledPosition> parse_labelled_positions(std::istream& in, const std::string& name,
                                                       const game::Game& game) {
  if (game.name() != "connect4")
    throw ConfigError("oracle positions are Connect Four positions; the game is " + game.name());
  std::vector<LabelledPosition> out;
  std::string text;
  int line_no = 0;
  while (std::getline(in, text)) {
    ++line_no;
    const size_t begin = text.find_first_not_of(" \t\r");
    if (begin == std::string::npos || text[begin] == '#') continue;
    auto fail = [&](const std::string& why) {
      throw FormatError(name + ":" + std::to_string(line_no) + ": " + why);
    };
    std::istringstream fields(text);
    LabelledPosition p;
    p.line = line_no;
    fields >> p.moves;
    std::unique_ptr<game::State> state;
    try {
      state = game.state_from_moves(p.moves);
    } catch (const Error& e) {
      fail(std::string("bad move string: ") + e.what());
    }
    if (state->is_terminal()) fail("the game is already over after '" + p.moves + "'");
    for (int c = 0; c < kConnect4Columns; ++c) {
      std::string token;
      if (!(fields >> token)) fail("expected 7 scores after the moves, got " + std::to_string(c));
      const std::optional<int64_t> score = parse_int(token);
      if (score && *score >= INT32_MIN && *score <= INT32_MAX) p.scores[c] = static_cast<int>(*score);
      else
        fail("score " + std::to_string(c + 1) + " '" + token + "' is not an integer");
      const bool full = !state->is_legal(c);
      if (full != (p.scores[c] == kFullColumn))
        fail("column " + std::to_string(c + 1) +
             (full ? " is full but its score is not -1000" : " is playable but scored -1000"));
      if (!full && (p.scores[c] < -100 || p.scores[c] > 100))
        fail("score " + std::to_string(c + 1) + " (" + token + ") is out of range");
    }
    std::string extra;
    if (fields >> extra) fail("unexpected text after the 7 scores: '" + extra + "'");
    out.push_back(std::move(p));
  }
  if (in.bad()) throw IoError("cannot read " + name);
  return out;
}

std::vector<LabelledPosition> read_labelled_positions(const std::string& path,
                                                      const game::Game& game) {
  std::ifstream in(path);
  if (!in) throw IoError("cannot open labelled positions " + path);
  return parse_labelled_positions(in, path, game);
}

OracleScore score_choices(const std::vector<LabelledPosition>& positions,
                          const std::vector<int>& choices) {
  ZP_CHECK_EQ(positions.size(), choices.size());
  OracleScore s;
  for (size_t i = 0; i < positions.size(); ++i) {
    const LabelledPosition& p = positions[i];
    const int c = choices[i];
    const bool playable = c >= 0 && c < kConnect4Columns && p.scores[c] != kFullColumn;
    const bool best = playable && p.sign(c) == p.best_sign();
    ++s.positions;
    if (!best) ++s.errors;
    if (p.choice_matters()) {
      ++s.matters;
      if (best) ++s.correct;
    }
  }
  return s;
}

ExpectedScore random_mover_expectation(const std::vector<LabelledPosition>& positions) {
  ExpectedScore e;
  int matters = 0;
  for (const LabelledPosition& p : positions) {
    int legal = 0, good = 0;
    for (int c = 0; c < kConnect4Columns; ++c) {
      if (p.scores[c] == kFullColumn) continue;
      ++legal;
      if (p.sign(c) == p.best_sign()) ++good;
    }
    const double share = double(good) / legal;
    e.error_rate += 1.0 - share;
    if (p.choice_matters()) {
      ++matters;
      e.accuracy += share;
    }
  }
  if (matters) e.accuracy /= matters;
  if (!positions.empty()) e.error_rate /= positions.size();
  return e;
}

std::vector<int> choose_on_positions(const std::vector<LabelledPosition>& positions,
                                     const game::Game& game, Player& player, int batch) {
  std::vector<int> choices;
  choices.reserve(positions.size());
  std::vector<std::unique_ptr<game::State>> states;
  std::vector<const game::State*> view;
  std::vector<game::Action> moves;
  for (size_t begin = 0; begin < positions.size(); begin += batch) {
    const size_t end = std::min(positions.size(), begin + static_cast<size_t>(batch));
    states.clear();
    view.clear();
    for (size_t i = begin; i < end; ++i) {
      states.push_back(game.state_from_moves(positions[i].moves));
      view.push_back(states.back().get());
    }
    player.choose_moves(view, &moves);
    for (game::Action a : moves) choices.push_back(a);
  }
  return choices;
}

}  // namespace zp::arena
