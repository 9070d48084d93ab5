"""TaskPilot's Slack app manifest (`slack_app/manifest.yaml`): loading it and filling in the
host, for `taskpilot slack manifest --host tasks.example.com [--socket-mode] [--json]`.

Checking it against Slack's schema and against what the code does is tooling
(`python -m devtools.manifest_check`), not part of the product.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import yaml

MANIFEST_PATH = Path(__file__).resolve().parents[1] / "manifest.yaml"
PLACEHOLDER_HOST = "YOUR-HOST"

Json = dict[str, Any]


def load_manifest(path: Path = MANIFEST_PATH) -> Json:
    """The manifest as a dict (YAML parsed safely)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a YAML mapping")
    return cast("Json", data)


def _clean_host(host: str) -> str:
    host = host.strip().removeprefix("https://").rstrip("/")
    if not host or "/" in host or "://" in host or " " in host:
        raise ValueError(
            f"host {host!r} should be a bare host name such as tasks.example.com "
            "(Slack only calls https URLs)"
        )
    return host


def render_manifest(manifest: Json, *, host: str | None = None, socket_mode: bool = False) -> Json:
    """A copy of `manifest` with YOUR-HOST replaced by `host`; with `socket_mode`, Socket Mode
    switched on and the request URLs (which Socket Mode does not use) left out. Raises
    `ValueError` for a host that is not a bare host name."""
    text = json.dumps(manifest)
    if host is not None:
        text = text.replace(PLACEHOLDER_HOST, _clean_host(host))
    rendered = cast("Json", json.loads(text))
    if socket_mode:
        settings = rendered.setdefault("settings", {})
        settings["socket_mode_enabled"] = True
        settings.get("event_subscriptions", {}).pop("request_url", None)
        settings.get("interactivity", {}).pop("request_url", None)
        for command in rendered.get("features", {}).get("slash_commands", []):
            command.pop("url", None)
    return rendered


def manifest_text(*, host: str | None, socket_mode: bool, as_json: bool) -> str:
    """The manifest ready to paste into Slack's app settings, as YAML or JSON."""
    rendered = render_manifest(load_manifest(), host=host, socket_mode=socket_mode)
    if as_json:
        return json.dumps(rendered, indent=2) + "\n"
    return yaml.safe_dump(rendered, sort_keys=False, allow_unicode=True, width=100)
