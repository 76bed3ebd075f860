"""Web UI benchmark (issue 16's speed table): server time of the UI pages at scale, first paint in headless
Chromium, and the same data through the API calls MLflow's own (JavaScript) UI makes against `mlflow server`.

Data (the same on both servers; yard is seeded through the MLflow REST API with `log-batch`, 8 client threads,
mlflow straight into its SQLite database in its own schema, see seed_mlflow_sqlite):
  * an experiment of 10,000 runs, each with 50 metrics (one value), 10 params and 3 tags;
  * a run with one 100,000-point metric (plus two short ones);
  * an experiment of 200 runs, each with 50 metrics × 100 steps (the compare case).

Measured on yard (curl, one fresh connection per request, after warm-up; time_starttransfer = server time
to the first byte, time_total = the whole page):
  runs page, default columns           GET /ui/experiments/<id>
  runs page sorted by a metric         GET /ui/experiments/<id>?order=metrics.m0 DESC
  run page with the 100k-point metric  GET /ui/runs/<id>
  compare of 200 runs                  GET /ui/compare?runs=<200 ids>
and first-contentful-paint of each in headless Chromium (Performance API).

The peer, mlflow server (pinned mlflow, SQLite, its default 4 workers), has no server-rendered pages: its UI
is a JavaScript app that calls the REST API, so the same screens are measured as the calls it makes:
  runs page     POST runs/search, max_results 100 (its page size) and 1,000, default order / metrics.m0 DESC
  run page      GET metrics/get-history (all 100k points) and get-history-bulk-interval (320 sampled)
  compare       get-history-bulk-interval for each of the 50 metrics × 2 chunks of 100 runs (the UI chunks
                run ids by 100), issued 6 at a time like a browser; wall time of the whole set
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench" / "tracking_lib"))
sys.path.insert(0, str(REPO / "tests" / "compat"))
from bench import Client, log, pct, run_parallel  # noqa: E402
from servers import launch  # noqa: E402

BASE_TIME = 1_700_000_000_000


@dataclass
class Sizes:
    runs: int = 10_000
    metrics: int = 50
    params: int = 10
    long_points: int = 100_000
    compare_runs: int = 200
    compare_steps: int = 100
    repeat: int = 20
    workers: int = 8


@dataclass
class Seeded:
    big_experiment: str = ""
    long_run: str = ""
    compare_runs: list[str] = field(default_factory=list)
    seconds: float = 0.0


def value(i: int, k: int, step: int = 0) -> float:
    """Deterministic, spread-out metric values (no two runs tie on m0)."""
    return round(((i * 7919 + k * 104_729) % 10_007) / 10_007 + step * 1e-4, 6)


@dataclass
class RunData:
    """One run as both seeders write it: metrics are (key, value, timestamp, step)."""
    name: str
    start: int
    metrics: list[tuple[str, float, int, int]]
    params: list[tuple[str, str]]
    tags: list[tuple[str, str]]


def big_run(i: int, sz: Sizes) -> RunData:
    start = BASE_TIME + i * 1000
    return RunData(f"run-{i:05d}", start, [(f"m{k}", value(i, k), start, 0) for k in range(sz.metrics)],
                   [(f"p{k}", str((i + k) % 17)) for k in range(sz.params)],
                   [("team", ("vision", "nlp", "tabular")[i % 3]), ("owner", f"user{i % 5}"), ("stage", "sweep")])


def long_run(sz: Sizes) -> RunData:
    loss = [("loss", 1 / (1 + s / 1000) + (s % 97) * 1e-4, BASE_TIME + s, s) for s in range(sz.long_points)]
    return RunData("long", BASE_TIME, loss + [("accuracy", 0.5, BASE_TIME, 0), ("f1", 0.5, BASE_TIME, 0)],
                   [("lr", "0.01")], [])


def compare_run(i: int, sz: Sizes) -> RunData:
    start = BASE_TIME + i * 1000
    return RunData(f"cmp-{i:03d}", start,
                   [(f"m{k}", value(i, k, s), start + s, s) for k in range(sz.metrics) for s in range(sz.compare_steps)],
                   [(f"p{k}", str((i + k) % 7)) for k in range(sz.params)], [])


def log_run_rest(client: Client, experiment: str, run: RunData) -> str:
    """runs/create, log-batch in chunks of at most 1,000 metrics, runs/update to FINISHED."""
    rid = client.post("runs/create", {"experiment_id": experiment, "run_name": run.name,
                                      "start_time": run.start})["run"]["info"]["run_id"]
    metrics = [{"key": k, "value": v, "timestamp": t, "step": s} for k, v, t, s in run.metrics]
    # The first batch carries the params and tags; a batch holds at most 1,000 items in all.
    first = 1000 - len(run.params) - len(run.tags)
    client.post("runs/log-batch", {"run_id": rid, "metrics": metrics[:first],
                                   "params": [{"key": k, "value": v} for k, v in run.params],
                                   "tags": [{"key": k, "value": v} for k, v in run.tags]})
    for start in range(first, len(metrics), 1000):
        client.post("runs/log-batch", {"run_id": rid, "metrics": metrics[start:start + 1000]})
    client.post("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": run.start + 60_000})
    return rid


def seed_rest(client: Client, sz: Sizes) -> Seeded:
    """Through the MLflow REST API, 8 client threads (yard; mlflow with --mlflow-seed rest)."""
    out = Seeded()
    started = time.monotonic()
    out.big_experiment = client.create_experiment("web-bench-10k")
    run_parallel(sz.runs, sz.workers, lambda i: log_run_rest(client, out.big_experiment, big_run(i, sz)),
                 "10k-run experiment")
    out.long_run = log_run_rest(client, client.create_experiment("web-bench-long"), long_run(sz))
    compare_experiment = client.create_experiment("web-bench-compare")
    out.compare_runs = run_parallel(sz.compare_runs, sz.workers,
                                    lambda i: log_run_rest(client, compare_experiment, compare_run(i, sz)), "compare runs")
    out.seconds = time.monotonic() - started
    return out


def seed_mlflow_sqlite(client: Client, database: Path, sz: Sizes) -> Seeded:
    """The same runs written straight into the running mlflow server's SQLite database, in its own schema
    (runs, tags with mlflow.runName, params, metrics, latest_metrics): seeding 10,000 runs through its REST
    API takes most of an hour on two cores. Experiments are still created through the API."""
    import sqlite3
    import uuid

    out = Seeded()
    started = time.monotonic()
    experiments = {name: client.create_experiment(name)
                   for name in ("web-bench-10k", "web-bench-long", "web-bench-compare")}
    locations = {eid: client.get("experiments/get", {"experiment_id": eid})["experiment"]["artifact_location"]
                 for eid in experiments.values()}
    db = sqlite3.connect(database, timeout=60)

    def insert(experiment: str, run: RunData) -> str:
        rid = uuid.uuid4().hex
        db.execute("INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, "
                   "start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) "
                   "VALUES (?, ?, 'UNKNOWN', '', '', '', 'FINISHED', ?, ?, '', 'active', ?, ?)",
                   (rid, run.name, run.start, run.start + 60_000, f"{locations[experiment]}/{rid}/artifacts", int(experiment)))
        db.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
                       [(k, v, rid) for k, v in run.tags + [("mlflow.runName", run.name)]])
        db.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", [(k, v, rid) for k, v in run.params])
        db.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)",
                       [(k, v, t, rid, s) for k, v, t, s in run.metrics])
        latest: dict[str, tuple] = {}
        for k, v, t, s in run.metrics:  # MLflow's rule: the highest step, then the latest timestamp, then the max value
            if k not in latest or (s, t, v) > (latest[k][3], latest[k][2], latest[k][1]):
                latest[k] = (k, v, t, s)
        db.executemany("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, 0, ?)",
                       [(k, v, t, s, rid) for k, v, t, s in latest.values()])
        return rid

    out.big_experiment = experiments["web-bench-10k"]
    for i in range(sz.runs):
        insert(out.big_experiment, big_run(i, sz))
        if i % 2000 == 1999:
            db.commit()
            log(f"  10k-run experiment: {i + 1}/{sz.runs}")
    out.long_run = insert(experiments["web-bench-long"], long_run(sz))
    out.compare_runs = [insert(experiments["web-bench-compare"], compare_run(i, sz)) for i in range(sz.compare_runs)]
    db.commit()
    db.close()
    out.seconds = time.monotonic() - started
    return out


# --------------------------------------------------------------------------- measuring

def curl(url: str, method: str = "GET", body: str | None = None) -> tuple[int, float, float, int]:
    """One request on a fresh connection: (status, seconds to first byte, seconds in total, bytes)."""
    argv = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_starttransfer} %{time_total} %{size_download}",
            "-X", method, url]
    if body is not None:
        argv += ["-H", "Content-Type: application/json", "--data-binary", body]
    fields = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=300).stdout.split()
    return int(fields[0]), float(fields[1]), float(fields[2]), int(fields[3])


@dataclass
class Timing:
    label: str
    ttfb: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    size: int = 0

    def row(self) -> dict:
        return {"label": self.label, "ttfb_p50": statistics.median(self.ttfb) * 1000,
                "p50": statistics.median(self.total) * 1000, "p95": pct(self.total, 95) * 1000, "bytes": self.size,
                "n": len(self.total)}


def measure(label: str, url: str, repeat: int, method: str = "GET", body: str | None = None, warmup: int = 3) -> Timing:
    """`warmup` untimed requests, then `repeat` timed ones; a request slower than a second is timed 3 times
    after one warm-up (the difference is plain at that scale, and mlflow's metric-ordered search takes
    ~20 s a request here)."""
    timing = Timing(label)
    attempt = 0
    while attempt < warmup + repeat:
        status, ttfb, total, size = curl(url, method, body)
        if status != 200:
            raise RuntimeError(f"{label}: {method} {url[:200]} -> {status}")
        if attempt == 0 and total > 1.0:
            warmup, repeat = 1, 3
        attempt += 1
        if attempt > warmup:
            timing.ttfb.append(ttfb)
            timing.total.append(total)
            timing.size = size
    log(f"  {label}: p50 {statistics.median(timing.total) * 1000:.1f} ms, p95 {pct(timing.total, 95) * 1000:.1f} ms, "
        f"{timing.size / 1024:.0f} KiB")
    return timing


def measure_set(label: str, requests_: list[tuple[str, str, str | None]], repeat: int, parallel: int = 6) -> Timing:
    """Wall time of a set of requests issued `parallel` at a time (a browser's connections per host)."""
    timing = Timing(label)
    for attempt in range(1 + repeat):
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            results = list(pool.map(lambda r: curl(*r), requests_))
        elapsed = time.perf_counter() - started
        bad = [r for r in results if r[0] != 200]
        if bad:
            raise RuntimeError(f"{label}: {len(bad)} of {len(results)} requests failed ({bad[0][0]})")
        if attempt >= 1:
            timing.total.append(elapsed)
            timing.ttfb.append(min(r[1] for r in results))
            timing.size = sum(r[3] for r in results)
    log(f"  {label}: p50 {statistics.median(timing.total) * 1000:.1f} ms ({len(requests_)} requests)")
    return timing


def yard_pages(url: str, data: Seeded) -> dict[str, str]:
    return {
        "runs page (10k runs × 50 metrics)": f"{url}/ui/experiments/{data.big_experiment}",
        "runs page, order=metrics.m0 DESC": f"{url}/ui/experiments/{data.big_experiment}?order={quote('metrics.m0 DESC')}",
        "run page, 100k-point metric": f"{url}/ui/runs/{data.long_run}",
        "compare 200 runs": f"{url}/ui/compare?runs={','.join(data.compare_runs)}",
    }


def bench_yard(url: str, data: Seeded, sz: Sizes) -> dict[str, Timing]:
    return {label: measure(label, page, sz.repeat) for label, page in yard_pages(url, data).items()}


def bench_mlflow(url: str, data: Seeded, sz: Sizes) -> dict[str, Timing]:
    api = f"{url}/api/2.0/mlflow"
    ajax = f"{url}/ajax-api/2.0/mlflow"
    results = {}
    for size, order, label in ((100, ["attributes.start_time DESC"], "default order"),
                               (100, ["metrics.m0 DESC"], "metrics.m0 DESC"),
                               (1000, ["attributes.start_time DESC"], "default order")):
        body = json.dumps({"experiment_ids": [data.big_experiment], "max_results": size, "order_by": order,
                           "run_view_type": "ACTIVE_ONLY"})
        name = f"runs/search {size} runs, {label}"
        results[name] = measure(name, f"{api}/runs/search", max(5, sz.repeat // 2), "POST", body)
    name = "get-history, 100k points"
    results[name] = measure(name, f"{api}/metrics/get-history?run_id={data.long_run}&metric_key=loss&max_results=100000",
                            max(5, sz.repeat // 4))
    name = "get-history-bulk-interval, 100k points → 320"
    results[name] = measure(name, f"{ajax}/metrics/get-history-bulk-interval?run_ids={data.long_run}&metric_key=loss"
                                  f"&max_results=320", max(5, sz.repeat // 2))
    calls = []
    for k in range(sz.metrics):
        for first in range(0, len(data.compare_runs), 100):
            ids = "&".join(f"run_ids={rid}" for rid in data.compare_runs[first:first + 100])
            calls.append((f"{ajax}/metrics/get-history-bulk-interval?{ids}&metric_key=m{k}&max_results=320", "GET", None))
    name = f"compare: {len(calls)} × get-history-bulk-interval"
    results[name] = measure_set(name, calls, 2)
    return results


FIRST_PAINT_SCRIPT = """
var paint = performance.getEntriesByName('first-contentful-paint')[0];
var nav = performance.getEntriesByType('navigation')[0];
return {fcp: paint ? paint.startTime : null, dcl: nav ? nav.domContentLoadedEventEnd : null,
        load: nav ? nav.loadEventEnd : null};
"""


def first_paint(pages: dict[str, str], repeat: int = 5) -> dict[str, dict]:
    """first-contentful-paint, DOMContentLoaded and load (ms from navigation start) in headless Chromium."""
    sys.path.insert(0, str(REPO / "tests" / "web"))
    from chromium import new_driver

    driver = new_driver()
    results = {}
    try:
        for label, url in pages.items():
            driver.get(url)  # warm-up (fills the asset cache, as for a returning user)
            samples = []
            for _ in range(repeat):
                driver.get(url)
                deadline = time.monotonic() + 10
                while True:
                    sample = driver.execute_script(FIRST_PAINT_SCRIPT)
                    if sample["fcp"] is not None and sample["load"] or time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
                samples.append(sample)
            fcp = [s["fcp"] for s in samples if s["fcp"] is not None]
            results[label] = {"fcp": statistics.median(fcp) if fcp else float("nan"),
                              "dcl": statistics.median(s["dcl"] for s in samples),
                              "load": statistics.median(s["load"] for s in samples)}
            log(f"  first paint {label}: {results[label]['fcp']:.0f} ms (load {results[label]['load']:.0f} ms)")
    finally:
        driver.quit()
    return results


# --------------------------------------------------------------------------- report

TARGETS_MS = {"runs page (10k runs × 50 metrics)": 100, "runs page, order=metrics.m0 DESC": 100,
              "run page, 100k-point metric": 100, "compare 200 runs": 300}
PEERS = {"runs page (10k runs × 50 metrics)": "runs/search 100 runs, default order",
         "runs page, order=metrics.m0 DESC": "runs/search 100 runs, metrics.m0 DESC",
         "run page, 100k-point metric": "get-history-bulk-interval, 100k points → 320",
         "compare 200 runs": None}


def render(yard: dict[str, Timing], mlflow: dict[str, Timing], paints: dict[str, dict], sz: Sizes,
           seeding: dict[str, float]) -> str:
    lines = ["| page | yard TTFB p50 ms | yard p50 ms | yard p95 ms | page KiB | target | met | first paint ms "
             "| mlflow equivalent | mlflow p50 ms | ratio |", "|---|---:|---:|---:|---:|---:|---|---:|---|---:|---:|"]
    compare_peer = next((k for k in mlflow if k.startswith("compare:")), None)
    for label, timing in yard.items():
        row = timing.row()
        peer = PEERS.get(label) or compare_peer
        peer_row = mlflow[peer].row() if peer in mlflow else None
        paint = paints.get(label, {}).get("fcp", float("nan"))
        target = TARGETS_MS[label]
        met = "yes" if row["p95"] < target else "p50 only" if row["p50"] < target else "no"
        peer_cells = (f"{peer} | {peer_row['p50']:.1f} | {peer_row['p50'] / row['p50']:.1f}x" if peer_row
                      else "- | - | -")
        lines.append(f"| {label} | {row['ttfb_p50']:.1f} | {row['p50']:.1f} | {row['p95']:.1f} | "
                     f"{row['bytes'] / 1024:.0f} | <{target} | {met} | {paint:.0f} | {peer_cells} |")
    lines += ["", "| mlflow call | p50 ms | p95 ms | KiB |", "|---|---:|---:|---:|"]
    for label, timing in mlflow.items():
        row = timing.row()
        lines.append(f"| {label} | {row['p50']:.1f} | {row['p95']:.1f} | {row['bytes'] / 1024:.0f} |")
    lines += ["", "Seeding: " + ", ".join(f"{k} {v:.0f} s" for k, v in seeding.items()),
              f"Sizes: {sz.runs} runs × {sz.metrics} metrics + {sz.params} params; {sz.long_points}-point metric; "
              f"{sz.compare_runs} compare runs × {sz.metrics} metrics × {sz.compare_steps} steps; {sz.repeat} timed requests "
              f"per yard page after 3 warm-up requests."]
    return "\n".join(lines)


def save_side(out: Path, side: str, results: dict[str, Timing], seconds: float, paints: dict | None = None) -> None:
    (out / f"web-{side}.json").write_text(json.dumps({
        "measured_at": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC", "seeding_seconds": seconds,
        "results": {k: {"ttfb": v.ttfb, "total": v.total, "size": v.size} for k, v in results.items()},
        "first_paint": paints or {}}, indent=1))


def load_side(out: Path, side: str) -> tuple[dict[str, Timing], float, dict, str]:
    path = out / f"web-{side}.json"
    if not path.exists():
        return {}, 0.0, {}, ""
    saved = json.loads(path.read_text())
    results = {k: Timing(k, v["ttfb"], v["total"], v["size"]) for k, v in saved["results"].items()}
    return results, saved["seeding_seconds"], saved["first_paint"], saved["measured_at"]


def main() -> None:
    # Stopped with SIGTERM (or SIGINT when started in the background), still stop the servers and remove
    # their data folders.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test of the harness")
    parser.add_argument("--only", choices=("yard", "mlflow"),
                        help="measure one side only; the table then uses the other side's last saved figures")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--repeat", type=int)
    parser.add_argument("--mlflow-seed", choices=("sqlite", "rest"), default="sqlite",
                        help="how mlflow's data gets in: straight into its SQLite database (default) or its REST API")
    parser.add_argument("--no-paint", action="store_true", help="skip the Chromium first-paint measurement")
    args = parser.parse_args()
    sz = Sizes(runs=500, long_points=10_000, compare_runs=20, repeat=5) if args.quick else Sizes()
    if args.runs:
        sz.runs = args.runs
    if args.repeat:
        sz.repeat = args.repeat
    yard_bin = Path(os.environ.get("YARD_BIN", REPO / ".build-release" / "release" / "yard"))
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if args.only in (None, "yard"):
        server = launch("yard", yard_bin=yard_bin, prefix="yard-bench-web-")
        try:
            log(f"yard {yard_bin} on {server.url}: seeding")
            data = seed_rest(Client(server.url), sz)
            log(f"seeded yard in {data.seconds:.0f}s; measuring pages")
            results = bench_yard(server.url, data, sz)
            paints = {} if args.no_paint else first_paint(yard_pages(server.url, data))
            save_side(out, "yard", results, data.seconds, paints)
        finally:
            server.stop()
            server.cleanup()
    if args.only in (None, "mlflow"):
        server = launch("mlflow", prefix="yard-bench-web-mlflow-")
        try:
            log(f"mlflow server on {server.url}: seeding")
            client = Client(server.url)
            data = (seed_rest(client, sz) if args.mlflow_seed == "rest"
                    else seed_mlflow_sqlite(client, server.data_dir / "mlflow.db", sz))
            log(f"seeded mlflow in {data.seconds:.0f}s; measuring the API calls its UI makes")
            save_side(out, "mlflow", bench_mlflow(server.url, data, sz), data.seconds)
        finally:
            server.stop()
            server.cleanup()
    yard_results, yard_seed, paints, yard_at = load_side(out, "yard")
    mlflow_results, mlflow_seed, _, mlflow_at = load_side(out, "mlflow")
    report = render(yard_results, mlflow_results, paints, sz, {"yard": yard_seed, "mlflow": mlflow_seed})
    machine = (f"{platform.node()} · {os.cpu_count()} CPUs · yard measured {yard_at or 'never'}, "
               f"mlflow measured {mlflow_at or 'never'}")
    (out / "web.md").write_text(f"{machine}\n\n{report}\n")
    print("\n" + machine + "\n\n" + report)
    log(f"done in {time.monotonic() - started:.0f}s; wrote {out / 'web.md'}")


if __name__ == "__main__":
    main()
