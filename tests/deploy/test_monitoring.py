# pyright: strict
"""The Prometheus rules and the Grafana dashboard under deploy/, checked without a server.

`promtool` is not available here, so the rule file is checked the way `promtool check rules`
does it: every expression parsed by a real PromQL parser (promql-parser, the Rust parser's
Python bindings), the group and rule structure (unknown keys, duplicate keys, durations, label
and annotation maps, names) and the annotation templates. Every metric the rules and the
dashboard query must be in `CATALOGUE`, the contract with the code that exports the metrics,
so that renaming a metric or a label breaks this test instead of a dashboard in production.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import promql_parser
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "taskpilot-dashboard.json"
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
DOCS = ROOT / "docs" / "observability.md"

# The metrics TaskPilot exports: name -> (type, labels). The contract with api/ and agent/.
CATALOGUE: dict[str, tuple[str, frozenset[str]]] = {
    name: (kind, frozenset(labels))
    for name, kind, labels in [
        ("taskpilot_http_requests_total", "counter", {"method", "route", "status"}),
        ("taskpilot_http_request_duration_seconds", "histogram", {"method", "route"}),
        ("taskpilot_slack_ack_duration_seconds", "histogram", {"kind"}),
        ("taskpilot_slack_duplicate_deliveries_total", "counter", set[str]()),
        ("taskpilot_agent_turns_total", "counter", {"model", "prompt_version", "outcome"}),
        ("taskpilot_agent_turn_duration_seconds", "histogram", {"model"}),
        ("taskpilot_agent_degraded_turns_total", "counter", {"reason"}),
        ("taskpilot_model_calls_total", "counter", {"model", "outcome"}),
        ("taskpilot_model_fallbacks_total", "counter", {"from_model", "to_model"}),
        ("taskpilot_tool_calls_total", "counter", {"tool", "outcome"}),
        ("taskpilot_tokens_total", "counter", {"model", "kind"}),
        ("taskpilot_cost_usd_total", "counter", {"model"}),
        ("taskpilot_rate_limit_rejections_total", "counter", {"limit", "surface"}),
        ("taskpilot_reminders_due", "gauge", set[str]()),
        # Exported by `taskpilot slack worker` (slack_app/delivery/worker.py).
        ("taskpilot_turn_queue_depth", "gauge", set[str]()),
        ("taskpilot_turn_queue_wait_seconds", "histogram", set[str]()),
        ("taskpilot_build_info", "gauge", {"version", "environment"}),
        # Written by `taskpilot eval run --metrics-out` (evals/cli.py).
        ("taskpilot_eval_pass_rate", "gauge", {"dataset", "model", "prompt_version", "category"}),
        ("taskpilot_eval_run_timestamp_seconds", "gauge", {"dataset", "model", "prompt_version"}),
        # Prometheus's own per-target series.
        ("up", "gauge", set[str]()),
    ]
}
# Labels Prometheus adds to every scraped series.
TARGET_LABELS = frozenset({"job", "instance"})
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")

METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# Prometheus's model.ParseDuration.
DURATION = re.compile(r"^(?!$)(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$|^0$")
GROUP_KEYS = {"name", "interval", "limit", "query_offset", "rules"}
RULE_KEYS = {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
SEVERITIES = {"critical", "warning", "info"}
# Functions of Prometheus's alert templates, plus Go's text/template built-ins and keywords.
TEMPLATE_WORDS = {
    "humanize", "humanize1024", "humanizeDuration", "humanizePercentage",
    "humanizeTimestamp", "printf", "title", "toUpper", "toLower", "query", "first", "label",
    "value", "reReplaceAll", "match", "graphLink", "tableLink", "args", "safeHtml", "strvalue",
    "sortByLabel", "pathPrefix", "externalURL", "stripPort", "stripDomain", "parseDuration",
    "toTime", "urlQueryEscape", "and", "or", "not", "len", "index", "eq", "ne", "lt", "le",
    "gt", "ge", "if", "else", "end", "range", "with", "print", "println",
}  # fmt: skip


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys, as Prometheus's strict YAML decoding does."""


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)  # pyright: ignore[reportUnknownMemberType]
        if key in keys:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        keys.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)


def rules_file() -> dict[str, Any]:
    data = load_yaml(RULES)
    assert isinstance(data, dict)
    return cast("dict[str, Any]", data)


def all_rules() -> list[dict[str, Any]]:
    return [rule for group in rules_file()["groups"] for rule in group["rules"]]


def alerts() -> list[dict[str, Any]]:
    return [rule for rule in all_rules() if "alert" in rule]


def dashboard() -> dict[str, Any]:
    return cast("dict[str, Any]", json.loads(DASHBOARD.read_text(encoding="utf-8")))


def panels() -> list[dict[str, Any]]:
    return [panel for panel in dashboard()["panels"] if panel["type"] != "row"]


# PromQL helpers.


def nodes(expr: promql_parser.Expr) -> list[promql_parser.Expr]:
    found: list[promql_parser.Expr] = []

    def visit(node: promql_parser.Expr) -> None:
        found.append(node)

    promql_parser.walk(expr, visit)
    return found


def selector_name(selector: promql_parser.VectorSelector) -> str:
    if selector.name:
        return selector.name
    names = [m.value for m in selector.matchers.matchers if m.name == "__name__"]
    assert names, f"selector without a metric name: {selector}"
    return names[0]


def catalogue_entry(name: str) -> tuple[str, frozenset[str]]:
    """The catalogue's type and labels of a series name (histogram suffixes resolved)."""
    if name in CATALOGUE:
        return CATALOGUE[name]
    for suffix in HISTOGRAM_SUFFIXES:
        base = name.removesuffix(suffix)
        if base != name and CATALOGUE.get(base, ("", frozenset[str]()))[0] == "histogram":
            labels = CATALOGUE[base][1]
            return "histogram", labels | {"le"} if suffix == "_bucket" else labels
    raise AssertionError(f"{name} is not a TaskPilot metric (see CATALOGUE)")


def check_promql(expr_text: str, *, recorded: frozenset[str] = frozenset()) -> set[str]:
    """Parse one expression and check its metrics and labels against the catalogue.

    Returns the label names the expression keeps (its `by` labels and `label_replace`
    targets), or an empty set when it does not aggregate.
    """
    try:
        expr = promql_parser.parse(expr_text)
    except ValueError as error:
        raise AssertionError(f"invalid PromQL {expr_text!r}: {error}") from error
    added: set[str] = set()
    for node in nodes(expr):
        if isinstance(node, promql_parser.Call) and node.func.name == "label_replace":
            target = node.args[1]
            assert isinstance(target, promql_parser.StringLiteral)
            added.add(target.val)
    kept: set[str] = set()
    for node in nodes(expr):
        if isinstance(node, promql_parser.VectorSelector):
            name = selector_name(node)
            if name in recorded:
                continue
            _, labels = catalogue_entry(name)
            for matcher in node.matchers.matchers:
                assert matcher.name in {"__name__", *labels, *TARGET_LABELS}, (
                    f"{name} has no label {matcher.name!r} (in {expr_text!r})"
                )
        if isinstance(node, promql_parser.AggregateExpr) and node.modifier is not None:
            inner = {
                selector_name(sub)
                for sub in nodes(node.expr)
                if isinstance(sub, promql_parser.VectorSelector)
            }
            known = set(TARGET_LABELS) | added
            for name in inner - recorded:
                known |= catalogue_entry(name)[1]
            if node.modifier.type == promql_parser.AggModifierType.By:
                for label in node.modifier.labels:
                    assert label in known, f"no metric in {expr_text!r} has label {label!r}"
                kept |= set(node.modifier.labels)
    return kept | added


def test_the_catalogue_names_are_valid_and_counters_end_in_total() -> None:
    for name, (kind, labels) in CATALOGUE.items():
        assert METRIC_NAME.match(name)
        assert all(LABEL_NAME.match(label) for label in labels)
        assert (kind == "counter") == name.endswith("_total"), name


def test_the_checker_rejects_what_promtool_would() -> None:
    for bad in (
        "rate(taskpilot_http_requests_total[5m]",  # unbalanced
        "rate(taskpilot_http_requests_total)",  # a vector where a range is needed
        "rate(taskpilot_http_requests_total[5x])",  # a bad duration
        "sum by (route) (rate(taskpilot_http_requests_total[5m])) offset 1d",  # misplaced
    ):
        with pytest.raises(AssertionError, match="invalid PromQL"):
            check_promql(bad)
    with pytest.raises(AssertionError, match="not a TaskPilot metric"):
        check_promql("rate(taskpilot_http_request_total[5m])")
    with pytest.raises(AssertionError, match="no label"):
        check_promql('taskpilot_agent_turns_total{result="ok"}')
    with pytest.raises(AssertionError, match="has label 'path'"):
        check_promql("sum by (path) (rate(taskpilot_http_requests_total[5m]))")


# The rule file, as `promtool check rules` sees it.


def test_the_rule_file_parses_with_unique_keys() -> None:
    with pytest.raises(yaml.constructor.ConstructorError, match="duplicate key"):
        yaml.load("a: 1\na: 2\n", Loader=_UniqueKeyLoader)
    data = rules_file()
    assert set(data) == {"groups"}
    names = [group["name"] for group in data["groups"]]
    assert len(names) == len(set(names)), "group names must be unique"


def test_groups_and_rules_have_only_known_keys() -> None:
    for group in rules_file()["groups"]:
        assert set(group) <= GROUP_KEYS, f"unknown group keys: {set(group) - GROUP_KEYS}"
        assert isinstance(group["name"], str) and group["name"]
        if "interval" in group:
            assert DURATION.match(group["interval"])
        assert group["rules"], f"group {group['name']} has no rules"
        for rule in group["rules"]:
            assert set(rule) <= RULE_KEYS, f"unknown rule keys: {set(rule) - RULE_KEYS}"
            assert ("alert" in rule) != ("record" in rule), f"one of alert/record: {rule}"
            assert isinstance(rule.get("expr"), str) and rule["expr"].strip()


def test_recording_rules_are_well_formed() -> None:
    records = [rule for rule in all_rules() if "record" in rule]
    assert records
    for rule in records:
        assert METRIC_NAME.match(rule["record"]), rule["record"]
        # The convention level:metric:operations, with colons only in recorded names.
        assert rule["record"].count(":") == 2, rule["record"]
        assert not {"for", "keep_firing_for", "annotations"} & set(rule)
        for name, value in rule.get("labels", {}).items():
            assert LABEL_NAME.match(name) and name != "__name__" and isinstance(value, str)
    recorded = [rule["record"] for rule in records]
    assert len(recorded) == len(set(recorded))


def test_every_expression_is_valid_promql_over_catalogued_metrics() -> None:
    recorded = frozenset(rule["record"] for rule in all_rules() if "record" in rule)
    for rule in all_rules():
        check_promql(rule["expr"], recorded=recorded)


def test_alerts_have_for_severity_and_annotations() -> None:
    names = [rule["alert"] for rule in alerts()]
    assert len(names) == len(set(names)), "alert names must be unique"
    for rule in alerts():
        name = rule["alert"]
        assert LABEL_NAME.match(name) and name.startswith("TaskPilot"), name
        assert isinstance(rule.get("for"), str) and DURATION.match(rule["for"]), name
        labels = cast("dict[str, Any]", rule.get("labels"))
        annotations = cast("dict[str, Any]", rule.get("annotations"))
        for mapping in (labels, annotations):
            assert isinstance(mapping, dict), name
            for key, value in mapping.items():
                assert isinstance(key, str) and LABEL_NAME.match(key), (name, key)
                assert isinstance(value, str), (name, key)
        assert labels["severity"] in SEVERITIES, name
        assert {"summary", "description", "runbook_url"} <= set(annotations), name


def test_the_alerts_the_issue_asks_for_are_there() -> None:
    by_name = {rule["alert"]: rule for rule in alerts()}
    expected = {
        "TaskPilotDown": "up{",
        "TaskPilotHighHTTPErrorRate": 'status=~"5.."',
        "TaskPilotSlackAckSlow": "taskpilot_slack_ack_duration_seconds_bucket",
        "TaskPilotSlackAckNearTimeout": "taskpilot_slack_ack_duration_seconds_bucket",
        "TaskPilotDegradedTurnsHigh": "taskpilot_agent_degraded_turns_total",
        "TaskPilotAgentTurnFailures": 'outcome="failed"',
        "TaskPilotModelFallbacksHigh": "taskpilot_model_fallbacks_total",
        "TaskPilotEvalScoreLow": "taskpilot_eval_pass_rate",
        "TaskPilotEvalScoreDropped": "offset 7d",
        "TaskPilotEvalsStale": "taskpilot_eval_run_timestamp_seconds",
        "TaskPilotRemindersBacklogGrowing": "taskpilot_reminders_due",
        "TaskPilotTurnQueueBackingUp": "taskpilot_turn_queue_wait_seconds_bucket",
    }
    for name, fragment in expected.items():
        assert name in by_name and fragment in by_name[name]["expr"], name
    assert by_name["TaskPilotSlackAckNearTimeout"]["labels"]["severity"] == "critical"


def template_actions(text: str) -> Iterator[str]:
    """The `{{ ... }}` actions of a Go template; fails on unbalanced delimiters."""
    position = 0
    while True:
        start = text.find("{{", position)
        stray = text.find("}}", position)
        if start == -1:
            assert stray == -1, f"stray '}}}}' in {text!r}"
            return
        assert stray == -1 or stray > start, f"stray '}}}}' in {text!r}"
        end = text.find("}}", start + 2)
        assert end != -1, f"unclosed '{{{{' in {text!r}"
        action = text[start + 2 : end]
        assert "{{" not in action, f"nested '{{{{' in {text!r}"
        yield action.strip(" -")
        position = end + 2


def test_annotation_templates_parse_and_use_labels_the_expression_keeps() -> None:
    recorded = frozenset(rule["record"] for rule in all_rules() if "record" in rule)
    for rule in alerts():
        kept = check_promql(rule["expr"], recorded=recorded)
        for text in rule["annotations"].values():
            for action in template_actions(text):
                assert action, f"empty action in {text!r}"
                for word in re.findall(r"(?<![$.\w])[A-Za-z_]\w*", action):
                    assert word in TEMPLATE_WORDS, f"unknown template function {word!r}"
                for variable in re.findall(r"\$\w*(?:\.\w+)*", action):
                    root, _, label = variable.partition(".")
                    assert root in {"$value", "$labels", "$externalLabels", "$"}, variable
                    # An aggregating expression keeps only its `by` labels.
                    if root == "$labels" and kept:
                        assert label in kept, f"{rule['alert']}: {variable} is not kept"
                    if root == "$labels" and not kept:
                        assert label in TARGET_LABELS, f"{rule['alert']}: {variable}"


def test_template_checker_catches_broken_templates() -> None:
    with pytest.raises(AssertionError, match="unclosed"):
        list(template_actions("p99 {{ $value "))
    with pytest.raises(AssertionError, match="stray"):
        list(template_actions("p99 $value }} ms"))
    assert list(template_actions("{{ $labels.kind }}: {{- $value | humanize }}")) == [
        "$labels.kind",
        "$value | humanize",
    ]


def test_runbooks_point_at_sections_of_the_docs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    # GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
    anchors = {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)
    }
    for rule in alerts():
        url = rule["annotations"]["runbook_url"]
        path, _, anchor = url.partition("#")
        assert path == "docs/observability.md" and anchor in anchors, url


# The Grafana dashboard.

GRAFANA_BUILTINS = {
    "__rate_interval": "5m",
    "__interval": "1m",
    "__range": "1h",
    "__interval_ms": "60000",
    "__range_s": "3600",
}


def substitute(expr: str, variables: dict[str, str]) -> str:
    """Replace `$var`, `${var}`, `${var:format}` and `[[var]]` with sample values."""
    values = {**GRAFANA_BUILTINS, **variables}

    def value(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        assert name in values, f"undefined dashboard variable {name!r} in {expr!r}"
        return values[name]

    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]", value, expr)


def dashboard_variables() -> dict[str, str]:
    """Each templating variable with a value a query could take."""
    samples = {"datasource": "prometheus", "job": "taskpilot"}
    variables = dashboard()["templating"]["list"]
    return {variable["name"]: samples[variable["name"]] for variable in variables}


def test_the_dashboard_is_a_grafana_dashboard() -> None:
    data = dashboard()
    assert data["uid"] == "taskpilot-overview" and len(data["uid"]) <= 40
    assert data["title"] and data["schemaVersion"] >= 36
    assert "id" not in data or data["id"] is None, "a provisioned dashboard has no fixed id"
    datasource = [v for v in data["templating"]["list"] if v["name"] == "datasource"]
    assert datasource == [datasource[0]]
    assert datasource[0]["type"] == "datasource" and datasource[0]["query"] == "prometheus"


def test_panels_have_unique_ids_and_fit_the_grid_without_overlap() -> None:
    every = dashboard()["panels"]
    ids = [panel["id"] for panel in every]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids)
    cells: dict[tuple[int, int], str] = {}
    for panel in every:
        grid = panel["gridPos"]
        assert set(grid) == {"h", "w", "x", "y"}, panel["title"]
        assert all(isinstance(grid[key], int) and grid[key] >= 0 for key in grid)
        assert grid["w"] >= 1 and grid["h"] >= 1 and grid["x"] + grid["w"] <= 24
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[x, y] = panel["title"]


def test_every_panel_queries_prometheus_through_the_variable() -> None:
    expected = {"type": "prometheus", "uid": "${datasource}"}
    for panel in panels():
        assert panel["title"] and panel["type"] in {"timeseries", "stat", "bargauge", "gauge"}
        assert panel["datasource"] == expected, panel["title"]
        assert panel["targets"], panel["title"]
        refs = [target["refId"] for target in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == expected, panel["title"]
        assert "unit" in panel["fieldConfig"]["defaults"], panel["title"]


def test_every_panel_query_is_valid_promql_over_catalogued_metrics() -> None:
    variables = dashboard_variables()
    for panel in panels():
        for target in panel["targets"]:
            kept = check_promql(substitute(target["expr"], variables))
            # A legend can only show labels the query keeps.
            for label in re.findall(r"\{\{\s*(\w+)\s*\}\}", target.get("legendFormat", "")):
                assert label in kept, f"{panel['title']}: legend label {label!r} is not kept"


def test_the_dashboard_covers_what_the_issue_asks_for() -> None:
    queried = " ".join(t["expr"] for p in panels() for t in p["targets"])
    for name in CATALOGUE:
        if name not in {"up"}:
            assert name in queried, f"no panel shows {name}"
    ack = next(p for p in panels() if p["title"].startswith("Slack ack"))
    steps = ack["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert any(step["value"] == 3 for step in steps)
    assert ack["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] == "line"


def test_substitution_refuses_unknown_variables() -> None:
    assert substitute('rate(x{job=~"$job"}[$__rate_interval])', {"job": "j"}) == (
        'rate(x{job=~"j"}[5m])'
    )
    with pytest.raises(AssertionError, match="undefined dashboard variable"):
        substitute("rate(x[$window])", {})


def test_grafana_provisioning_files() -> None:
    datasources = load_yaml(PROVISIONING / "datasources" / "taskpilot.yaml")
    assert datasources["apiVersion"] == 1
    assert [d["type"] for d in datasources["datasources"]] == ["prometheus"]
    providers = load_yaml(PROVISIONING / "dashboards" / "taskpilot.yaml")
    assert providers["apiVersion"] == 1
    (provider,) = providers["providers"]
    assert provider["type"] == "file" and provider["options"]["path"].startswith("/")
