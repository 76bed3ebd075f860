#!/usr/bin/env bash
# Creates (idempotently) the Python virtual environment used by the MLflow
# compatibility suite (tests/compat) and the tracking benchmark (bench/tracking).
#
#   scripts/python-env.sh            -> prints the venv path on stdout (only line)
#
# Environment:
#   YARD_TEST_VENV   venv location (default: <repo>/.venv-test)
#   PYTHON           interpreter used to create it (default: python3)
#
# The venv holds exactly the packages pinned in tests/compat/requirements.txt, installed with
# `pip install --no-deps` (see that file for why); scripts/lib/venv.sh says how it is kept current.
# Only PyPI is needed (no GitHub, no other index). Progress goes to stderr.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/lib/venv.sh"
req="$repo/tests/compat/requirements.txt"

PINNED_MLFLOW="$(sed -n 's/^mlflow==\([^[:space:]]*\).*/\1/p' "$req")" || true
export PINNED_MLFLOW
yard_pinned_venv python-env "${YARD_TEST_VENV:-$repo/.venv-test}" "$req" "" '
import os
import mlflow, pytest, requests
import mlflow.server.fastapi_app  # noqa: F401  (the reference server must import too)
want = os.environ["PINNED_MLFLOW"]
assert mlflow.__version__ == want, f"mlflow {mlflow.__version__} != pinned {want}"
print(f"[python-env] mlflow {mlflow.__version__}, pytest {pytest.__version__}, requests {requests.__version__}")
'
