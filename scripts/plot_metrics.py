#!/usr/bin/python3
"""Charts of a run's metrics.jsonl, as PNG files (what `zeroplay plot RUN_DIR` runs).

    /usr/bin/python3 scripts/plot_metrics.py RUN_DIR/metrics.jsonl --out DIR

metrics.jsonl holds two kinds of JSON lines (shared/ipc/run_context.h):
  - status lines from the supervisor (no "kind" field): time, elapsed_s, positions_per_s,
    evals_per_s, learner_step, loss_policy, loss_value, model_version, ...;
  - evaluation lines from the evaluator ("kind": "eval"): version, step, elo, elo_stderr,
    win_rate_random / _mcts / _prev, oracle_policy_accuracy, oracle_search_accuracy, ladder
    (the whole Elo ladder as refitted at that evaluation), pons_policy_error_rate and
    pons_search_error_rate (objects keyed by Pons' set file, e.g. "Test_L3_R1"), ...

Writes, when the data for them exists: throughput.png (positions/s over time), losses.png
(policy and value loss over learner steps), elo.png (Elo with one-standard-error bars per
model version, from the latest ladder), win_rates.png (arena win rates per version) and
oracle.png (oracle accuracy of the raw policy and of search per version) and pons.png (the
error rate on each of Pascal Pons' six benchmark sets of the raw policy and of search per
version, with AlphaZero.jl's reference levels as dashed lines). Prints each file written. Exit status 1 with a message when the file is missing, empty or has nothing to plot.

Needs matplotlib (Debian: python3-matplotlib), hence /usr/bin/python3.
"""
import argparse
import json
import os
import sys


def read_lines(path):
    status, evals, bad = [], [], 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                bad += 1  # a torn last line of a crashed run, for instance
                continue
            if not isinstance(obj, dict):
                bad += 1
            elif obj.get("kind") == "eval":
                evals.append(obj)
            elif obj.get("kind") in (None, "status"):
                status.append(obj)
    return status, evals, bad


def number(obj, key):
    v = obj.get(key)
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def series(rows, xkey, ykey):
    xs, ys = [], []
    for r in rows:
        x, y = number(r, xkey), number(r, ykey)
        if x is not None and y is not None:
            xs.append(x)
            ys.append(y)
    return xs, ys


# Pons' benchmark sets in benchmark order: file stem, name, AlphaZero.jl's error rate (%).
# The same table as shared/arena/pons.cpp (pons_sets()); keep the two in step.
PONS_SETS = [
    ("Test_L3_R1", "End-Easy", 0.0),
    ("Test_L2_R1", "Middle-Easy", 0.0),
    ("Test_L2_R2", "Middle-Medium", 2.7),
    ("Test_L1_R1", "Beginning-Easy", 0.0),
    ("Test_L1_R2", "Beginning-Medium", 2.0),
    ("Test_L1_R3", "Beginning-Hard", 7.0),
]


def pons_series(evals, key, stem):
    """(versions, error rates in %) of one set from the eval lines' `key` objects."""
    xs, ys = [], []
    for e in evals:
        rates, v = e.get(key), number(e, "version")
        if isinstance(rates, dict) and v is not None:
            y = number(rates, stem)
            if y is not None:
                xs.append(v)
                ys.append(100 * y)
    return xs, ys


def plot_pons(plt, evals, run, save):
    """pons.png: one panel per set that has figures, policy and search against the version."""
    sets = [s for s in PONS_SETS
            if pons_series(evals, "pons_policy_error_rate", s[0])[0]
            or pons_series(evals, "pons_search_error_rate", s[0])[0]]
    if not sets:
        return
    sims = evals[-1].get("simulations", "?")
    fig, axes = plt.subplots(2, 3, figsize=(12, 7), sharex=True, squeeze=False)
    panels = axes.flatten()
    for ax, (stem, name, reference) in zip(panels, sets):
        px, py = pons_series(evals, "pons_policy_error_rate", stem)
        sx, sy = pons_series(evals, "pons_search_error_rate", stem)
        if px:
            ax.plot(px, py, "o-", label="raw policy")
        if sx:
            ax.plot(sx, sy, "o-", label=f"search, {sims} simulations")
        ax.axhline(reference, linestyle="--", color="gray",
                   label=f"AlphaZero.jl (~{reference:g}%)")
        ax.set_ylim(bottom=0)
        ax.set_title(name)
        ax.set_xlabel("model version")
        ax.set_ylabel("error rate, % of all positions")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    for ax in panels[len(sets):]:
        ax.set_visible(False)
    fig.suptitle(f"{run}: Pons benchmark sets")
    save(fig, "pons.png")


def plot_throughput(plt, status, run, save):
    """throughput.png: positions per second against wall time (minutes since the first line)."""
    xs, ys = series(status, "elapsed_s", "positions_per_s")
    if xs:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        ax.plot([x / 60 for x in xs], ys, label="positions/s (all actors)")
        ex, ey = series(status, "elapsed_s", "evals_per_s")
        if ex:
            ax2 = ax.twinx()
            ax2.plot([x / 60 for x in ex], ey, color="tab:gray", alpha=0.5, label="NN evals/s")
            ax2.set_ylabel("NN evaluations / s")
            ax2.legend(loc="lower right")
        ax.set_xlabel("minutes")
        ax.set_ylabel("positions / s")
        ax.set_title(f"{run}: self-play throughput")
        ax.legend(loc="upper left")
        ax.grid(alpha=0.3)
        save(fig, "throughput.png")


def plot_losses(plt, status, run, save):
    """losses.png: losses against learner steps (status lines sampled while training)."""
    trained = [r for r in status if (number(r, "learner_step") or 0) > 0]
    px, py = series(trained, "learner_step", "loss_policy")
    vx, vy = series(trained, "learner_step", "loss_value")
    if px or vx:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        if px:
            ax.plot(px, py, label="policy loss")
        if vx:
            ax.plot(vx, vy, label="value loss")
        ax.set_xlabel("learner step")
        ax.set_ylabel("loss")
        ax.set_title(f"{run}: training losses")
        ax.legend()
        ax.grid(alpha=0.3)
        save(fig, "losses.png")


def plot_elo(plt, evals, run, save):
    """elo.png. The latest ladder is the best estimate for every version (refitted over all
    games); fall back to each line's own figure when no ladder was written."""
    points, baselines = {}, {}
    ladder = evals[-1].get("ladder")
    if isinstance(ladder, list) and ladder:
        for e in ladder:
            name = str(e.get("player", ""))
            if name.startswith("v") and name[1:].isdigit():
                points[int(name[1:])] = (e.get("elo"), e.get("stderr"))
            elif number(e, "elo") is not None:
                baselines[name] = e["elo"]
    else:
        for e in evals:
            if number(e, "version") is not None and number(e, "elo") is not None:
                points[int(e["version"])] = (e["elo"], number(e, "elo_stderr") or 0)
    points = {v: p for v, p in points.items() if isinstance(p[0], (int, float))}
    if points:
        vs = sorted(points)
        fig, ax = plt.subplots(figsize=(8, 4.5))
        ax.errorbar(vs, [points[v][0] for v in vs],
                    yerr=[points[v][1] or 0 for v in vs], fmt="o-", capsize=3,
                    label="model (+- 1 standard error)")
        for i, (name, elo) in enumerate(sorted(baselines.items())):
            ax.axhline(elo, linestyle="--", color=f"C{i + 1}", label=name)
        ax.set_xlabel("model version")
        ax.set_ylabel("Elo (random = 0)")
        ax.set_title(f"{run}: Elo ladder")
        ax.legend()
        ax.grid(alpha=0.3)
        save(fig, "elo.png")


def plot_win_rates(plt, evals, run, save):
    """win_rates.png: arena scores per model version."""
    keys = [("win_rate_random", "vs random"), ("win_rate_mcts", "vs pure MCTS"),
            ("win_rate_prev", "vs previous version")]
    if any(series(evals, "version", k)[0] for k, _ in keys):
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for k, label in keys:
            x, y = series(evals, "version", k)
            if x:
                if k == "win_rate_mcts" and evals[-1].get("mcts"):
                    label = f"vs {evals[-1]['mcts']}"
                ax.plot(x, y, "o-", label=label)
        ax.axhline(0.5, color="gray", linewidth=0.8)
        ax.set_ylim(0, 1)
        ax.set_xlabel("model version")
        ax.set_ylabel("score (draws count half)")
        ax.set_title(f"{run}: arena results")
        ax.legend()
        ax.grid(alpha=0.3)
        save(fig, "win_rates.png")


def plot_oracle(plt, evals, run, save):
    """oracle.png: oracle accuracy of the raw policy and of search per model version."""
    ox, oy = series(evals, "version", "oracle_policy_accuracy")
    sx, sy = series(evals, "version", "oracle_search_accuracy")
    if ox or sx:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        if ox:
            ax.plot(ox, [100 * y for y in oy], "o-", label="raw policy")
        if sx:
            sims = evals[-1].get("simulations", "?")
            ax.plot(sx, [100 * y for y in sy], "o-", label=f"search, {sims} simulations")
        ax.set_ylim(0, 100)
        ax.set_xlabel("model version")
        ax.set_ylabel("best-outcome moves, % (where the choice matters)")
        ax.set_title(f"{run}: oracle accuracy ({evals[-1].get('oracle_set', 'labelled set')})")
        ax.legend()
        ax.grid(alpha=0.3)
        save(fig, "oracle.png")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("metrics", help="path to metrics.jsonl")
    parser.add_argument("--out", required=True, help="directory for the PNG files")
    args = parser.parse_args()

    if not os.path.exists(args.metrics):
        sys.exit(f"plot_metrics: {args.metrics} does not exist")
    status, evals, bad = read_lines(args.metrics)
    if not status and not evals:
        sys.exit(f"plot_metrics: {args.metrics} has no metrics lines")
    if bad:
        print(f"plot_metrics: skipped {bad} line(s) that are not JSON objects", file=sys.stderr)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(args.out, exist_ok=True)
    run = os.path.basename(os.path.dirname(os.path.abspath(args.metrics)))
    written = []

    def save(fig, name):
        path = os.path.join(args.out, name)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    plot_throughput(plt, status, run, save)
    plot_losses(plt, status, run, save)
    if evals:
        plot_elo(plt, evals, run, save)
        plot_win_rates(plt, evals, run, save)
        plot_oracle(plt, evals, run, save)
        plot_pons(plt, evals, run, save)

    if not written:
        sys.exit(f"plot_metrics: nothing to plot in {args.metrics}")
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
