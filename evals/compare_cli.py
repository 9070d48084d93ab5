"""`taskpilot eval compare BASE.json NEW.json`: what regressed between two eval reports.

Prints the comparison (see `evals.compare`) and, with `--markdown-out`, writes it as Markdown
for a PR comment. Exit codes: 0 when nothing regressed, 1 when a case that passed in BASE
fails in NEW, 2 when a report is missing or is not a `taskpilot-eval-report/v1` JSON file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Final, cast

import typer
from rich.console import Console

from evals.compare import compare_reports, comparison_exit_code, format_comparison

EXIT_BAD_REPORT: Final = 2
SCHEMA_PREFIX: Final = "taskpilot-eval-report/"


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_REPORT)


def load_report(path: Path, role: str) -> Mapping[str, Any]:
    """Read a JSON report, raising `typer.Exit(2)` with a clear message when it is unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(f"the {role} report {path} does not exist") from None
    except IsADirectoryError:
        raise _fail(f"the {role} report {path} is a directory, not a JSON file") from None
    except UnicodeDecodeError:
        raise _fail(f"the {role} report {path} is not UTF-8 text") from None
    except OSError as error:
        raise _fail(f"cannot read the {role} report {path}: {error.strerror}") from None
    try:
        data: object = json.loads(text)
    except json.JSONDecodeError as error:
        raise _fail(f"the {role} report {path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise _fail(f"the {role} report {path} is not a JSON object")
    report = cast("dict[str, Any]", data)
    schema = report.get("schema")
    if schema is not None and not str(schema).startswith(SCHEMA_PREFIX):
        raise _fail(
            f"the {role} report {path} has schema {schema!r}, not {SCHEMA_PREFIX}v1 "
            "(write it with `taskpilot eval run --json-out`)"
        )
    if not isinstance(report.get("cases"), list):
        raise _fail(f"the {role} report {path} has no list of cases; is it an eval report?")
    return report


def compare(
    base: Annotated[Path, typer.Argument(help="The report to compare against (JSON, --json-out).")],
    new: Annotated[Path, typer.Argument(help="The new report (JSON, --json-out).")],
    markdown_out: Annotated[
        Path | None,
        typer.Option("--markdown-out", help="Also write the comparison here as Markdown."),
    ] = None,
) -> None:
    """Compare two eval reports: list regressed, improved and still-failing cases.

    Exits 1 when a case that passed in BASE fails in NEW.
    """
    comparison = compare_reports(load_report(base, "base"), load_report(new, "new"))
    text = format_comparison(comparison)
    console = Console()
    console.print(text, markup=False, highlight=False, soft_wrap=True, end="")
    if markdown_out is not None:
        markdown_out.parent.mkdir(parents=True, exist_ok=True)
        markdown_out.write_text(text, encoding="utf-8")
        console.print(f"Comparison written to {markdown_out}", markup=False, highlight=False)
    code = comparison_exit_code(comparison)
    if code:
        raise typer.Exit(code)
