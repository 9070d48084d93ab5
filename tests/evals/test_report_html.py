# pyright: strict
"""The self-contained HTML eval report: the chart, the tables, the failing cases, escaping."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from evals.report_files import write_html, write_markdown
from evals.report_html import html_report
from tests.evals.test_report_markdown import case, report_of, two_variant_report


class _Bars(HTMLParser):
    """Collects the chart's bars and their percent labels, and every external reference."""

    def __init__(self) -> None:
        super().__init__()
        self.bars: list[dict[str, str]] = []
        self.labels: list[str] = []
        self.external: list[str] = []
        self.scripts = 0
        self._in_label = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            self.scripts += 1
        for name in ("src", "href"):
            if name in values:
                self.external.append(values[name])
        if tag == "link":
            self.external.append(values.get("href", "link"))
        if tag == "rect" and "bar" in values.get("class", "").split():
            self.bars.append(values)
        self._in_label = tag == "text" and values.get("class") == "bar-label"

    def handle_data(self, data: str) -> None:
        if self._in_label:
            self.labels.append(data)
            self._in_label = False


def _parse(page: str) -> _Bars:
    parser = _Bars()
    parser.feed(page)
    return parser


def test_page_is_self_contained() -> None:
    page = html_report(two_variant_report())
    parsed = _parse(page)
    assert page.startswith("<!DOCTYPE html>")
    assert parsed.scripts == 0
    assert parsed.external == []
    assert "<style>" in page
    assert "@import" not in page
    assert "url(" not in page


def test_chart_has_one_bar_per_category_and_variant_with_its_percent() -> None:
    parsed = _parse(html_report(two_variant_report()))
    bars = {(bar["data-category"], bar["data-variant"]): bar["data-rate"] for bar in parsed.bars}
    assert len(parsed.bars) == 4
    assert bars == {
        ("create", "offline · v1"): "66.7",
        ("create", "gpt · v2"): "100",
        ("list", "offline · v1"): "100",
        ("list", "gpt · v2"): "0",
    }
    assert parsed.labels == ["67%", "100%", "100%", "0%"]
    heights = [float(bar["height"]) for bar in parsed.bars]
    assert heights[1] == heights[2] > heights[0] > heights[3] == 0


def test_chart_has_legend_and_axis_labels() -> None:
    page = html_report(two_variant_report())
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert 'class="legend"' in svg
    assert ">offline · v1</text>" in svg
    assert ">gpt · v2</text>" in svg
    assert ">Pass rate (%)</text>" in svg
    assert ">Category</text>" in svg
    assert ">create</text>" in svg
    # The bars of a variant share the legend's colour; the variants differ.
    colours = re.findall(r'class="bar"[^>]*fill="(#[0-9A-Fa-f]{6})"', svg)
    assert colours[0] == colours[2] != colours[1] == colours[3]


def test_a_category_a_variant_did_not_run_gets_an_empty_bar() -> None:
    report = report_of(
        [
            case("create.a", "create", passed=True, model="a"),
            case("list.a", "list", passed=True, model="a"),
            case("create.b", "create", passed=False, model="b"),
        ]
    )
    parsed = _parse(html_report(report))
    assert len(parsed.bars) == 4
    missing = [bar for bar in parsed.bars if "missing" in bar["class"].split()]
    assert [(bar["data-category"], bar["data-variant"]) for bar in missing] == [("list", "b · v1")]
    assert parsed.labels == ["100%", "0%", "100%", "n/a"]


def test_failing_cases_show_expected_and_actual_side_by_side() -> None:
    page = html_report(two_variant_report())
    assert "Failing cases (2)" in page
    start = page.index('id="case-create.tls"')
    section = page[start : page.index("</section>", start)]
    assert "similarity 0.77 &lt; 0.8" in section
    expected = section[section.index('class="expected"') : section.index('class="actual"')]
    actual = section[section.index('class="actual"') :]
    assert "renew the TLS certificate" in expected
    assert "renew TLS certs" in actual
    assert "renew TLS certs" not in expected
    assert "Created #1 “renew TLS certs”." in section
    assert 'id="case-create.one"' not in page


def test_summary_tables() -> None:
    page = html_report(two_variant_report())
    assert "<th>offline · v1</th><th>gpt · v2</th>" in page
    assert '<td>create</td><td class="num low">66.7% (2/3)</td>' in page
    assert '<td class="num full">100.0% (3/3)</td>' in page
    assert "models: offline, gpt" in page
    assert "duration: 4.2 s" in page


def test_text_from_the_report_is_escaped() -> None:
    hostile = "<script>alert('x')</script>"
    bad = case(
        "create.<blink>x</blink>",
        "cat<marquee>",
        passed=False,
        model="m<script>",
        failures=[f"title {hostile}"],
        expected=[{"tool": "create_task", "args": {"title": hostile}}],
        actual=[{"tool": "create_task", "args": {"title": hostile}, "ok": True}],
        replies=[f"Created #1 “{hostile}”"],
    )
    page = html_report(report_of([bad]))
    assert "<script" not in page
    assert "<blink>" not in page
    assert "<marquee>" not in page
    assert "create.&lt;blink&gt;x&lt;/blink&gt;" in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert _parse(page).scripts == 0


def test_writers_create_the_folder(tmp_path: Path) -> None:
    report = two_variant_report()
    html_path = write_html(report, tmp_path / "a" / "b" / "report.html")
    md_path = write_markdown(report, tmp_path / "c" / "report.md")
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "create.tls" in md_path.read_text(encoding="utf-8")
