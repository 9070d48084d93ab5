"""A Slack turn the database failed, and what the person is told: the one error the turn path
raises for it, which the delivery settlement and `/task` read."""

from __future__ import annotations

DATABASE_APOLOGY = (
    "I couldn't reach my database just now, so nothing was changed. Please try again in a minute."
)
DATABASE_APOLOGY_AFTER_WRITE = (
    "I lost my database partway through, so part of that may have been saved. "
    "Please check the task list before trying again."
)


class DatabaseUnavailable(Exception):
    """A Slack turn the database failed even after the retries.

    `wrote` says whether the turn may have written something before the failure: then running
    it again could repeat the write, and the delivery must not be handed back to Slack's
    retries.
    """

    def __init__(self, *, wrote: bool) -> None:
        super().__init__("the database could not be reached during a Slack turn")
        self.wrote = wrote

    @property
    def apology(self) -> str:
        """What the person reads instead of an answer."""
        return DATABASE_APOLOGY_AFTER_WRITE if self.wrote else DATABASE_APOLOGY
