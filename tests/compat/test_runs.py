"""Runs: start/end, params, metrics (history, latest value), tags, update,
delete/restore, log-batch, log-inputs, and the run error cases."""

import math
import re

import pandas as pd
import pytest
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException

import mlflow
from conftest import MISSING_RUN_ID, assert_error, now_ms

HEX32 = re.compile(r"^[0-9a-f]{32}$")


# --------------------------------------------------------------------------- lifecycle

def test_start_run_and_end(client, unique):
    exp = mlflow.set_experiment(unique("exp"))
    before = now_ms()
    with mlflow.start_run(run_name="first-run", tags={"team": "a"}) as run:
        info = run.info
        assert HEX32.match(info.run_id)
        assert info.experiment_id == exp.experiment_id
        assert info.run_name == "first-run"
        assert info.status == "RUNNING"
        assert info.lifecycle_stage == "active"
        assert info.end_time is None
        assert info.artifact_uri == f"mlflow-artifacts:/{exp.experiment_id}/{info.run_id}/artifacts"
        assert before - 5000 <= info.start_time <= now_ms() + 5000
        tags = run.data.tags
        assert tags["team"] == "a"
        assert tags["mlflow.runName"] == "first-run"
        assert tags["mlflow.source.type"] == "LOCAL"
        assert "mlflow.user" in tags
        assert mlflow.active_run().info.run_id == info.run_id

    done = client.get_run(info.run_id)
    assert done.info.status == "FINISHED"
    assert done.info.end_time is not None and done.info.end_time >= done.info.start_time
    assert done.info.run_name == "first-run"
    assert done.info.user_id == tags["mlflow.user"]


def test_server_generates_a_run_name(client, experiment_id):
    run = client.create_run(experiment_id)
    assert run.info.run_name, "server must generate a run name"
    assert run.data.tags["mlflow.runName"] == run.info.run_name


def test_run_failure_status(client, unique):
    mlflow.set_experiment(unique("exp"))
    with pytest.raises(ZeroDivisionError):
        with mlflow.start_run() as run:
            1 / 0
    assert client.get_run(run.info.run_id).info.status == "FAILED"


def test_nested_runs(client, unique):
    mlflow.set_experiment(unique("exp"))
    with mlflow.start_run() as parent:
        with mlflow.start_run(nested=True) as child:
            pass
    child_run = client.get_run(child.info.run_id)
    assert child_run.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert child_run.info.status == "FINISHED"
    assert client.get_run(parent.info.run_id).info.status == "FINISHED"


def test_create_run_wire_shape(api, experiment_id):
    r = api.post("runs/create", {"experiment_id": experiment_id, "run_name": "wire", "start_time": 1234,
                                 "user_id": "someone", "tags": [{"key": "t", "value": "v"}]})
    assert r.status_code == 200, r.text
    run = r.json()["run"]
    info = run["info"]
    assert info["run_id"] == info["run_uuid"] and HEX32.match(info["run_id"])
    assert info["experiment_id"] == experiment_id
    assert info["run_name"] == "wire"
    assert info["user_id"] == "someone"
    assert info["status"] == "RUNNING"
    assert info["start_time"] == 1234  # a JSON number
    assert info["lifecycle_stage"] == "active"
    assert "end_time" not in info
    assert info["artifact_uri"] == f"mlflow-artifacts:/{experiment_id}/{info['run_id']}/artifacts"
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags == {"t": "v", "mlflow.runName": "wire"}
    assert "metrics" not in run["data"] and "params" not in run["data"]

    r = api.post("runs/update", {"run_id": info["run_id"], "status": "FINISHED", "end_time": 5678})
    assert r.status_code == 200, r.text
    ri = r.json()["run_info"]
    assert ri["status"] == "FINISHED" and ri["end_time"] == 5678 and ri["run_name"] == "wire"

    # run_uuid alone is accepted as the run id
    r = api.get("runs/get", {"run_uuid": info["run_id"]})
    assert r.status_code == 200 and r.json()["run"]["info"]["end_time"] == 5678


def test_update_run(client, experiment_id):
    run_id = client.create_run(experiment_id, run_name="before").info.run_id
    client.update_run(run_id, status="KILLED", name="after")
    got = client.get_run(run_id)
    assert got.info.status == "KILLED"
    assert got.info.run_name == "after"
    assert got.data.tags["mlflow.runName"] == "after"
    client.set_terminated(run_id, status="FINISHED", end_time=1_700_000_000_123)
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED"
    assert got.info.end_time == 1_700_000_000_123
    assert got.info.run_name == "after"


def test_delete_and_restore_run(client, api, experiment_id):
    keep = client.create_run(experiment_id).info.run_id
    gone = client.create_run(experiment_id).info.run_id
    client.delete_run(gone)
    assert client.get_run(gone).info.lifecycle_stage == "deleted"
    active = {r.info.run_id for r in client.search_runs([experiment_id])}
    assert active == {keep}
    deleted = {r.info.run_id for r in client.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)}
    assert deleted == {gone}
    every = {r.info.run_id for r in client.search_runs([experiment_id], run_view_type=ViewType.ALL)}
    assert every == {keep, gone}

    # writes to a deleted run are rejected
    r = api.post("runs/log-metric", {"run_id": gone, "key": "m", "value": 1.0, "timestamp": 1, "step": 0})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE",
                 f"The run {gone} must be in the 'active' state. Current state is deleted.")
    with pytest.raises(MlflowException) as e:
        client.set_tag(gone, "k", "v")
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"

    client.restore_run(gone)
    assert client.get_run(gone).info.lifecycle_stage == "active"
    assert {r.info.run_id for r in client.search_runs([experiment_id])} == {keep, gone}
    client.log_metric(gone, "m", 2.0)
    assert client.get_run(gone).data.metrics == {"m": 2.0}


# --------------------------------------------------------------------------- params

def test_params_round_trip(client, unique):
    mlflow.set_experiment(unique("exp"))
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_params({"beta": 1, "gamma": "x y", "empty": "", "unicode": "größe ✓", "path/like.key": "p"})
    params = client.get_run(run.info.run_id).data.params
    assert params == {"alpha": "0.5", "beta": "1", "gamma": "x y", "empty": "", "unicode": "größe ✓",
                      "path/like.key": "p"}


def test_changing_a_param_is_rejected(client, api, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "lr", "0.1")
    client.log_param(run_id, "lr", "0.1")  # same value again: allowed
    with pytest.raises(MlflowException) as e:
        client.log_param(run_id, "lr", "0.2")
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"

    r = api.post("runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.3"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE",
                 f"Changing param values is not allowed. Param with key='lr' was already logged "
                 f"with value='0.1' for run ID='{run_id}'. Attempted logging new value '0.3'.")
    r = api.post("runs/log-batch", {"run_id": run_id, "params": [{"key": "lr", "value": "0.4"}]})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed.")
    with pytest.raises(MlflowException) as e:
        client.log_batch(run_id, params=[Param("lr", "0.5")])
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"

    assert client.get_run(run_id).data.params == {"lr": "0.1"}


# --------------------------------------------------------------------------- metrics

def test_metric_history_order_and_latest_value(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    # (timestamp, step, value), logged out of order
    points = [(300, 1, 3.0), (100, 2, 1.0), (200, 0, 2.0), (100, 0, 0.5), (250, 2, -1.5)]
    for ts, step, value in points:
        client.log_metric(run_id, "loss", value, timestamp=ts, step=step)

    history = client.get_metric_history(run_id, "loss")
    got = [(m.timestamp, m.step, m.value) for m in history]
    assert got == sorted(points), "history must be ordered by (timestamp, step)"
    assert all(m.key == "loss" for m in history)

    # latest value = greatest (step, timestamp): step 2 at ts 250
    assert client.get_run(run_id).data.metrics == {"loss": -1.5}


def test_log_metrics_fluent_with_steps(client, unique):
    mlflow.set_experiment(unique("exp"))
    with mlflow.start_run() as run:
        for step in range(5):
            mlflow.log_metrics({"acc": 0.5 + step / 10, "loss": 1.0 / (step + 1)}, step=step)
        mlflow.log_metric("single", 42, step=7)
    run_id = run.info.run_id
    data = client.get_run(run_id).data
    assert data.metrics == {"acc": pytest.approx(0.9), "loss": pytest.approx(0.2), "single": 42.0}
    acc = client.get_metric_history(run_id, "acc")
    assert [m.step for m in acc] == [0, 1, 2, 3, 4]
    assert [m.value for m in acc] == pytest.approx([0.5, 0.6, 0.7, 0.8, 0.9])
    assert [m.step for m in client.get_metric_history(run_id, "single")] == [7]
    assert client.get_metric_history(run_id, "never-logged") == []


def test_metric_special_values(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "nan", float("nan"), timestamp=1, step=0)
    client.log_metric(run_id, "pinf", float("inf"), timestamp=1, step=0)
    client.log_metric(run_id, "ninf", float("-inf"), timestamp=1, step=0)
    client.log_metric(run_id, "tiny", 1e-300, timestamp=1, step=0)
    client.log_metric(run_id, "big_step", 1.0, timestamp=1, step=2**40)
    m = client.get_run(run_id).data.metrics
    assert math.isnan(m["nan"])
    assert m["pinf"] >= 1.79e308  # SQL store clamps to the max double; inf is fine too
    assert m["ninf"] <= -1.79e308
    assert m["tiny"] == 1e-300
    assert [x.step for x in client.get_metric_history(run_id, "big_step")] == [2**40]
    assert math.isnan(client.get_metric_history(run_id, "nan")[0].value)


def test_get_history_wire_shape(api, client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "m", 1.5, timestamp=10, step=3)
    r = api.get("metrics/get-history", {"run_id": run_id, "metric_key": "m"})
    assert r.status_code == 200, r.text
    assert r.json()["metrics"] == [{"key": "m", "value": 1.5, "timestamp": 10, "step": 3}]


def test_missing_required_metric_field(api, client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    r = api.post("runs/log-metric", {"run_id": run_id, "key": "m", "value": 1.0})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'timestamp'")
    r = api.post("runs/log-batch", {"run_id": run_id, "metrics": [{"key": "m", "value": 1.0}]})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE",
                 "Missing value for required parameter 'metrics[0].timestamp'")
    r = api.post("runs/log-metric", {"run_id": run_id, "key": "m", "value": "abc", "timestamp": 1})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert client.get_run(run_id).data.metrics == {}


# --------------------------------------------------------------------------- tags

def test_set_and_delete_tags(client, api, unique):
    mlflow.set_experiment(unique("exp"))
    with mlflow.start_run() as run:
        mlflow.set_tag("stage", "dev")
        mlflow.set_tags({"owner": "ana", "empty": ""})
        mlflow.set_tag("stage", "prod")  # tags upsert
    run_id = run.info.run_id
    tags = client.get_run(run_id).data.tags
    assert tags["stage"] == "prod" and tags["owner"] == "ana" and tags["empty"] == ""

    client.delete_tag(run_id, "stage")
    assert "stage" not in client.get_run(run_id).data.tags
    r = api.post("runs/delete-tag", {"run_id": run_id, "key": "stage"})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", f"No tag with name: stage in run with id {run_id}")


# --------------------------------------------------------------------------- log-batch

def test_log_batch_round_trip_and_client_side_split(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    metrics = [Metric("curve", float(i), 1_000 + i, i) for i in range(1500)]
    metrics += [Metric("other", 7.0, 5, 0)]
    params = [Param(f"p{i:03d}", str(i)) for i in range(150)]
    tags = [RunTag("batch", "yes")]
    client.log_batch(run_id, metrics=metrics, params=params, tags=tags)  # the client splits it

    run = client.get_run(run_id)
    assert run.data.params == {f"p{i:03d}": str(i) for i in range(150)}
    assert run.data.tags["batch"] == "yes"
    assert run.data.metrics == {"curve": 1499.0, "other": 7.0}
    history = client.get_metric_history(run_id, "curve")
    assert [(m.timestamp, m.step, m.value) for m in history] == [(1_000 + i, i, float(i)) for i in range(1500)]


def test_log_batch_raw(api, client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    payload = {
        "run_id": run_id,
        "metrics": [{"key": "m", "value": 0.25, "timestamp": 5, "step": 1},
                    {"key": "m", "value": 0.5, "timestamp": 6, "step": 2},
                    {"key": "n", "value": 1, "timestamp": 7}],  # step defaults to 0
        "params": [{"key": "a", "value": "1"}, {"key": "b", "value": ""}],
        "tags": [{"key": "t", "value": "x"}],
    }
    r = api.post("runs/log-batch", payload)
    assert r.status_code == 200, r.text
    assert r.json() == {}
    run = client.get_run(run_id)
    assert run.data.metrics == {"m": 0.5, "n": 1.0}
    assert run.data.params == {"a": "1", "b": ""}
    assert run.data.tags["t"] == "x"
    assert [(m.step, m.value) for m in client.get_metric_history(run_id, "n")] == [(0, 1.0)]


@pytest.mark.parametrize("case, message", [
    ("metrics", "A batch logging request can contain at most 1000 metrics. Got 1001 metrics."),
    ("params", "A batch logging request can contain at most 100 params. Got 101 params."),
    ("tags", "A batch logging request can contain at most 100 tags. Got 101 tags."),
    ("total", "A batch logging request can contain at most 1000 metrics, params, and tags. "
              "Got 1050 metrics, params, and tags."),
    ("duplicate-params", "Duplicate parameter keys have been submitted: ['dup']."),
])
def test_log_batch_over_the_limits_is_rejected(api, client, experiment_id, case, message):
    run_id = client.create_run(experiment_id).info.run_id

    def metrics(n):
        return [{"key": "m", "value": float(i), "timestamp": 1, "step": i} for i in range(n)]

    def kv(prefix, n):
        return [{"key": f"{prefix}{i}", "value": "v"} for i in range(n)]

    payload = {
        "metrics": {"metrics": metrics(1001)},
        "params": {"params": kv("p", 101)},
        "tags": {"tags": kv("t", 101)},
        "total": {"metrics": metrics(900), "params": kv("p", 100), "tags": kv("t", 50)},
        "duplicate-params": {"params": [{"key": "dup", "value": "1"}, {"key": "dup", "value": "1"}]},
    }[case]
    r = api.post("runs/log-batch", {"run_id": run_id, **payload})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", message)
    # nothing of the rejected batch was stored
    data = client.get_run(run_id).data
    assert data.metrics == {} and data.params == {}
    assert set(data.tags) <= {"mlflow.runName", "mlflow.user", "mlflow.source.name", "mlflow.source.type"}


# --------------------------------------------------------------------------- inputs

def test_log_input(client, unique):
    mlflow.set_experiment(unique("exp"))
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
    train = mlflow.data.from_pandas(df, source="file:///data/train.csv", name="train-set", targets="y")
    evaluation = mlflow.data.from_pandas(df.head(2), source="file:///data/eval.csv", name="eval-set")
    with mlflow.start_run() as run:
        mlflow.log_input(train, context="training", tags={"fold": "1"})
        mlflow.log_input(evaluation, context="eval")
        mlflow.log_input(train, context="training", tags={"fold": "1"})  # deduplicated

    inputs = client.get_run(run.info.run_id).inputs.dataset_inputs
    by_name = {i.dataset.name: i for i in inputs}
    assert sorted(by_name) == ["eval-set", "train-set"]
    for ds, ctx in ((train, "training"), (evaluation, "eval")):
        got = by_name[ds.name]
        want = ds._to_mlflow_entity()
        assert got.dataset.digest == want.digest == ds.digest
        assert got.dataset.source_type == want.source_type
        assert got.dataset.source == want.source
        assert got.dataset.schema == want.schema
        assert got.dataset.profile == want.profile
        tags = {t.key: t.value for t in got.tags}
        assert tags["mlflow.data.context"] == ctx
    assert {t.key: t.value for t in by_name["train-set"].tags}["fold"] == "1"


# --------------------------------------------------------------------------- errors

def test_missing_run_is_resource_does_not_exist(client, api):
    with pytest.raises(MlflowException) as e:
        client.get_run(MISSING_RUN_ID)
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as e:
        client.log_metric(MISSING_RUN_ID, "m", 1.0)
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"

    message = f"Run with id={MISSING_RUN_ID} not found"
    assert_error(api.get("runs/get", {"run_id": MISSING_RUN_ID}), 404, "RESOURCE_DOES_NOT_EXIST", message)
    calls = [
        ("runs/log-metric", {"key": "m", "value": 1.0, "timestamp": 1, "step": 0}),
        ("runs/log-parameter", {"key": "p", "value": "1"}),
        ("runs/set-tag", {"key": "t", "value": "1"}),
        ("runs/log-batch", {"metrics": [{"key": "m", "value": 1.0, "timestamp": 1, "step": 0}]}),
        ("runs/update", {"status": "FINISHED", "end_time": 1}),
        ("runs/delete", {}),
        ("runs/restore", {}),
    ]
    for path, body in calls:
        r = api.post(path, {"run_id": MISSING_RUN_ID, **body})
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


def test_malformed_json_is_400(api, client, unique):
    name = unique("never")
    headers = {"Content-Type": "application/json"}
    for path, body in [
        ("experiments/create", '{"name": "%s"' % name),
        ("experiments/create", '{"name": "%s",}' % name),
        ("experiments/create", "not json at all"),
    ]:
        r = api.session.post(api.url(f"/api/2.0/mlflow/{path}"), data=body, headers=headers, timeout=30)
        assert_error(r, 400, ("INVALID_PARAMETER_VALUE", "BAD_REQUEST"))
    assert client.get_experiment_by_name(name) is None

    run_id = client.create_run(client.create_experiment(unique("exp"))).info.run_id
    r = api.session.post(api.url("/api/2.0/mlflow/runs/log-metric"),
                         data='{"run_id": "%s", "key": "m", "value": 1, "timestamp": ' % run_id,
                         headers=headers, timeout=30)
    assert_error(r, 400, ("INVALID_PARAMETER_VALUE", "BAD_REQUEST"))
    assert client.get_run(run_id).data.metrics == {}


def test_post_requires_json_content_type(api, unique):
    r = api.session.post(api.url("/api/2.0/mlflow/experiments/create"), data='{"name": "%s"}' % unique("ct"),
                         headers={"Content-Type": "text/plain"}, timeout=30)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Bad Request. Content-Type must be one of ['application/json']")


def test_run_status_enum_names(api, client, experiment_id):
    # the client sends enum names; the server stores them and answers with names
    run_id = client.create_run(experiment_id).info.run_id
    for status in ("SCHEDULED", "FAILED", "KILLED", "FINISHED", "RUNNING"):
        client.update_run(run_id, status=status)
        assert client.get_run(run_id).info.status == status
        assert api.get("runs/get", {"run_id": run_id}).json()["run"]["info"]["status"] == status


# --------------------------------------------------------------------------- get-history limits

@pytest.mark.yard_only(reason="MLflow's server has no upper bound on get-history max_results")
@pytest.mark.parametrize("max_results", ["9223372036854775807", "9223372036854775806", "1099511627776", "0", "-1",
                                         "-9223372036854775808"])
def test_get_history_bad_max_results_is_400(api, client, experiment_id, max_results):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "m", 1.0, timestamp=1, step=0)
    r = api.get("metrics/get-history", {"run_id": run_id, "metric_key": "m", "max_results": max_results})
    body = assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert "max_results" in body["message"], body
    # The server is still alive and answers the same history.
    r = api.get("metrics/get-history", {"run_id": run_id, "metric_key": "m"})
    assert r.status_code == 200, r.text
    assert [m["value"] for m in r.json()["metrics"]] == [1.0]


@pytest.mark.yard_only(reason="MLflow returns an unbounded history when max_results is absent")
def test_get_history_without_max_results_is_paged(api, client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    total = 25_000 + 321
    for start in range(0, total, 1000):
        metrics = [{"key": "curve", "value": float(i), "timestamp": i, "step": i}
                   for i in range(start, min(start + 1000, total))]
        r = api.post("runs/log-batch", {"run_id": run_id, "metrics": metrics})
        assert r.status_code == 200, r.text
    r = api.get("metrics/get-history", {"run_id": run_id, "metric_key": "curve"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["metrics"]) == 25_000
    steps = [m["step"] for m in body["metrics"]]
    token = body.get("next_page_token")
    assert token
    while token:
        r = api.get("metrics/get-history", {"run_id": run_id, "metric_key": "curve", "page_token": token})
        assert r.status_code == 200, r.text
        body = r.json()
        steps += [m["step"] for m in body["metrics"]]
        token = body.get("next_page_token")
    assert steps == list(range(total))
    # The client follows the tokens and gets the whole history.
    assert [m.step for m in client.get_metric_history(run_id, "curve")] == list(range(total))


@pytest.mark.yard_only(reason="MLflow passes a huge token offset on to SQL unchecked")
def test_get_history_page_token_with_huge_offset(api, client, experiment_id):
    import base64
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "m", 1.0, timestamp=1, step=0)
    for offset in ["9223372036854775807", "1e300", "18446744073709551616"]:
        token = base64.b64encode(f'{{"offset": {offset}}}'.encode()).decode()
        r = api.get("metrics/get-history", {"run_id": run_id, "metric_key": "m", "max_results": 10,
                                            "page_token": token})
        assert r.status_code in (200, 400), r.text
        if r.status_code == 200:
            assert r.json().get("metrics", []) == []
    assert api.get("metrics/get-history", {"run_id": run_id, "metric_key": "m"}).status_code == 200


# --------------------------------------------------------------------------- legacy log-model

def _legacy_model_json(run_id: str, name: str, padding: int = 0) -> str:
    import json
    return json.dumps({"run_id": run_id, "artifact_path": name, "utc_time_created": "2024-01-01 00:00:00.000000",
                       "flavors": {"python_function": {"loader_module": "x", "pad": "p" * padding}}})


@pytest.mark.yard_only(reason="MLflow appends to mlflow.log-model.history without a bound and "
                              "loses concurrent appends; Modelyard caps it and appends in one transaction")
def test_legacy_log_model_history_bounded_and_concurrent(api, client, experiment_id):
    import json
    from concurrent.futures import ThreadPoolExecutor

    import requests

    run_id = client.create_run(experiment_id).info.run_id
    base = api.base

    def log(name: str, padding: int = 0) -> int:
        with requests.Session() as session:
            r = session.post(f"{base}/api/2.0/mlflow/runs/log-model",
                             json={"run_id": run_id, "model_json": _legacy_model_json(run_id, name, padding)},
                             timeout=60)
            return r.status_code

    def history() -> list:
        r = api.get("runs/get", {"run_id": run_id})
        assert r.status_code == 200, r.text
        tags = {t["key"]: t["value"] for t in r.json()["run"]["data"].get("tags", [])}
        value = tags["mlflow.log-model.history"]
        assert len(value) <= 8000
        return json.loads(value)

    # Concurrent appends within the cap: every one lands.
    names = [f"c{i}" for i in range(40)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(log, names))
    assert statuses == [200] * len(names)
    assert sorted(e["artifact_path"] for e in history()) == sorted(names)

    # Many appends: the tag keeps the newest entries, within the tag value limit.
    for i in range(120):
        assert log(f"s{i}") == 200
    entries = history()
    assert 0 < len(entries) <= 100
    assert entries[-1]["artifact_path"] == "s119"
    assert [e["artifact_path"] for e in entries] == [f"s{i}" for i in range(120 - len(entries), 120)]

    # Large entries: still within 8,000 characters, newest last.
    for i in range(30):
        assert log(f"big{i}", padding=500) == 200
    entries = history()
    assert entries[-1]["artifact_path"] == "big29"
    assert [e["artifact_path"] for e in entries] == [f"big{i}" for i in range(30 - len(entries), 30)]
