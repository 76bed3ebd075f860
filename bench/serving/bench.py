"""Serving benchmark driver (run it through bench/serving/run).

Two scikit-learn models — a 100-tree random forest and a logistic regression, 20 float features, converted
with skl2onnx — are logged with `mlflow.onnx.log_model` and registered in a running `yard server`. Both
servers then serve the *same* registered versions:

  mlflow   `mlflow models serve -m models:/<name>/1 --env-manager local` with MLFLOW_TRACKING_URI pointing
           at the yard server (it downloads the model through yard's artifact proxy); measured with its
           default 1 worker and with one worker per core, and compared with the better of the two;
  yard     a deployment inside the same `yard server` (POST /api/v1/deployments, then
           POST /serving/<name>/invocations), and, when `yard serve` exists, the standalone server too.

Measurements:
  (1) closed loop: wrk, 32 connections, single-row `{"dataframe_split": ...}` bodies (256 different rows,
      cycled) -> requests/s, p50, p99, and yard / mlflow ratios;
  (2) open loop: yard alone at a constant 1,000 requests/s (openloop.c, compiled here with `cc -O2`;
      latency counted from each request's scheduled send time) -> p50 / p99 / p99.9 and errors;
  (3) in process: time per row of onnxruntime (Python InferenceSession, intra_op_num_threads=1; median of
      passes over a batch of 1,000 rows, and single-row calls) vs yard's native evaluator (`yard predict
      MODEL input.csv --out /dev/null --profile --jobs 1`, which times the evaluator call alone, without
      reading, parsing or writing; the 1,000 rows repeated so the median over chunks of 1,000 rows is
      taken, as onnxruntime's median over passes). Each side runs the same graph, twice: the registered
      model (label + ZipMap probabilities) and the same model converted with zipmap=False (tensors only).
      `--only inprocess` measures just this, without servers.

Targets (issue 14): yard >= 20x mlflow's throughput; yard p99 < 2 ms at 1,000 req/s; native per-row time
no worse than 2x onnxruntime's. Prints a table and writes bench/out/serving.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import requests

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO / "tests" / "compat"))
from servers import QUIET_ENV, ServerProcess, free_port, launch  # noqa: E402

FEATURES = 20
COLUMNS = [f"f{i}" for i in range(FEATURES)]
MODELS = {  # short name -> registered model name
    "rf": "bench-serving-rf",
    "logreg": "bench-serving-logreg",
}
MODEL_TITLES = {"rf": "random forest, 100 trees", "logreg": "logistic regression"}


def log(message: str) -> None:
    print(f"[serving {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    pass


class _InProcessDone(Exception):
    """`--only inprocess` finished: skip the serving measurements."""


# --------------------------------------------------------------------------- models

@dataclass
class Trained:
    onnx_bytes: dict[str, bytes]          # as registered (skl2onnx default: label + ZipMap probabilities)
    tensor_onnx_bytes: dict[str, bytes]   # same models with zipmap=False (plain tensors), for onnxruntime's best case
    rows: np.ndarray                      # float32 rows not seen in training, for requests and batch timing


def train_models() -> Trained:
    from skl2onnx import to_onnx
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=6000, n_features=FEATURES, n_informative=12, n_redundant=4,
                               random_state=14)
    X = X.astype(np.float32)
    train_x, train_y, rows = X[:5000], y[:5000], X[5000:]
    estimators = {
        "rf": RandomForestClassifier(n_estimators=100, max_depth=10, random_state=14, n_jobs=1),
        "logreg": LogisticRegression(max_iter=2000),
    }
    opset = {"": 17, "ai.onnx.ml": 3}
    onnx_bytes, tensor_bytes = {}, {}
    for short, estimator in estimators.items():
        estimator.fit(train_x, train_y)
        onnx_bytes[short] = to_onnx(estimator, train_x[:1], target_opset=opset).SerializeToString()
        tensor_bytes[short] = to_onnx(estimator, train_x[:1], target_opset=opset,
                                      options={id(estimator): {"zipmap": False}}).SerializeToString()
    return Trained(onnx_bytes, tensor_bytes, rows)


def register_models(tracking_uri: str, trained: Trained) -> None:
    import mlflow
    import mlflow.onnx
    import onnx
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment("bench-serving")
    signature = ModelSignature(inputs=Schema([ColSpec("float", name) for name in COLUMNS]))
    client = mlflow.MlflowClient()
    for short, name in MODELS.items():
        with mlflow.start_run(run_name=f"bench-{short}"):
            mlflow.onnx.log_model(onnx.load_from_string(trained.onnx_bytes[short]), name="model",
                                  signature=signature, registered_model_name=name)
        try:
            client.set_registered_model_alias(name, "prod", "1")
        except Exception as error:  # noqa: BLE001  (the alias is only a convenience)
            log(f"could not set alias prod on {name}: {error}")


def write_bodies(path: Path, rows: np.ndarray, count: int = 256) -> list[str]:
    bodies = []
    for row in rows[:count]:
        data = [[float(f"{float(v):.7g}") for v in row]]
        bodies.append(json.dumps({"dataframe_split": {"columns": COLUMNS, "data": data}}, separators=(",", ":")))
    path.write_text("\n".join(bodies) + "\n")
    return bodies


# --------------------------------------------------------------------------- load

def run_wrk(url: str, bodies_file: Path, seconds: float, connections: int, threads: int) -> dict:
    env = dict(os.environ, BENCH_BODIES=str(bodies_file))
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s",
               "-s", str(HERE / "post.lua"), url]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60)
    line = next((l for l in result.stdout.splitlines() if l.startswith("RESULT ")), None)
    if result.returncode != 0 or line is None:
        raise BenchError(f"wrk failed (exit {result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    figures = json.loads(line[len("RESULT "):])
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = sum(figures[k] for k in ("connect_errors", "read_errors", "write_errors",
                                                  "status_errors", "timeouts"))
    return figures


def closed_loop(label: str, url: str, bodies_file: Path, args) -> dict:
    run_wrk(url, bodies_file, args.warmup, args.connections, args.wrk_threads)
    figures = run_wrk(url, bodies_file, args.duration, args.connections, args.wrk_threads)
    log(f"  {label:<34} {figures['rps']:10.1f} req/s  p50 {figures['p50_us'] / 1000:8.3f} ms  "
        f"p99 {figures['p99_us'] / 1000:8.3f} ms  errors {figures['errors']}")
    if figures["errors"]:
        log(f"  warning: {label}: {figures['errors']} errors under wrk ({figures})")
    return figures


def open_loop(openloop_bin: Path, url: str, bodies_file: Path, args) -> dict:
    command = [str(openloop_bin), "--url", url, "--bodies", str(bodies_file), "--rate", str(args.rate),
               "--duration", str(args.openloop_duration), "--warmup", str(args.warmup),
               "--connections", str(args.connections)]
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=args.openloop_duration + args.warmup + 60)
    if result.returncode != 0:
        raise BenchError(f"openloop failed (exit {result.returncode}): {result.stderr[-2000:]}")
    if result.stderr.strip():
        log("  openloop: " + result.stderr.strip().replace("\n", "\n  openloop: "))
    return json.loads(result.stdout)


def build_openloop(work: Path) -> Path:
    binary = work / "openloop"
    subprocess.run(["cc", "-O2", "-o", str(binary), str(HERE / "openloop.c")], check=True)
    return binary


# --------------------------------------------------------------------------- servers

@dataclass
class Process:
    """A server started here, in its own process group, with its output in a log file."""

    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None

    def start(self, cwd: Path) -> None:
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(self.argv, cwd=cwd, env={**os.environ, **QUIET_ENV, **self.env},
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "<no log>"

    def wait_until(self, ready, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no attempt"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                outcome = ready()
                if outcome is True:
                    return
                last = str(outcome)
            except requests.RequestException as error:
                last = f"{type(error).__name__}: {error}"
            time.sleep(0.25)
        raise BenchError(f"{self.name} not ready after {timeout:.0f} s ({last}):\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # workers left in the group
        except (ProcessLookupError, PermissionError):
            pass


def score(url: str, body: str) -> requests.Response:
    return requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30)


def answers_with_predictions(url: str, body: str):
    def ready():
        response = score(url, body)
        if response.status_code == 200:
            return True
        return f"{response.status_code} {response.text[:300]}"
    return ready


def labels_of(payload) -> list | None:
    """The predicted labels in a scoring answer, whichever way the server lays them out."""
    predictions = payload.get("predictions") if isinstance(payload, dict) else None
    if predictions is None:
        return None
    if isinstance(predictions, dict):
        for key in ("output_label", "label"):
            if key in predictions:
                return list(predictions[key])
        return None
    labels = []
    for item in predictions:
        if isinstance(item, dict):
            value = item.get("output_label", item.get("label"))
        else:
            value = item
        labels.append(value)
    return labels


def sample_labels(url: str, bodies: list[str], count: int = 20) -> list:
    labels = []
    for body in bodies[:count]:
        response = score(url, body)
        if response.status_code != 200:
            raise BenchError(f"{url} answered {response.status_code}: {response.text[:500]}")
        labels.append(labels_of(response.json()))
    return labels


def mlflow_serve(model_name: str, workers: int, tracking_uri: str, work: Path, mlflow_bin: str) -> tuple[Process, str]:
    port = free_port()
    process = Process(f"mlflow models serve ({model_name}, {workers} worker{'s' if workers > 1 else ''})",
                      [mlflow_bin, "models", "serve", "-m", f"models:/{model_name}/1", "--env-manager", "local",
                       "-h", "127.0.0.1", "-p", str(port), "-w", str(workers)],
                      work / f"mlflow-serve-{model_name}-{workers}.log",
                      env={"MLFLOW_TRACKING_URI": tracking_uri,
                           # as in an activated venv: mlflow runs `uvicorn` from PATH
                           "PATH": f"{Path(mlflow_bin).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    process.start(work)
    base = f"http://127.0.0.1:{port}"
    process.wait_until(lambda: requests.get(base + "/ping", timeout=5).status_code == 200 or "not loaded", 180)
    return process, base + "/invocations"


def yard_help(yard_bin: Path) -> str:
    result = subprocess.run([str(yard_bin), "--help"], capture_output=True, text=True)
    return result.stdout + result.stderr


def create_deployment(server_url: str, name: str, model_uri: str) -> str | None:
    """Returns the scoring URL of a deployment inside `yard server`, or None if yard has no deployments."""
    response = requests.post(server_url + "/api/v1/deployments", json={"name": name, "model_uri": model_uri},
                             timeout=60)
    if response.status_code == 404 and "deployment" not in response.text.lower():
        return None
    if response.status_code >= 300 and "exist" not in response.text.lower():
        raise BenchError(f"POST /api/v1/deployments {name} -> {response.status_code}: {response.text[:500]}")
    return f"{server_url}/serving/{name}/invocations"


# --------------------------------------------------------------------------- in process

def ort_per_row(model_bytes: bytes, rows: np.ndarray, passes: int) -> dict:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    batch = np.ascontiguousarray(rows)
    for _ in range(3):
        session.run(None, {input_name: batch})
    batch_times = []
    for _ in range(passes):
        start = time.perf_counter()
        session.run(None, {input_name: batch})
        batch_times.append(time.perf_counter() - start)
    singles = [batch[i:i + 1] for i in range(len(batch))]
    for single in singles[:200]:
        session.run(None, {input_name: single})
    single_times = []
    for _ in range(max(1, passes // 5)):
        for single in singles:
            start = time.perf_counter()
            session.run(None, {input_name: single})
            single_times.append(time.perf_counter() - start)
    return {"batch_us_per_row": statistics.median(batch_times) / len(batch) * 1e6,
            "single_us_p50": statistics.median(single_times) * 1e6}


PROFILE_PATTERNS = [  # the median chunk first; else "... 12.3 µs per row", "per row: 12.3 us", "12.3 us/row"
    re.compile(r"median chunk\s+([0-9][0-9.,]*)\s*(µs|us|ns|ms)\s*per\s*row", re.I),
    re.compile(r"([0-9][0-9.,]*)\s*(µs|us|ns|ms)\s*(?:/|per)\s*row", re.I),
    re.compile(r"per[ -]row[^0-9]*([0-9][0-9.,]*)\s*(µs|us|ns|ms)", re.I),
]


def yard_predict_per_row(yard_bin: Path, model: str, csv_path: Path, env: dict,
                         extra: tuple[str, ...] = ()) -> tuple[float | None, str]:
    command = [str(yard_bin), "predict", model, str(csv_path), "--out", "/dev/null", "--profile", *extra]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env}, timeout=300)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        return None, f"`{' '.join(command[1:])}` exited {result.returncode}: {output[-600:]}"
    for pattern in PROFILE_PATTERNS:
        match = pattern.search(output)
        if match:
            value = float(match.group(1).replace(",", ""))
            unit = match.group(2).lower()
            factor = {"ns": 1e-3, "us": 1.0, "µs": 1.0, "ms": 1e3}[unit]
            return value * factor, output
    return None, f"no per-row time found in the output of `yard predict --profile`: {output[-600:]}"


INPROCESS_GRAPHS = {"zipmap": "registered model (label + ZipMap)", "tensor": "zipmap=False (tensors only)"}


def write_rows_csv(path: Path, rows: np.ndarray, repeats: int) -> None:
    lines = [",".join(f"{float(v):.7g}" for v in row) for row in rows]
    with open(path, "w") as f:
        f.write(",".join(COLUMNS) + "\n")
        for _ in range(repeats):
            f.write("\n".join(lines) + "\n")


def measure_inprocess(trained: Trained, shorts: list[str], yard_bin: Path, work: Path, args,
                      registered_env: dict | None, results: dict) -> None:
    """onnxruntime and `yard predict --profile` on the same graphs; see (3) in the module docstring."""
    batch = trained.rows[:1000]
    passes = 5 if args.quick else 20
    repeats = 10 if args.quick else 50
    batch_csv, single_csv = work / "inprocess-batches.csv", work / "inprocess-rows.csv"
    write_rows_csv(batch_csv, batch, repeats)
    write_rows_csv(single_csv, batch, 1)
    for short in shorts:
        for graph, model_bytes in (("zipmap", trained.onnx_bytes[short]), ("tensor", trained.tensor_onnx_bytes[short])):
            path = work / f"{short}-{graph}.onnx"
            path.write_bytes(model_bytes)
            # The registered version holds the same bytes; going through models:/ also covers the download.
            source, env = str(path), {}
            if graph == "zipmap" and registered_env is not None:
                source, env = f"models:/{MODELS[short]}/1", registered_env
            entry = {"ort": ort_per_row(model_bytes, batch, passes), "source": source}
            entry["yard_us_per_row"], output = yard_predict_per_row(
                yard_bin, source, batch_csv, env, ("--chunk-rows", "1000", "--jobs", "1"))
            # one row per chunk: the evaluator's cost of a single-row call
            entry["yard_single_us"], single_output = yard_predict_per_row(
                yard_bin, source, single_csv, env, ("--chunk-rows", "1", "--jobs", "1"))
            if entry["yard_us_per_row"] is None:
                results["notes"].append(f"{short} {graph}: native per-row time not measured: {output[:500]}")
            if entry["yard_single_us"] is None:
                results["notes"].append(f"{short} {graph}: single-row evaluator time not measured: {single_output[:300]}")
            results["inproc"][(short, graph)] = entry
            native, single = entry["yard_us_per_row"], entry["yard_single_us"]
            log(f"  {short} {graph}: onnxruntime {entry['ort']['batch_us_per_row'] * 1000:.1f} ns/row, single "
                f"{entry['ort']['single_us_p50']:.1f} µs; yard "
                f"{'–' if native is None else f'{native * 1000:.1f} ns/row'}, single "
                f"{'–' if single is None else f'{single:.1f} µs'}")


# --------------------------------------------------------------------------- report

def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = open("/proc/loadavg").read().split()[0]
    except OSError:
        load = "?"
    return f"{os.cpu_count()} cores (nproc), {cpu}, Linux {platform.release()}, load average {load}"


def ratio(a, b) -> str:
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.1f}x"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs: a smoke test of the harness")
    parser.add_argument("--only", choices=["mlflow", "yard", "inprocess"],
                        help="serve with one side only, or (inprocess) only time the evaluators, without servers")
    parser.add_argument("--duration", type=float, help="seconds per wrk run (default 15; 4 with --quick)")
    parser.add_argument("--warmup", type=float, help="warm-up seconds before each run (default 3; 1 with --quick)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--rate", type=float, default=1000.0, help="open-loop requests/s (default 1000)")
    parser.add_argument("--openloop-duration", type=float, help="seconds at --rate (default 30; 5 with --quick)")
    parser.add_argument("--mlflow-workers", default=None,
                        help="comma-separated worker counts for mlflow models serve (default: 1 and nproc)")
    parser.add_argument("--models", default="rf,logreg", help="which models (rf, logreg)")
    args = parser.parse_args()
    args.duration = args.duration or (4 if args.quick else 15)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.quick else 3)
    args.openloop_duration = args.openloop_duration or (5 if args.quick else 30)
    cores = os.cpu_count() or 1
    workers = [int(w) for w in (args.mlflow_workers or ",".join(sorted({"1", str(cores)}, key=int))).split(",")]
    shorts = [s for s in args.models.split(",") if s]
    for short in shorts:
        if short not in MODELS:
            parser.error(f"unknown model {short!r}: choose from {', '.join(MODELS)}")

    yard_bin = Path(os.environ["YARD_BIN"]).resolve()
    if not os.access(yard_bin, os.X_OK):
        raise SystemExit(f"{yard_bin} not found: build it with "
                         "`swift build -c release --scratch-path .build-release --product yard`")
    if args.only != "inprocess" and shutil.which("wrk") is None:
        raise SystemExit("wrk not found (bench/serving/run installs it with apt-get)")
    mlflow_bin = str(Path(sys.executable).parent / "mlflow")
    started = datetime.now(timezone.utc)
    work = Path(tempfile.mkdtemp(prefix="yard-bench-serving-"))
    running: list = []

    def stop_on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop_on_signal)

    results: dict = {"closed": {}, "open": {}, "inproc": {}, "notes": []}
    try:
        openloop_bin = build_openloop(work) if args.only != "inprocess" else None
        log(f"machine: {machine()}; yard: {yard_bin}; work dir {work}")
        log("training and converting the models")
        trained = train_models()
        if args.only == "inprocess":
            log("in-process per-row times")
            measure_inprocess(trained, shorts, yard_bin, work, args, None, results)
            raise _InProcessDone
        bodies_file = work / "bodies.jsonl"
        bodies = write_bodies(bodies_file, trained.rows)

        log("starting yard server")
        server: ServerProcess = launch("yard", yard_bin=yard_bin, prefix="yard-bench-serving-server-")
        running.append(server)
        log(f"yard server at {server.url}; logging and registering the models")
        os.environ.update(QUIET_ENV)
        with contextlib.redirect_stdout(sys.stderr):  # mlflow's "View run at ..." lines stay out of the table
            register_models(server.url, trained)
        labels: dict = {}

        # ---- mlflow models serve
        if args.only != "yard":
            for short in shorts:
                for count in workers:
                    label = f"mlflow {short} ({count} worker{'s' if count > 1 else ''})"
                    log(f"starting {label}")
                    process, url = mlflow_serve(MODELS[short], count, server.url, work, mlflow_bin)
                    running.append(process)
                    labels.setdefault(short, {})["mlflow"] = sample_labels(url, bodies)
                    results["closed"][(short, f"mlflow-{count}")] = closed_loop(label, url, bodies_file, args)
                    process.stop()
                    running.remove(process)

        # ---- yard: deployments inside yard server
        if args.only != "mlflow":
            help_text = yard_help(yard_bin)
            for short in shorts:
                url = create_deployment(server.url, short, f"models:/{MODELS[short]}/1")
                if url is None:
                    results["notes"].append("`yard server` has no deployments API yet (POST /api/v1/deployments "
                                            "answered 404): yard's serving side was not measured.")
                    break
                server_proc = Process("yard server", [], server.log_path)
                server_proc.proc = server.proc
                server_proc.wait_until(answers_with_predictions(url, bodies[0]), 60)
                labels.setdefault(short, {})["yard"] = sample_labels(url, bodies)
                results["closed"][(short, "yard")] = closed_loop(f"yard deployment {short}", url, bodies_file, args)
                log(f"  open loop, {args.rate:g} req/s for {args.openloop_duration:g} s: yard deployment {short}")
                results["open"][(short, "yard")] = open_loop(openloop_bin, url, bodies_file, args)
                o = results["open"][(short, "yard")]
                log(f"    p50 {o['p50_ms']:.3f} ms  p99 {o['p99_ms']:.3f} ms  p99.9 {o['p999_ms']:.3f} ms  "
                    f"errors {o['errors']}  ({o['ok']} ok)")

            # ---- yard serve (standalone), if this build has it
            if re.search(r"^\s+serve\b", help_text, re.M):
                for short in shorts:
                    port = free_port()
                    process = Process(f"yard serve {short}",
                                      [str(yard_bin), "serve", f"models:/{MODELS[short]}/1", "--port", str(port),
                                       "--data-dir", str(server.data_dir)],
                                      work / f"yard-serve-{short}.log", env={"MLFLOW_TRACKING_URI": server.url})
                    process.start(work)
                    running.append(process)
                    url = f"http://127.0.0.1:{port}/invocations"
                    try:
                        process.wait_until(answers_with_predictions(url, bodies[0]), 60)
                    except BenchError as error:
                        results["notes"].append(f"`yard serve` did not come up for {short}: {str(error)[:400]}")
                        process.stop()
                        running.remove(process)
                        continue
                    results["closed"][(short, "yard-serve")] = closed_loop(f"yard serve {short}", url,
                                                                           bodies_file, args)
                    process.stop()
                    running.remove(process)
            else:
                results["notes"].append("`yard serve` (standalone) is not in this build's `yard --help`.")

        for short, by_server in labels.items():
            if "mlflow" in by_server and "yard" in by_server:
                agree = sum(1 for a, b in zip(by_server["mlflow"], by_server["yard"]) if a == b)
                if agree != len(by_server["mlflow"]):
                    results["notes"].append(f"{short}: yard and mlflow disagree on {len(by_server['mlflow']) - agree}"
                                            f" of {len(by_server['mlflow'])} sampled answers "
                                            f"(mlflow {by_server['mlflow'][:3]}, yard {by_server['yard'][:3]}).")

        # ---- in process: onnxruntime vs the native evaluator
        log("in-process per-row times")
        measure_inprocess(trained, shorts, yard_bin, work, args,
                          {"MLFLOW_TRACKING_URI": server.url, "YARD_SERVER": server.url}, results)
    except _InProcessDone:
        pass
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        for process in reversed(running):
            process.stop()
        for process in running:
            if isinstance(process, ServerProcess):
                process.cleanup()
        shutil.rmtree(work, ignore_errors=True)

    report = render(results, args, shorts, workers, started)
    print(report)
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / ("serving-inprocess.md" if args.only == "inprocess" else "serving.md")).write_text(report)
    return 0


def render(results: dict, args, shorts: list[str], workers: list[int], started: datetime) -> str:
    lines = [f"# Serving benchmark — {started:%Y-%m-%d %H:%M} UTC", "",
             f"Machine: {machine()}. wrk {args.wrk_threads} threads, {args.connections} connections, "
             f"{args.duration:g} s per run after {args.warmup:g} s warm-up; single-row dataframe_split bodies.", ""]
    closed = results["closed"]
    if closed:
        lines += ["## Closed loop (wrk)", "",
                  "| model | server | req/s | p50 ms | p99 ms | errors |", "|---|---|---:|---:|---:|---:|"]
        for short in shorts:
            for key in [f"mlflow-{w}" for w in workers] + ["yard", "yard-serve"]:
                figures = closed.get((short, key))
                if figures:
                    if key == "yard":
                        name = "yard server deployment"
                    elif key == "yard-serve":
                        name = "yard serve"
                    else:
                        count = int(key.split("-")[1])
                        name = f"mlflow models serve, {count} worker{'s' if count > 1 else ''}"
                    lines.append(f"| {MODEL_TITLES[short]} | {name} | {figures['rps']:,.0f} | "
                                 f"{figures['p50_us'] / 1000:.3f} | {figures['p99_us'] / 1000:.3f} | {figures['errors']} |")
        lines += ["", "| model | yard req/s ÷ best mlflow | mlflow p50 ÷ yard p50 | mlflow p99 ÷ yard p99 | "
                  "target ≥20x throughput |", "|---|---:|---:|---:|---|"]
        for short in shorts:
            yard = closed.get((short, "yard"))
            mlflows = [closed[(short, f"mlflow-{w}")] for w in workers if (short, f"mlflow-{w}") in closed]
            if yard and mlflows:
                best = max(mlflows, key=lambda f: f["rps"])
                throughput = yard["rps"] / best["rps"]
                lines.append(f"| {MODEL_TITLES[short]} | {throughput:.1f}x | {ratio(best['p50_us'], yard['p50_us'])} | "
                             f"{ratio(best['p99_us'], yard['p99_us'])} | {'met' if throughput >= 20 else 'NOT met'} |")
    if results["open"]:
        lines += ["", f"## Open loop: yard at a constant {args.rate:,.0f} req/s ({args.openloop_duration:g} s, "
                      f"latency from the scheduled send time)", "",
                  "| model | ok | errors | p50 ms | p99 ms | p99.9 ms | max ms | target p99 < 2 ms |",
                  "|---|---:|---:|---:|---:|---:|---:|---|"]
        for short in shorts:
            o = results["open"].get((short, "yard"))
            if o:
                lines.append(f"| {MODEL_TITLES[short]} | {o['ok']:,} | {o['errors']} | {o['p50_ms']:.3f} | "
                             f"{o['p99_ms']:.3f} | {o['p999_ms']:.3f} | {o['max_ms']:.2f} | "
                             f"{'met' if o['p99_ms'] < 2 and o['errors'] == 0 else 'NOT met'} |")
    if results["inproc"]:
        lines += ["", "## In process, time per row", "",
                  "Both sides run the same graph: the registered model (label + ZipMap probabilities, which "
                  "onnxruntime's Python API turns into a list of dicts) and the same model converted with "
                  "zipmap=False (tensors only). onnxruntime: Python InferenceSession, intra_op_num_threads=1, "
                  "median of passes over a 1,000-row batch; single row: median call. yard: `yard predict "
                  "--profile --jobs 1`, evaluator call only (no parsing or writing), median over chunks of "
                  "1,000 rows (the batch repeated); single row: median over 1,000 one-row chunks.", "",
                  "| model | graph | ORT batch ns/row | yard batch ns/row | yard ÷ ORT | ORT single row µs | "
                  "yard single row µs | target ≤ 2x |",
                  "|---|---|---:|---:|---:|---:|---:|---|"]
        for short in shorts:
            for graph, title in INPROCESS_GRAPHS.items():
                e = results["inproc"].get((short, graph))
                if not e:
                    continue
                native, single = e["yard_us_per_row"], e.get("yard_single_us")
                ort_batch = e["ort"]["batch_us_per_row"]
                verdict = "–" if native is None else ("met" if native <= 2 * ort_batch else "NOT met")
                lines.append(f"| {MODEL_TITLES[short]} | {title} | {ort_batch * 1000:.1f} | "
                             f"{'–' if native is None else f'{native * 1000:.1f}'} | "
                             f"{'–' if native is None else f'{native / ort_batch:.2f}x'} | "
                             f"{e['ort']['single_us_p50']:.1f} | {'–' if single is None else f'{single:.1f}'} | "
                             f"{verdict} |")
    if results["notes"]:
        lines += ["", "Notes:"] + [f"- {note}" for note in results["notes"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
