# Over 500 lines: the loader and validator of the public `taskpilot-evals/v1` format; every
# rule of the format is checked here, each with a message that names the case and the field.
"""Eval datasets in the `taskpilot-evals/v1` format: models, loading, merging and linting.

A dataset file holds `defaults` and `cases`. Every key of `defaults` (now, timezone, team, actor,
users, tasks) may be overridden by a case; an override replaces the default value whole. Loading
resolves each case against the defaults into a `Case` that the runner and the matcher use
without looking back at the file:

- `now` is the speaker's wall-clock time in the case's `timezone` (UTC when none is given); a
  value with an offset is converted to that zone. Every case needs one.
- `actor` must be one of the case's `users`; `team` defaults to `T0EVAL`.
- Seeded tasks take the actor as creator unless they name one; their `due` is an ISO date
  (all-day) or datetime (wall-clock time in the case's zone, unless it carries an offset), and
  their `assignee` and `creator` are user ids of the case's users.
- `input` (one message) or `turns` (several, in one conversation): exactly one of them.
- `expect` may state `calls`, `no_calls`, `state`, `absent` and `task_count`; only what it states
  is checked (see `evals.matching`), and it must state something.

Loading a malformed file raises `DatasetError`, which lists every problem found in the file
(file, case id, reason); `lint_dataset` returns the same problems as a list.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any, Final, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SCHEMA: Final = "taskpilot-evals/v1"
DATASET_SUFFIXES: Final = (".yaml", ".yml")

Status = Literal["open", "in_progress", "done", "cancelled"]
Priority = Literal["low", "normal", "high", "urgent"]
STATUSES: Final[tuple[str, ...]] = ("open", "in_progress", "done", "cancelled")
# `list_tasks` also takes a group of statuses: the active ones, the closed ones, or any.
LIST_STATUSES: Final[tuple[str, ...]] = (*STATUSES, "active", "closed", "any")
PRIORITIES: Final[tuple[str, ...]] = ("low", "normal", "high", "urgent")


# The tools the model sees, with each argument's default, exactly as the design brief lists them.
# These names are the eval contract: a dataset naming anything else is malformed.
@dataclass(frozen=True, kw_only=True)
class ToolSpec:
    """A tool's name, its required arguments and the defaults of its optional ones."""

    name: str
    required: tuple[str, ...]
    defaults: Mapping[str, object]

    @property
    def args(self) -> tuple[str, ...]:
        """Every argument name, required ones first."""
        return (*self.required, *self.defaults)


TOOLS: Final[Mapping[str, ToolSpec]] = {
    spec.name: spec
    for spec in (
        ToolSpec(
            name="create_task",
            required=("title",),
            defaults={
                "description": None,
                "assignee": None,
                "due": None,
                "priority": None,
                "tags": None,
            },
        ),
        ToolSpec(
            name="update_task",
            required=("task_id",),
            defaults={
                "title": None,
                "description": None,
                "due": None,
                "priority": None,
                "status": None,
                "tags": None,
            },
        ),
        ToolSpec(name="assign_task", required=("task_id", "assignee"), defaults={}),
        ToolSpec(
            name="list_tasks",
            required=(),
            defaults={
                "assignee": None,
                "creator": None,
                "status": None,
                "priority": None,
                "due_before": None,
                "due_after": None,
                "query": None,
                "limit": 20,
            },
        ),
        ToolSpec(name="delete_task", required=("task_id",), defaults={}),
    )
}

# The fields of a task that `state` and `absent` entries may name.
TASK_FIELDS: Final[tuple[str, ...]] = (
    "id",
    "title",
    "description",
    "status",
    "priority",
    "assignee",
    "creator",
    "due",
    "tags",
)

FieldKind = Literal["text", "when", "user", "task_id", "tags", "int", "status", "priority"]

# How each argument or task field is compared; see `evals.matching`.
FIELD_KINDS: Final[Mapping[str, FieldKind]] = {
    "title": "text",
    "description": "text",
    "query": "text",
    "due": "when",
    "due_before": "when",
    "due_after": "when",
    "assignee": "user",
    "creator": "user",
    "task_id": "task_id",
    "id": "task_id",
    "tags": "tags",
    "limit": "int",
    "status": "status",
    "priority": "priority",
}

ANY_OF: Final = "any_of"


@dataclass(frozen=True, kw_only=True)
class LintIssue:
    """One problem in a dataset file: where it is and why it is wrong."""

    file: str
    case_id: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.case_id}" if self.case_id else self.file
        return f"{where}: {self.reason}"


class DatasetError(Exception):
    """One or more dataset files are malformed; `issues` lists every problem found."""

    def __init__(self, issues: Sequence[LintIssue]) -> None:
        self.issues: tuple[LintIssue, ...] = tuple(issues)
        count = len(self.issues)
        lines = [f"{count} problem{'s' if count != 1 else ''} in the eval dataset:"]
        lines.extend(f"  {issue}" for issue in self.issues)
        super().__init__("\n".join(lines))


def parse_when(value: object) -> date | datetime:
    """Parse an ISO date or datetime, or pass a YAML date or datetime through.

    A datetime may be naive (wall-clock time in the case's zone) or carry an offset. Raises
    `ValueError` with a readable sentence for anything else.
    """
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == len("2026-11-25"):
                return date.fromisoformat(text)
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not an ISO date (2026-11-27) or datetime (2026-11-27T17:00)")


def localize(value: datetime, zone: tzinfo) -> datetime:
    """A naive datetime read as wall-clock time in `zone`; an aware one converted to `zone`."""
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value.astimezone(zone)


class _Strict(BaseModel):
    """Rejects unknown keys, so that a typo in a dataset is reported instead of ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SeedUser(_Strict):
    """A person in the case's workspace directory."""

    id: str = Field(min_length=1)
    # The Slack handle, as in `@alice`.
    name: str = Field(min_length=1)
    real_name: str | None = None
    display_name: str | None = None


class SeedTaskSpec(_Strict):
    """A task that exists before the case, as written in the file."""

    id: int = Field(ge=1)
    title: str = Field(min_length=1)
    description: str | None = None
    status: Status = "open"
    priority: Priority = "normal"
    assignee: str | None = None
    creator: str | None = None
    due: date | datetime | None = None
    tags: list[str] = Field(default_factory=list[str])

    @field_validator("due", mode="before")
    @classmethod
    def _parse_due(cls, value: object) -> object:
        return None if value is None else parse_when(value)


class SeedTask(_Strict):
    """A task that exists before the case, resolved: the creator is set, `due` is in the zone.

    `due` is a `date` for an all-day task and an aware `datetime` in the case's zone otherwise.
    """

    id: int
    title: str
    description: str | None
    status: Status
    priority: Priority
    assignee: str | None
    creator: str
    due: date | datetime | None
    tags: list[str]


def _parse_now(value: object) -> object:
    if value is None or (isinstance(value, datetime)):
        return value
    parsed = parse_when(value)
    if not isinstance(parsed, datetime):
        raise ValueError(f"needs a time of day, such as {parsed.isoformat()}T10:00:00")
    return parsed


def _check_zone(value: str | None) -> str | None:
    if value is None:
        return value
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as America/New_York"
        ) from None
    return value


class Defaults(_Strict):
    """What every case starts from; a case may override any of these keys."""

    now: datetime | None = None
    timezone: str | None = None
    team: str | None = None
    actor: str | None = None
    users: list[SeedUser] | None = None
    tasks: list[SeedTaskSpec] | None = None

    _now = field_validator("now", mode="before")(_parse_now)
    _tz = field_validator("timezone")(_check_zone)


class ExpectedCall(_Strict):
    """One tool call the model should make. Values may be `{any_of: [...]}`."""

    tool: str
    args: dict[str, Any] = Field(default_factory=dict[str, Any])


class Expectation(_Strict):
    """What must hold after a case; only the keys a case states are checked."""

    calls: list[ExpectedCall] | None = None
    no_calls: bool = False
    state: list[dict[str, Any]] | None = None
    absent: list[dict[str, Any]] | None = None
    task_count: int | None = Field(default=None, ge=0)

    @property
    def is_empty(self) -> bool:
        """True when the expectation states nothing to check."""
        return (
            self.calls is None
            and not self.no_calls
            and self.state is None
            and self.absent is None
            and self.task_count is None
        )


class CaseSpec(Defaults):
    """A case as written in the file: its own keys plus any default it overrides."""

    id: str = Field(min_length=1)
    category: str = Field(default="uncategorized", min_length=1)
    notes: str | None = None
    input: str | None = None
    turns: list[str] | None = None
    expect: Expectation


class Case(BaseModel):
    """A case resolved against its dataset's defaults, ready to run.

    `now` is aware, in the case's zone. A single `input` becomes one turn; the expected calls of
    a multi-turn case are the calls of all its turns, in order.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    category: str
    dataset: str
    notes: str | None = None
    turns: list[str]
    now: datetime
    timezone: str
    team: str
    actor: str
    users: list[SeedUser]
    tasks: list[SeedTask]
    expect: Expectation

    @property
    def zone(self) -> ZoneInfo:
        """The case's time zone."""
        return ZoneInfo(self.timezone)


class Dataset(BaseModel):
    """A loaded dataset file whose cases are all valid and resolved."""

    model_config = ConfigDict(frozen=True)

    name: str
    path: str
    description: str | None = None
    defaults: Defaults
    cases: list[Case]


_TOP_KEYS: Final = ("schema", "name", "description", "defaults", "cases")
_DEFAULT_TEAM: Final = "T0EVAL"
_DEFAULT_ZONE: Final = "UTC"


def _loc(parts: Iterable[int | str]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _validation_reasons(error: ValidationError, *, prefix: str = "") -> list[str]:
    """Turn pydantic's errors into short sentences naming the key at fault."""
    reasons: list[str] = []
    for item in error.errors():
        loc: list[int | str] = list(item["loc"])
        if prefix:
            loc = [prefix, *loc]
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            parent = _loc(loc[:-1])
            text = f"unknown key `{loc[-1]}`"
            reasons.append(f"{parent}: {text}" if parent else text)
        elif item["type"] == "missing":
            parent = _loc(loc[:-1])
            text = f"missing required key `{loc[-1]}`"
            reasons.append(f"{parent}: {text}" if parent else text)
        else:
            if item["type"] == "literal_error":
                message = f"{item['input']!r} is not allowed. {message}"
            where = _loc(loc)
            reasons.append(f"{where}: {message}" if where else message)
    return reasons


def alternatives(value: object) -> list[object]:
    """The values an expectation accepts: the `any_of` list, or the value itself."""
    if isinstance(value, dict):
        options = cast("dict[object, object]", value).get(ANY_OF)
        if isinstance(options, list):
            return list(cast("list[object]", options))
    return [value]


def _value_problem(name: str, value: object, *, tool: str | None = None) -> str | None:
    """Why an expected value cannot be compared, or None when it is fine."""
    if isinstance(value, dict):
        mapping = cast("dict[object, object]", value)
        if set(mapping) != {ANY_OF}:
            return "a mapping value must be {any_of: [...]}"
        options = alternatives(mapping)
        if not isinstance(mapping[ANY_OF], list) or not options:
            return "any_of needs a non-empty list"
        for option in options:
            if isinstance(option, dict):
                return "any_of cannot nest mappings"
            problem = _value_problem(name, option, tool=tool)
            if problem:
                return problem
        return None
    if value is None:
        return None
    kind = FIELD_KINDS.get(name, "text")
    problem: str | None = None
    statuses = LIST_STATUSES if tool == "list_tasks" else STATUSES
    if kind == "status" and value not in statuses:
        problem = f"{value!r} is not a status ({', '.join(statuses)})"
    elif kind == "priority" and value not in PRIORITIES:
        problem = f"{value!r} is not a priority ({', '.join(PRIORITIES)})"
    elif kind == "when":
        try:
            parse_when(value)
        except ValueError as error:
            problem = str(error)
    elif kind in ("task_id", "int") and as_int(value) is None:
        problem = f"{value!r} is not a whole number"
    elif kind == "tags" and not (
        isinstance(value, list) and all(isinstance(tag, str) for tag in cast("list[object]", value))
    ):
        problem = "tags must be a list of strings"
    elif kind in ("text", "user") and not isinstance(value, str):
        problem = f"{value!r} is not a string"
    return problem


def as_int(value: object) -> int | None:
    """7, "7" and "#7" as 7; None for anything that is not a whole number (nor a bool)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip().lstrip("#").strip()
        if text.isdigit():
            return int(text)
    return None


def _expectation_problems(expect: Expectation) -> list[str]:
    problems: list[str] = []
    if expect.is_empty:
        problems.append("expect states nothing to check")
    if expect.no_calls and expect.calls:
        problems.append("expect: no_calls is true but calls lists calls")
    for index, call in enumerate(expect.calls or []):
        where = f"expect.calls[{index}]"
        spec = TOOLS.get(call.tool)
        if spec is None:
            problems.append(f"{where}: unknown tool `{call.tool}` (known: {', '.join(TOOLS)})")
            continue
        for name, value in call.args.items():
            if name not in spec.args:
                known = ", ".join(spec.args)
                problems.append(
                    f"{where}: unknown argument `{name}` for {call.tool} (known: {known})"
                )
                continue
            problem = _value_problem(name, value, tool=call.tool)
            if problem:
                problems.append(f"{where}.args.{name}: {problem}")
        problems.extend(
            f"{where}: {call.tool} needs `{name}`; a call without it can never match"
            for name in spec.required
            if name not in call.args
        )
    for key, entries in (("state", expect.state), ("absent", expect.absent)):
        for index, entry in enumerate(entries or []):
            where = f"expect.{key}[{index}]"
            if not entry:
                problems.append(f"{where}: an empty entry matches every task")
            for name, value in entry.items():
                if name not in TASK_FIELDS:
                    problems.append(
                        f"{where}: unknown task field `{name}` (known: {', '.join(TASK_FIELDS)})"
                    )
                    continue
                problem = _value_problem(name, value)
                if problem:
                    problems.append(f"{where}.{name}: {problem}")
    return problems


def _resolve_case(
    spec: CaseSpec, defaults: Defaults, *, dataset: str
) -> tuple[Case | None, list[str]]:
    """Merge a case with the defaults and check what only the merged case can tell."""
    problems: list[str] = []
    if (spec.input is None) == (spec.turns is None):
        problems.append("give exactly one of `input` (a string) or `turns` (a list of strings)")
    turns = [spec.input] if spec.input is not None else list(spec.turns or [])
    if spec.turns is not None and not turns:
        problems.append("turns is empty")
    if any(not turn.strip() for turn in turns):
        problems.append("a turn is empty")

    zone_name = spec.timezone or defaults.timezone or _DEFAULT_ZONE
    zone = ZoneInfo(zone_name)
    now = spec.now or defaults.now
    if now is None:
        problems.append("no `now`: set it in defaults or in the case")
    team = spec.team or defaults.team or _DEFAULT_TEAM
    actor = spec.actor or defaults.actor
    users = spec.users if spec.users is not None else (defaults.users or [])
    seeds = spec.tasks if spec.tasks is not None else (defaults.tasks or [])

    user_ids = [user.id for user in users]
    if len(set(user_ids)) != len(user_ids):
        problems.append("users: a user id appears twice")
    if actor is None:
        problems.append("no `actor`: set it in defaults or in the case")
    elif actor not in user_ids:
        problems.append(f"actor {actor} is not among the users")
    task_ids = [seed.id for seed in seeds]
    if len(set(task_ids)) != len(task_ids):
        problems.append("tasks: a task id appears twice")
    for index, seed in enumerate(seeds):
        for role, user_id in (("assignee", seed.assignee), ("creator", seed.creator)):
            if user_id is not None and user_id not in user_ids:
                problems.append(f"tasks[{index}].{role}: {user_id} is not among the users")
    problems.extend(_expectation_problems(spec.expect))

    if problems or now is None or actor is None:
        return None, problems
    tasks = [
        SeedTask(
            id=seed.id,
            title=seed.title,
            description=seed.description,
            status=seed.status,
            priority=seed.priority,
            assignee=seed.assignee,
            creator=seed.creator or actor,
            due=localize(seed.due, zone) if isinstance(seed.due, datetime) else seed.due,
            tags=list(seed.tags),
        )
        for seed in seeds
    ]
    case = Case(
        id=spec.id,
        category=spec.category,
        dataset=dataset,
        notes=spec.notes,
        turns=turns,
        now=localize(now, zone),
        timezone=zone_name,
        team=team,
        actor=actor,
        users=list(users),
        tasks=tasks,
        expect=spec.expect,
    )
    return case, []


def _partial_problems(raw_case: dict[Any, Any]) -> list[str]:
    """What else is wrong in a case that failed validation, so one lint run shows everything."""
    problems: list[str] = []
    if ("input" in raw_case) == ("turns" in raw_case):
        problems.append("give exactly one of `input` (a string) or `turns` (a list of strings)")
    raw_expect: object = raw_case.get("expect")
    if isinstance(raw_expect, dict):
        # Unknown keys are already reported; check what the known keys say.
        fields = cast("dict[object, object]", raw_expect)
        known = {key: value for key, value in fields.items() if key in Expectation.model_fields}
        try:
            expect = Expectation.model_validate(known)
        except ValidationError:
            return problems
        problems.extend(_expectation_problems(expect))
    return problems


def _read_yaml(path: Path) -> tuple[object, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        return None, [f"cannot read the file: {error.strerror or error}"]
    except UnicodeDecodeError:
        return None, ["the file is not UTF-8 text"]
    try:
        return yaml.safe_load(text), []
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if isinstance(mark, yaml.Mark) else ""
        problem = getattr(error, "problem", None) or "malformed YAML"
        return None, [f"not valid YAML{line}: {problem}"]


def _parse(path: Path) -> tuple[Dataset | None, list[LintIssue]]:
    """Read, validate and resolve one file; a dataset only when there are no issues."""
    file = str(path)
    issues: list[LintIssue] = []

    def issue(reason: str, case_id: str | None = None) -> None:
        issues.append(LintIssue(file=file, case_id=case_id, reason=reason))

    raw, problems = _read_yaml(path)
    for problem in problems:
        issue(problem)
    if problems:
        return None, issues
    if not isinstance(raw, dict):
        issue("the file must be a mapping with `schema`, `defaults` and `cases`")
        return None, issues
    top: dict[Any, Any] = raw  # pyright: ignore[reportUnknownVariableType]
    name, description, defaults = _read_top(top, path=path, issue=issue)
    cases = _read_cases(top.get("cases"), defaults=defaults, dataset=name, issue=issue)
    if issues:
        return None, issues
    dataset = Dataset(name=name, path=file, description=description, defaults=defaults, cases=cases)
    return dataset, []


def _read_top(
    top: dict[Any, Any], *, path: Path, issue: Callable[[str], None]
) -> tuple[str, str | None, Defaults]:
    """The file's keys, schema, name, description and defaults, each problem reported."""
    for key in top:
        if key not in _TOP_KEYS:
            issue(f"unknown top-level key `{key}` (known: {', '.join(_TOP_KEYS)})")
    if top.get("schema") != SCHEMA:
        issue(f"schema must be `{SCHEMA}`, found {top.get('schema')!r}")
    name = top.get("name", path.stem)
    if not isinstance(name, str) or not name:
        issue("name must be a non-empty string")
        name = path.stem
    description = top.get("description")
    if description is not None and not isinstance(description, str):
        issue("description must be a string")
        description = None
    defaults = Defaults()
    try:
        defaults = Defaults.model_validate(top.get("defaults") or {})
    except ValidationError as error:
        for reason in _validation_reasons(error, prefix="defaults"):
            issue(reason)
    return name, description, defaults


def _read_cases(
    raw_cases: object,
    *,
    defaults: Defaults,
    dataset: str,
    issue: Callable[[str, str | None], None],
) -> list[Case]:
    """The file's cases, resolved against its defaults, each problem reported by case id."""
    if not isinstance(raw_cases, list) or not raw_cases:
        issue("cases must be a non-empty list", None)
        raw_cases = []
    cases: list[Case] = []
    seen: set[str] = set()
    for index, raw_case in enumerate(raw_cases):  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
        case_id = f"cases[{index}]"
        if isinstance(raw_case, dict) and isinstance(raw_case.get("id"), str):  # pyright: ignore[reportUnknownMemberType]
            case_id = str(raw_case["id"])  # pyright: ignore[reportUnknownArgumentType]
            if case_id in seen:
                issue("duplicate case id", case_id)
            seen.add(case_id)
        if not isinstance(raw_case, dict):
            issue("a case must be a mapping", case_id)
            continue
        try:
            spec = CaseSpec.model_validate(raw_case)
        except ValidationError as error:
            for reason in _validation_reasons(error):
                issue(reason, case_id)
            for reason in _partial_problems(raw_case):  # pyright: ignore[reportUnknownArgumentType]
                issue(reason, case_id)
            continue
        case, problems = _resolve_case(spec, defaults, dataset=dataset)
        for problem in problems:
            issue(problem, case_id)
        if case is not None:
            cases.append(case)
    return cases


def lint_dataset(path: str | Path) -> list[LintIssue]:
    """Every problem in one dataset file; an empty list when the file is well formed."""
    _, issues = _parse(Path(path))
    return issues


def load_dataset(path: str | Path) -> Dataset:
    """Load one dataset file. Raises `DatasetError` listing every problem found."""
    dataset, issues = _parse(Path(path))
    if dataset is None:
        raise DatasetError(issues)
    return dataset


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and every `*.yaml`/`*.yml` file directly in a given directory, sorted.

    A file named twice (directly and through its directory, say) is read once.
    """
    files: dict[Path, Path] = {}
    for given in paths:
        path = Path(given)
        found = (
            sorted(child for child in path.iterdir() if child.suffix in DATASET_SUFFIXES)
            if path.is_dir()
            else [path]
        )
        for file in found:
            files.setdefault(file.resolve(), file)
    return list(files.values())


def lint_datasets(paths: Iterable[str | Path]) -> list[LintIssue]:
    """Every problem in the given files and directories, including case ids used twice."""
    _, issues = read_datasets(paths)
    return issues


def load_datasets(paths: Iterable[str | Path]) -> list[Dataset]:
    """Load files and directories. Raises `DatasetError` listing every problem in all of them."""
    datasets, issues = read_datasets(paths)
    if issues:
        raise DatasetError(issues)
    return datasets


def read_datasets(paths: Iterable[str | Path]) -> tuple[list[Dataset], list[LintIssue]]:
    """The well-formed datasets among files and directories, and every problem found.

    Case ids must be unique across the files, since reports key results by case id.
    """
    given = [Path(path) for path in paths]
    datasets: list[Dataset] = []
    issues: list[LintIssue] = []
    if not given:
        issues.append(LintIssue(file="-", case_id=None, reason="no dataset files given"))
    for path in given:
        if path.is_dir() and not expand_paths([path]):
            reason = "the directory holds no *.yaml or *.yml files"
            issues.append(LintIssue(file=str(path), case_id=None, reason=reason))
    for path in expand_paths(given):
        dataset, found = _parse(path)
        issues.extend(found)
        if dataset is not None:
            datasets.append(dataset)
    owners: dict[str, str] = {}
    for dataset in datasets:
        for case in dataset.cases:
            first = owners.setdefault(case.id, dataset.path)
            if first != dataset.path:
                reason = f"case id also used in {first}"
                issues.append(LintIssue(file=dataset.path, case_id=case.id, reason=reason))
    return datasets, issues
