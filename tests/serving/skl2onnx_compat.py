"""Lets skl2onnx 1.20.0 convert HistGradientBoosting models under protobuf 7.

skl2onnx builds the tree attribute `nodes_missing_value_tracks_true` from a list that mixes integers with
numpy booleans; protobuf 7 (pinned by mlflow 3.18) refuses a boolean in a repeated int field, so the
conversion dies with "Field onnx.AttributeProto.ints: Expected an int, got a boolean". Import this module
before converting: it turns booleans inside integer lists into 0/1, which is what the ONNX spec means.
The models it produces are unchanged otherwise (onnxruntime evaluates them as the reference).
"""
import numpy as np
import onnx.helper

_make_attribute = onnx.helper.make_attribute


def _make_attribute_with_int_booleans(key, value, *args, **kwargs):
    if isinstance(value, (list, tuple, np.ndarray)) and any(isinstance(v, (bool, np.bool_)) for v in value):
        value = [int(v) if isinstance(v, (bool, np.bool_)) else v for v in value]
    return _make_attribute(key, value, *args, **kwargs)


if onnx.helper.make_attribute is _make_attribute:
    onnx.helper.make_attribute = _make_attribute_with_int_booleans
