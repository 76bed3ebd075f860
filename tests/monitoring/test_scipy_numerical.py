"""`yard drift --stattest <numerical test>` against SciPy 1.17.1 computed the way Evidently's legacy
stattests call it (src/evidently/legacy/calculations/stattests/*.py).

Each case writes a reference and a current CSV whose columns are forced numerical by a mapping file.
Columns have different lengths (short ones are padded with empty cells) and some carry NaN cells, so the
missing-value dropping Evidently does before a test is exercised too. Statistic and p-value must agree
with SciPy within 1e-6 (relative above 1), and the verdict must be Evidently's comparison.

cramer_von_mises: Evidently ships its own port of SciPy's cramervonmises_2samp. For samples of more than
20 values it equals SciPy's; for the exact path (both sides <= 20) the port keeps its frequency table in
float16/float32 (np.min_scalar_type of a float) or fails with a casting error, so yard computes, and this
test checks, SciPy's exact answer.
"""
import json
import math
import os
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

REPO = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def yard_bin():
    path = os.environ.get("YARD_BIN") or str(REPO / ".build" / "debug" / "yard")
    if not os.access(path, os.X_OK):
        pytest.skip(f"yard binary not found at {path}; set YARD_BIN")
    return path


def evidently_reference(test, ref, cur):
    """(statistic, p_value, drifted) as Evidently + SciPy compute them; p_value None for distances."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if test == "ks":
            r = stats.ks_2samp(ref, cur)
            return float(r.statistic), float(r.pvalue), bool(r.pvalue <= 0.05)
        if test == "wasserstein":
            score = stats.wasserstein_distance(ref, cur) / max(float(np.std(ref)), 0.001)
            return float(score), None, bool(score >= 0.1)
        if test == "ed":
            score = stats.energy_distance(ref, cur)
            return float(score), None, bool(score > 0.1)
        if test == "anderson":
            r = stats.anderson_ksamp([ref, cur])
            return float(r[0]), float(r[2]), bool(r[2] < 0.1)
        if test == "cramer_von_mises":
            r = stats.cramervonmises_2samp(ref, cur)
            return float(r.statistic), float(r.pvalue), bool(r.pvalue <= 0.1)
        if test == "mannw":
            r = stats.mannwhitneyu(x=ref, y=cur, alternative="less")
            return float(r[0]), float(r[1]), bool(r[1] < 0.05)
        if test == "t_test":
            r = stats.ttest_ind(ref, cur)
            return float(r[0]), float(r[1]), bool(r[1] < 0.05)
    raise ValueError(test)


def make_columns(rng, n_ref, n_cur):
    """name -> (reference values, current values); NaN marks a missing cell."""
    columns = {
        "same": (rng.normal(size=n_ref), rng.normal(size=n_cur)),
        "shifted": (rng.normal(size=n_ref), rng.normal(0.3, 1.2, size=n_cur)),
        "skewed": (rng.exponential(size=n_ref), rng.exponential(1.4, size=n_cur)),
        "ties": (rng.integers(0, 6, size=n_ref).astype(float), rng.integers(0, 7, size=n_cur).astype(float)),
        "constant": (np.full(n_ref, 0.1), np.full(n_cur, 0.1)),
    }
    gaps = rng.normal(size=n_ref)
    gaps[rng.random(n_ref) < 0.1] = np.nan
    columns["with_nan"] = (gaps, rng.normal(0.05, 1, size=n_cur))
    return columns


def write_csv(path, columns):
    names = list(columns)
    length = max(len(values) for values in columns.values())
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for i in range(length):
            cells = []
            for name in names:
                values = columns[name]
                cells.append("" if i >= len(values) or np.isnan(values[i]) else repr(float(values[i])))
            f.write(",".join(cells) + "\n")


SIZES = [(5, 5), (5, 12), (15, 15), (20, 7), (25, 25), (25, 60), (100, 100), (100, 37),
         (1000, 1000), (1000, 1500), (10000, 10000), (10000, 9000), (20000, 300), (200000, 190000)]
TESTS = ["ks", "wasserstein", "anderson", "cramer_von_mises", "ed", "mannw", "t_test"]


def close(expected, actual):
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return actual is None or (isinstance(actual, float) and math.isnan(actual))
    if actual is None:
        return False
    if math.isinf(expected):
        return actual == expected
    return abs(actual - expected) <= TOLERANCE * max(1.0, abs(expected))


@pytest.mark.parametrize("n_ref,n_cur", SIZES, ids=[f"{a}x{b}" for a, b in SIZES])
def test_numerical_tests_match_scipy(yard_bin, tmp_path, n_ref, n_cur):
    rng = np.random.default_rng(n_ref * 7919 + n_cur)
    columns = make_columns(rng, n_ref, n_cur)
    write_csv(tmp_path / "ref.csv", {k: v[0] for k, v in columns.items()})
    write_csv(tmp_path / "cur.csv", {k: v[1] for k, v in columns.items()})
    (tmp_path / "columns.yaml").write_text("numerical: [" + ", ".join(columns) + "]\n")
    failures = []
    for test in TESTS:
        proc = subprocess.run(
            [yard_bin, "drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"),
             "--columns", str(tmp_path / "columns.yaml"), "--stattest", test, "--json"],
            capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"{test}: exit {proc.returncode}: {proc.stderr}"
        report = json.loads(proc.stdout)
        by_name = {c["column"]: c for c in report["columns"]}
        for name, (ref, cur) in columns.items():
            ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
            if test == "anderson" and len(np.unique(np.concatenate([ref, cur]))) < 2:
                continue  # SciPy refuses (one distinct value); yard reports the column as not testable
            statistic, p_value, drifted = evidently_reference(test, ref, cur)
            got = by_name.get(name)
            if got is None:
                failures.append(f"{test}/{name}: column missing from the report")
                continue
            if got["stattest"] != test:
                failures.append(f"{test}/{name}: ran {got['stattest']}")
            if not close(statistic, got["statistic"]):
                failures.append(f"{test}/{name}: statistic {got['statistic']} != {statistic}")
            if p_value is not None and not close(p_value, got["p_value"]):
                failures.append(f"{test}/{name}: p_value {got['p_value']} != {p_value}")
            if got["drifted"] != drifted:
                failures.append(f"{test}/{name}: drifted {got['drifted']} != {drifted}")
            if got["reference_count"] != len(ref) or got["current_count"] != len(cur):
                failures.append(f"{test}/{name}: counts {got['reference_count']}/{got['current_count']} "
                                f"!= {len(ref)}/{len(cur)}")
    assert not failures, "\n".join(failures)
