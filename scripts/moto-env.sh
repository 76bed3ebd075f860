#!/usr/bin/env bash
# Creates (idempotently) the Python virtual environment holding moto's standalone server, the local S3
# the S3 tests (Tests/YardTests/S3*.swift, tests/s3) run against; tests/s3/moto.sh starts it.
#
#   scripts/moto-env.sh          -> prints the venv path on stdout (only line)
#
# Environment:
#   YARD_MOTO_VENV   venv location (default: <repo>/.venv-moto)
#   PYTHON           interpreter used to create it (default: python3)
#
# The venv holds exactly the packages pinned in tests/s3/requirements-moto.txt, installed with
# `pip install --no-deps`; scripts/lib/venv.sh says how it is kept current. Only PyPI is needed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/lib/venv.sh"
req="$repo/tests/s3/requirements-moto.txt"

PINNED_MOTO="$(sed -n 's/^moto==\([^[:space:]]*\).*/\1/p' "$req")" || true
export PINNED_MOTO
yard_pinned_venv moto-env "${YARD_MOTO_VENV:-$repo/.venv-moto}" "$req" "" '
import os
import boto3, moto
from moto.server import ThreadedMotoServer  # noqa: F401  (the standalone server must import)
want = os.environ["PINNED_MOTO"]
assert moto.__version__ == want, f"moto {moto.__version__} != pinned {want}"
print(f"[moto-env] moto {moto.__version__}, boto3 {boto3.__version__}")
'
