"""Every module that defines SQLModel tables: the whole schema, which the migrations must
match (their test compares the two)."""

from __future__ import annotations

from types import ModuleType

import slack_app.models
from agent.turn_tables import TURN_TABLE_MODULES

TABLE_MODULES: tuple[ModuleType, ...] = (*TURN_TABLE_MODULES, slack_app.models)
