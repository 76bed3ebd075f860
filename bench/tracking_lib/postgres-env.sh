#!/usr/bin/env bash
# Creates (idempotently) the venv of the tracking benchmarks' --postgres mode: the compat suite's pinned
# packages plus psycopg2 (requirements-postgres.txt), in its own venv so that the test venv stays as CI
# builds it. Prints the venv path on stdout (only line); progress on stderr.
#
# Environment: YARD_BENCH_PG_VENV (default <repo>/.venv-bench-pg), PYTHON (default python3).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$repo/scripts/lib/venv.sh"
# The nested requirements file is part of what this venv holds: its hash joins the stamp.
compat_stamp="compat=$(sha256sum "$repo/tests/compat/requirements.txt" | cut -d' ' -f1)"
yard_pinned_venv bench-pg-env "${YARD_BENCH_PG_VENV:-$repo/.venv-bench-pg}" \
    "$repo/bench/tracking_lib/requirements-postgres.txt" "$compat_stamp" '
import mlflow, psycopg2, requests
import mlflow.server.fastapi_app  # noqa: F401  (the reference server must import too)
print(f"[bench-pg-env] mlflow {mlflow.__version__}, psycopg2 {psycopg2.__version__}")
'
