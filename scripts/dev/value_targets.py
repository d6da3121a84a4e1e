#!/usr/bin/env python3
"""How the search values stored in records (version 3) relate to the game results, by ply.

    python3 scripts/dev/value_targets.py RUN_DIR [--shards N]

Reads the newest N shards (default 10) of RUN_DIR/shards, parsing the shard and record
formats of docs/formats.md (no checksums checked: a dev tool for sound shards), and prints one
row per even ply: positions, mean |v| (v = the search value for the player to move), mean z
(the game result for the player to move), the correlation of v with z, and mean (v - z)^2.
Records of version 1 or 2 carry no search values and are skipped.
"""
import argparse
import collections
import glob
import math
import os
import struct
import sys


def records(path):
    """Yields (version, result, search_values or None) for each record of one shard."""
    b = open(path, "rb").read()
    if struct.unpack_from("<I", b, 0)[0] != 0x3153505A:
        sys.exit(f"{path}: not a shard (bad magic)")
    count = struct.unpack_from("<I", b, 8)[0]
    off = 21 + b[20]
    for _ in range(count):
        _, version, _, payload = struct.unpack_from("<IHHI", b, off)
        p = off + 12 + 4 + 8 + 8
        p += 1 + b[p]  # game name
        result = struct.unpack_from("<b", b, p)[0]
        p += 2
        _, moves = struct.unpack_from("<HH", b, p)
        p += 4 + 2 * moves + (moves if version >= 2 else 0)
        values = struct.unpack_from(f"<{moves}f", b, p) if version >= 3 else None
        yield version, result, values
        off += 12 + payload + 8


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir")
    ap.add_argument("--shards", type=int, default=10)
    args = ap.parse_args()
    files = sorted(glob.glob(os.path.join(args.run_dir, "shards", "shard-*.zps")))
    if not files:
        sys.exit(f"{args.run_dir}/shards: no shard-*.zps files")
    by_ply = collections.defaultdict(list)
    for path in files[-args.shards:]:
        for _, result, values in records(path):
            for ply, v in enumerate(values or ()):
                by_ply[ply].append((v, result if ply % 2 == 0 else -result))
    if not by_ply:
        sys.exit("no records of version 3 (with search values) in those shards")
    print(f"{len(files[-args.shards:])} shards of {args.run_dir}")
    print(f"{'ply':>4} {'positions':>9} {'mean|v|':>8} {'mean z':>7} {'corr(v,z)':>9} {'(v-z)^2':>8}")
    for ply in sorted(by_ply):
        if ply % 2:
            continue
        xs = by_ply[ply]
        n = len(xs)
        mv = sum(v for v, _ in xs) / n
        mz = sum(z for _, z in xs) / n
        sv = math.sqrt(sum((v - mv) ** 2 for v, _ in xs) / n)
        sz = math.sqrt(sum((z - mz) ** 2 for _, z in xs) / n)
        cov = sum((v - mv) * (z - mz) for v, z in xs) / n
        corr = cov / (sv * sz) if sv > 0 and sz > 0 else float("nan")
        mse = sum((v - z) ** 2 for v, z in xs) / n
        print(f"{ply:>4} {n:>9} {sum(abs(v) for v, _ in xs) / n:>8.3f} {mz:>7.3f} {corr:>9.3f} {mse:>8.3f}")


if __name__ == "__main__":
    main()
