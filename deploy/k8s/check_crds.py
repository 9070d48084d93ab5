"""Check the custom resources in rendered manifests, which Kubernetes schema validators skip.

`kubernetes-validate` (and kubeconform) know only the built-in kinds. This script reads the
output of `kubectl kustomize deploy/k8s/overlays/<env>` on stdin and checks every custom
resource against a JSON schema in `schemas/`, unknown fields refused: a hand-written strict
subset of the External Secrets Operator's `external-secrets.io/v1` CRDs, and the Prometheus
Operator's `monitoring.coreos.com/v1` CRDs converted by `crd_schema.py` (`schemas/README.md`
says where each comes from). A custom kind without a schema here is an error, so a new CRD
cannot slip through unchecked.

    kubectl kustomize deploy/k8s/overlays/staging | python deploy/k8s/check_crds.py

Needs PyYAML and jsonschema (both come with `kubernetes-validate`). Exit status 0 when every
custom resource passes, 1 otherwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import yaml

SCHEMAS = Path(__file__).parent / "schemas"
# API groups served by Kubernetes itself; kubernetes-validate checks these.
BUILT_IN_GROUPS = {
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
}


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def _schema_path(api_version: str, kind: str) -> Path:
    group, _, version = api_version.rpartition("/")
    return SCHEMAS / f"{kind.lower()}-{group}-{version}.json"


def check(documents: list[dict]) -> list[str]:
    errors: list[str] = []
    for doc in documents:
        api_version, kind = doc.get("apiVersion", ""), doc.get("kind", "")
        if _group(api_version) in BUILT_IN_GROUPS:
            continue
        name = f"{kind}/{doc.get('metadata', {}).get('name', '?')} ({api_version})"
        path = _schema_path(api_version, kind)
        if not path.is_file():
            errors.append(f"{name}: no schema at {path.relative_to(SCHEMAS.parent)}")
            continue
        validator = jsonschema.Draft202012Validator(json.loads(path.read_text()))
        found = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
        for error in found:
            where = ".".join(str(p) for p in error.absolute_path) or "(root)"
            errors.append(f"{name}: {where}: {error.message}")
        if not found:
            print(f"passed: {name}")
    return errors


def main() -> int:
    documents = [d for d in yaml.safe_load_all(sys.stdin) if d]
    errors = check(documents)
    for line in errors:
        print(f"ERROR: {line}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
