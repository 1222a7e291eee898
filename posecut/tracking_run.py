"""Tracking from a config: the trackers (ArtTrack's spatio-temporal grouping, or the baseline that
links per-frame people by OKS), fitting the temporal model on clips with identities, and reading
frames from videos and folders."""
from __future__ import annotations

import logging
import os
from collections import deque
from typing import Iterable, Iterator, NamedTuple, Optional

import numpy as np

from dataset.images import read_image
from dataset.keypoint_formats import unnamed_format
from dataset.posetrack import read_posetrack
from dataset.records import ImageRecord, find_image, image_name_refusal
from dataset.tracks import FramePeople, TrackedVideo
from lib.errors import ConfigError, DatasetError
from multiperson.draw import draw_tracks, track_centres
from multiperson.predict import GroupingAssets, people_from_raw_outputs
from multiperson.temporal_model import (FARNEBACK, TemporalModel, TemporalSamples, candidate_scales,
                                        candidate_track_ids, clip_samples, clip_shifts, fit_temporal_model)
from multiperson.track_link import LinkSettings, OksLinker
from multiperson.tracking import ArtTracker, TrackSettings, frame_candidates
from nnet.outputs import scale_image
from posecut.frames import FramePass, run_frames

__all__ = ["TRACKERS", "OksTracker", "TrackRun", "clip_frames", "fit_temporal_on_clips", "make_tracker",
           "sigmas_of", "temporal_model_path", "track_frames", "track_renderer", "track_settings_from_config",
           "track_video"]

log = logging.getLogger(__name__)

TRACKERS = ("arttrack", "oks")
"""arttrack: spatio-temporal grouping (multiperson.tracking); oks: per-frame people linked frame to
frame by Hungarian matching on OKS (multiperson.track_link), the PoseTrack baselines' tracker."""

TEMPORAL_MODEL_FILE = "temporal_model.npz"


def track_settings_from_config(cfg) -> TrackSettings:
    """The tracker's settings from a loaded config's track_* keys (ConfigError naming the key
    when they do not fit together)."""
    flow = None if cfg.track_flow_window == 0 else FARNEBACK._replace(
        winsize=int(cfg.track_flow_window), max_side=int(cfg.track_flow_size))
    try:
        return TrackSettings(cfg.track_window, cfg.track_overlap, cfg.track_max_gap, cfg.track_gate, flow)
    except ConfigError as err:
        raise ConfigError(f"{cfg.source}: track_*: {err}") from None


def temporal_model_path(cfg, given: Optional[str] = None) -> str:
    """Where the temporal model is: ``given``, else the config's temporal_model, else
    temporal_model.npz beside its pairwise_model_dir."""
    if given:
        return os.path.abspath(given)
    if cfg.temporal_model:
        return cfg.resolve_path(cfg.temporal_model)
    if not cfg.pairwise_model_dir:
        raise ConfigError(f"{cfg.source}: temporal_model: expected the file of the fitted temporal model "
                          f"(posecut fit-temporal writes it), or a pairwise_model_dir beside which it lies")
    folder = os.path.dirname(os.path.normpath(cfg.resolve_path(cfg.pairwise_model_dir)))
    return os.path.join(folder, TEMPORAL_MODEL_FILE)


class OksTracker:
    """The baseline with the ArtTracker's interface: each frame's people from the per-frame
    pipeline, linked to the previous frames' by OKS (multiperson.track_link.OksLinker)."""

    def __init__(self, assets: GroupingAssets, sigmas, link: LinkSettings = LinkSettings()):
        self.assets = assets
        self.linker = OksLinker(sigmas, link)

    def update(self, raw_outputs, frame_image=None) -> list[FramePeople]:
        """Add one frame; return it with its people and their track ids."""
        a = self.assets
        people = people_from_raw_outputs(raw_outputs, a.means, a.stds, a.model, a.settings, gates=a.gates)
        scale = float(a.settings.global_scale)
        if scale != 1.0:
            people = people.scaled(1.0 / scale)
        return [self.linker.update(people.poses, people.scores)]

    def finish(self) -> list[FramePeople]:
        """Nothing is held back."""
        return []


def make_tracker(kind: str, assets: GroupingAssets, settings: TrackSettings, sigmas,
                 model: Optional[TemporalModel] = None):
    """An ArtTracker (``kind`` 'arttrack', which needs the temporal ``model``) or an OksTracker
    ('oks'); both take ``update(raw_outputs, frame_image)`` and ``finish()``."""
    if kind == "arttrack":
        if model is None:
            raise ConfigError("tracker arttrack: expected a fitted temporal model")
        return ArtTracker(assets, model, settings)
    if kind == "oks":
        return OksTracker(assets, sigmas)
    raise ConfigError(f"tracker: expected one of {', '.join(TRACKERS)}, got {kind!r}")


def track_frames(frames: Iterable, outputs, tracker, scale: float) -> Iterator[tuple]:
    """(name, frame, FramePeople) of every (name, RGB frame) of ``frames``, in order: ``outputs``
    (an image -> raw outputs function, e.g. the network) sees each frame resized by ``scale``, the
    tracker the outputs and the frame. Frames wait only until the tracker decides them."""
    pending: deque = deque()
    for name, frame in frames:
        pending.append((name, frame))
        for people in tracker.update(outputs(scale_image(frame, scale)), frame):
            name, frame = pending.popleft()
            yield name, frame, people
    for people in tracker.finish():
        name, frame = pending.popleft()
        yield name, frame, people


class TrackRun(NamedTuple):
    """What track_video followed through a video: each frame's name and people with track ids."""

    names: list
    people: list
    size: Optional[tuple]
    """(height, width) of the frames, None without any."""
    seconds: float
    """Of the whole pass: decoding, network, tracking, drawing and encoding."""


def track_renderer(skeleton=(), trail: int = 15):
    """A run_frames ``render(frame, FramePeople)`` that draws each person in its track's colour
    with a trail of its last ``trail`` positions; called on the frames in order."""
    trails = {}

    def render(frame, found):
        for track, centre in zip(found.track_ids, track_centres(found.poses, 0.0)):
            trails.setdefault(int(track), []).append(centre)
            del trails[int(track)][:-trail]
        shown = {k: list(v) for k, v in trails.items()}
        return lambda: draw_tracks(frame, found.track_ids, found.poses, skeleton, shown)

    return render


def track_video(network, tracker, path: str, scale: float, skeleton=(), out_path=None,
                trail: int = 15, progress: bool = True, overlap: bool = True) -> TrackRun:
    """The people of every frame of the video or folder of frames ``path`` with their track ids
    (track_frames through posecut.frames.run_frames); with ``out_path``, an MP4 in which each
    person keeps a colour and a trail of its last ``trail`` positions."""
    names, people, size = [], [], None
    timed = FramePass()

    def step(frames):
        return track_frames(frames, network, tracker, scale)

    render = track_renderer(skeleton, trail)
    for _, name, frame, found in run_frames(path, step, render, out_path, progress, overlap, timed):
        names.append(name)
        people.append(found)
        size = size or frame.shape[:2]
    return TrackRun(names, people, size, timed.seconds)


def clip_frames(video: TrackedVideo, json_path: str, images: Optional[str] = None,
                allow_absolute_paths: bool = False) -> list[str]:
    """The image file of each frame of a PoseTrack ``video`` read from ``json_path``: names are
    looked for under ``images``, else beside the JSON and up to two folders above it (PoseTrack's
    annotations/val/ beside images/val/). DatasetError naming the first frame not found, or
    whose name climbs out of those folders (``..``, or an absolute path outside them unless
    ``allow_absolute_paths``)."""
    here = os.path.dirname(os.path.abspath(json_path))
    roots = [images] if images else [here, os.path.dirname(here), os.path.dirname(os.path.dirname(here))]
    paths = []
    for index, name in enumerate(video.frames):
        refused = image_name_refusal(name, roots, allow_absolute_paths)
        if refused:
            raise DatasetError(f"{json_path}: frame {index}: {refused}")
        path, found = find_image([os.path.join(root, name) for root in roots])
        if not found:
            raise DatasetError(f"{json_path}: frame {index}: image file {name} not found under "
                               f"{', '.join(roots)}")
        paths.append(path)
    return paths


def fit_temporal_on_clips(clip_paths, outputs_of, assets: GroupingAssets, settings: TrackSettings,
                          radius: float, images: Optional[str] = None, seed: int = 0,
                          allow_absolute_paths: bool = False):
    """(TemporalModel, number of samples, clips skipped as "file: reason") fitted on PoseTrack
    ground-truth clips: each frame's candidates (``outputs_of(record)``, the network's or the
    oracle's raw outputs of an ImageRecord) matched within ``radius`` pixels to the labelled joints
    of a track, temporal edges made as the tracker makes them (with optical flow unless the
    settings have none), labelled same track or not."""
    samples, skipped = TemporalSamples(), []
    scale = float(assets.settings.global_scale)
    for path in clip_paths:
        try:
            video = read_posetrack(path).video
            frames = clip_frames(video, path, images, allow_absolute_paths)
            dets, owners, scales, pictures = [], [], [], []
            for index, (name, people) in enumerate(zip(frames, video.people)):
                picture = read_image(name)
                height, width = picture.shape[:2]
                joints = people.poses if video.is_labelled(index) else np.zeros((0, assets.settings.num_joints, 3))
                record = ImageRecord(name, index, height, width, joints)
                candidates = frame_candidates(outputs_of(record), assets).dets
                dets.append(candidates)
                ids = people.track_ids if video.is_labelled(index) else np.zeros(0, np.int64)
                owners.append(candidate_track_ids(candidates, joints * [scale, scale, 1], ids, radius * scale))
                scales.append(candidate_scales(candidates, assets.settings.pair_mask))
                pictures.append(picture)
            shifts = clip_shifts(dets, pictures if settings.flow is not None else None, settings.max_gap,
                                 settings.flow or FARNEBACK, scale)
            clip_samples(dets, owners, scales, shifts, settings.max_gap, settings.temporal_gate, samples)
        except DatasetError as err:
            log.warning("skipped clip: %s", err)
            skipped.append(str(err))
    try:
        model = fit_temporal_model(samples, seed=seed)
    except ValueError as err:
        raise DatasetError(f"fit-temporal: {err}") from None
    return model, len(samples.arrays()[1]), skipped


def sigmas_of(cfg) -> np.ndarray:
    """OKS sigmas of the config's keypoint format (COCO's median body sigma per joint without one)."""
    return (cfg.format or unnamed_format(cfg.joint_names)).sigmas_array()
