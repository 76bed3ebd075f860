"""Fixtures for the monitoring suite (tests/monitoring/run sets the environment).

YARD_BIN               the yard binary (default <repo>/.build/debug/yard)
YARD_EVIDENTLY_PYTHON  python of the Evidently venv (default: made by scripts/evidently-env.sh on first use)
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))


@pytest.fixture(scope="session")
def yard_bin():
    path = os.environ.get("YARD_BIN") or str(REPO / ".build" / "debug" / "yard")
    if not os.access(path, os.X_OK):
        pytest.fail(f"yard binary not found at {path} (build it with `swift build --product yard`)")
    return path


@pytest.fixture(scope="session")
def run_yard(yard_bin):
    """run_yard(*args) -> CompletedProcess (text, captured, never raises for a non-zero exit)."""

    def run(*args, timeout=300):
        return subprocess.run([yard_bin, *map(str, args)], capture_output=True, text=True, timeout=timeout)

    return run


@pytest.fixture(scope="session")
def yard_json(run_yard):
    """yard_json(*args) -> the parsed stdout of a command that must succeed."""

    def run(*args):
        result = run_yard(*args)
        assert result.returncode == 0, f"yard {' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr}"
        return json.loads(result.stdout)

    return run


@pytest.fixture(scope="session")
def evidently_python():
    path = os.environ.get("YARD_EVIDENTLY_PYTHON")
    if not path:
        venv = subprocess.run([str(REPO / "scripts" / "evidently-env.sh")], check=True, capture_output=True,
                              text=True).stdout.strip()
        path = os.path.join(venv, "bin", "python")
    return path


@pytest.fixture(scope="session")
def evidently_drift(evidently_python):
    """evidently_drift(ref_csv, cur_csv, out_json) -> Evidently's verdicts (see evidently_drift.py)."""

    def run(reference, current, out):
        result = subprocess.run([evidently_python, str(HERE / "evidently_drift.py"), str(reference), str(current),
                                 "--out", str(out)], capture_output=True, text=True, timeout=600,
                                env={**os.environ, "PYTHONWARNINGS": "ignore"})
        assert result.returncode == 0, f"Evidently failed:\n{result.stderr[-4000:]}"
        with open(out) as handle:
            return json.load(handle)

    return run
