"""Annotate by hand (`demoforge annotate DATASET --by-hand`): a page served locally shows each
episode's recorded camera video, the user scrubs it (slider, arrow keys, play / pause) and marks the
frame that ends each of the task's subtask signals, and Save writes the annotated dataset with
`data.marks.annotate_marks`, the writer of `annotate --csv`.

It runs on the teleop page's machinery: one `websockets` server answers the page and its frames
(`GET /frame/EPISODE/CAMERA/FRAME`, a JPEG) over HTTP and the save over a WebSocket, behind the
same request guard (`server.guard`: localhost only unless `--host`, no foreign Host or Origin)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.asyncio.server import serve as ws_serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from ...envs import ConfigError
from ..data.dataset import Dataset
from ..data.marks import annotate_marks, task_signals
from ..data.safety import DatasetError
from .config import is_loopback
from .server import _response, guard, jpeg

PAGE = Path(__file__).with_name("annotate.html")


@dataclass(frozen=True)
class AnnotatePageConfig:
    host: str = field(default="127.0.0.1", metadata={"help": "address the page is served on (see teleop --host)"})
    port: int = field(default=8766, metadata={"help": "port of the page (0: any free port)"})
    jpeg_quality: int = 90  # the frames a person judges a grasp on: sharper than the live views

    def __post_init__(self) -> None:
        try:
            is_loopback(self.host)
        except ValueError:
            raise ConfigError(f"AnnotatePageConfig.host={self.host!r}: expected an IP address or localhost") from None
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise ConfigError(f"AnnotatePageConfig.port={self.port!r}: expected 0..65535")


class AnnotatePage:
    def __init__(self, dataset: str | Path, out: str | Path, config: AnnotatePageConfig, task: str | None = None):
        self.source, self.out, self.config, self.task = Dataset(dataset), Path(out), config, task
        if not self.source.video_keys:
            self.source.close()
            raise DatasetError(
                f"dataset {self.source.root}: no camera videos to annotate by hand "
                "(record with --cameras, or use annotate --auto / --csv)"
            )
        if self.out.exists():
            self.source.close()
            raise DatasetError(f"annotate: {self.out} exists (the annotated dataset is a new folder)")
        self.task_name, feature = task_signals(self.source, task)
        self.signals = list(feature["names"])
        self.lengths = [self.source.episode(i, videos=False).length for i in range(len(self.source))]
        self.videos: dict[int, dict[str, object]] = {}  # decoded episodes, as they are looked at
        self.saved = asyncio.Event()

    def hello(self) -> str:
        return json.dumps(
            {
                "type": "hello",
                "dataset": str(self.source.root),
                "task": self.task_name,
                "signals": self.signals,
                "cameras": [k.rsplit(".", 1)[-1] for k in self.source.video_keys],
                "lengths": self.lengths,
                "fps": int(self.source.info["fps"]),
            }
        )

    def frame(self, episode: int, camera: int, t: int) -> bytes | None:
        if not (0 <= episode < len(self.lengths) and 0 <= camera < len(self.source.video_keys)):
            return None
        if not 0 <= t < self.lengths[episode]:
            return None
        if episode not in self.videos:
            self.videos = {episode: self.source.episode(episode).videos}  # one episode decoded at a time
        return jpeg(self.videos[episode][self.source.video_keys[camera]][t], self.config.jpeg_quality)

    def http(self, connection: ServerConnection, request: Request) -> Response | None:
        refused = guard(self.config.host, connection, request)
        path = urlsplit(request.path).path
        if refused is not None or path == "/ws":
            return refused
        if path == "/":
            return _response(200, "OK", PAGE.read_bytes(), "text/html; charset=utf-8")
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[0] == "frame" and all(p.isdigit() for p in parts[1:]):
            body = self.frame(*map(int, parts[1:]))
            if body is not None:
                return _response(200, "OK", body, "image/jpeg")
        return _response(404, "Not Found", b"not found\n", "text/plain; charset=utf-8")

    async def handler(self, ws: ServerConnection) -> None:
        try:
            await ws.send(self.hello())
            async for message in ws:
                try:
                    event = json.loads(message)
                    if event.get("type") != "save" or not isinstance(event.get("marks"), dict):
                        raise ValueError("expected {'type': 'save', 'marks': {episode: {signal: frame}}}")
                    marks = {int(e): dict(m) for e, m in event["marks"].items()}
                    await asyncio.to_thread(annotate_marks, self.source.root, self.out, marks, "by-hand", self.task)
                except (ValueError, TypeError, AttributeError, DatasetError) as exc:
                    await ws.send(json.dumps({"type": "notice", "text": f"not saved: {exc}"}))
                    continue
                await ws.send(json.dumps({"type": "saved", "out": str(self.out)}))
                self.saved.set()
        except ConnectionClosed:
            pass

    async def run(self, on_ready) -> None:
        try:
            async with ws_serve(self.handler, self.config.host, self.config.port, process_request=self.http) as server:
                port = server.sockets[0].getsockname()[1]
                host = self.config.host if ":" not in self.config.host else f"[{self.config.host}]"
                if on_ready:
                    on_ready(f"http://{host}:{port}/")
                await self.saved.wait()
                await asyncio.sleep(0.2)  # let "saved" reach the page before the server closes
        finally:
            self.source.close()


def annotate_by_hand(
    dataset: str | Path, out: str | Path, config: AnnotatePageConfig | None = None, task=None, on_ready=None
) -> None:
    """Serve the annotation page for `dataset` until the user saves the annotated dataset to `out`."""
    page = AnnotatePage(dataset, out, config or AnnotatePageConfig(), task)
    asyncio.run(page.run(on_ready))
