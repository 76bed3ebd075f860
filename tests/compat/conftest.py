"""Fixtures of the MLflow compatibility suite.

The suite drives the unmodified `mlflow` client (pinned in requirements.txt)
and raw HTTP requests against a live server that it starts itself:

    YARD_COMPAT_TARGET=yard    (default) `yard server` from $YARD_BIN
                               (default <repo>/.build/debug/yard)
    YARD_COMPAT_TARGET=mlflow  the reference `mlflow server` (same version as
                               the client, SQLite backend, default
                               --serve-artifacts, --artifacts-destination)

One fresh server (free port, fresh temporary data directory) serves the whole
session; every test works in experiments whose names are unique, so tests do
not see each other's data.  Run through tests/compat/run, which creates the
virtual environment first.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from servers import ServerProcess, ServerStartError, launch

TARGET = os.environ.get("YARD_COMPAT_TARGET", "yard").strip().lower()
if TARGET not in ("yard", "mlflow"):
    raise pytest.UsageError(f"YARD_COMPAT_TARGET must be 'yard' or 'mlflow', not {TARGET!r}")

# The client must fail fast instead of retrying 5xx answers for minutes (its
# default policy); the wire traffic is unchanged by these settings.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.pop("MLFLOW_TRACKING_URI", None)
os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
os.environ.pop("MLFLOW_EXPERIMENT_NAME", None)

import mlflow  # noqa: E402  (after the environment above is set)
from mlflow.tracking import MlflowClient  # noqa: E402

PINNED_MLFLOW = "3.18.0"

# A run id / experiment id that is well-formed but never exists.
MISSING_RUN_ID = "0123456789abcdef0123456789abcdef"
MISSING_EXPERIMENT_ID = "987654321"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "yard_only(reason): Modelyard-specific behaviour; skipped when YARD_COMPAT_TARGET=mlflow",
    )
    if mlflow.__version__ != PINNED_MLFLOW:
        raise pytest.UsageError(
            f"mlflow {mlflow.__version__} is imported, the suite is pinned to {PINNED_MLFLOW}; "
            "run it through tests/compat/run (it creates .venv-test)"
        )


def pytest_report_header(config):
    return f"compat target: {TARGET} (set YARD_COMPAT_TARGET=yard|mlflow); mlflow client {mlflow.__version__}"


def pytest_collection_modifyitems(config, items):
    if TARGET == "yard":
        return
    for item in items:
        marker = item.get_closest_marker("yard_only")
        if marker is not None:
            why = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            item.add_marker(pytest.mark.skip(
                reason=f"Modelyard-specific, not an MLflow behaviour: {why}"))


# --------------------------------------------------------------------------- server

@pytest.fixture(scope="session")
def server() -> ServerProcess:
    try:
        srv = launch(TARGET)
    except ServerStartError as e:
        pytest.exit(f"could not start the {TARGET} server:\n{e}", returncode=3)
    print(f"\n[compat] {TARGET} server at {srv.url} (data {srv.data_dir}), "
          f"healthy after {srv.startup_seconds:.1f}s")
    yield srv
    status = srv.stop()
    keep = os.environ.get("YARD_COMPAT_KEEP_DATA")
    # tests/dbcopy copies what the suite left behind to PostgreSQL and compares: it needs the data directory.
    record = os.environ.get("YARD_COMPAT_RECORD_DATA_DIR")
    if record:
        Path(record).write_text(str(srv.data_dir))
    if keep or record:
        print(f"\n[compat] server exited with {status}; data kept in {srv.base_dir}")
    else:
        srv.cleanup()


@pytest.fixture(scope="session")
def tracking_uri(server) -> str:
    return server.url


@pytest.fixture(scope="session")
def client(tracking_uri) -> MlflowClient:
    return MlflowClient(tracking_uri=tracking_uri)


@pytest.fixture(autouse=True)
def _fluent_client(tracking_uri, monkeypatch):
    """Point the fluent API (mlflow.*) at the server; end runs a test left open."""
    import mlflow.tracking.fluent as fluent

    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
    mlflow.set_tracking_uri(tracking_uri)
    fluent._active_experiment_id = None
    yield
    while mlflow.active_run() is not None:
        mlflow.end_run()
    fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)  # set_experiment() exports it


@pytest.fixture
def unique(request):
    """unique("exp") -> 'exp-<test name>-<8 hex>' : names no other test (or rerun) uses."""
    test = re.sub(r"[^A-Za-z0-9_-]", "_", request.node.name)[:60]

    def make(prefix: str = "x") -> str:
        return f"{prefix}-{test}-{uuid.uuid4().hex[:8]}"

    return make


@pytest.fixture
def experiment_id(client, unique) -> str:
    """A fresh experiment for this test."""
    return client.create_experiment(unique("exp"))


# --------------------------------------------------------------------------- raw HTTP

@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)


class Api:
    """Raw HTTP against the server under test (no client-side normalisation)."""

    def __init__(self, base_url: str):
        self.base = base_url
        m = re.match(r"http://([^:/]+):(\d+)", base_url)
        self.host, self.port = m.group(1), int(m.group(2))
        self.session = requests.Session()

    # JSON endpoints: path relative to /api/2.0/mlflow
    def post(self, path: str, payload=None, **kw) -> requests.Response:
        return self.session.post(f"{self.base}/api/2.0/mlflow/{path.lstrip('/')}",
                                 json=payload if payload is not None else {}, timeout=60, **kw)

    def get(self, path: str, params=None, **kw) -> requests.Response:
        return self.session.get(f"{self.base}/api/2.0/mlflow/{path.lstrip('/')}",
                                params=params, timeout=60, **kw)

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def raw(self, method: str, path: str, body: bytes | str | None = None,
            headers: dict[str, str] | None = None, query: dict | None = None) -> RawResponse:
        """Send `path` byte-for-byte (requests/urllib3 would remove `..` segments)."""
        if query:
            path = f"{path}?{urlencode(query, doseq=True)}"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            if isinstance(body, str):
                body = body.encode()
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()


@pytest.fixture(scope="session")
def api(tracking_uri) -> Api:
    return Api(tracking_uri)


def assert_error(resp, status: int, code: str | tuple[str, ...], message_prefix: str | None = None):
    """Assert an MLflow JSON error: HTTP status, error_code (one of), message prefix."""
    if isinstance(resp, requests.Response):
        status_got, text = resp.status_code, resp.text
    else:
        status_got, text = resp.status, resp.text
    assert status_got == status, f"expected HTTP {status}, got {status_got}: {text[:500]}"
    try:
        body = json.loads(text)
    except ValueError:
        raise AssertionError(f"error body is not JSON: {text[:500]!r}")
    codes = (code,) if isinstance(code, str) else code
    assert body.get("error_code") in codes, f"error_code {body.get('error_code')!r} not in {codes}: {body}"
    assert isinstance(body.get("message"), str) and body["message"], body
    if message_prefix is not None:
        assert body["message"].startswith(message_prefix), \
            f"message {body['message']!r} does not start with {message_prefix!r}"
    return body


def now_ms() -> int:
    return int(time.time() * 1000)


def snapshot_files(root: Path, ignore=lambda p: False) -> dict[str, tuple[int, int]]:
    """{relative path: (size, mtime_ns)} of every file under root."""
    out = {}
    if not root.exists():
        return out
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            rel = str(p.relative_to(root))
            if ignore(p):
                continue
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            out[rel] = (st.st_size, st.st_mtime_ns)
    return out
