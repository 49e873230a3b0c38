"""MP4 video through PyAV: constant frame rate h264 (yuv420p) that lerobot, GR00T and OpenCV read.

Frames are written with pts = frame index in a 1/fps time base, so frame k sits at exactly k/fps:
lerobot's decoder matches frames to timestamps within 1e-4 s. h264 rather than AV1 because some
of GR00T's decoders lack AV1 (shared/FORMATS.md §1.7).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def encode_video(path: Path, frames: np.ndarray, fps: int, crf: int = 18) -> None:
    """Write (T, H, W, 3) uint8 frames to `path` (h264, yuv420p, CFR at `fps`). H and W must be even."""
    t, h, w, c = frames.shape
    if c != 3 or frames.dtype != np.uint8:
        raise ValueError(f"video frames must be uint8 (T, H, W, 3), got {frames.dtype} {frames.shape}")
    if h % 2 or w % 2:
        raise ValueError(f"video frames must have even height and width for yuv420p, got {h}×{w}")
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.time_base = Fraction(1, fps)
        # g=2 as lerobot (cheap seeks); one thread: small frames, and generation runs one
        # encoder per worker process already.
        stream.options = {"crf": str(crf), "g": "2", "preset": "veryfast", "threads": "1"}
        for i, frame in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            vf.pts = i
            vf.time_base = Fraction(1, fps)
            for packet in stream.encode(vf):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def decode_video(path: Path, start: float = 0.0, count: int | None = None, fps: int | None = None) -> np.ndarray:
    """(N, H, W, 3) uint8 frames from `path`, starting at `start` seconds (frames whose time is at
    least start − half a frame), `count` of them (all by default)."""
    half = 0.5 / fps if fps else 1e-4
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time < start - half:
                continue
            frames.append(frame.to_ndarray(format="rgb24"))
            if count is not None and len(frames) == count:
                break
    if count is not None and len(frames) != count:
        raise ValueError(f"video {path}: expected {count} frames from t={start:.3f}s, decoded {len(frames)}")
    return np.stack(frames) if frames else np.zeros((0, 0, 0, 3), np.uint8)
