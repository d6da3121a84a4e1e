"""Our MCTS (shared/search/tree.h) driven from Python.

The evaluator is a checkpoint path, a torch.nn.Module (e.g. from zeroplay.load), or a callable
evaluator(obs, legal) -> (policy, value): obs float32 [n, P, H, W], legal bool [n, A]; policy
[n, A] logits (or priors with logits=False), value [n] in [-1, 1] for the player to move. The
callable is called once per gather/scatter round with up to `leaves` positions.
"""

import os
from dataclasses import dataclass

import _zeroplay


@dataclass
class SearchResult:
    move: int             # the chosen move (temperature 0: the most visited; gumbel: its choice)
    policy: object        # numpy [A]: visit distribution (gumbel: improved policy)
    value: float          # root value for the player to move
    children: list        # [(action, visits, prior, q)] in action order
    visits: int           # root visits


def _as_evaluator(evaluator):
    if isinstance(evaluator, (str, os.PathLike)):
        from zeroplay import network
        return network.evaluator(network.load(evaluator)), True
    try:
        import torch
        if isinstance(evaluator, torch.nn.Module):
            from zeroplay import network
            return network.evaluator(evaluator.eval()), True
    except ImportError:
        pass
    if not callable(evaluator):
        raise _zeroplay.ConfigError("evaluator must be a checkpoint path, a torch module or a "
                                    "callable (obs, legal) -> (policy, value)")
    return evaluator, None


class Search:
    """One search tree for `game`; keyword arguments are SearchParams (tree.h): algorithm
    ('puct' or 'gumbel'), simulations, c_puct, fpu_reduction, dirichlet_alpha,
    dirichlet_fraction (0 by default: no root noise), virtual_loss, reuse_tree,
    gumbel_considered, gumbel_scale (0 by default), c_visit, c_scale; and seed and leaves
    (positions per evaluator call)."""

    def __init__(self, game, evaluator, logits=True, **params):
        self.game = game
        self.evaluator, forced = _as_evaluator(evaluator)
        self.logits = logits if forced is None else forced
        self.tree = _zeroplay.Tree(game, **params)
        self._root = None

    def run(self, state, temperature=0.0):
        """Searches `state` (continuing the tree when `state` follows the last searched root by
        moves played through advance()) and returns a SearchResult."""
        if self._root is None or not state == self._root:
            self.tree.reset(state)
        self.tree.run(self.evaluator, self.logits)
        self._root = state.clone()
        move = self.tree.choose_move(temperature)
        return SearchResult(move=move, policy=self.tree.visit_policy(),
                            value=self.tree.root_value(), children=self.tree.root_children(),
                            visits=self.tree.root_visits)

    def advance(self, action):
        """Plays `action` at the root, keeping its subtree (reuse_tree)."""
        self.tree.advance(action)
        if self._root is not None:
            self._root.apply(action)
