"""Bad input gets a 4xx, never a 5xx: every MLflow endpoint with every field set to values of the wrong
type or shape, and raw bodies that are not JSON objects."""
import json

import pytest

pytestmark = pytest.mark.yard_only(reason="MLflow itself answers some of these with 500")

ENDPOINTS = [
    ("POST", "experiments/create"), ("GET", "experiments/get"), ("GET", "experiments/get-by-name"),
    ("POST", "experiments/search"), ("POST", "experiments/update"), ("POST", "experiments/delete"),
    ("POST", "experiments/set-experiment-tag"), ("POST", "runs/create"), ("GET", "runs/get"),
    ("POST", "runs/update"), ("POST", "runs/delete"), ("POST", "runs/log-metric"), ("POST", "runs/log-parameter"),
    ("POST", "runs/set-tag"), ("POST", "runs/delete-tag"), ("POST", "runs/log-batch"), ("POST", "runs/log-inputs"),
    ("POST", "runs/outputs"), ("POST", "runs/search"), ("GET", "metrics/get-history"), ("GET", "artifacts/list"),
    ("POST", "runs/log-model"), ("POST", "logged-models"), ("POST", "logged-models/search"),
    ("PATCH", "logged-models/m-missing"), ("POST", "registered-models/create"), ("GET", "registered-models/get"),
    ("GET", "registered-models/search"), ("POST", "registered-models/alias"), ("GET", "registered-models/alias"),
    ("POST", "model-versions/create"), ("GET", "model-versions/get"), ("GET", "model-versions/search"),
    ("POST", "model-versions/transition-stage"), ("GET", "model-versions/get-download-uri"),
]
FIELDS = ["name", "experiment_id", "run_id", "key", "value", "timestamp", "step", "filter", "max_results",
          "page_token", "order_by", "status", "metrics", "params", "tags", "datasets", "models", "experiment_ids",
          "metric_key", "path", "version", "alias", "stage", "source", "view_type", "model_json"]
VALUES = [None, "", 1, 1.5, True, [], {}, "NaN", "9" * 30, "../..", [1, 2], {"a": 1}]
RAW_BODIES = [b"{", b"[]", b"null", b"\"{\\\"a\\\":1}\"", b"\xff\xfe", b"{\"a\":1e999999}", b"{\"name\":\"\\ud800\"}"]


@pytest.mark.parametrize("method,endpoint", ENDPOINTS, ids=[f"{m} {e}" for m, e in ENDPOINTS])
def test_wrong_types_and_shapes_get_4xx(api, method, endpoint):
    url = api.url(f"/api/2.0/mlflow/{endpoint}")
    failures = []
    for field in FIELDS:
        for value in VALUES:
            if method == "GET":
                response = api.session.get(url, params={field: value if isinstance(value, str) else json.dumps(value)})
            else:
                response = api.session.request(method, url, json={field: value})
            if response.status_code >= 500:
                failures.append(f"{field}={value!r}: {response.status_code} {response.text[:120]}")
            elif response.status_code >= 400:
                assert "error_code" in response.json() and "message" in response.json()
    if method != "GET":
        for raw in RAW_BODIES:
            response = api.session.request(method, url, data=raw, headers={"Content-Type": "application/json"})
            if response.status_code >= 500:
                failures.append(f"raw {raw!r}: {response.status_code} {response.text[:120]}")
    assert not failures, "\n".join(failures[:20])
