"""Multi-person prediction over files: images, folders of images, and videos.

Each input becomes COCO results (image_id numbered across all inputs; a video frame is an image)
plus, optionally, drawings: a PNG per image, an annotated MP4 per video (imageio-ffmpeg).
"""
import logging
import os
import time
from collections import Counter
from typing import NamedTuple

import numpy as np
from tqdm import tqdm

from dataset.coco_eval import people_to_coco_results
from dataset.images import read_image
from multiperson.assemble import People
from multiperson.draw import draw_people
from multiperson.temporal_filter import MedianFilter
from posecut.overlap import overlapped
from lib.errors import DatasetError

__all__ = ["VideoFrames", "VideoRun", "distinct_stems", "predict_images", "predict_video", "probe_image",
           "video_writer"]

log = logging.getLogger(__name__)


def distinct_stems(paths):
    """A distinct name stem per input path for what is written of it (its drawing, its table):
    the file's stem, with its extension where two stems meet (pic.png, pic.jpg) and its folders
    where the names still meet (dupA/photo.png, dupB/photo.png)."""
    parts = [os.path.normpath(os.path.abspath(p)).split(os.sep) for p in paths]
    names = [os.path.splitext(p[-1])[0] for p in parts]
    depth = 0
    while len(set(names)) < len(names) and depth <= max(len(p) for p in parts):
        taken = Counter(names)
        for k, p in enumerate(parts):
            if taken[names[k]] > 1:
                stem, ext = os.path.splitext(p[-1])
                folders = p[max(1, len(p) - 1 - depth):-1]
                names[k] = "_".join(folders + [stem + ("_" + ext[1:] if ext else "")])
        depth += 1
    return names


def predict_images(predictor, paths, skeleton, out_dir=None, first_id=1, progress=True,
                   table=None, overlap=True):
    """(COCO results, COCO image records, skipped) of ``paths``: an image that cannot be read
    is logged and skipped, (path, reason) in ``skipped``, and the rest go on. Drawings as
    ``out_dir/<stem>.png`` (distinct_stems), and a row per person in ``table`` (a PoseTable)
    when given. With ``overlap``, images are read ahead of the network and drawings written
    behind it, on threads (posecut.overlap); the results are the same."""
    import imageio.v3 as iio

    results, records, skipped = [], [], []
    stems = distinct_stems(paths)
    depth = 4 if overlap else 0

    def read(path):
        try:
            return read_image(path)
        except DatasetError as err:
            return err

    def write(item):
        name, image, poses = item
        iio.imwrite(os.path.join(out_dir, name + ".png"), draw_people(image, poses, skeleton))

    read_all = ((path, read(path)) for path in paths)
    with overlapped(read_all, write if out_dir else None, depth) as (ahead, drawing):
        for index, (path, image) in enumerate(tqdm(ahead, desc="predict", unit="image",
                                                   total=len(paths), disable=not progress)):
            if isinstance(image, DatasetError):
                log.warning("skipped: %s", image)
                skipped.append((path, str(image)))
                continue
            people = predictor(image)
            if table is not None:
                table.add(os.path.abspath(path), None, people.poses)
            image_id = first_id + index
            records.append({"id": image_id, "file_name": os.path.abspath(path),
                            "height": int(image.shape[0]), "width": int(image.shape[1])})
            results += people_to_coco_results(image_id, people.poses, people.scores)
            if drawing is not None:
                drawing.put((stems[index], image, people.poses))
    return results, records, skipped


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


def probe_image(images, videos):
    """The first input that can be read, an image or a video's first frame, on which the
    network's backend is chosen (posecut.backend_choice); None when none can be read."""
    for path in images:
        try:
            return read_image(path)
        except DatasetError:
            continue
    for path in videos:
        try:
            for frame in VideoFrames(path):
                return frame
        except DatasetError:
            continue
    return None


def video_writer(path, fps: float):
    """An H.264 MP4 writer at ``fps`` frames per second (imageio-ffmpeg), as every annotated video
    of the project is written."""
    import imageio.v2 as iio2

    return iio2.get_writer(path, format="FFMPEG", fps=fps, codec="libx264", macro_block_size=1, quality=7)


class VideoRun(NamedTuple):
    """What predict_video found in a video, and how fast."""

    results: list
    """COCO results, one per person and frame."""
    records: list
    """COCO image records, one per frame."""
    fps: float
    """Frames per second of the predictor alone (network and grouping)."""
    wall_fps: float
    """Frames per second of the whole run: decoding, prediction, drawing and encoding."""


def predict_video(predictor, path, skeleton, out_path=None, first_id=1, progress=True,
                  table=None, filter_window=None, overlap=True) -> VideoRun:
    """The people of every frame of the video ``path``; with ``out_path``, the frames with their people drawn as an MP4 at the
    video's frame rate; with ``table`` (a PoseTable), a row per person and frame. With
    ``filter_window`` (odd, frames), one pose per frame (a single animal or person) goes through
    a temporal median filter before it is written and drawn. With ``overlap``, frames are
    decoded ahead of the network and drawn and encoded behind it, on threads (posecut.overlap);
    the results are the same."""
    began = time.perf_counter()
    video = VideoFrames(path)
    total = video.count() if progress else None
    writer = video_writer(out_path, video.fps) if out_path else None
    smoother = MedianFilter(filter_window) if filter_window else None
    results, records = [], []
    seconds = 0.0
    depth = 4 if overlap else 0

    def draw(item):
        frame, poses = item
        writer.append_data(draw_people(frame, poses, skeleton))

    def emit(index, frame, people):
        if table is not None:
            table.add(os.path.abspath(path), index, people.poses)
        image_id = first_id + index
        records.append({"id": image_id, "file_name": f"{os.path.abspath(path)}#{index}",
                        "frame": index, "height": int(frame.shape[0]),
                        "width": int(frame.shape[1])})
        results.extend(people_to_coco_results(image_id, people.poses, people.scores))
        if drawing is not None:
            drawing.put((frame, people.poses))

    def emit_filtered(ready):
        for (index, frame, scores), pose in ready:
            emit(index, frame, People(pose[None], scores))

    try:
        with overlapped(video, draw if writer is not None else None, depth) as (ahead, drawing):
            for index, frame in enumerate(tqdm(ahead, desc=os.path.basename(path), unit="frame",
                                               total=total, disable=not progress)):
                start = time.perf_counter()
                people = predictor(frame)
                seconds += time.perf_counter() - start
                if smoother is None:
                    emit(index, frame, people)
                elif len(people.poses) != 1:
                    raise DatasetError(f"{path}: frame {index}: the temporal filter needs one "
                                       f"pose per frame (a model without the pairwise head), got "
                                       f"{len(people.poses)}")
                else:
                    emit_filtered(smoother.push((index, frame, people.scores), people.poses[0]))
            if smoother is not None:
                emit_filtered(smoother.flush())
    finally:
        video.close()
        if writer is not None:
            writer.close()
    if not records:
        raise DatasetError(f"{path}: the video has no frames")
    return VideoRun(results, records, len(records) / max(seconds, 1e-9),
                    len(records) / max(time.perf_counter() - began, 1e-9))
