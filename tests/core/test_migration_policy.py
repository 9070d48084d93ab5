"""Migrations only expand, so that the previous release runs on the schema they leave.

From revision 0007 on, a migration's `upgrade()` may add tables, nullable columns (or columns
with a server default), indexes and constraints the previous release's writes satisfy. It may
not drop or rename a table or column, nor make a column NOT NULL without a default: the
previous release, still serving during a rolling deployment or brought back by a rollback,
would break. A migration that must contract says so with a module-level `CONTRACT` naming the
release since which no code reads what it removes (docs/deployment.md, "Expand, then
contract"); it then needs a deployment that waits for that release to be gone.

`tests/deploy/test_previous_release.py` runs the previous release's code on the migrated
schema; this test catches a contracting migration before that, from its source.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.db import MIGRATIONS_DIR

# Revisions before this one were written before the rule.
EXPAND_ONLY_FROM = "0007"
_DROPS = {"drop_column", "drop_table", "rename_table"}


def contractions(source: str) -> list[str]:
    """What `upgrade()` in a migration's source does that the previous release cannot live
    with; empty when it only expands or declares `CONTRACT`."""
    tree = ast.parse(source)
    declared = any(
        isinstance(node, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == "CONTRACT" for target in node.targets)
        for node in tree.body
    )
    upgrade = next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name == "upgrade"
        ),
        None,
    )
    if declared or upgrade is None:
        return []
    found: list[str] = []
    for node in ast.walk(upgrade):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        if name in _DROPS:
            found.append(f"line {node.lineno}: {name}")
        elif name == "alter_column":
            if "new_column_name" in keywords:
                found.append(f"line {node.lineno}: alter_column renames a column")
            nullable = keywords.get("nullable")
            if isinstance(nullable, ast.Constant) and nullable.value is False:
                found.append(f"line {node.lineno}: alter_column makes a column NOT NULL")
        elif name == "add_column":
            column = node.args[-1] if node.args else None
            if isinstance(column, ast.Call):
                inner = {keyword.arg: keyword.value for keyword in column.keywords}
                nullable = inner.get("nullable")
                not_null = isinstance(nullable, ast.Constant) and nullable.value is False
                if not_null and "server_default" not in inner:
                    found.append(
                        f"line {node.lineno}: add_column adds a NOT NULL column without a "
                        "server_default, which the previous release's inserts lack"
                    )
    return found


def _migrations() -> list[Path]:
    return sorted(
        path
        for path in MIGRATIONS_DIR.joinpath("versions").glob("[0-9]*.py")
        if path.name[:4] >= EXPAND_ONLY_FROM
    )


@pytest.mark.parametrize("path", _migrations(), ids=lambda path: path.name)
def test_each_migration_only_expands(path: Path) -> None:
    assert contractions(path.read_text()) == []


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('op.drop_column("tasks", "description")', "drop_column"),
        ('op.drop_table("api_keys")', "drop_table"),
        ('op.alter_column("tasks", "title", new_column_name="name")', "renames a column"),
        ('op.alter_column("tasks", "due_tz", nullable=False)', "makes a column NOT NULL"),
        (
            'batch.add_column(sa.Column("weight", sa.Integer(), nullable=False))',
            "without a server_default",
        ),
    ],
    ids=["drop-column", "drop-table", "rename", "not-null", "not-null-column-without-default"],
)
def test_a_contracting_migration_is_caught(body: str, says: str) -> None:
    source = f"def upgrade() -> None:\n    {body}\n"
    [problem] = contractions(source)
    assert says in problem


def test_expanding_and_declared_contractions_pass() -> None:
    expanding = (
        "def upgrade() -> None:\n"
        '    batch.add_column(sa.Column("weight", sa.Integer(), nullable=True))\n'
        '    batch.add_column(sa.Column("rank", sa.Integer(), nullable=False, server_default="0"))'
        "\n"
        '    op.create_index("ix_tasks_weight", "tasks", ["weight"])\n'
    )
    assert contractions(expanding) == []
    declared = 'CONTRACT = "since 1.4.0 no code reads tasks.legacy"\n' + (
        'def upgrade() -> None:\n    op.drop_column("tasks", "legacy")\n'
    )
    assert contractions(declared) == []
