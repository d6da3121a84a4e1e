"""Our MCTS from Python: with Python callables (uniform, biased, bad outputs) and with a
network (a checkpoint path and a module give the same search)."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import support  # noqa: E402
import zeroplay  # noqa: E402

GAME = zeroplay.make_game("connect4")


def uniform(obs, legal):
    return np.zeros(legal.shape, np.float32), np.zeros(len(obs), np.float32)


def raises(exc, fn, contains=""):
    try:
        fn()
    except exc as e:
        assert contains in str(e), "message %r lacks %r" % (str(e), contains)
        return
    raise AssertionError("%s not raised" % exc.__name__)


def budget_and_batches():
    calls = []
    state = GAME.state_from_moves("44")

    def recording(obs, legal):
        calls.append(len(obs))
        assert obs.dtype == np.float32 and obs.shape[1:] == GAME.observation_shape
        assert legal.dtype == np.bool_ and legal.shape == (len(obs), GAME.num_actions)
        if len(calls) == 1:  # the root comes first
            assert np.array_equal(obs[0], state.observation())
            assert np.array_equal(legal[0], state.legal_mask())
        return uniform(obs, legal)

    search = zeroplay.Search(GAME, recording, simulations=100, leaves=4)
    r = search.run(state)
    assert r.visits >= 100, r.visits
    assert max(calls) <= 4 and sum(calls) <= r.visits, (calls, r.visits)
    assert abs(r.policy.sum() - 1.0) < 1e-5 and r.policy.shape == (7,), r.policy
    assert r.visits - 1 <= sum(c[1] for c in r.children) <= r.visits, (r.children, r.visits)
    assert r.move in state.legal_actions()


def follows_the_policy():
    def prefers_column_2(obs, legal):
        logits = np.zeros(legal.shape, np.float32)
        logits[:, 1] = 8.0
        return logits, np.zeros(len(obs), np.float32)
    r = zeroplay.Search(GAME, prefers_column_2, simulations=64).run(GAME.new_initial_state())
    visits = {a: n for a, n, _, _ in r.children}
    assert r.move == 1 and visits[1] == max(visits.values()), r.children
    prior = {a: p for a, _, p, _ in r.children}
    assert prior[1] > 0.99, prior
    # Priors instead of logits (logits=False): the tree renormalises them.
    def priors(obs, legal):
        p = np.full(legal.shape, 1.0, np.float32)
        p[:, 5] = 97.0
        return p, np.zeros(len(obs), np.float32)
    r = zeroplay.Search(GAME, priors, logits=False, simulations=64).run(GAME.new_initial_state())
    assert r.move == 5 and abs({a: p for a, _, p, _ in r.children}[5] - 97 / 103) < 1e-5


def finds_the_win():
    state = GAME.state_from_moves("121212")  # column 1 wins for the player to move
    for algorithm in ("puct", "gumbel"):
        r = zeroplay.Search(GAME, uniform, algorithm=algorithm, simulations=32).run(state)
        assert r.move == 0, (algorithm, r.children)


def tree_reuse():
    search = zeroplay.Search(GAME, uniform, simulations=50)
    state = GAME.new_initial_state()
    r = search.run(state)
    search.advance(r.move)
    kept = search.tree.root_visits
    assert kept > 0, "the played move's subtree was dropped"
    state.apply(r.move)
    r2 = search.run(state)
    assert r2.visits >= 50
    raises(zeroplay.StateError, lambda: search.advance(99), "not a legal move")


def bad_evaluators():
    state = GAME.new_initial_state()
    shape = lambda o, l: (np.zeros((len(o), 3), np.float32), np.zeros(len(o), np.float32))
    raises(zeroplay.ConfigError, lambda: zeroplay.Search(GAME, shape).run(state), "shape")
    value = lambda o, l: (np.zeros(l.shape, np.float32), np.full(len(o), 2.0, np.float32))
    raises(zeroplay.ConfigError, lambda: zeroplay.Search(GAME, value).run(state), "[-1, 1]")
    raises(ZeroDivisionError, lambda: zeroplay.Search(GAME, lambda o, l: 1 / 0).run(state))
    raises(zeroplay.ConfigError, lambda: zeroplay.Search(GAME, 42), "callable")
    raises(zeroplay.ConfigError, lambda: zeroplay.Search(GAME, uniform, algorithm="x"), "puct")
    raises(zeroplay.StateError,
           lambda: zeroplay.Search(GAME, uniform).run(GAME.state_from_moves("1212121")),
           "terminal")
    other = zeroplay.make_game("tictactoe").new_initial_state()
    raises(zeroplay.ConfigError, lambda: zeroplay.Search(GAME, uniform).run(other), "another")


def network_evaluators():
    net = support.random_network(GAME, seed=3)
    with support.temp_dir() as d:
        path = os.path.join(d, "net.zpck")
        zeroplay.save(net, path, game=GAME)
        state = GAME.state_from_moves("4435")
        by_path = zeroplay.Search(GAME, path, simulations=40, seed=7).run(state)
        by_module = zeroplay.Search(GAME, zeroplay.load(path), simulations=40, seed=7).run(state)
        assert by_path.children == by_module.children and by_path.move == by_module.move
        # The root prior is the network's masked softmax.
        from zeroplay import network
        obs, legal = support.batch([state])
        probs, _ = network.policy_value(net, obs, legal)
        priors = np.array([p for _, _, p, _ in by_path.children])
        assert np.abs(priors - probs[0][legal[0]]).max() < 1e-5, (priors, probs)


if __name__ == "__main__":
    checks = support.Checks()
    for fn in (budget_and_batches, follows_the_policy, finds_the_win, tree_reuse, bad_evaluators,
               network_evaluators):
        checks.check(fn.__name__, fn)
    checks.finish()
