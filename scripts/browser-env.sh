#!/usr/bin/env bash
# Makes (idempotently) what the browser suite (tests/web) and the web UI benchmark (bench/web) need:
# Debian's headless Chromium and its driver, and a Python venv with selenium that also sees the test venv
# of scripts/python-env.sh (mlflow, scikit-learn, requests, pytest).
#
#   scripts/browser-env.sh            -> prints the venv path on stdout (only line)
#
# Environment:
#   YARD_BROWSER_VENV   venv location (default: <repo>/.venv-browser)
#   YARD_TEST_VENV      the test venv it layers on (default: <repo>/.venv-test, see python-env.sh)
#   PYTHON              interpreter used to create it (default: python3)
#
# Chromium: `chromium` and `chromium-driver` from Debian (/usr/bin/chromium, /usr/bin/chromedriver) are
# installed with apt-get when either is missing (CI runs as root on a fresh machine); nothing downloads a
# browser or driver of its own.
#
# The venv holds exactly tests/web/requirements.txt (`pip install --no-deps`) plus a .pth file that puts the
# test venv's site-packages after its own, so mlflow is not installed twice. A stamp records the sha256 of
# the requirements, the interpreter version and the test venv's own stamp; when they match the script
# returns at once, otherwise the venv is rebuilt from scratch. Progress goes to stderr.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${YARD_BROWSER_VENV:-$repo/.venv-browser}"
req="$repo/tests/web/requirements.txt"
python="${PYTHON:-python3}"

log() { printf '[browser-env] %s\n' "$*" >&2; }

if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
    if [[ "$(id -u)" != 0 ]]; then
        log "Chromium is missing: run 'apt-get install chromium chromium-driver' as root"
        exit 1
    fi
    log "installing Debian's chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y --no-install-recommends chromium chromium-driver >&2
fi

test_venv="$("$repo/scripts/python-env.sh")"

[[ -f "$req" ]] || { log "missing $req"; exit 1; }
py_version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
want="$( { sha256sum "$req" | cut -d' ' -f1; echo "python=$py_version"; echo "base=$test_venv";
           cat "$test_venv/.yard-env-stamp"; } | sha256sum | cut -d' ' -f1)"
stamp="$venv/.yard-env-stamp"

is_current() {
    [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]
}

if is_current; then
    echo "$venv"
    exit 0
fi

# The suite and the benchmark may start together: one builds, the other waits.
lock="${TMPDIR:-/tmp}/yard-browser-env.$(printf '%s' "$venv" | sha256sum | cut -c1-16).lock"
exec 9>"$lock"
flock 9

if is_current; then
    echo "$venv"
    exit 0
fi

start=$SECONDS
log "creating $venv with $python ($py_version), layered on $test_venv"
rm -rf "$venv"
"$python" -m venv "$venv"
printf '*\n' >"$venv/.gitignore"

own_site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
base_site="$("$test_venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
# A .pth line is appended to sys.path after the venv's own site-packages, so selenium's pins win.
printf '%s\n' "$base_site" >"$own_site/yard-test-venv.pth"

log "installing pinned packages from ${req#$repo/}"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-deps --no-input -r "$req" >&2

# Fail early (and leave no stamp) if the environment is not usable.
PYTHONWARNINGS=ignore "$venv/bin/python" - >&2 <<'EOF'
import mlflow, pytest, requests, selenium
from selenium.webdriver.chrome.options import Options  # noqa: F401
print(f"[browser-env] selenium {selenium.__version__}, mlflow {mlflow.__version__}, pytest {pytest.__version__}")
EOF
/usr/bin/chromium --version >&2

echo "$want" >"$stamp"
log "ready in $((SECONDS - start))s"
echo "$venv"
