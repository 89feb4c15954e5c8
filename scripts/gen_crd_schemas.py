"""The Istio and Gateway API CRDs' own OpenAPI schemas, for the stand-in's ``/openapi/v3`` documents.

    python scripts/gen_crd_schemas.py [--istio GIT_DIR] [--rev REV]

A real cluster publishes each CRD's ``openAPIV3Schema`` in its group-version's OpenAPI document, and
``kubectl explain peerauthentications.spec.mtls`` walks it.  This reads the CRDs Istio ships
(``manifests/charts/base/files/crd-all.gen.yaml``) and the Gateway API CRDs its tests install
(``tests/integration/pilot/testdata/gateway-api-crd.yaml``) from a bare mirror of istio/istio, keeps the schema of
every group/version/kind the stand-in serves, and writes them as gzipped JSON to
``meshtail/demo/data/crd_schemas.json.gz`` (a few hundred kilobytes of YAML per kind and version compress well).
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from meshtail.demo.resources import MESH_TYPES  # noqa: E402

MIRROR = "/work/.mirror/istio+istio/repo"
FILES = ("manifests/charts/base/files/crd-all.gen.yaml", "tests/integration/pilot/testdata/gateway-api-crd.yaml")
OUTPUT = ROOT / "meshtail" / "demo" / "data" / "crd_schemas.json.gz"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--istio", default=MIRROR, help="a git directory of istio/istio")
    parser.add_argument("--rev", default="HEAD")
    args = parser.parse_args(argv)
    served = {(t.group, version, t.kind) for t in MESH_TYPES for version in t.versions}
    schemas: dict[str, object] = {}
    for name in FILES:
        text = subprocess.run(
            ["git", "--git-dir", args.istio, "show", f"{args.rev}:{name}"], capture_output=True, check=True, text=True
        ).stdout
        for doc in yaml.safe_load_all(text):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec.get("versions", ()):
                key = (spec["group"], version["name"], spec["names"]["kind"])
                schema = (version.get("schema") or {}).get("openAPIV3Schema")
                if key in served and schema:
                    schemas["/".join(key)] = schema
    missing = sorted("/".join(key) for key in served if "/".join(key) not in schemas)
    if missing:
        print(f"no schema in the CRDs for: {', '.join(missing)}", file=sys.stderr)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(dict(sorted(schemas.items())), separators=(",", ":"), sort_keys=True).encode()
    OUTPUT.write_bytes(gzip.compress(data, mtime=0))
    size = OUTPUT.stat().st_size
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(schemas)} schemas, {len(data)} bytes, {size} gzipped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
