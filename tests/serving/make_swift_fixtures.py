"""Writes the tiny ONNX models the Swift serving tests deploy (Tests/Fixtures/serving/, outside the test target so SwiftPM does not treat them as resources).

Run with the test venv: .venv-test/bin/python tests/serving/make_swift_fixtures.py
The files are committed; rerun only to change them. Each model is built node by node with onnx.helper,
so the numbers the tests expect follow from the coefficients below:
  linear_v1.onnx   LinearRegressor: y = 1*a + 2*b            (input X float [N, 2], output variable [N, 1])
  linear_v2.onnx   LinearRegressor: y = 10*a + 20*b + 5
  classifier.onnx  LinearClassifier, labels 0/1, scores softmax(Xw + b), X float [N, 2]
                   (outputs label int64 [N], probabilities float [N, 2])
  broken.onnx      the first half of linear_v1.onnx: loads fail, the serving version must stay
"""
from pathlib import Path

import onnx
from onnx import TensorProto, helper

OUT = Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "serving"
OPSETS = [helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 1)]


def linear(coefficients, intercept):
    node = helper.make_node("LinearRegressor", ["X"], ["variable"], domain="ai.onnx.ml",
                            coefficients=coefficients, intercepts=[intercept], targets=1)
    graph = helper.make_graph(
        [node], "linear",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])])
    return helper.make_model(graph, opset_imports=OPSETS, producer_name="modelyard-fixtures")


def classifier():
    node = helper.make_node("LinearClassifier", ["X"], ["label", "probabilities"], domain="ai.onnx.ml",
                            coefficients=[-1.0, -1.0, 1.0, 1.0], intercepts=[0.0, 0.0],
                            classlabels_ints=[0, 1], multi_class=0, post_transform="SOFTMAX")
    graph = helper.make_graph(
        [node], "classifier",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])])
    return helper.make_model(graph, opset_imports=OPSETS, producer_name="modelyard-fixtures")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    models = {"linear_v1.onnx": linear([1.0, 2.0], 0.0), "linear_v2.onnx": linear([10.0, 20.0], 5.0),
              "classifier.onnx": classifier()}
    for name, model in models.items():
        onnx.checker.check_model(model)
        (OUT / name).write_bytes(model.SerializeToString())
    good = (OUT / "linear_v1.onnx").read_bytes()
    (OUT / "broken.onnx").write_bytes(good[: len(good) // 2])
    print(f"wrote {', '.join(sorted(models) + ['broken.onnx'])} to {OUT}")


if __name__ == "__main__":
    main()
