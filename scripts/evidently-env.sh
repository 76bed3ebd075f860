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
# with `pip install --no-deps`; scripts/lib/venv.sh says how it is kept current. Only PyPI is needed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/lib/venv.sh"
req="$repo/tests/monitoring/requirements-evidently.txt"

PINNED_EVIDENTLY="$(sed -n 's/^evidently==\([^[:space:]]*\).*/\1/p' "$req")" || true
export PINNED_EVIDENTLY
yard_pinned_venv evidently-env "${YARD_EVIDENTLY_VENV:-$repo/.venv-evidently}" "$req" "" '
import os
import evidently, numpy, pandas, scipy
from evidently import Report  # noqa: F401
from evidently.presets import DataDriftPreset  # noqa: F401
want = os.environ["PINNED_EVIDENTLY"]
assert evidently.__version__ == want, f"evidently {evidently.__version__} != pinned {want}"
print(f"[evidently-env] evidently {evidently.__version__}, pandas {pandas.__version__}, "
      f"numpy {numpy.__version__}, scipy {scipy.__version__}")
'
