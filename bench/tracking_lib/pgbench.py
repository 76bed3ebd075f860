"""PostgreSQL for the tracking benchmarks' `--postgres` mode (bench/tracking, bench/tracking-ingest).

A benchmark cluster: by default a throwaway one started here from the image's server binaries, the way
tests/postgres/postgres.sh starts the test cluster, but durable (fsync, synchronous_commit and
full_page_writes stay on: a benchmark must pay for commits as a production server does; the test
cluster turns them off). `--postgres-url` uses an existing local cluster instead; its fsync setting is
reported either way.

Each measured server gets a fresh installation: yard a new schema of the cluster's `yard` database,
mlflow a new database of its own (mlflow's alembic migrations assume the database is its own).

PostgreSQL's CPU is measured separately from the servers': the postmaster and every backend
(all children of the postmaster), plus what the postmaster has reaped (backends whose connection
closed). Both servers lean on it, so a server's own CPU alone would flatter the one that pushes work
into the database.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from proc_cpu import CLOCK_TICKS, proc_stat
from servers import ServerProcess, ServerStartError, _new_base, free_port, launch, mlflow_executable

# Loopback only, trust auth, durable; enough connections for yard's pool and mlflow's 4 workers x
# SQLAlchemy's pool (5 + 10 overflow each).
SERVER_OPTIONS = ["-c", "max_connections=200", "-c", "shared_buffers=256MB"]


def _as_owner(argv: list[str]) -> list[str]:
    """initdb refuses to run as root: as root the cluster belongs to the `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _postgres_bin() -> Path:
    configured = os.environ.get("YARD_POSTGRES_BIN")
    if configured:
        return Path(configured)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not found or not (found[-1] / "initdb").exists():
        raise SystemExit("PostgreSQL server binaries not found under /usr/lib/postgresql/<version>/bin "
                         "(apt-get install postgresql, or set YARD_POSTGRES_BIN)")
    return found[-1]


class Cluster:
    """A PostgreSQL cluster to benchmark against: `url` ends in the `yard` database."""

    def __init__(self, url: str, postmaster_pid: int, owned_dir: Path | None, bin_dir: Path | None):
        self.url = url
        self.postmaster_pid = postmaster_pid
        self.owned_dir = owned_dir
        self.throwaway = owned_dir is not None
        self.bin_dir = bin_dir
        self.settings = {name: self.sql(f"SHOW {name}")
                         for name in ("server_version", "fsync", "synchronous_commit", "full_page_writes",
                                      "shared_buffers", "max_connections")}

    # ---------------------------------------------------------------- start / attach / stop

    @classmethod
    def start(cls) -> "Cluster":
        bin_dir = _postgres_bin()
        base = Path(tempfile.mkdtemp(prefix="yard-bench-postgres-"))
        base.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(base, "postgres")
        data = base / "data"
        port = free_port()
        try:
            subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "yard", "--auth=trust",
                                      "-E", "UTF8", "--locale=C.UTF-8"]),
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            options = " ".join(["-h 127.0.0.1", f"-p {port}", f"-k {base}"] + SERVER_OPTIONS)
            subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"),
                                      "-w", "-t", "60", "-o", options, "start"]),
                           check=True, stdout=subprocess.DEVNULL)
            subprocess.run(_as_owner([str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "yard",
                                      "-d", "postgres", "-q", "-c", "CREATE DATABASE yard"]),
                           check=True, stdout=subprocess.DEVNULL)
        except subprocess.CalledProcessError as e:
            log_text = (base / "server.log").read_text(errors="replace") if (base / "server.log").exists() else ""
            cls._stop_dir(bin_dir, base)
            raise SystemExit(f"could not start the benchmark PostgreSQL: {e}\n{e.stderr or ''}{log_text[-3000:]}")
        pid = int((data / "postmaster.pid").read_text().split()[0])
        return cls(f"postgresql://yard@127.0.0.1:{port}/yard", pid, base, bin_dir)

    @classmethod
    def attach(cls, url: str) -> "Cluster":
        """An existing cluster on this machine: its postmaster is the parent of our own backend."""
        host = urlsplit(url).hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"--postgres-url must be a cluster on this machine (its CPU is read from /proc), got {host!r}")
        probe = cls.__new__(cls)
        probe.url = url
        backend = int(probe.sql("SELECT pg_backend_pid()"))
        stat = proc_stat(backend)
        if stat is None:
            raise SystemExit(f"PostgreSQL backend {backend} not visible in /proc: is the cluster on this machine?")
        return cls(url, stat[0], None, None)

    def stop(self) -> None:
        if self.owned_dir is not None:
            self._stop_dir(self.bin_dir, self.owned_dir)
            self.owned_dir = None

    @staticmethod
    def _stop_dir(bin_dir: Path, base: Path) -> None:
        if (base / "data" / "postmaster.pid").exists():
            subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(base / "data"), "-m", "immediate", "-w",
                                      "stop"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(base, ignore_errors=True)

    # ---------------------------------------------------------------- SQL and installations

    def sql(self, statement: str, database: str | None = None) -> str:
        import psycopg2
        url = self.url if database is None else self.url.rsplit("/", 1)[0] + "/" + database
        conn = psycopg2.connect(url)
        conn.autocommit = True  # CREATE DATABASE refuses to run in a transaction
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                return str(cur.fetchone()[0]) if cur.description else ""
        finally:
            conn.close()

    def yard_store_url(self) -> str:
        schema = "bench_" + uuid.uuid4().hex[:16]
        separator = "&" if "?" in self.url else "?"
        return f"{self.url}{separator}schema={schema}&sslmode=disable"

    def new_mlflow_database(self) -> str:
        name = "mlflow_" + uuid.uuid4().hex[:16]
        self.sql(f"CREATE DATABASE {name}", database="postgres")
        parts = urlsplit(self.url)
        # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; the driver installed is psycopg2.
        return f"postgresql+psycopg2://{parts.netloc}/{name}"

    # ---------------------------------------------------------------- CPU

    def cpu_seconds(self) -> float:
        """PostgreSQL's CPU so far: postmaster + live backends + reaped backends."""
        own = proc_stat(self.postmaster_pid)
        if own is None:
            return float("nan")
        ticks = own[1] + own[2]
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                stat = proc_stat(int(entry.name))
                if stat is not None and stat[0] == self.postmaster_pid:
                    ticks += stat[1]
        return ticks / CLOCK_TICKS

    def describe(self) -> str:
        s = self.settings
        origin = "throwaway cluster started by the bench" if self.throwaway else "existing cluster"
        return (f"PostgreSQL {s['server_version']} ({origin}; fsync={s['fsync']}, "
                f"synchronous_commit={s['synchronous_commit']}, full_page_writes={s['full_page_writes']}, "
                f"shared_buffers={s['shared_buffers']}, max_connections={s['max_connections']})")


# --------------------------------------------------------------------------- servers on PostgreSQL

def launch_target(target: str, cluster: Cluster | None, *, yard_bin: Path | None, mlflow_workers: int | None,
                  prefix: str) -> ServerProcess:
    """Start one benchmark target: yard / mlflow (SQLite) or yard-pg / mlflow-pg (fresh installation on
    the cluster)."""
    if target in ("yard", "mlflow"):
        os.environ.pop("YARD_COMPAT_POSTGRES_URL", None)  # SQLite means SQLite here
        return launch(target, yard_bin=yard_bin, mlflow_workers=mlflow_workers, prefix=prefix)
    if cluster is None:
        raise ServerStartError(f"{target} needs --postgres")
    if target == "yard-pg":
        os.environ.pop("YARD_COMPAT_POSTGRES_URL", None)
        server = launch("yard", yard_bin=yard_bin, prefix=prefix, extra_args=["--store", cluster.yard_store_url()])
        server.kind = target
        return server
    if target == "mlflow-pg":
        return _launch_mlflow_pg(cluster, mlflow_workers, prefix)
    raise ValueError(f"unknown target {target!r}")


def _launch_mlflow_pg(cluster: Cluster, workers: int | None, prefix: str) -> ServerProcess:
    base = _new_base(prefix)
    data = base / "data"
    port = free_port()
    argv = [mlflow_executable(), "server", "--host", "127.0.0.1", "--port", str(port),
            "--backend-store-uri", cluster.new_mlflow_database(),
            "--artifacts-destination", str(data / "artifacts")]
    if workers:
        argv += ["--workers", str(workers)]
    server = ServerProcess(kind="mlflow-pg", argv=argv, base_dir=base, data_dir=data,
                           artifacts_root=data / "artifacts", port=port, log_path=base / "server.log")
    try:
        server.start(float(os.environ.get("MLFLOW_STARTUP_TIMEOUT", "180")))
    except ServerStartError:
        server.cleanup()
        raise
    return server


def open_cluster(url: str | None) -> Cluster:
    return Cluster.attach(url) if url else Cluster.start()


def tracking_unavailable(server: ServerProcess) -> str | None:
    """Why a started server cannot serve tracking calls (None if it can).

    yard on PostgreSQL answers /health before its PostgreSQL store implements tracking (issue 17 lands the
    stores one protocol at a time): one experiment create tells, so the bench skips that leg with a clear
    message instead of timing error answers.
    """
    import requests
    try:
        r = requests.post(server.url + "/api/2.0/mlflow/experiments/create",
                          json={"name": "bench-probe-" + uuid.uuid4().hex[:8]}, timeout=30)
    except requests.RequestException as e:
        return f"experiments/create failed: {e}"
    if r.status_code == 200:
        return None
    return f"experiments/create answered {r.status_code}: {r.text[:300]}"
