"""Multi-person prediction over files: images, folders of images, and videos.

Each input becomes COCO results (image_id numbered across all inputs; a video frame is an image)
plus, optionally, drawings: a PNG per image, an annotated MP4 per video (imageio-ffmpeg), and a
video's poses in DeepLabCut's H5 and CSV (posecut.dlc_files).
"""
import json
import logging
import os
import time
from collections import Counter
from typing import NamedTuple

from tqdm import tqdm

from dataset.coco_eval import people_to_coco_results
from dataset.images import read_image
from multiperson.assemble import People
from multiperson.draw import PoseDrawing
from multiperson.temporal_filter import MedianFilter
from posecut.dlc_files import PoseFrames, pose_file_paths, write_pose_files
from posecut.frames import FramePass, VideoFrames, run_frames
from posecut.overlap import overlapped
from posecut.pose_table import PoseTable
from lib.errors import DatasetError

__all__ = ["FilesRun", "Subjects", "VideoRun", "as_drawing", "distinct_stems", "filter_note",
           "predict_files", "predict_images", "predict_video", "probe_image"]

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


def as_drawing(drawing) -> PoseDrawing:
    """``drawing`` when it is a PoseDrawing, else a skeleton (pairs of joint indices) drawn with
    each person in its own colour, PoseDrawing(skeleton)."""
    return drawing if isinstance(drawing, PoseDrawing) else PoseDrawing(tuple(map(tuple, drawing)))


def predict_images(predictor, paths, drawing, out_dir=None, first_id=1,
                   progress=True, table=None, overlap=True):
    """(COCO results, COCO image records, skipped) of ``paths``: an image that cannot be read
    is logged and skipped, (path, reason) in ``skipped``, and the rest go on. Drawings by
    ``drawing`` (a PoseDrawing, or a skeleton: see as_drawing) as ``out_dir/<stem>.png``
    (distinct_stems), and a row per person in ``table`` (a
    PoseTable) when given. With ``overlap``, images are read ahead of the network and drawings written
    behind it, on threads (posecut.overlap); the results are the same."""
    import imageio.v3 as iio

    results, records, skipped = [], [], []
    drawing = as_drawing(drawing)
    stems = distinct_stems(paths)
    depth = 4 if overlap else 0

    def read(path):
        try:
            return read_image(path)
        except DatasetError as err:
            return err

    def write(item):
        name, image, poses = item
        iio.imwrite(os.path.join(out_dir, name + ".png"), drawing(image, poses))

    read_all = ((path, read(path)) for path in paths)
    with overlapped(read_all, write if out_dir else None, depth) as (ahead, behind):
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
            if behind is not None:
                behind.put((stems[index], image, people.poses))
    return results, records, skipped


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


def predict_video(predictor, path, drawing, out_path=None, first_id=1,
                  progress=True, table=None, filter_window=None, overlap=True) -> VideoRun:
    """The people of every frame of the video ``path``; with ``out_path``, the frames with their
    people drawn by ``drawing`` (as in predict_images) as an MP4 at the video's frame rate; with ``table`` (a PoseTable,
    or anything with its ``add``), a row per person and frame. With ``filter_window`` (odd, frames), one pose per frame (a single animal or
    person) goes through a temporal median filter before it is written and drawn. With
    ``overlap``, frames are decoded ahead of the network and drawn and encoded behind it, on
    threads (posecut.frames.run_frames); the results are the same."""
    results, records = [], []
    drawing = as_drawing(drawing)
    timed = FramePass()
    network_seconds = 0.0

    def predicted(frames):
        nonlocal network_seconds
        for index, (name, frame) in enumerate(frames):
            start = time.perf_counter()
            people = predictor(frame)
            network_seconds += time.perf_counter() - start
            yield index, frame, people

    def step(frames):
        if not filter_window:
            yield from predicted(frames)
            return
        smoother = MedianFilter(filter_window)
        for index, frame, people in predicted(frames):
            if len(people.poses) != 1:
                raise DatasetError(f"{path}: frame {index}: the temporal filter needs one "
                                   f"pose per frame (a model without the pairwise head), got "
                                   f"{len(people.poses)}")
            yield from _filtered(smoother.push((index, frame, people.scores), people.poses[0]))
        yield from _filtered(smoother.flush())

    def render(frame, people):
        return lambda: drawing(frame, people.poses)

    for index, _, frame, people in run_frames(path, step, render, out_path, progress, overlap, timed):
        if table is not None:
            table.add(os.path.abspath(path), index, people.poses)
        image_id = first_id + index
        records.append({"id": image_id, "file_name": f"{os.path.abspath(path)}#{index}",
                        "frame": index, "height": int(frame.shape[0]),
                        "width": int(frame.shape[1])})
        results.extend(people_to_coco_results(image_id, people.poses, people.scores))
    if not records:
        raise DatasetError(f"{path}: the video has no frames")
    return VideoRun(results, records, len(records) / max(network_seconds, 1e-9),
                    len(records) / max(timed.seconds, 1e-9))


def _filtered(ready):
    """(index, frame, People) of the poses a MedianFilter hands back with their frames."""
    for (index, frame, scores), pose in ready:
        yield index, frame, People(pose[None], scores)


class Subjects(NamedTuple):
    """What the model finds in an image, as the summary names it: ``noun`` for a count of them
    ("people", "individuals"), and ``single`` ("animal", "person") when it finds exactly one per
    image (a model without the pairwise head), else empty."""

    noun: str = "people"
    single: str = ""

    @classmethod
    def of(cls, person: bool, grouped: bool) -> "Subjects":
        """People or individuals (``person``: a person's keypoint format), one per image unless
        ``grouped`` (a model with the pairwise head)."""
        return cls("people" if person else "individuals",
                   "" if grouped else "person" if person else "animal")

    def count(self, found: int, per: str) -> str:
        """"one animal per frame" for a single subject, else "<found> <noun>"."""
        return f"one {self.single} per {per}" if self.single else f"{found} {self.noun}"


def filter_note(filter_window) -> str:
    """Which filter ran over a video's poses: "median filter over N frames" or "no filter"."""
    return f"median filter over {filter_window} frames" if filter_window else "no filter"


class _Both:
    """Hands each frame's poses to several tables (a PoseTable and PoseFrames)."""

    def __init__(self, *tables):
        self.tables = tables

    def add(self, source, frame, poses):
        for table in self.tables:
            table.add(source, frame, poses)


class FilesRun(NamedTuple):
    """What predict_files wrote: COCO results and image records over all inputs, the CSV tables,
    a summary line per kind of input, (path, reason) for each input skipped, and the H5 of each
    video in DeepLabCut's layout."""

    results: list
    records: list
    tables: list
    lines: list
    skipped: list
    pose_files: list


def predict_files(predictor, images, videos, out_dir, part_names, drawing=PoseDrawing(), draw=True,
                  progress=True, filter_window=None, subjects=Subjects(),
                  dlc_scorer=None) -> FilesRun:
    """Predict over ``images`` and ``videos`` into ``out_dir``: results.json (COCO results, image
    ids numbered across all inputs), images.json (ids to files), poses.csv for the images and
    <stem>_poses.csv per video (columns named by ``part_names``), with ``draw`` a PNG per image
    and an MP4 per video (by ``drawing``), and with ``dlc_scorer`` DeepLabCut's H5 and CSV per
    video under that scorer (with individuals unless one subject per frame). The summary counts
    ``subjects`` and, unless they are people of a multi-person model, names the filter. A video
    that cannot be read is skipped, and the rest go on."""
    os.makedirs(out_dir, exist_ok=True)
    tables, lines, pose_files = [], [], []
    results, records, skipped = [], [], []
    if images:
        tables.append(os.path.join(out_dir, "poses.csv"))
        with PoseTable(tables[-1], part_names) as table:
            results, records, skipped = predict_images(predictor, images, drawing,
                                                       out_dir if draw else None,
                                                       progress=progress, table=table)
        lines.append(f"{len(images) - len(skipped)} images: {subjects.count(len(results), 'image')}")
    for video, stem in zip(videos, distinct_stems(videos)):
        tables.append(os.path.join(out_dir, f"{stem}_poses.csv"))
        drawn = os.path.join(out_dir, f"{stem}_poses.mp4") if draw else None
        dlc = PoseFrames(part_names, multi=not subjects.single) if dlc_scorer else None
        try:
            with PoseTable(tables[-1], part_names) as table:
                run = predict_video(predictor, video, drawing, drawn,
                                    first_id=len(records) + 1, progress=progress,
                                    table=table if dlc is None else _Both(table, dlc),
                                    filter_window=filter_window)
        except DatasetError as err:
            skipped.append((video, str(err)))
            for partial in (tables.pop(), drawn):
                if partial and os.path.exists(partial):
                    os.remove(partial)
            continue
        results += run.results
        records += run.records
        if dlc is not None:
            paths = write_pose_files(dlc.dataframe(dlc_scorer),
                                     *pose_file_paths(out_dir, stem, dlc_scorer))
            pose_files.append(paths[0])
        note = "" if subjects == Subjects() else f", {filter_note(filter_window)}"
        lines.append(f"{video}: {len(run.records)} frames, "
                     f"{subjects.count(len(run.results), 'frame')}{note}, "
                     f"{run.wall_fps:.1f} frames/s ({run.fps:.1f} for the prediction alone)")
    with open(os.path.join(out_dir, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f)
    with open(os.path.join(out_dir, "images.json"), "w", encoding="utf-8") as f:
        json.dump(records, f)
    return FilesRun(results, records, tables, lines, [reason for _, reason in skipped], pose_files)
