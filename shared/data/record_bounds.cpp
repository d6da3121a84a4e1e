#include "shared/data/record_bounds.h"

#include "shared/data/record.h"

namespace zp::data {

size_t max_record_bytes(const game::Game& game) {
  // Field by field as in record.h: the fixed payload fields, then per move one u16 action,
  // one u8 of position flags (version 2 on), one f32 search value (version 3; older records
  // are smaller) and one policy of k <= num_actions (u16 action, f32 probability) pairs after its u16 k.
  constexpr size_t kFixedPayload = 4 + 8 + 8 + 1 /*name_len*/ + 1 + 1 + 2 + 2;
  constexpr size_t kChecksum = 8;
  const size_t moves = static_cast<size_t>(game.max_game_length());
  const size_t actions = static_cast<size_t>(game.num_actions());
  const size_t per_move = 2 + 1 + 4 + 2 + actions * (2 + 4);
  return kRecordHeaderBytes + kFixedPayload + game.name().size() + moves * per_move + kChecksum;
}

}  // namespace zp::data
