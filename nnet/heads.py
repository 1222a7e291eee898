"""The head layout: one record of what the network's heads put in which channel, at what scale.

Built once from the config (``head_layout_from_config``); the network, the targets, the losses,
the detections, the export and the compiled kernels' settings all read it, so none restates a
default. Channel layouts follow DeeperCut: part scores ``k`` for joint ``k``; locref ``2k`` / ``2k + 1``
are x / y of joint ``k`` in units of ``locref_stdev`` pixels; pairwise ``2p`` / ``2p + 1`` are x / y of
the ordered pair ``p = pair_index(k, m, J)``. Pure numpy: importing it does not start TensorFlow.
"""
from dataclasses import dataclass

import numpy as np

__all__ = ["HeadLayout", "grid_size", "head_layout_from_config", "pair_index", "pair_list"]


def pair_index(first, second, num_joints):
    """Channel of the ordered joint pair (first -> second) in DeeperCut's pairwise layout; arrays work."""
    first, second = np.asarray(first), np.asarray(second)
    index = (num_joints - 1) * first + second - (first < second).astype(np.int64)
    return int(index) if index.ndim == 0 else index


def pair_list(num_joints: int) -> np.ndarray:
    """(J(J-1), 2) int array: the ordered pairs (first, second), row ``p`` being pair index ``p``."""
    first, second = np.nonzero(~np.eye(num_joints, dtype=bool))
    return np.stack([first, second], axis=1).astype(np.int64)


def grid_size(height: int, width: int, stride: float) -> tuple[int, int]:
    """Score-map (and network output) size of an H x W image: ``2 * ceil(H / (2 stride))`` by
    ``2 * ceil(W / (2 stride))`` (a stride-16 backbone, then one transposed convolution of stride 2)."""
    coarse = 2 * stride
    return 2 * int(np.ceil(height / coarse)), 2 * int(np.ceil(width / coarse))


@dataclass(frozen=True)
class HeadLayout:
    """Joints, output stride, locref scale and which heads exist; every field comes from the config."""

    num_joints: int
    stride: float
    locref_stdev: float
    location_refinement: bool
    pairwise_predict: bool
    intermediate_supervision: bool

    def __post_init__(self):
        if int(self.num_joints) < 1:
            raise ValueError(f"num_joints must be positive, got {self.num_joints}")
        if not self.stride > 0 or not self.locref_stdev > 0:
            raise ValueError(f"stride and locref_stdev must be positive, got {self.stride} and "
                             f"{self.locref_stdev}")

    @property
    def num_pairs(self) -> int:
        """Number of ordered joint pairs J(J-1), each with two pairwise channels."""
        return self.num_joints * (self.num_joints - 1)

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
    """The head layout of a loaded ``PoseConfig`` (which must say how many joints there are)."""
    return HeadLayout(
        num_joints=cfg.require_joints(),
        stride=float(cfg.stride),
        locref_stdev=float(cfg.locref_stdev),
        location_refinement=bool(cfg.location_refinement),
        pairwise_predict=bool(cfg.pairwise_predict),
        intermediate_supervision=bool(cfg.intermediate_supervision),
    )
