#!/usr/bin/env bash
# Creates (idempotently) the Python virtual environment holding Evidently, the reference the drift
# parity tests (tests/monitoring) and the drift benchmark (bench/drift) compare `yard drift` with.
# It is separate from the test venv (scripts/python-env.sh) because Evidently 0.7 needs pandas 2.
#
#   scripts/evidently-env.sh          -> prints the venv path on stdout (only line)
#
# Environment:
#   YARD_EVIDENTLY_VENV   venv location (default: <repo>/.venv-evidently)
#   PYTHON                interpreter used to create it (default: python3)
#
# The venv holds exactly the packages pinned in tests/monitoring/requirements-evidently.txt, installed
# with `pip install --no-deps`. A stamp inside the venv records the sha256 of that file and the
# interpreter version; when both match the script returns at once, otherwise it rebuilds from scratch.
# Only PyPI is needed. Progress goes to stderr.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${YARD_EVIDENTLY_VENV:-$repo/.venv-evidently}"
req="$repo/tests/monitoring/requirements-evidently.txt"
python="${PYTHON:-python3}"

log() { printf '[evidently-env] %s\n' "$*" >&2; }

[[ -f "$req" ]] || { log "missing $req"; exit 1; }
command -v "$python" >/dev/null 2>&1 || { log "interpreter '$python' not found"; exit 1; }

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

# The parity suite and the benchmark may start together: one builds, the other waits.
lock="${TMPDIR:-/tmp}/yard-evidently-env.$(printf '%s' "$venv" | sha256sum | cut -c1-16).lock"
exec 9>"$lock"
flock 9

if is_current; then
    echo "$venv"
    exit 0
fi

start=$SECONDS
log "creating $venv with $python ($py_version)"
rm -rf "$venv"
"$python" -m venv "$venv"
printf '*\n' >"$venv/.gitignore"

log "installing pinned packages from ${req#$repo/}"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-deps --no-input -r "$req" >&2

pinned="$(sed -n 's/^evidently==\([^[:space:]]*\).*/\1/p' "$req")"
PINNED_EVIDENTLY="$pinned" PYTHONWARNINGS=ignore "$venv/bin/python" - >&2 <<'EOF'
import os
import evidently, numpy, pandas, scipy
from evidently import Report  # noqa: F401
from evidently.presets import DataDriftPreset  # noqa: F401
want = os.environ["PINNED_EVIDENTLY"]
assert evidently.__version__ == want, f"evidently {evidently.__version__} != pinned {want}"
print(f"[evidently-env] evidently {evidently.__version__}, pandas {pandas.__version__}, "
      f"numpy {numpy.__version__}, scipy {scipy.__version__}")
EOF

echo "$want" >"$stamp"
log "ready in $((SECONDS - start))s"
echo "$venv"
