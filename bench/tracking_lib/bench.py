"""Tracking benchmark driver (run it through bench/tracking).

Each server (yard, then mlflow) is started fresh — free loopback port, new
temporary data directory, SQLite — by the same launcher the compatibility suite
uses (tests/compat/servers.py), and receives the same load from the same
client code:

  (a) ingest      N threads; each run = POST runs/create, POST runs/log-batch
                  with 200 metric points, POST runs/update FINISHED -> runs/s
  (b) log-metric  one thread, sequential POST runs/log-metric calls on one
                  run -> p50 / p99 latency
  (c) search      >= 10,000 runs seeded with a metric `loss` and a param
                  `alpha` (deterministic RNG: both servers get identical data),
                  then POST runs/search with
                  filter  metrics.loss < 0.5 AND params.alpha = '0.1'
                  order_by ['metrics.loss DESC'], max_results 1000
                  -> median latency to the response's last byte (the
                  client does not decode the ~540 KB of JSON while timing)
  (d) history     one metric with 10,000 points (log-batch, 1,000 per call),
                  GET metrics/get-history (max_results 25000, as the client
                  sends) -> median latency

plus a transport floor: sequential GET /health p50 on the same connection.

The client is plain `requests`: one keep-alive Session per thread (as the
mlflow client itself uses), JSON encoded by the standard library, no mlflow
client code in the timed path (the mlflow client adds validation, retries and
entity conversion that would cost more than a fast server).  Concurrency comes
from a thread pool; the client's own CPU use is measured and printed so that a
client-bound result is visible (the machine's cores are shared by client and
server).  `--fresh-connections` opens one TCP connection per request instead:
the reference server (uvicorn + Flask, 3.18) stalls ~40 ms on every request
after the first on a kept-alive connection (delayed ACK), which the real
mlflow client also pays; the /health row shows that floor.

`--postgres` measures three servers instead: yard on SQLite, yard on PostgreSQL and mlflow server on the
same PostgreSQL (pgbench.py: a durable throwaway cluster, a fresh schema or database per server), with
ratios yard-pg vs mlflow-pg and yard-pg vs yard (SQLite), and per scenario the CPU seconds of the server
and of PostgreSQL (postmaster and backends).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "compat"))
from servers import ServerProcess, ServerStartError, launch  # noqa: E402,F401  (ingest.py imports them here)
from pgbench import Cluster, launch_target, open_cluster, tracking_unavailable  # noqa: E402
from proc_cpu import session_cpu_seconds  # noqa: E402

FILTER = "metrics.loss < 0.5 AND params.alpha = '0.1'"
ORDER_BY = ["metrics.loss DESC"]
ALPHAS = ["0.1", "0.2", "0.3", "0.5"]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------- client

class Client:
    """Thread-safe thin REST client: one keep-alive Session per thread."""

    def __init__(self, base_url: str, fresh_connections: bool = False):
        self.root = base_url.rstrip("/")
        self.base = self.root + "/api/2.0/mlflow/"
        self.fresh = fresh_connections
        self._local = threading.local()

    def _session(self) -> requests.Session:
        s = getattr(self._local, "s", None)
        if s is None:
            s = requests.Session()
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=1, max_retries=0)
            s.mount("http://", adapter)
            s.headers["Content-Type"] = "application/json"
            if self.fresh:
                s.headers["Connection"] = "close"  # one TCP connection per request
            self._local.s = s
        return s

    def post(self, path: str, body: dict) -> dict:
        r = self._session().post(self.base + path, data=json.dumps(body), timeout=300)
        if r.status_code != 200:
            raise RuntimeError(f"POST {path} -> {r.status_code}: {r.text[:300]}")
        return r.json() if r.content else {}

    def post_raw(self, path: str, body: dict) -> bytes:
        """The response body read to its last byte, not decoded: times the server, not Python's JSON."""
        r = self._session().post(self.base + path, data=json.dumps(body), timeout=300)
        if r.status_code != 200:
            raise RuntimeError(f"POST {path} -> {r.status_code}: {r.text[:300]}")
        return r.content

    def get(self, path: str, params: dict) -> dict:
        r = self._session().get(self.base + path, params=params, timeout=300)
        if r.status_code != 200:
            raise RuntimeError(f"GET {path} -> {r.status_code}: {r.text[:300]}")
        return r.json() if r.content else {}

    def health(self) -> None:
        r = self._session().get(self.root + "/health", timeout=60)
        if r.status_code != 200:
            raise RuntimeError(f"/health -> {r.status_code}")

    def create_experiment(self, name: str) -> str:
        return self.post("experiments/create", {"name": name})["experiment_id"]

    def create_run(self, exp: str, name: str | None = None) -> str:
        body = {"experiment_id": exp, "start_time": int(time.time() * 1000)}
        if name:
            body["run_name"] = name
        return self.post("runs/create", body)["run"]["info"]["run_id"]


def pct(values: list[float], p: float) -> float:
    """p-th percentile (0..100), linear interpolation between closest ranks."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


class CpuMeter:
    """CPU seconds used by this (client) process over a wall-clock interval."""

    def __enter__(self):
        self.t0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.c0

    @property
    def share(self) -> float:
        return self.cpu / self.wall if self.wall else 0.0


def run_parallel(n_items: int, workers: int, fn, label: str, progress_every: float = 5.0):
    """Call fn(i) for i in range(n_items) on `workers` threads, printing progress."""
    done = 0
    last = time.monotonic()
    lock = threading.Lock()
    results = [None] * n_items
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(fn, i): i for i in range(n_items)}
        for fut in as_completed(futures):
            results[futures[fut]] = fut.result()  # re-raises worker errors
            with lock:
                done += 1
                now = time.monotonic()
                if now - last >= progress_every or done == n_items:
                    log(f"  {label}: {done}/{n_items}")
                    last = now
    return results


# --------------------------------------------------------------------------- scenarios

@dataclass
class Sizes:
    ingest_runs: int
    ingest_workers: int
    points_per_run: int
    latency_calls: int
    search_runs: int
    seed_workers: int
    search_reps: int
    history_points: int
    history_reps: int


@dataclass
class Result:
    target: str
    values: dict = field(default_factory=dict)   # metric name -> float
    notes: list = field(default_factory=list)


def scenario_ingest(c: Client, sz: Sizes, res: Result) -> None:
    exp = c.create_experiment(f"bench-ingest-{time.time_ns()}")
    base_ts = int(time.time() * 1000)

    def one(i: int) -> float:
        t0 = time.perf_counter()
        rid = c.create_run(exp)
        metrics = [{"key": "loss", "value": 1.0 / (s + 1), "timestamp": base_ts + s, "step": s}
                   for s in range(sz.points_per_run)]
        c.post("runs/log-batch", {"run_id": rid, "metrics": metrics})
        c.post("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": int(time.time() * 1000)})
        return time.perf_counter() - t0

    # warm-up (connections, caches) outside the measurement
    run_parallel(min(sz.ingest_workers * 2, sz.ingest_runs), sz.ingest_workers, one, "ingest warm-up", 60)
    log(f"(a) ingest: {sz.ingest_runs} runs x {sz.points_per_run} points, {sz.ingest_workers} workers")
    with CpuMeter() as cpu:
        per_run = run_parallel(sz.ingest_runs, sz.ingest_workers, one, "ingest")
    res.values["ingest runs/s"] = sz.ingest_runs / cpu.wall
    res.values["ingest run p50 ms"] = pct(per_run, 50) * 1000
    res.notes.append(f"ingest: {cpu.wall:.1f}s wall, client CPU {cpu.share:.0%} of one core")


def scenario_latency(c: Client, sz: Sizes, res: Result) -> None:
    exp = c.create_experiment(f"bench-latency-{time.time_ns()}")
    rid = c.create_run(exp)
    ts = int(time.time() * 1000)
    for i in range(min(100, sz.latency_calls)):  # warm-up
        c.post("runs/log-metric", {"run_id": rid, "key": "warm", "value": i, "timestamp": ts + i, "step": i})
    log(f"(b) log-metric latency: {sz.latency_calls} sequential calls")
    base = []
    for _ in range(min(500, sz.latency_calls)):  # transport + framework floor
        t0 = time.perf_counter()
        c.health()
        base.append(time.perf_counter() - t0)
    res.values["GET /health p50 ms"] = pct(base, 50) * 1000
    lat = []
    with CpuMeter() as cpu:
        for i in range(sz.latency_calls):
            body = {"run_id": rid, "key": "m", "value": i * 0.5, "timestamp": ts + i, "step": i}
            t0 = time.perf_counter()
            c.post("runs/log-metric", body)
            lat.append(time.perf_counter() - t0)
    res.values["log-metric p50 ms"] = pct(lat, 50) * 1000
    res.values["log-metric p99 ms"] = pct(lat, 99) * 1000
    res.notes.append(f"log-metric: {sz.latency_calls / cpu.wall:.0f} calls/s sequential, "
                     f"client CPU {cpu.share:.0%}")


def scenario_search(c: Client, sz: Sizes, res: Result) -> None:
    exp = c.create_experiment(f"bench-search-{time.time_ns()}")
    rng = random.Random(42)  # identical data on both servers
    seeds = [(rng.random(), rng.choice(ALPHAS)) for _ in range(sz.search_runs)]
    base_ts = int(time.time() * 1000)

    def seed(i: int) -> None:
        loss, alpha = seeds[i]
        rid = c.create_run(exp)
        c.post("runs/log-batch", {
            "run_id": rid,
            "metrics": [{"key": "loss", "value": loss, "timestamp": base_ts + i, "step": 0}],
            "params": [{"key": "alpha", "value": alpha}],
        })

    log(f"(c) search: seeding {sz.search_runs} runs with {sz.seed_workers} workers")
    with CpuMeter() as cpu:
        run_parallel(sz.search_runs, sz.seed_workers, seed, "seed")
    res.notes.append(f"seeding {sz.search_runs} runs: {cpu.wall:.1f}s ({sz.search_runs / cpu.wall:.0f} runs/s)")
    res.values["seed runs/s"] = sz.search_runs / cpu.wall

    want = sorted((l for l, a in seeds if l < 0.5 and a == "0.1"), reverse=True)
    body = {"experiment_ids": [exp], "filter": FILTER, "order_by": ORDER_BY, "max_results": 1000,
            "run_view_type": "ACTIVE_ONLY"}
    out = c.post("runs/search", body)  # warm-up and correctness check
    got = [next(m["value"] for m in r["data"]["metrics"] if m["key"] == "loss") for r in out.get("runs", [])]
    if got != want[:1000]:
        raise RuntimeError(f"search returned {len(got)} runs, expected {min(len(want), 1000)} "
                           f"(first got {got[:3]}, want {want[:3]})")
    log(f"  search matches {len(want)} runs; timing {sz.search_reps} calls")
    lat = []
    for _ in range(sz.search_reps):
        t0 = time.perf_counter()
        c.post_raw("runs/search", body)  # to the last byte, undecoded, for both servers
        lat.append(time.perf_counter() - t0)
    res.values["search median ms"] = statistics.median(lat) * 1000
    res.notes.append(f"search: {len(want)} of {sz.search_runs} runs match, first page of "
                     f"{min(len(want), 1000)} returned")


def scenario_history(c: Client, sz: Sizes, res: Result) -> None:
    exp = c.create_experiment(f"bench-history-{time.time_ns()}")
    rid = c.create_run(exp)
    ts = int(time.time() * 1000)
    log(f"(d) history: logging {sz.history_points} points")
    for start in range(0, sz.history_points, 1000):
        c.post("runs/log-batch", {"run_id": rid, "metrics": [
            {"key": "curve", "value": (i % 97) / 97, "timestamp": ts + i, "step": i}
            for i in range(start, min(start + 1000, sz.history_points))]})
    params = {"run_id": rid, "run_uuid": rid, "metric_key": "curve", "max_results": 25000}
    out = c.get("metrics/get-history", params)
    n = len(out.get("metrics", []))
    if n != sz.history_points:
        raise RuntimeError(f"get-history returned {n} points, expected {sz.history_points}")
    lat = []
    for _ in range(sz.history_reps):
        t0 = time.perf_counter()
        c.get("metrics/get-history", params)
        lat.append(time.perf_counter() - t0)
    res.values["get-history median ms"] = statistics.median(lat) * 1000


SCENARIOS = {"ingest": scenario_ingest, "latency": scenario_latency,
             "search": scenario_search, "history": scenario_history}

# metric name -> True if higher is better
METRICS = [
    ("ingest runs/s", True),
    ("ingest run p50 ms", False),
    ("GET /health p50 ms", False),
    ("log-metric p50 ms", False),
    ("log-metric p99 ms", False),
    ("seed runs/s", True),
    ("search median ms", False),
    ("get-history median ms", False),
]


def bench_target(kind: str, sz: Sizes, args, cluster: Cluster | None) -> Result:
    res = Result(kind)
    log(f"starting {kind} server")
    try:
        srv: ServerProcess = launch_target(
            kind, cluster, yard_bin=Path(os.environ["YARD_BIN"]) if kind.startswith("yard") else None,
            mlflow_workers=args.mlflow_workers, prefix=f"yard-bench-{kind}-")
    except ServerStartError as e:
        raise SystemExit(f"could not start {kind}: {e}")
    log(f"{kind} healthy at {srv.url} after {srv.startup_seconds:.1f}s")
    res.notes.append(f"startup to healthy: {srv.startup_seconds:.1f}s")
    unavailable = tracking_unavailable(srv) if kind == "yard-pg" else None
    if unavailable:
        log(f"{kind} UNAVAILABLE, leg skipped: {unavailable}")
        res.notes.append(f"UNAVAILABLE (leg skipped, no figures): {unavailable}")
        srv.stop()
        if not args.keep_data:
            srv.cleanup()
        return res
    try:
        c = Client(srv.url, fresh_connections=args.fresh_connections)
        for name in args.scenarios:
            server_before = session_cpu_seconds(srv.proc.pid)
            pg_before = cluster.cpu_seconds() if cluster else 0.0
            SCENARIOS[name](c, sz, res)
            server_cpu = session_cpu_seconds(srv.proc.pid) - server_before
            note = f"{name}: server CPU {server_cpu:.1f}s"
            if cluster and kind.endswith("-pg"):
                note += f", postgres CPU {cluster.cpu_seconds() - pg_before:.1f}s"
            res.notes.append(note + " (whole scenario: seeding/logging and timed calls)")
    finally:
        status = srv.stop()
        log(f"{kind} stopped (exit status {status})")
        if args.keep_data:
            log(f"{kind} data kept in {srv.base_dir}")
        else:
            srv.cleanup()
    return res


# --------------------------------------------------------------------------- report

def fmt(v) -> str:
    if v is None:
        return "—"
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def table(results: dict[str, Result], pairs: list[tuple[str, str]]) -> list[list[str]]:
    """One column per server, then per pair (a, b) how many times better a is than b."""
    kinds = list(results)
    rows = [["metric", *kinds, *(f"{a} vs {b}" for a, b in pairs)]]
    for name, higher_better in METRICS:
        values = {k: results[k].values.get(name) for k in kinds}
        if all(v is None for v in values.values()):
            continue
        ratios = []
        for a, b in pairs:
            av, bv = values.get(a), values.get(b)
            ratios.append(f"{(av / bv if higher_better else bv / av):.1f}x" if av and bv else "—")
        rows.append([name, *(fmt(values[k]) for k in kinds), *ratios])
    return rows


def render_text(rows) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        lines.append(" | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(rows, results, sz: Sizes, args) -> str:
    out = ["# Tracking benchmark: yard vs mlflow server", ""]
    out.append(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}, {os.cpu_count()} cores, "
               f"{platform.platform()}, mode {'quick' if args.quick else 'full'}")
    out.append("")
    out.append("| " + " | ".join(rows[0]) + " |")
    out.append("|" + "|".join(["---"] + ["---:"] * (len(rows[0]) - 1)) + "|")
    for r in rows[1:]:
        out.append("| " + " | ".join(r) + " |")
    out.append("")
    out.append("a vs b = how many times better a is (throughput a/b, latency b/a).")
    out.append("")
    out.append("Sizes: " + ", ".join(f"{k}={v}" for k, v in sz.__dict__.items()))
    import mlflow
    mw = args.mlflow_workers or "default (4)"
    out.append(f"Servers: yard `{os.environ.get('YARD_BIN')}`; mlflow {mlflow.__version__} "
               f"(`mlflow server`, serve-artifacts, workers {mw}). Same machine, one server at a time. "
               "Stores: yard and mlflow = SQLite; yard-pg = a fresh schema, mlflow-pg = a fresh database, "
               "of the same PostgreSQL.")
    if args.cluster_description:
        out.append(args.cluster_description + ".")
    conn = "a new TCP connection per request" if args.fresh_connections else "one keep-alive Session per thread"
    out.append(f"Client: Python `requests`, {conn}, thread pool; same code for both servers.")
    out.append("`GET /health p50` is the transport floor: mlflow server 3.18 answers requests after the "
               "first on a keep-alive connection ~40 ms late (delayed ACK; the mlflow client pays it too). "
               "`--fresh-connections` measures without keep-alive.")
    out.append("")
    for kind, res in results.items():
        for note in res.notes:
            out.append(f"- {kind}: {note}")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--only", help="comma list of servers to measure: yard, mlflow (SQLite), yard-pg, mlflow-pg "
                    "(default: yard,mlflow; with --postgres: yard,yard-pg,mlflow-pg)")
    ap.add_argument("--postgres", action="store_true",
                    help="also on PostgreSQL: yard on SQLite, yard on PostgreSQL, mlflow on the same PostgreSQL")
    ap.add_argument("--postgres-url", help="with --postgres: an existing cluster on this machine "
                    "(default: start a durable throwaway one)")
    ap.add_argument("--scenarios", default="ingest,latency,search,history",
                    help="comma list of: ingest,latency,search,history")
    ap.add_argument("--ingest-runs", type=int)
    ap.add_argument("--ingest-workers", type=int)
    ap.add_argument("--points-per-run", type=int)
    ap.add_argument("--latency-calls", type=int)
    ap.add_argument("--search-runs", type=int)
    ap.add_argument("--seed-workers", type=int)
    ap.add_argument("--search-reps", type=int)
    ap.add_argument("--history-points", type=int)
    ap.add_argument("--history-reps", type=int)
    ap.add_argument("--mlflow-workers", type=int, help="mlflow server --workers (default: mlflow's own)")
    ap.add_argument("--fresh-connections", action="store_true",
                    help="open a new TCP connection per request instead of keep-alive sessions")
    ap.add_argument("--out", help="markdown report (default bench/out/tracking.md, with --postgres "
                    "tracking-postgres.md)")
    ap.add_argument("--keep-data", action="store_true", help="keep the servers' temporary data dirs")
    args = ap.parse_args()
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for s in args.scenarios:
        if s not in SCENARIOS:
            ap.error(f"unknown scenario {s!r}")

    full = Sizes(ingest_runs=1000, ingest_workers=8, points_per_run=200, latency_calls=2000,
                 search_runs=10_000, seed_workers=8, search_reps=20, history_points=10_000, history_reps=20)
    quick = Sizes(ingest_runs=60, ingest_workers=4, points_per_run=200, latency_calls=200,
                  search_runs=400, seed_workers=4, search_reps=5, history_points=2_000, history_reps=5)
    sz = quick if args.quick else full
    for k in sz.__dict__:
        v = getattr(args, k, None)
        if v is not None:
            setattr(sz, k, v)

    targets = parse_targets(ap, args)
    pairs = [("yard-pg", "mlflow-pg"), ("yard-pg", "yard")] if args.postgres else [("yard", "mlflow")]
    if any(t.startswith("yard") for t in targets) and not Path(os.environ["YARD_BIN"]).exists():
        raise SystemExit(f"yard binary not found at {os.environ['YARD_BIN']} "
                         "(swift build -c release, or set YARD_BIN; --only mlflow skips yard)")
    log(f"targets {targets}, sizes {sz}")
    results = {}
    t0 = time.monotonic()
    cluster = open_cluster(args.postgres_url) if args.postgres else None
    args.cluster_description = cluster.describe() if cluster else ""
    if cluster:
        log(args.cluster_description)
    try:
        for kind in targets:
            results[kind] = bench_target(kind, sz, args, cluster)
    finally:
        if cluster:
            cluster.stop()
    rows = table(results, pairs)
    print()
    print(render_text(rows))
    print()
    for kind, res in results.items():
        for note in res.notes:
            print(f"  {kind}: {note}")
    out = Path(args.out or REPO / "bench" / "out" / ("tracking-postgres.md" if args.postgres else "tracking.md"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_markdown(rows, results, sz, args))
    log(f"done in {time.monotonic() - t0:.0f}s; wrote {out}")


def parse_targets(ap: argparse.ArgumentParser, args) -> list[str]:
    known = ["yard", "mlflow", "yard-pg", "mlflow-pg"]
    default = "yard,yard-pg,mlflow-pg" if args.postgres else "yard,mlflow"
    targets = [t.strip() for t in (args.only or default).split(",") if t.strip()]
    for t in targets:
        if t not in known:
            ap.error(f"unknown server {t!r} in --only (known: {', '.join(known)})")
        if t.endswith("-pg") and not args.postgres:
            ap.error(f"--only {t} needs --postgres")
    return targets


if __name__ == "__main__":
    main()
