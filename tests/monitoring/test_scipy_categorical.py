"""`yard drift` categorical and binned tests against the same computation done with pandas/numpy/SciPy.

The expected side restates Evidently's legacy stattests (chisquare, z, fisher_exact, g_test,
jensenshannon, psi, kl_div, hellinger and get_binned_data) in SciPy calls, on the CSVs read back with
pandas and NaN dropped, as Evidently receives them. Scores (and statistics) must agree within 1e-6
relative and the verdicts exactly.

Run: YARD_BIN=.build/debug/yard .venv-test/bin/python -m pytest tests/monitoring/test_scipy_categorical.py
"""

import json
import math
import os
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial import distance

REPO = Path(__file__).resolve().parents[2]
YARD_BIN = os.environ.get("YARD_BIN", str(REPO / ".build" / "debug" / "yard"))

CATEGORY_TESTS = ["chisquare", "z", "jensenshannon", "psi", "kl_div", "hellinger"]
EQUAL_SIZE_TESTS = ["fisher_exact", "g_test"]
BINNED_TESTS = ["jensenshannon", "psi", "kl_div", "hellinger"]
SIZES = [5, 37, 1000, 100_000]


# --- Evidently's computations in SciPy terms ------------------------------------------------------


def _keys(ref, cur):
    return list(set(ref.unique()) | set(cur.unique()))


def _shares(ref, cur, kind, fill_zeroes):
    if kind == "numerical" and ref.nunique() > 20:
        edges = np.histogram_bin_edges(np.asarray(pd.concat([ref, cur]).values), bins="sturges")
        ref_shares = np.histogram(ref, edges)[0] / len(ref)
        cur_shares = np.histogram(cur, edges)[0] / len(cur)
    else:
        keys = _keys(ref, cur)
        ref_counts, cur_counts = ref.value_counts(), cur.value_counts()
        ref_shares = np.array([ref_counts.get(k, 0) / len(ref) for k in keys])
        cur_shares = np.array([cur_counts.get(k, 0) / len(cur) for k in keys])
    if fill_zeroes:
        for shares in (ref_shares, cur_shares):
            smallest = shares[shares != 0].min()
            shares[shares == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return ref_shares, cur_shares


def expected(test, ref, cur, kind):
    """(score, statistic or None, drifted) as Evidently computes them; raises where it raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if test in ("chisquare", "g_test"):
            keys = _keys(ref, cur)
            ref_counts, cur_counts = ref.value_counts(), cur.value_counts()
            observed = [cur_counts.get(k, 0) for k in keys]
            if test == "chisquare":
                scale = len(cur) / len(ref)
                result = stats.chisquare(observed, [ref_counts.get(k, 0) * scale for k in keys])
                threshold = 0.05
            else:
                result = stats.power_divergence(observed, [ref_counts.get(k, 0) for k in keys], lambda_="log-likelihood")
                threshold = 0.1
            return result.pvalue, result.statistic, bool(result.pvalue < threshold)
        if test == "z":
            if ref.nunique() == 1 and cur.nunique() == 1 and ref.unique()[0] == cur.unique()[0]:
                return 1.0, None, False
            first = sorted(_keys(ref, cur))[0]
            n1, n2 = len(ref), len(cur)
            p1, p2 = float((ref != first).sum()) / n1, float((cur != first).sum()) / n2
            pooled = float(p1 * n1 + p2 * n2) / (n1 + n2)
            z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
            p = 2 * (1 - stats.norm.cdf(np.abs(z)))
            return p, z, bool(p < 0.05)
        if test == "fisher_exact":
            if len(ref) != len(cur):
                raise ValueError("reference_data and current_data are not of equal length")
            categories = sorted(_keys(ref, cur))
            if len(categories) > 2:
                raise ValueError("unique categories > 2")
            first_ref, first_cur = int((ref == categories[0]).sum()), int((cur == categories[0]).sum())
            p = stats.fisher_exact([[first_cur, len(cur) - first_cur], [first_ref, len(ref) - first_ref]]).pvalue
            return p, None, bool(p < 0.1)
        if test == "jensenshannon":
            d = distance.jensenshannon(*_shares(ref, cur, kind, False))
            return d, d, bool(d >= 0.1)
        if test == "psi":
            r, c = _shares(ref, cur, kind, True)
            v = float(np.sum((r - c) * np.log(r / c)))
            return v, v, v >= 0.1
        if test == "kl_div":
            v = float(stats.entropy(*_shares(ref, cur, kind, True)))
            return v, v, v >= 0.1
        if test == "hellinger":
            keys = _keys(ref, cur)
            if kind == "categorical":
                r, c = ref.value_counts() / len(ref), cur.value_counts() / len(cur)
                affinity = sum(math.sqrt(float(r.get(k, 0)) * float(c.get(k, 0))) for k in keys)
            else:
                edges = np.histogram_bin_edges(keys, bins="sturges")
                h1 = np.histogram(ref.to_numpy(), bins=edges, density=True)[0]
                h2 = np.histogram(cur.to_numpy(), bins=edges, density=True)[0]
                width = (max(edges) - min(edges)) / (len(edges) - 1)
                affinity = sum(math.sqrt(float(a) * float(b)) * width for a, b in zip(h1, h2))
            d = math.sqrt(1 - np.clip(affinity, 0, 1))
            return d, d, d >= 0.1
    raise KeyError(test)


# --- data and the command -------------------------------------------------------------------------


def _with_missing(rng, values, share):
    values = list(values)
    for i in np.flatnonzero(rng.random(len(values)) < share):
        values[i] = None
    return values


def categorical_frames(rng, n_ref, n_cur, missing):
    """String and integer categories; 'e' and 0 only in reference, 9 only in current."""
    letters = np.array(list("abcde"))
    ref = {
        "letters": rng.choice(letters, n_ref, p=[0.4, 0.3, 0.15, 0.1, 0.05]),
        "yes_no": rng.choice(["no", "yes"], n_ref, p=[0.7, 0.3]),
        "codes": rng.choice([0, 1, 2, 3], n_ref, p=[0.1, 0.4, 0.3, 0.2]),
    }
    cur = {
        "letters": rng.choice(letters[:4], n_cur, p=[0.35, 0.3, 0.2, 0.15]),
        "yes_no": rng.choice(["no", "yes"], n_cur, p=[0.6, 0.4]),
        "codes": rng.choice([1, 2, 3, 9], n_cur, p=[0.4, 0.3, 0.2, 0.1]),
    }
    make = lambda columns: pd.DataFrame({k: _with_missing(rng, v.tolist(), missing) for k, v in columns.items()})
    return make(ref), make(cur)


def numerical_frames(rng, n_ref, n_cur):
    ref = pd.DataFrame({
        "gauss": rng.normal(0, 1, n_ref),
        "wide_ints": rng.integers(0, 60, n_ref),
        "few_ints": rng.integers(0, 3, n_ref),
        "gappy": _with_missing(rng, rng.gamma(2.0, 3.0, n_ref).tolist(), 0.05),
    })
    cur = pd.DataFrame({
        "gauss": rng.normal(0.15, 1.1, n_cur),
        "wide_ints": rng.integers(5, 70, n_cur),
        "few_ints": rng.integers(0, 3, n_cur),
        "gappy": _with_missing(rng, rng.gamma(2.2, 3.0, n_cur).tolist(), 0.05),
    })
    return ref, cur


def write_csv(frame, path):
    with open(path, "w") as out:
        out.write(",".join(frame.columns) + "\n")
        for row in frame.itertuples(index=False):
            out.write(",".join(_cell(v) for v in row) + "\n")


def _cell(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)


def yard_drift(tmp_path, ref, cur, mapping, stattest=None):
    ref_path, cur_path, map_path = tmp_path / "ref.csv", tmp_path / "cur.csv", tmp_path / "columns.yaml"
    write_csv(ref, ref_path)
    write_csv(cur, cur_path)
    map_path.write_text("".join(f"{kind}: [{', '.join(cols)}]\n" for kind, cols in mapping.items()))
    command = [YARD_BIN, "drift", str(ref_path), str(cur_path), "--columns", str(map_path), "--json"]
    if stattest:
        command += ["--stattest", stattest]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    return done, ref_path, cur_path


def report(done):
    assert done.returncode == 0, f"yard drift failed ({done.returncode}): {done.stderr}"
    return {c["column"]: c for c in json.loads(done.stdout)["columns"]}


def close(got, want):
    if want is None or (isinstance(want, float) and not math.isfinite(want)):
        return got is None
    return got is not None and math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-12)


def check_columns(done, ref_path, cur_path, test, kinds):
    columns = report(done)
    ref_back, cur_back = pd.read_csv(ref_path), pd.read_csv(cur_path)
    for name, kind in kinds.items():
        got = columns[name]
        ref, cur = ref_back[name].dropna(), cur_back[name].dropna()
        score, statistic, drifted = expected(test, ref, cur, kind)
        assert got["stattest"] == test
        if isinstance(score, float) and math.isnan(score):
            # One shared category: SciPy has no degrees of freedom (NaN, no drift); yard reports p = 1.
            assert got["score"] == 1.0 and not got["drifted"], (name, got)
            continue
        assert close(got["score"], float(score)), (test, name, got["score"], score)
        if test != "fisher_exact" and statistic is not None:
            assert close(got["statistic"], float(statistic)), (test, name, got["statistic"], statistic)
        assert got["drifted"] == drifted, (test, name, got["score"], score)


@pytest.fixture(scope="module")
def yard_bin():
    if not os.access(YARD_BIN, os.X_OK):
        pytest.fail(f"no yard binary at {YARD_BIN}: build it (swift build) or set YARD_BIN")
    return YARD_BIN


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("test", CATEGORY_TESTS)
def test_categories_match_scipy(yard_bin, tmp_path, test, size):
    rng = np.random.default_rng(size)
    ref, cur = categorical_frames(rng, size, size * 13 // 10 + 1, missing=0.05 if size > 5 else 0)
    done, ref_path, cur_path = yard_drift(tmp_path, ref, cur, {"categorical": list(ref.columns)}, test)
    check_columns(done, ref_path, cur_path, test, {c: "categorical" for c in ref.columns})


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("test", EQUAL_SIZE_TESTS)
def test_equal_size_tests_match_scipy(yard_bin, tmp_path, test, size):
    rng = np.random.default_rng(size + 1)
    ref, cur = categorical_frames(rng, size, size, missing=0)
    columns = ["yes_no"] if test == "fisher_exact" else list(ref.columns)
    done, ref_path, cur_path = yard_drift(tmp_path, ref[columns], cur[columns], {"categorical": columns}, test)
    check_columns(done, ref_path, cur_path, test, {c: "categorical" for c in columns})


@pytest.mark.parametrize("test", EQUAL_SIZE_TESTS)
def test_equal_size_tests_refuse_unequal_samples(yard_bin, tmp_path, test):
    rng = np.random.default_rng(3)
    ref, cur = categorical_frames(rng, 50, 60, missing=0)
    done, _, _ = yard_drift(tmp_path, ref[["yes_no"]], cur[["yes_no"]], {"categorical": ["yes_no"]}, test)
    # Evidently raises here; yard must say why rather than report a number.
    if done.returncode == 0:
        result = json.loads(done.stdout)
        assert not any(c["column"] == "yes_no" for c in result["columns"])
        reasons = [s["reason"] for s in result["skipped"] if s["column"] == "yes_no"]
        assert reasons and "same size" in reasons[0]
    else:
        assert "same size" in done.stderr


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("test", BINNED_TESTS)
def test_binned_numbers_match_numpy(yard_bin, tmp_path, test, size):
    rng = np.random.default_rng(size + 2)
    ref, cur = numerical_frames(rng, size, size * 11 // 10 + 3)
    done, ref_path, cur_path = yard_drift(tmp_path, ref, cur, {"numerical": list(ref.columns)}, test)
    check_columns(done, ref_path, cur_path, test, {c: "numerical" for c in ref.columns})


EDGE_CASES = {
    "shared_single": (["a"] * 12, ["a"] * 12),
    "disjoint": (["a"] * 6 + ["b"] * 6, ["c"] * 12),
    "new_in_current": (["a"] * 6 + ["b"] * 6, ["a"] * 5 + ["b"] * 5 + ["c"] * 2),
    "gone_in_current": (["a"] * 6 + ["b"] * 6, ["a"] * 12),
}


@pytest.mark.parametrize("test", CATEGORY_TESTS + EQUAL_SIZE_TESTS)
def test_edge_categories(yard_bin, tmp_path, test):
    names = list(EDGE_CASES)
    if test == "fisher_exact":  # at most two categories
        names = ["shared_single", "gone_in_current"]
    ref = pd.DataFrame({name: EDGE_CASES[name][0] for name in names})
    cur = pd.DataFrame({name: EDGE_CASES[name][1] for name in names})
    done, ref_path, cur_path = yard_drift(tmp_path, ref, cur, {"categorical": names}, test)
    check_columns(done, ref_path, cur_path, test, {name: "categorical" for name in names})


def test_default_selection_tests_low_cardinality_numbers_as_categories(yard_bin, tmp_path):
    rng = np.random.default_rng(11)
    ref = pd.DataFrame({"level": rng.choice([0.5, 1.5, 2.5, 3.5], 400)})
    cur = pd.DataFrame({"level": rng.choice([0.5, 1.5, 2.5, 3.5], 300, p=[0.4, 0.3, 0.2, 0.1])})
    done, ref_path, cur_path = yard_drift(tmp_path, ref, cur, {"numerical": ["level"]})
    check_columns(done, ref_path, cur_path, "chisquare", {"level": "numerical"})
