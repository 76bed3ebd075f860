"""Model registry with the real client: log_model with registration, aliases, load_model by alias,
version and runs:/ URI, and predictions from the loaded model. Also Modelyard's own gates, rollback,
history and lineage through the `yard` CLI (yard only)."""
import json
import os
import subprocess

import mlflow
import numpy as np
import pytest
from mlflow.exceptions import MlflowException
from sklearn.linear_model import LogisticRegression

from conftest import TARGET, assert_error
from servers import default_yard_bin


def _train(seed: int):
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(200, 4))
    labels = (features[:, 0] + 0.5 * features[:, 1] > 0).astype(int)
    model = LogisticRegression(max_iter=200).fit(features, labels)
    return model, features, labels


def _log_and_register(name: str, seed: int, metrics: dict[str, float], experiment: str):
    mlflow.set_experiment(experiment)
    model, features, labels = _train(seed)
    with mlflow.start_run() as run:
        mlflow.log_param("seed", seed)
        mlflow.log_metrics(metrics)
        mlflow.set_tag("mlflow.source.git.commit", f"commit{seed}")
        info = mlflow.sklearn.log_model(model, name="model", registered_model_name=name,
                                        input_example=features[:3])
    return run.info.run_id, info, model, features


def test_log_register_alias_load_predict(client, unique):
    name = unique("churn")
    run_id, info, model, features = _log_and_register(name, 1, {"accuracy": 0.93}, unique("exp"))
    assert info.model_uri.startswith("models:/m-")
    assert str(info.registered_model_version) == "1"

    version = client.get_model_version(name, "1")
    assert version.run_id == run_id
    assert version.status == "READY"

    client.set_registered_model_alias(name, "champion", "1")
    assert client.get_model_version_by_alias(name, "champion").version == "1"
    assert client.get_registered_model(name).aliases == {"champion": "1"}

    expected = model.predict(features[:10])
    for uri in (f"models:/{name}@champion", f"models:/{name}/1", f"runs:/{run_id}/model", info.model_uri):
        loaded = mlflow.pyfunc.load_model(uri)
        np.testing.assert_array_equal(np.asarray(loaded.predict(features[:10])), expected, err_msg=uri)

    # A second version, moved under the same alias.
    _log_and_register(name, 2, {"accuracy": 0.95}, unique("exp"))
    client.set_registered_model_alias(name, "champion", "2")
    assert client.get_model_version_by_alias(name, "champion").version == "2"
    versions = client.search_model_versions(f"name = '{name}'")
    assert sorted(v.version for v in versions) == ["1", "2"]

    client.delete_registered_model_alias(name, "champion")
    with pytest.raises(MlflowException) as raised:
        client.get_model_version_by_alias(name, "champion")
    assert "champion" in str(raised.value)


def test_registered_model_crud_search_and_stages(client, unique):
    name = unique("reg")
    client.create_registered_model(name, tags={"team": "risk"}, description="first")
    with pytest.raises(MlflowException) as raised:
        client.create_registered_model(name)
    assert raised.value.error_code == "RESOURCE_ALREADY_EXISTS"

    run = client.create_run(client.create_experiment(unique("exp")))
    v1 = client.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    v2 = client.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    assert (v1.version, v2.version) == ("1", "2")
    assert v1.current_stage == "None"

    client.transition_model_version_stage(name, "1", "Production")
    client.transition_model_version_stage(name, "2", "production", archive_existing_versions=True)
    assert client.get_model_version(name, "1").current_stage == "Archived"
    assert client.get_model_version(name, "2").current_stage == "Production"
    latest = client.get_latest_versions(name, stages=["Production"])
    assert [v.version for v in latest] == ["2"]

    client.update_registered_model(name, description="second")
    assert client.get_registered_model(name).description == "second"
    client.set_model_version_tag(name, "2", "validated", "yes")
    assert client.get_model_version(name, "2").tags == {"validated": "yes"}

    found = [m.name for m in client.search_registered_models(filter_string=f"name = '{name}'")]
    assert found == [name]
    assert name in [m.name for m in client.search_registered_models(filter_string="tags.team = 'risk'")]

    new_name = unique("renamed")
    client.rename_registered_model(name, new_name)
    assert client.get_model_version(new_name, "2").current_stage == "Production"
    client.delete_model_version(new_name, "1")
    assert [v.version for v in client.search_model_versions(f"name = '{new_name}'")] == ["2"]
    client.delete_registered_model(new_name)
    with pytest.raises(MlflowException) as raised:
        client.get_registered_model(new_name)
    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_registry_errors_on_the_wire(api, unique):
    r = api.get("registered-models/get", {"name": unique("ghost")})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    name = unique("m")
    assert api.post("registered-models/create", {"name": name}).status_code == 200
    r = api.get("registered-models/alias", {"name": name, "alias": "nope"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    r = api.post("model-versions/transition-stage", {"name": name, "version": "1", "stage": "Production",
                                                      "archive_existing_versions": False})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    r = api.post("model-versions/create", {"name": name, "source": "/tmp/../etc/model"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


# --------------------------------------------------------------------------- Modelyard CLI

def _yard(server, *args, check=True):
    env = dict(os.environ, YARD_SERVER=server.url, YARD_ACTOR="compat-suite")
    binary = os.environ.get("YARD_BIN") or str(default_yard_bin())
    result = subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"yard {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.mark.yard_only(reason="promotion gates, rollback, history and lineage are Modelyard features")
def test_cli_gates_promote_refuse_rollback_history_lineage(server, client, unique, tmp_path):
    name = unique("churn")
    experiment = unique("exp")
    run1, *_ = _log_and_register(name, 1, {"accuracy": 0.91, "f1": 0.85}, experiment)
    run2, *_ = _log_and_register(name, 2, {"accuracy": 0.95, "f1": 0.70}, experiment)
    run3, *_ = _log_and_register(name, 3, {"accuracy": 0.96, "f1": 0.86}, experiment)

    bad = tmp_path / "bad.yaml"
    bad.write_text("metrics:\n  - accuracy >= 0.9\n  - f1 =< 0.5\n")
    refused = _yard(server, "model", "policy", "set", name, str(bad), check=False)
    assert refused.returncode != 0
    assert "line 3" in refused.stderr and "unknown operator '=<'" in refused.stderr

    policy = tmp_path / "policy.yaml"
    policy.write_text("metrics:\n  - accuracy >= 0.9\n  - f1 >= champion.f1 - 0.01\n")
    _yard(server, "model", "policy", "set", name, str(policy))

    out = _yard(server, "model", "promote", name, "1", "--alias", "production").stdout
    assert "PASS  accuracy >= 0.9" in out and "accuracy=0.91" in out
    assert "now points at v1" in out

    dry = _yard(server, "model", "promote", name, "2", "--alias", "production", "--dry-run", check=False)
    assert dry.returncode == 1 and "FAIL  f1 >= champion.f1 - 0.01" in dry.stdout

    no = _yard(server, "model", "promote", name, "2", "--alias", "production", check=False)
    assert no.returncode == 1
    assert "f1=0.7" in no.stdout and "champion v1 f1=0.85" in no.stdout
    assert "unchanged" in no.stderr
    assert client.get_model_version_by_alias(name, "production").version == "1"

    _yard(server, "model", "promote", name, "3", "--alias", "production")
    assert client.get_model_version_by_alias(name, "production").version == "3"
    back = _yard(server, "model", "rollback", name, "--alias", "production").stdout
    assert "v3 → v1" in back
    assert client.get_model_version_by_alias(name, "production").version == "1"

    history = json.loads(_yard(server, "model", "history", name, "--json").stdout)
    actions = [e["action"] for e in history["entries"]]
    assert actions == ["version_created", "version_created", "version_created", "policy_set",
                       "promoted", "promotion_refused", "promoted", "rolled_back"]
    # Until authentication exists, a claimed name is recorded as such.
    assert all(e["actor"] == "compat-suite (unverified)" for e in history["entries"][3:])
    refused_entry = history["entries"][5]
    assert refused_entry["version"] == 2
    assert [g["passed"] for g in refused_entry["detail"]["gates"]] == [True, False]

    lineage = json.loads(_yard(server, "lineage", f"models:/{name}/1", "--json").stdout)
    assert lineage["run"]["run_id"] == run1
    assert lineage["run"]["code_commit"] == "commit1"
    assert {"key": "seed", "value": "1"} in lineage["run"]["params"]
    assert lineage["logged_model"]["model_id"].startswith("m-")
    text = _yard(server, "lineage", f"models:/{name}@production").stdout
    assert run1 in text and "commit1" in text

    missing = _yard(server, "model", "promote", name, "42", "--alias", "production", check=False)
    assert missing.returncode != 0 and "version=42" in missing.stderr
    unknown = _yard(server, "model", "history", unique("ghost"), check=False)
    assert unknown.returncode != 0 and "not found" in unknown.stderr


@pytest.mark.yard_only(reason="native API")
def test_native_api_openapi_and_404s(api, unique):
    r = api.raw("GET", "/api/v1/openapi.json")
    assert r.status == 200
    doc = json.loads(r.text)
    assert doc["openapi"].startswith("3.")
    for path in ("/api/v1/models/{name}/promote", "/api/v1/models/{name}/rollback",
                 "/api/v1/models/{name}/history", "/api/v1/lineage"):
        assert path in doc["paths"]
    r = api.raw("POST", f"/api/v1/models/{unique('ghost')}/promote", body=json.dumps({"version": 1, "alias": "prod"}),
                headers={"Content-Type": "application/json"})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    r = api.raw("POST", f"/api/v1/models/{unique('ghost')}/promote", body=json.dumps({"alias": "prod"}),
                headers={"Content-Type": "application/json"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


# --------------------------------------------------------------------------- review regressions

def _history(api, name):
    r = api.raw("GET", f"/api/v1/models/{name}/history")
    assert r.status == 200, r.text
    return r.json()["entries"]


@pytest.mark.yard_only(reason="promotion policies are a Modelyard feature")
def test_policy_protected_alias_moves_only_through_gates(server, client, unique, tmp_path):
    name = unique("guarded")
    experiment = unique("exp")
    _log_and_register(name, 1, {"accuracy": 0.95}, experiment)
    _log_and_register(name, 2, {"accuracy": 0.50}, experiment)
    policy = tmp_path / "policy.yaml"
    policy.write_text("metrics:\n  - accuracy >= 0.9\n")
    _yard(server, "model", "policy", "set", name, str(policy))

    # No alias of a model with a policy moves around the gates.
    with pytest.raises(MlflowException) as raised:
        client.set_registered_model_alias(name, "production", "2")
    assert raised.value.error_code == "PERMISSION_DENIED"
    message = str(raised.value)
    assert "policy" in message and "yard model promote" in message and f"/api/v1/models/{name}/promote" in message
    with pytest.raises(MlflowException):
        client.get_model_version_by_alias(name, "production")

    _yard(server, "model", "promote", name, "1", "--alias", "production")
    assert client.get_model_version_by_alias(name, "production").version == "1"
    with pytest.raises(MlflowException) as raised:
        client.delete_registered_model_alias(name, "production")
    assert raised.value.error_code == "PERMISSION_DENIED"
    assert client.get_model_version_by_alias(name, "production").version == "1"

    # A policy that lists its aliases leaves the others to plain MLflow.
    policy.write_text("aliases: [production]\nmetrics:\n  - accuracy >= 0.9\n")
    _yard(server, "model", "policy", "set", name, str(policy))
    client.set_registered_model_alias(name, "candidate", "2")
    assert client.get_model_version_by_alias(name, "candidate").version == "2"
    with pytest.raises(MlflowException) as raised:
        client.set_registered_model_alias(name, "production", "2")
    assert raised.value.error_code == "PERMISSION_DENIED"


@pytest.mark.yard_only(reason="history is a Modelyard feature")
def test_history_survives_rename_and_records_aliases_dropped_with_a_version(api, client, unique):
    name = unique("hist")
    client.create_registered_model(name)
    run = client.create_run(client.create_experiment(unique("exp")))
    client.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    client.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    client.set_registered_model_alias(name, "champion", "1")
    client.delete_model_version(name, "1")
    actions = [e["action"] for e in _history(api, name)]
    assert actions == ["version_created", "version_created", "alias_set", "alias_deleted", "version_deleted"]

    renamed = unique("hist-renamed")
    client.rename_registered_model(name, renamed)
    assert [e["action"] for e in _history(api, renamed)] == actions + ["renamed"]

    # A new model under a used name starts with an empty history.
    client.delete_registered_model(renamed)
    client.create_registered_model(renamed)
    assert _history(api, renamed) == []


@pytest.mark.yard_only(reason="Modelyard's source checks")
def test_local_sources_checked_whatever_the_scheme_case(api, client, unique):
    name = unique("src")
    client.create_registered_model(name)
    run = client.create_run(client.create_experiment(unique("exp")))
    for source in ("FILE:///etc/model", "File:///etc/model"):
        r = api.post("model-versions/create", {"name": name, "source": source, "run_id": run.info.run_id})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")
        r = api.post("model-versions/create", {"name": name, "source": source})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.yard_only(reason="MLflow passes a huge token offset on to SQL unchecked")
def test_registry_searches_refuse_page_tokens_with_huge_offsets(api, client, experiment_id, unique):
    import base64
    name = unique("paged-model")
    client.create_registered_model(name)
    run_id = client.create_run(experiment_id).info.run_id
    client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
    r = api.post("logged-models", {"experiment_id": experiment_id, "name": "lm"})
    assert r.status_code == 200, r.text
    searches = [
        ("GET", "registered-models/search", {"max_results": 10}),
        ("GET", "model-versions/search", {"filter": f"name = '{name}'", "max_results": 10}),
        ("POST", "logged-models/search", {"experiment_ids": [experiment_id], "max_results": 10}),
    ]
    for offset in ["9223372036854775807", "1e300", "18446744073709551616", "-1", "0.5"]:
        token = base64.b64encode(f'{{"offset": {offset}}}'.encode()).decode()
        for method, path, fields in searches:
            payload = dict(fields, page_token=token)
            r = api.get(path, payload) if method == "GET" else api.post(path, payload)
            assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Invalid page token")
    # A sane search still answers afterwards (no trap took the server down).
    for method, path, fields in searches:
        r = api.get(path, fields) if method == "GET" else api.post(path, fields)
        assert r.status_code == 200, r.text
