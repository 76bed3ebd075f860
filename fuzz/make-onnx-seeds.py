"""Writes the seed models for the `onnx` fuzz target into fuzz/corpus/onnx/: tiny scikit-learn models
converted with skl2onnx, each under libFuzzer's 4,096-byte input limit, so mutations start from the
operators the evaluator implements. Run with the test venv (scripts/python-env.sh prints its path):

    "$(scripts/python-env.sh)/bin/python" fuzz/make-onnx-seeds.py
"""
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests" / "serving"))
import skl2onnx_compat  # noqa: E402,F401  (HistGradientBoosting under protobuf 7)
from skl2onnx import to_onnx
from sklearn.ensemble import GradientBoostingRegressor, HistGradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

out = pathlib.Path(__file__).resolve().parent / "corpus" / "onnx"
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(7)
X = rng.normal(size=(60, 3)).astype(np.float32)
y_class = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
y_multi = np.digitize(X[:, 0], [-0.5, 0.5]).astype(np.int64)
y_value = (X @ np.array([1.5, -2.0, 0.5])).astype(np.float32)
strings = np.array([["a", "x"], ["b", "y"], ["c", "x"]] * 20, dtype=object)

seeds = {
    "linear_regression": (LinearRegression().fit(X, y_value), X, None),
    "logistic_binary_zipmap": (LogisticRegression().fit(X, y_class), X, None),
    "logistic_multi": (LogisticRegression().fit(X, y_multi), X, {"zipmap": False}),
    "decision_tree": (DecisionTreeClassifier(max_depth=2).fit(X, y_multi), X, {"zipmap": False}),
    "gradient_boosting": (GradientBoostingRegressor(n_estimators=2, max_depth=1).fit(X, y_value), X, None),
    "hist_gradient_boosting": (HistGradientBoostingClassifier(max_iter=2, max_depth=2).fit(X, y_class), X, {"zipmap": False}),
    "scaler_pipeline": (make_pipeline(StandardScaler(), MinMaxScaler()).fit(X), X, None),
    "mlp": (MLPRegressor(hidden_layer_sizes=(2,), max_iter=50).fit(X, y_value), X, None),
    "one_hot": (OneHotEncoder().fit(strings), strings, None),
}
for name, (model, sample, options) in seeds.items():
    kwargs = {"options": {id(model): options}} if options else {}
    onx = to_onnx(model, sample[:1], target_opset={"": 17, "ai.onnx.ml": 3}, **kwargs)
    data = onx.SerializeToString()
    if len(data) > 4096:
        print(f"skipped {name}: {len(data)} bytes is over the fuzzer's 4,096-byte limit")
        continue
    (out / f"{name}.onnx").write_bytes(data)
    print(f"wrote {name}.onnx ({len(data)} bytes)")
