"""Artifacts: log_artifact(s) through the proxy, list_artifacts,
download_artifacts, the raw artifact proxy (PUT/GET/list/DELETE) and path
traversal (`..`) rejection with nothing written."""

import hashlib
import os
import uuid
from pathlib import Path

import pytest
from mlflow.exceptions import MlflowException

import mlflow
from conftest import MISSING_RUN_ID, assert_error, snapshot_files

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def _payload(n: int, seed: str) -> bytes:
    """Deterministic bytes including every byte value (not just text)."""
    out = bytearray(range(256))
    h = hashlib.sha256(seed.encode()).digest()
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:n])


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _run_prefix(run) -> str:
    """Path of a run's artifact root relative to the proxy root: <exp>/<run>/artifacts."""
    uri = run.info.artifact_uri
    assert uri.startswith("mlflow-artifacts:/"), uri
    return uri[len("mlflow-artifacts:/"):].lstrip("/")


@pytest.fixture
def files(tmp_path):
    src = tmp_path / "src"
    (src / "tree" / "sub" / "deeper").mkdir(parents=True)
    data = {
        "model.bin": _payload(200_000, "model"),
        "notes.txt": "hello artifacts\nsecond line ✓\n".encode(),
        "tree/a.txt": b"a",
        "tree/empty.dat": b"",
        "tree/sub/b.json": b'{"b": 1}',
        "tree/sub/deeper/c.bin": _payload(5000, "c"),
    }
    for rel, content in data.items():
        (src / rel).write_bytes(content)
    return src, data


def test_log_list_download_round_trip(client, unique, files, tmp_path):
    src, data = files
    mlflow.set_experiment(unique("exp"))
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(src / "model.bin"))
        mlflow.log_artifact(str(src / "notes.txt"), artifact_path="docs/v1")
        mlflow.log_artifacts(str(src / "tree"), artifact_path="tree")
        mlflow.log_text("logged text", "inline/t.txt")
    run_id = run.info.run_id

    top = client.list_artifacts(run_id)
    assert [(f.path, f.is_dir) for f in sorted(top, key=lambda f: f.path)] == [
        ("docs", True), ("inline", True), ("model.bin", False), ("tree", True)]
    sizes = {f.path: f.file_size for f in top if not f.is_dir}
    assert sizes == {"model.bin": len(data["model.bin"])}

    tree = sorted(client.list_artifacts(run_id, "tree"), key=lambda f: f.path)
    assert [(f.path, f.is_dir) for f in tree] == [("tree/a.txt", False), ("tree/empty.dat", False), ("tree/sub", True)]
    assert tree[0].file_size == 1
    assert tree[1].file_size in (0, None)  # MLflow omits file_size 0 on the wire -> None
    assert tree[2].file_size is None
    sub = sorted(client.list_artifacts(run_id, "tree/sub"), key=lambda f: f.path)
    assert [(f.path, f.is_dir) for f in sub] == [("tree/sub/b.json", False), ("tree/sub/deeper", True)]
    assert [f.path for f in client.list_artifacts(run_id, "docs/v1")] == ["docs/v1/notes.txt"]
    assert client.list_artifacts(run_id, "no/such/dir") == []

    # single files
    out = tmp_path / "dl"
    p = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="model.bin", dst_path=str(out))
    assert Path(p).read_bytes() == data["model.bin"]
    p = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="docs/v1/notes.txt",
                                            dst_path=str(out))
    assert Path(p).read_bytes() == data["notes.txt"]
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/inline/t.txt") == "logged text"

    # a directory, recursively
    p = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="tree", dst_path=str(tmp_path / "dl2"))
    assert _tree(Path(p)) == {k[len("tree/"):]: v for k, v in data.items() if k.startswith("tree/")}

    # a directory via a runs:/ URI
    p = mlflow.artifacts.download_artifacts(artifact_uri=f"runs:/{run_id}/tree/sub", dst_path=str(tmp_path / "dl4"))
    assert _tree(Path(p)) == {"b.json": data["tree/sub/b.json"], "deeper/c.bin": data["tree/sub/deeper/c.bin"]}

    # the whole run
    p = mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(tmp_path / "dl3"))
    got = _tree(Path(p))
    assert got["model.bin"] == data["model.bin"]
    assert got["docs/v1/notes.txt"] == data["notes.txt"]
    assert got["inline/t.txt"] == b"logged text"
    assert got["tree/sub/deeper/c.bin"] == data["tree/sub/deeper/c.bin"]
    assert len(got) == 7


def test_client_log_artifact_and_download_missing(client, experiment_id, tmp_path):
    run = client.create_run(experiment_id)
    f = tmp_path / "weights.npy"
    f.write_bytes(_payload(1234, "w"))
    client.log_artifact(run.info.run_id, str(f), artifact_path="w")
    assert [(x.path, x.file_size) for x in client.list_artifacts(run.info.run_id, "w")] == [("w/weights.npy", 1234)]
    with pytest.raises(Exception):
        mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="w/missing.npy",
                                            dst_path=str(tmp_path / "dl"))


def test_tracking_artifacts_list_wire(api, client, experiment_id, tmp_path):
    run = client.create_run(experiment_id)
    f = tmp_path / "x.txt"
    f.write_bytes(b"12345")
    client.log_artifact(run.info.run_id, str(f), artifact_path="d")
    r = api.get("artifacts/list", {"run_id": run.info.run_id})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["root_uri"] == run.info.artifact_uri
    assert body["files"] == [{"path": "d", "is_dir": True}]
    r = api.get("artifacts/list", {"run_id": run.info.run_id, "path": "d"})
    assert r.json()["files"] == [{"path": "d/x.txt", "is_dir": False, "file_size": 5}]
    assert_error(api.get("artifacts/list", {"run_id": MISSING_RUN_ID}), 404, "RESOURCE_DOES_NOT_EXIST")


def test_proxy_put_get_list_delete(api, client, experiment_id):
    run = client.create_run(experiment_id)
    prefix = _run_prefix(run)
    assert prefix == f"{experiment_id}/{run.info.run_id}/artifacts"
    content = _payload(70_000, "proxy")
    base = api.url(f"{PROXY}/{prefix}")

    r = api.session.put(f"{base}/raw/blob.bin", data=content,
                        headers={"Content-Type": "application/octet-stream"}, timeout=60)
    assert r.status_code == 200, r.text
    r = api.session.put(f"{base}/raw/note.txt", data=b"note", headers={"Content-Type": "text/plain"}, timeout=60)
    assert r.status_code == 200, r.text

    r = api.session.get(f"{base}/raw/blob.bin", timeout=60)
    assert r.status_code == 200
    assert r.content == content
    assert "blob.bin" in r.headers.get("content-disposition", "")
    r = api.session.get(f"{base}/raw/note.txt", timeout=60)
    assert r.status_code == 200 and r.content == b"note"
    assert r.headers.get("content-type", "").startswith("text/plain")

    # listing: basenames relative to the listed directory
    r = api.session.get(api.url(PROXY), params={"path": f"{prefix}/raw"}, timeout=60)
    assert r.status_code == 200
    listed = sorted(r.json()["files"], key=lambda f: f["path"])
    assert listed == [{"path": "blob.bin", "is_dir": False, "file_size": len(content)},
                      {"path": "note.txt", "is_dir": False, "file_size": 4}]
    r = api.session.get(api.url(PROXY), params={"path": prefix}, timeout=60)
    assert r.json()["files"] == [{"path": "raw", "is_dir": True}]
    r = api.session.get(api.url(PROXY), params={"path": f"{prefix}/does-not-exist"}, timeout=60)
    assert r.status_code == 200 and r.json().get("files", []) == []

    # the tracking API and the client see the proxied files
    assert sorted(f.path for f in client.list_artifacts(run.info.run_id, "raw")) == ["raw/blob.bin", "raw/note.txt"]

    # overwrite
    r = api.session.put(f"{base}/raw/note.txt", data=b"note v2", timeout=60)
    assert r.status_code == 200
    assert api.session.get(f"{base}/raw/note.txt", timeout=60).content == b"note v2"

    # delete
    r = api.session.delete(f"{base}/raw/blob.bin", timeout=60)
    assert r.status_code == 200, r.text
    r = api.session.get(f"{base}/raw/blob.bin", timeout=60)
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    r = api.session.get(api.url(PROXY), params={"path": f"{prefix}/raw"}, timeout=60)
    assert r.json()["files"] == [{"path": "note.txt", "is_dir": False, "file_size": 7}]


def test_proxy_missing_file_is_404(api, experiment_id):
    r = api.session.get(api.url(f"{PROXY}/{experiment_id}/nothing/here.txt"), timeout=60)
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", f"No such artifact: '{experiment_id}/nothing/here.txt'")


# --------------------------------------------------------------------------- path traversal

def _is_store_file(p: Path) -> bool:
    """SQLite files and the server log change on every request; they are not artifacts."""
    name = p.name
    return (name == "server.log" or name.endswith((".db", ".sqlite", ".sqlite3", "-wal", "-shm", "-journal"))
            or ".db-" in name)


def test_dotdot_artifact_paths_are_rejected_and_write_nothing(server, api, client, experiment_id):
    run = client.create_run(experiment_id)
    prefix = _run_prefix(run)
    tag = uuid.uuid4().hex
    # Files a traversal would overwrite, at every level above the artifact root.
    victims = [server.data_dir / f"victim-{tag}.txt", server.base_dir / f"victim-{tag}.txt"]
    for v in victims:
        v.write_bytes(b"original")
    outside_abs = Path("/tmp") / f"yard-compat-escape-{tag}.txt"

    before_all = snapshot_files(server.base_dir, ignore=_is_store_file)
    before_art = snapshot_files(server.artifacts_root)

    v = f"victim-{tag}.txt"
    depth = prefix.count("/") + 1
    attempts = [
        f"../{v}",
        f"../../{v}",
        f"%2E%2E/{v}",
        f"%2e%2e/%2e%2e/{v}",
        f"{experiment_id}/%2E%2E%2F%2E%2E%2F{v}",
        f"{experiment_id}/..%2F..%2F{v}",
        f"{prefix}/{'../' * (depth + 1)}{v}",
        f"{prefix}/{'../' * (depth + 2)}{v}",
        f"{prefix}/sub/../../../x.txt",
        f"{prefix}/a/../b.txt",  # `..` that would stay inside the root is refused too
        "..",
        str(outside_abs),               # /tmp/... : an absolute path (URL gets "//")
        f"%2F{str(outside_abs)[1:].replace('/', '%2F')}",
    ]
    for path in attempts:
        r = api.raw("PUT", f"{PROXY}/{path}", body=b"PWNED", headers={"Content-Type": "text/plain"})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")

    # reads and listings that escape are refused as well
    for path in (f"../{v}", f"{prefix}/{'../' * (depth + 1)}{v}", f"%2E%2E/{v}"):
        assert_error(api.raw("GET", f"{PROXY}/{path}"), 400, "INVALID_PARAMETER_VALUE")
        assert_error(api.raw("DELETE", f"{PROXY}/{path}"), 400, "INVALID_PARAMETER_VALUE")
    for path in ("..", "../..", f"{experiment_id}/../..", "/tmp"):
        assert_error(api.raw("GET", PROXY, query={"path": path}), 400, "INVALID_PARAMETER_VALUE")
    for path in ("../..", "..", "/etc"):
        r = api.get("artifacts/list", {"run_id": run.info.run_id, "path": path})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")

    # nothing was written anywhere
    try:
        assert not outside_abs.exists(), f"{outside_abs} was written"
    finally:
        if outside_abs.exists():
            outside_abs.unlink()
    for victim in victims:
        assert victim.read_bytes() == b"original", f"{victim} was overwritten"
    after_all = snapshot_files(server.base_dir, ignore=_is_store_file)
    new_files = sorted(set(after_all) - set(before_all))
    assert new_files == [], f"files appeared: {new_files}"
    changed = sorted(k for k in before_all if after_all.get(k) != before_all[k])
    assert changed == [], f"files changed: {changed}"
    assert snapshot_files(server.artifacts_root) == before_art
    for victim in victims:
        victim.unlink()


def test_log_artifact_to_missing_run(client, tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("x")
    with pytest.raises(MlflowException) as e:
        client.log_artifact(MISSING_RUN_ID, str(f))
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert os.path.exists(f)
