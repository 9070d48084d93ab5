"""The model modules whose tables an agent turn reads and writes: what a throwaway database
for turns (an eval case's, a test's) needs from `core.db.create_all`."""

from __future__ import annotations

from types import ModuleType

import agent.memory
import agent.turn_log
import tasks.models

TURN_TABLE_MODULES: tuple[ModuleType, ...] = (tasks.models, agent.memory, agent.turn_log)
