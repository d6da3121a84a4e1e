"""`zeroplay export`'s bad input: each gets one line on stderr ("zeroplay: error: ..."), exit
code 1, and no output file."""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import support  # noqa: E402
import zeroplay  # noqa: E402

META = {"game": "connect4", "game_params": "", "obs_shape": (3, 6, 7), "num_actions": 7,
        "blocks": 1, "channels": 8, "policy_channels": 2, "value_channels": 1,
        "value_hidden": 16}


def fails(args, contains, env=None, out=None):
    r = support.run_zeroplay("export", *args, env=env)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert len(lines) == 1, "not one line: %r" % r.stderr
    assert lines[0].startswith("zeroplay: error: "), lines[0]
    assert contains in lines[0], "%r lacks %r" % (lines[0], contains)
    if out:
        assert not os.path.exists(out), "an output file was left: " + out
    print("     " + lines[0])


def main():
    checks = support.Checks()
    with support.temp_dir() as d:
        out = os.path.join(d, "net.onnx")
        good_frame = zeroplay.encode_checkpoint(META, b"not a torch archive")
        bad_weights = os.path.join(d, "bad-weights.zpck")
        with open(bad_weights, "wb") as f:
            f.write(good_frame)
        corrupt = os.path.join(d, "corrupt.zpck")
        with open(corrupt, "wb") as f:
            f.write(good_frame[:20] + bytes([good_frame[20] ^ 0xFF]) + good_frame[21:])
        missing = os.path.join(d, "missing.zpck")

        checks.check("missing checkpoint", lambda: fails(
            [missing, "--format", "onnx", "--out", out], missing, out=out))
        checks.check("corrupt checkpoint (checksum)", lambda: fails(
            [corrupt, "--format", "onnx", "--out", out], "checksum", out=out))
        checks.check("checkpoint whose weights do not load", lambda: fails(
            [bad_weights, "--format", "torchscript", "--out", out], "weights do not load",
            out=out))
        checks.check("unknown format", lambda: fails(
            [bad_weights, "--format", "tflite", "--out", out], "--format must be onnx or "
            "torchscript, got 'tflite'", out=out))
        unwritable = os.path.join(d, "no-such-dir", "net.onnx")
        checks.check("unwritable output (no such directory)", lambda: fails(
            [bad_weights, "--format", "onnx", "--out", unwritable], "cannot write " + unwritable))
        checks.check("output is a directory", lambda: fails(
            [bad_weights, "--format", "onnx", "--out", d], "it is a directory"))
        env = dict(os.environ, ZEROPLAY_PYTHON=os.path.join(d, "venv", "bin", "python"))
        checks.check("missing venv python", lambda: fails(
            [bad_weights, "--format", "onnx", "--out", out], "run scripts/setup.sh", env=env,
            out=out))
        checks.check("build without the Python package", lambda: without_package(d, out))
    checks.finish()


def without_package(d, out):
    """A zeroplay executable whose build tree has no python/launch.txt (no pybind11): the
    executable is hard-linked into a bare tree next to the build (same file system)."""
    build = os.path.dirname(os.path.dirname(os.path.abspath(support.zeroplay_bin())))
    bare = tempfile.mkdtemp(prefix=".zeroplay-bare-", dir=build)
    try:
        os.mkdir(os.path.join(bare, "cli"))
        exe = os.path.join(bare, "cli", "zeroplay")
        try:
            os.link(support.zeroplay_bin(), exe)
        except OSError:
            shutil.copy2(support.zeroplay_bin(), exe)
        env = dict(os.environ, ZEROPLAY_BIN=exe)
        saved = os.environ.get("ZEROPLAY_BIN")
        os.environ["ZEROPLAY_BIN"] = exe
        try:
            fails(["x.zpck", "--format", "onnx", "--out", out], "lacks", env=env, out=out)
        finally:
            os.environ["ZEROPLAY_BIN"] = saved
    finally:
        shutil.rmtree(bare)


if __name__ == "__main__":
    main()
