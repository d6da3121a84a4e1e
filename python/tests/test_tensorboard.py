"""TensorBoard event files of a real run, read by tensorboard's own EventAccumulator.

Runs `zeroplay train config/tiny.yaml` (evaluator on) until it has written 30 status lines (one
a second) and the evaluator has rated two models (at most train.max_seconds = 90 s), then stops
it with SIGINT and loads <run>/tb/supervisor and <run>/tb/evaluator. Checks, for the status lines and for the "kind":"eval" lines of
metrics.jsonl:
  - the main tags exist (positions/s, NN evals/s, batch fill, lock wait, losses, CPU, Elo and
    its error, match scores, oracle accuracy, the Pons error rates per set);
  - every numeric field of the lines (nested objects by key, arrays by index; null, booleans,
    strings, "time" and the eval ladder left out) has exactly one tag, and nothing else has;
  - each tag's points equal, in order, that field's values in the lines where it is a number
    (as float32, TensorBoard's storage) at the documented step: whole elapsed seconds for the
    status tags, the learner step for learner/*, the model's training step for eval tags.
A field this test does not name yet (a figure added to the status line later) is matched to
the one unnamed tag whose points equal its values, so it is checked too.
"""

import json
import math
import os
import signal
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import support  # noqa: E402

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The tags of today's fields (shared/tb/json_scalars.cpp): field -> tag of the field.
STATUS_GROUPS = {
    "selfplay": ["positions_per_s", "actor_positions_per_s", "games", "positions",
                 "evals_per_s", "mean_batch", "lock_wait_share", "device_busy_share",
                 "oldest_in_use"],
    "writer": ["written_games", "written_positions", "shards", "rejected", "duplicates",
               "pending_records"],
    "learner": ["steps_per_s", "loss_policy", "loss_value", "window", "samples", "ingested",
                "model_version"],
    "status": ["elapsed_s"],
}
STATUS_PREFIXES = {"cpu_": "cpu/", "server_": "server/", "learner_": "learner/"}
EVAL_FIELDS = ["version", "step", "games", "simulations", "prev_version", "elo", "elo_stderr",
               "best_version", "eval_seconds"]
EVAL_PREFIXES = {"win_rate_": "match/win_rate_", "gate_": "match/gate_",
                 "oracle_": "oracle/", "pons_": "pons/"}
SKIP = {"time", "kind", "ladder"}

REQUIRED_STATUS = ["selfplay/positions_per_s", "selfplay/evals_per_s", "selfplay/mean_batch",
                   "selfplay/lock_wait_share", "learner/loss_policy", "learner/loss_value",
                   "learner/step", "cpu/actors", "writer/written_positions"]
REQUIRED_EVAL = ["eval/elo", "eval/elo_stderr", "match/win_rate_random", "match/win_rate_mcts",
                 "oracle/policy_accuracy", "oracle/search_accuracy"]
PONS_SETS = ["Test_L3_R1", "Test_L2_R1", "Test_L2_R2", "Test_L1_R1", "Test_L1_R2", "Test_L1_R3"]


def known_tag(kind, field):
    """The tag this test expects for a top-level field, or None for a field it does not know."""
    if kind == "status":
        for group, fields in STATUS_GROUPS.items():
            if field in fields:
                return group + "/" + field
        prefixes = STATUS_PREFIXES
    else:
        if field in EVAL_FIELDS:
            return "eval/" + field
        prefixes = EVAL_PREFIXES
    for prefix, replacement in prefixes.items():
        if field.startswith(prefix):
            return replacement + field[len(prefix):]
    return None


def flatten(value, path, out):
    """(path, number) for every number in `value`: objects by key, arrays by index."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, (int, float)):
        out.append((path, float(value)))
    elif isinstance(value, dict):
        for k, v in value.items():
            flatten(v, path + (str(k),), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            flatten(v, path + (str(i),), out)


def expected_points(lines, step_of):
    """{field path: [(allowed steps, value)...]} over `lines`, in order."""
    points = {}
    for line in lines:
        for field, value in line.items():
            if field in SKIP:
                continue
            flat = []
            flatten(value, (field,), flat)
            for path, v in flat:
                points.setdefault(path, []).append((step_of(line, path), v))
    return points


def status_step(line, path):
    """The learner step for learner/* tags, whole elapsed seconds for the others; either for a
    field this test does not know (its tag's group decides)."""
    learner, seconds = int(line["learner_step"]), int(math.floor(line["elapsed_s"]))
    tag = known_tag("status", path[0])
    if tag is None:
        return {learner, seconds}
    return {learner} if tag.startswith("learner/") else {seconds}


def eval_step(line, path):
    return {int(line["step"])}


def load_scalars(directory):
    from tensorboard.backend.event_processing import event_accumulator
    assert os.path.isdir(directory), "no event directory " + directory
    acc = event_accumulator.EventAccumulator(directory, size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def same_points(expected, got):
    """True when the points agree in order: equal steps, values equal as float32."""
    if len(expected) != len(got):
        return False
    return all(gs in s and np.float32(v) == np.float32(gv)
               for (s, v), (gs, gv) in zip(expected, got))


def describe(expected, got):
    for i, (e, g) in enumerate(zip(expected, got)):
        if g[0] not in e[0] or np.float32(e[1]) != np.float32(g[1]):
            return "point %d: metrics.jsonl (steps, value) %r, tb %r" % (i, e, g)
    return "%d points in metrics.jsonl, %d in tb" % (len(expected), len(got))


def check_figures(kind, lines, scalars, step_of, required):
    """Every field of `lines` against the tags in `scalars` (see the module's doc)."""
    assert lines, "no %s lines in metrics.jsonl" % kind
    points = expected_points(lines, step_of)
    unmatched_tags = set(scalars)
    unknown = []
    for path, expected in points.items():
        base = known_tag(kind, path[0])
        if base is None:
            unknown.append(path)
            continue
        tag = "/".join((base,) + path[1:])
        assert tag in scalars, "field %s: no tag %s in tb (tags: %s)" % (
            "/".join(path), tag, sorted(scalars))
        assert same_points(expected, scalars[tag]), "%s: %s" % (tag, describe(expected,
                                                                              scalars[tag]))
        unmatched_tags.discard(tag)
    for path in unknown:  # a field added later: the one tag that carries its values
        match = [t for t in unmatched_tags if same_points(points[path], scalars[t])]
        assert match, "field %s has no tag with its values" % "/".join(path)
        unmatched_tags.discard(match[0])
        print("     new field %s -> %s" % ("/".join(path), match[0]))
    assert not unmatched_tags, "tags of no field: %s" % sorted(unmatched_tags)
    for tag in required:
        assert tag in scalars, "missing tag %s" % tag
    print("     %s: %d lines, %d tags, %d points equal metrics.jsonl" % (
        kind, len(lines), len(scalars), sum(len(p) for p in points.values())))


def learner_trained(status):
    assert any(s["learner_step"] > 0 for s in status), "learner_step stayed 0"


def read_lines(path, torn_ok=False):
    """The JSON lines of `path`; with torn_ok, a last line still being written is left out."""
    with open(path) as f:
        text = f.read()
    if torn_ok and not text.endswith("\n"):
        text = text[:text.rfind("\n") + 1]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run_until_enough_lines(run_dir, status_lines=30, eval_lines=2):
    """Starts the tiny run, stops it (SIGINT) once that many status and eval lines are written;
    returns the exit code."""
    metrics = os.path.join(run_dir, "metrics.jsonl")
    args = [support.zeroplay_bin(), "train", os.path.join(SOURCE, "config", "tiny.yaml"),
            "--run-dir", run_dir, "--set", "train.max_seconds=90",
            "--set", "evaluator.pons_search_positions=50"]
    with open(run_dir + ".out", "w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        start = time.time()
        while proc.poll() is None:
            time.sleep(0.5)
            if os.path.exists(metrics):
                lines = read_lines(metrics, torn_ok=True)
                evals = sum(1 for line in lines if line.get("kind") == "eval")
                if evals >= eval_lines and len(lines) - evals >= status_lines:
                    proc.send_signal(signal.SIGINT)
                    break
        rc = proc.wait(timeout=120)
    print("     train ran %.0f s, exit %d" % (time.time() - start, rc))
    return rc


def main():
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        print("FAIL tensorboard is not installed in %s: run scripts/setup.sh" % sys.executable)
        sys.exit(1)
    checks = support.Checks()
    with support.temp_dir() as d:
        run_dir = os.path.join(d, "run")
        rc = run_until_enough_lines(run_dir)
        if rc != 0:
            with open(run_dir + ".out") as f:
                print(f.read()[-3000:])
            print("FAIL train exited %d" % rc)
            sys.exit(1)
        lines = read_lines(os.path.join(run_dir, "metrics.jsonl"))
        status = [line for line in lines if "kind" not in line]
        evals = [line for line in lines if line.get("kind") == "eval"]
        tb = os.path.join(run_dir, "tb")
        print("     tb/: %s" % sorted(os.listdir(tb)) if os.path.isdir(tb) else "     no tb/")
        pons = [p for p in ("pons_policy_error_rate", "pons_search_error_rate")
                if any(p in e for e in evals)]
        required_eval = REQUIRED_EVAL + ["pons/%s/%s" % (p[len("pons_"):], s)
                                         for p in pons for s in PONS_SETS]
        if not pons:
            print("     (no Pons sets in ../shared/data: no pons/ tags expected)")

        checks.check("the learner trained (so losses are real figures)",
                     lambda: learner_trained(status))
        checks.check("tb/supervisor equals the status lines", lambda: check_figures(
            "status", status, load_scalars(os.path.join(tb, "supervisor")), status_step,
            REQUIRED_STATUS))
        checks.check("tb/evaluator equals the eval lines", lambda: check_figures(
            "eval", evals, load_scalars(os.path.join(tb, "evaluator")), eval_step,
            required_eval))
    checks.finish()


if __name__ == "__main__":
    main()
