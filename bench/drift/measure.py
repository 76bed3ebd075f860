"""Runs one command and reports its wall time and peak resident memory.

    python measure.py OUT.json -- command args...

Peak RSS is the child's ru_maxrss from wait4(2), the figure `/usr/bin/time -v` prints as "Maximum
resident set size" (Linux reports it in KiB). The command's stdout and stderr go to OUT.json's
neighbours OUT.stdout / OUT.stderr. Exit code: the command's.
"""
import json
import os
import subprocess
import sys
import time


def measure(command, stdout_path, stderr_path):
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return {"command": command, "exit_code": process.returncode, "wall_seconds": wall,
            "peak_rss_bytes": usage.ru_maxrss * 1024, "user_seconds": usage.ru_utime, "system_seconds": usage.ru_stime}


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    out = sys.argv[1]
    base = out[:-5] if out.endswith(".json") else out
    result = measure(sys.argv[3:], base + ".stdout", base + ".stderr")
    with open(out, "w") as handle:
        json.dump(result, handle, indent=1)
    sys.exit(result["exit_code"])


if __name__ == "__main__":
    main()
