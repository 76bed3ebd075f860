"""Tracking ingest with a compiled load generator (run it through bench/tracking-ingest).

Each server (yard, then mlflow) is started fresh by bench.py's launcher (free loopback port, new
temporary data directory, SQLite; mlflow with its artifact proxy and default workers) and receives the
same load from bench/loadgen (yard-loadgen, a release-built Swift executable): per run POST runs/create,
POST runs/log-batch with 200 metric points, POST runs/update FINISHED, with N runs in flight over N
keep-alive connections, at each concurrency in turn against one server.

Per (server, concurrency) the load generator warms up, prints "warm" and waits; this script then samples
the server's CPU time from /proc (utime + stime of every process in the server's session, i.e. the
server and all its workers, plus the CPU of children they have already reaped), tells it to go, and
samples again when it exits. So the CPU figure covers exactly the timed phase and only the server; the
load generator's own CPU (its getrusage over the timed phase) is reported beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import REPO, ServerProcess, ServerStartError, launch, log, render_text  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- /proc

def session_cpu_seconds(session_id: int) -> float:
    """CPU seconds (user + system, including reaped children) of every process in a session.

    The servers are started with start_new_session=True, so the session holds the server and every
    worker it forks (uvicorn/gunicorn workers), even ones re-parented away from the server.
    """
    total_ticks = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # exited meanwhile
        # Fields after the command name, which may itself contain spaces or parentheses.
        fields = stat[stat.rindex(b")") + 2:].split()
        session, utime, stime, cutime, cstime = int(fields[3]), *map(int, fields[11:15])
        if session == session_id:
            total_ticks += utime + stime + cutime + cstime
    return total_ticks / CLOCK_TICKS


def load_average() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# --------------------------------------------------------------------------- one measurement

@dataclass
class Measurement:
    server: str
    concurrency: int
    report: dict            # the load generator's JSON
    server_cpu: float       # seconds over the timed phase
    load_before: str
    load_after: str

    @property
    def runs(self) -> int:
        return self.report["runs"]

    @property
    def runs_per_second(self) -> float:
        return self.report["runs_per_second"]

    @property
    def server_cpu_per_1000(self) -> float:
        return self.server_cpu / self.runs * 1000 if self.runs else float("nan")

    @property
    def client_cpu_per_1000(self) -> float:
        return self.report["client_cpu_seconds"] / self.runs * 1000 if self.runs else float("nan")

    def latency(self, kind: str, pct: str) -> float:
        return self.report["latency"][kind][f"{pct}_ms"]


def drive(loadgen: Path, server: ServerProcess, concurrency: int, length: list[str], args) -> Measurement:
    argv = [str(loadgen), "--url", server.url, "--concurrency", str(concurrency),
            "--keys", str(args.keys), "--steps", str(args.steps), "--wait-for-go", *length]
    if args.warmup is not None:
        argv += ["--warmup", str(args.warmup)]
    log(f"  {server.kind} c={concurrency}: {' '.join(argv[1:])}")
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ready = proc.stdout.readline().strip()
        if ready != "warm":
            proc.wait(timeout=60)
            raise SystemExit(f"yard-loadgen did not finish its warm-up against {server.kind} "
                             f"(status {proc.returncode}, said {ready!r}); see its message above")
        load_before = load_average()
        cpu_before = session_cpu_seconds(server.proc.pid)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        out = proc.stdout.read()
        proc.wait()
        cpu_after = session_cpu_seconds(server.proc.pid)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"yard-loadgen failed against {server.kind} (status {proc.returncode})")
    report = json.loads(out)
    if report["failed_runs"]:
        log(f"  {server.kind} c={concurrency}: {report['failed_runs']} runs failed, first: {report['first_failures']}")
    return Measurement(server.kind, concurrency, report, cpu_after - cpu_before, load_before, load_average())


def bench_server(kind: str, loadgen: Path, args) -> list[Measurement]:
    log(f"starting {kind} server")
    try:
        server = launch(kind, yard_bin=Path(args.yard_bin) if kind == "yard" else None,
                        mlflow_workers=args.mlflow_workers, prefix=f"yard-ingest-{kind}-")
    except ServerStartError as e:
        raise SystemExit(f"could not start {kind}: {e}")
    log(f"{kind} healthy at {server.url} after {server.startup_seconds:.1f}s")
    results = []
    try:
        for concurrency in args.concurrency:
            length = (["--duration", str(args.yard_seconds)] if kind == "yard"
                      else ["--runs", str(args.mlflow_runs)])
            results.append(drive(loadgen, server, concurrency, length, args))
    finally:
        status = server.stop()
        log(f"{kind} stopped (exit status {status})")
        if args.keep_data:
            log(f"{kind} data kept in {server.base_dir}")
        else:
            server.cleanup()
    return results


# --------------------------------------------------------------------------- report

def fmt(v: float) -> str:
    if v != v:  # NaN
        return "—"
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def rows_of(results: list[Measurement]) -> list[list[str]]:
    rows = [["server", "conc.", "runs", "s", "runs/s", "run p50 ms", "run p99 ms", "log-batch p50 ms",
             "server CPU s/1000 runs", "server cores busy", "loadgen CPU s/1000 runs", "failed", "load avg"]]
    for m in results:
        rows.append([m.server, str(m.concurrency), str(m.runs), f"{m.report['seconds']:.1f}",
                     fmt(m.runs_per_second), fmt(m.latency("run", "p50")), fmt(m.latency("run", "p99")),
                     fmt(m.latency("log_batch", "p50")), fmt(m.server_cpu_per_1000),
                     f"{m.server_cpu / m.report['seconds']:.2f}", fmt(m.client_cpu_per_1000),
                     str(m.report["failed_runs"]), f"{m.load_before} → {m.load_after}"])
    return rows


def ratio_rows(results: list[Measurement]) -> list[list[str]]:
    by = {(m.server, m.concurrency): m for m in results}
    rows = [["concurrency", "throughput yard/mlflow", "server CPU per run mlflow/yard"]]
    concurrencies = sorted({m.concurrency for m in results})
    for c in concurrencies:
        y, f = by.get(("yard", c)), by.get(("mlflow", c))
        if y and f and y.runs and f.runs:
            rows.append([str(c), f"{y.runs_per_second / f.runs_per_second:.0f}x",
                         f"{f.server_cpu_per_1000 / y.server_cpu_per_1000:.0f}x"])
    ys = [m for m in results if m.server == "yard" and m.runs]
    fs = [m for m in results if m.server == "mlflow" and m.runs]
    if ys and fs:
        best_y = max(ys, key=lambda m: m.runs_per_second)
        best_f = max(fs, key=lambda m: m.runs_per_second)
        rows.append([f"best of each (yard c={best_y.concurrency}, mlflow c={best_f.concurrency})",
                     f"{best_y.runs_per_second / best_f.runs_per_second:.0f}x",
                     f"{min(m.server_cpu_per_1000 for m in fs) / min(m.server_cpu_per_1000 for m in ys):.0f}x"
                     " (lowest of each)"])
    return rows


def markdown_table(rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join(["---"] + ["---:"] * (len(rows[0]) - 1)) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return out


def render_markdown(results: list[Measurement], args, started: str) -> str:
    import mlflow
    out = ["# Tracking ingest: yard vs mlflow server, compiled load generator", "",
           f"{started}, {os.cpu_count()} cores, {platform.platform()}", ""]
    out += markdown_table(rows_of(results)) + [""]
    out += markdown_table(ratio_rows(results)) + [""]
    out.append(f"Each run: POST runs/create, POST runs/log-batch with {args.keys * args.steps} metric points "
               f"({args.keys} keys x {args.steps} steps), POST runs/update FINISHED. "
               f"yard: {args.yard_seconds} s per concurrency; mlflow: {args.mlflow_runs} runs per concurrency; "
               "both after an untimed warm-up, one server at a time, each concurrency in turn against the same server.")
    mw = args.mlflow_workers or "its default"
    out.append(f"Servers: yard `{args.yard_bin}`; mlflow {mlflow.__version__} (`mlflow server`, SQLite, "
               f"artifact proxy on, workers {mw}).")
    out.append("Server CPU: utime+stime from /proc of every process in the server's session (server and workers, "
               "plus reaped children), sampled right before and after the timed phase. Loadgen CPU: its own "
               "getrusage over the timed phase. Load avg: /proc/loadavg (1/5/15 min) before → after.")
    out.append("Latencies from HdrHistogram (3 significant digits) in bench/loadgen.")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["yard", "mlflow"], help="benchmark one server only")
    ap.add_argument("--concurrency", default="8,32", help="comma list of concurrencies (default 8,32)")
    ap.add_argument("--yard-seconds", type=float, default=12.0, help="timed seconds per yard concurrency")
    ap.add_argument("--mlflow-runs", type=int, default=600, help="timed runs per mlflow concurrency")
    ap.add_argument("--warmup", type=int, help="untimed runs first (default: the loadgen's, 2 x concurrency)")
    ap.add_argument("--keys", type=int, default=2, help="metric keys per run (default 2)")
    ap.add_argument("--steps", type=int, default=100, help="points per key (default 100)")
    ap.add_argument("--mlflow-workers", type=int, help="mlflow server --workers (default: mlflow's own)")
    ap.add_argument("--yard-bin", default=os.environ.get("YARD_BIN", str(REPO / ".build-release" / "release" / "yard")))
    ap.add_argument("--loadgen", default=os.environ.get(
        "YARD_LOADGEN", str(REPO / ".build-release" / "release" / "yard-loadgen")))
    ap.add_argument("--out", default=str(REPO / "bench" / "out" / "tracking-ingest.md"))
    ap.add_argument("--keep-data", action="store_true", help="keep the servers' temporary data dirs")
    args = ap.parse_args()
    try:
        args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    except ValueError:
        ap.error(f"--concurrency must be a comma list of integers, got {args.concurrency!r}")
    if not args.concurrency or min(args.concurrency) < 1:
        ap.error("--concurrency needs at least one positive integer")

    loadgen = Path(args.loadgen)
    if not loadgen.exists():
        raise SystemExit(f"load generator not found at {loadgen} (swift build -c release "
                         "--scratch-path .build-release --product yard-loadgen)")
    targets = [args.only] if args.only else ["yard", "mlflow"]
    if "yard" in targets and not Path(args.yard_bin).exists():
        raise SystemExit(f"yard binary not found at {args.yard_bin}")

    started = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}"
    t0 = time.monotonic()
    results: list[Measurement] = []
    for kind in targets:
        results += bench_server(kind, loadgen, args)
    print()
    print(render_text(rows_of(results)))
    print()
    print(render_text(ratio_rows(results)))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_markdown(results, args, started))
    log(f"done in {time.monotonic() - t0:.0f}s; wrote {out}")


if __name__ == "__main__":
    main()
