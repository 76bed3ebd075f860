"""Native evaluator parity with onnxruntime, through `yard predict`.

Every model is trained on small generated data, converted with skl2onnx, and evaluated on the same
1,000 rows by onnxruntime (the reference) and by `$YARD_BIN predict model.onnx input.csv --out out.jsonl`.
Labels must be equal; scores and regression outputs equal within 1e-5 (relative and absolute).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import skl2onnx_compat  # noqa: E402,F401  (must precede the conversions)
from skl2onnx import to_onnx  # noqa: E402
from skl2onnx.common.data_types import FloatTensorType, StringTensorType  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor,  # noqa: E402
                              HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: E402

YARD = os.environ.get("YARD_BIN", str(Path(__file__).resolve().parents[2] / ".build/debug/yard"))
ROWS = 1000
FEATURES = ["f0", "f1", "f2", "f3"]
TOLERANCE = 1e-5

rng = np.random.default_rng(7)
X_TRAIN = rng.normal(size=(400, 4)).astype(np.float32)
X_TEST = rng.normal(size=(ROWS, 4)).astype(np.float32)
Y_REGRESSION = (X_TRAIN @ np.array([1.5, -2.0, 0.5, 3.0]) + rng.normal(scale=0.1, size=400)).astype(np.float32)
Y_BINARY = (X_TRAIN[:, 0] + X_TRAIN[:, 1] * 0.5 > 0).astype(np.int64)
Y_MULTI = np.digitize(X_TRAIN[:, 0] + X_TRAIN[:, 2], [-0.7, 0.7]).astype(np.int64)
Y_STRINGS = np.where(Y_BINARY == 1, "churn", "stay")

COLORS = np.array(["red", "green", "blue", "violet"])
SIZES = np.array(["S", "M", "L"])


def yard(*args, check=True):
    result = subprocess.run([YARD, *args], capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"yard {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def write_csv(path: Path, frame: pd.DataFrame):
    """Floats as the shortest text of their float32 value, so both sides read identical numbers."""
    def text(value):
        if isinstance(value, (float, np.floating)):
            return "" if np.isnan(value) else repr(float(np.float32(value)))
        return str(value)
    with open(path, "w") as f:
        f.write(",".join(frame.columns) + "\n")
        for row in frame.itertuples(index=False):
            f.write(",".join(text(v) for v in row) + "\n")


def read_jsonl(path: Path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def as_float(value):
    return np.nan if value is None else float(value)


def compare(name: str, reference, rows: list, output: str):
    """One onnxruntime output against the same key of every yard row."""
    assert len(rows) == ROWS or len(rows) == len(reference), f"{name}: yard wrote {len(rows)} rows"
    got = [row[output] for row in rows]
    if isinstance(reference, list):  # ZipMap: one {label: score} dict per row
        for index, (expected, actual) in enumerate(zip(reference, got)):
            assert set(map(str, expected)) == set(actual), f"{name}.{output}[{index}]: keys {list(expected)} vs {list(actual)}"
            for key, score in expected.items():
                assert abs(actual[str(key)] - score) <= TOLERANCE * (1 + abs(score)), \
                    f"{name}.{output}[{index}][{key}]: yard {actual[str(key)]}, onnxruntime {score}"
        return
    reference = np.asarray(reference)
    if reference.dtype.kind in "iuUSOb":
        flat = reference.reshape(len(rows), -1)
        actual = np.array([g if isinstance(g, list) else [g] for g in got], dtype=object)
        mismatches = [i for i in range(len(rows)) if list(flat[i]) != list(actual[i])]
        assert not mismatches, f"{name}.{output}: {len(mismatches)} labels differ, first row {mismatches[0]}: " \
                               f"yard {actual[mismatches[0]]}, onnxruntime {flat[mismatches[0]]}"
        return
    expected = reference.reshape(len(rows), -1).astype(np.float64)
    actual = np.array([[as_float(v) for v in (g if isinstance(g, list) else [g])] for g in got], dtype=np.float64)
    assert actual.shape == expected.shape, f"{name}.{output}: yard shape {actual.shape}, onnxruntime {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=TOLERANCE, atol=TOLERANCE, equal_nan=True,
                               err_msg=f"{name}.{output}")


def check_parity(tmp_path: Path, name: str, onnx_model, frame: pd.DataFrame, feeds: dict, extra_args=()):
    model_path = tmp_path / f"{name}.onnx"
    model_path.write_bytes(onnx_model.SerializeToString())
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    output_names = [o.name for o in session.get_outputs()]
    reference = dict(zip(output_names, session.run(None, feeds)))
    csv_path = tmp_path / f"{name}.csv"
    write_csv(csv_path, frame)
    out_path = tmp_path / f"{name}.jsonl"
    yard("predict", str(model_path), str(csv_path), "--out", str(out_path), "--quiet", *extra_args)
    rows = read_jsonl(out_path)
    assert len(rows) == len(frame), f"{name}: yard wrote {len(rows)} rows for {len(frame)}"
    for output in output_names:
        assert all(output in row for row in rows), f"{name}: output {output} missing from yard's rows"
        compare(name, reference[output], rows, output)
    return rows


def numeric_frame(data=X_TEST):
    return pd.DataFrame(data, columns=FEATURES)


def convert(model, zipmap=True, data=X_TRAIN):
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    options = None if zipmap or not hasattr(final, "predict_proba") else {id(final): {"zipmap": False}}
    # skl2onnx's default opsets: what a user's conversion produces (ai.onnx 22 with skl2onnx 1.20).
    return to_onnx(model, data[:1], options=options)


REGRESSORS = {
    "linear_regression": lambda: LinearRegression(),
    "ridge": lambda: Ridge(alpha=0.5),
    "decision_tree_regressor": lambda: DecisionTreeRegressor(max_depth=6, random_state=0),
    "random_forest_regressor": lambda: RandomForestRegressor(n_estimators=8, max_depth=6, random_state=0),
    "gradient_boosting_regressor": lambda: GradientBoostingRegressor(n_estimators=20, max_depth=3, random_state=0),
    "hist_gradient_boosting_regressor": lambda: HistGradientBoostingRegressor(max_iter=20, random_state=0),
    "mlp_regressor": lambda: MLPRegressor(hidden_layer_sizes=(8,), max_iter=300, random_state=0),
}

CLASSIFIERS = {
    "logistic_binary": (lambda: LogisticRegression(), Y_BINARY),
    "logistic_multiclass": (lambda: LogisticRegression(max_iter=300), Y_MULTI),
    "decision_tree_classifier": (lambda: DecisionTreeClassifier(max_depth=6, random_state=0), Y_MULTI),
    "random_forest_classifier_string_labels": (lambda: RandomForestClassifier(n_estimators=8, max_depth=6, random_state=0), Y_STRINGS),
    "gradient_boosting_binary": (lambda: GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0), Y_BINARY),
    "gradient_boosting_multiclass": (lambda: GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=0), Y_MULTI),
    "hist_gradient_boosting_classifier": (lambda: HistGradientBoostingClassifier(max_iter=20, random_state=0), Y_MULTI),
    "mlp_classifier": (lambda: MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0), Y_MULTI),
    "mlp_classifier_binary": (lambda: MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0), Y_BINARY),
    "pipeline_scaler_logistic": (lambda: Pipeline([("scale", StandardScaler()), ("model", LogisticRegression(max_iter=300))]), Y_MULTI),
}


@pytest.mark.parametrize("name", sorted(REGRESSORS))
def test_regressor(tmp_path, name):
    model = REGRESSORS[name]().fit(X_TRAIN, Y_REGRESSION)
    check_parity(tmp_path, name, convert(model), numeric_frame(), {"X": X_TEST})


@pytest.mark.parametrize("zipmap", [True, False], ids=["zipmap", "no_zipmap"])
@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_classifier(tmp_path, name, zipmap):
    factory, labels = CLASSIFIERS[name]
    model = factory().fit(X_TRAIN, labels)
    onnx_model = convert(model, zipmap=zipmap)
    rows = check_parity(tmp_path, f"{name}_{'zipmap' if zipmap else 'plain'}", onnx_model, numeric_frame(), {"X": X_TEST})
    # The converted model's labels are the classifier's own.
    label_output = "output_label" if zipmap else "label"
    assert {row[label_output] for row in rows} <= {str(c) if isinstance(c, str) else int(c) for c in model.classes_}


@pytest.mark.parametrize("name", ["standard_scaler", "min_max_scaler"])
def test_scaler(tmp_path, name):
    model = (StandardScaler() if name == "standard_scaler" else MinMaxScaler()).fit(X_TRAIN)
    check_parity(tmp_path, name, convert(model), numeric_frame(), {"X": X_TEST})


def test_simple_imputer_with_missing_values(tmp_path):
    train = X_TRAIN.copy()
    train[rng.random(train.shape) < 0.2] = np.nan
    test = X_TEST.copy()
    test[rng.random(test.shape) < 0.2] = np.nan
    for strategy in ["mean", "median"]:
        model = SimpleImputer(strategy=strategy).fit(train)
        check_parity(tmp_path, f"imputer_{strategy}", convert(model, data=train), numeric_frame(test), {"X": test})


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_hist_gradient_boosting_routes_missing_values(tmp_path, kind):
    """HistGradientBoosting learns where NaN goes at each split (nodes_missing_value_tracks_true)."""
    train = X_TRAIN.copy()
    train[rng.random(train.shape) < 0.2] = np.nan
    test = X_TEST.copy()
    test[rng.random(test.shape) < 0.2] = np.nan
    if kind == "classifier":
        model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(train, Y_BINARY)
    else:
        model = HistGradientBoostingRegressor(max_iter=20, random_state=0).fit(train, Y_REGRESSION)
    check_parity(tmp_path, f"hist_gradient_boosting_{kind}_nan", convert(model, zipmap=False, data=train),
                 numeric_frame(test), {"X": test})


def string_columns(rows):
    return np.stack([COLORS[rng.integers(0, len(COLORS), rows)], SIZES[rng.integers(0, len(SIZES), rows)]], axis=1).astype(object)


def test_one_hot_encoder_on_strings(tmp_path):
    train, test = string_columns(400), string_columns(ROWS)
    model = OneHotEncoder(handle_unknown="ignore").fit(train)
    onnx_model = to_onnx(model, initial_types=[("X", StringTensorType([None, 2]))], target_opset={"": 17, "ai.onnx.ml": 3})
    frame = pd.DataFrame(test, columns=["color", "size"])
    check_parity(tmp_path, "one_hot", onnx_model, frame, {"X": test})


@pytest.mark.parametrize("zipmap", [True, False], ids=["zipmap", "no_zipmap"])
def test_column_transformer_with_one_input_per_column(tmp_path, zipmap):
    def frame(numbers, strings):
        data = pd.DataFrame(numbers, columns=FEATURES)
        data["color"], data["size"] = strings[:, 0], strings[:, 1]
        return data
    train, test = frame(X_TRAIN, string_columns(400)), frame(X_TEST, string_columns(ROWS))
    labels = ((train["f0"] > 0) ^ (train["color"] == "red")).astype(np.int64)
    model = Pipeline([
        ("columns", ColumnTransformer([("numbers", StandardScaler(), FEATURES),
                                       ("strings", OneHotEncoder(handle_unknown="ignore"), ["color", "size"])])),
        ("model", LogisticRegression(max_iter=300)),
    ]).fit(train, labels)
    initial = [(c, FloatTensorType([None, 1])) for c in FEATURES] + [(c, StringTensorType([None, 1])) for c in ["color", "size"]]
    onnx_model = to_onnx(model, initial_types=initial, options=None if zipmap else {id(model.steps[-1][1]): {"zipmap": False}},
                         target_opset={"": 17, "ai.onnx.ml": 3})
    feeds = {c: test[c].to_numpy(dtype=np.float32).reshape(-1, 1) for c in FEATURES}
    feeds.update({c: test[c].to_numpy(dtype=object).reshape(-1, 1) for c in ["color", "size"]})
    # Columns in a different order from the inputs: they are matched by name.
    check_parity(tmp_path, f"column_transformer_{zipmap}", onnx_model, test[["size", "f3", "color", "f0", "f2", "f1"]], feeds)


def test_chunked_parallel_output_keeps_input_order(tmp_path):
    model = RandomForestClassifier(n_estimators=5, max_depth=5, random_state=0).fit(X_TRAIN, Y_MULTI)
    onnx_model = convert(model)
    path = tmp_path / "forest.onnx"
    path.write_bytes(onnx_model.SerializeToString())
    write_csv(tmp_path / "in.csv", numeric_frame())
    yard("predict", str(path), str(tmp_path / "in.csv"), "--out", str(tmp_path / "one.jsonl"), "-q")
    yard("predict", str(path), str(tmp_path / "in.csv"), "--out", str(tmp_path / "many.jsonl"), "-q", "--chunk-rows", "37", "--jobs", "3")
    assert (tmp_path / "one.jsonl").read_text() == (tmp_path / "many.jsonl").read_text()
    # CSV output: one prediction row per input row, probabilities as <output>_<label> columns.
    yard("predict", str(path), str(tmp_path / "in.csv"), "--out", str(tmp_path / "out.csv"), "-q", "--chunk-rows", "100")
    written = pd.read_csv(tmp_path / "out.csv")
    assert list(written.columns) == ["output_label", "output_probability_0", "output_probability_1", "output_probability_2"]
    assert len(written) == ROWS
    expected = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"X": X_TEST})[0]
    assert (written["output_label"].to_numpy() == expected).all()


def test_json_lines_input(tmp_path):
    model = LinearRegression().fit(X_TRAIN, Y_REGRESSION)
    path = tmp_path / "linear.onnx"
    path.write_bytes(convert(model).SerializeToString())
    with open(tmp_path / "in.jsonl", "w") as f:
        for row in X_TEST[:50]:
            f.write(json.dumps({name: float(v) for name, v in zip(FEATURES, row)}) + "\n")
    yard("predict", str(path), str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "out.jsonl"), "-q")
    rows = read_jsonl(tmp_path / "out.jsonl")
    expected = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"X": X_TEST[:50]})[0]
    np.testing.assert_allclose([r["variable"] for r in rows], expected.ravel(), rtol=TOLERANCE, atol=TOLERANCE)
    with open(tmp_path / "bad.jsonl", "w") as f:
        f.write('{"f0": 1, "f1": 2, "f2": 3, "f3": 4}\n\n[1, 2, 3, 4]\n')
    result = yard("predict", str(path), str(tmp_path / "bad.jsonl"), check=False)
    assert result.returncode != 0 and "bad.jsonl line 3 must be a JSON object" in result.stderr, result.stderr


def test_bad_cell_names_row_and_column(tmp_path):
    model = LinearRegression().fit(X_TRAIN, Y_REGRESSION)
    path = tmp_path / "linear.onnx"
    path.write_bytes(convert(model).SerializeToString())
    (tmp_path / "in.csv").write_text("f0,f1,f2,f3\n1,2,3,4\n5,six,7,8\n")
    result = yard("predict", str(path), str(tmp_path / "in.csv"), "--out", str(tmp_path / "out.csv"), check=False)
    assert result.returncode != 0
    assert "column 'f1', row 2" in result.stderr and "'six' is not a number" in result.stderr, result.stderr


def test_mlflow_onnx_package_uses_signature_column_order(tmp_path):
    import mlflow.onnx
    from mlflow.models import infer_signature
    train = pd.DataFrame(X_TRAIN, columns=["age", "income", "tenure", "visits"])
    model = GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=0).fit(train, Y_BINARY)
    onnx_model = to_onnx(model, X_TRAIN[:1], target_opset={"": 17, "ai.onnx.ml": 3})
    package = tmp_path / "package"
    mlflow.onnx.save_model(onnx_model, str(package), signature=infer_signature(train, model.predict(train)))
    assert "onnx" in (package / "MLmodel").read_text()
    test = pd.DataFrame(X_TEST, columns=train.columns)
    shuffled = test[["visits", "age", "tenure", "income"]]
    write_csv(tmp_path / "in.csv", shuffled)
    yard("predict", str(package), str(tmp_path / "in.csv"), "--out", str(tmp_path / "out.jsonl"), "-q")
    rows = read_jsonl(tmp_path / "out.jsonl")
    reference = ort.InferenceSession(str(package / "model.onnx"), providers=["CPUExecutionProvider"]).run(None, {"X": X_TEST})
    compare("mlflow_package", reference[0], rows, "output_label")
    compare("mlflow_package", reference[1], rows, "output_probability")
    # A column the signature does not name is refused with its name.
    (tmp_path / "bad.csv").write_text("age,income,tenure,visits,zip\n1,2,3,4,5\n")
    result = yard("predict", str(package), str(tmp_path / "bad.csv"), check=False)
    assert result.returncode != 0 and "column 'zip' is not an input" in result.stderr, result.stderr


def test_mlflow_package_with_external_tensor_data(tmp_path):
    import mlflow.onnx
    model = MLPRegressor(hidden_layer_sizes=(64,), max_iter=100, random_state=0).fit(X_TRAIN, Y_REGRESSION)
    from onnx import numpy_helper
    onnx_model = convert(model)
    # onnx moves only raw_data tensors out; skl2onnx writes float_data, so re-encode the weights first.
    for index, tensor in enumerate(onnx_model.graph.initializer):
        onnx_model.graph.initializer[index].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor), tensor.name))
    package = tmp_path / "mlp"
    mlflow.onnx.save_model(onnx_model, str(package), save_as_external_data=True, size_threshold=512)
    side_files = [p.name for p in package.iterdir() if p.name not in {"MLmodel", "model.onnx", "conda.yaml", "python_env.yaml", "requirements.txt"}]
    assert side_files, "the package was expected to keep some weights in a side file"
    write_csv(tmp_path / "in.csv", numeric_frame())
    yard("predict", str(package), str(tmp_path / "in.csv"), "--out", str(tmp_path / "out.jsonl"), "-q")
    rows = read_jsonl(tmp_path / "out.jsonl")
    reference = ort.InferenceSession(str(package / "model.onnx"), providers=["CPUExecutionProvider"]).run(None, {"X": X_TEST})
    compare(f"mlp_external ({side_files or 'no side files'})", reference[0], rows, "variable")


def test_sklearn_only_package_is_refused_naming_its_flavors(tmp_path):
    import mlflow.sklearn
    model = LogisticRegression().fit(X_TRAIN, Y_BINARY)
    package = tmp_path / "sklearn_model"
    mlflow.sklearn.save_model(model, str(package))
    write_csv(tmp_path / "in.csv", numeric_frame(X_TEST[:5]))
    result = yard("predict", str(package), str(tmp_path / "in.csv"), check=False)
    assert result.returncode != 0
    assert "flavors python_function, sklearn but no onnx flavor" in result.stderr, result.stderr
    assert "mlflow.onnx.log_model" in result.stderr, result.stderr
