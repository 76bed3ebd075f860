"""Experiments: create/get/get-by-name/search/update/delete/restore/tags,
mlflow.set_experiment, and the experiment error cases."""

import time

import pytest
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

import mlflow
from conftest import MISSING_EXPERIMENT_ID, assert_error, now_ms


def test_default_experiment_exists(client):
    exp = client.get_experiment("0")
    assert exp.experiment_id == "0"
    assert exp.name == "Default"
    assert exp.lifecycle_stage == "active"
    assert exp.artifact_location == "mlflow-artifacts:/0"
    assert client.get_experiment_by_name("Default").experiment_id == "0"


def test_create_and_get(client, unique):
    name = unique("exp")
    before = now_ms()
    exp_id = client.create_experiment(name, tags={"team": "vision", "empty": ""})
    after = now_ms()
    assert isinstance(exp_id, str) and exp_id.isdigit() and exp_id != "0"

    exp = client.get_experiment(exp_id)
    assert exp.experiment_id == exp_id
    assert exp.name == name
    assert exp.lifecycle_stage == "active"
    assert exp.artifact_location == f"mlflow-artifacts:/{exp_id}"
    assert exp.tags == {"team": "vision", "empty": ""}
    assert before - 5000 <= exp.creation_time <= after + 5000
    assert exp.last_update_time >= exp.creation_time

    by_name = client.get_experiment_by_name(name)
    assert by_name.experiment_id == exp_id
    assert by_name.tags == {"team": "vision", "empty": ""}


def test_experiment_ids_increase(client, unique):
    a = int(client.create_experiment(unique("a")))
    b = int(client.create_experiment(unique("b")))
    assert b > a


def test_get_experiment_wire_shape(api, unique):
    name = unique("exp")
    r = api.post("experiments/create", {"name": name, "tags": [{"key": "k", "value": "v"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"experiment_id"}
    exp_id = body["experiment_id"]
    assert isinstance(exp_id, str)

    r = api.get("experiments/get", {"experiment_id": exp_id})
    assert r.status_code == 200, r.text
    exp = r.json()["experiment"]
    assert exp["experiment_id"] == exp_id
    assert exp["name"] == name
    assert exp["lifecycle_stage"] == "active"
    assert exp["tags"] == [{"key": "k", "value": "v"}]
    # int64 timestamps are JSON numbers, not strings
    assert isinstance(exp["creation_time"], int) and isinstance(exp["last_update_time"], int)


def test_get_by_name_missing(client, api, unique):
    name = unique("nope")
    assert client.get_experiment_by_name(name) is None
    r = api.get("experiments/get-by-name", {"experiment_name": name})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", f"Could not find experiment with name '{name}'")


def test_get_missing_id(client, api):
    with pytest.raises(MlflowException) as e:
        client.get_experiment(MISSING_EXPERIMENT_ID)
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    r = api.get("experiments/get", {"experiment_id": MISSING_EXPERIMENT_ID})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", f"No Experiment with id={MISSING_EXPERIMENT_ID} exists")


def test_duplicate_experiment_is_resource_already_exists(client, api, unique):
    name = unique("dup")
    exp_id = client.create_experiment(name)
    with pytest.raises(MlflowException) as e:
        client.create_experiment(name)
    assert e.value.error_code == "RESOURCE_ALREADY_EXISTS"

    r = api.post("experiments/create", {"name": name})
    assert_error(r, 400, "RESOURCE_ALREADY_EXISTS", f"Experiment(name={name}) already exists")
    # nothing new was created
    found = client.search_experiments(filter_string=f"name = '{name}'", view_type=ViewType.ALL)
    assert [x.experiment_id for x in found] == [exp_id]


def test_create_requires_a_name(api):
    r = api.post("experiments/create", {})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name'")


def test_set_experiment_creates_then_reuses(client, unique):
    name = unique("fluent")
    exp = mlflow.set_experiment(name)
    assert exp.name == name
    assert exp.lifecycle_stage == "active"
    assert client.get_experiment_by_name(name).experiment_id == exp.experiment_id
    again = mlflow.set_experiment(name)
    assert again.experiment_id == exp.experiment_id
    by_id = mlflow.set_experiment(experiment_id=exp.experiment_id)
    assert by_id.name == name
    with mlflow.start_run() as run:
        assert run.info.experiment_id == exp.experiment_id


def test_set_experiment_refuses_a_deleted_experiment(client, unique):
    name = unique("deleted")
    exp_id = client.create_experiment(name)
    client.delete_experiment(exp_id)
    # get-by-name must still return the deleted experiment (with its stage)
    got = client.get_experiment_by_name(name)
    assert got.experiment_id == exp_id and got.lifecycle_stage == "deleted"
    with pytest.raises(MlflowException, match="deleted"):
        mlflow.set_experiment(name)


def test_rename(client, api, unique):
    old, new = unique("old"), unique("new")
    exp_id = client.create_experiment(old)
    client.rename_experiment(exp_id, new)
    assert client.get_experiment(exp_id).name == new
    assert client.get_experiment_by_name(new).experiment_id == exp_id
    assert client.get_experiment_by_name(old) is None

    r = api.post("experiments/update", {"experiment_id": MISSING_EXPERIMENT_ID, "new_name": unique("x")})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


def test_delete_and_restore(client, unique):
    name = unique("lifecycle")
    exp_id = client.create_experiment(name)
    run_id = client.create_run(exp_id).info.run_id

    client.delete_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "deleted"
    # deleting an experiment soft-deletes its runs
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    active = client.search_experiments(filter_string=f"name = '{name}'")
    assert active == []
    deleted = client.search_experiments(filter_string=f"name = '{name}'", view_type=ViewType.DELETED_ONLY)
    assert [e.experiment_id for e in deleted] == [exp_id]
    with pytest.raises(MlflowException) as e:
        client.create_run(exp_id)
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"

    client.restore_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "active"
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    assert [e.experiment_id for e in client.search_experiments(filter_string=f"name = '{name}'")] == [exp_id]


def test_delete_missing_experiment(client):
    with pytest.raises(MlflowException) as e:
        client.delete_experiment(MISSING_EXPERIMENT_ID)
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_experiment_tags(client, api, unique):
    exp_id = client.create_experiment(unique("tags"))
    client.set_experiment_tag(exp_id, "stage", "dev")
    client.set_experiment_tag(exp_id, "owner", "ana")
    client.set_experiment_tag(exp_id, "stage", "prod")  # upsert
    assert client.get_experiment(exp_id).tags == {"stage": "prod", "owner": "ana"}

    client.delete_experiment_tag(exp_id, "stage")
    assert client.get_experiment(exp_id).tags == {"owner": "ana"}

    r = api.post("experiments/delete-experiment-tag", {"experiment_id": exp_id, "key": "stage"})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    r = api.post("experiments/set-experiment-tag",
                 {"experiment_id": MISSING_EXPERIMENT_ID, "key": "k", "value": "v"})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


def test_search_experiments_filter_order_and_pages(client, unique):
    prefix = unique("srch")
    names = [f"{prefix}-{c}" for c in "cab"]
    ids = {}
    for i, n in enumerate(names):
        ids[n] = client.create_experiment(n, tags={"parity": "even" if i % 2 == 0 else "odd"})
        time.sleep(0.005)  # distinct creation_time (ms) for the default-order check

    got = client.search_experiments(filter_string=f"name LIKE '{prefix}-%'", order_by=["name ASC"])
    assert [e.name for e in got] == sorted(names)
    got = client.search_experiments(filter_string=f"name LIKE '{prefix}-%'", order_by=["name DESC"])
    assert [e.name for e in got] == sorted(names, reverse=True)

    # default order: creation_time DESC, experiment_id ASC -> newest first
    got = client.search_experiments(filter_string=f"name LIKE '{prefix}-%'")
    assert [e.name for e in got] == list(reversed(names))

    got = client.search_experiments(
        filter_string=f"name LIKE '{prefix}-%' AND tags.parity = 'even'", order_by=["name ASC"])
    assert [e.name for e in got] == sorted([names[0], names[2]])

    # pagination: 2 + 1, each experiment exactly once, in order
    page1 = client.search_experiments(max_results=2, filter_string=f"name LIKE '{prefix}-%'",
                                      order_by=["name ASC"])
    assert len(page1) == 2 and page1.token
    page2 = client.search_experiments(max_results=2, filter_string=f"name LIKE '{prefix}-%'",
                                      order_by=["name ASC"], page_token=page1.token)
    assert len(page2) == 1 and not page2.token
    assert [e.name for e in list(page1) + list(page2)] == sorted(names)

    # view types
    client.delete_experiment(ids[names[1]])
    active = client.search_experiments(filter_string=f"name LIKE '{prefix}-%'", order_by=["name ASC"])
    assert [e.name for e in active] == sorted([names[0], names[2]])
    deleted = client.search_experiments(filter_string=f"name LIKE '{prefix}-%'",
                                        view_type=ViewType.DELETED_ONLY)
    assert [e.name for e in deleted] == [names[1]]
    every = client.search_experiments(filter_string=f"name LIKE '{prefix}-%'", view_type=ViewType.ALL,
                                      order_by=["name ASC"])
    assert [e.name for e in every] == sorted(names)


def test_search_experiments_raw_wire(api, unique):
    prefix = unique("wire")
    for c in "xyz":
        assert api.post("experiments/create", {"name": f"{prefix}-{c}"}).status_code == 200
    r = api.post("experiments/search", {"max_results": 2, "filter": f"name LIKE '{prefix}-%'",
                                        "order_by": ["name ASC"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [e["name"] for e in body["experiments"]] == [f"{prefix}-x", f"{prefix}-y"]
    assert isinstance(body["next_page_token"], str) and body["next_page_token"]
    r = api.post("experiments/search", {"max_results": 2, "filter": f"name LIKE '{prefix}-%'",
                                        "order_by": ["name ASC"], "page_token": body["next_page_token"]})
    body = r.json()
    assert [e["name"] for e in body["experiments"]] == [f"{prefix}-z"]
    assert "next_page_token" not in body

    r = api.post("experiments/search", {"max_results": 0})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.yard_only(reason="MLflow accepts any artifact_location; Modelyard confines it to its artifact root")
@pytest.mark.parametrize("location", ["file:///etc?", "file:///etc", "/etc", "file:///etc#frag",
                                      "mlflow-artifacts:/x?y=1", "mlflow-artifacts:/../../etc", "s3://bucket/x"])
def test_artifact_location_outside_the_root_is_400(api, unique, location):
    name = unique("loc")
    r = api.post("experiments/create", {"name": name, "artifact_location": location})
    body = assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert "artifact_location" in body["message"], body
    r = api.get("experiments/get-by-name", {"experiment_name": name})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.yard_only(reason="artifact_location confinement is Modelyard's")
def test_artifact_location_cannot_list_server_folders(api, unique):
    r = api.post("experiments/create", {"name": unique("loc"), "artifact_location": "file:///etc?"})
    assert r.status_code == 400, r.text
    # Nothing was created, so there is no run whose artifacts/list could reach /etc.
    r = api.post("experiments/create", {"name": unique("loc"), "artifact_location": "mlflow-artifacts:/proxied/ok"})
    assert r.status_code == 200, r.text
    exp_id = r.json()["experiment_id"]
    assert api.get("experiments/get", {"experiment_id": exp_id}).json()["experiment"]["artifact_location"] \
        == "mlflow-artifacts:/proxied/ok"
    run = api.post("runs/create", {"experiment_id": exp_id}).json()["run"]
    r = api.get("artifacts/list", {"run_id": run["info"]["run_id"]})
    assert r.status_code == 200, r.text
    assert r.json().get("files", []) == []
