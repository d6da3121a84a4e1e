"""The game bindings: registry, states, observations, symmetries, move text, checkpoint
framing and their errors. No torch."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import support  # noqa: E402
import zeroplay  # noqa: E402


def raises(exc, fn, contains=""):
    try:
        fn()
    except exc as e:
        assert contains in str(e), "message %r lacks %r" % (str(e), contains)
        assert "\n" not in str(e), "message is not one line: %r" % str(e)
        return
    raise AssertionError("%s not raised" % exc.__name__)


def registry():
    assert {"tictactoe", "connect4", "gomoku"} <= set(zeroplay.games())
    raises(zeroplay.ConfigError, lambda: zeroplay.make_game("chess"), "connect4")
    g = zeroplay.make_game("gomoku", board_size=9)
    assert g.observation_shape[1:] == (9, 9) and g.num_actions == 81
    assert g.params == "size=9"
    raises(zeroplay.ConfigError, lambda: zeroplay.make_game("gomoku", board_size=4))
    assert zeroplay.game_for({"game": "gomoku", "game_params": "size=9"}).num_actions == 81


def states():
    g = zeroplay.make_game("connect4")
    s = g.new_initial_state()
    assert s.legal_actions() == list(range(7)) and s.current_player == 0
    assert s.legal_mask().dtype == np.bool_ and s.legal_mask().all()
    obs = s.observation()
    assert obs.shape == g.observation_shape and obs.dtype == np.float32
    c = s.clone()
    c.apply(3)
    assert s.move_number == 0 and c.history == [3] and c.moves == "4"
    assert not c == s and c == g.state_from_moves("4")
    raises(zeroplay.StateError, lambda: c.returns(0), "not over")
    full = g.state_from_moves("444444")
    assert 3 not in full.legal_actions() and not full.is_legal(3) and not full.is_legal(99)
    raises(zeroplay.StateError, lambda: full.apply(3))
    won = g.state_from_moves("1212121")  # player 0 stacks four in column 1
    assert won.is_terminal() and won.returns(0) == 1.0 and won.returns(1) == -1.0
    assert won.legal_actions() == []
    raises(zeroplay.StateError, lambda: won.apply(0))
    raises(zeroplay.FormatError, lambda: g.state_from_moves("4x"), "x")
    assert g.parse_action("4") == 3 and g.action_to_string(3) == "4"
    assert g.moves_to_string([3, 3, 4]) == "445"
    assert "4" in repr(c) and str(c)


def symmetries():
    """For every game and symmetry: the observation of the transformed move list equals the
    transformed observation, and transform_policy moves probability with the actions."""
    for name in ("tictactoe", "connect4", "gomoku"):
        g = zeroplay.make_game(name, 9 if name == "gomoku" else 0)
        assert g.num_symmetries == (2 if name == "connect4" else 8), (name, g.num_symmetries)
        for state in support.random_positions(g, 10, seed=5, max_moves=8):
            obs = state.observation()
            for sym in range(g.num_symmetries):
                mapped = g.new_initial_state()
                for a in state.history:
                    mapped.apply(g.transform_action(sym, a))
                got = g.transform_observation(sym, obs)
                assert np.array_equal(got, mapped.observation()), (name, sym, state.moves)
                batch = g.transform_observation(sym, np.stack([obs, obs]))
                assert batch.shape == (2,) + obs.shape and np.array_equal(batch[1], got)
                policy = state.legal_mask().astype(np.float32)
                assert np.array_equal(g.transform_policy(sym, policy),
                                      mapped.legal_mask().astype(np.float32)), (name, sym)
        raises(zeroplay.ConfigError, lambda: g.transform_action(g.num_symmetries, 0), "out of")
        raises(zeroplay.ConfigError, lambda: g.transform_observation(0, np.zeros(3)), "shape")


def checkpoint_framing():
    meta = {"game": "connect4", "game_params": "", "obs_shape": (3, 6, 7), "num_actions": 7,
            "blocks": 1, "channels": 8, "policy_channels": 2, "value_channels": 1,
            "value_hidden": 16, "training_step": 12, "model_version": 3}
    data = zeroplay.encode_checkpoint(meta, b"weights")
    got, weights = zeroplay.decode_checkpoint(data)
    assert weights == b"weights" and got["training_step"] == 12 and got["blocks"] == 1
    assert got["obs_shape"] == (3, 6, 7)
    bad = bytearray(data)
    bad[30] ^= 1
    raises(zeroplay.FormatError, lambda: zeroplay.decode_checkpoint(bytes(bad)))
    raises(zeroplay.FormatError, lambda: zeroplay.decode_checkpoint(b"ZPCK"))
    raises(zeroplay.IoError, lambda: zeroplay.read_checkpoint("/nonexistent/m.zpck"),
           "/nonexistent/m.zpck")
    with support.temp_dir() as d:
        path = os.path.join(d, "m.zpck")
        with open(path, "wb") as f:
            f.write(data[:-1])
        raises(zeroplay.FormatError, lambda: zeroplay.read_checkpoint(path), path)


if __name__ == "__main__":
    checks = support.Checks()
    for fn in (registry, states, symmetries, checkpoint_framing):
        checks.check(fn.__name__, fn)
    checks.finish()
