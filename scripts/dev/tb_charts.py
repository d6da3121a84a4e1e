#!/usr/bin/env python3
"""One PNG with the main TensorBoard charts of a run, read from its tb/ event files with
tensorboard's own EventAccumulator (the picture in the README's TensorBoard section).

    ~/.cache/zeroplay/venv/bin/python scripts/dev/tb_charts.py RUN_DIR OUT.png

Reads RUN_DIR/tb/supervisor and RUN_DIR/tb/evaluator (shared/tb/event_log.h) and draws a grid,
each panel with the tags' names as TensorBoard shows them: positions/s and NN evals/s over
elapsed seconds, batch fill, lock wait and device busy, the CPU of each role, the learner's
losses over learner steps, Elo with its standard error, the arena win rates, oracle accuracy,
and the Pons error rates per set (raw policy solid, search dashed) over the evaluated model's
training step; resident memory when the run has memory/ tags. Panels without data are left
out. Needs tensorboard and matplotlib in the venv (scripts/setup.sh installs both).
"""
import os
import sys


def load(directory):
    """{tag: ([steps], [values])} of the event files in `directory` ({} when there are none)."""
    if not os.path.isdir(directory):
        return {}
    from tensorboard.backend.event_processing import event_accumulator
    acc = event_accumulator.EventAccumulator(directory, size_guidance={"scalars": 0})
    acc.Reload()
    out = {}
    for tag in acc.Tags()["scalars"]:
        events = acc.Scalars(tag)
        out[tag] = ([e.step for e in events], [e.value for e in events])
    return out


PONS = {"Test_L3_R1": "End-Easy", "Test_L2_R1": "Middle-Easy", "Test_L2_R2": "Middle-Medium",
        "Test_L1_R1": "Begin-Easy", "Test_L1_R2": "Begin-Medium", "Test_L1_R3": "Begin-Hard"}


def panels(sup, ev):
    """(title, x label, [(tag, series label, style)], scalars) for each panel with data."""
    def pick(scalars, prefix):
        return sorted(t for t in scalars if t.startswith(prefix))
    out = [
        ("positions/s", "elapsed s", [("selfplay/positions_per_s", "positions/s", "-")], sup),
        ("NN evals/s", "elapsed s", [("selfplay/evals_per_s", "NN evals/s", "-")], sup),
        ("batch fill", "elapsed s", [("selfplay/mean_batch", "mean batch", "-")], sup),
        ("lock wait, device busy (share)", "elapsed s", [("selfplay/lock_wait_share", "lock wait", "-"),
                                 ("selfplay/device_busy_share", "device busy", "-")], sup),
        ("CPU (cores)", "elapsed s", [(t, t[len("cpu/"):], "-") for t in pick(sup, "cpu/")], sup),
        ("learner losses", "learner step", [("learner/loss_policy", "policy", "-"),
                                            ("learner/loss_value", "value", "-")], sup),
        ("resident memory", "elapsed s", [(t, t[len("memory/"):], "-")
                                          for t in pick(sup, "memory/")], sup),
        ("Elo (random = 0)", "training step", [("eval/elo", "Elo", "o-")], ev),
        ("arena win rate", "training step", [(t, t[len("match/win_rate_"):], "o-")
                                             for t in pick(ev, "match/win_rate_")], ev),
        ("oracle accuracy", "training step", [("oracle/policy_accuracy", "policy", "o-"),
                                              ("oracle/search_accuracy", "search", "o-")], ev),
        ("Pons error rate (policy -, search --)", "training step",
         [(t, PONS.get(t.rsplit("/", 1)[1], t) if "policy" in t else None,
           "-" if "policy" in t else "--")
          for t in pick(ev, "pons/policy_error_rate/") + pick(ev, "pons/search_error_rate/")],
         ev),
    ]
    return [(title, xl, [s for s in series if s[0] in sc], sc)
            for title, xl, series, sc in out if any(s[0] in sc for s in series)]


def draw(run_dir, out_png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sup, ev = load(os.path.join(run_dir, "tb", "supervisor")), load(
        os.path.join(run_dir, "tb", "evaluator"))
    chosen = panels(sup, ev)
    if not chosen:
        sys.exit("tb_charts: no scalars in %s/tb (supervisor, evaluator)" % run_dir)
    cols = 3
    rows = (len(chosen) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.4 * rows), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (title, xlabel, series, scalars) in zip(axes.flat, chosen):
        for i, (tag, label, style) in enumerate(series):
            steps, values = scalars[tag]
            color = colors[(i % 6) if "Pons" in title else i % len(colors)]  # a set's 2 lines
            ax.plot(steps, values, style, label=label, color=color, markersize=3, linewidth=1.2)
            if tag == "eval/elo" and "eval/elo_stderr" in scalars:
                err = dict(zip(*scalars["eval/elo_stderr"]))
                lo = [v - err.get(s, 0) for s, v in zip(steps, values)]
                hi = [v + err.get(s, 0) for s, v in zip(steps, values)]
                ax.fill_between(steps, lo, hi, alpha=0.25, color=color, label="± 1 s.e.")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2 if len(series) > 4 else 1)
    for ax in list(axes.flat)[len(chosen):]:
        ax.axis("off")
    fig.suptitle("TensorBoard scalars of %s (tb/supervisor, tb/evaluator)"
                 % os.path.basename(os.path.normpath(run_dir)), fontsize=11)
    fig.tight_layout()
    fig.savefig(out_png, dpi=90)
    print("wrote %s (%d panels, %d supervisor tags, %d evaluator tags)"
          % (out_png, len(chosen), len(sup), len(ev)))


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: tb_charts.py RUN_DIR OUT.png")
    draw(sys.argv[1], sys.argv[2])


if __name__ == "__main__":
    main()
