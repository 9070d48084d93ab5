# Over 500 lines: the offline model's turn planning (follow-ups, confirmations, multi-step
# plans) beside its pydantic-ai wrapper; it moves into `intents/` with the rest of the parser
# (docs/offline-parser.md). The conversation-quality work owns this package.
"""The offline parser as a pydantic-ai `FunctionModel` named "offline".

Every model request in a turn lands in `respond`, which works as a small state machine over the
turn's *plan*, the calls `parse_message` planned for the person's prompt:

1. A new user prompt: parse it. With no calls, the parser's reply is the answer. Otherwise the
   first step of the plan goes out.
2. Tool results: parse the same prompt again (the parser is deterministic, and the context is
   rebuilt from the same history) and take the next step. A step is one tool call; a call that
   names its task by words (`TitleRef`) takes two: `list_tasks(query=...)` first, then the real
   call once exactly one task matched. When the lookup matched nothing at all, one more lookup
   goes out with looser words (no filler, word stems: "zoom renewal" -> "zoom renew"). No match
   or several matches skip the call and are reported in the final answer.
3. When the plan is done: the final answer, a plain-English summary of every result of the turn
   ("Created #12 “Send the Q3 deck” for Bob Ortiz, due Fri Nov 27."). A tool's `ModelRetry`
   arrives as a `ToolReturnPart` with `outcome="retried"`, a declined deletion with
   `outcome="denied"`; both are reported, never retried.

Calls go out one per response, in the order the person gave them. That keeps task numbers and
the order of changes to one task deterministic, and never runs two writes at once.

The conversation context ("it" = the last task touched) comes from the task ids in earlier tool
results; "her" / "him" mean the last assignee an earlier call named.

Tool call ids are `offline-<n>-call-<i>` and `offline-<n>-lookup-<i>`, where `n` is the
length of the history when the call was made (unique within a conversation) and `i` the step of
the plan.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.offline import chat, summary
from agent.offline.lexicon import ME_WORDS
from agent.offline.parser import parse_message
from agent.offline.plan import (
    TOOL_LIST,
    ConversationContext,
    EachListed,
    ParseResult,
    PlannedCall,
    TitleRef,
)
from agent.offline.readings import TRACE_KEY
from prompts.people import PEOPLE_LABEL, PEOPLE_NOT_LISTED

__all__ = ["MAX_STEPS", "OFFLINE_MODEL_NAME", "build_offline_model", "respond"]

logger = logging.getLogger(__name__)

OFFLINE_MODEL_NAME = "offline"
MAX_STEPS = 6
"""Calls planned for one message beyond this many are left for the person to send again, so a
turn stays within the agent's request budget (a title lookup costs a second request)."""

_ID = re.compile(r"^offline-(?P<n>\d+)-(?P<kind>call|lookup)-(?P<step>\d+)(?:-(?P<part>\d+))?$")
MAX_EACH = 20
"""A change to every listed task ("move all of carol's tasks to bob") covers at most this many."""
_SORRY = "Sorry, something went wrong on my side and nothing was changed. Please try again."
_NO_TOOLS = "I can't change tasks here, so I didn't do anything."


def build_offline_model() -> FunctionModel:
    """The offline model: a `FunctionModel` around `respond`, named "offline"."""
    return FunctionModel(respond, model_name=OFFLINE_MODEL_NAME)


def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Answer one model request; see the module docstring. Never raises."""
    try:
        return _respond(messages, info)
    except Exception:  # The model must answer even if a bug hides in here; nothing has changed.
        logger.exception("offline model failed")
        return _text(_SORRY)


@dataclass(frozen=True)
class _Turn:
    """Where the current turn starts and what the person said in it."""

    prompt: str | None
    start: int
    """Index of the request holding the prompt (0 when no prompt is found)."""


@dataclass(frozen=True)
class _Step:
    """A call this model made in the current turn: which plan step, and whether a lookup."""

    part: ToolCallPart
    step: int
    lookup: bool


@dataclass(frozen=True)
class _Lookup:
    """The words a title lookup searches for, and the status it searches in."""

    ref: TitleRef
    status: str | None

    def args(self) -> dict[str, object]:
        args: dict[str, object] = {"query": self.ref.text}
        if self.status is not None:
            args["status"] = self.status
        return args


@dataclass(frozen=True)
class _Resolution:
    """How a title lookup came out: a task number, or the sentence to say instead."""

    task_id: int | None
    message: str | None


def _respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    if not messages or not isinstance(messages[-1], ModelRequest):
        return _text(chat.UNKNOWN)
    turn = _find_turn(messages)
    tools = {tool.name for tool in info.function_tools}
    new_prompt = any(isinstance(part, UserPromptPart) for part in messages[-1].parts)
    if turn.prompt is None:
        return _text(_final_reply(messages, turn, plan=[]))
    context = replace(
        _context(messages[: turn.start + 1]),
        people=people_from_instructions(info.instructions),
        **_previous_turn(messages[: turn.start]),
    )
    parsed = parse_message(_effective_prompt(messages, turn), context=context)
    if new_prompt and not parsed.calls:
        return _traced(_text(parsed.reply or chat.UNKNOWN), parsed)
    plan = list(parsed.calls[:MAX_STEPS])
    if new_prompt and not any(call.tool in tools for call in plan):
        return _text(_NO_TOOLS)
    window = messages[turn.start :]
    if _foreign_calls(window):
        # Another model (earlier in a fallback chain) already acted in this turn: report what
        # happened rather than run the plan a second time.
        return _text(_final_reply(messages, turn, plan=[]))
    listed = _listed_before(messages[: turn.start])
    step = _next_step(plan, window, tools, n=len(messages), listed=listed)
    if step is not None:
        response = ModelResponse(parts=list(step) if isinstance(step, list) else [step])
        return _traced(response, parsed) if new_prompt else response
    reply = _final_reply(messages, turn, plan=plan)
    if len(parsed.calls) > MAX_STEPS:
        reply += (
            f"\nThat was a lot at once, so I stopped after {MAX_STEPS} changes; "
            "send the rest in another message."
        )
    return _text(reply)


def _traced(response: ModelResponse, parsed: ParseResult) -> ModelResponse:
    """The response with the reading's trace, on the first response of a turn."""
    if parsed.trace is not None:
        response.provider_details = {TRACE_KEY: parsed.trace.as_json()}
    return response


def _previous_turn(messages: Sequence[ModelMessage]) -> dict[str, Any]:
    """The person's previous message, the reply it got, and the changes that turn made."""
    prompt: str | None = None
    reply: str | None = None
    calls: list[PlannedCall] = []
    # The task each successful call of the turn touched, by call id, and what it held before.
    touched: dict[str, int | None] = {}
    before: dict[str, dict[str, object]] = {}
    for message in reversed(messages):
        if isinstance(message, ModelResponse):
            text = "".join(part.content for part in message.parts if isinstance(part, TextPart))
            if reply is None and text.strip():
                reply = text
            for part in reversed(message.parts):
                if not isinstance(part, ToolCallPart) or part.tool_call_id not in touched:
                    continue
                args = dict(part.args_as_dict())
                task_id = args.get("task_id", touched[part.tool_call_id])
                if part.tool_name != TOOL_LIST and isinstance(task_id, int):
                    # A create's follow-up ("oops, I meant carol") needs the new task's number.
                    planned = PlannedCall(
                        part.tool_name,
                        {**args, "task_id": task_id},
                        previous=before.get(part.tool_call_id, {}),
                    )
                    calls.insert(0, planned)
            continue
        for part in message.parts:
            if isinstance(part, ToolReturnPart):
                result = _result(part)
                if result is not None and result.get("ok") is True:
                    ids = _ids(result)
                    touched[part.tool_call_id] = ids[0] if len(ids) == 1 else None
                    held = summary.as_mapping(result.get("previous"))
                    if held is not None:
                        before[part.tool_call_id] = dict(held)
                    if result.get("previous_assignee") is not None:
                        before[part.tool_call_id] = {"assignee": result["previous_assignee"]}
            if isinstance(part, UserPromptPart):
                prompt = _prompt_text(part)
        if prompt is not None:
            break
    return {"previous_prompt": prompt, "previous_reply": reply, "last_calls": tuple(calls)}


def _effective_prompt(messages: Sequence[ModelMessage], turn: _Turn) -> str:
    """The prompt to plan from: "yes" to "Do you want me to add “X” as a task?" means "add X"."""
    prompt = turn.prompt or ""
    if not chat.is_agreement(prompt):
        return _title_after_asking(messages, turn, prompt)
    for message in reversed(messages[: turn.start]):
        if isinstance(message, ModelResponse):
            text = "".join(part.content for part in message.parts if isinstance(part, TextPart))
            title = chat.suggested_title(text)
            return f"add a task: {title}" if title else prompt
    return prompt


def _title_after_asking(messages: Sequence[ModelMessage], turn: _Turn, prompt: str) -> str:
    """ "can you add a task" -> "What should the task say?" -> "update the pricing page": add it.

    Only a reply the parser would itself offer as a title ("Do you want me to add “X” as a
    task?") is taken; a command, a question or "never mind" is read as it stands.
    """
    for message in reversed(messages[: turn.start]):
        if isinstance(message, ModelResponse):
            text = "".join(part.content for part in message.parts if isinstance(part, TextPart))
            if text.strip() != chat.WHAT_TITLE:
                return prompt
            alone = parse_message(prompt, context=ConversationContext())
            title = None if alone.calls else chat.suggested_title(alone.reply or "")
            return f"add a task: {title}" if title else prompt
    return prompt


def _next_step(
    plan: Sequence[PlannedCall],
    window: Sequence[ModelMessage],
    tools: set[str],
    *,
    n: int,
    listed: Sequence[summary.Json] = (),
) -> ToolCallPart | list[ToolCallPart] | None:
    """The next tool call of the plan, or None when the plan is done."""
    steps = _steps(window)
    lookups = _lookup_results(steps, window)
    index = 0
    if steps:
        last = steps[-1]
        index = last.step + 1
        if last.lookup:
            call = plan[last.step] if last.step < len(plan) else None
            resolved = _resolved(call, lookups) if call is not None else None
            if call is not None and resolved is not None and resolved.task_id is not None:
                args = {**call.args, "task_id": resolved.task_id}
                return ToolCallPart(call.tool, _json_args(args), f"offline-{n}-call-{last.step}")
            retry = _retry_lookup(call, lookups) if call is not None else None
            if retry is not None and retry not in lookups:
                # Nothing matched "zoom renewal": look again for "zoom renew", and so on.
                return ToolCallPart(TOOL_LIST, retry.args(), f"offline-{n}-lookup-{last.step}")
    while index < len(plan):
        call = plan[index]
        if call.tool not in tools:
            index += 1
            continue
        if isinstance(call.args.get("task_id"), EachListed):
            each = _each_listed(call, steps, window, n=n, index=index)
            if each:
                return each
            index += 1
            continue
        ref = call.title_ref
        if ref is None and call.tool == "delete_task":
            # "delete 3 and 4": the deletes go out together, so one question confirms them all.
            together = [index]
            while (
                together[-1] + 1 < len(plan)
                and plan[together[-1] + 1].tool == "delete_task"
                and plan[together[-1] + 1].title_ref is None
            ):
                together.append(together[-1] + 1)
            if len(together) > 1:
                return [
                    ToolCallPart("delete_task", _json_args(plan[i].args), f"offline-{n}-call-{i}")
                    for i in together
                ]
        if ref is None:
            return ToolCallPart(call.tool, _json_args(call.args), f"offline-{n}-call-{index}")
        known = _resolved(call, lookups)
        if known is not None and known.task_id is not None:
            # The same words were looked up earlier in this turn: reuse the answer.
            args = {**call.args, "task_id": known.task_id}
            return ToolCallPart(call.tool, _json_args(args), f"offline-{n}-call-{index}")
        shown = _among_listed(ref.text, listed) if known is None else None
        if shown is not None:
            # Right after a list, "the catering one" is the listed task with that word.
            args = {**call.args, "task_id": shown}
            return ToolCallPart(call.tool, _json_args(args), f"offline-{n}-call-{index}")
        if known is None and TOOL_LIST in tools:
            lookup = _lookup_for(call)
            return ToolCallPart(TOOL_LIST, lookup.args(), f"offline-{n}-lookup-{index}")
        index += 1
    return None


def _each_listed(
    call: PlannedCall, steps: Sequence[_Step], window: Sequence[ModelMessage], *, n: int, index: int
) -> list[ToolCallPart]:
    """One call per task the plan's previous list returned, all in one response."""
    returns = _returns(window)
    listing = next(
        (
            returns.get(step.part.tool_call_id)
            for step in reversed(steps)
            if step.step == index - 1 and not step.lookup
        ),
        None,
    )
    result = _result(listing) if listing is not None else None
    ids = _ids(result)[:MAX_EACH] if result is not None and "tasks" in result else []
    return [
        ToolCallPart(
            call.tool,
            _json_args({**call.args, "task_id": task_id}),
            f"offline-{n}-call-{index}-{j}",
        )
        for j, task_id in enumerate(ids)
    ]


def _listed_before(messages: Sequence[ModelMessage]) -> list[summary.Json]:
    """The tasks the last result before this turn listed, when that result was a list."""
    last = next(_earlier_results(messages), None)
    return summary.task_cards(last) if last is not None and "tasks" in last else []


def _earlier_results(messages: Sequence[ModelMessage]) -> Iterator[summary.Json]:
    """The successful results of the person's tool calls (not lookups), newest first."""
    for message in reversed(messages):
        if not isinstance(message, ModelRequest):
            continue
        for part in reversed(message.parts):
            if not isinstance(part, ToolReturnPart) or "-lookup-" in part.tool_call_id:
                continue
            result = _result(part)
            if result is not None and result.get("ok"):
                yield result


def _among_listed(text: str, listed: Sequence[summary.Json]) -> int | None:
    """The one listed task whose title holds every word of `text` (as a word start), if any."""
    wanted = _WORD.findall(text.lower())
    if not wanted or not listed:
        return None
    hits = [
        card
        for card in listed
        if all(
            any(word.startswith(want) for word in _WORD.findall(str(card.get("title", "")).lower()))
            for want in wanted
        )
    ]
    task_id = hits[0].get("id") if len(hits) == 1 else None
    return task_id if isinstance(task_id, int) else None


def _lookup_for(call: PlannedCall) -> _Lookup:
    ref = call.title_ref
    assert ref is not None
    # Reopening looks among closed tasks (done or cancelled), which a plain list leaves out; a
    # delete looks among every task, so that an old one of the same words is not missed.
    if call.tool == "delete_task":
        return _Lookup(ref, "any")
    return _Lookup(ref, "closed" if call.args.get("status") == "open" else None)


def _fallbacks(call: PlannedCall) -> list[_Lookup]:
    """The lookups for a call's title words, in order; each is made only when every one before
    it matched nothing: the words as said, then looser ("zoom renewal" -> "zoom renew"), and
    last one telling word at a time ("alvarez callback" -> "alvarez"). A delete's lookups all
    search every status (`_lookup_for`)."""
    base = _plain_lookups(call)
    return base + [lookup for lookup in _telling_lookups(call) if lookup not in base]


def _plain_lookups(call: PlannedCall) -> list[_Lookup]:
    first = _lookup_for(call)
    looser = looser_query(first.ref.text)
    chain = [first]
    if looser is not None:
        chain.append(_Lookup(TitleRef(looser), first.status))
    return list(dict.fromkeys(chain))


def _telling_lookups(call: PlannedCall) -> list[_Lookup]:
    """The lookups by one telling word of a call's title words ("alvarez callback" ->
    "alvarez"), then by the first letters of a long one ("transcription" -> "transc", which
    "Transcribe the audio" holds), made last, unless a plain lookup already searched those
    words."""
    first = _lookup_for(call)
    words = _telling_words(first.ref.text)
    cut = [
        _stem(word)[:_ROOT]
        for word in _WORD.findall(first.ref.text.lower())
        if len(word) >= _ROOT + 2 and _DERIVED.search(word)
    ]
    telling = [_Lookup(TitleRef(word), first.status) for word in dict.fromkeys(words + cut)]
    plain = _plain_lookups(call)
    return [lookup for lookup in telling if lookup not in plain]


def _resolved(call: PlannedCall, lookups: dict[_Lookup, summary.Json | None]) -> _Resolution | None:
    """How the lookup for a call's title words came out, or None when it was not made yet."""
    ref = call.title_ref
    if ref is None:
        return None
    chain = _fallbacks(call)
    if chain[0] not in lookups:
        return None
    first: _Resolution | None = None
    telling = _telling_lookups(call)
    for lookup in chain:
        if lookup not in lookups:
            break
        result = lookups[lookup]
        if lookup in telling and result is not None:
            # Found by one word: only the titles that hold most of the words said count.
            cards = [
                card
                for card in summary.task_cards(result)
                if _holds_most(ref.text, str(card.get("title", "")))
            ]
            result = {**result, "tasks": cards, "count": len(cards)}
        resolution = _resolve(lookup, result)
        first = first or resolution
        if _usable(call, lookup, lookups[lookup]):
            return resolution
    # Nothing matched anywhere: the answer says what was looked for first.
    return first


def _found_nothing(result: summary.Json | None) -> bool:
    """Whether a lookup worked and matched no task at all."""
    return result is not None and bool(result.get("ok")) and not summary.task_cards(result)


def _usable(call: PlannedCall, lookup: _Lookup, result: summary.Json | None) -> bool:
    """Whether a lookup's result settles the call: it found something, and a lookup by one
    telling word found tasks whose titles hold most of the words said ("chen invoice" must not
    settle on "Call back Mr. Chen")."""
    if _found_nothing(result):
        return False
    ref = call.title_ref
    if result is None or ref is None or lookup not in _telling_lookups(call):
        return True
    return any(
        _holds_most(ref.text, str(card.get("title", ""))) for card in summary.task_cards(result)
    )


def _retry_lookup(call: PlannedCall, lookups: dict[_Lookup, summary.Json | None]) -> _Lookup | None:
    """The next lookup to try after every one so far matched no task, if any."""
    for lookup in _fallbacks(call):
        if lookup not in lookups:
            return lookup
        if _usable(call, lookup, lookups[lookup]):
            return None
    return None


# Words of a title that tell tasks apart poorly: a lookup by one of them alone finds too much.
_COMMON_WORDS = frozenset(
    {
        "call", "back", "send", "email", "update", "fix", "order", "review", "check", "book",
        "make", "get", "set", "new", "meeting", "report", "list", "plan", "draft", "write",
        "finish", "done", "work", "team", "week", "day", "today", "tomorrow", "finally",
        "still", "first", "thing", "stuff", "please", "pls", "now", "just",
    }
)  # fmt: skip
# Words people write as one that titles split: "callback" is "call ... back".
_COMPOUNDS = {
    "callback": ("call", "back"), "followup": ("follow", "up"), "signup": ("sign", "up"),
    "setup": ("set", "up"), "pickup": ("pick", "up"), "checkin": ("check", "in"),
    "rollout": ("roll", "out"), "login": ("log", "in"), "writeup": ("write", "up"),
    "cleanup": ("clean", "up"), "walkthrough": ("walk", "through"), "handoff": ("hand", "off"),
}  # fmt: skip


def _telling_words(text: str) -> list[str]:
    """At most two words of `text` that could name one task alone, longest first."""
    words = [word for word in _WORD.findall(text.lower()) if word not in _FILLER]
    if len(words) < 2:
        return []
    telling = [
        _stem(word)
        for word in sorted(dict.fromkeys(words), key=len, reverse=True)
        if len(word) >= 3 and word not in _COMMON_WORDS and word not in _COMPOUNDS
    ]
    return telling[:2]


def _split_words(text: str) -> list[str]:
    words: list[str] = []
    for word in _WORD.findall(text.lower()):
        words.extend(_COMPOUNDS.get(word, (word,)))
    return [
        word
        for word in words
        if word not in _FILLER and word not in _COMMON_WORDS - {"call", "back"}
    ]


def _holds_most(said: str, title: str) -> bool:
    """Whether `title` holds more than half of the words said, in some form."""
    wanted = {_stem(word) for word in _split_words(said)}
    held = {_stem(word) for word in _WORD.findall(title.lower())}
    if not wanted:
        return False
    found = sum(1 for word in wanted if any(same_word(word, h) for h in held if len(h) >= 3))
    return found * 2 > len(wanted)


# Two long words that share this many first letters may be one word in two forms.
_ROOT = 6
# Endings that make a noun of a verb, whose root a title may say as the verb: "transcription"
# for "Transcribe", "reconciliation" for "Reconcile".
_DERIVED = re.compile(r"(?:tion|sion|ment|ance|ence|ure|ery|al)$")


def same_word(said: str, held: str) -> bool:
    """Whether a word said and a word of a title are one word in two forms: one starts the other
    ("recon", "reconcile"), or they share their root and differ only in their endings
    ("transcription" and "transcribe", "reconciliation" and "reconcile"; not "translation" and
    "transfer")."""
    if held.startswith(said) or said.startswith(held):
        return True
    shared = next(
        (index for index, (a, b) in enumerate(zip(said, held, strict=False)) if a != b),
        min(len(said), len(held)),
    )
    return shared >= max(_ROOT, min(len(said), len(held)) - 3)


_FILLER = frozenset(
    {"the", "a", "an", "my", "our", "your", "this", "that", "one", "thing", "stuff", "task", "for"}
    | {"to", "of", "on", "in", "with", "and", "about", "ticket", "item", "todo"}
)
_SUFFIX = re.compile(r"(?:ing|ed|al|es|s|up)$")


def looser_query(text: str) -> str | None:
    """Title words loosened for a second lookup: no filler, word stems ("renewal" -> "renew").

    When that changes nothing, the longest word alone. None when there is nothing looser.
    """
    words = _WORD.findall(text.lower())
    content = [word for word in words if word not in _FILLER] or words
    stems = [_stem(word) for word in content]
    looser = " ".join(dict.fromkeys(stems))
    if looser and looser != " ".join(words):
        return looser
    if len(stems) > 1:
        return max(stems, key=len)
    return None


def _stem(word: str) -> str:
    if word.endswith("ation") and len(word) > 7:
        # "migration" -> "migrat", which "Migrate the docs" holds.
        return word[:-3]
    if word.endswith("ment") and len(word) > 8:
        # "recruitment" -> "recruit", as "Recruit volunteers" says it.
        return word[:-4]
    if word.endswith(("tion", "sion")) and len(word) > 7:
        # "inspection" -> "inspect", as "Inspect the zip line" says it.
        return word[:-3]
    stem = _SUFFIX.sub("", word)
    if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
        # "planning" -> "plann" -> "plan", as the title says it.
        stem = stem[:-1]
    return stem if len(stem) >= 3 and len(stem) < len(word) else word


def _json_args(args: dict[str, object]) -> dict[str, object]:
    """Arguments as plain JSON values: a `TitleRef` or `EachListed` never leaves this module."""
    return {
        key: value for key, value in args.items() if not isinstance(value, TitleRef | EachListed)
    }


def _result(part: ToolReturnPart) -> summary.Json | None:
    """A tool result as a JSON object, also when a history stored it as a JSON string."""
    content = part.content
    if isinstance(content, str) and content.lstrip().startswith("{"):
        try:
            content = json.loads(content)
        except ValueError:
            return None
    return summary.as_mapping(content)


def _text(content: str) -> ModelResponse:
    return ModelResponse(parts=[TextPart(content)])


def _prompt_text(part: UserPromptPart) -> str:
    if isinstance(part.content, str):
        return part.content
    return " ".join(item for item in part.content if isinstance(item, str))


def _find_turn(messages: Sequence[ModelMessage]) -> _Turn:
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if not isinstance(message, ModelRequest):
            continue
        for part in message.parts:
            if isinstance(part, UserPromptPart):
                return _Turn(prompt=_prompt_text(part), start=index)
    return _Turn(prompt=None, start=max(len(messages) - 1, 0))


def _foreign_calls(window: Sequence[ModelMessage]) -> bool:
    """Whether the turn holds tool calls this model did not make."""
    return any(
        isinstance(part, ToolCallPart) and _ID.match(part.tool_call_id) is None
        for message in window
        if isinstance(message, ModelResponse)
        for part in message.parts
    )


def _steps(window: Sequence[ModelMessage]) -> list[_Step]:
    """This model's calls in the turn, in order, with the plan step each belongs to."""
    steps: list[_Step] = []
    for message in window:
        if not isinstance(message, ModelResponse):
            continue
        for part in message.parts:
            if not isinstance(part, ToolCallPart):
                continue
            match = _ID.match(part.tool_call_id)
            if match is None:
                continue
            steps.append(_Step(part, int(match.group("step")), match.group("kind") == "lookup"))
    return steps


_PERSON = re.compile(r"^\s*(?P<handle>[^()]+?)\s*(?:\((?P<name>[^()]*)\))?\s*$")


def people_from_instructions(instructions: str | None) -> frozenset[str]:
    """The people the prompt lists, as lowercase handles and names ("bob", "bob ortiz").

    The prompt has a line "People in this workspace: bob (Bob Ortiz), carol (Carol Diaz)"
    (`prompts.people` words it for the agent and for this reader alike); the offline model
    reads it as an LLM would, so it can tell "for carol" from "for friday".
    """
    line = rf"^{re.escape(PEOPLE_LABEL)}\s*(?P<people>.+)$"
    match = re.search(line, instructions or "", flags=re.MULTILINE)
    if match is None or match.group("people").strip() == PEOPLE_NOT_LISTED:
        return frozenset()
    people: set[str] = set()
    for entry in match.group("people").split(","):
        person = _PERSON.match(entry)
        if person is None:
            continue
        people.add(person.group("handle").strip().lower())
        if person.group("name"):
            people.add(person.group("name").strip().lower())
    return frozenset(people)


def _context(messages: Sequence[ModelMessage]) -> ConversationContext:
    """Task ids from earlier tool results, most recent first, skipping deleted tasks."""
    recent: list[int] = []
    deleted: set[int] = set()
    last_listed: int | None = None
    for result in _earlier_results(messages):
        gone = summary.as_mapping(result.get("deleted"))
        gone_id = gone.get("id") if gone is not None else None
        if isinstance(gone_id, int):
            deleted.add(gone_id)
        ids = _ids(result)
        if last_listed is None and ids:
            last_listed = len(ids) if "tasks" in result else 0
        recent.extend(task_id for task_id in ids if task_id not in recent)
    ordered = tuple(task_id for task_id in recent if task_id not in deleted)
    return ConversationContext(
        recent_task_ids=ordered,
        last_listed_count=last_listed or 0,
        recent_people=_recent_people(messages),
    )


def _recent_people(messages: Sequence[ModelMessage]) -> tuple[str, ...]:
    """The assignees earlier tool calls named, most recent first ("her" means the first)."""
    people: list[str] = []
    for message in reversed(messages):
        if not isinstance(message, ModelResponse):
            continue
        for part in reversed(message.parts):
            if not isinstance(part, ToolCallPart):
                continue
            assignee = part.args_as_dict().get("assignee")
            if not isinstance(assignee, str) or not assignee.strip():
                continue
            if assignee.strip().lower() in ME_WORDS or assignee in people:
                continue
            people.append(assignee)
    return tuple(people)


def _ids(result: summary.Json) -> list[int]:
    card = summary.as_mapping(result.get("task"))
    cards = [card] if card is not None else summary.task_cards(result)
    return [value for value in (c.get("id") for c in cards) if isinstance(value, int)]


def _returns(messages: Sequence[ModelMessage]) -> dict[str, ToolReturnPart]:
    found: dict[str, ToolReturnPart] = {}
    for message in messages:
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, ToolReturnPart):
                    found[part.tool_call_id] = part
    return found


def _lookup_results(
    steps: Sequence[_Step], window: Sequence[ModelMessage]
) -> dict[_Lookup, summary.Json | None]:
    """What each title lookup of the turn returned, keyed by its words and status."""
    returns = _returns(window)
    results: dict[_Lookup, summary.Json | None] = {}
    for step in steps:
        if not step.lookup:
            continue
        args = step.part.args_as_dict()
        query = args.get("query")
        status = args.get("status")
        if not isinstance(query, str):
            continue
        returned = returns.get(step.part.tool_call_id)
        if returned is None:
            continue
        key = _Lookup(TitleRef(query), status if isinstance(status, str) else None)
        results[key] = _result(returned) if returned.outcome == "success" else None
    return results


def _resolve(lookup: _Lookup, result: summary.Json | None) -> _Resolution:
    if result is None or not result.get("ok"):
        error = result.get("error") if result is not None else None
        return _Resolution(None, str(error) if error else summary.not_found(lookup.ref.text))
    cards = summary.task_cards(result)
    if len(cards) > 1:
        cards = _best_matches(lookup.ref.text, cards)
    if not cards:
        return _Resolution(None, summary.not_found(lookup.ref.text))
    if len(cards) > 1:
        return _Resolution(None, summary.ambiguous(lookup.ref.text, cards))
    task_id = cards[0].get("id")
    if not isinstance(task_id, int):
        return _Resolution(None, summary.not_found(lookup.ref.text))
    return _Resolution(task_id, None)


_WORD = re.compile(r"[a-z0-9]+")


def _best_matches(text: str, cards: list[summary.Json]) -> list[summary.Json]:
    """Narrow several hits: an exact title wins, then titles holding every word as a word."""
    wanted = _WORD.findall(text.lower())
    exact = [card for card in cards if _WORD.findall(str(card.get("title", "")).lower()) == wanted]
    if len(exact) == 1:
        return exact
    whole_words = [
        card
        for card in cards
        if set(wanted) <= set(_WORD.findall(str(card.get("title", "")).lower()))
    ]
    # Only a title that holds the words where no other holds them even in another form wins:
    # "the volunteer one" fits "volunteer day" and "Recruit volunteers" alike, so it is asked.
    same_stems = [
        card
        for card in cards
        if all(
            any(
                same_word(word, _stem(held))
                for held in _WORD.findall(str(card.get("title", "")).lower())
            )
            for word in wanted
        )
    ]
    if len(whole_words) == 1 and len(same_stems) <= 1:
        return whole_words
    return cards


def _final_reply(messages: list[ModelMessage], turn: _Turn, *, plan: Sequence[PlannedCall]) -> str:
    """Summarize every result of the turn, in the order the calls were made."""
    window = messages[turn.start :]
    returns = _returns(window)
    steps = _steps(window)
    lookups = _lookup_results(steps, window)
    called = {step.step for step in steps if not step.lookup}
    lines: list[str] = []
    for step in steps:
        returned = returns.get(step.part.tool_call_id)
        if step.lookup:
            call = plan[step.step] if step.step < len(plan) else None
            resolution = _resolved(call, lookups) if call is not None else None
            message = resolution.message if resolution is not None else None
            if message and step.step not in called and message not in lines:
                lines.append(message)
            continue
        if returned is not None:
            lines.append(_describe_return(step.part, returned))
    if not steps:
        # Calls made by another model, or results whose calls fell out of a trimmed history.
        calls = {
            part.tool_call_id: part
            for message in window
            if isinstance(message, ModelResponse)
            for part in message.parts
            if isinstance(part, ToolCallPart)
        }
        for call_id, returned in returns.items():
            call = calls.get(call_id)
            lines.append(_describe_return(call, returned) if call else _describe_orphan(returned))
    return "\n".join(line for line in lines if line) or "Done."


def _describe_return(call: ToolCallPart, returned: ToolReturnPart) -> str:
    args = call.args_as_dict()
    if returned.outcome == "denied":
        if call.tool_name == "delete_task":
            return f"Okay, I didn't delete #{args.get('task_id')}."
        return f"Okay, I didn't do that: {returned.content}"
    if returned.outcome in {"retried", "failed"}:
        return summary.describe_failure(call.tool_name, str(returned.content), [])
    result = _result(returned)
    if result is None:
        return str(returned.content)
    return summary.describe_result(call.tool_name, args, result)


def _describe_orphan(returned: ToolReturnPart) -> str:
    if returned.outcome in {"retried", "failed"}:
        return summary.describe_failure(returned.tool_name, str(returned.content), [])
    result = _result(returned)
    if result is None:
        return str(returned.content)
    return summary.describe_result(returned.tool_name, {}, result)
