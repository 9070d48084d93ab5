"""deepeval metrics that agree with `taskpilot eval run` on which cases pass.

Why our own metrics gate, and deepeval's `ToolCorrectnessMetric` only reports:

`ToolCorrectnessMetric` compares tool names and, with `ToolCallParams.INPUT_PARAMETERS`,
the arguments as whole dictionaries with `==`. Our matcher (`evals.matching`) is looser where
the dataset format says so, and stricter elsewhere: titles pass at a token-set similarity of
0.8, `due` compares the resolved date, `assignee` compares resolved user ids (`bob`, `@bob`,
`<@U0002>` are one person), `{any_of: [...]}` accepts several values, an argument left at the
tool's default is fine, and the case's state afterwards (`state`, `absent`, `task_count`) is
checked too. So `ToolCorrectnessMetric` on arguments would fail cases that `taskpilot eval run`
passes, and cannot see a wrong task in the database at all.

The faithful approach is to gate on the verdict of our own matcher, which the runner has
already computed (`CaseResult.checks`), split into two metrics so the report says which half
failed:

- `TaskPilotCallMetric`: the call-level checks (`call`, `no_calls`) all passed.
- `TaskStateMetric`: the state-level checks (`state`, `absent`, `task_count`) all passed.

A case that raised (an `error` check) fails both; a case with no checks at all fails the call
metric, as `evals.matching.all_passed` fails it. So both metrics succeed exactly when
`CaseResult.passed` is true, and `deepeval test run` passes the same cases as
`taskpilot eval run`.

`ToolCorrectnessMetric` is still reported twice, never gating (threshold 0), for the cases that
state their calls (or `no_calls`): on tool names in order (`should_exact_match`), and on names
plus exact arguments, which shows how often a plain `==` on arguments would disagree with our
matcher. Neither calls an LLM: no `available_tools`
are given (that is the only part of the metric that asks a judge), and the judge model it
insists on building is `NoJudge`, which raises if anything ever asks it to generate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, cast

from deepeval.metrics import BaseMetric, ToolCorrectnessMetric
from deepeval.models import DeepEvalBaseLLM
from deepeval.test_case import LLMTestCase, SingleTurnParams, ToolCallParams

from evals.matching import Check, CheckKind

CALL_KINDS: frozenset[CheckKind] = frozenset({"call", "no_calls"})
STATE_KINDS: frozenset[CheckKind] = frozenset({"state", "absent", "task_count"})
CHECKS_KEY = "taskpilot_checks"


class NoJudgeError(RuntimeError):
    """Something asked the offline evals for an LLM judgement."""


class NoJudge(DeepEvalBaseLLM):
    """A judge model that never judges: the offline evals make no LLM call.

    deepeval metrics build a judge model when they are created (OpenAI's by default, which
    needs a key); handing them this one keeps construction offline, and any attempt to use it
    fails loudly instead of reaching for the network.
    """

    def __init__(self) -> None:
        super().__init__(model="no-judge")  # pyright: ignore[reportUnknownMemberType]

    def load_model(self, *args: object, **kwargs: object) -> NoJudge:
        return self

    def generate(self, *args: object, **kwargs: object) -> str:
        raise NoJudgeError("the offline TaskPilot evals have no LLM judge")

    async def a_generate(self, *args: object, **kwargs: object) -> str:
        raise NoJudgeError("the offline TaskPilot evals have no LLM judge")

    def get_model_name(self, *args: object, **kwargs: object) -> str:
        return "no-judge (offline)"


def checks_metadata(checks: Iterable[Check]) -> list[dict[str, Any]]:
    """The checks as JSON-ready dicts, for `LLMTestCase.metadata[CHECKS_KEY]`."""
    return [check.model_dump(mode="json") for check in checks]


def checks_of(test_case: LLMTestCase) -> list[Check]:
    """The matcher's checks that the test case carries in its metadata."""
    metadata = cast("Mapping[str, Any]", test_case.metadata or {})  # pyright: ignore[reportUnknownMemberType]
    raw = cast("Sequence[Mapping[str, Any]]", metadata.get(CHECKS_KEY) or [])
    return [Check.model_validate(item) for item in raw]


class _ChecksMetric(BaseMetric):
    """Scores 1.0 when every check of `kinds` holds (and the case did not raise), else 0.0."""

    kinds: ClassVar[frozenset[CheckKind]] = frozenset()
    label: ClassVar[str] = "TaskPilot checks"
    vacuous: ClassVar[str] = "no expectations of this kind"
    required_when_empty: ClassVar[bool] = False
    _required_params: ClassVar[list[SingleTurnParams]] = [SingleTurnParams.INPUT]

    def __init__(self) -> None:
        self.threshold = 1.0
        self.include_reason = True
        self.async_mode = False
        self.strict_mode = True
        self.evaluation_model = None

    def measure(self, test_case: LLMTestCase, *args: object, **kwargs: object) -> float:
        checks = checks_of(test_case)
        errors = [check for check in checks if check.kind == "error"]
        mine = [check for check in checks if check.kind in self.kinds]
        failed = [check.reason for check in [*errors, *mine] if not check.passed]
        if failed:
            score, reason = 0.0, "; ".join(failed)
        elif not checks and self.required_when_empty:
            score, reason = 0.0, "the case states no expectation"
        elif not mine:
            score, reason = 1.0, self.vacuous
        else:
            score, reason = 1.0, "; ".join(check.reason for check in mine)
        self.score = score
        self.reason = reason
        self.success = score >= 1.0
        return score

    async def a_measure(self, test_case: LLMTestCase, *args: object, **kwargs: object) -> float:
        return self.measure(test_case)

    def is_successful(self) -> bool:
        return bool(self.success)

    @property
    def __name__(self) -> str:  # pyright: ignore[reportIncompatibleMethodOverride]
        return self.label


class TaskPilotCallMetric(_ChecksMetric):
    """Our matcher's verdict on the calls: same count, same tools in order, arguments matched
    with the dataset format's rules (fuzzy text, resolved dates and people, `any_of`)."""

    kinds = CALL_KINDS
    label = "TaskPilot calls"
    vacuous = "no call expectations"
    required_when_empty = True


class TaskStateMetric(_ChecksMetric):
    """Our matcher's verdict on the team's tasks after the case: `state`, `absent`,
    `task_count`."""

    kinds = STATE_KINDS
    label = "TaskPilot state"
    vacuous = "no state expectations"


class ToolArgsExactMetric(ToolCorrectnessMetric):
    """`ToolCorrectnessMetric` comparing names and arguments with `==` (reported only)."""

    @property
    def __name__(self) -> str:  # pyright: ignore[reportIncompatibleMethodOverride]
        return "Tool Correctness (exact args)"


def reporting_metrics() -> list[BaseMetric]:
    """deepeval's own tool metrics, deterministic and never gating (threshold 0)."""
    names = ToolCorrectnessMetric(
        threshold=0.0,
        model=NoJudge(),
        should_exact_match=True,
        include_reason=True,
        async_mode=False,
    )
    exact_args = ToolArgsExactMetric(
        threshold=0.0,
        model=NoJudge(),
        evaluation_params=[ToolCallParams.INPUT_PARAMETERS],
        should_exact_match=True,
        include_reason=True,
        async_mode=False,
    )
    return [names, exact_args]


def gating_metrics() -> list[BaseMetric]:
    """The metrics that decide a case, as `taskpilot eval run` does."""
    return [TaskPilotCallMetric(), TaskStateMetric()]
