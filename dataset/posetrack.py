"""PoseTrack JSON, 2017 and 2018 layouts, read and written as a :class:`~dataset.tracks.TrackedVideo`.

What this follows (looked up, not copied): poseval's README (the 2017 prediction layout) and its
``poseval/convert.py`` (the 2017 <-> 2018 conversion: joint names and ids, head boxes, image and
annotation ids, which points count as annotated), a PoseTrack 2018 validation file as mmpose
ships it in its tests (``tests/data/posetrack18/annotations/val/003418_mpii_test.json``), and
PoseTrack21's ``doc/dataset_structure.md`` (the same 2018 layout, ground truth and submissions).

PoseTrack 2018 (one file per video, COCO-like): ``images`` [{id, file_name, frame_id (= id),
vid_id (a six-digit string), nframes, is_labeled}], ``annotations`` [{id, image_id, track_id,
category_id, keypoints (x, y, v per joint), bbox, bbox_head (x, y, w, h or [])}] and
``categories`` naming the joints (``posetrack18``: COCO's order with the eyes replaced by
head_bottom and head_top). PoseTrack labels a joint with v = 1 and leaves others at 0, 0, 0; it
does not say hidden. Predictions add ``scores`` (one per joint) and may add ``score``.
Image ids are PoseTrack's: 1, the six-digit video number and the four-digit frame index
(10003420000 is frame 0 of video 000342); annotation ids are the image id times 100 plus the
person's index.

PoseTrack 2017 (MPII-like): ``annolist`` [{image [{name}], annorect [{x1, y1, x2, y2 (the head
box), track_id [n], score [s], annopoints [{point [{id [j], x [..], y [..], is_visible [..],
score [..]}]}]}], is_labeled [0/1]}], joint ids 0-14 in ``posetrack15`` order. A listed point
is annotated; ``is_visible`` 0 means annotated but not visible (COCO v 1). A point with a
``score`` makes the file a prediction file.

Poses come back in the project's convention: (K, J, 3) x, y and COCO visibility (ground truth)
or the joint score (predictions); coordinates are taken as the file gives them. Files this module
writes keep COCO visibility (1 hidden, 2 visible) and say so in ``info.visibility`` so that they
read back unchanged; pycocotools loads them (integer ids, ``area``, ``iscrowd`` 0), so per-frame
AP is computed on them as on any COCO file. A bad annotation makes its frame a skipped record
(reported, the frame kept as unlabelled); a file that is not PoseTrack at all raises DatasetError.

As a source of still training images (:func:`read_posetrack_source`), each labelled frame becomes
one image whose people keep their joints in the file's keypoint format and drop their track
ids, which COCO training files do not hold. Frames are looked for under the names the file gives
(PoseTrack's ``images/...`` paths are relative to the data set's root: pass it with
``--images``), also without a leading ``images/``. Prediction files are not training data and
are refused.
"""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import Optional, Union

import numpy as np

from dataset.coco import infer_format
from dataset.coco_writer import person_category
from dataset.conversion import DEFAULT_MARGIN, box_from_joints
from dataset.joint_mappings import visibility_table
from dataset.jsonfile import is_integer, numbers, read_json, require
from dataset.keypoint_formats import KeypointFormat, get_format, registered_formats
from dataset.source_data import Report, SourceData, SourceImage, SourcePerson, image_file, image_folders, reason
from dataset.tracks import FramePeople, TrackedVideo, frame_people
from lib.errors import DatasetError, FormatError

__all__ = ["FORMAT_2017", "FORMAT_2018", "PoseTrackFile", "posetrack_document", "posetrack_image_id",
           "read_posetrack", "read_posetrack_source", "write_posetrack"]

FORMAT_2017 = "posetrack15"
FORMAT_2018 = "posetrack18"
CATEGORY_ID = 1
COCO_VISIBILITY = "coco"
"""``info.visibility`` of files whose keypoints carry COCO codes (0 unlabelled, 1 hidden, 2 visible)."""
_FRAMES_PER_VIDEO = 10_000
_VIDEO_BASE = 10_000_000_000
_PEOPLE_PER_FRAME = 100


@dataclass
class PoseTrackFile:
    """What one PoseTrack file holds: the video, the layout year, whether it holds predictions
    (joint scores) or ground truth (visibility), each frame's image id and size where the file
    gives them, and the records left out."""

    path: str
    year: int
    predictions: bool
    video: TrackedVideo
    format: KeypointFormat
    image_ids: list
    sizes: list
    skipped: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def posetrack_image_id(vid_id: int, frame: int) -> int:
    """PoseTrack 2018's image (and frame) id of frame ``frame`` of video ``vid_id``."""
    return _VIDEO_BASE + int(vid_id) * _FRAMES_PER_VIDEO + int(frame)


# ---------------------------------------------------------------------------------------------
# Reading


def _one(value, where: str, field: str, expected: str):
    """The value of a PoseTrack 2017 one-element list (``[v]``), or ``v`` itself."""
    if isinstance(value, list):
        if len(value) != 1:
            raise DatasetError(f"{where}: {field}: expected {expected} in a one-element list, got {value!r}")
        value = value[0]
    return value


def _number(value, where: str, field: str) -> float:
    """A finite number (in a one-element list or not)."""
    value = _one(value, where, field, "a number")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DatasetError(f"{where}: {field}: expected a finite number, got {value!r}")
    return float(value)


def _track_id(value, where: str) -> int:
    """A track id: a non-negative integer (in a one-element list or not)."""
    value = _one(value, where, "track_id", "a non-negative integer")
    if not is_integer(value) or value < 0:
        raise DatasetError(f"{where}: track_id: expected a non-negative integer, got {value!r}")
    return int(value)


def _flag(value, where: str, field: str) -> bool:
    """A 0/1 or true/false flag (in a one-element list or not)."""
    value = _one(value, where, field, "0 or 1")
    if value not in (0, 1):
        raise DatasetError(f"{where}: {field}: expected 0, 1, true or false, got {value!r}")
    return bool(value)


def _head_box(values, where: str) -> np.ndarray:
    """x1, y1, x2, y2 of a 2018 ``bbox_head`` (x, y, w, h); NaN when absent or empty."""
    if values is None or values == []:
        return np.full(4, np.nan)
    box = numbers(values, where, "bbox_head", 4, "[x, y, width, height] or []")
    if box[2] < 0 or box[3] < 0:
        raise DatasetError(f"{where}: bbox_head: expected a non-negative width and height, got {values}")
    return np.array([box[0], box[1], box[0] + box[2], box[1] + box[3]])


class _Frames:
    """The frames of a file as they are read: labels, people per frame, frames to skip."""

    def __init__(self, report: Report):
        self.report = report
        self.names, self.labels, self.labelled, self.ids, self.sizes = [], [], [], [], []
        self.people: list[list] = []
        self.bad: dict[int, str] = {}

    def add(self, name: str, label: str, labelled: bool, image_id=None, size=None) -> int:
        self.names.append(name)
        self.labels.append(label)
        self.labelled.append(labelled)
        self.ids.append(image_id)
        self.sizes.append(size)
        self.people.append([])
        return len(self.names) - 1

    def fail(self, index: int, why: str) -> None:
        self.bad.setdefault(index, why)

    def video(self, name: str, fmt: KeypointFormat, ground_truth: bool) -> TrackedVideo:
        """The TrackedVideo; a frame with a bad record or repeated track ids is reported and kept
        as unlabelled, without people."""
        empty = frame_people(np.zeros(0, np.int64), np.zeros((0, fmt.num_joints, 3)))
        frames, labelled = [], list(self.labelled)
        for k, people in enumerate(self.people):
            if k not in self.bad:
                try:
                    frames.append(_frame(people, fmt, ground_truth, self.labels[k]))
                    continue
                except DatasetError as err:
                    self.fail(k, reason(err, self.labels[k]))
            self.report.skip(self.labels[k], self.bad[k])
            frames.append(empty)
            labelled[k] = False
        return TrackedVideo(name, list(self.names), frames, fmt.name, labelled)


def _frame(people: list, fmt: KeypointFormat, ground_truth: bool, where: str) -> FramePeople:
    """FramePeople from (track id, pose, score, head box) tuples."""
    if not people:
        return frame_people(np.zeros(0, np.int64), np.zeros((0, fmt.num_joints, 3)), where=where)
    ids, poses, scores, heads = zip(*people)
    scores = [1.0 if s is None and ground_truth else s for s in scores]
    scores = [float(p[:, 2].mean()) if s is None else s for s, p in zip(scores, poses)]
    return frame_people(np.asarray(ids, np.int64), np.stack(poses), np.asarray(scores), np.stack(heads),
                        where=where)


def _keep(pose: np.ndarray, ground_truth: bool) -> bool:
    """Whether a person counts: ground truth needs a labelled joint (poseval drops people without
    annotated points); a prediction is kept as given."""
    return not ground_truth or bool((pose[:, 2] > 0).any())


def _format_2018(data: dict, path: str, declared: Optional[KeypointFormat]) -> KeypointFormat:
    """The keypoint format of a 2018 file: the registered one its category names, else ``declared``
    (which must name the same joints), else by joint count (17 posetrack18, 15 posetrack15)."""
    categories = data.get("categories")
    name, count = infer_format(categories)
    if name is not None:
        fmt = get_format(name)
        if declared is not None and declared.joints != fmt.joints:
            raise DatasetError(f"{path}: categories: the file names the joints of keypoint format {fmt.name!r}, "
                               f"the format given is {declared.name!r}")
        return fmt
    if count is not None:
        if declared is not None and declared.num_joints == count:
            return declared
        raise DatasetError(f"{path}: categories: the person category lists {count} joint names that no "
                           f"registered keypoint format has ({', '.join(registered_formats())}); "
                           "register the format (dataset/keypoint_formats.py) or give it")
    if declared is not None:
        return declared
    anns = data["annotations"]
    first = next((a["keypoints"] for a in anns if isinstance(a, dict) and isinstance(a.get("keypoints"), list)
                  and a["keypoints"]), None)
    by_count = {17: FORMAT_2018, 15: FORMAT_2017}
    if first is None or len(first) // 3 not in by_count or len(first) % 3:
        return get_format(FORMAT_2018)
    return get_format(by_count[len(first) // 3])


def _size(entry: dict, where: str) -> Optional[tuple[int, int]]:
    """(height, width) of an image entry that gives both, else None."""
    height, width = entry.get("height"), entry.get("width")
    if height is None or width is None:
        return None
    if not (is_integer(height) and is_integer(width) and height > 0 and width > 0):
        raise DatasetError(f"{where}: height, width: expected positive whole numbers of pixels, "
                           f"got {height!r}, {width!r}")
    return int(height), int(width)


def _pose_2018(ann: dict, where: str, fmt: KeypointFormat, predictions: bool, codes: str) -> tuple:
    """(pose, person score) of one 2018 annotation."""
    count = fmt.num_joints
    flat = numbers(require(ann, "keypoints", list, where, f"{3 * count} numbers (x, y, v per joint)"),
                   where, "keypoints", 3 * count, f"{3 * count} numbers ({count} joints x 3: x, y, v)")
    pose = flat.reshape(count, 3).copy()
    score = None
    if predictions:
        scores = ann.get("scores")
        if isinstance(scores, list) and scores:
            pose[:, 2] = numbers(scores, where, "scores", count, f"{count} joint scores")
        if ann.get("score") is not None:
            score = _number(ann["score"], where, "score")
        return pose, score
    table = visibility_table(COCO_VISIBILITY if codes == COCO_VISIBILITY else "posetrack18")
    pose[:, 2] = table.translate(pose[:, 2], where, "keypoints")
    pose[pose[:, 2] == 0] = 0.0
    return pose, score


def _read_2018(data: dict, path: str, declared: Optional[KeypointFormat], report: Report) -> tuple:
    """(video, format, image ids, sizes, predictions) of a 2018 file."""
    entries = require(data, "images", list, path, "a list of frames")
    anns = require(data, "annotations", list, path, "a list of person annotations")
    if anns and not any(isinstance(a, dict) and "track_id" in a for a in anns):
        raise DatasetError(f"{path}: annotations: no annotation has a track_id; not a PoseTrack file "
                           "(a COCO keypoint file? use --from coco)")
    fmt = _format_2018(data, path, declared)
    info = data.get("info")
    codes = COCO_VISIBILITY if isinstance(info, dict) and info.get("visibility") == COCO_VISIBILITY \
        else "posetrack18"
    predictions = any(isinstance(a, dict) and isinstance(a.get("scores"), list) and a["scores"] for a in anns)
    frames, index = _Frames(report), {}
    for k, entry in enumerate(entries):
        where = f"images[{k}]"
        try:
            image_id = require(entry, "id", (int, str), where, "an image id")
            where = f"image id {image_id}"
            name = require(entry, "file_name", str, where, "the frame's file name")
            labelled = _flag(entry.get("is_labeled", True), where, "is_labeled")
            size = _size(entry, where)
        except DatasetError as err:
            report.skip(where, reason(err, where))
            continue
        if image_id in index:
            report.skip(where, f"id: repeats images[{index[image_id]}]'s id")
            continue
        index[image_id] = frames.add(name, f"{where} ({name})", labelled, image_id, size)
    dropped = 0
    for k, ann in enumerate(anns):
        where = f"annotations[{k}]"
        if isinstance(ann, dict) and isinstance(ann.get("id"), (int, str)) and not isinstance(ann["id"], bool):
            where = f"annotation id {ann['id']}"
        image_id = ann.get("image_id") if isinstance(ann, dict) else None
        if not isinstance(image_id, (int, str)) or image_id not in index:
            report.skip(where, f"image_id: expected the id of a frame listed in images, got {image_id!r}")
            continue
        frame = index[image_id]
        try:
            track = _track_id(require(ann, "track_id", (int, float, list), where, "a non-negative integer"),
                              where)
            pose, score = _pose_2018(ann, where, fmt, predictions, codes)
            head = _head_box(ann.get("bbox_head"), where)
        except DatasetError as err:
            frames.fail(frame, f"{where}: {reason(err, where)}")
            continue
        if not frames.labelled[frame]:
            continue
        if _keep(pose, not predictions):
            frames.people[frame].append((track, pose, score, head))
        else:
            dropped += 1
    if dropped:
        report.note(f"{dropped} people without a labelled joint are left out (poseval counts only "
                    "people with annotated joints)")
    name = os.path.splitext(os.path.basename(path))[0]
    return frames.video(name, fmt, not predictions), fmt, frames.ids, frames.sizes, predictions


def _pose_2017(rect: dict, where: str, fmt: KeypointFormat, predictions: bool) -> Optional[np.ndarray]:
    """(J, 3) pose of one 2017 annorect, whose listed points are the annotated ones; None when it
    lists none."""
    pose = np.zeros((fmt.num_joints, 3))
    groups = rect.get("annopoints")
    if groups in (None, []):
        return None
    if not isinstance(groups, list) or not isinstance(groups[0], dict):
        raise DatasetError(f"{where}: annopoints: expected [{{\"point\": [...]}}], got {groups!r}"[:200])
    points = groups[0].get("point", [])
    if not isinstance(points, list):
        raise DatasetError(f"{where}: annopoints[0].point: expected a list of points, got {type(points).__name__}")
    seen = set()
    for p, point in enumerate(points):
        at = f"{where}, point {p}"
        if not isinstance(point, dict):
            raise DatasetError(f"{at}: expected an object with id, x, y, got {type(point).__name__}")
        joint = _one(point.get("id"), at, "id", "a joint id")
        if not is_integer(joint) or not 0 <= joint < fmt.num_joints:
            raise DatasetError(f"{at}: id: expected a joint id 0..{fmt.num_joints - 1} ({fmt.name}), got {joint!r}")
        joint = int(joint)
        if joint in seen:
            raise DatasetError(f"{at}: id: joint {joint} ({fmt.joints[joint]}) is listed twice")
        seen.add(joint)
        x, y = _number(point.get("x"), at, "x"), _number(point.get("y"), at, "y")
        if predictions:
            value = _number(point["score"], at, "score") if "score" in point else 0.0
        else:
            visible = point.get("is_visible", [1])
            value = 2.0 if visible in ([], None) or _flag(visible, at, "is_visible") else 1.0
        pose[joint] = (x, y, value)
    return pose if seen else None


def _head_2017(rect: dict, where: str) -> np.ndarray:
    """x1, y1, x2, y2 of a 2017 annorect's head box; NaN when it has none."""
    if not all(k in rect for k in ("x1", "y1", "x2", "y2")):
        return np.full(4, np.nan)
    return np.array([_number(rect[k], where, k) for k in ("x1", "y1", "x2", "y2")])


def _is_prediction_2017(annolist: list) -> bool:
    """True when any point carries a ``score``."""
    for entry in annolist:
        for rect in (entry.get("annorect") or []) if isinstance(entry, dict) else []:
            groups = rect.get("annopoints") if isinstance(rect, dict) else None
            if isinstance(groups, list) and groups and isinstance(groups[0], dict):
                points = groups[0].get("point")
                if isinstance(points, list) and any(isinstance(p, dict) and "score" in p for p in points):
                    return True
    return False


def _read_2017(data: dict, path: str, declared: Optional[KeypointFormat], report: Report) -> tuple:
    """(video, format, image ids, sizes, predictions) of a 2017 file."""
    annolist = require(data, "annolist", list, path, "a list of frames")
    fmt = get_format(FORMAT_2017)
    if declared is not None and declared.joints != fmt.joints:
        raise DatasetError(f"{path}: PoseTrack 2017 files hold {FORMAT_2017} joints (ids 0-14), "
                           f"the format given is {declared.name!r}")
    predictions = _is_prediction_2017(annolist)
    frames, dropped = _Frames(report), 0
    for k, entry in enumerate(annolist):
        where = f"annolist[{k}]"
        try:
            image = _one(require(entry, "image", (list, dict), where, "[{\"name\": file name}]"), where, "image",
                         "one {\"name\": ...} object")
            name = require(image, "name", str, f"{where}.image", "the frame's file name")
            rects = entry.get("annorect") or []
            if not isinstance(rects, list):
                raise DatasetError(f"{where}: annorect: expected a list of people, got {type(rects).__name__}")
            labelled = _flag(entry["is_labeled"], where, "is_labeled") if "is_labeled" in entry else bool(rects)
        except DatasetError as err:
            report.skip(where, reason(err, where))
            continue
        frame = frames.add(name, f"frame {k} ({name})", labelled)
        if not labelled:
            continue
        for r, rect in enumerate(rects):
            at = f"annorect {r}"
            try:
                if not isinstance(rect, dict):
                    raise DatasetError(f"{at}: expected an object, got {type(rect).__name__}")
                track = _track_id(require(rect, "track_id", (int, float, list), at, "[a non-negative integer]"), at)
                pose = _pose_2017(rect, at, fmt, predictions)
                head = _head_2017(rect, at)
                score = _number(rect["score"], at, "score") if predictions and "score" in rect else None
            except DatasetError as err:
                frames.fail(frame, str(err))
                break
            if pose is not None:
                frames.people[frame].append((track, pose, score, head))
            else:
                dropped += 1
    if dropped:
        report.note(f"{dropped} people without an annotated point are left out (as poseval does)")
    name = os.path.splitext(os.path.basename(path))[0]
    return frames.video(name, fmt, not predictions), fmt, frames.ids, frames.sizes, predictions


def read_posetrack(path, fmt: Union[str, KeypointFormat, None] = None) -> PoseTrackFile:
    """Read a PoseTrack 2017 or 2018 file (ground truth or predictions) as a PoseTrackFile.

    ``fmt`` declares the keypoint format of a 2018 file whose categories name no joints (else
    the file's names decide, and a different ``fmt`` is an error). Bad records are reported and
    skipped; DatasetError when the file is not PoseTrack JSON at all.
    """
    path = os.path.abspath(os.fspath(path))
    declared = None
    if fmt is not None:
        try:
            declared = fmt if isinstance(fmt, KeypointFormat) else get_format(fmt)
        except FormatError as err:
            raise DatasetError(f"{path}: {err}") from None
    report = Report(path)
    data = read_json(path)
    if isinstance(data, dict) and "annolist" in data:
        year, read = 2017, _read_2017
    elif isinstance(data, dict) and "images" in data and "annotations" in data:
        year, read = 2018, _read_2018
    else:
        got = f"an object with fields {', '.join(map(str, list(data)[:6]))}" if isinstance(data, dict) \
            else type(data).__name__
        raise DatasetError(f"{path}: expected PoseTrack JSON: a 2017 file with 'annolist' or a 2018 file with "
                           f"'images' and 'annotations', got {got}")
    video, fmt, ids, sizes, predictions = read(data, path, declared, report)
    return PoseTrackFile(path, year, predictions, video, fmt, ids, sizes, report.skipped, report.notes)


# ---------------------------------------------------------------------------------------------
# Reading as still images


_IMAGES_PREFIX = "images/"


def _names(file_name: str) -> list[str]:
    """Where a frame may be, relative to an image folder: as named, and without ``images/``."""
    names = [file_name]
    if file_name.startswith(_IMAGES_PREFIX):
        names.append(file_name[len(_IMAGES_PREFIX):])
    return names


def read_posetrack_source(path: str, fmt: KeypointFormat, images: Optional[str] = None, *,
                          allow_absolute_paths: bool = False) -> SourceData:
    """Read a PoseTrack file's labelled frames as SourceImages (people without track ids); an
    absolute frame name outside the image folders is refused unless ``allow_absolute_paths``.

    ``fmt`` is taken as declared only when it is not the layout's default (``posetrack18``):
    a file that names its joints is read in its own format.
    """
    path = os.path.abspath(path)
    declared = None if fmt.name == FORMAT_2018 else fmt
    data = read_posetrack(path, declared)
    if data.predictions:
        raise DatasetError(f"{path}: holds predictions (joint scores), not ground truth; only annotated "
                           "frames convert to training data")
    folders = image_folders(path, images)
    result = []
    for k, (name, people) in enumerate(zip(data.video.frames, data.video.people)):
        if not data.video.is_labelled(k):
            continue
        image_id = data.image_ids[k]
        label = f"image id {image_id} ({name})" if image_id is not None else f"frame {k} ({name})"
        persons = [SourcePerson(pose.copy(), f"{label}, track {int(track)}")
                   for track, pose in zip(people.track_ids, people.poses)]
        found, refused = image_file(_names(name), folders, allow_absolute_paths)
        result.append(SourceImage(label, name, found, persons, data.sizes[k],
                                  image_id if isinstance(image_id, int) else None, refused))
    notes = list(data.notes)
    unlabelled = sum(1 for k in range(len(data.video.frames)) if not data.video.is_labelled(k))
    if unlabelled:
        notes.append(f"{unlabelled} frames without annotations (is_labeled 0, or skipped) are not converted")
    return SourceData(path, f"posetrack{data.year % 100}", data.format, result, data.skipped, notes)


# ---------------------------------------------------------------------------------------------
# Writing


def _plain(value: float):
    """An int for whole numbers, else the float at full precision (as coco_writer writes)."""
    value = float(value)
    return int(value) if value.is_integer() else value


def _video_number(name: str) -> int:
    """The leading digits of a PoseTrack video name (``000342_mpii_test`` -> 342), else 0."""
    match = re.match(r"\d+", name or "")
    return int(match.group()) if match else 0


def _annotation(person: tuple, ann_id: int, image_id: int, predictions: bool, size) -> dict:
    """One person's annotation record."""
    track, pose, score, head = person
    used = pose[pose[:, 2] > 0] if (pose[:, 2] > 0).any() else pose
    rows = np.column_stack([used[:, :2], np.ones(len(used))])
    height, width = size if size is not None else (math.inf, math.inf)
    box = box_from_joints(rows, height, width, DEFAULT_MARGIN) or (0.0, 0.0, 0.0, 0.0)
    ann = {"id": ann_id, "image_id": image_id, "category_id": CATEGORY_ID, "track_id": int(track),
           "keypoints": [_plain(v) for v in pose.reshape(-1)],
           "num_keypoints": int((pose[:, 2] > 0).sum()),
           "bbox": [_plain(b) for b in box], "area": _plain(box[2] * box[3]), "iscrowd": 0}
    if np.isfinite(head).all():
        ann["bbox_head"] = [_plain(head[0]), _plain(head[1]), _plain(head[2] - head[0]), _plain(head[3] - head[1])]
    if predictions:
        ann["scores"] = [_plain(s) for s in pose[:, 2]]
        ann["score"] = _plain(score)
    return ann


def posetrack_document(video: TrackedVideo, *, predictions: bool = False, vid_id: Optional[int] = None,
                       size: Optional[tuple[int, int]] = None) -> dict:
    """The PoseTrack 2018 JSON object of ``video`` (ground truth, or ``predictions`` with scores).

    ``vid_id`` numbers the video (default: the leading digits of its name, else 0) and makes the
    image ids; ``size`` (height, width) adds each frame's size and clips the boxes to it.
    Ground-truth people without a labelled joint and the people of unlabelled frames are left out.
    """
    if video.format is None:
        raise DatasetError(f"{video.name}: format: expected a registered keypoint format to name the joints, "
                           "got None")
    try:
        fmt = get_format(video.format)
    except FormatError as err:
        raise DatasetError(f"{video.name}: format: {err}") from None
    vid = _video_number(video.name) if vid_id is None else int(vid_id)
    if not 0 <= vid < 1_000_000:
        raise DatasetError(f"{video.name}: vid_id: expected a video number 0..999999, got {vid}")
    images, annotations = [], []
    for k, (name, people) in enumerate(zip(video.frames, video.people)):
        where = f"{video.name}: frame {k}"
        if people.poses.shape[1:] != (fmt.num_joints, 3):
            raise DatasetError(f"{where}: poses: expected {fmt.num_joints} joints ({fmt.name}), "
                               f"got shape {people.poses.shape}")
        image_id = posetrack_image_id(vid, k)
        labelled = video.is_labelled(k)
        entry = {"id": image_id, "file_name": str(name), "frame_id": image_id, "vid_id": f"{vid:06d}",
                 "nframes": len(video.frames), "is_labeled": labelled}
        if size is not None:
            entry["height"], entry["width"] = int(size[0]), int(size[1])
        images.append(entry)
        if not labelled:
            continue
        kept = [p for p in zip(people.track_ids, people.poses, people.scores, people.head_boxes)
                if _keep(p[1], not predictions)]
        if len(kept) > _PEOPLE_PER_FRAME:
            raise DatasetError(f"{where}: PoseTrack's annotation ids hold {_PEOPLE_PER_FRAME} people per frame, "
                               f"got {len(kept)}")
        annotations += [_annotation(p, image_id * _PEOPLE_PER_FRAME + i, image_id, predictions, size)
                        for i, p in enumerate(kept)]
    kind = "predictions" if predictions else "ground truth"
    info = {"description": f"{video.name}: PoseTrack 2018 layout ({kind}, keypoint format {fmt.name}) "
                          "written by posecut"}
    if not predictions:
        info["visibility"] = COCO_VISIBILITY
    return {"info": info, "images": images, "annotations": annotations, "categories": [person_category(fmt)]}


def write_posetrack(video: TrackedVideo, path, *, predictions: bool = False, vid_id: Optional[int] = None,
                    size: Optional[tuple[int, int]] = None) -> str:
    """Write ``video`` as a PoseTrack 2018 JSON file (see :func:`posetrack_document`); its path."""
    document = posetrack_document(video, predictions=predictions, vid_id=vid_id, size=size)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(document, f, separators=(",", ":"), allow_nan=False)
    except OSError as err:
        raise DatasetError(f"{path}: cannot write the PoseTrack file: {err.strerror or err}") from None
    return path
