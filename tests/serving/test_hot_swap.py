"""Hot swap of a live deployment under load, end to end with real processes.

A `yard server` on a free port; two scikit-learn regressors converted with skl2onnx and logged with the
real MLflow client (`mlflow.onnx.log_model(..., registered_model_name="price")`), plus a third version
whose model file is corrupt. `yard deploy create live models:/price@prod`, then four threads post
requests back to back while the alias moves v1 → v2 (MLflow's set_registered_model_alias), rolls back
v2 → v1 (`yard model rollback`), and moves to the broken version. Asserted: not one request fails, every
answer equals onnxruntime's prediction of the version named in its x-model-version header, the answers
switch to each new version, and the broken version leaves v1 serving with the error in `yard deploy show`.
Also `yard serve models:/price@prod --tracking-uri …` (artifacts downloaded through the proxy) follows
the same alias.

    tests/serving/run test_hot_swap.py       (or: .venv-test/bin/python -m pytest tests/serving/test_hot_swap.py)
"""
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))
import skl2onnx_compat  # noqa: E402,F401  (must precede the conversions)
from skl2onnx import to_onnx  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402

YARD = os.environ.get("YARD_BIN", str(Path(__file__).resolve().parents[2] / ".build/debug/yard"))
ROW = [[0.5, -1.25, 2.0]]
OPSET = {"": 17, "ai.onnx.ml": 3}
BODY = {"dataframe_split": {"columns": ["f0", "f1", "f2"], "data": ROW}}


def start(args, pattern=r"listening: http://127\.0\.0\.1:(\d+)", env=None):
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    proc = subprocess.Popen([YARD, *args], stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        text = Path(log.name).read_text()
        found = re.search(pattern, text)
        if found:
            return proc, f"http://127.0.0.1:{found.group(1)}", log.name
        if proc.poll() is not None:
            raise AssertionError(f"yard {' '.join(args)} exited {proc.returncode}:\n{text}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"yard {' '.join(args)} did not start:\n{Path(log.name).read_text()}")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def yard(*args, url):
    result = subprocess.run([YARD, *args, "--tracking-uri", url], capture_output=True, text=True, timeout=60)
    return result


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("hot-swap")
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    proc, url, log = start(["server", "--port", "0", "--data-dir", str(data / "data")], env=env)
    try:
        yield url, data
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def registered(server):
    """Versions 1 and 2 of `price` (different regressors) and version 3 whose model file is truncated."""
    url, data = server
    import mlflow
    import mlflow.onnx
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(url)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    sessions = {}
    for version, weights in (("1", [1.0, 2.0, 3.0]), ("2", [-4.0, 0.5, 10.0])):
        y = X @ np.array(weights, dtype=np.float32) + 7
        onnx_model = to_onnx(LinearRegression().fit(X, y), X[:1], target_opset=OPSET)
        with mlflow.start_run():
            mlflow.onnx.log_model(onnx_model, name="model", registered_model_name="price")
        sessions[version] = ort.InferenceSession(onnx_model.SerializeToString())
    # Version 3: a package whose model.onnx is cut in half, as a failed upload would leave it.
    broken = data / "broken-package"
    broken.mkdir()
    good = to_onnx(LinearRegression().fit(X, X[:, 0]), X[:1], target_opset=OPSET).SerializeToString()
    (broken / "model.onnx").write_bytes(good[: len(good) // 2])
    (broken / "MLmodel").write_text("flavors:\n  onnx:\n    data: model.onnx\n")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(broken), artifact_path="model")
    client = MlflowClient()
    created = client.create_model_version("price", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    assert created.version == "3"
    expected = {version: float(session.run(None, {session.get_inputs()[0].name: np.array(ROW, dtype=np.float32)})[0].ravel()[0])
                for version, session in sessions.items()}
    return client, expected


def first_number(value):
    while isinstance(value, (list, dict)):
        value = value[0] if isinstance(value, list) else next(iter(value.values()))
    return float(value)


class Load:
    """Threads posting the same row back to back, recording (version, value) or the failure."""

    def __init__(self, url, threads=4):
        self.url, self.answers, self.failures = url, [], []
        self.lock, self.done = threading.Lock(), threading.Event()
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(threads)]

    def loop(self):
        session = requests.Session()
        while not self.done.is_set():
            try:
                answer = session.post(self.url, json=BODY, timeout=10)
                if answer.status_code == 200:
                    record = (answer.headers["x-model-version"], first_number(answer.json()["predictions"]))
                    with self.lock:
                        self.answers.append(record)
                else:
                    with self.lock:
                        self.failures.append(f"HTTP {answer.status_code}: {answer.text[:300]}")
            except Exception as error:  # a refused or reset connection is a failed request too
                with self.lock:
                    self.failures.append(repr(error))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        for thread in self.threads:
            thread.join(timeout=15)

    def mark(self):
        with self.lock:
            return len(self.answers)

    def wait_for(self, version, since, timeout=15):
        """True once the last 20 answers after `since` all come from `version`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            time.sleep(0.05)
            with self.lock:
                seen = [v for v, _ in self.answers[since:]]
            if len(seen) > 20 and all(v == version for v in seen[-20:]):
                return True
        return False


def test_alias_moves_rollback_and_broken_version_fail_no_request(server, registered):
    url, _ = server
    client, expected = registered
    client.set_registered_model_alias("price", "prod", "1")
    created = yard("deploy", "create", "live", "models:/price@prod", url=url)
    assert created.returncode == 0, created.stdout + created.stderr
    assert "version 1" in created.stdout

    with Load(f"{url}/serving/live/invocations") as load:
        assert load.wait_for("1", 0)

        mark = load.mark()
        client.set_registered_model_alias("price", "prod", "2")
        assert load.wait_for("2", mark), "the deployment never answered with version 2"

        mark = load.mark()
        rolled = subprocess.run([YARD, "model", "rollback", "price", "--alias", "prod", "--server", url],
                                capture_output=True, text=True, timeout=60)
        assert rolled.returncode == 0, rolled.stdout + rolled.stderr
        assert load.wait_for("1", mark), "the deployment never went back to version 1"

        mark = load.mark()
        client.set_registered_model_alias("price", "prod", "3")
        deadline, shown = time.time() + 15, ""
        while time.time() < deadline:
            shown = yard("deploy", "show", "live", url=url).stdout
            if "last error" in shown:
                break
            time.sleep(0.1)
        assert "version 3 of price failed to load" in shown, shown
        assert "version 1 keeps serving" in shown, shown
        time.sleep(1)
        with load.lock:
            after_broken = [v for v, _ in load.answers[mark:]]
        assert after_broken and set(after_broken) == {"1"}

    assert load.failures == [], f"{len(load.failures)} failed requests, first: {load.failures[0]}"
    assert len(load.answers) > 200
    wrong = [(v, value) for v, value in load.answers if abs(value - expected[v]) > 1e-4 * max(1, abs(expected[v]))]
    assert wrong == [], f"answers that do not match their version's onnxruntime prediction: {wrong[:5]}"

    history = subprocess.run([YARD, "model", "history", "price", "--server", url], capture_output=True, text=True, timeout=60)
    assert history.returncode == 0
    assert "deployment_changed" in history.stdout


def test_standalone_serve_follows_the_remote_alias(server, registered, tmp_path):
    url, _ = server
    client, expected = registered
    client.set_registered_model_alias("price", "prod", "1")
    proc, serve_url, log = start(["serve", "models:/price@prod", "--tracking-uri", url, "--port", "0",
                                  "--poll-interval", "0.1", "--cache-dir", str(tmp_path / "cache")])
    try:
        answer = requests.post(f"{serve_url}/invocations", json=BODY, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-model-version"] == "1"
        assert abs(first_number(answer.json()["predictions"]) - expected["1"]) < 1e-4 * max(1, abs(expected["1"]))
        assert requests.get(f"{serve_url}/ping", timeout=10).status_code == 200

        client.set_registered_model_alias("price", "prod", "2")
        deadline = time.time() + 15
        while time.time() < deadline:
            answer = requests.post(f"{serve_url}/invocations", json=BODY, timeout=10)
            assert answer.status_code == 200, answer.text
            if answer.headers["x-model-version"] == "2":
                break
            time.sleep(0.05)
        assert answer.headers["x-model-version"] == "2"
        assert abs(first_number(answer.json()["predictions"]) - expected["2"]) < 1e-4 * max(1, abs(expected["2"]))
        v2 = requests.post(f"{serve_url}/v2/models/price/infer", timeout=10, json={
            "inputs": [{"name": "X", "shape": [1, 3], "datatype": "FP32", "data": ROW[0]}]})
        assert v2.status_code == 200, v2.text
        assert v2.json()["model_version"] == "2"
    finally:
        stop(proc)
