"""docs/architecture.md shows the layers the import contract enforces."""

from __future__ import annotations

from pathlib import Path

from devtools.layers_diagram import contract_layers, current_block, main, render


def test_the_documented_layers_are_the_enforced_ones() -> None:
    assert main(["--check"]) == 0
    assert current_block() == render(contract_layers())


def test_a_changed_contract_makes_the_diagram_stale(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[tool.importlinter]\nroot_packages = ["a", "b"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "x"\ntype = "layers"\nlayers = ["b", "a"]\n',
        encoding="utf-8",
    )
    assert contract_layers(pyproject) == ["b", "a"]
    assert render(contract_layers(pyproject)) != current_block()
    assert render(["b", "a"]) == "```text\nb\n   ↓\na\n```\n"
