"""Agent turns run on a loop of their own, so their blocking steps never hold up the acks."""

from __future__ import annotations

import asyncio
import threading

import pytest

from agent.loop import AgentLoop


def test_blocking_work_on_the_agent_loop_leaves_the_callers_loop_free() -> None:
    agent_loop = AgentLoop()
    released = threading.Event()

    async def blocking_turn() -> str:
        # A turn that blocks its loop (CPU work, a synchronous database call) until the
        # caller's loop shows it is still serving.
        return "answered" if released.wait(timeout=10) else "caller's loop was blocked"

    async def caller() -> str:
        turn = asyncio.ensure_future(agent_loop.run(blocking_turn()))
        await asyncio.sleep(0.01)
        released.set()  # Runs only if this loop is free while the turn blocks.
        return await turn

    try:
        assert asyncio.run(caller()) == "answered"
    finally:
        agent_loop.stop()


def test_errors_on_the_agent_loop_reach_the_caller() -> None:
    agent_loop = AgentLoop()

    async def failing() -> None:
        raise RuntimeError("the model broke")

    try:
        with pytest.raises(RuntimeError, match="the model broke"):
            asyncio.run(agent_loop.run(failing()))
        # The loop survives a failed turn.
        assert asyncio.run(agent_loop.run(asyncio.sleep(0, result=7))) == 7
    finally:
        agent_loop.stop()
