# pyright: strict
"""The HTML report renders in headless Chromium: the page is drawn and the chart's bars show.

Skipped when no Chromium binary is installed (`apt-get install chromium` on Debian).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from evals.report_files import write_html
from evals.report_html import PALETTE
from tests.evals.test_report_markdown import case, report_of

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
WIDTH, HEIGHT = 1200, 1600


def _browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _paeth(left: int, up: int, up_left: int) -> int:
    estimate = left + up - up_left
    to_left, to_up, to_up_left = abs(estimate - left), abs(estimate - up), abs(estimate - up_left)
    if to_left <= to_up and to_left <= to_up_left:
        return left
    return up if to_up <= to_up_left else up_left


def decode_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, bytes per pixel and the unfiltered rows of an 8-bit RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    offset, idat = 8, b""
    width = height = channels = 0
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8, f"bit depth {depth}"
            assert interlace == 0, "interlaced PNG"
            channels = {2: 3, 6: 4}[colour]
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for index in range(height):
        start = index * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            up_left = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                line[x] = (line[x] + _paeth(left, up, up_left)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = int(hex_colour.removeprefix("#"), 16)
    return (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF


def _fixture() -> dict[str, object]:
    cases = [
        case(f"{category}.{index}", category, passed=index < passes, model=model)
        for model, shift in (("offline", 0), ("gpt", 1))
        for category, passes in (("create", 3 - shift), ("list", 2 + shift), ("update", 1))
        for index in range(4)
    ]
    cases.append(
        case(
            "create.tls",
            "create",
            passed=False,
            expected=[{"tool": "create_task", "args": {"title": "renew the TLS certificate"}}],
            actual=[{"tool": "create_task", "args": {"title": "renew TLS certs"}, "ok": True}],
        )
    )
    return report_of(cases)


@pytest.mark.slow
def test_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = _browser()
    if browser is None:
        pytest.skip(f"no Chromium binary ({', '.join(BROWSERS)}) on PATH")
    page = write_html(_fixture(), tmp_path / "report.html")
    shot = tmp_path / "report.png"
    command = [
        browser,
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        f"--window-size={WIDTH},{HEIGHT}",
        page.resolve().as_uri(),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert shot.exists(), f"no screenshot; chromium said:\n{completed.stderr[-2000:]}"
    data = shot.read_bytes()
    assert len(data) > 10_000, f"suspiciously small screenshot: {len(data)} bytes"

    width, height, channels, rows = decode_png(data)
    assert (width, height) == (WIDTH, HEIGHT)
    pixels: set[tuple[int, int, int]] = set()
    for row in rows:
        pixels.update(
            (row[x], row[x + 1], row[x + 2]) for x in range(0, width * channels, channels)
        )
    assert len(pixels) > 50, f"the page is nearly blank: {len(pixels)} colours"
    # The bars of both variants are drawn in their legend colours.
    for colour in PALETTE[:2]:
        assert _rgb(colour) in pixels, f"no pixel of the bar colour {colour}"
