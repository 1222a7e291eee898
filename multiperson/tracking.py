"""Multi-person pose tracking by spatio-temporal grouping (ArtTrack): the part candidates of a
window of frames form one graph, which the NL-LMP solver partitions into tracks.

Within a frame, candidates, spatial edges and their probabilities are the per-frame pipeline's
(multiperson.detections, multiperson.graph.build_graph with the grouping assets' gates), and a
candidate is real with probability its score, as lib/people.hpp has it. Temporal edges join
candidates of one part in frames up to ``max_gap`` apart whose flow residual is within the gate
(multiperson.temporal_model.temporal_pairs), with the temporal model's probabilities. The solver
(lib.multicut.solve) labels and partitions the window's candidates; each cluster is a track, and
per frame its candidates make one person (multiperson.assemble.assemble_people, as the per-frame
pipeline assembles them; people come in its order, by falling score). Without temporal edges a
frame's people are exactly those of multiperson.predict.people_from_raw_outputs.

Long videos go in windows of ``window`` frames, each starting ``window - overlap`` frames after
the last. Of the frames two windows share, the first ``ceil(overlap / 2)`` are decided by the
earlier window and the rest by the later one, so that a frame is decided with frames after it
as well as before it (on the crossing clips of the tests, 5 identity switches in 12 clips
became 4). The shared frames the earlier window decided carry the identities on: each of the
later window's clusters takes the track whose candidates it shares most on those frames (one to
one, scipy's linear_sum_assignment on the counts), and a cluster sharing none starts a new
track when it first makes a person. Ids are 0, 1, ... in order of first appearance. Only the
frames of one window are held, so memory and time grow linearly with the video's length; the
results depend on nothing but the inputs.
"""
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple, Optional

import numpy as np
from scipy.optimize import linear_sum_assignment

from dataset.tracks import FramePeople, frame_people
from lib.errors import ConfigError
from lib.multicut import solve
from multiperson.assemble import People, assemble_people, distinct_people
from multiperson.detections import Detections, extract_detections
from multiperson.graph import build_graph
from multiperson.predict import GroupingAssets
from multiperson.temporal_model import (FlowSettings, TemporalModel, advance_points,
                                        candidate_scales, frame_flow, temporal_features,
                                        temporal_pairs)

log = logging.getLogger(__name__)

__all__ = [
    "ArtTracker",
    "FrameCandidates",
    "TrackSettings",
    "WindowProblem",
    "frame_candidates",
    "track_video",
    "window_problem",
]


@dataclass(frozen=True)
class TrackSettings:
    """How the tracker windows and links frames; every value explicit, checked when built
    (ConfigError naming the field)."""

    window: int
    """Frames solved together (>= 2)."""
    overlap: int
    """Frames a window shares with the one before (1 .. window - 1): the first half (rounded up)
    carries the ids on, the rest is decided by the later window."""
    max_gap: int
    """Largest frame gap of a temporal edge (0 .. window - 1; 0: no temporal edges)."""
    temporal_gate: float
    """Largest flow residual of a temporal edge, in person scales per frame of gap (> 0)."""
    flow: Optional[FlowSettings]
    """Farneback parameters for the frames' optical flow, or None to ignore frames."""

    def __post_init__(self):
        for name in ("window", "overlap", "max_gap"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ConfigError(f"TrackSettings.{name}: expected a whole number of frames, "
                                  f"got {value!r}")
        if self.window < 2:
            raise ConfigError(f"TrackSettings.window: expected at least 2 frames, got "
                              f"{self.window}")
        if not 1 <= self.overlap <= self.window - 1:
            raise ConfigError(f"TrackSettings.overlap: expected 1 .. window - 1 = "
                              f"{self.window - 1} frames (the shared frames carry the ids on), "
                              f"got {self.overlap}")
        if not 0 <= self.max_gap <= self.window - 1:
            raise ConfigError(f"TrackSettings.max_gap: expected 0 .. window - 1 = "
                              f"{self.window - 1} frames, got {self.max_gap}")
        gate = self.temporal_gate
        if isinstance(gate, bool) or not isinstance(gate, (int, float, np.floating)) or \
                not np.isfinite(gate) or gate <= 0:
            raise ConfigError(f"TrackSettings.temporal_gate: expected a positive number of "
                              f"person scales per frame, got {gate!r}")
        if self.flow is not None and not isinstance(self.flow, FlowSettings):
            raise ConfigError(f"TrackSettings.flow: expected a FlowSettings or None, got "
                              f"{type(self.flow).__name__}")


class FrameCandidates(NamedTuple):
    """One frame's candidates and spatial edges, as the per-frame pipeline makes them."""

    dets: Detections
    edges: np.ndarray
    """(E, 2) candidate pairs (i < j)."""
    edge_prob: np.ndarray
    """(E,) probability that both ends are one person."""


def frame_candidates(raw, assets: GroupingAssets) -> FrameCandidates:
    """Candidates (multiperson.detections.extract_detections) and spatial edges
    (multiperson.graph.build_graph) of one frame's raw network outputs, with the grouping
    assets' settings, statistics, spatial model and gates."""
    s = assets.settings
    if "pairwise_pred" not in raw:
        raise ValueError("frame_candidates: the network has no pairwise head (pairwise_predict: "
                         "false); grouping and tracking need it")
    dets = extract_detections(raw, assets.means, assets.stds, s.heads.stride,
                              s.heads.locref_stdev, s.nms_radius, s.det_min_score,
                              s.heads.pair_slots)
    if dets.num_joints != s.num_joints:
        raise ValueError(f"frame_candidates: the outputs have {dets.num_joints} parts, the "
                         f"settings {s.num_joints}")
    edges, prob = build_graph(dets, assets.model, s.pair_mask, assets.gates, s.offset_gate)
    return FrameCandidates(dets, edges, prob)


def _no_candidates(num_joints: int) -> FrameCandidates:
    """The candidates of a frame without any."""
    dets = Detections(np.zeros(0, np.int32), np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0),
                      np.zeros((0, num_joints, 2)), num_joints)
    return FrameCandidates(dets, np.zeros((0, 2), np.int64), np.zeros(0))


@dataclass(eq=False)
class _Frame:
    """A frame held by the tracker: its candidates, their scales and flow shifts, and the track
    id of each candidate once the frame is decided."""

    candidates: FrameCandidates
    scales: np.ndarray
    points: np.ndarray
    """The candidates followed along the flow to the latest frame."""
    shifts: list
    """shifts[d - 1]: (N, 2) flow shift of the candidates to the frame d later."""
    ids: Optional[np.ndarray] = None


class WindowProblem(NamedTuple):
    """The NL-LMP problem of a window: nodes are the frames' candidates in frame order."""

    node_prob: np.ndarray
    edges: np.ndarray
    edge_prob: np.ndarray
    temporal: np.ndarray
    """(E,) bool: which edges are temporal."""
    starts: np.ndarray
    """(W + 1,) first node of each frame, and the node count last."""


def window_problem(frames, model: TemporalModel, settings: TrackSettings) -> WindowProblem:
    """The graph of a window's ``frames`` (objects with ``candidates`` (FrameCandidates),
    ``scales`` and ``shifts``): spatial edges per frame, temporal edges between frames up to
    ``settings.max_gap`` apart (temporal_pairs, temporal_features, ``model``)."""
    sizes = [len(f.candidates.dets) for f in frames]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    node_prob = [f.candidates.dets.score for f in frames]
    edges, probs, temporal = [], [], []
    for f, start in zip(frames, starts):
        edges.append(f.candidates.edges + start)
        probs.append(f.candidates.edge_prob)
        temporal.append(np.zeros(len(f.candidates.edges), bool))
    for s, first in enumerate(frames):
        a = first.candidates.dets
        for d in range(1, settings.max_gap + 1):
            if s + d >= len(frames):
                break
            b = frames[s + d].candidates.dets
            shift = first.shifts[d - 1] if d <= len(first.shifts) else np.zeros((len(a), 2))
            pairs = temporal_pairs(a.part, a.xy, first.scales, b.part, b.xy,
                                   frames[s + d].scales, shift, d, settings.temporal_gate)
            if len(pairs) == 0:
                continue
            feats = temporal_features(a.xy, a.score, first.scales, b.xy, b.score,
                                      frames[s + d].scales, shift, pairs, d)
            edges.append(np.column_stack([pairs[:, 0] + starts[s], pairs[:, 1] + starts[s + d]]))
            probs.append(model.probability(feats))
            temporal.append(np.ones(len(pairs), bool))
    return WindowProblem(np.concatenate(node_prob) if node_prob else np.zeros(0),
                         np.concatenate(edges).reshape(-1, 2) if edges else np.zeros((0, 2), int),
                         np.concatenate(probs) if probs else np.zeros(0),
                         np.concatenate(temporal) if temporal else np.zeros(0, bool), starts)


class ArtTracker:
    """Streaming spatio-temporal tracker: ``update(raw_outputs, frame_image)`` per frame returns
    the frames decided so far (FramePeople, in order), ``finish()`` the rest.

    ``raw_outputs`` are the network's outputs for the frame resized by the grouping settings'
    ``global_scale`` (as multiperson.predict.MultiPersonPredictor feeds it); ``frame_image`` the
    frame itself (RGB, optional: without frames, the flow shift is zero). People come back in
    the frame's pixels.
    """

    def __init__(self, assets: GroupingAssets, model: TemporalModel, settings: TrackSettings):
        if not isinstance(settings, TrackSettings):
            raise ConfigError(f"ArtTracker: settings: expected TrackSettings, got "
                              f"{type(settings).__name__}")
        if not isinstance(model, TemporalModel):
            raise ConfigError(f"ArtTracker: model: expected a TemporalModel, got "
                              f"{type(model).__name__}")
        self.assets, self.model, self.settings = assets, model, settings
        self._frames: list[_Frame] = []
        self._previous_image = None
        self._next_id = 0
        self._seen = 0

    def update(self, raw_outputs, frame_image=None) -> list[FramePeople]:
        """Add one frame; return the frames this decides (none until a window is full; then the
        window's undecided frames but its last ``overlap // 2``).

        Outputs that cannot be read (NaN, wrong shapes) make a frame without people, and a frame
        whose flow cannot be computed (a size change) one without flow; both are logged."""
        try:
            candidates = frame_candidates(raw_outputs, self.assets)
        except ValueError as err:
            log.warning("frame %d: %s; tracked as a frame without people", self._seen, err)
            candidates = _no_candidates(self.assets.settings.num_joints)
        image = None
        if frame_image is not None and self.settings.flow is not None:
            image = np.asarray(frame_image)
        flow = None
        if image is not None and self._previous_image is not None and self._frames:
            try:
                flow = frame_flow(self._previous_image, image, self.settings.flow)
            except ValueError as err:
                log.warning("frame %d: %s; no flow to this frame", self._seen, err)
        if flow is not None:
            scale = float(self.assets.settings.global_scale)
            self._advance(lambda points: advance_points(points, flow, scale))
        elif self._frames:
            self._advance(lambda points: points)
        self._previous_image = image
        dets = candidates.dets
        scales = candidate_scales(dets, self.assets.settings.pair_mask)
        self._frames.append(_Frame(candidates, scales, dets.xy.copy(), []))
        self._seen += 1
        if len(self._frames) < self.settings.window:
            return []
        return self._solve(self.settings.overlap // 2)

    def finish(self) -> list[FramePeople]:
        """The frames not yet decided (a last, shorter window); the tracker is then empty."""
        out = self._solve(0) if any(f.ids is None for f in self._frames) else []
        self._frames, self._previous_image = [], None
        return out

    def _advance(self, move):
        """Follow the held frames' candidates one frame further (``move``: points -> points)."""
        for frame in self._frames:
            if len(frame.shifts) < self.settings.max_gap:
                frame.points = move(frame.points)
                frame.shifts.append(frame.points - frame.candidates.dets.xy)

    def _solve(self, lookahead: int) -> list[FramePeople]:
        """Solve the held frames; decide the undecided ones but the last ``lookahead``."""
        frames = self._frames
        decide = [f.ids is None for f in frames]
        if lookahead:
            decide[-lookahead:] = [False] * lookahead
        problem = window_problem(frames, self.model, self.settings)
        _, cluster, _ = solve(problem.node_prob, problem.edges, problem.edge_prob)
        starts = problem.starts
        track = self._carry_ids(frames, cluster, starts)
        j = self.assets.settings.num_joints
        min_parts = self.assets.settings.min_person_parts
        scale = float(self.assets.settings.global_scale)
        out = []
        first_index = self._seen - len(frames)
        for w, frame in enumerate(frames):
            if not decide[w]:
                continue
            dets = frame.candidates.dets
            local = cluster[starts[w]:starts[w + 1]]
            poses, scores, owners = [], [], []
            for c in np.unique(local[local >= 0]):
                sel = local == c
                person = assemble_people(dets.part[sel], dets.xy[sel], dets.score[sel],
                                         np.zeros(int(sel.sum()), np.int32), j, min_parts)
                if len(person.scores):
                    poses.append(person.poses[0])
                    scores.append(person.scores[0])
                    owners.append(int(c))
            order = np.argsort(-np.asarray(scores, np.float64), kind="stable")
            stacked = np.asarray(poses, np.float64).reshape(-1, j, 3)
            order = order[distinct_people(stacked[order], self.assets.settings.duplicate_px)]
            ids = []
            for r in order:
                c = owners[r]
                if c not in track:
                    track[c] = self._next_id
                    self._next_id += 1
                ids.append(track[c])
            people = People(stacked[order], np.asarray(scores, np.float64)[order])
            if scale != 1.0:
                people = people.scaled(1.0 / scale)
            out.append(frame_people(np.asarray(ids, np.int64), people.poses, people.scores,
                                    where=f"frame {first_index + w}"))
        for w, frame in enumerate(frames):
            if decide[w]:
                local = cluster[starts[w]:starts[w + 1]]
                frame.ids = np.array([track.get(int(c), -1) if c >= 0 else -1 for c in local],
                                     np.int64)
        self._frames = frames[len(frames) - self.settings.overlap:]
        return out

    @staticmethod
    def _carry_ids(frames, cluster, starts) -> dict:
        """Cluster -> track id of the clusters that continue tracks of the decided frames."""
        owned, clusters = [], []
        for w, frame in enumerate(frames):
            if frame.ids is not None:
                owned.append(frame.ids)
                clusters.append(cluster[starts[w]:starts[w + 1]])
        if not owned:
            return {}
        owned, clusters = np.concatenate(owned), np.concatenate(clusters)
        keep = (owned >= 0) & (clusters >= 0)
        if not keep.any():
            return {}
        rows, row = np.unique(clusters[keep], return_inverse=True)
        cols, col = np.unique(owned[keep], return_inverse=True)
        shared = np.zeros((len(rows), len(cols)), np.int64)
        np.add.at(shared, (row, col), 1)
        r, c = linear_sum_assignment(shared, maximize=True)
        return {int(rows[i]): int(cols[k]) for i, k in zip(r, c) if shared[i, k] > 0}


def track_video(raw_outputs: Iterable, assets: GroupingAssets, model: TemporalModel,
                settings: TrackSettings, frames: Optional[Iterable] = None) -> list[FramePeople]:
    """FramePeople of every frame of a video: ``raw_outputs`` one per frame (see ArtTracker),
    ``frames`` the frames' images in the same order, or None."""
    tracker = ArtTracker(assets, model, settings)
    images = iter(frames) if frames is not None else None
    out = []
    for count, raw in enumerate(raw_outputs):
        image = None
        if images is not None:
            image = next(images, None)
            if image is None:
                raise ValueError(f"track_video: frames: {count} images for more raw outputs; "
                                 f"give one image per frame, or none")
        out.extend(tracker.update(raw, image))
    out.extend(tracker.finish())
    return out
