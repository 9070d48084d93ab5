# pyright: strict
"""The Markdown eval report, built from small literal `taskpilot-eval-report/v1` dicts."""

from __future__ import annotations

from typing import Any

from evals.report_markdown import markdown_report


def case(
    case_id: str,
    category: str,
    *,
    passed: bool,
    model: str = "offline",
    prompt: str | None = "v1",
    failures: list[str] | None = None,
    expected: list[dict[str, Any]] | None = None,
    actual: list[dict[str, Any]] | None = None,
    replies: list[str] | None = None,
    repeat: int = 1,
) -> dict[str, Any]:
    """One run of a case, as the JSON report has it."""
    return {
        "id": case_id,
        "dataset": "fixture",
        "category": category,
        "model": model,
        "prompt_version": prompt,
        "repeat": repeat,
        "passed": passed,
        "failures": failures or ([] if passed else ["call 1: something differs"]),
        "error": None,
        "checks": [],
        "calls": {"expected": expected, "actual": actual or []},
        "replies": replies or [],
        "model_requests": 1,
        "latency_s": 0.01,
    }


def _stats(runs: list[dict[str, Any]]) -> dict[str, Any]:
    passed = sum(1 for run in runs if run["passed"])
    return {"runs": len(runs), "passed": passed, "pass_rate": round(passed / len(runs), 4)}


def _categories(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = sorted({run["category"] for run in runs})
    return [
        {"category": name, **_stats([run for run in runs if run["category"] == name])}
        for name in names
    ]


def report_of(cases: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A whole report around `cases`, with the summaries worked out the way the writer does."""
    keys = list(dict.fromkeys((run["model"], run["prompt_version"]) for run in cases))
    stats = _stats(cases)
    return {
        "schema": "taskpilot-eval-report/v1",
        "started_at": "2026-11-25T15:00:00+00:00",
        "finished_at": "2026-11-25T15:00:04+00:00",
        "duration_s": 4.2,
        "datasets": [{"name": "fixture", "path": "evals/fixture.yaml", "cases": len(cases)}],
        "models": list(dict.fromkeys(model for model, _ in keys)),
        "prompt_versions": list(dict.fromkeys(version for _, version in keys)),
        "repeat": 1,
        "summary": {**stats, "failed": stats["runs"] - stats["passed"]},
        "categories": _categories(cases),
        "variants": [
            {
                "model": model,
                "prompt_version": version,
                **_stats(runs),
                "categories": _categories(runs),
            }
            for model, version in keys
            for runs in [
                [run for run in cases if (run["model"], run["prompt_version"]) == (model, version)]
            ]
        ],
        "cases": cases,
        **extra,
    }


EXPECTED = [{"tool": "create_task", "args": {"title": "renew the TLS certificate"}}]
ACTUAL = [{"tool": "create_task", "args": {"title": "renew TLS certs"}, "ok": True}]


def two_variant_report() -> dict[str, Any]:
    """offline · v1 and gpt · v2 over create (3 cases) and list (1 case); two failures."""
    cases: list[dict[str, Any]] = []
    for model, prompt in (("offline", "v1"), ("gpt", "v2")):
        cases += [
            case("create.one", "create", passed=True, model=model, prompt=prompt),
            case(
                "create.tls",
                "create",
                passed=model == "gpt",
                model=model,
                prompt=prompt,
                failures=["call 1: create_task.title 'renew TLS certs' similarity 0.77 < 0.8"],
                expected=EXPECTED,
                actual=ACTUAL,
                replies=["Created #1 “renew TLS certs”."],
            ),
            case("create.two", "create", passed=True, model=model, prompt=prompt),
            case("list.mine", "list", passed=model == "offline", model=model, prompt=prompt),
        ]
    return report_of(cases)


def test_title_names_models_prompts_and_duration() -> None:
    text = markdown_report(two_variant_report())
    title = text.splitlines()[0]
    assert title.startswith("## ")
    assert "offline, gpt" in title
    assert "v1, v2" in title
    assert "4.2 s" in title
    assert "6 of 8 cases passed (75.0%)" in text


def test_overall_table_has_a_row_per_variant() -> None:
    text = markdown_report(two_variant_report())
    assert "| offline | v1 | 4 | 3 | 1 | **75.0%** |" in text
    assert "| gpt | v2 | 4 | 3 | 1 | **75.0%** |" in text


def test_category_table_has_a_column_per_variant() -> None:
    text = markdown_report(two_variant_report())
    assert "| Category | offline · v1 | gpt · v2 |" in text
    assert "| create | 66.7% (2/3) | 100.0% (3/3) |" in text
    assert "| list | 100.0% (1/1) | 0.0% (0/1) |" in text


def test_failing_case_shows_id_category_reasons_and_calls() -> None:
    text = markdown_report(two_variant_report())
    assert "### Failing cases (2)" in text
    section = text.split("### Failing cases", 1)[1]
    assert "**`create.tls`** · create · offline · v1" in section
    assert "similarity 0.77 \\< 0.8" in section  # escaped so GitHub shows it as text
    assert (
        'expected: [{"tool": "create_task", "args": {"title": "renew the TLS certificate"}}]'
        in section
    )
    assert (
        'actual:   [{"tool": "create_task", "args": {"title": "renew TLS certs"}, "ok": true}]'
        in section
    )
    assert "**`list.mine`** · list · gpt · v2" in section
    assert "create.one" not in section


def test_few_failures_are_not_collapsed_and_many_are() -> None:
    assert "<details>" not in markdown_report(two_variant_report())
    many = report_of([case(f"create.{index}", "create", passed=False) for index in range(8)])
    text = markdown_report(many)
    assert "<details>\n<summary>Show the 8 failing cases</summary>" in text
    assert text.rstrip().endswith("</details>")


def test_long_failing_list_is_cut_under_the_limit_with_a_note() -> None:
    long_actual = [{"tool": "create_task", "args": {"title": "x" * 400}, "ok": True}]
    cases = [
        case(f"create.{index:03}", "create", passed=False, expected=EXPECTED, actual=long_actual)
        for index in range(400)
    ]
    text = markdown_report(report_of(cases))
    assert len(text) <= 60_000
    assert "create.000" in text
    assert "create.399" not in text
    assert "more failing cases not shown; the JSON report has them all." in text
    assert text.rstrip().endswith("</details>")


def test_no_failures_says_so() -> None:
    text = markdown_report(report_of([case("create.one", "create", passed=True)]))
    assert "No failing cases." in text
    assert "Failing cases (" not in text


def test_markdown_and_html_in_failures_is_escaped() -> None:
    bad = case(
        "create.x",
        "create",
        passed=False,
        failures=["title '<script>alert(1)</script>' | *bold*"],
        replies=["```\n<img src=x>"],
    )
    text = markdown_report(report_of([bad]))
    assert "<script>" not in text
    assert "\\<script\\>" in text
    assert "\\| \\*bold\\*" in text
    # A reply with a fence inside is held by a longer fence.
    assert "````text" in text


def test_a_report_with_missing_and_extra_fields_still_renders() -> None:
    sparse: dict[str, Any] = {
        "cases": [
            {"id": "a", "category": "create", "model": "m", "passed": True, "pass_hat_k": 1},
            {"id": "b", "category": "list", "model": "m", "passed": False},
        ],
        "tokens": {"input": 10, "output": 5},
    }
    text = markdown_report(sparse)
    assert "1 of 2 cases passed (50.0%)" in text
    assert "| list | — |" not in text
    assert "| list | 0.0% (0/1) |" in text
    assert "**`b`** · list" in text
    assert "expected: (not checked)" in text


def test_newer_variant_fields_add_columns_when_present() -> None:
    report = two_variant_report()
    report["repeat"] = 2
    report["variants"][0].update(
        {"pass_hat_k": {"1": 0.75, "2": 0.5}, "tokens": 41000, "latency_s_mean": 0.031}
    )
    text = markdown_report(report)
    assert "| Model | Prompt | Runs | Passed | Failed | Pass rate | pass^2 | Tokens |" in text
    assert "| offline | v1 | 4 | 3 | 1 | **75.0%** | 50.0% | 41,000 | 0.03 s |" in text
    assert "| gpt | v2 | 4 | 3 | 1 | **75.0%** | — | — | — |" in text
    assert "pass^" not in markdown_report(two_variant_report())
