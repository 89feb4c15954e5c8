"""A client-go exec credential plugin for the demo: prints the token currently in a file.

Used when the demo rotates its bearer token (``--faults token=30s``): the old token stops
working (401), the client re-runs this plugin and gets the new one, as with a real
cloud provider's short-lived tokens.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m meshtail.demo.credential TOKEN_FILE", file=sys.stderr)
        return 2
    token = Path(sys.argv[1]).read_text("utf-8").strip()
    json.dump(
        {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {"token": token}},
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
