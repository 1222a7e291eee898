"""The head layout: one record of what the network's heads put in which channel, at what scale.

Built once from the config (``head_layout_from_config``); the network, the targets, the losses,
the detections, the export and the compiled kernels' settings all read it, so none restates a
default. Channel layouts follow DeeperCut: part scores ``k`` for joint ``k``; locref ``2k`` / ``2k + 1``
are x / y of joint ``k`` in units of ``locref_stdev`` pixels; pairwise ``2p`` / ``2p + 1`` are x / y of
the ``s``-th ordered pair the head predicts (``HeadLayout.pairs``, in pair_index order): with
every pair (DeeperCut's head, an empty sparse_graph) slot ``s`` is ``p = pair_index(k, m, J)``;
with a sparse graph only both directions of its linked pairs get channels. Pure numpy: importing
it does not start TensorFlow.
"""
import logging
from dataclasses import dataclass
from functools import cached_property

import numpy as np

log = logging.getLogger(__name__)

FULL_HEAD_WARNING_CHANNELS = 1000
"""A full pairwise head (every pair) of more channels than this is built with a warning: 24 or
more joints without a sparse_graph or keypoint format (COCO-WholeBody's 133 would get 35,112)."""

__all__ = ["FULL_HEAD_WARNING_CHANNELS", "HeadLayout", "default_sparse_graph", "grid_size", "head_layout_from_config",
           "pair_index", "pair_list", "predicted_pairs"]


def pair_index(first, second, num_joints):
    """Channel of the ordered joint pair (first -> second) in DeeperCut's pairwise layout; arrays work."""
    first, second = np.asarray(first), np.asarray(second)
    index = (num_joints - 1) * first + second - (first < second).astype(np.int64)
    return int(index) if index.ndim == 0 else index


def pair_list(num_joints: int) -> np.ndarray:
    """(J(J-1), 2) int array: the ordered pairs (first, second), row ``p`` being pair index ``p``."""
    first, second = np.nonzero(~np.eye(num_joints, dtype=bool))
    return np.stack([first, second], axis=1).astype(np.int64)


def default_sparse_graph(skeleton, num_joints: int, hops: int = 4) -> np.ndarray:
    """(P, 2) part pairs (k < m) at most ``hops`` skeleton edges apart: a keypoint format's default.

    Linking parts well beyond the drawn skeleton gives the solver redundant evidence. Measured
    on the synthetic people with oracle detections (COCO-17): AP 75.5 with two hops (45 pairs),
    80.4 with three (78), 81.1 with four (110) and 81.1 with all 136 pairs; four hops keep the
    graph local in formats with many joints (hands, faces).
    """
    adjacency = np.eye(num_joints, dtype=bool)
    for a, b in skeleton:
        adjacency[a, b] = adjacency[b, a] = True
    reach = adjacency.copy()
    for _ in range(hops - 1):
        reach = reach | ((reach.astype(np.int64) @ adjacency.astype(np.int64)) > 0)
    return np.argwhere(np.triu(reach, 1)).astype(np.int64)


def predicted_pairs(graph, num_joints: int) -> tuple[tuple[int, int], ...]:
    """The ordered pairs (k, m) a pairwise head predicts for the part-pair ``graph`` ((P, 2) joint
    ids, either direction; same-part pairs need no channel): both directions of every linked
    pair, in pair_index order. An empty graph means every pair (DeeperCut's J(J-1))."""
    edges = np.asarray(graph, dtype=np.int64).reshape(-1, 2)
    if len(edges) == 0:
        return tuple(map(tuple, pair_list(num_joints).tolist()))
    if edges.min() < 0 or edges.max() >= num_joints:
        bad = edges[(edges < 0).any(1) | (edges >= num_joints).any(1)]
        raise ValueError(f"sparse_graph: expected joint ids in 0..{num_joints - 1}, got {bad.tolist()}")
    linked = np.zeros((num_joints, num_joints), dtype=bool)
    linked[edges[:, 0], edges[:, 1]] = linked[edges[:, 1], edges[:, 0]] = True
    np.fill_diagonal(linked, False)
    return tuple(map(tuple, np.argwhere(linked).tolist()))  # row-major: pair_index order


def grid_size(height: int, width: int, stride: float) -> tuple[int, int]:
    """Score-map (and network output) size of an H x W image: ``2 * ceil(H / (2 stride))`` by
    ``2 * ceil(W / (2 stride))`` (a stride-16 backbone, then one transposed convolution of stride 2)."""
    coarse = 2 * stride
    return 2 * int(np.ceil(height / coarse)), 2 * int(np.ceil(width / coarse))


@dataclass(frozen=True)
class HeadLayout:
    """Joints, output stride, locref scale, which heads exist and which ordered part pairs the
    pairwise head predicts; every field comes from the config."""

    num_joints: int
    stride: float
    locref_stdev: float
    location_refinement: bool
    pairwise_predict: bool
    intermediate_supervision: bool
    pairs: tuple | None = None
    """Ordered pairs (k, m), k != m, of the pairwise head's slots (channels 2s, 2s + 1), in
    pair_index order (see predicted_pairs); None: all J(J-1) pairs, DeeperCut's head."""

    def __post_init__(self):
        if int(self.num_joints) < 1:
            raise ValueError(f"num_joints must be positive, got {self.num_joints}")
        if not self.stride > 0 or not self.locref_stdev > 0:
            raise ValueError(f"stride and locref_stdev must be positive, got {self.stride} and "
                             f"{self.locref_stdev}")
        j = int(self.num_joints)
        if self.pairs is None:
            object.__setattr__(self, "pairs", tuple(map(tuple, pair_list(j).tolist())))
            return
        pairs = np.asarray(self.pairs, dtype=np.int64).reshape(-1, 2)
        if len(pairs) and (pairs.min() < 0 or pairs.max() >= j or (pairs[:, 0] == pairs[:, 1]).any()):
            raise ValueError(f"pairs: expected ordered pairs of two different joints in 0..{j - 1}, "
                             f"got {pairs[(pairs < 0).any(1) | (pairs >= j).any(1) | (pairs[:, 0] == pairs[:, 1])].tolist()[:5]}")
        index = pair_index(pairs[:, 0], pairs[:, 1], j) if len(pairs) else np.zeros(0, np.int64)
        if (np.diff(index) <= 0).any():
            raise ValueError("pairs: expected each ordered pair once, in pair_index order, got "
                             f"{pairs[:6].tolist()}...")
        object.__setattr__(self, "pairs", tuple(map(tuple, pairs.tolist())))

    @property
    def num_pairs(self) -> int:
        """Number of ordered joint pairs the pairwise head predicts, each with two channels:
        J(J-1) for DeeperCut's full head, both directions of each linked pair for a sparse one."""
        return len(self.pairs)

    @property
    def full_pairs(self) -> bool:
        """True when the pairwise head predicts every ordered pair (DeeperCut's layout)."""
        return self.num_pairs == self.num_joints * (self.num_joints - 1)

    @cached_property
    def pair_rows(self) -> np.ndarray:
        """int64 (P,): pair_index of each slot, the rows of DeeperCut-ordered pairwise statistics
        ((J(J-1), 2), dataset.pairwise_stats) that belong to the head's slots."""
        pairs = np.asarray(self.pairs, dtype=np.int64).reshape(-1, 2)
        rows = pair_index(pairs[:, 0], pairs[:, 1], self.num_joints) if len(pairs) else np.zeros(0)
        rows = np.asarray(rows, dtype=np.int64)
        rows.setflags(write=False)
        return rows

    @cached_property
    def pair_slots(self) -> np.ndarray:
        """int32 (J, J): the pairwise head's slot of the ordered pair (k, m), -1 where it has none
        (same-part pairs, pairs off the sparse graph); the table the compiled grouping reads."""
        j = self.num_joints
        slots = np.full((j, j), -1, dtype=np.int32)
        pairs = np.asarray(self.pairs, dtype=np.int64).reshape(-1, 2)
        slots[pairs[:, 0], pairs[:, 1]] = np.arange(len(pairs), dtype=np.int32)
        slots.setflags(write=False)
        return slots

    def pair_slot(self, first, second):
        """Slot of the ordered pair (first -> second) in the pairwise head (channels 2s, 2s + 1),
        or -1 where the head has none; arrays work. Joint ids out of range are a ValueError."""
        first, second = np.asarray(first, dtype=np.int64), np.asarray(second, dtype=np.int64)
        j = self.num_joints
        if ((first < 0) | (first >= j) | (second < 0) | (second >= j)).any():
            raise ValueError(f"pair_slot: expected joint ids in 0..{j - 1}, got {first.tolist()} "
                             f"and {second.tolist()}")
        slot = self.pair_slots[first, second].astype(np.int64)
        return int(slot) if slot.ndim == 0 else slot

    def grid(self, height: int, width: int) -> tuple[int, int]:
        """Output size (h, w) for an H x W input."""
        return grid_size(height, width, self.stride)

    def channels(self, intermediate: bool = True) -> dict:
        """Output channels of each enabled head, in DeeperCut's order; ``intermediate`` says whether
        the backbone has the intermediate layer the extra part head needs (ResNets do)."""
        j = self.num_joints
        channels = {"part_pred": j}
        if self.location_refinement:
            channels["locref"] = 2 * j
        if self.pairwise_predict:
            channels["pairwise_pred"] = 2 * self.num_pairs
        if self.intermediate_supervision and intermediate:
            channels["part_pred_interm"] = j
        return channels


def head_layout_from_config(cfg) -> HeadLayout:
    """The head layout of a loaded ``PoseConfig`` (which must say how many joints there are).

    The pairwise head predicts the pairs of the config's grouping graph (``cfg.linked_pairs``:
    sparse_graph, or a keypoint format's default graph; empty: every pair, as DeeperCut).
    """
    joints = cfg.require_joints()
    pairs = predicted_pairs(cfg.linked_pairs, joints)
    if cfg.pairwise_predict and 2 * len(pairs) > FULL_HEAD_WARNING_CHANNELS and not cfg.linked_pairs:
        log.warning("%s: sparse_graph: empty and no keypoint_format, so the pairwise head predicts "
                    "every pair of the %d joints (%d channels); give a sparse_graph (or a "
                    "keypoint_format with a skeleton) to predict only the pairs the grouping "
                    "links", getattr(cfg, "source", "config"), joints, 2 * len(pairs))
    return HeadLayout(
        num_joints=joints,
        stride=float(cfg.stride),
        locref_stdev=float(cfg.locref_stdev),
        location_refinement=bool(cfg.location_refinement),
        pairwise_predict=bool(cfg.pairwise_predict),
        intermediate_supervision=bool(cfg.intermediate_supervision),
        pairs=pairs,
    )
