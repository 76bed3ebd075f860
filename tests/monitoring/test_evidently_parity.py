"""`yard drift --json` against Evidently 0.7.23's Report([DataDriftPreset()]) on the same CSV files.

Per tested column: the column kind, the test chosen by default, its threshold, the verdict and the score
(within 1e-6) must be Evidently's; per dataset: the tested columns, drifted count, share and verdict.
Evidently runs in its own venv through evidently_drift.py.
"""
import json
import math

import numpy as np
import pandas as pd
import pytest

from datagen import KINDS, mixed_pair, write_pair

SCORE_TOLERANCE = 1e-6
KIND_NAMES = {"num": "numerical", "cat": "categorical"}
ALL_SHIFTED = {kind: 1.0 for kind in KINDS}

# (name, seed, reference rows, current rows, per-kind shift of the current side, copies of each kind)
DATASETS = [
    ("small-unshifted", 11, 500, 500, {}, 1),
    ("small-shifted-uneven", 12, 800, 1200, {"f_norm": 1.0, "i_few": 1.0, "s_low": 1.0, "b_bool": 1.0}, 1),
    # 1000 reference rows: the last size of the small-sample branch (chisquare / z / ks).
    ("boundary-1000", 13, 1000, 700, {"f_nan": 1.0, "f_five": 1.0, "s_bin": 1.0, "i_nan": 0.5}, 1),
    # 1100 rows, but f_nan / i_nan keep ~1000 after NaN removal: both branches in one file.
    ("nan-straddles-1000", 14, 1100, 900, {"f_norm": 0.3, "i_many": 0.2}, 1),
    ("large-mild-shift", 15, 3000, 2000, {kind: 0.3 for kind in KINDS}, 1),
    ("large-unshifted-wide", 16, 5000, 4000, {}, 2),
    ("large-all-shifted", 17, 2500, 2500, ALL_SHIFTED, 1),
    ("small-current", 18, 4000, 300, {"f_norm": 0.5, "i_many": 1.0, "s_low": 0.5}, 1),
]


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory, evidently_drift, yard_json):
    """name -> (yard's JSON, Evidently's JSON), computed once for the module."""
    results = {}
    for name, seed, reference_rows, current_rows, shifts, copies in DATASETS:
        directory = tmp_path_factory.mktemp(name)
        reference, current = mixed_pair(seed, reference_rows, current_rows, shifts, copies=copies)
        ref_path, cur_path = write_pair(directory, reference, current)
        evidently = evidently_drift(ref_path, cur_path, directory / "evidently.json")
        yard = yard_json("drift", ref_path, cur_path, "--json")
        results[name] = (yard, evidently)
    return results


def close(a, b):
    return math.isclose(a, b, rel_tol=SCORE_TOLERANCE, abs_tol=SCORE_TOLERANCE)


@pytest.mark.parametrize("name", [dataset[0] for dataset in DATASETS])
def test_every_column_decided_as_evidently(verdicts, name):
    yard, evidently = verdicts[name]
    tested = {column["column"]: column for column in yard["columns"]}
    assert sorted(tested) == sorted(evidently["columns"]), f"tested columns differ; yard skipped {yard['skipped']}"
    problems = []
    for column, expected in evidently["columns"].items():
        got = tested[column]
        if got["kind"] != KIND_NAMES[expected["column_type"]]:
            problems.append(f"{column}: kind {got['kind']} vs Evidently {expected['column_type']}")
        if got["stattest"] != expected["stattest"]:
            problems.append(f"{column}: test {got['stattest']} vs Evidently {expected['stattest']}")
            continue
        if not close(got["threshold"], expected["threshold"]):
            problems.append(f"{column}: threshold {got['threshold']} vs {expected['threshold']}")
        if expected["score"] is None or got["score"] is None or not close(got["score"], expected["score"]):
            problems.append(f"{column} ({expected['stattest']}): score {got['score']!r} vs Evidently {expected['score']!r}")
        if got["drifted"] != expected["drifted"]:
            problems.append(f"{column} ({expected['stattest']}): drifted {got['drifted']} vs Evidently {expected['drifted']}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", [dataset[0] for dataset in DATASETS])
def test_dataset_verdict_as_evidently(verdicts, name):
    yard, evidently = verdicts[name]
    assert yard["tested_columns"] == evidently["number_of_columns"]
    assert yard["drifted_columns"] == evidently["number_of_drifted_columns"]
    assert close(yard["share_drifted"], evidently["share_drifted"])
    assert yard["dataset_drift"] == evidently["dataset_drift"]


def test_datasets_cover_the_default_choices(verdicts):
    """The generated data reach every branch of the default test choice and both dataset verdicts."""
    chosen = {column["stattest"] for _, evidently in verdicts.values() for column in evidently["columns"].values()}
    assert {"ks", "wasserstein", "chisquare", "z", "jensenshannon"} <= chosen, chosen
    dataset_verdicts = {evidently["dataset_drift"] for _, evidently in verdicts.values()}
    assert dataset_verdicts == {True, False}
    drifted = {column["drifted"] for _, evidently in verdicts.values() for column in evidently["columns"].values()}
    assert drifted == {True, False}


def test_edge_columns_give_a_clear_answer(tmp_path, run_yard, evidently_drift):
    """Empty, all-NaN, single-valued columns and columns in one file only: a skip with a reason or a clear
    error, never a crash; a single-valued column that both tools test gets Evidently's verdict."""
    rng = np.random.default_rng(21)
    rows = 400
    reference = pd.DataFrame({
        "normal": rng.normal(size=rows),
        "empty": [np.nan] * rows,
        "nan_in_current": rng.normal(size=rows),
        "constant": [7] * rows,
        "only_reference": rng.normal(size=rows),
    })
    current = pd.DataFrame({
        "normal": rng.normal(0.5, size=rows),
        "empty": [np.nan] * rows,
        "nan_in_current": [np.nan] * rows,
        "constant": [7] * rows,
        "only_current": rng.integers(0, 3, size=rows),
    })
    ref_path, cur_path = write_pair(tmp_path, reference, current)
    result = run_yard("drift", ref_path, cur_path, "--json")
    assert result.returncode in (0, 1, 2), f"yard drift crashed ({result.returncode}):\n{result.stderr}"
    edge_columns = ["empty", "nan_in_current", "constant", "only_reference", "only_current"]
    if result.returncode != 0:
        assert any(column in result.stderr for column in edge_columns), f"error does not name a column:\n{result.stderr}"
        return
    report = json.loads(result.stdout)
    tested = {column["column"]: column for column in report["columns"]}
    skipped = {entry["column"]: entry["reason"] for entry in report["skipped"]}
    assert "normal" in tested
    for column in edge_columns:
        assert column in tested or skipped.get(column), f"{column} neither tested nor skipped with a reason: {report}"
    for column in ["empty", "nan_in_current", "only_reference", "only_current"]:
        assert column not in tested, f"{column} has no values on one side but was tested: {tested[column]}"

    if "constant" in tested:
        common = ["normal", "constant"]
        write_pair(tmp_path, reference[common], current[common])
        evidently = evidently_drift(tmp_path / "ref.csv", tmp_path / "cur.csv", tmp_path / "evidently.json")
        expected = evidently["columns"]["constant"]
        assert tested["constant"]["stattest"] == expected["stattest"]
        assert tested["constant"]["drifted"] == expected["drifted"]
        assert close(tested["constant"]["score"], expected["score"])


def test_files_with_no_common_column_are_an_error(tmp_path, run_yard):
    pd.DataFrame({"a": [1.0, 2.0, 3.0]}).to_csv(tmp_path / "ref.csv", index=False)
    pd.DataFrame({"b": [1.0, 2.0, 3.0]}).to_csv(tmp_path / "cur.csv", index=False)
    result = run_yard("drift", tmp_path / "ref.csv", tmp_path / "cur.csv", "--json")
    assert result.returncode in (0, 1, 2), result.stderr
    if result.returncode == 0:
        report = json.loads(result.stdout)
        assert report["tested_columns"] == 0 and report["dataset_drift"] is False
        assert {entry["column"] for entry in report["skipped"]} == {"a", "b"}
    else:
        assert result.stderr.strip(), "an error exit must say what went wrong"
