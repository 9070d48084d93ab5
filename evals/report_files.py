"""Write the Markdown and HTML eval reports to files.

Both writers take the `taskpilot-eval-report/v1` dict (`evals.report.report_json`) or an
`EvalReport`, create the folder, and return the path written.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.report_html import html_report
from evals.report_markdown import markdown_report

if TYPE_CHECKING:
    from evals.report import EvalReport


def _as_json(report: Mapping[str, Any] | EvalReport) -> Mapping[str, Any]:
    if isinstance(report, Mapping):
        return report
    from evals.report import report_json

    return report_json(report)


def _write(text: str, path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def write_markdown(report: Mapping[str, Any] | EvalReport, path: str | Path) -> Path:
    """Write the Markdown report (for a PR comment) and return where it went."""
    return _write(markdown_report(_as_json(report)), path)


def write_html(report: Mapping[str, Any] | EvalReport, path: str | Path) -> Path:
    """Write the self-contained HTML report and return where it went."""
    return _write(html_report(_as_json(report)), path)
