"""The layer diagram of `docs/architecture.md`, generated from the import contract in
`pyproject.toml` (`[tool.importlinter]`, the first `layers` contract), so that the picture a
newcomer reads is the one `lint-imports` enforces.

`python -m devtools.layers_diagram` rewrites the block between the `layers:begin` and
`layers:end` markers; `--check` exits 1 when the block is out of date (a test runs the check).
"""

from __future__ import annotations

import argparse
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
DOC = ROOT / "docs" / "architecture.md"
_BLOCK = re.compile(r"(<!-- layers:begin -->\n)(.*?)(<!-- layers:end -->)", re.S)


def contract_layers(pyproject: Path = PYPROJECT) -> list[str]:
    """The layers of the first `layers` contract, top first, as import-linter spells them."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    linter = cast("dict[str, Any]", data["tool"]["importlinter"])
    for contract in cast("list[dict[str, Any]]", linter["contracts"]):
        if contract.get("type") == "layers":
            return [str(layer) for layer in contract["layers"]]
    raise ValueError(f"{pyproject} has no layers contract")


def render(layers: Sequence[str]) -> str:
    """The diagram: each layer on a line, an arrow pointing down to the layer it may import."""
    lines = ["```text"]
    for index, layer in enumerate(layers):
        if index:
            lines.append("   ↓")
        lines.append(layer)
    lines.append("```")
    return "\n".join(lines) + "\n"


def current_block(doc: Path = DOC) -> str:
    """The diagram as the document has it now."""
    found = _BLOCK.search(doc.read_text(encoding="utf-8"))
    if found is None:
        raise ValueError(f"{doc} has no <!-- layers:begin --> ... <!-- layers:end --> block")
    return found.group(2)


def write(doc: Path = DOC, pyproject: Path = PYPROJECT) -> None:
    """Rewrite the document's diagram from the contract."""
    text = doc.read_text(encoding="utf-8")
    diagram = render(contract_layers(pyproject))
    doc.write_text(_BLOCK.sub(lambda m: m.group(1) + diagram + m.group(3), text), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the diagram, or with `--check` report whether it is current."""
    parser = argparse.ArgumentParser(prog="python -m devtools.layers_diagram")
    parser.add_argument("--check", action="store_true", help="exit 1 if the diagram is stale")
    args = parser.parse_args(argv)
    if args.check:
        if current_block() != render(contract_layers()):
            print(f"{DOC} is out of date: run `python -m devtools.layers_diagram`")
            return 1
        print("layer diagram up to date")
        return 0
    write()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
