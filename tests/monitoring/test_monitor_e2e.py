"""A monitor end to end, with real processes: a `yard server` on a free port; a scikit-learn classifier
converted with skl2onnx, logged and registered with the real MLflow client, deployed with `yard deploy`;
its training data registered as a dataset version (`yard data add --name`) and pushed (`yard data push`);
a webhook receiver (http.server in a thread) and a pipeline workspace whose `retrain` stage writes a
marker file. The monitor (`yard monitor create --file monitor.yaml`) watches the deployment with the rule
`share_drifted > 0.3 for 2 evaluations` and the actions webhook + pipeline. Shifted live requests are
scored; two evaluations later the webhook has received the alert's JSON, the stage has run (marker file,
and a run tracked on the server), alert events and action outcomes are queryable, and /metrics carries
the drift gauges. Labels posted for the live predictions give the window's accuracy, checked against
scikit-learn's.

    tests/monitoring/run test_monitor_e2e.py
    YARD_BIN=.build/debug/yard .venv-test/bin/python -m pytest tests/monitoring/test_monitor_e2e.py
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "serving"))
import skl2onnx_compat  # noqa: E402,F401  (must precede the conversions)
from skl2onnx import to_onnx  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score  # noqa: E402

OPSET = {"": 17, "ai.onnx.ml": 3}
COLUMNS = ["f0", "f1", "f2"]
SHIFT = np.array([2.5, -2.0, 0.0])


def truth(X):
    return (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)


def wait_for(predicate, timeout=60, interval=0.1, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def yard(yard_bin):
    def run(*args, cwd=None, check=True, timeout=300):
        result = subprocess.run([yard_bin, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                                env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "GIT_AUTHOR_NAME": "t",
                                     "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                                     "GIT_COMMITTER_EMAIL": "t@example.com"})
        if check:
            assert result.returncode == 0, f"yard {' '.join(map(str, args))} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        return result
    return run


@pytest.fixture(scope="module")
def server(yard_bin, tmp_path_factory):
    data = tmp_path_factory.mktemp("monitor-e2e")
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    # The retrain stage runs `python`; the test venv's has what a stage might import.
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("MLFLOW_TRACKING_URI", None)
    env.pop("YARD_SERVER", None)
    # Pipeline actions may run only in workspaces under --pipeline-workspace: here pytest's temporary root.
    proc = subprocess.Popen([yard_bin, "server", "--port", "0", "--data-dir", str(data / "server"), "--serving-poll-interval", "0.2",
                             "--pipeline-workspace", str(tmp_path_factory.getbasetemp())],
                            stdout=log, stderr=subprocess.STDOUT, env=env)

    def started():
        found = re.search(r"listening: http://127\.0\.0\.1:(\d+)", Path(log.name).read_text())
        if proc.poll() is not None:
            raise AssertionError(f"yard server exited {proc.returncode}:\n{Path(log.name).read_text()}")
        return found and f"http://127.0.0.1:{found.group(1)}"

    url = wait_for(started, what="yard server to listen")
    try:
        yield url, data, log.name
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Receiver:
    """A webhook endpoint collecting the JSON bodies it is sent."""

    def __init__(self):
        self.bodies = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                received.append((self.headers.get("Content-Type"), self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/hooks/yard"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture(scope="module")
def receiver():
    hook = Receiver()
    yield hook
    hook.close()


@pytest.fixture(scope="module")
def deployed(server, yard):
    """`churn` version 1 (logistic regression on f0..f2) deployed as `churn`, and the training frame."""
    url, data, _ = server
    import mlflow
    import mlflow.onnx
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(url)
    rng = np.random.default_rng(15)
    X = rng.normal(size=(600, 3))
    y = truth(X)
    model = LogisticRegression().fit(X, y)
    onnx_model = to_onnx(model, X[:1].astype(np.float32), options={id(model): {"zipmap": False}}, target_opset=OPSET)
    with mlflow.start_run():
        mlflow.onnx.log_model(onnx_model, name="model", registered_model_name="churn")
    MlflowClient().set_registered_model_alias("churn", "prod", "1")
    created = yard("deploy", "create", "churn", "models:/churn@prod", "--tracking-uri", url)
    assert "version 1" in created.stdout
    return model, X, y


@pytest.fixture(scope="module")
def reference(server, yard, deployed, tmp_path_factory):
    """The training frame (features, the model's predictions, the labels) registered and pushed; its digest."""
    url, _, _ = server
    model, X, y = deployed
    repo = tmp_path_factory.mktemp("data-repo")
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    yard("init", cwd=repo)
    (repo / "data").mkdir()
    lines = ["f0,f1,f2,prediction,label"]
    for row, predicted, label in zip(X, model.predict(X), y):
        lines.append(",".join(repr(float(v)) for v in row) + f",{predicted},{label}")
    (repo / "data" / "train.csv").write_text("\n".join(lines) + "\n")
    added = yard("data", "add", "--name", "churn-train", "--server", url, "data/train.csv", cwd=repo)
    digest = re.search(r"Registered dataset churn-train version ([0-9a-f]+)", added.stdout).group(1)
    yard("data", "push", "-r", url, "data/train.csv", cwd=repo)
    return digest


@pytest.fixture(scope="module")
def workspace(yard, tmp_path_factory):
    """A pipeline whose `retrain` stage writes retrained.txt."""
    folder = tmp_path_factory.mktemp("retrain-workspace")
    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True)
    yard("init", cwd=folder)
    (folder / "yard.yaml").write_text(
        "name: churn-retrain\n"
        "stages:\n"
        "  retrain:\n"
        "    cmd: python -c \"open('retrained.txt', 'w').write('retrained')\"\n"
        "    outs:\n"
        "      - retrained.txt\n")
    return folder


def score(url, rows):
    answer = requests.post(f"{url}/serving/churn/invocations", timeout=30,
                           json={"dataframe_split": {"columns": COLUMNS, "data": rows.tolist()}})
    assert answer.status_code == 200, answer.text
    return answer.headers["x-prediction-id"], answer.json()


def test_drift_alert_calls_the_webhook_and_runs_the_pipeline(server, yard, deployed, reference, workspace, receiver, tmp_path):
    url, _, log = server
    model, _, _ = deployed
    spec = tmp_path / "monitor.yaml"
    spec.write_text(f"""
name: churn-drift
source: {{deployment: churn}}
reference: {{dataset: churn-train, digest: "{reference}"}}
window: {{last_records: 1000}}
columns: {{numerical: [f0, f1, f2], prediction: prediction, target: label}}
quality: {{task: classification, positive_label: "1"}}
rules:
  - {{name: drift, condition: "share_drifted > 0.3 for 2 evaluations", actions: [notify, retrain]}}
  - {{name: accuracy, condition: "accuracy < 0.5"}}
actions:
  notify: {{webhook: {{url: "{receiver.url}", retries: 2, timeout_seconds: 5}}}}
  retrain: {{pipeline: {{workspace: "{workspace}", stage: retrain, timeout_seconds: 300}}}}
""")
    created = yard("monitor", "create", "--file", spec, "--server", url)
    assert "churn-drift" in created.stdout
    listed = yard("monitor", "list", "--server", url)
    assert "churn-drift" in listed.stdout and "deployment churn" in listed.stdout

    rng = np.random.default_rng(16)
    live = rng.normal(size=(300, 3)) + SHIFT
    requests_made = [score(url, live[i:i + 10]) for i in range(0, 300, 10)]
    wait_for(lambda: len(requests.get(f"{url}/api/v1/deployments/churn/predictions?limit=100", timeout=10).json()["predictions"]) >= 30,
             what="the prediction log to hold the 30 requests")

    first = requests.post(f"{url}/api/v1/monitors/churn-drift/evaluate", json={}, timeout=120)
    assert first.status_code == 200, first.text
    evaluation = first.json()["evaluation"]
    assert evaluation["status"] == "ok", evaluation
    assert evaluation["model_name"] == "churn" and evaluation["model_version"] == "1"
    assert evaluation["share_drifted"] > 0.3
    columns = {column["column"]: column for column in evaluation["result"]["columns"]}
    assert columns["f0"]["drifted"] and columns["f1"]["drifted"], json.dumps(columns)
    # f2 was not shifted: its KS distance stays at sampling-noise level (it may still cross p < 0.05).
    assert columns["f2"]["statistic"] < 0.2 < columns["f1"]["statistic"] < columns["f0"]["statistic"], json.dumps(columns)
    states = {s["rule"]: s["state"] for s in requests.get(f"{url}/api/v1/monitors/churn-drift/alerts", timeout=10).json()["states"]}
    assert states["drift"] == "pending"
    assert receiver.bodies == []

    second = yard("monitor", "evaluate", "churn-drift", "--server", url, check=False)
    assert second.returncode == 0, second.stdout + second.stderr
    assert re.search(r"f0\s.*\sdrift", second.stdout), second.stdout

    alerts = requests.get(f"{url}/api/v1/monitors/churn-drift/alerts", timeout=10).json()
    assert {s["rule"]: s["state"] for s in alerts["states"]}["drift"] == "firing"
    firing = [e for e in alerts["events"] if e["rule"] == "drift" and e["state"] == "firing"]
    assert len(firing) == 1

    wait_for(lambda: receiver.bodies, timeout=30, what="the webhook to be called")
    content_type, body = receiver.bodies[0]
    assert content_type.startswith("application/json")
    payload = json.loads(body)
    assert "churn-drift" in json.dumps(payload) and "drift" in json.dumps(payload), payload

    marker = workspace / "retrained.txt"
    wait_for(marker.exists, timeout=180, interval=0.5, what=f"the retrain stage to write {marker}\n{Path(log).read_text()[-3000:]}")
    assert marker.read_text() == "retrained"

    def outcomes():
        actions = requests.get(f"{url}/api/v1/alerts/actions", params={"monitor": "churn-drift"}, timeout=10).json()["actions"]
        done = {a["action"]: a for a in actions if a["outcome"] == "succeeded"}
        return done if {"webhook", "pipeline"} <= done.keys() else None

    done = wait_for(outcomes, timeout=180, interval=0.5, what="both actions to succeed")
    assert done["webhook"]["target"] == receiver.url
    assert done["pipeline"]["event_id"] == firing[0]["id"]
    events = requests.get(f"{url}/api/v1/alerts/events", params={"monitor": "churn-drift"}, timeout=10).json()["events"]
    assert [e["id"] for e in events if e["state"] == "firing"] == [firing[0]["id"]]

    # The stage's run was tracked on this server, in the experiment named after the pipeline.
    from mlflow import MlflowClient
    client = MlflowClient(tracking_uri=url)
    experiment = client.get_experiment_by_name("churn-retrain")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert any(run.info.status == "FINISHED" for run in runs), [(r.info.run_name, r.info.status) for r in runs]

    shown = yard("monitor", "alerts", "churn-drift", "--server", url)
    assert "firing" in shown.stdout and "succeeded" in shown.stdout
    history = yard("monitor", "history", "churn-drift", "--server", url)
    assert len(re.findall(r"^\d+\s", history.stdout, re.M)) == 2, history.stdout

    metrics = requests.get(f"{url}/metrics", timeout=10).text
    for line in ['yard_monitor_feature_drift_score{monitor="churn-drift",model="churn",version="1",feature="f0"',
                 'yard_monitor_feature_drifted{monitor="churn-drift",model="churn",version="1",feature="f0"',
                 'yard_monitor_share_drifted_ratio{monitor="churn-drift",model="churn",version="1"}',
                 'yard_monitor_alert_firing{monitor="churn-drift",rule="drift"} 1',
                 'yard_monitor_actions_total{monitor="churn-drift",action="pipeline",outcome="succeeded"}',
                 'yard_monitor_actions_total{monitor="churn-drift",action="webhook",outcome="succeeded"}']:
        assert line in metrics, line

    # Labels for every live prediction (a list per 10-row request) give the window's accuracy.
    # Some labels are flipped, so the accuracy is neither 0 nor 1.
    observed = truth(live)
    flipped = np.random.default_rng(17).random(len(observed)) < 0.15
    observed[flipped] = 1 - observed[flipped]
    labels = [{"prediction_id": pid, "label": observed[i * 10:(i + 1) * 10].tolist()} for i, (pid, _) in enumerate(requests_made)]
    posted = requests.post(f"{url}/api/v1/deployments/churn/labels", json={"labels": labels}, timeout=30)
    assert posted.status_code == 200 and posted.json()["matched"] == 30, posted.text
    third = requests.post(f"{url}/api/v1/monitors/churn-drift/evaluate", json={}, timeout=120).json()["evaluation"]
    assert third["labeled_rows"] == 300, third
    expected = accuracy_score(observed, model.predict(live))
    assert 0.5 < expected < 0.95
    quality = third["result"]["quality"]
    assert abs(quality["metrics"]["accuracy"] - expected) < 1e-9, (json.dumps(quality), expected)
    metrics = requests.get(f"{url}/metrics", timeout=10).text
    assert 'yard_monitor_quality{monitor="churn-drift",model="churn",version="1",metric="accuracy"}' in metrics


def test_monitor_errors_say_what_to_do(server, yard, reference, tmp_path):
    url, _, _ = server
    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps({"name": "bad", "source": {"deployment": "churn"}, "reference": {"dataset": "churn-train", "digest": reference},
                                "window": {"last_records": 10}, "rules": [{"name": "r", "condition": "share_drifted >> 2"}]}))
    refused = yard("monitor", "create", "--file", spec, "--server", url, check=False)
    assert refused.returncode != 0
    assert "rules[0].condition" in refused.stderr + refused.stdout
    missing = yard("monitor", "show", "nope", "--server", url, check=False)
    assert missing.returncode != 0 and "nope" in missing.stderr + missing.stdout
    unknown_reference = tmp_path / "ref.yaml"
    unknown_reference.write_text("name: r\nsource: {stream: clicks}\nreference: {dataset: churn-train, digest: '0000000'}\nwindow: {last_records: 10}\n")
    refused = yard("monitor", "create", "-f", unknown_reference, "--server", url, check=False)
    assert refused.returncode != 0 and "0000000" in refused.stderr + refused.stdout


def test_pipeline_workspace_outside_the_allowed_folders_is_refused(server, reference):
    url, _, _ = server
    spec = {"name": "outside", "source": {"deployment": "churn"}, "reference": {"dataset": "churn-train", "digest": reference},
            "window": {"last_records": 100}, "rules": [{"name": "drift", "condition": "share_drifted > 0.3", "actions": ["retrain"]}],
            "actions": {"retrain": {"pipeline": {"workspace": "/tmp", "stage": "train"}}}}
    answer = requests.post(f"{url}/api/v1/monitors", json=spec, timeout=30)
    assert answer.status_code == 400, answer.text
    assert "actions.retrain.pipeline.workspace" in answer.json()["message"]
    assert "--pipeline-workspace" in answer.json()["message"]
