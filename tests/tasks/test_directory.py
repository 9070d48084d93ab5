"""Finding the person someone meant: ids, mentions, handles, names and "me"."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from tasks.directory import UserDirectory, directory_changes
from tasks.errors import AmbiguousUser, UnknownUser
from tests.conftest import Person, SeededTeam, SessionFactory, add_people


@pytest.fixture
def directory(seeded_team: SeededTeam, session: Session) -> UserDirectory:
    return UserDirectory(session, team_id=seeded_team.team_id)


@pytest.mark.parametrize(
    "ref",
    [
        "U0BOB",
        "u0bob",
        "<@U0BOB>",
        "<@U0BOB|bob>",
        "@bob",
        "bob",
        "BOB",
        "Bob Ortiz",
        "bob ortiz",
        "  Bob  ",
        "'bob'",
    ],
)
def test_bob_is_found_however_he_is_named(directory: UserDirectory, ref: str) -> None:
    assert directory.resolve(ref, actor_id="U0ALICE").user_id == "U0BOB"


@pytest.mark.parametrize(
    "ref", ["carol", "Carol", "carol.diaz", "@carol.diaz", "carol diaz", "Carol Diaz", "CAROL DÍAZ"]
)
def test_names_match_without_case_or_accents(directory: UserDirectory, ref: str) -> None:
    assert directory.resolve(ref, actor_id="U0ALICE").user_id == "U0CAROL"


@pytest.mark.parametrize("ref", ["me", "Me", "myself", "I", "@me"])
def test_me_is_the_speaker(directory: UserDirectory, ref: str) -> None:
    assert directory.resolve(ref, actor_id="U0BOB").user_id == "U0BOB"


def test_me_works_before_the_directory_knows_the_speaker(directory: UserDirectory) -> None:
    user = directory.resolve("me", actor_id="U0NEWCOMER")
    assert user.user_id == "U0NEWCOMER"
    assert directory.get("U0NEWCOMER") is None


def test_unknown_names_suggest_close_matches(directory: UserDirectory) -> None:
    with pytest.raises(UnknownUser) as raised:
        directory.resolve("bobby", actor_id="U0ALICE")
    message = str(raised.value)
    assert "I don't know anyone called 'bobby'" in message
    assert "Bob Ortiz (@bob)" in message
    assert raised.value.candidates[0] == {"id": "U0BOB", "handle": "bob", "name": "Bob Ortiz"}
    assert len(raised.value.candidates) <= 5


def test_unknown_without_anyone_close(directory: UserDirectory) -> None:
    with pytest.raises(UnknownUser) as raised:
        directory.resolve("Zygmunt", actor_id="U0ALICE")
    assert str(raised.value) == "I don't know anyone called 'Zygmunt' in this workspace."
    assert raised.value.candidates == []


def test_unknown_ids_and_mentions(directory: UserDirectory) -> None:
    with pytest.raises(UnknownUser, match="<@U0NOBODY> is not someone in this workspace"):
        directory.resolve("<@U0NOBODY>", actor_id="U0ALICE")


def test_deactivated_people_and_bots_cannot_be_resolved(directory: UserDirectory) -> None:
    for ref in ("dave", "<@U0DAVE>", "U0DAVE", "Dave Kim"):
        with pytest.raises(UnknownUser, match="Dave Kim \\(@dave\\) has been deactivated"):
            directory.resolve(ref, actor_id="U0ALICE")
    with pytest.raises(UnknownUser, match="is a bot, not a person"):
        directory.resolve("@deploybot", actor_id="U0ALICE")


def test_people_of_other_teams_are_unknown(seeded_team: SeededTeam, session: Session) -> None:
    directory = UserDirectory(session, team_id=seeded_team.team_id)
    with pytest.raises(UnknownUser):
        directory.resolve("erin", actor_id="U0ALICE")
    with pytest.raises(UnknownUser):
        directory.resolve("<@U0ERIN>", actor_id="U0ALICE")
    other = UserDirectory(session, team_id=seeded_team.other_team_id)
    assert other.resolve("erin", actor_id="U0ALICE").user_id == "U0ERIN"


def test_ambiguous_names_list_every_candidate(
    seeded_team: SeededTeam, session_factory: SessionFactory
) -> None:
    with session_factory() as session, session.begin():
        add_people(
            session,
            team_id=seeded_team.team_id,
            people=(
                Person("U0ALEXK", "alexk", "Alex Kim"),
                Person("U0ALEXP", "apark", "Alex Park"),
            ),
        )
    with session_factory() as session:
        directory = UserDirectory(session, team_id=seeded_team.team_id)
        with pytest.raises(AmbiguousUser) as raised:
            directory.resolve("alex", actor_id="U0ALICE")
        assert str(raised.value) == (
            "'alex' could be Alex Kim (@alexk) or Alex Park (@apark). Which one do you mean?"
        )
        assert {c["id"] for c in raised.value.candidates} == {"U0ALEXK", "U0ALEXP"}
        # A full name or handle settles it.
        assert directory.resolve("alex park", actor_id="U0ALICE").user_id == "U0ALEXP"
        assert directory.resolve("@alexk", actor_id="U0ALICE").user_id == "U0ALEXK"


def test_two_people_with_the_same_display_name_are_ambiguous(
    seeded_team: SeededTeam, session_factory: SessionFactory
) -> None:
    with session_factory() as session, session.begin():
        add_people(
            session,
            team_id=seeded_team.team_id,
            people=(Person("U0BOB2", "bob.smith", "Robert Smith", display_name="Bob"),),
        )
    with session_factory() as session:
        directory = UserDirectory(session, team_id=seeded_team.team_id)
        with pytest.raises(AmbiguousUser) as raised:
            directory.resolve("bob", actor_id="U0ALICE")
        assert {c["id"] for c in raised.value.candidates} == {"U0BOB", "U0BOB2"}
        assert directory.resolve("<@U0BOB2>", actor_id="U0ALICE").user_id == "U0BOB2"


def test_upsert_updates_in_place(seeded_team: SeededTeam, session_factory: SessionFactory) -> None:
    with session_factory() as session, session.begin():
        directory = UserDirectory(session, team_id=seeded_team.team_id)
        directory.upsert(user_id="U0BOB", handle="@bobo", real_name="Bob Ortiz", tz="Europe/Paris")
    with session_factory() as session:
        directory = UserDirectory(session, team_id=seeded_team.team_id)
        bob = directory.get("U0BOB")
        assert bob is not None
        assert (bob.handle, bob.tz) == ("bobo", "Europe/Paris")
        assert len(directory.list_users()) == 5
        assert len(directory.list_users(active_only=True)) == 3


def test_display_names(directory: UserDirectory) -> None:
    assert directory.display_name_of("U0ALICE") == "Alice"
    assert directory.display_name_of("U0BOB") == "Bob Ortiz"
    assert directory.display_name_of("U0GHOST") == "U0GHOST"
    assert directory.names_of(["U0ALICE", "U0GHOST"]) == {"U0ALICE": "Alice", "U0GHOST": "U0GHOST"}


def test_a_change_is_counted_once_it_commits(session_factory: SessionFactory) -> None:
    # Caches of the directory (the agent's prompt people list) watch this count.
    before = directory_changes("T0COUNT")
    with session_factory() as session:
        UserDirectory(session, team_id="T0COUNT").upsert(user_id="U0NEW", handle="newbie")
        UserDirectory(session, team_id="T0COUNT").upsert(user_id="U0NEW2", handle="newbie2")
        assert directory_changes("T0COUNT") == before
        session.commit()
    assert directory_changes("T0COUNT") == before + 1
    with session_factory() as session, session.begin():
        UserDirectory(session, team_id="T0COUNT").upsert(user_id="U0NEW", handle="renamed")
    assert directory_changes("T0COUNT") == before + 2
