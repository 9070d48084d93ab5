"""The pre-commit hooks run what `make lint` and `make typecheck` run, and nothing is missed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _make_commands(*targets: str) -> set[str]:
    """The `uv run --frozen ...` lines of the Makefile's targets, as commands."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    commands: set[str] = set()
    for target in targets:
        body = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", text, re.M)
        assert body is not None, f"no `{target}` target in the Makefile"
        for line in body.group(1).splitlines():
            found = re.search(r"\$\(UV\) run --frozen (.+)$", line.strip())
            if found:
                commands.add(found.group(1).strip())
    return commands


def _hook_commands() -> set[str]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = cast("list[dict[str, Any]]", config["repos"][0]["hooks"])
    entries = {str(hook["entry"]).removeprefix("uv run --frozen ") for hook in hooks}
    return {entry.replace(" --force-exclude", "") for entry in entries}


def test_every_lint_and_type_check_of_make_test_is_a_pre_commit_hook() -> None:
    commands = _make_commands("lint", "typecheck")
    assert {"ruff check .", "pyright", "lint-imports", "vulture"} <= commands
    # Hooks get the changed files as arguments where that makes sense, in place of `.`.
    assert {command.removesuffix(" .") for command in commands} == _hook_commands()


def test_the_pre_commit_config_is_valid() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
