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
# test venv's site-packages after its own, so mlflow is not installed twice. Its stamp also covers the
# test venv's own stamp, so rebuilding that one rebuilds this one (scripts/lib/venv.sh).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/lib/venv.sh"

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

# A .pth line is appended to sys.path after the venv's own site-packages, so selenium's pins win.
layer_on_test_venv() {
    local own_site base_site
    own_site="$("$1/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    base_site="$("$test_venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    printf '%s\n' "$base_site" >"$own_site/yard-test-venv.pth"
}

yard_pinned_venv browser-env "${YARD_BROWSER_VENV:-$repo/.venv-browser}" "$repo/tests/web/requirements.txt" \
    "base=$test_venv
$(cat "$test_venv/.yard-env-stamp")" '
import subprocess
import mlflow, pytest, requests, selenium
from selenium.webdriver.chrome.options import Options  # noqa: F401
print(f"[browser-env] selenium {selenium.__version__}, mlflow {mlflow.__version__}, pytest {pytest.__version__}")
print(subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True).stdout.strip())
' layer_on_test_venv
