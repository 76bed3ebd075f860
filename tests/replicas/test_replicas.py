"""Stateless replicas: three `yard server` processes on one PostgreSQL database and one S3 bucket (moto)
behave as one server. The real mlflow client and the native API go round-robin across them; two
promotions race on different replicas; a replica is killed with SIGKILL during concurrent ingest; and
PostgreSQL is restarted under load (503 while it is away, success after, no yard restart)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compat"))
from servers import default_yard_bin, launch  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
POSTGRES = os.environ.get("YARD_TEST_POSTGRES_URL")
ENDPOINT = os.environ.get("YARD_TEST_S3_ENDPOINT")
BUCKET = os.environ.get("YARD_TEST_S3_BUCKET")
pytestmark = pytest.mark.skipif(not (POSTGRES and ENDPOINT),
                                reason="needs YARD_TEST_POSTGRES_URL and YARD_TEST_S3_ENDPOINT (tests/replicas/run starts both)")


def store_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES else "?"
    return f"{POSTGRES}{separator}schema={schema}&sslmode=disable&connect_timeout=3"


def launch_replicas(count: int, schema: str) -> list:
    """Starts `count` servers at once (their start-up migrations race for the advisory lock)."""
    saved = dict(os.environ)
    os.environ.update({
        "AWS_ACCESS_KEY_ID": os.environ["YARD_TEST_S3_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": os.environ["YARD_TEST_S3_SECRET_ACCESS_KEY"],
        "AWS_ENDPOINT_URL": ENDPOINT,
        "AWS_REGION": "us-east-1",
    })
    args = ["--store", store_url(schema), "--artifacts", f"s3://{BUCKET}/{schema}",
            "--objects", f"s3://{BUCKET}/{schema}-objects"]
    try:
        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(lambda _: launch("yard", prefix="yard-replica-", extra_args=args), range(count)))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def stop_all(servers) -> None:
    for server in servers:
        server.stop()
        server.cleanup()


@pytest.fixture(scope="module")
def replicas():
    schema = "replicas_" + uuid.uuid4().hex[:12]
    servers = launch_replicas(3, schema)
    yield servers, schema
    stop_all(servers)


def api(server, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{server.url}{path}", timeout=30, **kwargs)


def test_replicas_started_together_leave_one_current_schema(replicas):
    servers, schema = replicas
    for server in servers:
        assert requests.get(f"{server.url}/health", timeout=10).text == "OK"
    status = subprocess.run([str(default_yard_bin()), "db", "status", "--store", store_url(schema)],
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stdout + status.stderr
    assert "The schema is current." in status.stdout


def test_the_mlflow_client_round_robin_sees_one_server(replicas, tmp_path):
    from mlflow.tracking import MlflowClient

    servers, _ = replicas
    clients = [MlflowClient(tracking_uri=server.url) for server in servers]
    experiment_id = clients[0].create_experiment(f"replicas-{uuid.uuid4().hex[:8]}")
    run = clients[1].create_run(experiment_id, run_name="across")
    run_id = run.info.run_id
    for step in range(30):
        clients[step % 3].log_metric(run_id, "loss", 1.0 / (step + 1), step=step, timestamp=1000 + step)
    clients[2].log_param(run_id, "lr", "0.01")
    clients[0].set_tag(run_id, "team", "search")
    (tmp_path / "notes.txt").write_text("written through replica 0\n")
    clients[0].log_artifact(run_id, str(tmp_path / "notes.txt"))
    clients[1].set_terminated(run_id)

    for client in clients:
        fetched = client.get_run(run_id)
        assert fetched.info.status == "FINISHED"
        assert fetched.data.params == {"lr": "0.01"}
        assert fetched.data.tags["team"] == "search"
        assert fetched.data.metrics["loss"] == pytest.approx(1.0 / 30)
        history = client.get_metric_history(run_id, "loss")
        assert [m.step for m in history] == list(range(30))
        found = client.search_runs([experiment_id], "params.lr = '0.01' and metrics.loss < 0.5")
        assert [r.info.run_id for r in found] == [run_id]
    downloaded = clients[2].download_artifacts(run_id, "notes.txt", str(tmp_path / "back"))
    assert Path(downloaded).read_text() == "written through replica 0\n"


def test_data_pushed_through_one_replica_is_pulled_through_another(replicas, tmp_path):
    """`yard data push` to replica 0, `yard data pull` from replica 2 into a second checkout: the objects are
    shared through the bucket, not the replica's own folder."""
    servers, _ = replicas
    yard = str(default_yard_bin())

    def data(cwd: Path, *args: str) -> str:
        done = subprocess.run([yard, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"yard {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    first, second = tmp_path / "first", tmp_path / "second"
    for checkout, server in ((first, servers[0]), (second, servers[2])):
        checkout.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=checkout, check=True)
        data(checkout, "init")
        data(checkout, "data", "remote", "add", "origin", server.url, "--default")
    rows = "".join(f"{i},{i * i % 7}\n" for i in range(20_000))
    (first / "train.csv").write_text("id,label\n" + rows)
    data(first, "data", "add", "train.csv")
    assert "Pushed 1 objects" in data(first, "data", "push")
    (second / "train.csv.yard").write_text((first / "train.csv.yard").read_text())
    assert "Fetched 1 objects" in data(second, "data", "pull")
    assert (second / "train.csv").read_text() == "id,label\n" + rows


def test_a_deployment_made_on_one_replica_is_served_by_every_replica(replicas):
    """The model's artifacts go to the bucket through one replica, the deployment is created on another, and
    every replica loads it from the bucket (each its own verified copy) and scores the same answer."""
    servers, _ = replicas
    name = f"served-{uuid.uuid4().hex[:8]}"
    onnx = (REPO / "Tests/Fixtures/serving/linear_v1.onnx").read_bytes()
    mlmodel = "flavors:\n  onnx:\n    data: model.onnx\n    onnx_version: 1.23.2\nmlflow_version: 3.18.0\n"
    base = f"/api/2.0/mlflow-artifacts/artifacts/models/{name}"
    assert api(servers[0], "PUT", base + "/model.onnx", data=onnx).status_code == 200
    assert api(servers[0], "PUT", base + "/MLmodel", data=mlmodel.encode()).status_code == 200
    assert api(servers[1], "POST", "/api/2.0/mlflow/registered-models/create", json={"name": name}).status_code == 200
    made = api(servers[1], "POST", "/api/2.0/mlflow/model-versions/create",
               json={"name": name, "source": f"mlflow-artifacts:/models/{name}"})
    assert made.status_code == 200, made.text
    created = api(servers[2], "POST", "/api/v1/deployments", json={"name": name, "model_uri": f"models:/{name}/1"})
    assert created.status_code == 200, created.text

    row = {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}}
    for server in servers:
        deadline = time.monotonic() + 60
        while True:
            scored = api(server, "POST", f"/serving/{name}/invocations", json=row)
            if scored.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert scored.status_code == 200, f"{server.url}: {scored.status_code} {scored.text}"
        assert scored.headers["x-model-version"] == "1"
        predictions = scored.json()["predictions"]
        first = predictions[0]
        while isinstance(first, (list, dict)):
            first = next(iter(first.values())) if isinstance(first, dict) else first[0]
        assert first == 5  # y = a + 2b


def test_version_numbers_have_no_gap_or_duplicate_when_replicas_race(replicas):
    from mlflow.tracking import MlflowClient

    servers, _ = replicas
    name = f"race-versions-{uuid.uuid4().hex[:8]}"
    MlflowClient(tracking_uri=servers[0].url).create_registered_model(name)
    run_id = MlflowClient(tracking_uri=servers[0].url).create_run("0").info.run_id

    def create(index: int) -> int:
        client = MlflowClient(tracking_uri=servers[index % 3].url)
        return int(client.create_model_version(name, f"runs:/{run_id}/model-{index}", run_id=run_id).version)

    with ThreadPoolExecutor(12) as pool:
        versions = sorted(pool.map(create, range(24)))
    assert versions == list(range(1, 25))
    for server in servers:
        history = api(server, "GET", f"/api/v1/models/{name}/history").json()["entries"]
        created = sorted(e["version"] for e in history if e["action"] == "version_created")
        assert created == list(range(1, 25))


def test_two_promotions_racing_on_different_replicas_leave_a_complete_ordered_history(replicas):
    from mlflow.tracking import MlflowClient

    servers, _ = replicas
    name = f"race-promote-{uuid.uuid4().hex[:8]}"
    client = MlflowClient(tracking_uri=servers[0].url)
    client.create_registered_model(name)
    run_id = client.create_run("0").info.run_id
    for index in range(3):
        client.create_model_version(name, f"runs:/{run_id}/model-{index}", run_id=run_id)
    first = api(servers[0], "POST", f"/api/v1/models/{name}/promote", json={"version": 1, "alias": "champion"})
    assert first.status_code == 200, first.text

    for round_ in range(5):
        barrier = threading.Barrier(2)

        def promote(args):
            server, version = args
            barrier.wait()
            return api(server, "POST", f"/api/v1/models/{name}/promote", json={"version": version, "alias": "champion"})

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(promote, [(servers[1], 2), (servers[2], 3)]))
        for answer in answers:
            # Each promotion either applied (after retrying its compare-and-set) or got a clear 409.
            assert answer.status_code in (200, 409), answer.text
            if answer.status_code == 409:
                assert answer.json()["error_code"] == "RESOURCE_CONFLICT"

    histories = [api(server, "GET", f"/api/v1/models/{name}/history").json()["entries"] for server in servers]
    assert histories[0] == histories[1] == histories[2]
    entries = histories[0]
    sequences = [e["sequence"] for e in entries]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    moves = [json.loads(e["detail"]) for e in entries if e["action"] == "promoted"]
    assert len(moves) >= 6  # the first promotion and at least one per racing round
    assert moves[0].get("from") is None and moves[0]["to"] == 1
    for before, after in zip(moves, moves[1:]):
        assert after.get("from") == before["to"], f"a promotion decided on a stale champion: {before} then {after}"
    holders = {MlflowClient(tracking_uri=s.url).get_model_version_by_alias(name, "champion").version for s in servers}
    assert holders == {str(moves[-1]["to"])}


def log_batch(server, run_id: str, step: int) -> requests.Response:
    body = {"run_id": run_id, "metrics": [{"key": "m", "value": float(step), "timestamp": 1000 + step, "step": step}]}
    return requests.post(f"{server.url}/api/2.0/mlflow/runs/log-batch", json=body, timeout=10)


def test_killing_a_replica_during_ingest_loses_no_acknowledged_write():
    schema = "replicas_kill_" + uuid.uuid4().hex[:8]
    servers = launch_replicas(3, schema)
    try:
        run_id = api(servers[0], "POST", "/api/2.0/mlflow/runs/create",
                     json={"experiment_id": "0", "start_time": 1}).json()["run"]["info"]["run_id"]
        acknowledged: set[int] = set()
        lock = threading.Lock()
        killed = threading.Event()

        def writer(worker: int) -> None:
            for n in range(60):
                step = worker * 1000 + n
                # A load balancer's behaviour: send to the next live replica; on a connection error, retry elsewhere.
                for attempt in range(6):
                    server = servers[(step + attempt) % 3]
                    try:
                        answer = log_batch(server, run_id, step)
                    except requests.RequestException:
                        continue
                    if answer.status_code == 200:
                        with lock:
                            acknowledged.add(step)
                        break
                    assert answer.status_code >= 500, answer.text
                if worker == 0 and n == 20:
                    servers[2].proc.kill()  # SIGKILL, mid-ingest
                    killed.set()

        with ThreadPoolExecutor(6) as pool:
            list(pool.map(writer, range(6)))
        assert killed.is_set()
        assert len(acknowledged) >= 300  # the survivors took the load
        for survivor in servers[:2]:
            history = requests.get(f"{survivor.url}/api/2.0/mlflow/metrics/get-history",
                                   params={"run_id": run_id, "metric_key": "m", "max_results": 25000}, timeout=30).json()
            stored = {int(m["step"]) for m in history["metrics"]}
            assert acknowledged <= stored, f"acknowledged writes missing: {sorted(acknowledged - stored)[:10]}"
    finally:
        stop_all(servers)


def postgres_ctl(action: str) -> None:
    subprocess.run([str(REPO / "tests/postgres/ctl"), action], check=True, timeout=120)


def test_postgres_restarted_under_load_gives_503_then_recovers_without_restarting_yard():
    if not os.environ.get("YARD_POSTGRES_DIR"):
        pytest.skip("needs the cluster's YARD_POSTGRES_DIR to restart it (tests/postgres/postgres.sh)")
    schema = "replicas_restart_" + uuid.uuid4().hex[:8]
    servers = launch_replicas(1, schema)
    server = servers[0]
    try:
        run_id = api(server, "POST", "/api/2.0/mlflow/runs/create",
                     json={"experiment_id": "0", "start_time": 1}).json()["run"]["info"]["run_id"]
        assert log_batch(server, run_id, 0).status_code == 200
        postgres_ctl("pause")
        try:
            statuses = []
            for step in range(1, 4):
                answer = log_batch(server, run_id, step)
                statuses.append(answer.status_code)
                assert answer.status_code == 503, answer.text
                body = answer.json()
                assert body["error_code"] == "TEMPORARILY_UNAVAILABLE"
                assert "PostgreSQL" in body["message"]
            search = api(server, "POST", "/api/2.0/mlflow/runs/search", json={"experiment_ids": ["0"]})
            assert search.status_code == 503, search.text
        finally:
            postgres_ctl("resume")
        deadline = time.monotonic() + 60
        while True:
            answer = log_batch(server, run_id, 10)
            if answer.status_code == 200:
                break
            assert answer.status_code == 503, answer.text
            assert time.monotonic() < deadline, "yard did not recover after PostgreSQL came back"
            time.sleep(0.5)
        history = requests.get(f"{server.url}/api/2.0/mlflow/metrics/get-history",
                               params={"run_id": run_id, "metric_key": "m"}, timeout=30).json()
        assert {int(m["step"]) for m in history["metrics"]} == {0, 10}
        assert server.proc.poll() is None
    finally:
        stop_all(servers)
