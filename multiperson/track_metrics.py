"""PoseTrack's multi-person tracking metrics (MOTA per joint and overall, MOTP, precision, recall,
ID switches, IDF1), computed with ``motmetrics``.

What we follow: PoseTrack's official evaluation, ``poseval`` (evaluateTracking.py and
eval_helpers.assignGTmulti; IDF1 as in the Python 3 port that uses motmetrics from PyPI). Each
joint is tracked as its own set of objects: in each frame, the ground-truth objects of joint j are
the people whose joint j is labelled (visibility > 0), the hypotheses the predicted people whose
joint j is present, and a pair may match when the joints lie within ``threshold`` (0.5) head sizes
of each other, the head size being 0.6 x the diagonal of the ground-truth head box (PCKh@0.5);
the distance fed to motmetrics is that distance in head sizes (NaN: may not match). motmetrics
then matches frame by frame, keeping earlier pairings, and counts misses, false positives and ID
switches. Per joint: MOTA = 1 - (misses + switches + false positives) / objects, MOTP = 1 - the
mean distance (head sizes) of the matched pairs, precision = matches / (matches + false
positives), recall = matches / objects, IDF1 motmetrics' ``idf1``. Counts add up over videos;
the total row averages the per-joint ratios over the joints that have any (as poseval's "total")
and sums the counts. Values are fractions (1.0 = 100 %).

Where we differ from poseval:

- A ground-truth person without a head box (NaN row) gets a reference length from its pose:
  :data:`FALLBACK_HEAD_FRACTION` x the diagonal of the box of its labelled joints (an upright
  person's head size is about a tenth of that diagonal); the record counts how many people were
  scaled so (:attr:`TrackingMetrics.fallback_people`). A person whose reference length is zero
  (a single labelled joint and no head box) cannot be matched: its joints count as misses.
- A predicted joint is present when its coordinates are finite and its score exceeds
  ``min_joint_score`` (default 0, i.e. the joints the grouping found; absent ones are 0, 0, 0).
  poseval counts every point of a submission, whose authors drop low-scoring joints first.
- Every labelled frame counts, including its last frame (poseval drops the last frame of each
  sequence) and frames with no ground-truth people (poseval drops those, and so their false
  positives; where a frame has no people or no predictions it also enters a dummy object and
  hypothesis that add a miss and a false positive per joint, which we do not).
- IDF1 pools the identity counts (IDTP, IDFP, IDFN) over all videos, like MOTA's counts, where
  poseval averages per-sequence IDF1 values; MOTP of a joint without any match is NaN, not 0,
  and so leaves the total's average.
- No ignore regions (FramePeople carry none).
"""
from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from typing import NamedTuple, Optional, Sequence

import motmetrics
import numpy as np

from dataset.keypoint_formats import get_format
from dataset.metrics import head_sizes
from dataset.tracks import FramePeople, TrackedVideo
from lib.errors import DatasetError, FormatError

__all__ = [
    "FALLBACK_HEAD_FRACTION",
    "JointTracking",
    "TrackingMetrics",
    "evaluate_tracking",
    "evaluate_videos",
    "format_tracking_table",
    "reference_lengths",
]

log = logging.getLogger(__name__)

# Head size (0.6 x head-box diagonal) of a person without a head box, as a fraction of the
# diagonal of its labelled joints' box: an upright adult's head is about 1/7.5 of its height
# and its joints' box about as wide as its shoulders, which gives about 0.1.
FALLBACK_HEAD_FRACTION = 0.1

_MOT_METRICS = ["num_objects", "num_misses", "num_false_positives", "num_switches", "num_detections",
                "idtp", "idfp", "idfn", "motp"]
# Columns of the per-joint tallies, summed over videos.
_OBJECTS, _MISSES, _FPS, _SWITCHES, _DETECTIONS, _IDTP, _IDFP, _IDFN, _SUM_D = range(9)


class JointTracking(NamedTuple):
    """Tracking metrics of one joint (or the total): ratios as fractions (NaN when undefined),
    ``matches`` the matched pairs (switches included), ``objects`` = matches + misses."""

    name: str
    mota: float
    motp: float
    precision: float
    recall: float
    idf1: float
    id_switches: int
    matches: int
    misses: int
    false_positives: int
    objects: int


@dataclass(frozen=True)
class TrackingMetrics:
    """Per-joint and total tracking metrics over ``videos`` videos and their ``frames`` labelled
    frames; ``people`` ground-truth person-frames, ``fallback_people`` of which had no head box and
    were scaled by their joints' box; ``skipped`` (video name, reason) pairs left out."""

    joints: tuple
    total: JointTracking
    videos: int
    frames: int
    people: int
    fallback_people: int
    threshold: float
    skipped: tuple = ()

    @property
    def reference(self) -> str:
        """Which reference length scaled the distances: head boxes, joints' boxes, or both."""
        if self.fallback_people == 0:
            return "head box"
        if self.fallback_people == self.people:
            return "joints' box (no head boxes)"
        return f"head box; joints' box for {self.fallback_people} of {self.people} people without one"


def reference_lengths(people: FramePeople) -> tuple[np.ndarray, np.ndarray]:
    """Each ground-truth person's PCKh reference length (K,) and whether it fell back (K,) bool.

    The head size (0.6 x head-box diagonal, dataset.metrics.head_sizes) where the head box is
    finite and not empty, else FALLBACK_HEAD_FRACTION x the diagonal of the box of the labelled
    joints (0 when fewer than two distinct points are labelled).
    """
    lengths = head_sizes(people.head_boxes)
    fallback = ~(lengths > 0)
    if fallback.any():
        poses = people.poses[fallback]
        labelled = (poses[..., 2] > 0) & np.isfinite(poses[..., :2]).all(axis=-1)
        xy = np.where(labelled[..., None], poses[..., :2], np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: people without joints
            span = np.nanmax(xy, axis=1) - np.nanmin(xy, axis=1)
        diagonal = np.hypot(span[:, 0], span[:, 1])
        lengths[fallback] = np.nan_to_num(FALLBACK_HEAD_FRACTION * diagonal, nan=0.0)
    return lengths, fallback


def evaluate_tracking(ground_truth: Sequence[FramePeople], predictions: Sequence[FramePeople],
                      labelled: Optional[Sequence[bool]] = None, *, joint_names=None,
                      threshold: float = 0.5, min_joint_score: float = 0.0,
                      name: str = "video") -> TrackingMetrics:
    """PoseTrack tracking metrics of one video: ``predictions`` against ``ground_truth``, one
    FramePeople per frame each, over the frames ``labelled`` flags (None: all).

    ``joint_names``: row names (default "joint 0", ...); ``threshold``: match distance in head
    sizes; ``min_joint_score``: a predicted joint counts when its score exceeds it. DatasetError,
    naming ``name``, when the videos do not fit together.
    """
    video = _Video(name, list(ground_truth), list(predictions),
                   [True] * len(ground_truth) if labelled is None else [bool(x) for x in labelled])
    num_joints = _check_video(video)
    return _evaluate([video], num_joints, joint_names, threshold, min_joint_score, ())


def evaluate_videos(ground_truth: Sequence[TrackedVideo], predictions: Sequence[TrackedVideo], *,
                    joint_names=None, threshold: float = 0.5,
                    min_joint_score: float = 0.0) -> TrackingMetrics:
    """PoseTrack tracking metrics over several videos, each ground-truth video paired with the
    prediction of the same name and evaluated on its labelled frames.

    A video without a prediction, or whose prediction does not fit (frame or joint count), is
    skipped with its reason logged and listed in ``skipped``; DatasetError when none is left.
    Joint names default to the ground truth's keypoint format's.
    """
    by_name = {}
    for video in predictions:
        by_name.setdefault(video.name, video)
    videos, skipped, num_joints, formats = [], [], None, set()
    for truth in ground_truth:
        predicted = by_name.get(truth.name)
        try:
            if predicted is None:
                raise DatasetError(f"{truth.name}: no prediction of that name")
            video = _Video(truth.name, list(truth.people), list(predicted.people),
                           [truth.is_labelled(i) for i in range(len(truth.frames))])
            joints = _check_video(video)
            if num_joints is not None and joints is not None and joints != num_joints:
                raise DatasetError(f"{truth.name}: expected {num_joints} joints like the videos "
                                   f"before it, got {joints}")
        except DatasetError as err:
            log.warning("skipping video %s: %s", truth.name, err)
            skipped.append((truth.name, str(err)))
            continue
        num_joints = num_joints if joints is None else joints
        formats.add(truth.format)
        videos.append(video)
    if not videos:
        reasons = "; ".join(reason for _, reason in skipped) or "no ground-truth videos"
        raise DatasetError(f"tracking evaluation: no video to evaluate ({reasons})")
    if joint_names is None and len(formats) == 1:
        joint_names = _format_joints(formats.pop(), num_joints)
    return _evaluate(videos, num_joints, joint_names, threshold, min_joint_score, tuple(skipped))


def format_tracking_table(metrics: TrackingMetrics) -> str:
    """The metrics as a Markdown table, one row per joint and a bold total row, ratios in percent
    (``n/a`` where undefined), followed by a line saying what was evaluated and how it was scaled."""
    header = ("| Joint | MOTA | MOTP | Prec | Rec | IDF1 | ID sw. | Matches | Misses | FP |\n"
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = [header]
    for row in (*metrics.joints, metrics.total):
        name = f"**{row.name}**" if row is metrics.total else row.name
        ratios = [_percent(value) for value in (row.mota, row.motp, row.precision, row.recall, row.idf1)]
        counts = [str(value) for value in (row.id_switches, row.matches, row.misses, row.false_positives)]
        rows.append("| " + " | ".join([name, *ratios, *counts]) + " |")
    note = (f"\n{metrics.videos} video(s), {metrics.frames} labelled frame(s), {metrics.people} "
            f"ground-truth people; match within {metrics.threshold:g} x reference length "
            f"({metrics.reference}).")
    for video, reason in metrics.skipped:
        note += f"\nSkipped {video}: {reason}"
    return "\n".join(rows) + "\n" + note


class _Video(NamedTuple):
    name: str
    truth: list
    predicted: list
    labelled: list


def _check_video(video: _Video) -> Optional[int]:
    """The video's joint count (None when it has no people); DatasetError when it does not fit."""
    if len(video.predicted) != len(video.truth):
        raise DatasetError(f"{video.name}: expected a prediction for each of the {len(video.truth)} "
                           f"ground-truth frames, got {len(video.predicted)}")
    if len(video.labelled) != len(video.truth):
        raise DatasetError(f"{video.name}: labelled: expected one flag per frame ({len(video.truth)}), "
                           f"got {len(video.labelled)}")
    num_joints = None
    for index, (truth, predicted) in enumerate(zip(video.truth, video.predicted)):
        for what, people in (("ground truth", truth), ("prediction", predicted)):
            if not isinstance(people, FramePeople):
                raise DatasetError(f"{video.name}: frame {index}: {what}: expected FramePeople, "
                                   f"got {type(people).__name__}")
            if len(people) == 0:
                continue
            joints = people.poses.shape[1]
            if num_joints is None:
                num_joints = joints
            elif joints != num_joints:
                raise DatasetError(f"{video.name}: frame {index}: {what}: expected {num_joints} "
                                   f"joints per person, got {joints}")
    return num_joints


def _evaluate(videos, num_joints, joint_names, threshold, min_joint_score, skipped) -> TrackingMetrics:
    """Tally every video's per-joint motmetrics counts and turn the sums into metrics."""
    num_joints = num_joints or 0
    names = _joint_names(joint_names, num_joints)
    host = motmetrics.metrics.create()
    tally = np.zeros((num_joints, 9))
    frames = people = fallback = unscalable = 0
    for video in videos:
        accumulators = [motmetrics.MOTAccumulator(auto_id=True) for _ in range(num_joints)]
        for index, (truth, predicted) in enumerate(zip(video.truth, video.predicted)):
            if not video.labelled[index]:
                continue
            frames += 1
            counted = _update_frame(accumulators, truth, predicted, threshold, min_joint_score)
            people, fallback, unscalable = people + counted[0], fallback + counted[1], unscalable + counted[2]
        for joint, accumulator in enumerate(accumulators):
            tally[joint] += _counts(host, accumulator)
    if unscalable:
        log.warning("%d ground-truth person-frames have no head box and a single labelled point: "
                    "their joints count as misses", unscalable)
    rows = tuple(_joint_row(name, counts) for name, counts in zip(names, tally))
    return TrackingMetrics(rows, _total_row(rows), len(videos), frames, people, fallback,
                           float(threshold), skipped)


def _update_frame(accumulators, truth: FramePeople, predicted: FramePeople, threshold: float,
                  min_joint_score: float) -> tuple[int, int, int]:
    """Feed one frame's per-joint objects, hypotheses and distances to the accumulators; returns
    the ground-truth people with a labelled joint, how many of them had no head box, and how
    many had no usable reference length."""
    num_joints = len(accumulators)
    gt_poses = truth.poses.reshape(len(truth), num_joints, 3)
    pr_poses = predicted.poses.reshape(len(predicted), num_joints, 3)
    has_gt = (gt_poses[..., 2] > 0) & np.isfinite(gt_poses[..., :2]).all(axis=-1)
    has_pr = (pr_poses[..., 2] > min_joint_score) & np.isfinite(pr_poses[..., :2]).all(axis=-1)
    lengths, fell_back = reference_lengths(truth)
    offsets = gt_poses[:, None, :, :2] - pr_poses[None, :, :, :2]
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.hypot(offsets[..., 0], offsets[..., 1]) / lengths[:, None, None]
    distance = np.where((distance <= threshold) & has_gt[:, None, :] & has_pr[None, :, :], distance, np.nan)
    for joint, accumulator in enumerate(accumulators):
        objects = np.flatnonzero(has_gt[:, joint])
        hypotheses = np.flatnonzero(has_pr[:, joint])
        accumulator.update(truth.track_ids[objects], predicted.track_ids[hypotheses],
                           distance[np.ix_(objects, hypotheses, [joint])][..., 0])
    present = has_gt.any(axis=1)
    return int(present.sum()), int((present & fell_back).sum()), int((present & ~(lengths > 0)).sum())


def _counts(host, accumulator) -> np.ndarray:
    """One accumulator's tallies in the order of the _OBJECTS, ... columns."""
    values = host.compute(accumulator, metrics=_MOT_METRICS, return_dataframe=False)
    counts = np.array([float(values[name]) for name in _MOT_METRICS])
    counts[_SUM_D] = counts[_SUM_D] * counts[_DETECTIONS] if counts[_DETECTIONS] else 0.0
    return counts


def _joint_row(name: str, counts: np.ndarray) -> JointTracking:
    """Metrics of one joint from its summed tallies, as poseval's computeMetrics forms them."""
    objects, detections, fps = counts[_OBJECTS], counts[_DETECTIONS], counts[_FPS]
    idtp = counts[_IDTP]
    return JointTracking(
        name=name,
        mota=_ratio(objects - counts[_MISSES] - counts[_SWITCHES] - fps, objects),
        motp=1.0 - _ratio(counts[_SUM_D], detections),
        precision=_ratio(detections, detections + fps),
        recall=_ratio(detections, objects),
        idf1=_ratio(2 * idtp, 2 * idtp + counts[_IDFP] + counts[_IDFN]),
        id_switches=int(counts[_SWITCHES]),
        matches=int(detections),
        misses=int(counts[_MISSES]),
        false_positives=int(fps),
        objects=int(objects),
    )


def _total_row(rows) -> JointTracking:
    """poseval's total: ratios averaged over the joints where they are defined, counts summed."""
    def mean(field):
        values = [getattr(row, field) for row in rows if not math.isnan(getattr(row, field))]
        return float(np.mean(values)) if values else math.nan

    def total(field):
        return int(sum(getattr(row, field) for row in rows))

    return JointTracking("total", mean("mota"), mean("motp"), mean("precision"), mean("recall"),
                         mean("idf1"), total("id_switches"), total("matches"), total("misses"),
                         total("false_positives"), total("objects"))


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else math.nan


def _percent(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{100.0 * value:.1f}"


def _joint_names(joint_names, num_joints: int) -> list:
    """``joint_names`` checked against the joint count, or "joint 0", "joint 1", ..."""
    if joint_names is None:
        return [f"joint {j}" for j in range(num_joints)]
    names = [str(name) for name in joint_names]
    if len(names) != num_joints:
        raise DatasetError(f"joint_names: expected {num_joints} names (one per joint), got {len(names)}")
    return names


def _format_joints(name, num_joints):
    """The joint names of the keypoint format ``name`` when it is known and its joint count
    fits, else None (rows are then numbered)."""
    if name is None:
        return None
    try:
        joints = get_format(name).joints
    except FormatError:
        log.warning("keypoint format %r is unknown: joints are numbered", name)
        return None
    return list(joints) if len(joints) == num_joints else None

