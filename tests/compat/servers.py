"""Start and stop the servers under test: Modelyard's `yard server` or the
reference `mlflow server`, each on a free loopback port with a fresh data
directory.  Used by conftest.py (the compatibility suite) and by
bench/tracking (the benchmark), so both launch servers the same way.

Layout of one launch (everything under a fresh temporary directory `base`):

    base/
      cwd/                  working directory of the server process
      data/                 yard: --data-dir       mlflow: holds mlflow.db
      data/artifacts/       yard: its artifact root (by contract)
                            mlflow: --artifacts-destination
      server.log            the server's stdout+stderr
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]

# Keep the reference server and the client quiet and local: no telemetry
# (there is no network here anyway, and it only adds latency).
QUIET_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "PYTHONWARNINGS": "ignore",
}


class ServerStartError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_yard_bin(configuration: str = "debug") -> Path:
    return Path(os.environ.get("YARD_BIN", REPO / ".build" / configuration / "yard"))


def mlflow_executable() -> str:
    """The `mlflow` CLI of the interpreter running this code (the venv's)."""
    candidate = Path(sys.executable).parent / "mlflow"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("mlflow")
    if not found:
        raise ServerStartError("no `mlflow` executable next to %s or on PATH" % sys.executable)
    return found


@dataclass
class ServerProcess:
    """A running server.  `url` has no trailing slash."""

    kind: str  # "yard" or "mlflow"
    argv: list[str]
    base_dir: Path
    data_dir: Path
    artifacts_root: Path
    port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    startup_seconds: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, max_chars: int = 6000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "<no log>"
        return text[-max_chars:]

    def start(self, timeout: float) -> None:
        cwd = self.base_dir / "cwd"
        cwd.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(QUIET_ENV)
        env.update(self.env)
        log = open(self.log_path, "ab")
        t0 = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() reaches worker children
            )
        except OSError as e:
            raise ServerStartError(f"could not execute {self.argv[0]}: {e}") from e
        finally:
            log.close()
        self._wait_healthy(timeout)
        self.startup_seconds = time.monotonic() - t0

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error = "no attempt"
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                raise ServerStartError(
                    f"{self.kind} server exited with status {code} before becoming healthy\n"
                    f"command: {' '.join(self.argv)}\n--- server output ---\n{self.log_tail()}"
                )
            try:
                r = requests.get(self.url + "/health", timeout=2)
                if r.status_code == 200 and r.text.strip() == "OK":
                    return
                last_error = f"/health answered {r.status_code} {r.text[:200]!r}"
            except requests.RequestException as e:
                last_error = f"{type(e).__name__}: {e}"
            time.sleep(0.1)
        self.stop()
        raise ServerStartError(
            f"{self.kind} server not healthy after {timeout:.0f}s ({last_error})\n"
            f"command: {' '.join(self.argv)}\n--- server output ---\n{self.log_tail()}"
        )

    def stop(self, grace: float = 15.0) -> int | None:
        """SIGTERM the server's process group, wait, then SIGKILL.  Returns the exit status."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        # Reap any worker left in the group (mlflow's uvicorn workers).
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        return proc.returncode

    def cleanup(self) -> None:
        shutil.rmtree(self.base_dir, ignore_errors=True)


def postgres_store_args() -> list[str]:
    """With YARD_COMPAT_POSTGRES_URL set, each yard server gets a fresh schema of that database as its store."""
    url = os.environ.get("YARD_COMPAT_POSTGRES_URL", "").strip()
    if not url:
        return []
    schema = "compat_" + uuid.uuid4().hex[:16]
    separator = "&" if "?" in url else "?"
    return ["--store", f"{url}{separator}schema={schema}&sslmode=disable"]


def _new_base(prefix: str) -> Path:
    base = Path(tempfile.mkdtemp(prefix=prefix))
    (base / "data").mkdir()
    return base


def launch(kind: str, *, yard_bin: Path | None = None, timeout: float | None = None,
           mlflow_workers: int | None = None, prefix: str = "yard-compat-",
           attempts: int = 3, extra_args: list[str] | None = None) -> ServerProcess:
    """Start a fresh server of `kind` ("yard" or "mlflow") and wait for /health.

    A launch that dies before becoming healthy (e.g. the free port was taken in
    the meantime) is retried on a new port, up to `attempts` times.
    """
    last: Exception | None = None
    for _ in range(attempts):
        base = _new_base(prefix)
        data = base / "data"
        port = free_port()
        if kind == "yard":
            binary = Path(yard_bin) if yard_bin else default_yard_bin()
            if not binary.exists():
                shutil.rmtree(base, ignore_errors=True)
                raise ServerStartError(
                    f"yard binary not found at {binary} (build it, or set YARD_BIN)")
            argv = [str(binary), "server", "--host", "127.0.0.1", "--port", str(port),
                    "--data-dir", str(data)] + postgres_store_args() + list(extra_args or [])
            wait = timeout or float(os.environ.get("YARD_STARTUP_TIMEOUT", "60"))
        elif kind == "mlflow":
            argv = [mlflow_executable(), "server", "--host", "127.0.0.1", "--port", str(port),
                    "--backend-store-uri", f"sqlite:///{data / 'mlflow.db'}",
                    "--artifacts-destination", str(data / "artifacts")]
            if mlflow_workers:
                argv += ["--workers", str(mlflow_workers)]
            wait = timeout or float(os.environ.get("MLFLOW_STARTUP_TIMEOUT", "180"))
        else:
            raise ValueError(f"unknown server kind {kind!r}")
        server = ServerProcess(kind=kind, argv=argv, base_dir=base, data_dir=data,
                               artifacts_root=data / "artifacts", port=port,
                               log_path=base / "server.log")
        try:
            server.start(wait)
            return server
        except ServerStartError as e:
            last = e
            server.stop()
            port_taken = "address already in use" in server.log_tail().lower()
            if port_taken or not os.environ.get("YARD_COMPAT_KEEP_DATA"):
                server.cleanup()  # the error message already carries the log's tail
            if not port_taken:
                raise
    raise last  # type: ignore[misc]
