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
# The venv holds exactly the packages pinned in tests/compat/requirements.txt,
# installed with `pip install --no-deps` (see that file for why).  A stamp file
# inside the venv records the sha256 of the requirements file and the
# interpreter version; when both match, the script returns at once.  When they
# differ the venv is rebuilt from scratch (so no stale package lingers).
# Only PyPI is needed (no GitHub, no other index). Progress goes to stderr.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${YARD_TEST_VENV:-$repo/.venv-test}"
req="$repo/tests/compat/requirements.txt"
python="${PYTHON:-python3}"

log() { printf '[python-env] %s\n' "$*" >&2; }

if [[ ! -f "$req" ]]; then
    log "missing $req"
    exit 1
fi
if ! command -v "$python" >/dev/null 2>&1; then
    log "interpreter '$python' not found"
    exit 1
fi

py_version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
want="$( { sha256sum "$req" | cut -d' ' -f1; echo "python=$py_version"; } | sha256sum | cut -d' ' -f1)"
stamp="$venv/.yard-env-stamp"

is_current() {
    [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]
}

if is_current; then
    echo "$venv"
    exit 0
fi

# Serialise concurrent callers (e.g. the suite and the benchmark started together).
lock="${TMPDIR:-/tmp}/yard-python-env.$(printf '%s' "$venv" | sha256sum | cut -c1-16).lock"
exec 9>"$lock"
flock 9

if is_current; then   # another caller finished it while we waited
    echo "$venv"
    exit 0
fi

start=$SECONDS
log "creating $venv with $python ($py_version)"
rm -rf "$venv"
"$python" -m venv "$venv"
# Keep the venv out of git without touching the repository's .gitignore.
printf '*\n' >"$venv/.gitignore"

log "installing pinned packages from ${req#$repo/}"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-deps --no-input -r "$req" >&2

# Fail early (and leave no stamp) if the environment is not usable.
pinned_mlflow="$(sed -n 's/^mlflow==\([^[:space:]]*\).*/\1/p' "$req")"
PINNED_MLFLOW="$pinned_mlflow" PYTHONWARNINGS=ignore "$venv/bin/python" - >&2 <<'EOF'
import os
import mlflow, pytest, requests
import mlflow.server.fastapi_app  # noqa: F401  (the reference server must import too)
want = os.environ["PINNED_MLFLOW"]
assert mlflow.__version__ == want, f"mlflow {mlflow.__version__} != pinned {want}"
print(f"[python-env] mlflow {mlflow.__version__}, pytest {pytest.__version__}, requests {requests.__version__}")
EOF

echo "$want" >"$stamp"
log "ready in $((SECONDS - start))s"
echo "$venv"
