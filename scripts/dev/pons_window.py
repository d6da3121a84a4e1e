#!/usr/bin/env python3
"""Mean Pons error rates of a run's in-run evaluations over a window of its wall time.

    scripts/dev/pons_window.py RUN_DIR FROM_MIN TO_MIN

RUN_DIR is a run directory (the one holding metrics.jsonl). The evaluator rates one version at
a time and a single version's rates wobble by 1 to 2 points, so the mean over the evaluations
that finished between FROM_MIN and TO_MIN minutes after the run's start says more than one
snapshot. Prints one line: the number of evaluations, then the policy rates and the search
rates (on each set's first evaluator.pons_search_positions), in percent, sets in the order
End-Easy, Middle-Easy, Middle-Medium, Beginning-Easy, Beginning-Medium, Beginning-Hard.
"""
import json
import sys

SETS = ["Test_L3_R1", "Test_L2_R1", "Test_L2_R2", "Test_L1_R1", "Test_L1_R2", "Test_L1_R3"]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    run_dir, lo, hi = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    try:
        rows = [json.loads(line) for line in open(f"{run_dir}/metrics.jsonl")]
    except OSError as e:
        sys.exit(f"pons_window: {e}")
    starts = [r["time"] - r["elapsed_s"] for r in rows if "elapsed_s" in r]
    if not starts:
        sys.exit(f"pons_window: {run_dir}/metrics.jsonl has no status rows")
    evals = [r for r in rows if r.get("kind") == "eval" and "pons_policy_error_rate" in r
             and lo <= (r["time"] - starts[0]) / 60 <= hi]
    if not evals:
        sys.exit(f"pons_window: no evaluation with Pons rates between {lo} and {hi} minutes")

    def mean(key):
        return " ".join(f"{100 * sum(e[key][s] for e in evals) / len(evals):5.1f}" for s in SETS)

    print(f"{lo:g}-{hi:g} min, {len(evals)} evaluations | policy {mean('pons_policy_error_rate')}"
          f" | search {mean('pons_search_error_rate')}")


if __name__ == "__main__":
    main()
