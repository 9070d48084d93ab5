"""SIGTERM and SIGINT for the long-running Slack processes (Socket Mode, turn workers)."""

from __future__ import annotations

import asyncio
import contextlib
import signal


def on_stop_signals(stop: asyncio.Event) -> list[signal.Signals]:
    """Set `stop` on SIGTERM and SIGINT; the signals that could be handled."""
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Only the main thread of a Unix process can take signals in the event loop.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    return handled


def forget_stop_signals(handled: list[signal.Signals]) -> None:
    """Give the signals `on_stop_signals` took back to their default handling."""
    loop = asyncio.get_running_loop()
    for sig in handled:
        loop.remove_signal_handler(sig)
