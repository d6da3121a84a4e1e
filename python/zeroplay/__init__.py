"""Zeroplay from Python: games, our MCTS, and the trained networks.

    import zeroplay
    game = zeroplay.make_game("connect4")
    state = game.state_from_moves("4453")
    obs = state.observation()                 # numpy float32 [planes, height, width]
    net = zeroplay.load("run/checkpoints/model-12.zpck")   # a torch.nn.Module
    search = zeroplay.Search(game, net, simulations=200)
    result = search.run(state)                # .move, .policy, .value, .children

The games, states and the search come from the C++ extension `_zeroplay` (no torch in it);
the network code (zeroplay.network) imports torch only when it is first used.
"""

try:
    import _zeroplay as _core
except ImportError as e:  # the extension is built into <build>/python
    raise ImportError(
        "zeroplay: the C++ extension _zeroplay is not importable (%s); run scripts/setup.sh and "
        "build (cmake --build build), which puts it in build/python" % e) from None

from _zeroplay import (ConfigError, Error, FormatError, Game, IoError, State, StateError,
                       Tree, decode_checkpoint, describe_checkpoint, encode_checkpoint, games,
                       read_checkpoint)
from zeroplay.search import Search, SearchResult

__all__ = ["ConfigError", "Error", "FormatError", "Game", "IoError", "State", "StateError",
           "Tree", "Search", "SearchResult", "decode_checkpoint", "describe_checkpoint",
           "encode_checkpoint", "games", "game_for", "load", "make_game", "read_checkpoint",
           "save"]


def make_game(name, board_size=0):
    """A game by registry name (zeroplay.games() lists them); board_size 0 = its default."""
    return _core.make_game(name, board_size)


def game_for(meta):
    """The game a checkpoint's metadata names (its 'game' and 'game_params', e.g. 'size=9')."""
    params = meta.get("game_params", "")
    board_size = 0
    if params:
        key, _, value = params.partition("=")
        if key != "size" or not value.isdigit():
            raise FormatError("checkpoint game params '%s' are not understood" % params)
        board_size = int(value)
    return make_game(meta["game"], board_size)


def load(path):
    """Reads a checkpoint (.zpck) into a torch.nn.Module (zeroplay.network.PolicyValueNet), fp32
    on the CPU in eval mode, with the same weights and outputs as the C++ network."""
    from zeroplay import network
    return network.load(path)


def save(module, path, training_step=0, model_version=0, game=None):
    """Writes a PolicyValueNet as a checkpoint that the C++ side loads (docs/formats.md). The
    game comes from the module's .meta (set by load) or from `game`."""
    from zeroplay import network
    return network.save(module, path, training_step, model_version, game)
