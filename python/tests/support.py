"""Shared helpers of the Python tests (run by ctest with PYTHONPATH and ZEROPLAY_BIN set)."""

import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np


def zeroplay_bin():
    path = os.environ.get("ZEROPLAY_BIN")
    if not path or not os.path.exists(path):
        print("ZEROPLAY_BIN (the zeroplay executable) is not set; ctest sets it", file=sys.stderr)
        sys.exit(1)
    return path


def run_zeroplay(*args, env=None):
    """Runs the zeroplay executable; returns the CompletedProcess (text)."""
    return subprocess.run([zeroplay_bin()] + [str(a) for a in args], capture_output=True,
                          text=True, env=env)


def random_positions(game, count, seed, max_moves=30):
    """`count` distinct non-terminal states from uniform random playouts (lengths 0..max)."""
    rng = random.Random(seed)
    seen, states = set(), []
    while len(states) < count:
        state = game.new_initial_state()
        for _ in range(rng.randint(0, max_moves)):
            moves = state.legal_actions()
            probe = state.clone()
            probe.apply(rng.choice(moves))
            if probe.is_terminal():
                break
            state = probe
        if state.moves not in seen:
            seen.add(state.moves)
            states.append(state)
    return states


def batch(states):
    obs = np.stack([s.observation() for s in states])
    legal = np.stack([s.legal_mask() for s in states])
    return obs, legal


def write_positions(states, path):
    with open(path, "w") as f:
        for s in states:
            f.write(s.moves + "\n")


def cpp_outputs(*args):
    """`zeroplay eval net ARGS`: (policy [N, A], value [N], moves) from its JSON lines."""
    r = run_zeroplay("eval", "net", *args, "--json")
    if r.returncode != 0:
        raise AssertionError("zeroplay eval net failed (%d): %s" % (r.returncode, r.stderr))
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    policy = np.array([row["policy"] for row in rows], dtype=np.float32)
    value = np.array([row["value"] for row in rows], dtype=np.float32)
    return policy, value, [row["moves"] for row in rows]


def temp_dir():
    return tempfile.TemporaryDirectory(prefix="zeroplay-pytest-")


def random_network(game, seed, blocks=2, channels=16):
    """A PolicyValueNet with random weights and random BatchNorm statistics (so that a wrong
    eps, a swapped running mean/var or a missed buffer changes the outputs)."""
    import torch
    from zeroplay import network
    torch.manual_seed(seed)
    net = network.PolicyValueNet(game.observation_shape, game.num_actions, blocks, channels,
                                 policy_channels=2, value_channels=1, value_hidden=32)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.2)
                m.running_mean.normal_(0.0, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.num_batches_tracked.fill_(7)
        # Keep the one-channel value head alive (a negative shift would zero it after ReLU).
        net.value_bn.bias.fill_(0.5)
        net.value_bn.running_mean.zero_()
        net.value_fc2.weight.mul_(4.0)
    return net.eval()


class Checks:
    """Collects named checks so that one failure does not hide the others."""

    def __init__(self):
        self.failed = []

    def check(self, name, fn):
        try:
            fn()
            print("ok   %s" % name)
        except Exception as e:  # report and go on
            self.failed.append(name)
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e))

    def finish(self):
        if self.failed:
            print("%d check(s) failed: %s" % (len(self.failed), ", ".join(self.failed)))
            sys.exit(1)
        print("all checks passed")
