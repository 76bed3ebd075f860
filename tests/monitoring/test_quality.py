"""`yard quality --json` against scikit-learn 1.9.1 (metrics) and a direct numpy computation (fairness)."""
import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

TOLERANCE = 1e-9


def close(actual, expected):
    assert actual is not None, f"expected {expected}, got null"
    assert math.isclose(actual, expected, rel_tol=TOLERANCE, abs_tol=TOLERANCE), f"{actual} != {expected}"


def binary_frame(rng, rows, labels=(0, 1)):
    negative, positive = labels
    truth = rng.random(rows) < 0.4
    score = np.clip(0.35 * truth + 0.65 * rng.random(rows), 0, 1)
    predicted = score > 0.45
    group = rng.choice(["F", "M", "X"], size=rows, p=[0.4, 0.45, 0.15])
    # Group M gets more positive decisions, so the gaps are not zero.
    predicted = predicted | ((group == "M") & (rng.random(rows) < 0.15))
    return pd.DataFrame({
        "label": np.where(truth, positive, negative),
        "predicted": np.where(predicted, positive, negative),
        "proba": score,
        "sex": group,
    })


@pytest.mark.parametrize("rows,seed", [(300, 1), (5000, 2)])
def test_binary_zero_one(tmp_path, yard_json, rows, seed):
    frame = binary_frame(np.random.default_rng(seed), rows)
    path = tmp_path / "scored.csv"
    frame.to_csv(path, index=False)
    result = yard_json("quality", path, "--target", "label", "--prediction", "predicted", "--score", "proba", "--json")
    y, p, s = frame["label"], frame["predicted"], frame["proba"]
    m = result["metrics"]
    assert result["task"] == "classification" and result["rows"] == rows and result["positive_label"] == "1"
    close(m["accuracy"], skm.accuracy_score(y, p))
    close(m["precision"], skm.precision_score(y, p))
    close(m["recall"], skm.recall_score(y, p))
    close(m["f1"], skm.f1_score(y, p))
    close(m["roc_auc"], skm.roc_auc_score(y, s))
    close(m["log_loss"], skm.log_loss(y, s))


def test_binary_string_labels_positive_label_and_default(tmp_path, yard_json):
    frame = binary_frame(np.random.default_rng(3), 800, labels=("stay", "churn"))
    path = tmp_path / "scored.csv"
    frame.to_csv(path, index=False)
    y, p, s = frame["label"], frame["predicted"], frame["proba"]
    chosen = yard_json("quality", path, "--target", "label", "--prediction", "predicted", "--score", "proba",
                       "--positive-label", "churn", "--json")
    m = chosen["metrics"]
    close(m["precision"], skm.precision_score(y, p, pos_label="churn"))
    close(m["recall"], skm.recall_score(y, p, pos_label="churn"))
    close(m["f1"], skm.f1_score(y, p, pos_label="churn"))
    close(m["roc_auc"], skm.roc_auc_score(y == "churn", s))
    close(m["log_loss"], skm.log_loss(y, np.column_stack([s, 1 - s]), labels=["churn", "stay"]))
    # Without --positive-label the greater label ("stay") is positive, as roc_auc_score's classes_[1].
    default = yard_json("quality", path, "--target", "label", "--prediction", "predicted", "--json")
    assert default["positive_label"] == "stay"
    close(default["metrics"]["precision"], skm.precision_score(y, p, pos_label="stay"))
    assert default["metrics"]["roc_auc"] is None and default["metrics"]["log_loss"] is None
    assert any("--score" in note for note in default["notes"])


def multiclass_frame(rng, rows, classes):
    truth = rng.choice(classes, size=rows)
    logits = rng.normal(size=(rows, len(classes)))
    logits[np.arange(rows), [classes.index(t) for t in truth]] += 1.2
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    predicted = np.array(classes)[proba.argmax(axis=1)]
    return truth, predicted, proba


def test_multiclass_csv_scores_by_class(tmp_path, yard_json):
    classes = ["setosa", "versicolor", "virginica", "other"]
    truth, predicted, proba = multiclass_frame(np.random.default_rng(4), 1200, classes)
    frame = pd.DataFrame({"species": truth, "label": predicted})
    for index, name in enumerate(classes):
        frame[f"proba_{name}"] = proba[:, index]
    path = tmp_path / "scored.csv"
    frame.to_csv(path, index=False)
    # Three columns named after their class, one given as CLASS=COLUMN.
    args = ["--score", "proba_setosa", "--score", "proba_versicolor", "--score", "proba_virginica",
            "--score", "other=proba_other"]
    result = yard_json("quality", path, "--target", "species", "--prediction", "label", *args, "--json")
    m = result["metrics"]
    close(m["accuracy"], skm.accuracy_score(truth, predicted))
    close(m["precision"], skm.precision_score(truth, predicted, average="macro"))
    close(m["recall"], skm.recall_score(truth, predicted, average="macro"))
    close(m["f1"], skm.f1_score(truth, predicted, average="macro"))
    order = sorted(classes)
    sorted_proba = proba[:, [classes.index(c) for c in order]]
    close(m["roc_auc"], skm.roc_auc_score(truth, sorted_proba, multi_class="ovr", average="macro", labels=order))
    close(m["log_loss"], skm.log_loss(truth, sorted_proba, labels=order))


def test_multiclass_jsonl_probability_objects_and_missing_labels(tmp_path, yard_json):
    classes = [0, 1, 2]
    truth, predicted, proba = multiclass_frame(np.random.default_rng(5), 600, classes)
    labelled = np.ones(len(truth), dtype=bool)
    labelled[::7] = False   # labels not arrived yet: these rows must be left out
    path = tmp_path / "log.jsonl"
    with open(path, "w") as handle:
        for row in range(len(truth)):
            record = {"prediction": int(predicted[row]),
                      "proba": {str(c): float(proba[row, i]) for i, c in enumerate(classes)},
                      "label": int(truth[row]) if labelled[row] else None}
            handle.write(json.dumps(record) + "\n")
    result = yard_json("quality", path, "--target", "label", "--prediction", "prediction", "--score", "proba",
                       "--task", "classification", "--json")
    y, p, s = truth[labelled], predicted[labelled], proba[labelled]
    assert result["rows"] == len(truth) and result["labeled_rows"] == int(labelled.sum())
    m = result["metrics"]
    close(m["f1"], skm.f1_score(y, p, average="macro"))
    close(m["roc_auc"], skm.roc_auc_score(y, s, multi_class="ovr"))
    close(m["log_loss"], skm.log_loss(y, s))


def test_regression(tmp_path, yard_json):
    rng = np.random.default_rng(6)
    truth = rng.lognormal(3, 0.5, size=2000)
    estimate = truth * rng.normal(1, 0.1, size=2000) + rng.normal(0, 2, size=2000)
    path = tmp_path / "prices.csv"
    pd.DataFrame({"price": truth, "estimate": estimate}).to_csv(path, index=False)
    result = yard_json("quality", path, "--target", "price", "--prediction", "estimate", "--json")
    assert result["task"] == "regression"
    m = result["metrics"]
    close(m["mae"], skm.mean_absolute_error(truth, estimate))
    close(m["rmse"], skm.root_mean_squared_error(truth, estimate))
    close(m["mape"], skm.mean_absolute_percentage_error(truth, estimate))
    close(m["r2"], skm.r2_score(truth, estimate))


def test_regression_zero_truth_and_constant_target(tmp_path, yard_json):
    path = tmp_path / "zeros.csv"
    pd.DataFrame({"y": [0.0, 1.5, 2.5, 4.0], "yhat": [0.5, 1.0, 3.0, 4.0]}).to_csv(path, index=False)
    m_all = yard_json("quality", path, "--target", "y", "--prediction", "yhat", "--task", "regression", "--json")
    assert m_all["metrics"]["mape"] is None and any("mape" in note for note in m_all["notes"])
    close(m_all["metrics"]["mae"], skm.mean_absolute_error([0, 1.5, 2.5, 4], [0.5, 1, 3, 4]))
    constant = tmp_path / "constant.csv"
    pd.DataFrame({"y": [2.0] * 4, "yhat": [2.0, 2.5, 1.5, 2.0]}).to_csv(constant, index=False)
    result = yard_json("quality", constant, "--target", "y", "--prediction", "yhat", "--task", "regression", "--json")
    close(result["metrics"]["r2"], skm.r2_score([2.0] * 4, [2.0, 2.5, 1.5, 2.0]))


def test_undefined_metrics_are_null_with_notes(tmp_path, yard_json):
    # The target holds one class only, and nothing is predicted positive.
    path = tmp_path / "one.csv"
    pd.DataFrame({"y": [0] * 6, "p": [0] * 6, "s": [0.1, 0.2, 0.3, 0.2, 0.1, 0.4]}).to_csv(path, index=False)
    result = yard_json("quality", path, "--target", "y", "--prediction", "p", "--score", "s",
                       "--positive-label", "1", "--json")
    m = result["metrics"]
    assert m["roc_auc"] is None
    close(m["accuracy"], 1.0)
    close(m["precision"], skm.precision_score([0] * 6, [0] * 6, zero_division=0))
    close(m["log_loss"], skm.log_loss([0] * 6, [0.1, 0.2, 0.3, 0.2, 0.1, 0.4], labels=[0, 1]))
    notes = " ".join(result["notes"])
    assert "roc_auc" in notes and "precision" in notes and "zero_division" in notes


def fairness_expected(frame, positive, privileged=None):
    selected = frame["predicted"] == positive
    actual = frame["label"] == positive
    rates, tprs, fprs = {}, {}, {}
    for group, rows in frame.groupby("sex"):
        index = rows.index
        rates[group] = selected[index].mean()
        tprs[group] = selected[index][actual[index]].mean()
        fprs[group] = selected[index][~actual[index]].mean()
    values = np.array(list(rates.values()))
    if privileged is None:
        impact = values.min() / values.max()
    else:
        impact = min(v for g, v in rates.items() if g != privileged) / rates[privileged]
    eod = max(max(tprs.values()) - min(tprs.values()), max(fprs.values()) - min(fprs.values()))
    return rates, values.max() - values.min(), impact, eod


@pytest.mark.parametrize("privileged", [None, "M"])
def test_fairness(tmp_path, yard_json, privileged):
    frame = binary_frame(np.random.default_rng(7), 3000, labels=("no", "yes"))
    path = tmp_path / "scored.csv"
    frame.to_csv(path, index=False)
    args = ["--target", "label", "--prediction", "predicted", "--positive-label", "yes", "--sensitive", "sex"]
    if privileged:
        args += ["--privileged", privileged]
    result = yard_json("quality", path, *args, "--json")
    rates, dpd, impact, eod = fairness_expected(frame, "yes", privileged)
    fairness = result["fairness"]
    assert fairness["column"] == "sex" and sorted(fairness["groups"]) == sorted(rates)
    for group, rate in rates.items():
        close(fairness["groups"][group]["selection_rate"], rate)
        assert fairness["groups"][group]["rows"] == int((frame["sex"] == group).sum())
    close(fairness["demographic_parity_difference"], dpd)
    close(fairness["disparate_impact_ratio"], impact)
    close(fairness["equalized_odds_difference"], eod)


def test_errors_name_the_problem(tmp_path, run_yard):
    path = tmp_path / "scored.csv"
    pd.DataFrame({"y": [0, 1], "p": [1, 1]}).to_csv(path, index=False)
    missing = run_yard("quality", path, "--target", "truth", "--prediction", "p", "--json")
    assert missing.returncode == 1 and "truth" in missing.stderr and "columns: y, p" in missing.stderr
    absent = run_yard("quality", tmp_path / "nope.csv", "--target", "y", "--prediction", "p")
    assert absent.returncode == 1 and "nope.csv" in absent.stderr
    privileged = run_yard("quality", path, "--target", "y", "--prediction", "p", "--sensitive", "y", "--privileged", "7")
    assert privileged.returncode == 1 and "'7'" in privileged.stderr
    regression_text = tmp_path / "text.csv"
    pd.DataFrame({"y": [1.5, 2.5], "p": ["high", "low"]}).to_csv(regression_text, index=False)
    wrong = run_yard("quality", regression_text, "--target", "y", "--prediction", "p", "--task", "regression")
    assert wrong.returncode == 1 and "'p'" in wrong.stderr
    usage = run_yard("quality", path, "--target", "y")
    assert usage.returncode == 64 or usage.returncode == 2, usage
