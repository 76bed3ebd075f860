"""Durability and shutdown of `yard server` as a process: acknowledged writes survive kill -9, a killed
upload leaves no half-written artifact, and SIGTERM finishes requests in flight."""
import hashlib
import os
import signal
import threading
import time

import pytest
import requests

from conftest import TARGET
from servers import launch

pytestmark = pytest.mark.yard_only(reason="process-level behaviour of yard server")

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def own_server():
    if TARGET != "yard":
        pytest.skip("yard only")
    server = launch("yard", prefix="yard-durability-")
    yield server
    server.stop()
    server.cleanup()


def _restart(server):
    server.stop()
    server.start(60)


def test_acknowledged_writes_survive_kill_9(own_server):
    base = own_server.url + "/api/2.0/mlflow"
    run_id = requests.post(base + "/runs/create", json={"experiment_id": "0"}).json()["run"]["info"]["run_id"]
    acknowledged: list[int] = []
    stop = threading.Event()

    def writer():
        session = requests.Session()
        step = 0
        while not stop.is_set():
            try:
                r = session.post(base + "/runs/log-metric", json={
                    "run_id": run_id, "key": "loss", "value": step / 10, "timestamp": 1000 + step, "step": step})
            except requests.RequestException:
                return
            if r.status_code == 200:
                acknowledged.append(step)
            step += 1

    thread = threading.Thread(target=writer)
    thread.start()
    deadline = time.monotonic() + 10
    while len(acknowledged) < 300 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(own_server.proc.pid, signal.SIGKILL)
    own_server.proc.wait(timeout=10)
    stop.set()
    thread.join(timeout=10)
    assert len(acknowledged) >= 300, "the writer did not get going"

    _restart(own_server)
    history = requests.get(own_server.url + "/api/2.0/mlflow/metrics/get-history",
                           params={"run_id": run_id, "metric_key": "loss"}).json()["metrics"]
    stored = {m["step"] for m in history}
    missing = [s for s in acknowledged if s not in stored]
    assert not missing, f"{len(missing)} acknowledged points lost, first {missing[:5]}"


def test_killed_upload_leaves_no_partial_artifact(own_server):
    url = own_server.url + "/api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/big.bin"
    chunk = os.urandom(1 << 20)

    def slow_body():
        for _ in range(64):
            yield chunk
            time.sleep(0.02)

    def upload():
        try:
            requests.put(url, data=slow_body(), timeout=30)
        except requests.RequestException:
            pass

    thread = threading.Thread(target=upload)
    thread.start()
    time.sleep(0.4)
    os.killpg(own_server.proc.pid, signal.SIGKILL)
    own_server.proc.wait(timeout=10)
    thread.join(timeout=30)
    _restart(own_server)
    assert requests.get(url).status_code == 404, "a partial upload became visible"
    listing = requests.get(own_server.url + "/api/2.0/mlflow-artifacts/artifacts", params={"path": "0/run/artifacts"}).json()
    assert listing.get("files", []) == []

    # A complete upload afterwards lands whole.
    payload = os.urandom(3 << 20)
    assert requests.put(url, data=payload).status_code == 200
    got = requests.get(url).content
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(payload).hexdigest()


def test_sigterm_finishes_the_request_in_flight(own_server):
    url = own_server.url + "/api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/inflight.bin"
    chunk = b"x" * (256 * 1024)
    result = {}

    def slow_body():
        for _ in range(20):
            yield chunk
            time.sleep(0.05)

    def upload():
        try:
            result["status"] = requests.put(url, data=slow_body(), timeout=30).status_code
        except requests.RequestException as e:
            result["error"] = repr(e)

    thread = threading.Thread(target=upload)
    thread.start()
    time.sleep(0.3)
    own_server.proc.send_signal(signal.SIGTERM)
    thread.join(timeout=30)
    code = own_server.proc.wait(timeout=30)
    assert result.get("status") == 200, result
    assert code == 0, f"yard server exited with {code} after SIGTERM"
    stored = own_server.artifacts_root / "0" / "run" / "artifacts" / "inflight.bin"
    assert stored.stat().st_size == 20 * len(chunk)
