"""The eval report as one self-contained HTML page.

`html_report` takes the `taskpilot-eval-report/v1` dict (see `evals.report`) and returns a page
with no external scripts, fonts or stylesheets: inline CSS, an inline SVG bar chart of the pass
rate per category (one bar per variant in each category's group, with a legend, axis labels
and a percent label on each bar), the summary tables with the harmful-write rate beside the
pass rate, the runs that passed but made a harmful write, and the failing cases with their
harmful writes and their expected and actual calls side by side. Every piece of text from the
report is escaped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any, Final

from evals.report_markdown import (
    FailingCase,
    HarmfulPass,
    Stats,
    Variant,
    all_categories,
    as_int,
    counts_harm,
    dataset_names,
    extra_columns,
    failing_cases,
    format_duration,
    harm_cell,
    harmful_passes,
    overall_stats,
    percent,
    read_variants,
    report_meta,
    variant_label,
)

MAX_FAILURES: Final = 300

# Okabe–Ito: told apart with the common kinds of colour blindness.
PALETTE: Final = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)

CSS: Final = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; background: #ffffff; color: #1f2328;
  font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 12px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.meta { color: #57606a; margin: 0 0 16px; }
.meta span + span::before { content: " · "; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0; }
.card { border: 1px solid #d0d7de; border-radius: 8px; padding: 10px 16px; min-width: 120px; }
.card b { display: block; font-size: 22px; }
.card.bad b { color: #cf222e; }
.card.good b { color: #1a7f37; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: left; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; background: #f6f8fa; }
td.full { color: #1a7f37; }
td.mid { color: #9a6700; }
td.low { color: #cf222e; }
.chart { max-width: 100%; height: auto; display: block; }
.case { border: 1px solid #d0d7de; border-left: 4px solid #cf222e; border-radius: 6px;
  padding: 8px 14px; margin: 12px 0; }
.case h3 { font-size: 15px; margin: 4px 0; }
.case h3 code { font-size: 14px; }
.tag { display: inline-block; background: #eaeef2; border-radius: 10px; padding: 0 8px;
  font-size: 12px; margin-left: 6px; font-weight: normal; }
.case ul { margin: 4px 0 8px; padding-left: 20px; }
.case.harm-only { border-left-color: #9a6700; }
li.harm { color: #cf222e; font-weight: 600; }
.calls { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.calls h4 { margin: 4px 0; font-size: 13px; color: #57606a; }
pre { background: #f6f8fa; border-radius: 6px; padding: 8px 10px; margin: 0; overflow-x: auto;
  font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  white-space: pre-wrap; word-break: break-word; }
.replies { color: #57606a; margin: 8px 0 0; }
.note { color: #57606a; font-style: italic; }
"""

# Chart geometry, in SVG user units (pixels at 100%).
PLOT_HEIGHT: Final = 260
MARGIN_LEFT: Final = 64
MARGIN_RIGHT: Final = 16
BAR_GAP: Final = 4
GROUP_PADDING: Final = 28
CHAR_WIDTH: Final = 6.6  # of 11px sans-serif text, roughly
LEGEND_ROW: Final = 20


def bar_label(stats: Stats | None) -> str:
    """The percent label drawn on a bar: `83%`, or `n/a` for a category the variant skipped."""
    if stats is None or stats.runs == 0:
        return "n/a"
    return f"{stats.pass_rate * 100:.0f}%"


def _fmt(number: float) -> str:
    return f"{number:.1f}".removesuffix(".0")


def _legend(variants: Sequence[Variant], width: float) -> tuple[list[str], float]:
    """The legend items, wrapped to `width`, and the height they take."""
    items: list[str] = []
    x, y = float(MARGIN_LEFT), 14.0
    for index, variant in enumerate(variants):
        label = variant.label
        item_width = 14 + 6 + len(label) * CHAR_WIDTH + 18
        if x + item_width > width and x > MARGIN_LEFT:
            x, y = float(MARGIN_LEFT), y + LEGEND_ROW
        colour = PALETTE[index % len(PALETTE)]
        items.append(
            f'<g class="legend-item"><rect x="{_fmt(x)}" y="{_fmt(y - 10)}" width="14" '
            f'height="14" rx="2" fill="{colour}"/><text x="{_fmt(x + 20)}" y="{_fmt(y + 1)}">'
            f"{escape(label)}</text></g>"
        )
        x += item_width
    return items, y + 14


def bar_chart_svg(variants: Sequence[Variant]) -> str:
    """Grouped bars: the pass rate of each variant in each category."""
    categories = all_categories(variants)
    count = max(len(variants), 1)
    bar_width = 32 if count <= 3 else 26
    group_width = count * bar_width + (count - 1) * BAR_GAP + GROUP_PADDING
    plot_width = max(len(categories) * group_width, 320)
    width = MARGIN_LEFT + plot_width + MARGIN_RIGHT
    legend, legend_height = _legend(variants, width)
    top = legend_height + 26  # room for the percent label over a full bar
    longest = max((len(name) for name in categories), default=0)
    rotate = longest * CHAR_WIDTH > group_width - 6
    label_depth = longest * CHAR_WIDTH * math.sin(math.radians(35)) + 12 if rotate else 16
    bottom = 16 + label_depth + 26
    height = top + PLOT_HEIGHT + bottom
    base_y = top + PLOT_HEIGHT

    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{_fmt(width)}" height="{_fmt(height)}" '
        f'viewBox="0 0 {_fmt(width)} {_fmt(height)}" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="11" fill="#1f2328">',
        "<title>Pass rate per category and variant</title>",
        f'<g class="legend">{"".join(legend)}</g>',
    ]
    # Grid lines and the y axis.
    for tick in range(0, 101, 25):
        y = base_y - PLOT_HEIGHT * tick / 100
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{_fmt(MARGIN_LEFT + plot_width)}" y1="{_fmt(y)}" '
            f'y2="{_fmt(y)}" stroke="{"#57606a" if tick == 0 else "#d0d7de"}" '
            f'stroke-width="1"/>'
            f'<text class="tick" x="{MARGIN_LEFT - 6}" y="{_fmt(y + 4)}" '
            f'text-anchor="end">{tick}%</text>'
        )
    middle = top + PLOT_HEIGHT / 2
    parts.append(
        f'<text class="axis-label" x="16" y="{_fmt(middle)}" text-anchor="middle" '
        f'font-size="12" transform="rotate(-90 16 {_fmt(middle)})">Pass rate (%)</text>'
    )
    parts.append(
        f'<text class="axis-label" x="{_fmt(MARGIN_LEFT + plot_width / 2)}" '
        f'y="{_fmt(height - 8)}" text-anchor="middle" font-size="12">Category</text>'
    )
    # The bars.
    for group, category in enumerate(categories):
        group_x = MARGIN_LEFT + group * group_width + GROUP_PADDING / 2
        for index, variant in enumerate(variants):
            stats = variant.categories.get(category)
            present = stats is not None and stats.runs > 0
            rate = stats.pass_rate if stats is not None and present else 0.0
            bar_height = PLOT_HEIGHT * rate
            x = group_x + index * (bar_width + BAR_GAP)
            colour = PALETTE[index % len(PALETTE)]
            detail = (
                f"{stats.passed}/{stats.runs} ({percent(rate)})"
                if stats is not None and present
                else "not run"
            )
            tooltip = f"{category} · {variant.label}: {detail}"
            parts.append(
                f'<rect class="bar{"" if present else " missing"}" '
                f'data-category="{escape(category)}" data-variant="{escape(variant.label)}" '
                f'data-rate="{_fmt(rate * 100) if present else ""}" '
                f'x="{_fmt(x)}" y="{_fmt(base_y - bar_height)}" width="{bar_width}" '
                f'height="{_fmt(bar_height)}" fill="{colour}">'
                f"<title>{escape(tooltip)}</title></rect>"
                f'<text class="bar-label" x="{_fmt(x + bar_width / 2)}" '
                f'y="{_fmt(base_y - bar_height - 4)}" text-anchor="middle" font-size="10">'
                f"{bar_label(stats)}</text>"
            )
        centre = group_x + (group_width - GROUP_PADDING) / 2
        label_y = base_y + 16
        transform = f' transform="rotate(-35 {_fmt(centre)} {_fmt(label_y)})"' if rotate else ""
        anchor = "end" if rotate else "middle"
        parts.append(
            f'<text class="category-label" x="{_fmt(centre)}" y="{_fmt(label_y)}" '
            f'text-anchor="{anchor}"{transform}>{escape(category)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _rate_class(stats: Stats | None) -> str:
    if stats is None or stats.runs == 0:
        return ""
    if stats.passed == stats.runs:
        return "full"
    return "mid" if stats.pass_rate >= 0.8 else "low"


def _rate_td(stats: Stats | None) -> str:
    if stats is None or stats.runs == 0:
        return '<td class="num">—</td>'
    return (
        f'<td class="num {_rate_class(stats)}">{percent(stats.pass_rate)} '
        f"({stats.passed}/{stats.runs})</td>"
    )


def _overall_table(variants: Sequence[Variant], runs_header: str, repeat: int) -> str:
    extra = extra_columns(variants, repeat)
    rows = "".join(
        f"<tr><td>{escape(variant.model)}</td>"
        f"<td>{escape(variant.prompt_version or 'default')}</td>"
        f'<td class="num">{variant.stats.runs}</td><td class="num">{variant.stats.passed}</td>'
        f'<td class="num">{variant.stats.failed}</td>'
        f'<td class="num {_rate_class(variant.stats)}">{percent(variant.stats.pass_rate)}</td>'
        + "".join(f'<td class="num">{escape(cells[index])}</td>' for _, cells in extra)
        + "</tr>"
        for index, variant in enumerate(variants)
    )
    extra_header = "".join(f"<th>{escape(name)}</th>" for name, _ in extra)
    return (
        '<table class="overall"><thead><tr><th>Model</th><th>Prompt</th>'
        f"<th>{runs_header}</th><th>Passed</th><th>Failed</th><th>Pass rate</th>"
        f"{extra_header}</tr></thead><tbody>{rows}</tbody></table>"
    )


def _harm_class(stats: Stats | None) -> str:
    if stats is None or not stats.runs or stats.harmful is None:
        return ""
    return "full" if stats.harmful == 0 else "low"


def _harm_td(stats: Stats | None) -> str:
    return f'<td class="num harm {_harm_class(stats)}">{escape(harm_cell(stats))}</td>'


def _category_table(variants: Sequence[Variant]) -> str:
    harm = counts_harm(variants)

    def cells(stats: Stats | None) -> str:
        return _rate_td(stats) + (_harm_td(stats) if harm else "")

    def harm_header(variant: Variant) -> str:
        if not harm:
            return ""
        label = "harmful" if len(variants) == 1 else f"harmful ({variant.label})"
        return f"<th>{escape(label)}</th>"

    header = "".join(
        f"<th>{escape(variant.label)}</th>{harm_header(variant)}" for variant in variants
    )
    rows = "".join(
        f"<tr><td>{escape(category)}</td>"
        + "".join(cells(variant.categories.get(category)) for variant in variants)
        + "</tr>"
        for category in all_categories(variants)
    )
    total = "".join(cells(variant.stats) for variant in variants)
    return (
        f'<table class="categories"><thead><tr><th>Category</th>{header}</tr></thead>'
        f'<tbody>{rows}<tr class="total"><td>overall</td>{total}</tr></tbody></table>'
    )


def _harm_card(overall: Stats) -> str:
    """The harmful-write rate card, when the report counted harmful writes."""
    if overall.harmful is None:
        return ""
    rate = percent(overall.harmful_rate or 0.0)
    quality = "bad" if overall.harmful else "good"
    return f'<div class="card harm {quality}"><b>{rate}</b>harmful-write rate</div>'


def _pretty(value: object) -> str:
    return escape(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _case_html(case: FailingCase, *, show_variant: bool) -> str:
    run = case.run
    tags = [f'<span class="tag">{escape(run.category)}</span>']
    if show_variant:
        label = variant_label(run.model, run.prompt_version)
        tags.append(f'<span class="tag">{escape(label)}</span>')
    if case.total_runs > 1:
        tags.append(f'<span class="tag">failed {case.failed_runs} of {case.total_runs} runs</span>')
    reasons = list(run.failures) or ([] if run.error else ["failed without a reason"])
    items = "".join(f"<li>{escape(reason)}</li>" for reason in reasons)
    items += "".join(
        f'<li class="harm">harmful write: {escape(write)}</li>' for write in case.harmful_writes
    )
    error = f"<pre class='error'>{escape(run.error)}</pre>" if run.error else ""
    expected = (
        '<p class="note">not checked</p>'
        if run.expected_calls is None
        else f"<pre>{_pretty(run.expected_calls)}</pre>"
    )
    actual = f"<pre>{_pretty(run.actual_calls)}</pre>"
    replies = "".join(f"<li>{escape(reply)}</li>" for reply in run.replies)
    replies_html = f'<div class="replies">Replies:<ul>{replies}</ul></div>' if replies else ""
    readings = "".join(f"<li>{escape(line)}</li>" for line in run.readings)
    if readings:
        replies_html += f'<div class="replies">How it was read:<ul>{readings}</ul></div>'
    return (
        f'<section class="case" id="case-{escape(run.case_id)}">'
        f"<h3><code>{escape(run.case_id)}</code>{''.join(tags)}</h3>"
        f'<ul class="failures">{items}</ul>{error}'
        '<div class="calls">'
        f'<div class="expected"><h4>Expected calls</h4>{expected}</div>'
        f'<div class="actual"><h4>Actual calls</h4>{actual}</div>'
        f"</div>{replies_html}</section>"
    )


def _harmful_pass_html(entry: HarmfulPass, *, show_variant: bool) -> str:
    run = entry.run
    tags = [f'<span class="tag">{escape(run.category)}</span>']
    if show_variant:
        tags.append(
            f'<span class="tag">{escape(variant_label(run.model, run.prompt_version))}</span>'
        )
    if entry.total_runs > 1:
        tags.append(
            f'<span class="tag">harmful in {entry.harmful_runs} of {entry.total_runs} runs</span>'
        )
    items = "".join(
        f'<li class="harm">harmful write: {escape(write)}</li>' for write in run.harmful_writes
    )
    return (
        f'<section class="case harm-only" id="harm-{escape(run.case_id)}">'
        f"<h3><code>{escape(run.case_id)}</code>{''.join(tags)}</h3>"
        f'<ul class="failures">{items}</ul></section>'
    )


def html_report(report: Mapping[str, Any], *, max_failures: int = MAX_FAILURES) -> str:
    """The report as one self-contained HTML page."""
    variants = read_variants(report)
    overall = overall_stats(report)
    models, versions, seconds = report_meta(report)
    repeat = as_int(report.get("repeat"), 1)
    runs_word = "Runs" if repeat > 1 else "Cases"
    meta = [
        f"models: {', '.join(models) or '?'}",
        f"prompts: {', '.join(versions) or '?'}",
        f"duration: {format_duration(seconds)}",
    ]
    datasets = dataset_names(report)
    if datasets:
        meta.append(f"datasets: {', '.join(datasets)}")
    if repeat > 1:
        meta.append(f"each case run {repeat} times")
    started = report.get("started_at")
    if started:
        meta.append(f"started {started}")
    meta_html = "".join(f"<span>{escape(item)}</span>" for item in meta)
    rate_class = "good" if overall.passed == overall.runs else "bad"
    cards = (
        '<div class="cards">'
        f'<div class="card"><b>{overall.runs}</b>{runs_word.lower()}</div>'
        f'<div class="card good"><b>{overall.passed}</b>passed</div>'
        f'<div class="card{" bad" if overall.failed else ""}"><b>{overall.failed}</b>failed</div>'
        f'<div class="card {rate_class}"><b>{percent(overall.pass_rate)}</b>pass rate</div>'
        + _harm_card(overall)
        + "</div>"
    )
    body = [
        "<h1>TaskPilot eval report</h1>",
        f'<p class="meta">{meta_html}</p>',
        cards,
    ]
    if variants:
        body += [
            "<h2>Pass rate by category</h2>",
            bar_chart_svg(variants),
            "<h2>Overall</h2>",
            _overall_table(variants, runs_word, repeat),
            "<h2>Categories</h2>",
            _category_table(variants),
        ]
    passes = harmful_passes(report)
    if passes:
        body.append(f"<h2>Passed, but with a harmful write ({len(passes)})</h2>")
        body.extend(
            _harmful_pass_html(entry, show_variant=len(variants) > 1)
            for entry in passes[:max_failures]
        )
    failing = failing_cases(report)
    body.append(f"<h2>Failing cases ({len(failing)})</h2>")
    if not failing:
        body.append('<p class="note">No failing cases.</p>')
    show_variant = len(variants) > 1
    body.extend(_case_html(case, show_variant=show_variant) for case in failing[:max_failures])
    hidden = len(failing) - max_failures
    if hidden > 0:
        body.append(
            f'<p class="note">… and {hidden} more failing case{"s" if hidden != 1 else ""}; '
            "the JSON report has them all.</p>"
        )
    title = f"TaskPilot evals · {percent(overall.pass_rate)} · {', '.join(models)}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
