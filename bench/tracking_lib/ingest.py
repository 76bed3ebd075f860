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

`--postgres` measures yard on SQLite, yard on PostgreSQL and mlflow server on the same PostgreSQL (see
pgbench.py: a durable throwaway cluster, a fresh schema or database per server) and samples PostgreSQL's
own CPU (postmaster and backends) beside each server's, since both servers lean on it.
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
from bench import REPO, ServerProcess, ServerStartError, log, parse_targets, render_text  # noqa: E402
from pgbench import Cluster, launch_target, open_cluster, tracking_unavailable  # noqa: E402
from proc_cpu import session_cpu_seconds  # noqa: E402

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
    postgres_cpu: float = float("nan")  # PostgreSQL's seconds over the timed phase (--postgres only)

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
    def postgres_cpu_per_1000(self) -> float:
        return self.postgres_cpu / self.runs * 1000 if self.runs else float("nan")

    @property
    def total_cpu_per_1000(self) -> float:
        """Server plus PostgreSQL (SQLite runs inside the server, so there it is the server's alone)."""
        pg = self.postgres_cpu if self.server.endswith("-pg") else 0.0
        return (self.server_cpu + pg) / self.runs * 1000 if self.runs else float("nan")

    @property
    def client_cpu_per_1000(self) -> float:
        return self.report["client_cpu_seconds"] / self.runs * 1000 if self.runs else float("nan")

    def latency(self, kind: str, pct: str) -> float:
        return self.report["latency"][kind][f"{pct}_ms"]


def drive(loadgen: Path, server: ServerProcess, concurrency: int, length: list[str], args,
          cluster: Cluster | None) -> Measurement:
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
        pg_before = cluster.cpu_seconds() if cluster else float("nan")
        proc.stdin.write("go\n")
        proc.stdin.flush()
        out = proc.stdout.read()
        proc.wait()
        cpu_after = session_cpu_seconds(server.proc.pid)
        pg_after = cluster.cpu_seconds() if cluster else float("nan")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"yard-loadgen failed against {server.kind} (status {proc.returncode})")
    report = json.loads(out)
    if report["failed_runs"]:
        log(f"  {server.kind} c={concurrency}: {report['failed_runs']} runs failed, first: {report['first_failures']}")
    return Measurement(server.kind, concurrency, report, cpu_after - cpu_before, load_before, load_average(),
                       pg_after - pg_before)


def bench_server(kind: str, loadgen: Path, args, cluster: Cluster | None) -> list[Measurement]:
    log(f"starting {kind} server")
    try:
        server = launch_target(kind, cluster, yard_bin=Path(args.yard_bin) if kind.startswith("yard") else None,
                               mlflow_workers=args.mlflow_workers, prefix=f"yard-ingest-{kind}-")
    except ServerStartError as e:
        raise SystemExit(f"could not start {kind}: {e}")
    log(f"{kind} healthy at {server.url} after {server.startup_seconds:.1f}s")
    unavailable = tracking_unavailable(server) if kind == "yard-pg" else None
    if unavailable:
        log(f"{kind} UNAVAILABLE, leg skipped: {unavailable}")
        args.unavailable.append(f"{kind}: UNAVAILABLE (leg skipped, no figures): {unavailable}")
        server.stop()
        if not args.keep_data:
            server.cleanup()
        return []
    results = []
    try:
        for concurrency in args.concurrency:
            length = (["--duration", str(args.yard_seconds)] if kind.startswith("yard")
                      else ["--runs", str(args.mlflow_runs)])
            results.append(drive(loadgen, server, concurrency, length, args, cluster))
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


def rows_of(results: list[Measurement], postgres: bool) -> list[list[str]]:
    rows = [["server", "conc.", "runs", "s", "runs/s", "run p50 ms", "run p99 ms", "log-batch p50 ms",
             "server CPU s/1000 runs", "server cores busy", "loadgen CPU s/1000 runs", "failed", "load avg"]]
    if postgres:
        rows[0][9:9] = ["postgres CPU s/1000 runs", "server+postgres CPU s/1000 runs"]
    for m in results:
        row = [m.server, str(m.concurrency), str(m.runs), f"{m.report['seconds']:.1f}",
               fmt(m.runs_per_second), fmt(m.latency("run", "p50")), fmt(m.latency("run", "p99")),
               fmt(m.latency("log_batch", "p50")), fmt(m.server_cpu_per_1000),
               f"{m.server_cpu / m.report['seconds']:.2f}", fmt(m.client_cpu_per_1000),
               str(m.report["failed_runs"]), f"{m.load_before} → {m.load_after}"]
        if postgres:
            row[9:9] = [fmt(m.postgres_cpu_per_1000) if m.server.endswith("-pg") else "—",
                        fmt(m.total_cpu_per_1000)]
        rows.append(row)
    return rows


def ratio(v: float) -> str:
    return "—" if v != v else (f"{v:.0f}x" if v >= 10 else f"{v:.2f}x")


def ratio_rows(results: list[Measurement], pairs: list[tuple[str, str]]) -> list[list[str]]:
    """Per pair (a, b): throughput a/b and CPU per run b/a (server alone, and with PostgreSQL's)."""
    by = {(m.server, m.concurrency): m for m in results}
    rows = [["pair", "concurrency", "throughput a/b", "server CPU per run b/a", "server+postgres CPU per run b/a"]]
    concurrencies = sorted({m.concurrency for m in results})
    for a_name, b_name in pairs:
        label = f"a={a_name}, b={b_name}"
        for c in concurrencies:
            a, b = by.get((a_name, c)), by.get((b_name, c))
            if a and b and a.runs and b.runs:
                rows.append([label, str(c), ratio(a.runs_per_second / b.runs_per_second),
                             ratio(b.server_cpu_per_1000 / a.server_cpu_per_1000),
                             ratio(b.total_cpu_per_1000 / a.total_cpu_per_1000)])
        as_ = [m for m in results if m.server == a_name and m.runs]
        bs = [m for m in results if m.server == b_name and m.runs]
        if as_ and bs:
            best_a = max(as_, key=lambda m: m.runs_per_second)
            best_b = max(bs, key=lambda m: m.runs_per_second)
            rows.append([label, f"best of each (c={best_a.concurrency} / c={best_b.concurrency}); CPU: lowest of each",
                         ratio(best_a.runs_per_second / best_b.runs_per_second),
                         ratio(min(m.server_cpu_per_1000 for m in bs) / min(m.server_cpu_per_1000 for m in as_)),
                         ratio(min(m.total_cpu_per_1000 for m in bs) / min(m.total_cpu_per_1000 for m in as_))])
    return rows


def markdown_table(rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join(["---"] + ["---:"] * (len(rows[0]) - 1)) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return out


def render_markdown(results: list[Measurement], args, started: str, cluster: Cluster | None) -> str:
    import mlflow
    out = ["# Tracking ingest: yard vs mlflow server, compiled load generator", "",
           f"{started}, {os.cpu_count()} cores, {platform.platform()}", ""]
    out += markdown_table(rows_of(results, cluster is not None)) + [""]
    out += markdown_table(ratio_rows(results, args.pairs)) + [""]
    out.append(f"Each run: POST runs/create, POST runs/log-batch with {args.keys * args.steps} metric points "
               f"({args.keys} keys x {args.steps} steps), POST runs/update FINISHED. "
               f"yard: {args.yard_seconds} s per concurrency; mlflow: {args.mlflow_runs} runs per concurrency; "
               "both after an untimed warm-up, one server at a time, each concurrency in turn against the same server.")
    mw = args.mlflow_workers or "its default"
    out.append(f"Servers: yard `{args.yard_bin}`; mlflow {mlflow.__version__} (`mlflow server`, "
               f"artifact proxy on, workers {mw}). Stores: yard and mlflow = SQLite; yard-pg = a fresh schema, "
               "mlflow-pg = a fresh database, of the same PostgreSQL.")
    if cluster is not None:
        out.append(f"{cluster.describe()}. Postgres CPU: utime+stime from /proc of the postmaster and its "
                   "backends (plus reaped backends), sampled with the server's; shown for the -pg servers only.")
    out += [f"**{line}**" for line in args.unavailable]
    out.append("Server CPU: utime+stime from /proc of every process in the server's session (server and workers, "
               "plus reaped children), sampled right before and after the timed phase. Loadgen CPU: its own "
               "getrusage over the timed phase. Load avg: /proc/loadavg (1/5/15 min) before → after.")
    out.append("Latencies from HdrHistogram (3 significant digits) in bench/loadgen.")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma list of servers to measure: yard, mlflow (SQLite), yard-pg, mlflow-pg "
                    "(default: yard,mlflow; with --postgres: yard,yard-pg,mlflow-pg)")
    ap.add_argument("--postgres", action="store_true",
                    help="also on PostgreSQL: yard on SQLite, yard on PostgreSQL, mlflow on the same PostgreSQL")
    ap.add_argument("--postgres-url", help="with --postgres: an existing cluster on this machine "
                    "(default: start a durable throwaway one)")
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
    ap.add_argument("--out", help="markdown report (default bench/out/tracking-ingest.md, "
                    "with --postgres tracking-ingest-postgres.md)")
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
    targets = parse_targets(ap, args)
    if any(t.startswith("yard") for t in targets) and not Path(args.yard_bin).exists():
        raise SystemExit(f"yard binary not found at {args.yard_bin}")
    args.pairs = ([("yard-pg", "mlflow-pg"), ("yard-pg", "yard")] if args.postgres else [("yard", "mlflow")])

    args.unavailable = []
    started = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}"
    t0 = time.monotonic()
    cluster = open_cluster(args.postgres_url) if args.postgres else None
    if cluster:
        log(cluster.describe())
    results: list[Measurement] = []
    try:
        for kind in targets:
            results += bench_server(kind, loadgen, args, cluster)
    finally:
        if cluster:
            cluster.stop()
    print()
    print(render_text(rows_of(results, cluster is not None)))
    print()
    print(render_text(ratio_rows(results, args.pairs)))
    for line in args.unavailable:
        print(f"  {line}")
    out = Path(args.out or REPO / "bench" / "out" /
               ("tracking-ingest-postgres.md" if args.postgres else "tracking-ingest.md"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_markdown(results, args, started, cluster))
    log(f"done in {time.monotonic() - t0:.0f}s; wrote {out}")


if __name__ == "__main__":
    main()
