"""MP4 video through PyAV: constant frame rate h264 (yuv420p) that lerobot, GR00T and OpenCV read.

Frames are written with pts = frame index in a 1/fps time base, so frame k sits at exactly k/fps:
lerobot's decoder matches frames to timestamps within 1e-4 s. h264 rather than AV1 because some
of GR00T's decoders lack AV1 (shared/FORMATS.md §1.7).
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter


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


class VideoShapeError(ValueError):
    """A video whose frames are not the size its dataset declares."""


class VideoReader:
    """Frames of one video file by time. Consecutive reads continue the open decoder: a packed file
    holds ~1,000 episodes back to back, and opening it and seeking per episode cost ~50 ms each
    (the container parses the whole sample index), 6× the decoding of a 57-frame episode itself."""

    def __init__(self, path: Path, fps: int | None = None, shape: tuple[int, ...] | None = None):
        """`shape`: the (H, W, 3) a dataset declares for these frames, compared with the stream's
        header before any frame is decoded (a 2048 × 2048 video where 32 × 32 is declared would
        otherwise decode 400 × the memory the declared size was checked for)."""
        self.path, self.fps = Path(path), fps
        self.half = 0.5 / fps if fps else 1e-4
        self.container = av.open(str(path))
        self.stream = self.container.streams.video[0]
        size = (self.stream.codec_context.height, self.stream.codec_context.width, 3)
        if shape is not None and size != tuple(shape):
            self.container.close()
            raise VideoShapeError(f"frames are {size}, meta/info.json declares {tuple(shape)}")
        # One reformatter for every frame: `frame.to_ndarray(format="rgb24")` builds a new swscale
        # context per frame, which cost 85 % of decoding 84 × 84 frames (1,125 → 7,665 frames/s,
        # same bytes).
        self.rgb = VideoReformatter()
        self._frames: Iterator[av.VideoFrame] | None = None
        self._next_time: float | None = None  # time of the frame the open decoder gives next

    def read(self, start: float = 0.0, count: int | None = None) -> np.ndarray:
        """(N, H, W, 3) uint8 frames starting at `start` seconds (frames whose time is at least
        start − half a frame), `count` of them (all to the end by default)."""
        if self._frames is None or self._next_time is None or abs(start - self._next_time) > self.half:
            if start > self.half and self.stream.time_base:  # to the keyframe before `start`
                self.container.seek(int((start - self.half) / self.stream.time_base), stream=self.stream, backward=True)
            elif self._frames is not None:
                self.container.seek(0, stream=self.stream, backward=True)
            self._frames = self.container.decode(self.stream)
        self._next_time = None  # until this read ends where it should
        frames, last = [], None
        for frame in self._frames:
            if frame.time is not None and frame.time < start - self.half:
                continue
            frames.append(self.rgb.reformat(frame, format="rgb24").to_ndarray())
            last = frame.time
            if count is not None and len(frames) == count:
                break
        if count is not None and len(frames) != count:
            raise ValueError(f"video {self.path}: expected {count} frames from t={start:.3f}s, decoded {len(frames)}")
        if count is not None and last is not None and self.fps:
            self._next_time = last + 1.0 / self.fps
        return np.stack(frames) if frames else np.zeros((0, 0, 0, 3), np.uint8)

    def close(self) -> None:
        self._frames = None
        self.container.close()


def decode_video(
    path: Path, start: float = 0.0, count: int | None = None, fps: int | None = None, shape: tuple | None = None
) -> np.ndarray:
    """(N, H, W, 3) uint8 frames from `path`, starting at `start` seconds (frames whose time is at
    least start − half a frame), `count` of them (all by default). In a packed file (many episodes
    back to back) it seeks to the keyframe before `start` instead of decoding from the beginning.
    `shape`: the declared (H, W, 3), checked before decoding (VideoShapeError)."""
    reader = VideoReader(path, fps, shape)
    try:
        return reader.read(start, count)
    finally:
        reader.close()


def concat_videos(parts: list[tuple[Path, int]], fps: int, out: Path) -> None:
    """Write the first `frames` frames of each of `parts` ((path, frames)) back to back into `out`
    without re-encoding: each
    part's packets are shifted by the frames before it, so part k starts at exactly
    sum(previous frames)/fps, as lerobot's packed mp4s (shared/FORMATS.md §1.7). Every part was
    written by `encode_video` with the same settings, so they share one codec header; a part whose
    header differs is refused (ValueError) rather than muxed into a stream that decodes wrongly."""
    offset = 0  # frames written so far
    with av.open(str(out), mode="w", format="mp4") as container:
        stream = header = None
        for path, frames in parts:
            with av.open(str(path)) as source:
                src = source.streams.video[0]
                if stream is None:
                    stream, header = container.add_stream_from_template(src), bytes(src.codec_context.extradata or b"")
                    # The template's bit rate would land in the mp4's btrt box: a file packed from a
                    # packed file would then differ from one packed from the original parts.
                    stream.codec_context.bit_rate = 0
                elif bytes(src.codec_context.extradata or b"") != header:
                    raise ValueError(f"video {path}: codec header differs from the first part's, cannot concatenate")
                shift = int(round(offset / (fps * src.time_base)))
                end = frames / (fps * src.time_base) - 0.5 / (fps * src.time_base)
                for packet in source.demux(src):
                    if packet.dts is None or packet.pts is None or packet.pts > end:  # end marker, or past `frames`
                        continue
                    packet.pts += shift
                    packet.dts += shift
                    packet.stream = stream
                    container.mux(packet)
            offset += frames
