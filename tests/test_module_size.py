"""No module of the product is over 500 lines unless a comment at its top says why."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "tasks", "tools", "agent", "prompts", "evals", "slack_app", "api", "taskpilot")
LIMIT = 500


def test_long_modules_say_why_at_their_top() -> None:
    unexplained = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            if len(lines) > LIMIT and not lines[0].startswith("# Over 500 lines: "):
                unexplained.append(f"{path.relative_to(ROOT)} ({len(lines)} lines)")
    assert unexplained == [], (
        "split these modules, or say at their top why they are long "
        "(a first line starting with `# Over 500 lines: `): " + ", ".join(unexplained)
    )
