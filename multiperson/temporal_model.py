"""Temporal edge model: the probability that two candidates of one part in nearby frames belong
to one track (ArtTrack's temporal edges), fitted on videos with ground-truth identities.

A temporal edge joins candidate a of frame t to candidate b of the same part in frame t + d. Its
features (``FEATURES``), all lengths relative to the person's scale at the pair (the geometric
mean of both candidates' scales, ``candidate_scales``: the median length of a candidate's
predicted offsets to its linked parts): the displacement from a to b, in all and per frame of
gap; the residual of that displacement after the shift optical flow predicts at a (OpenCV's
Farneback flow between consecutive frames, followed from frame to frame; zero without frames,
when the residual is the displacement), in all and per frame; both scores; the gap d; and how
much the scale changes, |log(s_b / s_a)|. (The per-frame columns lift the held-out AUC of the
tests' clips from 0.961 to 0.967 without flow and from 0.986 to 0.988 with it: a linear model
cannot divide by the gap itself. Scores and scale change do not move it there, where the
oracle's scores are noise and people keep their size.) A logistic regression on min-max scaled
features (multiperson.fit_pairwise.fit_logistic, the spatial model's fit) gives the probability.

The model is saved as one ``.npz`` (numpy arrays, read with pickling off): like the spatial
model's ``.mat`` files it holds machine-written arrays, the logistic weights and the feature
ranges, that must round-trip exactly; there is no DeeperCut layout to follow for it, and YAML in
this project declares what people write (formats, configs), not fitted numbers.
"""
import os
from dataclasses import dataclass, field
from typing import NamedTuple

import cv2
import numpy as np

from lib.errors import CheckpointError, WriteError
from multiperson.detections import Detections
from multiperson.fit_pairwise import fit_logistic, match_detections

__all__ = [
    "FARNEBACK",
    "FEATURES",
    "MIN_SCALE_PX",
    "FlowSettings",
    "TemporalModel",
    "TemporalSamples",
    "advance_points",
    "candidate_scales",
    "candidate_track_ids",
    "clip_shifts",
    "clip_samples",
    "fit_temporal_model",
    "frame_flow",
    "load_temporal_model",
    "sample_flow",
    "save_temporal_model",
    "temporal_features",
    "temporal_pairs",
]

FEATURES = ("displacement", "displacement_per_frame", "flow_residual", "flow_residual_per_frame",
            "score_first", "score_second", "gap", "scale_change")
"""Columns of temporal_features, in order; a saved model records them."""

MIN_SCALE_PX = 1.0
"""Floor of a candidate's scale in pixels (a candidate whose offsets all vanish)."""


class FlowSettings(NamedTuple):
    """Parameters of cv2.calcOpticalFlowFarneback (see OpenCV's documentation)."""

    pyr_scale: float
    levels: int
    winsize: int
    iterations: int
    poly_n: int
    poly_sigma: float
    max_side: int = 0
    """Frames whose longer side exceeds this many pixels are resized to it for the flow (which
    is then scaled back to the frame's pixels): the flow's cost grows with the pixels, the
    people's motion does not need them all. 0: always the full frame."""


FARNEBACK = FlowSettings(pyr_scale=0.5, levels=3, winsize=15, iterations=3, poly_n=5,
                         poly_sigma=1.2)
"""OpenCV's suggested Farneback parameters (its documentation's example)."""


def _gray(image, name):
    """A uint8 single-channel view of an RGB/BGR or grey image."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 3 and image.shape[2] in (3, 4):
        image = cv2.cvtColor(np.ascontiguousarray(image[..., :3], np.uint8), cv2.COLOR_RGB2GRAY)
    if image.ndim != 2 or min(image.shape) < 1:
        raise ValueError(f"frame_flow: {name}: expected an image (H, W) or (H, W, 3), "
                         f"got shape {image.shape}")
    return np.ascontiguousarray(image, np.uint8)


def frame_flow(previous, current, settings: FlowSettings) -> np.ndarray:
    """(H, W, 2) float32 dense optical flow from ``previous`` to ``current`` (images of one size,
    RGB or grey, uint8): where each pixel of ``previous`` moves, by OpenCV's Farneback method, on
    frames resized to ``settings.max_side`` where they are larger."""
    first, second = _gray(previous, "previous"), _gray(current, "current")
    if first.shape != second.shape:
        raise ValueError(f"frame_flow: the frames differ in size: {first.shape} and "
                         f"{second.shape}")
    s = settings
    height, width = first.shape
    factor = s.max_side / max(height, width) if s.max_side and max(height, width) > s.max_side else 1.0
    if factor < 1.0:
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        first = cv2.resize(first, size, interpolation=cv2.INTER_AREA)
        second = cv2.resize(second, size, interpolation=cv2.INTER_AREA)
    flow = cv2.calcOpticalFlowFarneback(first, second, None, float(s.pyr_scale), int(s.levels),
                                        int(s.winsize), int(s.iterations), int(s.poly_n),
                                        float(s.poly_sigma), 0)
    if factor < 1.0:
        flow = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR) / np.float32(factor)
    return flow


def sample_flow(flow, xy) -> np.ndarray:
    """(N, 2) flow (H, W, 2) at the points ``xy`` (N, 2), bilinear between pixel centres
    (pixel (c, r) at x = c, y = r), points outside taking the nearest border value."""
    flow = np.asarray(flow, np.float64)
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    h, w = flow.shape[:2]
    x = np.clip(xy[:, 0], 0.0, w - 1.0)
    y = np.clip(xy[:, 1], 0.0, h - 1.0)
    x0 = np.minimum(np.floor(x).astype(np.int64), w - 1)
    y0 = np.minimum(np.floor(y).astype(np.int64), h - 1)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    top = flow[y0, x0] * (1 - fx) + flow[y0, x1] * fx
    bottom = flow[y1, x0] * (1 - fx) + flow[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def advance_points(points, flow, scale: float = 1.0) -> np.ndarray:
    """``points`` (N, 2) moved one frame along ``flow`` (H, W, 2) of frames ``scale`` times smaller
    than the points' pixels (the network input is the frame resized by ``scale``)."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    if len(points) == 0:
        return points.copy()
    return points + scale * sample_flow(flow, points / scale)


def clip_shifts(detections, images, max_gap: int, settings: FlowSettings,
                scale: float = 1.0) -> list:
    """Per frame t, [(N_t, 2) flow shift of frame t's candidates to frame t + d for d = 1 ..
    ``max_gap``] (fewer near the end): the candidates followed along the Farneback flow
    (``settings``) between consecutive ``images`` (frames ``scale`` times smaller than the
    candidates' pixels), as the tracker follows them; zeros throughout when ``images`` is None."""
    detections = list(detections)
    count = len(detections)
    if images is None:
        return [[np.zeros((len(d), 2)) for _ in range(min(max_gap, count - 1 - t))]
                for t, d in enumerate(detections)]
    images = list(images)
    if len(images) != count:
        raise ValueError(f"clip_shifts: {len(images)} images for {count} frames of detections")
    shifts = [[] for _ in detections]
    points = [d.xy.copy() for d in detections]
    for t in range(count - 1):
        flow = frame_flow(images[t], images[t + 1], settings)
        for s in range(max(0, t + 1 - max_gap), t + 1):
            points[s] = advance_points(points[s], flow, scale)
            shifts[s].append(points[s] - detections[s].xy)
    return shifts


def candidate_scales(dets: Detections, pair_mask) -> np.ndarray:
    """(N,) scale of each candidate in pixels: the median length of its predicted offsets to the
    parts linked with its own in ``pair_mask`` (J, J) (all other parts where none is), at least
    MIN_SCALE_PX. A robust size of the person, read from the network's pairwise head."""
    if dets.offsets is None:
        raise ValueError("candidate_scales: the detections have no pairwise offsets (the network "
                         "needs pairwise_predict: true); the temporal model reads scales from them")
    j = dets.num_joints
    mask = np.asarray(pair_mask, bool)
    if mask.shape != (j, j):
        raise ValueError(f"candidate_scales: pair_mask: expected shape ({j}, {j}), got "
                         f"{mask.shape}")
    links = mask & ~np.eye(j, dtype=bool)
    links[~links.any(axis=1)] = True
    links &= ~np.eye(j, dtype=bool)
    lengths = np.linalg.norm(dets.offsets, axis=2)  # (N, J)
    scales = np.empty(len(dets))
    for k in np.unique(dets.part):
        sel = dets.part == k
        scales[sel] = np.median(lengths[sel][:, links[k]], axis=1)
    return np.maximum(scales, MIN_SCALE_PX)


def _pair_scale(scale_a, scale_b):
    return np.sqrt(scale_a * scale_b)


def temporal_pairs(part_a, xy_a, scale_a, part_b, xy_b, scale_b, shift_a, gap: int,
                   gate: float) -> np.ndarray:
    """(E, 2) index pairs (i into frame t's candidates, j into frame t + ``gap``'s) of the same
    part whose flow residual ``|xy_b[j] - xy_a[i] - shift_a[i]|`` is at most ``gate * gap`` times
    their pair scale (the geometric mean of ``scale_a[i]`` and ``scale_b[j]``), in order of i
    then j."""
    part_a, part_b = np.asarray(part_a), np.asarray(part_b)
    if len(part_a) == 0 or len(part_b) == 0:
        return np.zeros((0, 2), np.int64)
    moved = np.asarray(xy_a, np.float64) + np.asarray(shift_a, np.float64)
    residual = np.linalg.norm(np.asarray(xy_b, np.float64)[None] - moved[:, None], axis=2)
    limit = gate * gap * _pair_scale(np.asarray(scale_a)[:, None], np.asarray(scale_b)[None])
    keep = (part_a[:, None] == part_b[None]) & (residual <= limit)
    return np.argwhere(keep).astype(np.int64)


def temporal_features(xy_a, score_a, scale_a, xy_b, score_b, scale_b, shift_a, pairs,
                      gap: int) -> np.ndarray:
    """(E, len(FEATURES)) features of the temporal edges ``pairs`` (E, 2) from candidates of one
    frame (``xy_a`` (N, 2), ``score_a``, ``scale_a`` (N,), flow shift ``shift_a`` (N, 2)) to those
    of the frame ``gap`` frames later (``xy_b``, ``score_b``, ``scale_b``); see FEATURES."""
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    i, j = pairs[:, 0], pairs[:, 1]
    xy_a, xy_b = np.asarray(xy_a, np.float64), np.asarray(xy_b, np.float64)
    sa, sb = np.asarray(scale_a, np.float64)[i], np.asarray(scale_b, np.float64)[j]
    scale = _pair_scale(sa, sb)
    step = xy_b[j] - xy_a[i]
    residual = step - np.asarray(shift_a, np.float64)[i]
    moved = np.linalg.norm(step, axis=1) / scale
    missed = np.linalg.norm(residual, axis=1) / scale
    return np.column_stack([
        moved,
        moved / gap,
        missed,
        missed / gap,
        np.asarray(score_a, np.float64)[i],
        np.asarray(score_b, np.float64)[j],
        np.full(len(pairs), float(gap)),
        np.abs(np.log(sb / sa)),
    ])


@dataclass(frozen=True, eq=False)
class TemporalModel:
    """Logistic regression of temporal edges: ``weights`` (F + 1,) with the bias last, feature
    ranges ``x_min``, ``x_max`` (F,) of the min-max scaling, F = len(FEATURES)."""

    weights: np.ndarray
    x_min: np.ndarray
    x_max: np.ndarray

    def __post_init__(self):
        f = len(FEATURES)
        for name, size in (("weights", f + 1), ("x_min", f), ("x_max", f)):
            value = np.asarray(getattr(self, name), np.float64)
            if value.shape != (size,) or not np.isfinite(value).all():
                raise ValueError(f"TemporalModel: {name}: expected {size} finite numbers, got "
                                 f"shape {value.shape}")
            object.__setattr__(self, name, value)

    def probability(self, features) -> np.ndarray:
        """(E,) probability that each temporal edge (features (E, F)) joins one track."""
        features = np.asarray(features, np.float64).reshape(-1, len(FEATURES))
        span = np.where(self.x_max > self.x_min, self.x_max - self.x_min, 1.0)
        z = ((features - self.x_min) / span) @ self.weights[:-1] + self.weights[-1]
        return 0.5 * (1.0 + np.tanh(0.5 * z))


def save_temporal_model(model: TemporalModel, path) -> str:
    """Write ``model`` to ``path`` (.npz: weights, x_min, x_max, feature names); return it."""
    path = os.fspath(path)
    try:
        with open(path, "wb") as handle:
            np.savez(handle, weights=model.weights, x_min=model.x_min, x_max=model.x_max,
                     features=np.array(FEATURES))
    except OSError as err:
        raise WriteError(f"{path}: cannot write the temporal model "
                         f"({err.strerror or err})") from None
    return path


def load_temporal_model(path) -> TemporalModel:
    """The TemporalModel saved at ``path``; CheckpointError naming the file and field when it is
    missing, unreadable, or was fitted on other features."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(f"{path}: temporal model file not found (fit it with "
                              f"multiperson.temporal_model.fit_temporal_model)")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError) as err:
        raise CheckpointError(f"{path}: not a readable .npz file ({err})") from None
    for name in ("weights", "x_min", "x_max", "features"):
        if name not in arrays:
            raise CheckpointError(f"{path}: expected an array {name!r}, found {sorted(arrays)}")
    names = tuple(str(v) for v in np.asarray(arrays["features"]).reshape(-1))
    if names != FEATURES:
        raise CheckpointError(f"{path}: features: fitted on {list(names)}, this version computes "
                              f"{list(FEATURES)}; fit the temporal model again")
    try:
        return TemporalModel(arrays["weights"], arrays["x_min"], arrays["x_max"])
    except (ValueError, TypeError) as err:
        raise CheckpointError(f"{path}: {err}") from None


@dataclass
class TemporalSamples:
    """Features (n, F) and labels (n,) of temporal edges, gathered clip by clip."""

    features: list = field(default_factory=list)
    labels: list = field(default_factory=list)

    def add(self, features, labels):
        """Append samples: ``features`` (n, F), ``labels`` (n,) bool (same track)."""
        features = np.asarray(features, np.float64).reshape(-1, len(FEATURES))
        labels = np.asarray(labels, bool).reshape(-1)
        if len(features) != len(labels):
            raise ValueError(f"TemporalSamples.add: {len(features)} feature rows and "
                             f"{len(labels)} labels")
        self.features.append(features)
        self.labels.append(labels)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(features (n, F), labels (n,)) of every sample so far."""
        if not self.features:
            return np.zeros((0, len(FEATURES))), np.zeros(0, bool)
        return np.concatenate(self.features), np.concatenate(self.labels)


def candidate_track_ids(dets: Detections, joints, track_ids, radius: float) -> np.ndarray:
    """(N,) ground-truth track id of each candidate: that of the person whose labelled joint of
    its part is nearest within ``radius`` pixels (multiperson.fit_pairwise.match_detections), -1
    where none is. ``joints`` (P, J, 3), ``track_ids`` (P,)."""
    track_ids = np.asarray(track_ids, np.int64).reshape(-1)
    people = np.asarray(joints, np.float64).reshape(-1, dets.num_joints, 3)
    if len(track_ids) != len(people):
        raise ValueError(f"candidate_track_ids: {len(track_ids)} track ids for {len(people)} "
                         f"people")
    owner = match_detections(dets, people, radius)
    ids = np.full(len(dets), -1, np.int64)
    ids[owner >= 0] = track_ids[owner[owner >= 0]]
    return ids


def clip_samples(detections, owners, scales, shifts, max_gap: int, gate: float,
                 samples: TemporalSamples) -> int:
    """Add the temporal edges of one clip to ``samples``; return how many.

    ``detections`` (one Detections per frame), ``owners`` (per frame, candidate_track_ids),
    ``scales`` (per frame, candidate_scales), ``shifts[t][d - 1]`` the (N_t, 2) flow shift of
    frame t's candidates to frame t + d (zeros without flow). Edges are made as the tracker makes
    them (temporal_pairs with ``gate``, gaps 1..``max_gap``) between matched candidates; label:
    both ends on one track.
    """
    count = 0
    for t, (first, owner_a) in enumerate(zip(detections, owners)):
        for d in range(1, max_gap + 1):
            if t + d >= len(detections):
                break
            second, owner_b = detections[t + d], owners[t + d]
            keep_a, keep_b = np.flatnonzero(owner_a >= 0), np.flatnonzero(owner_b >= 0)
            shift = shifts[t][d - 1][keep_a]
            pairs = temporal_pairs(first.part[keep_a], first.xy[keep_a], scales[t][keep_a],
                                   second.part[keep_b], second.xy[keep_b],
                                   scales[t + d][keep_b], shift, d, gate)
            if len(pairs) == 0:
                continue
            feats = temporal_features(first.xy[keep_a], first.score[keep_a], scales[t][keep_a],
                                      second.xy[keep_b], second.score[keep_b],
                                      scales[t + d][keep_b], shift, pairs, d)
            labels = owner_a[keep_a][pairs[:, 0]] == owner_b[keep_b][pairs[:, 1]]
            samples.add(feats, labels)
            count += len(pairs)
    return count


def fit_temporal_model(samples: TemporalSamples, l2: float = 1e-3, max_samples: int = 200000,
                       seed: int = 0) -> TemporalModel:
    """The TemporalModel of ``samples`` (a logistic regression, fit_pairwise.fit_logistic), on at
    most ``max_samples`` of them drawn with ``seed``; ValueError when there are none or when all
    share one label (clips with several people are needed)."""
    features, labels = samples.arrays()
    if len(labels) == 0:
        raise ValueError("fit_temporal_model: no samples: no temporal edge joined two candidates "
                         "matched to labelled joints (are the clips labelled, the gate too tight?)")
    if labels.all() or not labels.any():
        raise ValueError(f"fit_temporal_model: all {len(labels)} samples are "
                         f"{'same-track' if labels.all() else 'different-track'} pairs; clips "
                         f"with several people near each other are needed")
    if len(labels) > max_samples:
        keep = np.random.default_rng(seed).choice(len(labels), max_samples, replace=False)
        features, labels = features[keep], labels[keep]
    weights, x_min, x_max = fit_logistic(features, labels, l2)
    return TemporalModel(weights, x_min, x_max)
