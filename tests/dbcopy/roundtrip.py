"""`yard db copy` round trip of the data the MLflow compatibility suite left behind.

    python tests/dbcopy/roundtrip.py <sqlite data dir> <postgresql url>

1. Serve the SQLite data directory and read everything back through the public APIs (experiments, runs with
   params/metrics/tags/inputs/outputs, every metric point, logged models, registered models with aliases and
   tags, versions, the native promotion history).
2. `yard db copy --from <dir> --to <fresh schema>`, which must report a verified copy.
3. Serve the copy (`--store postgresql://…`, same artifact folder) and read everything again: the answers must
   be identical, order included.
4. Writes continue on the copy: a new run, a new version numbered after the copied ones.
Exits non-zero with the first difference otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compat"))
from servers import ServerProcess, default_yard_bin, free_port  # noqa: E402

API = "/api/2.0/mlflow"


def serve(data_dir: Path, store: str | None) -> ServerProcess:
    port = free_port()
    argv = [str(default_yard_bin()), "server", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir)]
    if store:
        argv += ["--store", store]
    base = data_dir.parent
    server = ServerProcess(kind="yard", argv=argv, base_dir=base, data_dir=data_dir, artifacts_root=data_dir / "artifacts",
                           port=port, log_path=base / f"dbcopy-{'pg' if store else 'sqlite'}.log")
    server.start(60)
    return server


def pages(fetch, key: str) -> list:
    items, token = [], None
    for _ in range(10_000):
        body = fetch(token)
        items += body.get(key, [])
        token = body.get("next_page_token")
        if not token:
            return items
    raise RuntimeError(f"paging through {key} did not end")


def snapshot(url: str) -> dict:
    session = requests.Session()

    def post(path: str, payload: dict) -> dict:
        response = session.post(url + API + path, json=payload, timeout=60)
        response.raise_for_status()
        return response.json()

    def get(path: str, params: dict) -> dict:
        response = session.get(url + API + path, params=params, timeout=60)
        response.raise_for_status()
        return response.json()

    experiments = pages(lambda t: post("/experiments/search", {"view_type": "ALL", "max_results": 1000, "page_token": t}),
                        "experiments")
    ids = [e["experiment_id"] for e in experiments]
    runs = []
    for chunk in range(0, len(ids), 100):
        runs += pages(lambda t: post("/runs/search", {"experiment_ids": ids[chunk:chunk + 100], "run_view_type": "ALL",
                                                      "max_results": 1000, "page_token": t}), "runs")
    histories = {}
    for run in runs:
        run_id = run["info"]["run_id"]
        for metric in run.get("data", {}).get("metrics", []):
            key = metric["key"]
            histories[f"{run_id}/{key}"] = pages(
                lambda t: get("/metrics/get-history", {"run_id": run_id, "metric_key": key, "max_results": 25000,
                                                       **({"page_token": t} if t else {})}), "metrics")
    logged = []
    for chunk in range(0, len(ids), 100):
        logged += pages(lambda t: post("/logged-models/search", {"experiment_ids": ids[chunk:chunk + 100], "max_results": 100,
                                                                 **({"page_token": t} if t else {})}), "models")
    models = pages(lambda t: get("/registered-models/search", {"max_results": 1000, **({"page_token": t} if t else {})}),
                   "registered_models")
    versions, history = {}, {}
    for model in models:
        name = model["name"]
        escaped = name.replace("'", "\\'")
        versions[name] = pages(lambda t: get("/model-versions/search", {"filter": f"name='{escaped}'", "max_results": 1000,
                                                                        **({"page_token": t} if t else {})}),
                               "model_versions")
        response = session.get(f"{url}/api/v1/models/{requests.utils.quote(name, safe='')}/history", timeout=60)
        history[name] = response.json() if response.status_code == 200 else response.status_code
    return {"experiments": experiments, "runs": runs, "metric_histories": histories, "logged_models": logged,
            "registered_models": models, "model_versions": versions, "promotion_history": history}


def first_difference(a, b, path="$"):
    if type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: present on one side only ({a.get(key)!r} vs {b.get(key)!r})"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for index, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if a == b or (a != a and b != b) else f"{path}: {a!r} != {b!r}"


def main() -> int:
    data_dir, postgres_url = Path(sys.argv[1]), sys.argv[2]
    schema = "dbcopy_" + uuid.uuid4().hex[:12]
    target = f"{postgres_url}{'&' if '?' in postgres_url else '?'}schema={schema}&sslmode=disable"

    source = serve(data_dir, None)
    try:
        before = snapshot(source.url)
    finally:
        source.stop()
    counts = {k: len(v) for k, v in before.items()}
    points = sum(len(h) for h in before["metric_histories"].values())
    print(f"[dbcopy] source: {counts}, {points} metric points", flush=True)
    if counts["runs"] < 10 or counts["registered_models"] < 3 or points < 100:
        print("[dbcopy] FAIL: the compatibility suite left too little data for a meaningful round trip")
        return 1

    started = time.monotonic()
    copy = subprocess.run([str(default_yard_bin()), "db", "copy", "--from", str(data_dir), "--to", target],
                          capture_output=True, text=True, timeout=600)
    print(copy.stdout + copy.stderr, flush=True)
    if copy.returncode != 0:
        print(f"[dbcopy] FAIL: yard db copy exited {copy.returncode}")
        return 1
    print(f"[dbcopy] copied in {time.monotonic() - started:.1f}s", flush=True)

    again = subprocess.run([str(default_yard_bin()), "db", "copy", "--from", str(data_dir), "--to", target],
                           capture_output=True, text=True, timeout=600)
    if again.returncode == 0:
        print("[dbcopy] FAIL: a second copy into the now non-empty target was accepted")
        return 1

    copied = serve(data_dir, target)
    try:
        after = snapshot(copied.url)
        difference = first_difference(before, after)
        if difference:
            print(f"[dbcopy] FAIL: the copy answers differently: {difference}")
            return 1
        # Writes go on where the source stopped: fresh ids, version numbers after the copied ones.
        session = requests.Session()
        created = session.post(copied.url + API + "/runs/create",
                               json={"experiment_id": "0", "start_time": int(time.time() * 1000)}, timeout=30)
        created.raise_for_status()
        known_runs = {r["info"]["run_id"] for r in before["runs"]}
        new_run = created.json()["run"]["info"]["run_id"]
        if new_run in known_runs:
            print("[dbcopy] FAIL: a new run reused a copied id")
            return 1
        name, existing = next(((n, v) for n, v in before["model_versions"].items() if v), (None, None))
        if name:
            made = session.post(copied.url + API + "/model-versions/create",
                                json={"name": name, "source": f"runs:/{new_run}/model", "run_id": new_run}, timeout=30)
            made.raise_for_status()
            number = int(made.json()["model_version"]["version"])
            highest = max(int(v["version"]) for v in existing)
            if number <= highest:
                print(f"[dbcopy] FAIL: new version {number} of {name} does not follow the copied {highest}")
                return 1
        print(f"[dbcopy] OK: every answer identical after the copy ({json.dumps(counts)}, {points} points); writes continue")
        return 0
    finally:
        copied.stop()


if __name__ == "__main__":
    sys.exit(main())
