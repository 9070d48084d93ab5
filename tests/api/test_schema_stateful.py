"""Schemathesis' state machine on the REST API: sequences of calls chained by the OpenAPI links
of `api.openapi_links` (create a task, then read, change, assign and delete that very task).

Every step is checked like the stateless run in `test_schema_fuzz` (no 5xx, responses match
the document, `positive_data_acceptance` aside) plus schemathesis' stateful checks (a created
task can be read; a deleted one is gone). The run is bounded (a few dozen short scenarios) and
must follow each link at least once with the created task's id.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import text

from api.openapi_links import TASK_ID_EXPRESSION, TASK_ID_PARAMETER, TASK_LINKS
from taskpilot.server import create_app
from tests.api import test_schema_fuzz as fuzz
from tests.api.support import ApiHarness, api_settings

pytestmark = pytest.mark.slow

# The module-scoped SQLite server and all-scopes key of the stateless run.
harness = fuzz.harness
api_key = fuzz.api_key

SCENARIOS = 60
STEPS_PER_SCENARIO = 8


def _document() -> dict[str, Any]:
    return create_app(api_settings()).openapi()


def _operations_by_id(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        operation["operationId"]: (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "operationId" in operation
    }


def test_the_document_links_a_created_task_to_every_operation_on_it() -> None:
    operations = _operations_by_id(_document())
    (_, _, create) = operations["createTask"]
    links = create["responses"]["201"]["links"]
    assert {link["operationId"] for link in links.values()} == {
        "getTask",
        "updateTask",
        "assignTask",
        "deleteTask",
    }
    for source, (status, targets) in TASK_LINKS.items():
        (_, _, operation) = operations[source]
        documented = operation["responses"][status]["links"]
        assert set(documented) == set(targets), source
        for name, target in targets.items():
            link = documented[name]
            assert link["operationId"] == target
            assert link["parameters"] == {TASK_ID_PARAMETER: TASK_ID_EXPRESSION}
            # The parameter the link fills is the target's path parameter...
            (_, path, target_operation) = operations[target]
            location, parameter = TASK_ID_PARAMETER.split(".")
            assert f"{{{parameter}}}" in path
            assert any(
                p["name"] == parameter and p["in"] == location
                for p in target_operation["parameters"]
            ), (target, parameter)
            # ...and the value it reads is the source response's task id.
            body = operation["responses"][status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/TaskPublic"}


def test_the_document_with_its_links_is_valid_openapi_31(harness: ApiHarness) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", harness.client.app)
    assert schema.raw_schema["openapi"].startswith("3.1.")
    schema.validate()  # the OpenAPI 3.1 meta-schema
    workflow = schema.as_state_machine()
    declared = {(source, name) for source, (_, targets) in TASK_LINKS.items() for name in targets}
    resolved = {
        (str(link.source.definition.raw["operationId"]), link.name)
        for transitions in workflow._transitions.operations.values()  # pyright: ignore[reportPrivateUsage, reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
        for link in transitions.outgoing  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        if not link.is_inferred  # pyright: ignore[reportUnknownMemberType]
    }
    assert resolved == declared


# A body each linked operation accepts for any task (none for GET and DELETE).
LINKED_BODIES: dict[str, dict[str, Any]] = {
    "createTask": {"title": "Made to follow a link"},
    "updateTask": {"title": "Changed through a link"},
    "assignTask": {"assignee": None},
}


def test_every_link_carries_the_task_id_from_its_source_to_its_target(
    harness: ApiHarness, api_key: str
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", harness.client.app)
    workflow = schema.as_state_machine()
    headers = {"Authorization": f"Bearer {api_key}"}
    by_id = {
        _operation_id(result.ok().Case()): result.ok()
        for result in schema.get_all_operations()
        if isinstance(result, Ok)
    }

    def call(operation_id: str, task_id: int | None = None) -> StepOutput:
        operation = by_id[operation_id]
        path = {"task_id": task_id} if task_id is not None else None
        body = LINKED_BODIES.get(operation_id)
        case = (
            operation.Case(path_parameters=path, body=body)
            if body is not None
            else operation.Case(path_parameters=path)
        )
        response = case.call(headers=headers)
        case.validate_response(response, headers=headers)
        assert 200 <= response.status_code < 300, (operation_id, response.text)
        return StepOutput(response, case)

    followed: set[tuple[str, str]] = set()
    for transitions in workflow._transitions.operations.values():  # pyright: ignore[reportPrivateUsage, reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
        for link in transitions.outgoing:  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            if link.is_inferred:  # pyright: ignore[reportUnknownMemberType]
                continue
            source, target = _operation_id(link.source.Case()), _operation_id(link.target.Case())  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
            created = call("createTask")
            task_id = int(created.response.json()["id"])
            output = created if source == "createTask" else call(source, task_id)
            transition = link.extract(output)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            extracted = transition.parameters["path_parameters"]["task_id"].value.ok()  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            assert extracted == task_id, (source, target)
            call(target, extracted)  # pyright: ignore[reportUnknownArgumentType]
            followed.add((source, target))
    assert followed == {
        (source, target)
        for source, (_, targets) in TASK_LINKS.items()
        for target in targets.values()
    }


def test_linked_sequences_never_fail_and_follow_every_link(
    harness: ApiHarness, api_key: str
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", harness.client.app)
    headers = {"Authorization": f"Bearer {api_key}"}

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        # (source operation id, target operation id, whether the link gave the id, status)
        followed: ClassVar[list[tuple[str, str, bool, int]]] = []
        failures: ClassVar[list[str]] = []

        def setup(self) -> None:
            # Each scenario starts on an empty team, so that the same choices always meet the
            # same answers (Hypothesis calls a run whose draws depend on old state flaky).
            _empty_the_team(harness)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(
            self,
            response: Response,
            case: schemathesis.Case,
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            try:
                case.validate_response(
                    response,
                    additional_checks=additional_checks,
                    excluded_checks=[positive_data_acceptance],
                    transport_kwargs=kwargs,
                    recorder=self.recorder,  # pyright: ignore[reportUnknownMemberType, reportAttributeAccessIssue]
                )
            except Exception as error:
                # Should the replay of a failing scenario differ (Hypothesis then reports
                # flakiness instead), this first failure is still the one reported.
                self.failures.append(f"{case.as_curl_command()}\n{error}")
                raise

        def step(self, input: StepInput) -> StepOutput:
            output = super().step(input)
            transition = input.transition
            if transition is not None and not transition.is_inferred:
                parent = self.recorder.cases[transition.parent_id].value  # pyright: ignore[reportUnknownMemberType, reportAttributeAccessIssue, reportUnknownVariableType]
                self.followed.append(
                    (
                        _operation_id(parent),  # pyright: ignore[reportUnknownArgumentType]
                        _operation_id(input.case),
                        input.is_applied,
                        output.response.status_code,
                    )
                )
            return output

    bounded = settings(
        max_examples=SCENARIOS,
        stateful_step_count=STEPS_PER_SCENARIO,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
        database=None,
    )
    try:
        Workflow.run(settings=bounded)
    except Exception:
        if Workflow.failures:
            pytest.fail(Workflow.failures[0], pytrace=False)
        raise
    assert Workflow.failures == []
    # The scenarios did follow the links with the task id from the response, and reached the
    # task (a generated body may still be refused with 422). Which links, and how often, is
    # up to the random choices; that each one works is tested above.
    reached = {
        (source, target)
        for source, target, applied, status in Workflow.followed
        if applied and status != 404
    }
    assert any(source == "createTask" for source, _ in reached), Workflow.followed


# What a scenario leaves behind; the API keys and the people directory stay.
SCENARIO_TABLES = (
    "tasks",
    "audit_events",
    "idempotency_records",
    "agent_turns",
    "conversations",
    "task_reminders",
)


def _empty_the_team(harness: ApiHarness) -> None:
    with harness.session_factory() as session, session.begin():
        for table in SCENARIO_TABLES:
            session.execute(text(f"DELETE FROM {table}"))


def _operation_id(case: schemathesis.Case) -> str:
    return str(case.operation.definition.raw["operationId"])
