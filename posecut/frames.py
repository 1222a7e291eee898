"""Frames in and drawings out: reading a video file or a folder of frames, and one pass over its
frames with decoding ahead of the work and drawing and encoding behind it (posecut.overlap). Both
`posecut predict` and `posecut track` run their videos through ``run_frames``."""
import logging
import os
import time
from typing import Callable, Iterable, Iterator

import numpy as np
from tqdm import tqdm

from dataset.images import read_image
from lib.errors import DatasetError
from posecut.inputs import list_inputs
from posecut.overlap import overlapped

__all__ = ["FramePass", "VideoFrames", "frame_source", "run_frames", "video_writer"]

log = logging.getLogger(__name__)

FOLDER_FPS = 25.0
"""The frame rate given to a folder of frames, which has none of its own."""


class VideoFrames:
    """The RGB frames of a video file, read one at a time (imageio-ffmpeg), and its frame rate; a
    file that cannot be opened, or a frame that cannot be decoded, is a DatasetError naming it.
    Iterating closes the file at the end; ``close()`` does so before."""

    def __init__(self, path):
        import imageio.v2 as iio2

        self.path = path
        try:
            self.reader = iio2.get_reader(path, format="FFMPEG")
            self.fps = float(self.reader.get_meta_data().get("fps") or 25.0)
        except Exception as err:  # imageio raises many types for unreadable videos
            raise DatasetError(f"{path}: cannot read video ({type(err).__name__}: {err})") from None

    def count(self) -> int:
        """The number of frames (counted by decoding the stream's index: it takes a moment)."""
        return self.reader.count_frames()

    def __iter__(self):
        index = 0
        try:
            frames = iter(self.reader)
            while True:
                try:
                    frame = next(frames)
                except StopIteration:
                    return
                except Exception as err:  # imageio raises many types for a damaged stream
                    raise DatasetError(f"{self.path}: frame {index}: cannot decode "
                                       f"({type(err).__name__}: {err})") from None
                yield np.ascontiguousarray(np.asarray(frame)[..., :3])
                index += 1
        finally:
            self.close()

    def close(self) -> None:
        """Close the file."""
        self.reader.close()


def video_writer(path, fps: float):
    """An H.264 MP4 writer at ``fps`` frames per second (imageio-ffmpeg), as every annotated video
    of the project is written."""
    import imageio.v2 as iio2

    return iio2.get_writer(path, format="FFMPEG", fps=fps, codec="libx264", macro_block_size=1, quality=7)


def frame_source(path: str, count: bool = False):
    """(frames: an iterator of (name, RGB frame), frames per second, number of frames or None, a
    function that closes the file) of a video file (frames named "<file>#<index>") or a folder of
    images (in name order; an undecodable one is logged and left out). A video's frames are
    counted only with ``count`` (it decodes the stream's index)."""
    if os.path.isdir(path):
        files = list_inputs([path])[0]

        def images():
            for file in files:
                try:
                    yield os.path.basename(file), read_image(file)
                except DatasetError as err:
                    log.warning("skipped frame: %s", err)

        return images(), FOLDER_FPS, len(files), lambda: None
    video = VideoFrames(path)
    stem = os.path.basename(path)
    frames = ((f"{stem}#{index}", frame) for index, frame in enumerate(video))
    return frames, video.fps, video.count() if count else None, video.close


class FramePass:
    """What a run_frames pass went through: frames handed out and seconds from opening to closing."""

    def __init__(self):
        self.frames = 0
        self.seconds = 0.0


def run_frames(path: str, step: Callable[[Iterable], Iterator], render=None, out_path=None,
               progress: bool = True, overlap: bool = True, done: FramePass | None = None):
    """Yield (index, name, frame, result) for the frames of the video or folder ``path``, as
    ``step`` (an iterator of (name, frame) -> an iterator of (name, frame, result), which may hold
    frames back) gives them. With ``out_path``, ``render(frame, result)`` is called in order and
    the function it returns, run behind on a thread, draws the frame written to an MP4 at the
    source's frame rate. With ``overlap``, frames are decoded ahead on a thread; the results are
    the same. ``done`` (a FramePass) counts the frames and the seconds of the pass."""
    began = time.perf_counter()
    done = done if done is not None else FramePass()
    frames, fps, total, close = frame_source(path, count=progress)
    writer = video_writer(out_path, fps) if out_path and render else None
    depth = 4 if overlap else 0
    try:
        work = (lambda draw: writer.append_data(draw())) if writer is not None else None
        with overlapped(frames, work, depth) as (ahead, drawing):
            for index, (name, frame, result) in enumerate(tqdm(
                    step(ahead), desc=os.path.basename(path), unit="frame", total=total,
                    disable=not progress)):
                done.frames += 1
                yield index, name, frame, result
                if drawing is not None:
                    drawing.put(render(frame, result))
    finally:
        close()
        if writer is not None:
            writer.close()
        done.seconds = time.perf_counter() - began
