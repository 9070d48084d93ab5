"""The prompt's people list: cached per team for a short while, never hiding a local change."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic_ai.messages import ModelRequest

import agent.prompt_people
from agent.prompt_people import PEOPLE_CACHE_SECONDS, forget_people, prompt_people
from tasks.directory import UserDirectory
from tasks.models import DirectoryUser
from tests.agent.support import TEAM, Script, SessionFactory, runtime_for, say, team_database, turn

ALL_THREE = ("alice (Alice Chen)", "bob (Bob Ortiz)", "carol (Carol Diaz)")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock()
    monkeypatch.setattr(agent.prompt_people, "monotonic", clock)
    forget_people()
    yield clock
    forget_people()


def listed(sessions: SessionFactory, team: str = TEAM) -> tuple[str, ...]:
    with sessions() as session:
        return prompt_people(session, team)


def add_behind_the_directorys_back(sessions: SessionFactory, user_id: str, handle: str) -> None:
    # As another process (another app replica) would: this process counts no change.
    with sessions() as session, session.begin():
        session.add(DirectoryUser(team_id=TEAM, user_id=user_id, handle=handle))


def test_a_person_synced_in_this_process_is_listed_at_once(sessions: SessionFactory) -> None:
    assert listed(sessions) == ALL_THREE
    with sessions() as session, session.begin():
        UserDirectory(session, team_id=TEAM).upsert(user_id="U0004", handle="dan")
    assert listed(sessions) == (*ALL_THREE, "dan")


def test_a_change_is_listed_only_once_committed(sessions: SessionFactory) -> None:
    assert listed(sessions) == ALL_THREE
    with sessions() as session:
        UserDirectory(session, team_id=TEAM).upsert(user_id="U0004", handle="dan")
        # Read while the change is still uncommitted: the list must not stick without it.
        assert listed(sessions) == ALL_THREE
        session.commit()
    assert listed(sessions) == (*ALL_THREE, "dan")


def test_a_change_from_elsewhere_shows_within_the_bound(
    sessions: SessionFactory, clock: Clock
) -> None:
    assert listed(sessions) == ALL_THREE
    add_behind_the_directorys_back(sessions, "U0004", "dan")
    clock.now += PEOPLE_CACHE_SECONDS - 1
    assert listed(sessions) == ALL_THREE  # Reused: no query.
    clock.now += 2
    assert listed(sessions) == (*ALL_THREE, "dan")


def test_databases_with_teams_of_the_same_id_keep_their_own_lists(
    sessions: SessionFactory,
) -> None:
    assert listed(sessions) == ALL_THREE
    other = team_database()
    elsewhere = next(other)
    try:
        with elsewhere() as session, session.begin():
            session.delete(UserDirectory(session, team_id=TEAM).get("U0002"))
        assert listed(elsewhere) == ("alice (Alice Chen)", "carol (Carol Diaz)")
        assert listed(sessions) == ALL_THREE
    finally:
        next(other, None)


def test_the_next_turn_lists_a_person_synced_after_the_last(sessions: SessionFactory) -> None:
    script = Script(say("hello"), say("hello again"))
    runtime = runtime_for(script)
    turn(sessions, runtime, "hi")
    with sessions() as session, session.begin():
        UserDirectory(session, team_id=TEAM).upsert(
            user_id="U0004", handle="dan", real_name="Dan Park"
        )
    turn(sessions, runtime, "hi", conversation="c2")
    first, second = (seen[0] for seen in script.seen)
    assert isinstance(first, ModelRequest) and isinstance(second, ModelRequest)
    assert "Dan Park" not in (first.instructions or "")
    assert "dan (Dan Park)" in (second.instructions or "")
