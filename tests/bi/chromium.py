"""Headless Debian Chromium driven over the DevTools protocol (one page, synchronous).

Only what the dashboard test needs: set a cookie, open a URL while recording the
chart-data responses the page receives, read the DOM, take a screenshot.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

CHART_DATA_PATH = "/api/v1/chart/data"
START_TIMEOUT_S = 30.0


def executable() -> str | None:
    return shutil.which("chromium")


@dataclass
class ChartResponse:
    """One /api/v1/chart/data answer: the chart it was for, its status and its queries."""

    slice_id: int | None
    status: int
    body: dict[str, Any] = field(default_factory=dict)


class Page:
    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        call_id = self._next_id
        self._socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._events.append(message)

    def _drain(self, timeout_s: float) -> None:
        try:
            while True:
                self._events.append(json.loads(self._socket.recv(timeout=timeout_s)))
        except TimeoutError:
            return

    def open(self, url: str, expected_charts: set[int], deadline_s: float) -> list[ChartResponse]:
        """Navigate and wait until every expected chart's data has arrived (or the deadline)."""
        self._events.clear()
        self.call("Page.navigate", url=url)
        slice_of_request: dict[str, int | None] = {}
        status_of_request: dict[str, int] = {}
        answers: list[ChartResponse] = []
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            self._drain(0.5)
            events, self._events = self._events, []
            for event in events:
                method, params = event.get("method"), event.get("params", {})
                if method == "Network.requestWillBeSent":
                    request = params["request"]
                    if CHART_DATA_PATH in request["url"] and request.get("method") == "POST":
                        slice_of_request[params["requestId"]] = _slice_id(request)
                elif method == "Network.responseReceived":
                    if params["requestId"] in slice_of_request:
                        status_of_request[params["requestId"]] = params["response"]["status"]
                elif method == "Network.loadingFinished":
                    request_id = params["requestId"]
                    if request_id in slice_of_request:
                        raw = self.call("Network.getResponseBody", requestId=request_id)
                        text = raw["body"]
                        if raw.get("base64Encoded"):
                            text = base64.b64decode(text).decode()
                        answers.append(
                            ChartResponse(
                                slice_of_request[request_id],
                                status_of_request.get(request_id, 0),
                                json.loads(text) if text else {},
                            )
                        )
            if expected_charts <= {answer.slice_id for answer in answers}:
                break
        # The last answers still have to be drawn; let the page settle before reading it.
        self._drain(3.0)
        return answers

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def set_viewport(self, width: int, height: int) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def fit_height(self, width: int, min_height: int) -> None:
        """Grow the window to the page's height, so one screenshot holds the whole page."""
        height = int(self.evaluate("document.documentElement.scrollHeight") or min_height)
        if height > min_height:
            self.set_viewport(width, height)
            # Charts redraw for the new size.
            self._drain(3.0)

    def screenshot(self, path: Path) -> None:
        shot = self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))


def _slice_id(request: dict[str, Any]) -> int | None:
    try:
        body = json.loads(request.get("postData") or "{}")
    except json.JSONDecodeError:
        return None
    form_data = body.get("form_data") or {}
    return form_data.get("slice_id")


@contextmanager
def page(profile_dir: Path, width: int = 1600, height: int = 1000) -> Iterator[Page]:
    """A headless Chromium with one page; the browser is stopped on exit."""
    profile_dir.mkdir(parents=True, exist_ok=True)
    # A marker left by an earlier browser on this profile would name a dead port.
    (profile_dir / "DevToolsActivePort").unlink(missing_ok=True)
    binary = executable()
    if binary is None:
        raise RuntimeError("chromium not found: apt-get install chromium")
    process = subprocess.Popen(
        [
            binary,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--metrics-recording-only",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile_dir}",
            f"--window-size={width},{height}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = _devtools_port(profile_dir, process)
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list").json()
        target = next(entry for entry in targets if entry["type"] == "page")
        with connect(target["webSocketDebuggerUrl"], max_size=None) as socket:
            browser_page = Page(socket)
            browser_page.call("Page.enable")
            browser_page.call("Network.enable")
            browser_page.call("Runtime.enable")
            yield browser_page
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _devtools_port(profile_dir: Path, process: subprocess.Popen[bytes]) -> int:
    """Chromium writes the port it chose into DevToolsActivePort in its profile."""
    marker = profile_dir / "DevToolsActivePort"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with code {process.returncode}")
        if marker.exists():
            first_line = marker.read_text().splitlines()[:1]
            if first_line and first_line[0].isdigit():
                return int(first_line[0])
        time.sleep(0.2)
    raise RuntimeError("chromium did not open its DevTools port")
