"""Drift benchmark driver (see bench/drift/run): Evidently's DataDriftPreset vs `yard drift --json`.

Each tool is a separate process reading the same two CSV files; wall time and peak RSS are measured
around the whole process (start-up, CSV parsing, typing, tests, output) by measure.py. Then the
decisions are compared column by column.
"""
import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
EVIDENTLY_SCRIPT = os.path.join(REPO, "tests", "monitoring", "evidently_drift.py")
KIND_NAMES = {"num": "numerical", "cat": "categorical"}


def log(message):
    print(f"[drift] {message}", file=sys.stderr, flush=True)


def measured(out, command, env=None):
    result = subprocess.run([sys.executable, os.path.join(HERE, "measure.py"), out, "--", *command], env=env)
    with open(out) as handle:
        figures = json.load(handle)
    if result.returncode != 0:
        with open(out[:-5] + ".stderr") as handle:
            sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{handle.read()[-3000:]}")
    return figures


def compare(yard, evidently):
    """(#columns, #same test, #same verdict, #score within 1e-6, same dataset verdict, differences)."""
    tested = {column["column"]: column for column in yard["columns"]}
    same_test = same_verdict = same_score = 0
    differences = []
    for name, expected in evidently["columns"].items():
        got = tested.get(name)
        if got is None:
            differences.append(f"{name}: not tested by yard")
            continue
        if got["stattest"] == expected["stattest"]:
            same_test += 1
        else:
            differences.append(f"{name}: {got['stattest']} vs {expected['stattest']}")
        if got["drifted"] == expected["drifted"]:
            same_verdict += 1
        else:
            differences.append(f"{name}: drifted {got['drifted']} vs {expected['drifted']}")
        if expected["score"] is not None and math.isclose(got["score"], expected["score"], rel_tol=1e-6, abs_tol=1e-6):
            same_score += 1
        else:
            differences.append(f"{name}: score {got['score']} vs {expected['score']}")
    extra = sorted(set(tested) - set(evidently["columns"]))
    differences += [f"{name}: tested by yard only" for name in extra]
    same_dataset = yard["dataset_drift"] == evidently["dataset_drift"] and yard["drifted_columns"] == evidently["number_of_drifted_columns"]
    return len(evidently["columns"]), same_test, same_verdict, same_score, same_dataset, differences


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        total_kib = int(handle.readline().split()[1])
    return f"{os.cpu_count()} CPUs ({model}), {total_kib / 1024 ** 2:.0f} GiB RAM, {platform.system()} {platform.release()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000", help="rows per file, comma-separated")
    parser.add_argument("--yard-runs", type=int, default=3, help="yard runs per size (median time, max RSS)")
    parser.add_argument("--data", default=os.path.join(REPO, "bench", "out", "drift-data"))
    parser.add_argument("--only", choices=["yard", "evidently"], help="run one side only")
    args = parser.parse_args()
    yard_bin = os.environ["YARD_BIN"]
    evidently_python = os.environ["YARD_EVIDENTLY_PYTHON"]
    out_dir = os.path.join(REPO, "bench", "out")
    os.makedirs(out_dir, exist_ok=True)
    quiet_env = {**os.environ, "PYTHONWARNINGS": "ignore", "DO_NOT_TRACK": "true", "EVIDENTLY_DISABLE_TELEMETRY": "1"}

    rows_out = []
    for rows in [int(size) for size in args.sizes.split(",")]:
        directory = os.path.join(args.data, str(rows))
        subprocess.run([evidently_python, os.path.join(HERE, "gen.py"), str(rows), directory], check=True)
        ref, cur = os.path.join(directory, "ref.csv"), os.path.join(directory, "cur.csv")
        work = os.path.join(out_dir, f"drift-{rows}")
        os.makedirs(work, exist_ok=True)

        evidently = evidently_figures = None
        if args.only != "yard":
            log(f"{rows:,} rows: Evidently ...")
            evidently_figures = measured(os.path.join(work, "evidently.json"),
                                         [evidently_python, EVIDENTLY_SCRIPT, ref, cur, "--out", os.path.join(work, "evidently-result.json")],
                                         env=quiet_env)
            with open(os.path.join(work, "evidently-result.json")) as handle:
                evidently = json.load(handle)
            log(f"  {evidently_figures['wall_seconds']:.1f} s, {evidently_figures['peak_rss_bytes'] / 2 ** 20:.0f} MiB")

        yard = yard_figures = None
        if args.only != "evidently":
            runs = []
            for run in range(args.yard_runs):
                log(f"{rows:,} rows: yard run {run + 1}/{args.yard_runs} ...")
                runs.append(measured(os.path.join(work, f"yard-{run}.json"), [yard_bin, "drift", ref, cur, "--json", "--quiet"]))
                log(f"  {runs[-1]['wall_seconds']:.2f} s, {runs[-1]['peak_rss_bytes'] / 2 ** 20:.0f} MiB")
            yard_figures = {"wall_seconds": statistics.median(r["wall_seconds"] for r in runs),
                            "peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs),
                            "user_seconds": statistics.median(r["user_seconds"] for r in runs)}
            with open(os.path.join(work, "yard-0.stdout")) as handle:
                yard = json.load(handle)
        rows_out.append((rows, evidently_figures, yard_figures, evidently, yard))

    lines = [f"Machine: {machine()}", ""]
    lines.append("| rows (ref = cur) x 20 | Evidently s | yard s | faster | Evidently peak RSS | yard peak RSS | memory ratio | same decisions |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---|")
    all_differences = []
    for rows, ev, yd, evidently, yard in rows_out:
        def seconds(figures):
            return f"{figures['wall_seconds']:.2f}" if figures else "-"

        def mib(figures):
            return f"{figures['peak_rss_bytes'] / 2 ** 20:,.0f} MiB" if figures else "-"

        faster = f"{ev['wall_seconds'] / yd['wall_seconds']:.1f}x" if ev and yd else "-"
        memory = f"1/{ev['peak_rss_bytes'] / yd['peak_rss_bytes']:.1f}" if ev and yd else "-"
        decisions = "-"
        if evidently and yard:
            columns, same_test, same_verdict, same_score, same_dataset, differences = compare(yard, evidently)
            decisions = (f"tests {same_test}/{columns}, verdicts {same_verdict}/{columns}, scores {same_score}/{columns}, "
                         f"dataset {'yes' if same_dataset else 'NO'}")
            all_differences += [f"{rows}: {difference}" for difference in differences]
        lines.append(f"| {rows:,} | {seconds(ev)} | {seconds(yd)} | {faster} | {mib(ev)} | {mib(yd)} | {memory} | {decisions} |")
    if all_differences:
        lines += ["", "Differences:"] + [f"- {difference}" for difference in all_differences]
    lines += ["", f"yard: {yard_bin} drift REF CUR --json --quiet (median of {args.yard_runs} runs, max peak RSS); "
              "Evidently: Report([DataDriftPreset()]) after pandas.read_csv, one run; wall time and peak RSS of the whole "
              f"process. {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"]
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(out_dir, "drift.md"), "w") as handle:
        handle.write(text + "\n")
    if all_differences:
        sys.exit(1)


if __name__ == "__main__":
    main()
