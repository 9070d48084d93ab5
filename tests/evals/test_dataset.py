# pyright: strict
"""Loading, merging and linting `taskpilot-evals/v1` datasets."""

from __future__ import annotations

import inspect
import textwrap
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pydantic_ai.models
import pytest

from evals.dataset import (
    TOOLS,
    DatasetError,
    LintIssue,
    lint_dataset,
    lint_datasets,
    load_dataset,
    load_datasets,
    parse_when,
)

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

NY = ZoneInfo("America/New_York")

HEADER = """\
schema: taskpilot-evals/v1
name: core
defaults:
  now: "2026-11-25T10:00:00"
  timezone: America/New_York
  team: T0001
  actor: U0001
  users:
    - {id: U0001, name: alice, real_name: Alice Chen}
    - {id: U0002, name: bob, real_name: Bob Ortiz}
  tasks: []
"""

BRIEF_EXAMPLE = (
    HEADER
    + """\
cases:
  - id: create.basic.001
    category: create
    input: "add a task to renew the TLS certificate"
    tasks: [{id: 7, title: "Call the bank", assignee: U0001, status: open}]
    expect:
      calls:
        - tool: create_task
          args: {title: "renew the TLS certificate"}
      no_calls: false
      state:
        - {title: "renew the TLS certificate", status: open, assignee: null}
      absent: [{id: 7}]
      task_count: 2
"""
)


def write(tmp_path: Path, text: str, name: str = "core.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def with_cases(cases: str, header: str = HEADER) -> str:
    return header + "cases:\n" + textwrap.indent(textwrap.dedent(cases), "  ")


def reasons(tmp_path: Path, cases: str, header: str = HEADER) -> list[tuple[str | None, str]]:
    path = write(tmp_path, with_cases(cases, header))
    return [(issue.case_id, issue.reason) for issue in lint_dataset(path)]


# Loading.


def test_loads_the_example_from_the_brief(tmp_path: Path) -> None:
    dataset = load_dataset(write(tmp_path, BRIEF_EXAMPLE))
    assert dataset.name == "core"
    (case,) = dataset.cases
    assert case.id == "create.basic.001"
    assert case.category == "create"
    assert case.dataset == "core"
    assert case.turns == ["add a task to renew the TLS certificate"]
    assert case.now == datetime(2026, 11, 25, 10, 0, tzinfo=NY)
    assert case.now.utcoffset() is not None
    assert (case.team, case.actor, case.timezone) == ("T0001", "U0001", "America/New_York")
    assert [user.id for user in case.users] == ["U0001", "U0002"]
    (seed,) = case.tasks
    assert (seed.id, seed.title, seed.assignee, seed.status, seed.priority) == (
        7,
        "Call the bank",
        "U0001",
        "open",
        "normal",
    )
    # Seeded tasks take the actor as creator unless they say otherwise.
    assert seed.creator == "U0001"
    assert case.expect.calls is not None
    assert case.expect.calls[0].tool == "create_task"
    assert case.expect.task_count == 2
    assert case.expect.absent == [{"id": 7}]


def test_a_case_overrides_any_default(tmp_path: Path) -> None:
    dataset = load_dataset(
        write(
            tmp_path,
            with_cases(
                """\
                - id: defaults
                  input: hi
                  expect: {no_calls: true}
                - id: overridden
                  input: hi
                  now: 2026-03-01T09:30:00
                  timezone: Europe/Berlin
                  team: T0002
                  actor: U0009
                  users: [{id: U0009, name: zoe}]
                  tasks:
                    - {id: 3, title: Pay rent, due: 2026-03-02}
                    - {id: 4, title: Call mum, due: "2026-03-02T18:00", creator: U0009}
                  expect: {no_calls: true}
                """
            ),
        )
    )
    first, second = dataset.cases
    assert first.team == "T0001"
    assert first.category == "uncategorized"
    berlin = ZoneInfo("Europe/Berlin")
    assert second.now == datetime(2026, 3, 1, 9, 30, tzinfo=berlin)
    assert (second.team, second.actor, second.timezone) == ("T0002", "U0009", "Europe/Berlin")
    assert [user.name for user in second.users] == ["zoe"]
    pay, call = second.tasks
    assert pay.due == date(2026, 3, 2)
    assert pay.creator == "U0009"
    assert call.due == datetime(2026, 3, 2, 18, 0, tzinfo=berlin)


def test_turns_and_an_aware_now(tmp_path: Path) -> None:
    dataset = load_dataset(
        write(
            tmp_path,
            with_cases(
                """\
                - id: two.turns
                  turns: ["delete #7", "yes"]
                  now: "2026-11-25T15:00:00Z"
                  tasks: [{id: 7, title: Old}]
                  expect:
                    calls: [{tool: delete_task, args: {task_id: 7}}]
                    absent: [{id: 7}]
                """
            ),
        )
    )
    (case,) = dataset.cases
    assert case.turns == ["delete #7", "yes"]
    # An instant with an offset is shown in the case's zone.
    assert case.now == datetime(2026, 11, 25, 10, 0, tzinfo=NY)
    assert str(case.now.tzinfo) == "America/New_York"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-27", date(2026, 11, 27)),
        ("2026-11-27T17:00", datetime(2026, 11, 27, 17, 0)),
        ("2026-11-27 17:00:00", datetime(2026, 11, 27, 17, 0)),
        (date(2026, 11, 27), date(2026, 11, 27)),
    ],
)
def test_parse_when(value: object, expected: date) -> None:
    assert parse_when(value) == expected


@pytest.mark.parametrize("value", ["friday", "2026-13-01", 17, None])
def test_parse_when_refuses_anything_else(value: object) -> None:
    with pytest.raises(ValueError, match="not an ISO date"):
        parse_when(value)


# Linting: each malformed kind, reported with the case id.


def calls_case(calls: str) -> str:
    """A case `c1` expecting the given calls (YAML flow mappings)."""
    return f"- id: c1\n  input: hi\n  expect: {{calls: [{calls}]}}\n"


MALFORMED: list[tuple[str, str, str]] = [
    (
        "unknown case key",
        "- id: c1\n  input: hi\n  inptu: hi\n  expect: {no_calls: true}\n",
        "unknown key `inptu`",
    ),
    (
        "unknown expect key",
        "- id: c1\n  input: hi\n  expect: {no_calls: true, calls_made: 1}\n",
        "expect: unknown key `calls_made`",
    ),
    (
        "unknown call key",
        calls_case("{tool: list_tasks, arguments: {}}"),
        "expect.calls[0]: unknown key `arguments`",
    ),
    (
        "unknown tool",
        calls_case("{tool: make_task, args: {title: x}}"),
        "expect.calls[0]: unknown tool `make_task` (known: create_task, update_task, "
        "assign_task, list_tasks, delete_task)",
    ),
    (
        "unknown argument",
        calls_case("{tool: list_tasks, args: {owner: bob}}"),
        "expect.calls[0]: unknown argument `owner` for list_tasks",
    ),
    (
        "argument of another tool",
        calls_case("{tool: assign_task, args: {task_id: 1, assignee: bob, due: friday}}"),
        "unknown argument `due` for assign_task",
    ),
    (
        "required argument left out",
        calls_case("{tool: create_task, args: {due: 2026-11-27}}"),
        "expect.calls[0]: create_task needs `title`; a call without it can never match",
    ),
    (
        "both input and turns",
        "- id: c1\n  input: hi\n  turns: [hi]\n  expect: {no_calls: true}\n",
        "give exactly one of `input` (a string) or `turns` (a list of strings)",
    ),
    (
        "neither input nor turns",
        "- id: c1\n  expect: {no_calls: true}\n",
        "give exactly one of `input` (a string) or `turns` (a list of strings)",
    ),
    (
        "empty turns",
        "- id: c1\n  turns: []\n  expect: {no_calls: true}\n",
        "turns is empty",
    ),
    (
        "bad timezone",
        "- id: c1\n  input: hi\n  timezone: Mars/Olympus\n  expect: {no_calls: true}\n",
        "timezone: unknown time zone 'Mars/Olympus'",
    ),
    (
        "bad now",
        "- id: c1\n  input: hi\n  now: next tuesday\n  expect: {no_calls: true}\n",
        "now: 'next tuesday' is not an ISO date",
    ),
    (
        "now without a time",
        "- id: c1\n  input: hi\n  now: 2026-11-25\n  expect: {no_calls: true}\n",
        "now: needs a time of day",
    ),
    (
        "seed status outside the enum",
        "- id: c1\n  input: hi\n  tasks: [{id: 1, title: x, status: closed}]\n"
        "  expect: {no_calls: true}\n",
        "tasks[0].status: 'closed' is not allowed",
    ),
    (
        "seed priority outside the enum",
        "- id: c1\n  input: hi\n  tasks: [{id: 1, title: x, priority: p1}]\n"
        "  expect: {no_calls: true}\n",
        "tasks[0].priority: 'p1' is not allowed",
    ),
    (
        "seed due that is not ISO",
        "- id: c1\n  input: hi\n  tasks: [{id: 1, title: x, due: friday}]\n"
        "  expect: {no_calls: true}\n",
        "tasks[0].due: 'friday' is not an ISO date",
    ),
    (
        "seed task with an unknown key",
        "- id: c1\n  input: hi\n  tasks: [{id: 1, title: x, owner: U0001}]\n"
        "  expect: {no_calls: true}\n",
        "tasks[0]: unknown key `owner`",
    ),
    (
        "seed assignee not among the users",
        "- id: c1\n  input: hi\n  tasks: [{id: 1, title: x, assignee: U0404}]\n"
        "  expect: {no_calls: true}\n",
        "tasks[0].assignee: U0404 is not among the users",
    ),
    (
        "seed task ids used twice",
        "- id: c1\n  input: hi\n  tasks: [{id: 1, title: x}, {id: 1, title: y}]\n"
        "  expect: {no_calls: true}\n",
        "tasks: a task id appears twice",
    ),
    (
        "actor not among the users",
        "- id: c1\n  input: hi\n  actor: U0404\n  expect: {no_calls: true}\n",
        "actor U0404 is not among the users",
    ),
    (
        "expected status outside the enum",
        calls_case("{tool: update_task, args: {task_id: 1, status: finished}}"),
        "expect.calls[0].args.status: 'finished' is not a status",
    ),
    (
        "expected priority outside the enum, inside any_of",
        calls_case("{tool: create_task, args: {title: x, priority: {any_of: [high, p0]}}}"),
        "expect.calls[0].args.priority: 'p0' is not a priority",
    ),
    (
        "state status outside the enum",
        "- id: c1\n  input: hi\n  expect: {state: [{title: x, status: closed}]}\n",
        "expect.state[0].status: 'closed' is not a status",
    ),
    (
        "unknown state field",
        "- id: c1\n  input: hi\n  expect: {state: [{name: x}]}\n",
        "expect.state[0]: unknown task field `name`",
    ),
    (
        "expected due that is not ISO",
        calls_case("{tool: create_task, args: {title: x, due: friday}}"),
        "expect.calls[0].args.due: 'friday' is not an ISO date",
    ),
    (
        "malformed any_of",
        calls_case("{tool: create_task, args: {title: {one_of: [a]}}}"),
        "a mapping value must be {any_of: [...]}",
    ),
    (
        "empty any_of",
        calls_case("{tool: create_task, args: {title: {any_of: []}}}"),
        "any_of needs a non-empty list",
    ),
    (
        "task id that is not a number",
        calls_case("{tool: delete_task, args: {task_id: seven}}"),
        "expect.calls[0].args.task_id: 'seven' is not a whole number",
    ),
    (
        "empty absent entry",
        "- id: c1\n  input: hi\n  expect: {absent: [{}]}\n",
        "expect.absent[0]: an empty entry matches every task",
    ),
    (
        "no_calls with calls",
        "- id: c1\n  input: hi\n"
        "  expect: {no_calls: true, calls: [{tool: list_tasks, args: {}}]}\n",
        "expect: no_calls is true but calls lists calls",
    ),
    (
        "nothing expected",
        "- id: c1\n  input: hi\n  expect: {}\n",
        "expect states nothing to check",
    ),
    (
        "no expect",
        "- id: c1\n  input: hi\n",
        "missing required key `expect`",
    ),
    (
        "negative task_count",
        "- id: c1\n  input: hi\n  expect: {task_count: -1}\n",
        "expect.task_count: Input should be greater than or equal to 0",
    ),
]


@pytest.mark.parametrize(
    ("cases", "reason"),
    [(cases, reason) for _, cases, reason in MALFORMED],
    ids=[name for name, _, _ in MALFORMED],
)
def test_lint_reports_each_malformed_kind_with_the_case_id(
    tmp_path: Path, cases: str, reason: str
) -> None:
    found = reasons(tmp_path, cases)
    assert any(case_id == "c1" and reason in text for case_id, text in found), found


def test_lint_reports_duplicate_case_ids(tmp_path: Path) -> None:
    found = reasons(
        tmp_path,
        """\
        - {id: same, input: a, expect: {no_calls: true}}
        - {id: other, input: b, expect: {no_calls: true}}
        - {id: same, input: c, expect: {no_calls: true}}
        """,
    )
    assert found == [("same", "duplicate case id")]


def test_lint_reports_every_problem_of_a_case_at_once(tmp_path: Path) -> None:
    found = reasons(
        tmp_path,
        """\
        - id: broken
          input: hi
          turns: [hi]
          timezone: Nowhere/Land
          typo: 1
          expect:
            extra: 1
            calls: [{tool: nope}, {tool: list_tasks, args: {bogus: 1}}]
        """,
    )
    texts = [text for case_id, text in found if case_id == "broken"]
    assert len(texts) == 6, texts
    assert any("exactly one of `input`" in text for text in texts)
    assert any("unknown time zone" in text for text in texts)
    assert any("unknown key `typo`" in text for text in texts)
    assert any("expect: unknown key `extra`" in text for text in texts)
    assert any("unknown tool `nope`" in text for text in texts)
    assert any("unknown argument `bogus`" in text for text in texts)


def test_a_case_without_an_id_is_named_by_its_position(tmp_path: Path) -> None:
    found = reasons(tmp_path, "- {input: hi, expect: {no_calls: true}}\n")
    assert found == [("cases[0]", "missing required key `id`")]


def test_lint_of_a_good_file_is_empty(tmp_path: Path) -> None:
    assert lint_dataset(write(tmp_path, BRIEF_EXAMPLE)) == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("schema: taskpilot-evals/v2\ncases: []\n", "schema must be `taskpilot-evals/v1`"),
        ("schema: taskpilot-evals/v1\n", "cases must be a non-empty list"),
        ("- just a list\n", "the file must be a mapping"),
        ("schema: taskpilot-evals/v1\ncases: [\n", "not valid YAML at line"),
        (
            HEADER + "cases: []\nextras: 1\n",
            "unknown top-level key `extras`",
        ),
        (
            HEADER.replace("timezone: America/New_York", "timezone: Atlantis")
            + "cases: [{id: a, input: b, expect: {no_calls: true}}]\n",
            "defaults.timezone: unknown time zone 'Atlantis'",
        ),
        (
            HEADER.replace("  team: T0001\n", "  team: T0001\n  speaker: U0001\n")
            + "cases: [{id: a, input: b, expect: {no_calls: true}}]\n",
            "defaults: unknown key `speaker`",
        ),
    ],
)
def test_lint_reports_file_level_problems(tmp_path: Path, text: str, reason: str) -> None:
    issues = lint_dataset(write(tmp_path, text))
    assert any(issue.case_id is None and reason in issue.reason for issue in issues), issues


def test_missing_file(tmp_path: Path) -> None:
    (issue,) = lint_dataset(tmp_path / "nope.yaml")
    assert "cannot read the file" in issue.reason


def test_loading_a_malformed_file_lists_every_issue(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        with_cases(
            """\
            - {id: a, input: hi, expect: {calls: [{tool: nope}]}}
            - {id: b, input: hi, timezone: Nowhere/Land, expect: {no_calls: true}}
            """
        ),
    )
    with pytest.raises(DatasetError) as caught:
        load_dataset(path)
    assert [(issue.case_id, issue.file) for issue in caught.value.issues] == [
        ("a", str(path)),
        ("b", str(path)),
    ]
    message = str(caught.value)
    assert message.startswith("2 problems in the eval dataset:")
    assert f"{path}: a: expect.calls[0]: unknown tool `nope`" in message
    assert f"{path}: b: timezone: unknown time zone" in message


def test_lint_issue_reads_as_a_line() -> None:
    issue = LintIssue(file="d.yaml", case_id="c1", reason="duplicate case id")
    assert str(issue) == "d.yaml: c1: duplicate case id"
    assert str(LintIssue(file="d.yaml", case_id=None, reason="bad")) == "d.yaml: bad"


# Several files.


def test_load_datasets_reads_directories_and_files_once(tmp_path: Path) -> None:
    first = write(tmp_path, BRIEF_EXAMPLE, "a.yaml")
    write(
        tmp_path,
        with_cases("- {id: other, input: hi, expect: {no_calls: true}}\n"),
        "b.yml",
    )
    write(tmp_path, "not a dataset", "notes.txt")
    datasets = load_datasets([tmp_path, first])
    assert [Path(dataset.path).name for dataset in datasets] == ["a.yaml", "b.yml"]


def test_case_ids_must_be_unique_across_files(tmp_path: Path) -> None:
    write(tmp_path, BRIEF_EXAMPLE, "a.yaml")
    second = write(tmp_path, BRIEF_EXAMPLE, "b.yaml")
    issues = lint_datasets([tmp_path])
    assert [(issue.file, issue.case_id) for issue in issues] == [(str(second), "create.basic.001")]
    assert "case id also used in" in issues[0].reason
    with pytest.raises(DatasetError):
        load_datasets([tmp_path])


def test_an_empty_directory_is_an_issue(tmp_path: Path) -> None:
    (issue,) = lint_datasets([tmp_path])
    assert issue.reason == "the directory holds no *.yaml or *.yml files"


def test_the_tool_contract_matches_the_tools_the_model_sees() -> None:
    from tools.task_tools import TASK_TOOLS

    assert [tool.name for tool in TASK_TOOLS] == list(TOOLS)
    for tool in TASK_TOOLS:
        # The first parameter is the run context, which the model never sees.
        params = list(inspect.signature(tool.function).parameters.values())[1:]
        spec = TOOLS[tool.name]
        required = tuple(param.name for param in params if param.default is param.empty)
        defaults = {
            param.name: param.default for param in params if param.default is not param.empty
        }
        assert (required, defaults) == (spec.required, dict(spec.defaults)), tool.name
