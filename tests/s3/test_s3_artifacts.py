"""`yard server --artifacts s3://…` on moto (signatures enforced), driven by the real mlflow client: a run
logs a file and a directory, lists them and downloads them back; the objects are in the bucket under the
prefix; wrong credentials stop the server at start-up with an error naming the wrong one."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compat"))
from servers import default_yard_bin, free_port, launch  # noqa: E402

ENDPOINT = os.environ.get("YARD_TEST_S3_ENDPOINT")
BUCKET = os.environ.get("YARD_TEST_S3_BUCKET")
pytestmark = pytest.mark.skipif(not ENDPOINT, reason="needs YARD_TEST_S3_ENDPOINT (tests/s3/run starts moto)")


def s3_env(secret: str | None = None, key_id: str | None = None) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": key_id or os.environ["YARD_TEST_S3_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": secret or os.environ["YARD_TEST_S3_SECRET_ACCESS_KEY"],
        "AWS_ENDPOINT_URL": ENDPOINT,
        "AWS_REGION": "us-east-1",
    }


@pytest.fixture(scope="module")
def server():
    prefix = f"e2e-{uuid.uuid4().hex}"
    saved = dict(os.environ)
    os.environ.update(s3_env())
    try:
        process = launch("yard", extra_args=["--artifacts", f"s3://{BUCKET}/{prefix}"])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    yield process, prefix
    process.stop()
    process.cleanup()


def test_a_run_logs_lists_and_downloads_artifacts_through_the_bucket(server, tmp_path):
    import mlflow
    from mlflow.tracking import MlflowClient

    process, prefix = server
    mlflow.set_tracking_uri(process.url)
    (tmp_path / "notes.txt").write_text("hello from s3\n")
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "MLmodel").write_text("flavors: {}\n")
    (folder / "sub" / "weights.bin").write_bytes(bytes(range(256)) * 4096)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "notes.txt"))
        mlflow.log_artifacts(str(folder), artifact_path="model")
    run_id = run.info.run_id

    client = MlflowClient()
    assert sorted((f.path, f.is_dir) for f in client.list_artifacts(run_id)) == [("model", True), ("notes.txt", False)]
    listed = mlflow.artifacts.list_artifacts(run_id=run_id, artifact_path="model/sub")
    assert [(f.path, f.file_size) for f in listed] == [("model/sub/weights.bin", 256 * 4096)]

    out = tmp_path / "out"
    mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="model", dst_path=str(out))
    assert (out / "model" / "MLmodel").read_text() == "flavors: {}\n"
    assert (out / "model" / "sub" / "weights.bin").read_bytes() == bytes(range(256)) * 4096
    text = mlflow.artifacts.load_text(f"runs:/{run_id}/notes.txt")
    assert text == "hello from s3\n"

    # Listing a subfolder through the tracking API agrees with what was logged.
    assert {f.path for f in client.list_artifacts(run_id, "model")} == {"model/MLmodel", "model/sub"}

@pytest.mark.parametrize("override, expected", [
    ({"secret": "not-the-secret"}, "AWS_SECRET_ACCESS_KEY"),
    ({"key_id": "AKIANOBODY0000000000"}, "AWS_ACCESS_KEY_ID"),
])
def test_wrong_credentials_stop_the_server_at_start_up(tmp_path, override, expected):
    env = dict(os.environ)
    env.update(s3_env(**override))
    result = subprocess.run(
        [str(default_yard_bin()), "server", "--port", str(free_port()), "--data-dir", str(tmp_path / "data"),
         "--artifacts", f"s3://{BUCKET}/start-up"],
        env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert expected in result.stderr, result.stderr
    assert f"s3://{BUCKET}/start-up" in result.stderr
