"""Model calls and prompt tokens per turn: TaskPilot's turn loop against a plain agent loop.

Run: `uv run python bench/provider_round_trips.py` (or `make bench-providers`). Options:
`--holdout` adds `evals/holdout/*.yaml`, `--dataset PATH` replaces the public datasets,
`--prompt VERSION` picks the prompt (default: `TASKPILOT_PROMPT_VERSION`), `--limit N` runs
the first N replayable cases only.

No model is called. Every provider response is SCRIPTED: a local server speaking the OpenAI
Chat Completions wire format (`devtools.scripted_provider`) answers each case's first request
with one response holding all of the case's expected calls (`expect.calls`) as parallel tool
calls, with the arguments exactly as the dataset gives them (`{any_of: [...]}`: the first
non-null option); a `no_calls` case gets a short text, and any later request (the model asked
again after the tool results) gets a one-sentence text. Both modes go over real HTTP through
LiteLLM's router and the OpenAI SDK, to one agent built for `openai/gpt-4.1-mini` with
`TASKPILOT_LLM_BASE_URL` pointing at that server, side by side in one run:

- A, "taskpilot": `agent.runtime.run_turn`, which ends a turn whose calls all wrote
  successfully without a second model call;
- B, "naive loop": `runtime.agent.run(...)`, the plain pydantic-ai loop, which always asks
  the model again after tools.

Multi-turn cases are skipped, and so are cases expecting `delete_task` (their confirmation
turn is not replayed) and cases stating no calls at all. Prompt tokens are counted over each
recorded request body with the provider's tokenizer (tiktoken `o200k_base`) and the message
and tool-definition overheads of OpenAI's cookbook (`evals.tokens.count_request_tokens`).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_ai.messages import ModelMessage

    from agent.assembly import AgentRuntime
    from devtools.scripted_provider import RecordedRequest, Reply, ScriptedProvider
    from evals.dataset import Case, Dataset, ExpectedCall

MODEL = "openai/gpt-4.1-mini"
ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "evals" / "datasets"
HOLDOUT = ROOT / "evals" / "holdout"
SOURCE = "bench"
NO_ACTION_TEXT = "Which task do you mean? Give me its number and I'll take care of it."
CLOSING_TEXT = "That's where this request stands now."
# The bounds `run_turn` puts on a turn, so that the plain loop runs under the same ones.
REQUEST_LIMIT = 8
TOOL_CALLS_LIMIT = 12
WRITES = frozenset({"create_task", "update_task", "assign_task", "delete_task"})

Json = dict[str, Any]
CountTokens = Callable[[Json], int]


def _prepare_environment() -> None:
    """Keep LiteLLM and tiktoken off the network; call before anything imports litellm."""
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    spec = importlib.util.find_spec("litellm")
    folders = list(spec.submodule_search_locations or []) if spec else []
    if not folders:
        sys.exit("litellm is not installed: run `uv sync` first")
    # LiteLLM ships tiktoken's encoding files, so tiktoken need not download them.
    tokenizers = Path(folders[0]) / "litellm_core_utils" / "tokenizers"
    os.environ["TIKTOKEN_CACHE_DIR"] = str(tokenizers)


def _token_counter() -> CountTokens:
    """Prompt tokens of a request body as OpenAI bills them (see `evals.tokens`)."""
    from evals.tokens import count_request_tokens

    return count_request_tokens


# ---- which cases replay, and what the scripted provider answers ------------------------------


def _skip_reason(case: Case) -> str | None:
    calls = case.expect.calls
    if len(case.turns) > 1:
        return "multi-turn"
    if calls and any(call.tool == "delete_task" for call in calls):
        return "delete (confirmation turn not replayed)"
    if not case.expect.no_calls and not calls:
        return "no calls stated"
    return None


def _first_value(value: object) -> object:
    from evals.dataset import alternatives

    return next((option for option in alternatives(value) if option is not None), None)


def _scripted_args(call: ExpectedCall) -> dict[str, object]:
    chosen = {name: _first_value(value) for name, value in call.args.items()}
    return {name: value for name, value in chosen.items() if value is not None}


def _shape(case: Case) -> str:
    calls = case.expect.calls or []
    if not calls:
        return "no call"
    if len(calls) > 1:
        return "several calls"
    return "single write action" if calls[0].tool in WRITES else "single list action"


class CaseScript:
    """The responder: the current case's calls for its first request, a text afterwards."""

    def __init__(self) -> None:
        self._first: Reply | None = None

    def load(self, case: Case) -> None:
        from devtools.scripted_provider import text, tool_calls

        calls = case.expect.calls or []
        if calls:
            self._first = tool_calls(*((call.tool, _scripted_args(call)) for call in calls))
        else:
            self._first = text(NO_ACTION_TEXT)

    def __call__(self, request: RecordedRequest) -> Reply:
        from devtools.scripted_provider import text

        first, self._first = self._first, None
        return first if first is not None else text(CLOSING_TEXT)


# ---- running the two modes -------------------------------------------------------------------


@dataclass
class Turn:
    """One case's turn in one mode, as the scripted server saw it."""

    case_id: str
    shape: str
    prompt_tokens: list[int]
    call_errors: list[str]
    """What each failed tool call told the model."""
    error: str | None = None
    first_body: Json | None = None

    @property
    def model_calls(self) -> int:
        return len(self.prompt_tokens)

    @property
    def calls_ok(self) -> bool:
        return self.error is None and not self.call_errors


@dataclass
class Mode:
    key: str
    title: str
    turns: list[Turn] = field(default_factory=list[Turn])


def _plain_loop_call_errors(messages: Sequence[ModelMessage]) -> list[str]:
    """What the failed tool calls of a plain run told the model."""
    from pydantic_ai.messages import ModelRequest, RetryPromptPart, ToolReturnPart

    errors: list[str] = []
    for message in messages:
        if not isinstance(message, ModelRequest):
            continue
        for part in message.parts:
            if isinstance(part, RetryPromptPart):
                errors.append(part.model_response())
            elif isinstance(part, ToolReturnPart):
                content: Any = part.content
                if part.outcome != "success":
                    errors.append(part.model_response_str())
                elif not (isinstance(content, dict) and content.get("ok")):  # pyright: ignore[reportUnknownMemberType]
                    failure = content.get("error") if isinstance(content, dict) else content  # pyright: ignore[reportUnknownMemberType]
                    errors.append(str(failure))  # pyright: ignore[reportUnknownArgumentType]
    return errors


async def _run_case(
    case: Case, *, mode: str, runtime: AgentRuntime, server: ScriptedProvider, count: CountTokens
) -> Turn:
    from pydantic_ai.usage import UsageLimits

    from agent.prompt_people import prompt_people
    from agent.runtime import run_turn
    from evals.runner import case_environment

    error: str | None = None
    call_errors: list[str] = []
    with case_environment(case, source=SOURCE) as (sessions, deps):
        start = len(server.requests)
        try:
            if mode == "taskpilot":
                result = await run_turn(
                    case.turns[0], runtime=runtime, deps=deps, conversation_id=f"bench:{case.id}"
                )
                error = result.error
                call_errors = [
                    record.error or "failed" for record in result.tool_calls if not record.ok
                ]
            else:
                # What `run_turn` puts in the prompt: both modes send the same first request.
                with sessions() as session:
                    deps = replace(deps, people=prompt_people(session, case.team))
                limits = UsageLimits(
                    request_limit=REQUEST_LIMIT,
                    tool_calls_limit=TOOL_CALLS_LIMIT,
                    total_tokens_limit=runtime.settings.turn_max_tokens,
                )
                run = await runtime.agent.run(case.turns[0], deps=deps, usage_limits=limits)
                call_errors = _plain_loop_call_errors(run.new_messages())
        except Exception as exc:  # One broken case must not stop the run.
            error = f"{type(exc).__name__}: {exc}"
        requests = server.requests[start:]
    return Turn(
        case_id=case.id,
        shape=_shape(case),
        prompt_tokens=[count(request.body) for request in requests],
        call_errors=call_errors,
        error=error,
        first_body=requests[0].body if requests else None,
    )


async def _run_all(
    cases: Sequence[Case],
    *,
    runtime: AgentRuntime,
    server: ScriptedProvider,
    script: CaseScript,
    count: CountTokens,
    modes: Sequence[Mode],
    advance: Callable[[], None],
) -> None:
    for case in cases:
        for mode in modes:
            script.load(case)
            mode.turns.append(
                await _run_case(case, mode=mode.key, runtime=runtime, server=server, count=count)
            )
        advance()


def _with_progress(total: int, work: Callable[[Callable[[], None]], None]) -> None:
    """Run `work(advance)` with a progress bar on stderr, or a plain counter off a terminal."""
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("cases (both modes)", total=total)
            work(lambda: bar.advance(task))
        return
    done = 0

    def advance() -> None:
        nonlocal done
        done += 1
        if done % 25 == 0 or done == total:
            print(f"cases (both modes): {done}/{total}", file=sys.stderr, flush=True)

    work(advance)


# ---- the report ------------------------------------------------------------------------------


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def _row(
    label: str, values: Sequence[float | str], *, fmt: str = ".2f", ratio: bool = False
) -> str:
    """A table row: the label, mode A's and mode B's values, and A/B when asked for."""
    a, b = values
    cells = [value if isinstance(value, str) else format(value, fmt) for value in (a, b)]
    quotient = ""
    if ratio and not isinstance(a, str) and not isinstance(b, str):
        quotient = f"{a / b:.2f}" if b else "-"
    return f"{label:<44}{cells[0]:>13}{cells[1]:>15}{quotient:>8}"


def _report(modes: Sequence[Mode], *, shapes: Sequence[str]) -> list[str]:
    lines = [f"{'':<44}{'A taskpilot':>13}{'B naive loop':>15}{'A/B':>8}"]
    lines.append(_row("cases run", [str(len(mode.turns)) for mode in modes]))
    calls = [_mean([turn.model_calls for turn in mode.turns]) for mode in modes]
    lines.append(_row("model calls per turn, mean", calls, ratio=True))
    for shape in shapes:
        subsets = [
            [turn.model_calls for turn in mode.turns if turn.shape == shape] for mode in modes
        ]
        if subsets[0]:
            label = f"  {shape} ({len(subsets[0])} cases)"
            lines.append(_row(label, [_mean(subset) for subset in subsets], ratio=True))
    per_call = [[tokens for turn in mode.turns for tokens in turn.prompt_tokens] for mode in modes]
    lines.append(
        _row("prompt tokens per model call, mean", [_mean(v) for v in per_call], fmt=".0f")
    )
    medians = [statistics.median(v) if v else 0 for v in per_call]
    lines.append(_row("prompt tokens per model call, p50", medians, fmt=".0f"))
    lines.append(
        _row("prompt tokens per model call, max", [max(v, default=0) for v in per_call], fmt=".0f")
    )
    per_turn = [_mean([sum(turn.prompt_tokens) for turn in mode.turns]) for mode in modes]
    lines.append(_row("prompt tokens per turn, mean", per_turn, fmt=".0f", ratio=True))
    totals = [sum(sum(turn.prompt_tokens) for turn in mode.turns) for mode in modes]
    lines.append(_row("prompt tokens, total", totals, fmt=",.0f", ratio=True))
    oks = [f"{sum(turn.calls_ok for turn in mode.turns)}/{len(mode.turns)}" for mode in modes]
    lines.append(_row("turns whose scripted calls all succeeded", oks))
    errors = [str(sum(turn.error is not None for turn in mode.turns)) for mode in modes]
    lines.append(_row("turns that failed", errors))
    return lines


def _checks(modes: Sequence[Mode]) -> list[str]:
    a, b = modes
    lines: list[str] = []
    same = sum(
        x.first_body is not None and x.first_body == y.first_body
        for x, y in zip(a.turns, b.turns, strict=True)
    )
    lines.append(f"first request byte-identical in A and B: {same}/{len(a.turns)} cases")
    singles = [turn for turn in a.turns if turn.shape == "single write action"]
    exact = sum(turn.model_calls == 1 for turn in singles)
    verdict = "yes" if singles and exact == len(singles) else "no"
    lines.append(
        f"A takes exactly 1 model call for every single write action: {verdict} "
        f"({exact}/{len(singles)})"
    )
    extra = [turn for turn in singles if turn.model_calls != 1]
    for turn in extra[:10]:
        why = turn.error or "; ".join(turn.call_errors) or "every call succeeded"
        lines.append(f"  {turn.case_id}: {turn.model_calls} model calls: {why}")
    if len(extra) > 10:
        lines.append(f"  ... and {len(extra) - 10} more")
    for mode in modes:
        failed = [turn for turn in mode.turns if turn.error is not None]
        for turn in failed[:5]:
            lines.append(f"{mode.title} failed {turn.case_id}: {turn.error}")
    return lines


# ---- entry -----------------------------------------------------------------------------------


def _datasets(paths: Sequence[Path]) -> list[Dataset]:
    from evals.dataset import expand_paths, load_dataset

    # One file at a time: the held-out files may reuse a public case id.
    return [load_dataset(path) for path in expand_paths(paths)]


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Model calls and prompt tokens per turn, TaskPilot's loop against a plain "
        "agent loop, replayed through SCRIPTED provider responses (no model is called)."
    )
    parser.add_argument("--dataset", type=Path, nargs="+", help="dataset files or folders")
    parser.add_argument("--holdout", action="store_true", help="add evals/holdout/*.yaml")
    parser.add_argument("--prompt", metavar="VERSION", help="v1, v2, ... (default: settings)")
    parser.add_argument(
        "--limit", type=int, metavar="N", help="run the first N replayable cases only"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _arguments(argv)
    _prepare_environment()
    from agent.assembly import build_runtime
    from core.settings import Settings
    from devtools.scripted_provider import ScriptedProvider

    paths: list[Path] = list(args.dataset or [PUBLIC])
    if args.holdout:
        paths.append(HOLDOUT)
    datasets = _datasets(paths)
    cases: list[Case] = []
    skipped: dict[str, int] = {}
    for dataset in datasets:
        for case in dataset.cases:
            reason = _skip_reason(case)
            if reason is None:
                cases.append(case)
            else:
                skipped[reason] = skipped.get(reason, 0) + 1
    if args.limit is not None:
        cases = cases[: max(args.limit, 0)]
    count = _token_counter()
    script = CaseScript()
    modes = [Mode("taskpilot", "A taskpilot"), Mode("naive", "B naive loop")]
    with ScriptedProvider(default=script, token_counter=count) as server:
        settings = Settings.model_validate(
            {"TASKPILOT_LLM_BASE_URL": server.base_url, "TASKPILOT_LLM_RETRIES": 0}
        )
        try:
            runtime = build_runtime(settings=settings, model=MODEL, prompt_version=args.prompt)
        except ValueError as error:  # An unknown prompt version: the message says what to do.
            sys.exit(str(error))

        def work(advance: Callable[[], None]) -> None:
            asyncio.run(
                _run_all(
                    cases,
                    runtime=runtime,
                    server=server,
                    script=script,
                    count=count,
                    modes=modes,
                    advance=advance,
                )
            )

        _with_progress(len(cases), work)

    names = ", ".join(f"{dataset.name} ({len(dataset.cases)} cases)" for dataset in datasets)
    skips = ", ".join(f"{number} {reason}" for reason, number in skipped.items()) or "none"
    header = [
        "Provider round trips, replayed through SCRIPTED provider responses: no model is called.",
        f"model {MODEL} via TASKPILOT_LLM_BASE_URL = a local scripted Chat Completions server",
        "(LiteLLM router, TASKPILOT_LLM_RETRIES=0); first request: every expected call at once.",
        f"prompt version: {runtime.prompt_version}",
        "prompt tokens: o200k_base with OpenAI's message and tool overheads (evals.tokens)",
        f"datasets: {names}",
        f"replayed {len(cases)} single-turn cases; skipped {skips}",
        "",
    ]
    shapes = ("single write action", "single list action", "several calls", "no call")
    for line in [*header, *_report(modes, shapes=shapes), "", *_checks(modes)]:
        print(line.rstrip())


if __name__ == "__main__":
    main()
