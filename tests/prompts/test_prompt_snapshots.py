"""Every prompt version renders to a reviewed snapshot, released files stay as released, the
offline model reads the workspace's people back from each, and the prompt plus the tool schemas
fit the per-call token budget.

When a rendering changes on purpose, rewrite the snapshots and review their diff:

    UPDATE_PROMPT_SNAPSHOTS=1 uv run pytest tests/prompts
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import tiktoken
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models import override_allow_model_requests
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.tools import ToolDefinition
from sqlmodel import Session

from agent.agent_deps import AgentDeps
from agent.instructions import render_instructions
from agent.offline.model import people_from_instructions
from evals.tokens import count_request_tokens
from prompts.loader import available_versions, load_prompt
from prompts.people import PEOPLE_LABEL
from tools.schema import StrictToolSchema
from tools.task_tools import TASK_TOOLS

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE_ENV = "UPDATE_PROMPT_SNAPSHOTS"
PROMPT = "task_agent"

# sha256 of each released prompt file (UTF-8, LF line endings). A released prompt is never
# edited; a change is a new version, pinned here when it is released.
RELEASED: dict[str, str] = {
    "v1": "7e4c977aaa88e462ac991d27eea9fe9fb2d0066b24349fc347c47301a50436b2",
    "v2": "e066470846a277fbdd83719794d636f01890f0c585f46997ff579b4b57faa51c",
    "v3": "24b17a7c764e3eb0269128fb633e9222aafeeeab0e55d44349863084c2e278d0",
}

# Token budgets, counted with o200k_base (gpt-4.1 / gpt-4o tokenizer). From v2 on a prompt is
# written for provider models: its own text stays small, and with the tool schemas one model
# call's fixed input stays under PER_CALL_BUDGET. The schemas are counted as the provider model
# sends them, in OpenAI's strict shape (optional arguments nullable). The budget was 1,000 for
# v2 and compact schemas; v3 documents status groups, due shifts and several tasks per
# response, and the tools describe them, which took one call to about 1,080.
PROMPT_BUDGET = 450
PER_CALL_BUDGET = 1100
FIRST_BUDGETED_VERSION = 2

# Fixed on purpose (not shared with other tests' constants): a snapshot must not move when
# another test's fixtures do. Wednesday 2026-11-25, 10:00 in New York.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("America/New_York"))


def _no_database() -> Session:
    raise AssertionError("rendering a prompt must not touch the database")


PEOPLE = ("alice (Alice Chen)", "bob (Bob Ortiz)")


def _deps(people: tuple[str, ...] = PEOPLE) -> AgentDeps:
    return AgentDeps(
        session_factory=_no_database,
        team_id="T0001",
        actor_id="U0001",
        actor_name="Alice Chen",
        now=NOW,
        source="test",
        people=people,
    )


def _rendered(version: str, people: tuple[str, ...] = PEOPLE) -> str:
    return render_instructions(load_prompt(version, PROMPT), _deps(people))


def _snapshot_path(version: str) -> Path:
    return SNAPSHOTS / f"{PROMPT}_{version}.txt"


def _updating() -> bool:
    return os.environ.get(UPDATE_ENV) == "1"


@pytest.mark.parametrize("version", available_versions(PROMPT))
def test_rendered_prompt_matches_its_snapshot(version: str) -> None:
    rendered = _rendered(version)
    path = _snapshot_path(version)
    if _updating():
        if not path.exists() or path.read_text(encoding="utf-8") != rendered:
            SNAPSHOTS.mkdir(exist_ok=True)
            path.write_text(rendered, encoding="utf-8", newline="\n")
        return
    how = f"Set {UPDATE_ENV}=1 and rerun to rewrite the snapshots, then review their diff."
    if not path.exists():
        pytest.fail(
            f"Prompt {PROMPT}/{version} has no snapshot (snapshots/{path.name}); a new version "
            f"comes with its reviewed rendering. {how}",
            pytrace=False,
        )
    expected = path.read_text(encoding="utf-8")
    if rendered != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                rendered.splitlines(keepends=True),
                fromfile=f"snapshots/{path.name}",
                tofile=f"{PROMPT}/{version} rendered now",
            )
        )
        pytest.fail(
            f"Prompt {PROMPT}/{version} renders differently from its snapshot.\n{diff}\n{how}",
            pytrace=False,
        )


def test_every_snapshot_belongs_to_a_version() -> None:
    versions = set(available_versions(PROMPT))
    orphans = sorted(
        path.name
        for path in SNAPSHOTS.glob(f"{PROMPT}_*.txt")
        if path.stem.removeprefix(f"{PROMPT}_") not in versions
    )
    assert not orphans, f"snapshots without a prompt version: {', '.join(orphans)}"


@pytest.mark.parametrize("version", available_versions(PROMPT))
def test_released_prompt_file_is_unchanged(version: str) -> None:
    digest = hashlib.sha256(load_prompt(version, PROMPT).encode("utf-8")).hexdigest()
    if version not in RELEASED:
        pytest.fail(
            f"Prompt {PROMPT}/{version} is not pinned. Once it is reviewed, add "
            f'"{version}": "{digest}" to RELEASED in this file.',
            pytrace=False,
        )
    assert digest == RELEASED[version], (
        f"{PROMPT}/{version}.md changed: prompt files are never edited once released; "
        "add a new version"
    )


def test_pinned_versions_still_exist() -> None:
    missing = sorted(set(RELEASED) - set(available_versions(PROMPT)))
    assert not missing, f"released prompt versions were removed: {', '.join(missing)}"


# --- the people line ----------------------------------------------------------------------


@pytest.mark.parametrize("version", available_versions(PROMPT))
def test_the_offline_model_reads_the_people_back(version: str) -> None:
    # The offline model tells "for bob" from "for friday" by the people the prompt lists; a
    # prompt that words the line differently would leave it reading nobody.
    rendered = _rendered(version)
    assert sum(line.startswith(PEOPLE_LABEL) for line in rendered.splitlines()) == 1
    assert people_from_instructions(rendered) == {"alice", "alice chen", "bob", "bob ortiz"}


@pytest.mark.parametrize("version", available_versions(PROMPT))
def test_a_workspace_too_large_to_list_reads_as_nobody(version: str) -> None:
    rendered = _rendered(version, people=())
    assert PEOPLE_LABEL in rendered
    assert people_from_instructions(rendered) == frozenset()


# --- token budget -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def o200k() -> tiktoken.Encoding:
    """The o200k_base encoding, read from the copy litellm ships (nothing is downloaded)."""
    spec = importlib.util.find_spec("litellm")
    assert spec is not None and spec.origin is not None, "litellm is not installed"
    cache = Path(spec.origin).parent / "litellm_core_utils" / "tokenizers"
    if not cache.is_dir():
        pytest.fail(f"litellm no longer ships tiktoken files in {cache.name}/", pytrace=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
        return tiktoken.get_encoding("o200k_base")


@dataclass(frozen=True)
class ModelView:
    """What one model call receives before any message: the instructions and the tools."""

    instructions: str
    tools: list[ToolDefinition]

    def openai_tools(self) -> list[dict[str, Any]]:
        """The tools as the provider model sends them: strict, in strict mode's shape."""
        return [
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": StrictToolSchema(tool.parameters_json_schema).walk(),
                    "strict": True,
                },
            }
            for tool in self.tools
        ]


def _model_view(version: str) -> ModelView:
    """Run the agent once on a FunctionModel that records what it is sent."""
    template = load_prompt(version, PROMPT)
    seen: list[AgentInfo] = []

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        del messages
        seen.append(info)
        return ModelResponse(parts=[TextPart("hello")])

    agent = Agent(
        FunctionModel(respond),
        deps_type=AgentDeps,
        instructions=lambda ctx: render_instructions(template, ctx.deps),
        tools=TASK_TOOLS,
    )
    with override_allow_model_requests(False):
        # `asyncio.run` closes its loop; `run_sync` would leave one open for the GC to warn about.
        asyncio.run(agent.run("hi", deps=_deps()))
    assert len(seen) == 1
    return ModelView(instructions=seen[0].instructions or "", tools=seen[0].function_tools)


_BUDGETED = [v for v in available_versions(PROMPT) if int(v[1:]) >= FIRST_BUDGETED_VERSION]


@pytest.mark.parametrize("version", available_versions(PROMPT))
def test_the_model_sees_the_rendered_prompt_and_the_five_tools(version: str) -> None:
    view = _model_view(version)
    assert view.instructions == _rendered(version).strip()  # pydantic-ai strips instructions
    assert [tool.name for tool in view.tools] == [
        "create_task",
        "update_task",
        "assign_task",
        "list_tasks",
        "delete_task",
    ]


@pytest.mark.parametrize("version", _BUDGETED)
def test_prompt_fits_its_budget(version: str, o200k: tiktoken.Encoding) -> None:
    tokens = len(o200k.encode(_rendered(version)))
    assert tokens <= PROMPT_BUDGET, f"{PROMPT}/{version} renders to {tokens} tokens"


@pytest.mark.parametrize("version", _BUDGETED)
def test_prompt_and_tool_schemas_fit_one_call(version: str) -> None:
    # Counted as OpenAI bills a request (evals.tokens): messages with their overheads, tool
    # schemas in the strict form the provider model sends them in.
    view = _model_view(version)
    body = {
        "messages": [
            {"role": "system", "content": view.instructions},
            {"role": "user", "content": "remind bob to send the Q3 deck by friday"},
        ],
        "tools": view.openai_tools(),
    }
    total = count_request_tokens(body)
    tools = count_request_tokens({"tools": body["tools"]})
    assert total <= PER_CALL_BUDGET, (
        f"{PROMPT}/{version} with the tool schemas is {total} tokens per model call "
        f"(tools {tools}); the budget is {PER_CALL_BUDGET}"
    )


def test_the_model_reads_compact_tool_schemas() -> None:
    view = _model_view("v2")
    create = next(tool for tool in view.tools if tool.name == "create_task")
    schema = json.dumps(create.parameters_json_schema)
    # Optional arguments are plain types: no null branches, null defaults or titles.
    assert '"null"' not in schema and '"title": "' not in schema and '"default": null' not in schema
    update = next(tool for tool in view.tools if tool.name == "update_task")
    assert update.parameters_json_schema["properties"]["task_id"]["type"] == "integer"
