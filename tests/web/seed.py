"""Seed data for the browser suite, written the way users write it: the real `mlflow` client for runs,
params, metric histories, tags, dataset inputs, artifacts and sklearn models; the `yard` CLI for what
MLflow has no word for (a registered dataset, a promotion policy, promote / refuse / rollback); the native
API for one registered dataset whose profile carries hostile column names.

Everything the tests assert about is computed here from the same formulas, so a test compares the page
against what was logged, not against a number copied from a page.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import requests

# The three payloads of the XSS test. Each would set window.__xss if the browser ever ran it.
SCRIPT_PAYLOAD = "<script>window.__xss=1</script>"
IMG_PAYLOAD = '"><img src=x onerror="window.__xss=1">'
JS_URL_PAYLOAD = "javascript:window.__xss=1"
# A registered model name may not contain '/' or ':' (so no closing tag): a tag that opens and an
# attribute that closes early is what an attacker has there.
MODEL_NAME_PAYLOAD = '"><img src=x onerror="window.__xss=1"><svg onload="window.__xss=1">'

EXPERIMENT = "web-suite-churn"
XSS_EXPERIMENT = f"xss {SCRIPT_PAYLOAD} {IMG_PAYLOAD}"
MODEL = "churn-web"
DATASET = "churn-train"
XSS_DATASET = "xss-profile"
RUN_COUNT = 30
METRIC_STEPS = 20
OPTIMIZERS = ("adam", "sgd")
L1_RATIOS = ("0.1", "0.5", "0.9")
TEAMS = ("vision", "nlp", "tabular")
# Model runs' accuracy, chosen so the policy below passes v1, refuses v2 and passes v3.
MODEL_ACCURACY = {0: 0.90, 1: 0.80, 2: 0.95}
POLICY = """aliases: [production]
metrics:
  - accuracy >= 0.85
  - accuracy >= champion.accuracy - 0.01
"""


def rmse_of(index: int) -> float:
    """The final rmse of run `index`: 0.30, 0.35, … exact in binary-friendly steps of 1/20."""
    return (index + 6) / 20


def accuracy_of(index: int) -> float:
    return MODEL_ACCURACY.get(index, round(0.5 + index / 100, 4))


def alpha_of(index: int) -> str:
    return str(round(0.05 * (index % 10 + 1), 2))


@dataclass
class Seeded:
    url: str
    experiment_id: str
    run_ids: list[str]                        # run-00 … run-29, by index
    showcase_run: str                         # run-00: artifacts, model v1, the dataset input
    deleted_run: str
    dataset_digests: list[str]                # short digests of churn-train, oldest first
    dataset_runs: dict[str, list[str]]        # short digest -> run ids that logged it as input
    dataset_columns: list[str]
    artifact_files: dict[str, str]            # artifact path -> a distinctive text its preview shows
    model_versions: dict[int, str]            # version -> source run id
    xss_experiment_id: str = ""
    xss_run_ids: list[str] = field(default_factory=list)
    xss_artifacts: list[str] = field(default_factory=list)
    xss_model: str = MODEL_NAME_PAYLOAD
    xss_dataset_digest: str = ""


def tiny_png(width: int = 48, height: int = 32) -> bytes:
    """A real RGB PNG (a colour gradient), encoded by hand so no imaging library is needed."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (x * 5 % 256, y * 8 % 256, 160))
                    for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def yard(yard_bin: str, url: str, *args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, YARD_SERVER=url, YARD_ACTOR="web-suite")
    result = subprocess.run([yard_bin, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"yard {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def register_datasets(yard_bin: str, url: str, work: Path) -> tuple[list[str], list[str]]:
    """Two versions of churn-train through `yard data add --name` (the CLI profiles the CSV)."""
    project = work / "data-project"
    (project / "data").mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=project, check=False, capture_output=True)
    yard(yard_bin, url, "init", cwd=project)
    digests = []
    columns = ["tenure", "monthly", "plan", "churned"]
    for version, rows in enumerate((12, 20)):
        lines = [",".join(columns)]
        for i in range(rows):
            plan = ("basic", "pro", "")[i % 3]  # an empty cell counts as a null in the profile
            lines.append(f"{i + version},{20 + i * 1.5:.1f},{plan},{i % 2}")
        (project / "data" / "train.csv").write_text("\n".join(lines) + "\n")
        out = yard(yard_bin, url, "data", "add", "--name", DATASET, "--server", url, "data/train.csv", cwd=project).stdout
        marker = f"Registered dataset {DATASET} version "
        line = next(line for line in out.splitlines() if line.startswith(marker))
        digests.append(line[len(marker):].split()[0])
    return digests, columns


def seed(url: str, yard_bin: str, work: Path) -> Seeded:
    import mlflow
    import numpy as np
    import pandas as pd
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient
    from sklearn.linear_model import LogisticRegression

    mlflow.set_tracking_uri(url)
    client = MlflowClient(url)
    digests, columns = register_datasets(yard_bin, url, work)
    frame = pd.DataFrame({"tenure": [1, 2, 3], "monthly": [20.0, 21.5, 23.0], "plan": ["basic", "pro", ""],
                          "churned": [0, 1, 0]})

    experiment_id = client.create_experiment(EXPERIMENT, tags={"project": "web-suite"})
    mlflow.set_experiment(experiment_id=experiment_id)
    run_ids: list[str] = []
    dataset_runs: dict[str, list[str]] = {d: [] for d in digests}
    features = np.random.default_rng(7).normal(size=(40, 3))
    labels = (features[:, 0] > 0).astype(int)
    model_versions: dict[int, str] = {}
    artifacts: dict[str, str] = {}
    for i in range(RUN_COUNT):
        status = "FAILED" if i == 5 else "FINISHED"
        with mlflow.start_run(run_name=f"run-{i:02d}") as run:
            rid = run.info.run_id
            final = rmse_of(i)
            metrics = []
            for step in range(METRIC_STEPS):
                scale = 1 + (METRIC_STEPS - 1 - step) / 10
                stamp = 1_700_000_000_000 + i * 100_000 + step * 1_000
                metrics.append(Metric("rmse", final * scale, stamp, step))
                metrics.append(Metric("loss", final * scale * scale, stamp, step))
            metrics.append(Metric("accuracy", accuracy_of(i), 1_700_000_000_000 + i * 100_000, 0))
            params = [Param("alpha", alpha_of(i)), Param("l1_ratio", L1_RATIOS[i % 3]),
                      Param("optimizer", OPTIMIZERS[i % 2])]
            tags = [RunTag("team", TEAMS[i % 3]), RunTag("mlflow.source.name", "train.py")]
            if i % 4 == 0:
                tags.append(RunTag("mlflow.note.content", f"Baseline sweep point {i}: **alpha** {alpha_of(i)}."))
            client.log_batch(rid, metrics=metrics, params=params, tags=tags)
            # Even runs trained on the latest dataset version, runs 1 and 3 on the first one.
            digest = digests[-1] if i % 2 == 0 else (digests[0] if i in (1, 3) else None)
            if digest:
                mlflow.log_input(mlflow.data.from_pandas(frame, name=DATASET, digest=digest), context="training")
                dataset_runs[digest].append(rid)
            if i in MODEL_ACCURACY:
                model = LogisticRegression(C=1.0 + i).fit(features, labels)
                info = mlflow.sklearn.log_model(model, name="model", registered_model_name=MODEL)
                model_versions[int(info.registered_model_version)] = rid
            if i == 0:
                artifacts = log_showcase_artifacts(mlflow, model)
            if i == RUN_COUNT - 1:
                deleted = rid
        if status != "FINISHED":
            client.set_terminated(rid, status)
        run_ids.append(rid)
    client.delete_run(deleted)

    promote_and_refuse(yard_bin, url, work, client)
    seeded = Seeded(url=url, experiment_id=experiment_id, run_ids=run_ids, showcase_run=run_ids[0],
                    deleted_run=deleted, dataset_digests=digests, dataset_runs=dataset_runs,
                    dataset_columns=columns, artifact_files=artifacts, model_versions=model_versions)
    seed_xss(seeded, client, mlflow, url, features, labels, LogisticRegression)
    return seeded


def log_showcase_artifacts(mlflow, model) -> dict[str, str]:
    """One artifact of each kind the browser previews. Returns path -> text its preview must show.
    MLflow 3 keeps a logged model's files with the logged model, not the run, so the model folder (with
    its MLmodel file) is also saved into the run's artifacts, as MLflow 2 clients did."""
    mlflow.log_text("Training notes: early stopping at epoch 12.\n", "notes.txt")
    mlflow.log_dict({"learning_rate": 0.01, "layers": [64, 32]}, "config.json")
    mlflow.log_text("learning_rate: 0.01\nlayers:\n  - 64\n  - 32\n", "params.yaml")
    mlflow.log_text("feature,importance\ntenure,0.61\nmonthly,0.27\n", "importance.csv")
    mlflow.log_text("All folds converged.\n", "reports/summary.txt")
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "curve.png"
        png.write_bytes(tiny_png())
        mlflow.log_artifact(str(png))
        mlflow.sklearn.save_model(model, str(Path(tmp) / "model"))
        mlflow.log_artifacts(str(Path(tmp) / "model"), "model")
    return {"notes.txt": "early stopping at epoch 12", "config.json": "learning_rate", "params.yaml": "layers",
            "importance.csv": "tenure", "reports/summary.txt": "All folds converged", "curve.png": "",
            "model/MLmodel": "sklearn"}


def promote_and_refuse(yard_bin: str, url: str, work: Path, client) -> None:
    """v1 promoted to production, v2 refused by the gates, v3 promoted, then rolled back to v1; the
    unprotected `candidate` alias set through MLflow."""
    policy = work / "policy.yaml"
    policy.write_text(POLICY)
    yard(yard_bin, url, "model", "policy", "set", MODEL, str(policy))
    yard(yard_bin, url, "model", "promote", MODEL, "1", "--alias", "production")
    refused = yard(yard_bin, url, "model", "promote", MODEL, "2", "--alias", "production", check=False)
    assert refused.returncode == 1, f"v2 should be refused by the gates:\n{refused.stdout}\n{refused.stderr}"
    yard(yard_bin, url, "model", "promote", MODEL, "3", "--alias", "production")
    yard(yard_bin, url, "model", "rollback", MODEL, "--alias", "production")
    client.set_registered_model_alias(MODEL, "candidate", "3")
    client.update_model_version(MODEL, "1", description="Baseline logistic regression.")


def seed_xss(seeded: Seeded, client, mlflow, url: str, features, labels, model_class) -> None:
    """Hostile strings in every field a user can write and a page shows."""
    import pandas as pd
    from mlflow.entities import Metric, Param, RunTag

    experiment_id = client.create_experiment(XSS_EXPERIMENT, tags={"note": IMG_PAYLOAD})
    seeded.xss_experiment_id = experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    frame = pd.DataFrame({"x": [1, 2]})
    for index, name in enumerate((SCRIPT_PAYLOAD, IMG_PAYLOAD)):
        with mlflow.start_run(run_name=name) as run:
            rid = run.info.run_id
            client.log_batch(rid, metrics=[Metric("score", 0.5 + index / 10, 1_700_000_000_000, step) for step in range(3)],
                             params=[Param("payload", SCRIPT_PAYLOAD), Param("payload_img", IMG_PAYLOAD),
                                     Param("link", JS_URL_PAYLOAD)],
                             tags=[RunTag("note", IMG_PAYLOAD), RunTag("script", SCRIPT_PAYLOAD),
                                   RunTag("mlflow.note.content", f"{SCRIPT_PAYLOAD} {IMG_PAYLOAD}"),
                                   RunTag("mlflow.source.name", JS_URL_PAYLOAD),
                                   RunTag("mlflow.source.git.commit", IMG_PAYLOAD),
                                   RunTag("mlflow.user", IMG_PAYLOAD)])
            mlflow.log_input(mlflow.data.from_pandas(frame, name=SCRIPT_PAYLOAD, digest="0123abcd"), context=IMG_PAYLOAD)
            if index == 0:
                seeded.xss_artifacts = log_hostile_artifacts(mlflow)
                model = model_class().fit(features, labels)
                mlflow.sklearn.log_model(model, name="model", registered_model_name=MODEL_NAME_PAYLOAD)
            seeded.xss_run_ids.append(rid)
    client.update_registered_model(MODEL_NAME_PAYLOAD, description=f"{SCRIPT_PAYLOAD} {IMG_PAYLOAD}")
    client.set_registered_model_tag(MODEL_NAME_PAYLOAD, "owner", IMG_PAYLOAD)
    client.update_model_version(MODEL_NAME_PAYLOAD, "1", description=SCRIPT_PAYLOAD)
    client.set_model_version_tag(MODEL_NAME_PAYLOAD, "1", "note", IMG_PAYLOAD)
    client.set_registered_model_alias(MODEL_NAME_PAYLOAD, "champion", "1")

    # A registered dataset whose profile's column names and source are hostile (names themselves are
    # restricted to letters, digits, '.', '_' and '-').
    digest = "ab" * 32
    body = {"name": XSS_DATASET, "digest": "sha256:" + digest, "kind": "file", "size": 10, "files": 1,
            "source": IMG_PAYLOAD,
            "profile": {"rows": 2, "columns": [{"name": SCRIPT_PAYLOAD, "type": "string", "nulls": 0},
                                               {"name": IMG_PAYLOAD, "type": "float", "nulls": 1,
                                                "min": 1.0, "max": 2.0, "mean": 1.5}]}}
    response = requests.post(f"{url}/api/v1/datasets", json=body, timeout=30)
    assert response.status_code == 200, response.text
    seeded.xss_dataset_digest = response.json()["dataset_version"]["short_digest"]


def log_hostile_artifacts(mlflow) -> list[str]:
    """Artifact names with payloads, an HTML file and an SVG with script (the raw endpoint must not serve
    them as documents that run)."""
    mlflow.log_text(SCRIPT_PAYLOAD, f"{IMG_PAYLOAD}.txt")
    mlflow.log_text(f"<html><body>{SCRIPT_PAYLOAD}</body></html>", "evil.html")
    mlflow.log_text('<svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss=1"><script>window.__xss=1</script></svg>',
                    "evil.svg")
    mlflow.log_text(json.dumps({"key": SCRIPT_PAYLOAD, "other": IMG_PAYLOAD}), "payload.json")
    mlflow.log_text(f"name,value\n{SCRIPT_PAYLOAD},1\n\"{IMG_PAYLOAD.replace(chr(34), chr(34) * 2)}\",2\n", "payload.csv")
    return [f"{IMG_PAYLOAD}.txt", "evil.html", "evil.svg", "payload.json", "payload.csv"]
