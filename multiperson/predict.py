"""Image in, people out: network, detections, pairwise probabilities, multicut, assembly."""
import math
import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from lib.errors import InputError
from lib.people_cy import people_from_raw
from multiperson.assemble import People
from multiperson.detections import check_settings, raw_arrays, statistics
from multiperson.graph import edge_gates, graph_arrays, part_pair_mask
from multiperson.pairwise import SpatialModel
from nnet.heads import HeadLayout, head_layout_from_config
from nnet.outputs import outputs_argmax_pose, scale_image

__all__ = [
    "GroupingAssets",
    "MultiPersonPredictor",
    "MultiPersonSettings",
    "STAGES",
    "SinglePersonPredictor",
    "multiperson_settings_from_config",
    "people_from_raw_outputs",
]

STAGES = ("network", "nms", "pairwise", "solver", "assembly")
"""The timed stages of one prediction, in order."""


@dataclass(frozen=True, eq=False)
class MultiPersonSettings:
    """Everything after the network, read once from the config."""

    heads: HeadLayout
    """Joints, stride and locref scale of the network's outputs."""
    nms_radius: float
    det_min_score: float
    pair_mask: np.ndarray
    """(J, J) bool: linked part pairs (see multiperson.graph.part_pair_mask)."""
    min_person_parts: int
    global_scale: float
    edge_gate_stds: float
    offset_gate: tuple[float, float] | None
    """(pixels, fraction) of multiperson.graph.build_graph's offset gate, or None."""
    duplicate_px: float
    """A person every part of whom lies this close to a stronger one's parts is dropped (pixels of
    the network's input; 0: none is, as in DeeperCut); see multiperson.assemble.distinct_people."""

    def __post_init__(self):
        heads = self.heads
        mask = np.asarray(self.pair_mask, dtype=bool)
        if mask.shape != (heads.num_joints, heads.num_joints):
            raise ValueError(f"pair_mask: expected shape ({heads.num_joints}, {heads.num_joints}), "
                             f"the head layout's joints, got {mask.shape}")
        if heads.pairwise_predict:
            missing = np.argwhere(mask & (heads.pair_slots < 0) & ~np.eye(len(mask), dtype=bool))
            if len(missing):
                raise ValueError(f"sparse_graph: the part pairs {missing[:5].tolist()} are linked but "
                                 f"the pairwise head predicts no offsets for them (it predicts "
                                 f"{heads.num_pairs} ordered pairs); link only pairs of the head")

    @property
    def num_joints(self) -> int:
        """Number of joints J."""
        return self.heads.num_joints


def multiperson_settings_from_config(cfg) -> MultiPersonSettings:
    """The settings of a loaded config; the linked part pairs are ``cfg.linked_pairs`` (an empty
    sparse_graph with a keypoint_format uses the format's default graph, pairs at most four
    skeleton edges apart), the pairs the head layout predicts, and nms_radius is rounded up to
    whole cells, as DeeperCut's suppression grid was."""
    joints = cfg.require_joints()
    return MultiPersonSettings(head_layout_from_config(cfg), float(math.ceil(cfg.nms_radius)),
                               cfg.det_min_score, part_pair_mask(cfg.linked_pairs, joints),
                               cfg.min_person_parts, cfg.global_scale, cfg.edge_gate_stds,
                               None if cfg.edge_offset_gate_px is None else
                               (cfg.edge_offset_gate_px * cfg.global_scale,
                                cfg.edge_offset_gate_rel),
                               cfg.duplicate_person_px * cfg.global_scale)


def _tick(timings, stage, start):
    now = time.perf_counter()
    if timings is not None:
        timings[stage] = timings.get(stage, 0.0) + now - start
    return now


def people_from_raw_outputs(raw, means, stds, model: SpatialModel, settings: MultiPersonSettings,
                            timings=None, gates=None) -> People:
    """People (in the network input's pixels) from one image's raw network outputs (the dict of
    nnet.predict.PosePredictor: 'part_prob', 'pairwise_pred' and, where the network has it,
    'locref', batch axis of 1) and the pairwise statistics ``means``, ``stds`` (J(J-1), 2).

    Every step after the network in one compiled call (lib/people.hpp): candidates, edges of
    linked part pairs within ``gates`` (multiperson.graph.edge_gates) and the settings' offset
    gate, their probabilities, the solver and the assembly, without de-normalising whole maps
    or crossing into Python between stages. ``timings`` (a dict) receives the seconds of the
    'nms', 'pairwise', 'solver' and 'assembly' stages.
    """
    caller = "people_from_raw_outputs"
    j = settings.num_joints
    check_settings(caller, settings.heads.stride, settings.heads.locref_stdev,
                   settings.nms_radius, settings.det_min_score)
    prob, locref, pairwise = raw_arrays(raw, j, caller, settings.heads.num_pairs)
    if not pairwise.size:
        raise InputError(f"{caller}: the network has no pairwise head (pairwise_predict: false); "
                         "multi-person grouping needs it")
    means, stds = statistics(means, stds, j, caller)
    if model.num_joints != j:
        raise InputError(f"{caller}: model: expected a spatial model of the settings' {j} joints, "
                         f"got one of {model.num_joints}")
    poses, scores, problem, stages = people_from_raw(
        prob, locref, pairwise, means, stds, settings.heads.pair_slots,
        *graph_arrays(model, settings.pair_mask, gates, settings.offset_gate),
        float(settings.heads.stride), np.float32(settings.heads.locref_stdev),
        float(settings.nms_radius), np.float32(settings.det_min_score),
        int(settings.min_person_parts), float(settings.duplicate_px))
    if timings is not None:
        for stage, seconds in stages.items():
            timings[stage] = timings.get(stage, 0.0) + seconds
    if problem is not None:
        raise InputError(f"{caller}: {problem}")
    return People(poses, scores)


@dataclass
class MultiPersonPredictor:
    """A loaded network, its pairwise statistics and spatial model: call it on an RGB image.

    ``gates`` are the edge gates those imply (computed here when not given). ``timings`` holds
    the seconds per stage (STAGES) of the last call.
    """

    network: object
    means: np.ndarray
    stds: np.ndarray
    model: SpatialModel
    settings: MultiPersonSettings
    gates: np.ndarray = None

    def __post_init__(self):
        self.timings = {}
        if self.gates is None:
            self.gates = edge_gates(self.means, self.stds, self.model,
                                    self.settings.edge_gate_stds)

    def __call__(self, image) -> People:
        timings = {}
        start = time.perf_counter()
        raw = self.outputs(image)
        _tick(timings, "network", start)
        people = self.people(raw, timings)
        self.timings = timings
        return people

    def outputs(self, image) -> dict:
        """The network's raw outputs of an RGB image resized by global_scale: the first half of
        a call, which a distributed run makes in another process than the second."""
        return self.network(scale_image(np.asarray(image), self.settings.global_scale))

    def people(self, raw, timings=None) -> People:
        """The people, in the image's pixels, of raw outputs made by ``outputs``."""
        scale = self.settings.global_scale
        people = people_from_raw_outputs(raw, self.means, self.stds, self.model, self.settings,
                                         timings, self.gates)
        return people.scaled(1.0 / scale) if scale != 1.0 else people


@dataclass
class SinglePersonPredictor:
    """A network without the pairwise head (one person or animal per image): call it on an RGB
    image for DeeperCut's argmax pose as one person, scored by the mean of its part scores.

    ``timings`` holds the seconds of the network stage of the last call.
    """

    network: object
    """An nnet.predict.PosePredictor (its spec's head layout scales the outputs)."""
    global_scale: float

    def __post_init__(self):
        self.timings = {}

    def __call__(self, image) -> People:
        start = time.perf_counter()
        raw = self.outputs(image)
        self.timings = {}
        _tick(self.timings, "network", start)
        return self.people(raw)

    def outputs(self, image) -> dict:
        """The network's raw outputs of an RGB image resized by global_scale."""
        return self.network(scale_image(np.asarray(image), self.global_scale))

    def people(self, raw, timings=None) -> People:
        """The argmax pose, as one person in the image's pixels, of raw outputs made by ``outputs``."""
        pose = outputs_argmax_pose(raw, self.network.spec.heads, self.global_scale)
        return People(pose[None], np.array([pose[:, 2].mean()]))


class GroupingAssets(NamedTuple):
    """What grouping needs besides the network, read from a config once: its settings, the
    pairwise statistics (means, stds of the offsets, in pixels of the image given), the spatial
    model and the edge gates."""

    settings: MultiPersonSettings
    means: np.ndarray
    stds: np.ndarray
    model: SpatialModel
    gates: np.ndarray
