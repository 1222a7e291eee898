"""Evaluating tracking results against ground truth in PoseTrack JSON: PoseTrack's tracking metrics
(multiperson.track_metrics, motmetrics) and the per-frame keypoint AP of COCO's evaluation, over
one video or folders of them paired by file name."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from dataset.coco_eval import evaluate_keypoints, people_to_coco_results
from dataset.keypoint_formats import get_format
from dataset.posetrack import posetrack_document, posetrack_image_id, read_posetrack
from dataset.tracks import TrackedVideo
from lib.errors import DatasetError
from multiperson.track_metrics import TrackingMetrics, evaluate_videos

__all__ = ["TrackEvaluation", "evaluate_track_files", "frame_ap", "posetrack_files", "read_videos"]

log = logging.getLogger(__name__)


@dataclass
class TrackEvaluation:
    """Tracking metrics, per-frame AP (COCO's metric names) and the files or videos left out."""

    tracking: TrackingMetrics
    ap: dict
    skipped: list = field(default_factory=list)


def posetrack_files(path) -> list[str]:
    """The JSON files a path names: the file itself, or a folder's ``*.json`` sorted by name."""
    path = os.fspath(path)
    if os.path.isdir(path):
        files = sorted(os.path.join(path, n) for n in os.listdir(path) if n.lower().endswith(".json"))
        if not files:
            raise DatasetError(f"{path}: expected PoseTrack JSON files in this folder, found none")
        return files
    if not os.path.isfile(path):
        raise DatasetError(f"{path}: no such PoseTrack file or folder")
    return [path]


def read_videos(path, skipped: list) -> list[TrackedVideo]:
    """The videos of every PoseTrack file at ``path`` (see posetrack_files); a file that cannot be
    read is logged and added to ``skipped`` as "file: reason", and the rest are read."""
    videos = []
    for name in posetrack_files(path):
        try:
            videos.append(read_posetrack(name).video)
        except DatasetError as err:
            log.warning("skipped: %s", err)
            skipped.append(str(err))
    return videos


def frame_ap(truth: list[TrackedVideo], predicted: list[TrackedVideo]) -> dict:
    """COCO keypoint AP/AR of the predicted people on the labelled frames of the ground-truth videos
    (paired by name; identities play no part), with the ground truth's keypoint format's sigmas."""
    by_name = {video.name: video for video in predicted}
    images, annotations, results, categories, fmt = [], [], [], None, None
    for number, video in enumerate(truth):
        guess = by_name.get(video.name)
        if guess is None:
            continue
        document = posetrack_document(video, vid_id=number)
        labelled = {posetrack_image_id(number, k) for k in range(len(video.frames)) if video.is_labelled(k)}
        images += [i for i in document["images"] if i["id"] in labelled]
        annotations += [a for a in document["annotations"] if a["image_id"] in labelled]
        categories = categories or document["categories"]
        fmt = fmt or video.format
        for k, people in enumerate(guess.people[:len(video.frames)]):
            if posetrack_image_id(number, k) in labelled and len(people):
                results += people_to_coco_results(posetrack_image_id(number, k), people.poses, people.scores)
    if not images:
        raise DatasetError("per-frame AP: no labelled frame of a ground-truth video has a prediction")
    return evaluate_keypoints({"images": images, "annotations": annotations, "categories": categories},
                              results, get_format(fmt).sigmas)


def evaluate_track_files(truth_path, predicted_path, threshold: float = 0.5,
                         min_joint_score: float = 0.0) -> TrackEvaluation:
    """PoseTrack's tracking metrics and the per-frame AP of the prediction files at
    ``predicted_path`` against the ground truth at ``truth_path`` (files or folders, videos paired
    by file name); for the tracking metrics a predicted joint counts when its score exceeds
    ``min_joint_score`` (PoseTrack submissions drop their weak joints)."""
    skipped: list = []
    truth = read_videos(truth_path, skipped)
    predicted = read_videos(predicted_path, skipped)
    if not truth:
        raise DatasetError(f"{truth_path}: no ground-truth video could be read")
    tracking = evaluate_videos(truth, predicted, threshold=threshold, min_joint_score=min_joint_score)
    return TrackEvaluation(tracking, frame_ap(truth, predicted), skipped + [f"{name}: {why}" for name, why in tracking.skipped])
