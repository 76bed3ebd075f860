"""Writes the benchmark's reference and current CSVs: ROWS rows x 20 mixed-type columns each.

    python gen.py ROWS DIRECTORY [--seed N]

Two columns of each kind in tests/monitoring/datagen.py (floats, floats with NaN, 0/1 floats, 5-valued
floats, few- and many-valued ints, ints with NaN, low-cardinality and yes/no strings, booleans). The
current side shifts the first copy of every kind (0.3 of datagen's unit shift) and leaves the second
alone, so some columns drift and some do not. Skips the work when both files exist for the same
arguments (a stamp file records them).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "monitoring"))
from datagen import KINDS, column  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def frame(rng, rows, shifted):
    data = {}
    for copy in range(2):
        for kind in KINDS:
            shift = 0.3 if shifted and copy == 0 else 0.0
            data[f"{kind}_{copy}"] = column(kind, rng, rows, shift)
    return pd.DataFrame(data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int)
    parser.add_argument("directory")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    os.makedirs(args.directory, exist_ok=True)
    stamp = os.path.join(args.directory, "stamp")
    want = f"rows={args.rows} seed={args.seed} kinds={','.join(KINDS)}\n"
    paths = [os.path.join(args.directory, name) for name in ("ref.csv", "cur.csv")]
    if all(map(os.path.exists, paths)) and os.path.exists(stamp) and open(stamp).read() == want:
        return
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    for path, shifted in zip(paths, (False, True)):
        frame(rng, args.rows, shifted).to_csv(path, index=False)
    with open(stamp, "w") as handle:
        handle.write(want)
    print(f"[drift] generated {args.rows:,} x 20 twice in {time.perf_counter() - started:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
