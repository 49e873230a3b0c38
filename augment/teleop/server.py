"""The web device: a page served locally that shows the live camera views and sends key events,
and keep / discard / reset. One `websockets` server (a maintained library, already a dependency of
the stack; it answers the page's plain HTTP GET itself, so no second web framework is needed).

The simulation steps at the control rate in one worker thread (MuJoCo's EGL context belongs to
the thread that made it, and key events must not change the key state halfway through a step);
after each step the server sends every open page the camera images as JPEG (one binary message
per camera: its index byte, then the JPEG) and then the state as JSON. An episode's clock starts at
its first key press and pauses while no page is open.

Safety: the server binds 127.0.0.1 unless `--host` says otherwise, and refuses a request from an
address other than loopback unless `--host` is a non-loopback address. While bound to loopback it
also refuses a `Host` header that is not a loopback name (a DNS-rebinding page in the user's
browser), and a WebSocket whose `Origin` is not the page's own (another site's script)."""

from __future__ import annotations

import asyncio
import io
import ipaddress
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image
from websockets.asyncio.server import ServerConnection, broadcast
from websockets.asyncio.server import serve as ws_serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from .config import TeleopConfig, is_loopback
from .keymap import HELP, KEYS, UnknownKey
from .session import RUNNING, TeleopSession

PAGE = Path(__file__).with_name("page.html")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")


def hello_message(config: TeleopConfig, kept: int, signals: list[str]) -> str:
    """What a page is told on connecting: the task, the cameras, and the key map (its only copy)."""
    return json.dumps(
        {
            "type": "hello",
            "task": config.task,
            "target": config.episodes,
            "kept": kept,
            "cameras": list(config.cameras),
            "signals": signals,
            "keys": list(KEYS),
            "help": HELP,
        }
    )


def remote_allowed(remote_ip: str, host: str) -> bool:
    """A request from `remote_ip` is served when it comes from this machine, or when the server was
    bound to a non-loopback `host` on purpose (`--host 0.0.0.0`: the user opened it to others)."""
    address = ipaddress.ip_address(remote_ip.split("%")[0])
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback or not is_loopback(host)


def _response(status: int, reason: str, body: bytes, content_type: str) -> Response:
    headers = Headers(
        [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")]
    )
    return Response(status, reason, headers, body)


def _forbidden(why: str) -> Response:
    return _response(403, "Forbidden", f"demoforge teleop: {why}\n".encode(), "text/plain; charset=utf-8")


def guard(bound_host: str, connection: ServerConnection, request: Request) -> Response | None:
    """The refusal (403) of a request this server must not answer, or None: a request from another
    machine unless bound to a non-loopback `bound_host`; while bound to loopback, a `Host` that is
    not a loopback name; a WebSocket (`/ws`) whose `Origin` is not the page's own."""
    remote = connection.remote_address[0]
    if not remote_allowed(remote, bound_host):
        return _forbidden(f"requests from {remote} are refused: the page serves localhost (see --host)")
    host = request.headers.get("Host", "")
    if is_loopback(bound_host) and urlsplit(f"//{host}").hostname not in LOOPBACK_NAMES:
        return _forbidden(f"Host {host!r} is not this machine's loopback name")
    if urlsplit(request.path).path == "/ws":
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != host:
            return _forbidden(f"a WebSocket from origin {origin!r} (not this page's)")
    return None


def jpeg(image, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


class WebDevice:
    def __init__(self, config: TeleopConfig, make_session: Callable[[], TeleopSession], on_ready):
        self.config, self.make_session, self.on_ready = config, make_session, on_ready
        self.worker = ThreadPoolExecutor(1, thread_name_prefix="teleop-sim")
        self.clients: set[ServerConnection] = set()
        self.ack: float | None = None  # the page's timestamp of the last key down, echoed after its step
        self.session: TeleopSession

    async def call(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.worker, fn, *args)

    # HTTP ----------------------------------------------------------------------------------------

    def http(self, connection: ServerConnection, request: Request) -> Response | None:
        refused = guard(self.config.host, connection, request)
        if refused is not None or urlsplit(request.path).path == "/ws":
            return refused  # None: the WebSocket handshake goes on
        path = urlsplit(request.path).path
        if path == "/":
            return _response(200, "OK", PAGE.read_bytes(), "text/html; charset=utf-8")
        return _response(404, "Not Found", b"not found\n", "text/plain; charset=utf-8")

    # WebSocket -----------------------------------------------------------------------------------

    async def handler(self, ws: ServerConnection) -> None:
        self.clients.add(ws)
        try:
            await ws.send(hello_message(self.config, self.session.kept, list(self.session.signals)))
            await self.send_view()
            async for message in ws:
                await self.on_message(ws, message)
        except ConnectionClosed:
            pass
        finally:
            self.clients.discard(ws)
            if not self.clients:  # a closed page sends no key-up: let go of everything
                await self.call(self.session.keys.release_all)

    async def on_message(self, ws: ServerConnection, message) -> None:
        try:
            event = json.loads(message)
            kind = event["type"]
        except (ValueError, KeyError, TypeError):
            await ws.send(json.dumps({"type": "notice", "text": "bad message (expected JSON with a 'type')"}))
            return
        if kind == "key":
            try:
                await self.call(self.session.press, str(event["key"]), event["down"] is True)
            except (UnknownKey, KeyError) as exc:
                await ws.send(json.dumps({"type": "notice", "text": str(exc)}))
                return
            if event["down"] is True and isinstance(event.get("t"), int | float):
                self.ack = float(event["t"])
        elif kind == "pad":
            try:
                await self.call(self.session.pad, list(event["axes"]), [bool(b) for b in event.get("buttons", [])])
            except (UnknownKey, KeyError, TypeError, ValueError) as exc:
                await ws.send(json.dumps({"type": "notice", "text": f"bad gamepad message ({exc})"}))
        elif kind == "tilt":  # a phone's raw angles (or null: tilting off); keymap.py maps them
            angles = event.get("angles")
            try:
                if angles is not None and not isinstance(angles, dict):
                    raise TypeError(f"angles={angles!r}")
                await self.call(self.session.tilt, angles)
            except (UnknownKey, TypeError) as exc:
                await ws.send(json.dumps({"type": "notice", "text": f"bad tilt message ({exc})"}))
        elif kind == "blur":
            await self.call(self.session.keys.release_all)
        elif kind == "command" and event.get("command") in ("keep", "discard", "reset"):
            command = event["command"]
            await self.call(self.session.keep if command == "keep" else self.session.discard)
            await self.send_view()

    def _view_messages(self, ack: float | None) -> list[str | bytes]:
        view = self.session.view()
        frames = [
            bytes([i]) + jpeg(view.images[c], self.config.jpeg_quality) for i, c in enumerate(self.config.cameras)
        ]
        state = {
            "type": "state",
            "kept": self.session.kept,
            "target": self.config.episodes,
            "attempt": self.session.attempts,
            "step": view.step,
            "max_steps": self.config.max_steps,
            "state": view.state,
            "success": view.success,
            "signals": view.signals,
            "eef": view.tcp,  # the TCP position (m, world)
            "objects": view.objects,
            "gripper": view.gripper,
            "notice": self.session.notice,
            "ack": ack,
        }
        return [*frames, json.dumps(state)]

    async def send_view(self, ack: float | None = None) -> None:
        if self.session.done or not self.clients:
            return
        for message in await self.call(self._view_messages, ack):
            broadcast(self.clients, message)

    # the control loop ----------------------------------------------------------------------------

    async def run(self) -> TeleopSession:
        self.session = await self.call(self.make_session)
        loop = asyncio.get_running_loop()
        period = 1.0 / self.session.base.config.control_hz
        try:
            async with ws_serve(self.handler, self.config.host, self.config.port, process_request=self.http) as server:
                port = server.sockets[0].getsockname()[1]
                host = self.config.host if ":" not in self.config.host else f"[{self.config.host}]"
                if self.on_ready:
                    self.on_ready(f"http://{host}:{port}/")
                tick = loop.time()
                while not self.session.done:
                    if self.clients and self.session.state == RUNNING:
                        ack, self.ack = self.ack, None
                        await self.call(self.session.step)
                        await self.send_view(ack)
                    tick = max(tick + period, loop.time() - period)  # late: catch up by one step, no burst
                    await asyncio.sleep(max(0.0, tick - loop.time()))
                broadcast(self.clients, json.dumps({"type": "done", "kept": self.session.kept}))
                await asyncio.sleep(0.1)  # let the last message leave before the connections close
        finally:
            await self.call(self.session.close)
            self.worker.shutdown()
        return self.session


def serve(config: TeleopConfig, make_session: Callable[[], TeleopSession], on_ready=None) -> TeleopSession:
    """Serve the page until the session has its episodes (Ctrl+C stops earlier; kept ones stay)."""
    return asyncio.run(WebDevice(config, make_session, on_ready).run())
