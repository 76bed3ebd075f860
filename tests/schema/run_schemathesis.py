"""Drive schemathesis against a fresh `yard server` (see tests/schema/run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "compat"))
from servers import launch  # noqa: E402  (shared launcher: free port, fresh data dir, /health wait)

# The checks the issue asks for: no server errors, and every answer matches the documented schema.
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
])


def main() -> int:
    examples = os.environ.get("YARD_SCHEMA_EXAMPLES", "100")
    server = launch("yard", prefix="yard-schema-")
    try:
        command = [
            str(Path(sys.executable).parent / "st"), "run", f"{server.url}/api/v1/openapi.json",
            "--url", server.url,
            "--checks", CHECKS,
            "--max-examples", examples,
            "--phases", "examples,coverage,fuzzing",
            "--seed", os.environ.get("YARD_SCHEMA_SEED", "20261203"),
            "--request-timeout", "30",
            "--suppress-health-check", "too_slow,filter_too_much",
        ] + sys.argv[1:]
        print("[schema]", " ".join(command), flush=True)
        code = subprocess.call(command, env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
        if code != 0:
            print("--- server log tail ---\n" + server.log_tail(), flush=True)
        return code
    finally:
        server.stop()
        server.cleanup()


if __name__ == "__main__":
    sys.exit(main())
