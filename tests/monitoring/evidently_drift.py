"""Evidently's drift verdicts for two CSV files, as JSON (run inside the Evidently venv).

    .venv-evidently/bin/python tests/monitoring/evidently_drift.py REF.csv CUR.csv --out result.json

Reads both files with pandas' defaults, runs Report([DataDriftPreset()]) and writes, per tested column,
what Evidently decided: column type, the test (by its registry name and its title), score, threshold,
drift flag; and the dataset-level verdict. The per-column figures are taken from the preset's legacy
DataDriftTable result (the one that carries the drift flag) and checked against the preset's ValueDrift
scores, so a disagreement inside Evidently would show up here rather than as a yard failure.
Used by test_evidently_parity.py and bench/drift.
"""
import argparse
import json
import math
import sys
import time


def stattest_names():
    import evidently.legacy.calculations.stattests as stattests
    from evidently.legacy.calculations.stattests.registry import StatTest

    names = {}
    for attribute in dir(stattests):
        value = getattr(stattests, attribute)
        if isinstance(value, StatTest):
            names[value.display_name] = value.name
    return names


def number(value):
    value = float(value)
    return value if math.isfinite(value) else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("reference")
    parser.add_argument("current")
    parser.add_argument("--out", required=True)
    parser.add_argument("--drift-share", type=float, default=0.5)
    args = parser.parse_args()

    started = time.perf_counter()
    import pandas as pd
    from evidently import Report
    from evidently.legacy.metrics.data_drift.data_drift_table import DataDriftTableResults
    from evidently.presets import DataDriftPreset

    imported = time.perf_counter()
    reference = pd.read_csv(args.reference)
    current = pd.read_csv(args.current)
    loaded = time.perf_counter()
    snapshot = Report([DataDriftPreset(drift_share=args.drift_share)]).run(current_data=current, reference_data=reference)
    computed = time.perf_counter()

    tables = [result for results in snapshot.context._legacy_metrics.values() for result in results
              if isinstance(result, DataDriftTableResults)]
    if len(tables) != 1:
        sys.exit(f"expected one DataDriftTable result in the report, found {len(tables)}")
    table = tables[0]
    value_drift = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith("ValueDrift"):
            value_drift[config["column"]] = metric["value"]

    titles = stattest_names()
    columns = {}
    for name, drift in table.drift_by_columns.items():
        score = number(drift.drift_score)
        if name in value_drift and score is not None:
            other = float(value_drift[name])
            assert math.isclose(score, other, rel_tol=1e-12, abs_tol=1e-15), (name, score, other)
        columns[name] = {
            "column_type": drift.column_type,
            "stattest": titles.get(drift.stattest_name, drift.stattest_name),
            "stattest_title": drift.stattest_name,
            "score": score,
            "threshold": float(drift.stattest_threshold),
            "drifted": bool(drift.drift_detected),
        }
    document = {
        "reference_rows": len(reference),
        "current_rows": len(current),
        "columns": columns,
        "number_of_columns": int(table.number_of_columns),
        "number_of_drifted_columns": int(table.number_of_drifted_columns),
        "share_drifted": float(table.share_of_drifted_columns),
        "dataset_drift": bool(table.dataset_drift),
        "seconds": {"import": imported - started, "read": loaded - imported, "report": computed - loaded},
    }
    with open(args.out, "w") as handle:
        json.dump(document, handle, indent=1)


if __name__ == "__main__":
    main()
