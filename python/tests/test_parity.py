"""Parity of every implementation of the network with the C++ one, on 200 connect4 positions
from random playouts (fp32, CPU):
  - zeroplay.load (Python torch module) against `zeroplay eval net` (LibTorch): within 1e-5;
  - the ONNX export run by onnxruntime: within 1e-4;
  - the TorchScript export loaded by C++ LibTorch (`eval net --torchscript`): within 1e-5.
The checkpoint is made in Python with random weights and BatchNorm statistics, then rewritten
by the C++ network (`eval net --rewrite-to`), so zeroplay.load reads LibTorch's own format;
ZEROPLAY_PARITY_CHECKPOINT=FILE uses a given (trained) checkpoint instead. Prints the max
abs differences."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import support  # noqa: E402
import zeroplay  # noqa: E402

POSITIONS = 200


def masked_softmax(logits, legal):
    z = np.where(legal, logits, -np.inf)
    z = z - z.max(axis=1, keepdims=True)
    e = np.where(legal, np.exp(z), 0.0)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def report(name, policy, value, ref_policy, ref_value, tolerance):
    dp = float(np.abs(policy - ref_policy).max())
    dv = float(np.abs(value.reshape(-1) - ref_value).max())
    print("%-44s max |policy diff| %.3g  max |value diff| %.3g  (tolerance %g)"
          % (name, dp, dv, tolerance))
    assert dp <= tolerance and dv <= tolerance, name


def main():
    import torch
    from zeroplay import network
    torch.set_num_threads(1)
    with support.temp_dir() as d:
        given = os.environ.get("ZEROPLAY_PARITY_CHECKPOINT")
        game = zeroplay.game_for(zeroplay.read_checkpoint(given)[0]) if given else \
            zeroplay.make_game("connect4")
        states = support.random_positions(game, POSITIONS, seed=11)
        positions = os.path.join(d, "positions.txt")
        support.write_positions(states, positions)
        obs, legal = support.batch(states)
        source = given
        if not given:
            source = os.path.join(d, "python.zpck")
            zeroplay.save(support.random_network(game, seed=1), source, game=game)
        cpp = os.path.join(d, "cpp.zpck")
        ref_policy, ref_value, moves = support.cpp_outputs(
            "--checkpoint", source, "--positions", positions, "--rewrite-to", cpp)
        assert moves == [s.moves for s in states] and ref_policy.shape == (POSITIONS, 7)
        assert np.all(ref_policy[~legal] == 0.0)
        # The test would pass trivially on a constant network: the outputs must vary.
        spread = np.where(legal, ref_policy, np.nan)
        spread = np.nanmax(spread, axis=1) - np.nanmin(spread, axis=1)
        print("C++ outputs: value std %.3g, largest policy spread %.3g"
              % (ref_value.std(), spread.max()))
        assert ref_value.std() > 1e-3 and spread.max() > 1e-3

        checks = support.Checks()
        net = zeroplay.load(cpp)
        assert isinstance(net, torch.nn.Module) and not net.training

        def python_module():
            policy, value = network.policy_value(net, obs, legal)
            report("zeroplay.load vs C++ (200 positions)", policy, value, ref_policy, ref_value,
                   1e-5)
            again, _ = network.policy_value(zeroplay.load(source), obs, legal)
            assert np.array_equal(again, policy), "the rewritten checkpoint's weights differ"
        checks.check("python module", python_module)

        def onnx():
            import onnxruntime
            out = os.path.join(d, "net.onnx")
            r = support.run_zeroplay("export", cpp, "--format", "onnx", "--out", out)
            assert r.returncode == 0, r.stderr
            session = onnxruntime.InferenceSession(out, providers=["CPUExecutionProvider"])
            logits, value = session.run(["policy_logits", "value"], {"obs": obs})
            report("onnxruntime (ONNX export) vs C++", masked_softmax(logits, legal), value,
                   ref_policy, ref_value, 1e-4)
            with torch.inference_mode():
                py_logits, _ = net(torch.from_numpy(obs))
            d_logits = float(np.abs(logits - py_logits.numpy()).max())
            print("%-44s max |logit diff| %.3g" % ("onnxruntime vs the Python module", d_logits))
            assert d_logits <= 1e-4
        checks.check("onnx export", onnx)

        def torchscript():
            out = os.path.join(d, "net.pt")
            r = support.run_zeroplay("export", cpp, "--format", "torchscript", "--out", out)
            assert r.returncode == 0, r.stderr
            policy, value, _ = support.cpp_outputs("--torchscript", out, "--positions", positions)
            report("C++ torch::jit::load (TorchScript) vs C++", policy, value, ref_policy,
                   ref_value, 1e-5)
        checks.check("torchscript export", torchscript)
        checks.finish()


if __name__ == "__main__":
    main()
