"""Turn one version of a CustomResourceDefinition into a strict JSON schema for `check_crds.py`.

Reads a CRD YAML file, takes `spec.versions[name=<version>].schema.openAPIV3Schema` and prints
a draft 2020-12 JSON schema that `jsonschema.Draft202012Validator` can check custom resources
against. The conversion follows what the API server does under `kubectl apply --validate=strict`:

* every object schema with `properties` gets `"additionalProperties": false` (unknown fields are
  refused), unless it is marked `x-kubernetes-preserve-unknown-fields: true`;
* `x-kubernetes-int-or-string: true` becomes `anyOf: [{"type": "integer"}, {"type": "string"}]`
  (any `type` beside it is dropped);
* `x-kubernetes-list-type: set` becomes `"uniqueItems": true`; OpenAPI's `nullable: true` lets
  `null` through; the other `x-kubernetes-*` keys are dropped. The dropped ones that the API server
  would enforce (`x-kubernetes-list-type: map` keys unique, `x-kubernetes-validations` CEL rules)
  have no JSON Schema equivalent and are reported on stderr;
* a `pattern` is written for Python's `re`, which `jsonschema` uses: the CRDs carry Go (RE2)
  patterns, and a flag group after the anchor (`^(?i)...`), fine in Go, is an error in Python,
  so it moves to the front (`(?i)^...`). A pattern Python still cannot compile is an error;
* the top-level `apiVersion` and `kind` become `const`s, `apiVersion`, `kind`, `metadata` and
  `spec` are required, and `metadata` gets a permissive schema (`name` required; `namespace`,
  `labels`, `annotations` checked; other keys allowed).

    python deploy/k8s/crd_schema.py [--version v1] <crd.yaml | -> \
        > deploy/k8s/schemas/<kind>-<group>-<version>.json

`schemas/README.md` records where each generated schema's CRD came from.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, TypeAlias, cast

import yaml

Schema: TypeAlias = dict[str, Any]

INT_OR_STRING: list[Schema] = [{"type": "integer"}, {"type": "string"}]
# Keywords whose value is one subschema, a map of subschemas, or a list of subschemas.
SUBSCHEMA = ("items", "additionalProperties", "not")
SUBSCHEMA_MAPS = ("properties", "patternProperties")
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
# Go's `^(?i)rest`: inline flags right after the anchor, which Python wants at the very start.
GO_ANCHORED_FLAGS = re.compile(r"^\^\(\?([ims]+)\)")
METADATA: Schema = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "namespace": {"type": "string", "minLength": 1},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def python_pattern(pattern: str, where: str) -> str:
    """Return `pattern` (a Go RE2 regular expression) in a form Python's `re` compiles."""
    fixed = GO_ANCHORED_FLAGS.sub(r"(?\1)^", pattern)
    try:
        re.compile(fixed)
    except re.error as error:
        raise SystemExit(f"{where}: pattern {pattern!r} is not a Python regex: {error}") from None
    return fixed


def convert(node: Schema, where: str, notes: list[str]) -> Schema:
    """Return the JSON Schema form of one structural-schema node (and, recursively, its children).

    `where` is the node's path in the resource (for `notes`); a note is appended for each
    dropped extension that the API server would enforce but JSON Schema cannot express.
    """
    out: Schema = {}
    for key, value in node.items():
        if key in SUBSCHEMA_MAPS:
            out[key] = {
                name: convert(child, f"{where}.{name}", notes)
                for name, child in cast("dict[str, Schema]", value).items()
            }
        elif key in SUBSCHEMA and isinstance(value, dict):
            out[key] = convert(cast("Schema", value), f"{where}[]", notes)
        elif key in SUBSCHEMA_LISTS:
            out[key] = [convert(child, where, notes) for child in cast("list[Schema]", value)]
        elif key == "x-kubernetes-list-type" and value == "set":
            out["uniqueItems"] = True
        elif key == "x-kubernetes-list-type" and value == "map":
            keys = ", ".join(node.get("x-kubernetes-list-map-keys", []))
            notes.append(f"{where}: items must be unique by ({keys})")
        elif key == "x-kubernetes-validations":
            notes.append(f"{where}: {len(value)} CEL rule(s) in x-kubernetes-validations")
        elif key == "nullable" or key.startswith("x-kubernetes-"):
            continue
        elif key == "pattern":
            out[key] = python_pattern(cast("str", value), where)
        else:
            out[key] = value

    if node.get("x-kubernetes-int-or-string") is True:
        out.pop("type", None)
        other = out.get("anyOf")
        if other is not None and other != INT_OR_STRING:
            out.setdefault("allOf", []).append({"anyOf": other})
        out["anyOf"] = [*INT_OR_STRING]
    if node.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        elif "anyOf" in out:
            out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    if "properties" in out and node.get("x-kubernetes-preserve-unknown-fields") is not True:
        out.setdefault("additionalProperties", False)
    return out


def crd_schema(crd: Schema, version: str) -> tuple[Schema, list[str]]:
    """Return the JSON schema for `version` of `crd`, and the notes on what it cannot check."""
    spec = cast("Schema", crd["spec"])
    group, kind = cast("str", spec["group"]), cast("str", spec["names"]["kind"])
    found = [v for v in cast("list[Schema]", spec["versions"]) if v.get("name") == version]
    if not found:
        raise SystemExit(f"{crd['metadata']['name']}: no version {version!r} in spec.versions")
    notes: list[str] = []
    schema = convert(cast("Schema", found[0]["schema"]["openAPIV3Schema"]), kind, notes)

    properties = cast("Schema", schema.setdefault("properties", {}))
    properties["apiVersion"] = {"const": f"{group}/{version}"}
    properties["kind"] = {"const": kind}
    properties["metadata"] = METADATA
    required = ["apiVersion", "kind", "metadata", "spec"]
    required += [r for r in cast("list[str]", schema.get("required", [])) if r not in required]
    schema["required"] = required

    name = crd["metadata"]["name"]
    title = f"{kind} {group}/{version} (from the {name} CRD; unknown fields refused)"
    comment = (
        "Generated by deploy/k8s/crd_schema.py; do not edit by hand. "
        "deploy/k8s/schemas/README.md says where the CRD came from."
    )
    if notes:
        comment += " Not checked: " + "; ".join(notes) + "."
    header: Schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "$comment": comment,
    }
    return {**header, **schema}, notes


def load_crd(path: Path) -> Schema:
    """Return the single CustomResourceDefinition in the YAML file at `path` (`-`: stdin)."""
    text = sys.stdin.read() if str(path) == "-" else path.read_text()
    documents = [d for d in yaml.safe_load_all(text) if d]
    crds = [d for d in documents if d.get("kind") == "CustomResourceDefinition"]
    if len(crds) != 1:
        raise SystemExit(f"{path}: expected one CustomResourceDefinition, found {len(crds)}")
    return cast("Schema", crds[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("crd", type=Path, help="CustomResourceDefinition YAML file, or - for stdin")
    parser.add_argument("--version", default="v1", help="CRD version to convert (default: v1)")
    args = parser.parse_args()
    schema, notes = crd_schema(load_crd(args.crd), args.version)
    for note in notes:
        print(f"not checked: {note}", file=sys.stderr)
    json.dump(schema, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
