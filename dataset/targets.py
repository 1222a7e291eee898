"""Training targets for one image: part score maps and weights, locref and pairwise offsets.

A vectorised version of DeeperCut's ``PoseDataset.compute_targets_and_weights`` (pure numpy, so
it can run inside ``tf.data`` through a numpy function). Score-map cells are centred where
``lib.grid.cell_centres`` puts them, the centres the argmax decoding and the grouping add the
refinement to. Where people overlap, a cell takes
its locref and pairwise targets from the nearest labelled joint of its type (ties: the person
listed first). Channels are laid out as ``nnet.heads`` says.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from lib.grid import cell_centres, first_cell_from
from nnet.heads import HeadLayout, head_layout_from_config, pair_index

__all__ = ["TargetSettings", "compute_targets", "ignored_cells", "target_settings_from_config"]


@dataclass(frozen=True)
class TargetSettings:
    """The head layout the targets are encoded for, and the pose_cfg.yaml values that weigh them.

    ``weigh_part_predictions`` does not change the arrays: ``part_score_weights`` always holds the
    weights and the loss (``nnet.losses``) applies them only when it is true, as DeeperCut did.
    """

    heads: HeadLayout
    pos_dist_thresh: float
    weigh_negatives: bool
    fg_fraction: float
    weigh_only_present_joints: bool


def target_settings_from_config(cfg) -> TargetSettings:
    """The target settings of a loaded ``PoseConfig`` (which must say how many joints there are)."""
    return TargetSettings(
        heads=head_layout_from_config(cfg),
        pos_dist_thresh=float(cfg.pos_dist_thresh),
        weigh_negatives=bool(cfg.weigh_negatives),
        fg_fraction=float(cfg.fg_fraction),
        weigh_only_present_joints=bool(cfg.weigh_only_present_joints),
    )


def _grid_centres(size: tuple[int, int], stride: float) -> tuple[np.ndarray, np.ndarray]:
    """Pixel x of each grid column and y of each grid row (cell centres)."""
    height, width = size
    return cell_centres(np.arange(width), stride), cell_centres(np.arange(height), stride)


def ignored_cells(ignore_mask: Optional[np.ndarray], size: tuple[int, int], stride: float) -> np.ndarray:
    """(h, w) bool: the cells whose centre pixel is set in the H x W ``ignore_mask``.

    A centre at ``c`` lies in the pixel ``floor(c + 0.5)`` (pixel centres at integer coordinates);
    centres that fall outside the image are never ignored.
    """
    if ignore_mask is None:
        return np.zeros(size, dtype=bool)
    mask = np.asarray(ignore_mask, dtype=bool)
    xs, ys = (np.floor(c + 0.5).astype(np.int64) for c in _grid_centres(size, stride))
    inside_x, inside_y = xs < mask.shape[1], ys < mask.shape[0]
    out = np.zeros(size, dtype=bool)
    out[np.ix_(inside_y, inside_x)] = mask[np.ix_(ys[inside_y], xs[inside_x])]
    return out


@dataclass(frozen=True)
class _Positives:
    """One entry per positive (joint, cell): the joint type, the cell, and the nearest person."""

    joint: np.ndarray
    row: np.ndarray
    col: np.ndarray
    person: np.ndarray


def _candidate_cells(jx, jy, size, stride, thresh):
    """For joints at (jx, jy), every (row, col) within ``thresh`` as (N, n * n) arrays, and d^2."""
    n = int(np.floor(2 * thresh / stride)) + 2
    steps = np.arange(n)
    cols = first_cell_from(jx - thresh, stride)[:, None] + steps
    rows = first_cell_from(jy - thresh, stride)[:, None] + steps
    dx2 = (jx[:, None] - cell_centres(cols, stride)) ** 2
    dy2 = (jy[:, None] - cell_centres(rows, stride)) ** 2
    d2 = (dy2[:, :, None] + dx2[:, None, :]).reshape(len(jx), n * n)
    rows = np.repeat(rows, n, axis=1)
    cols = np.tile(cols, (1, n))
    inside = (rows >= 0) & (rows < size[0]) & (cols >= 0) & (cols < size[1])
    return rows, cols, d2, inside & (d2 <= thresh ** 2)


def _positives(joints, labelled, size, stride, thresh) -> _Positives:
    """Positive (joint, cell) pairs, each kept once, for the nearest person (DeeperCut's rule)."""
    person, joint = np.nonzero(labelled)
    rows, cols, d2, keep = _candidate_cells(joints[person, joint, 0], joints[person, joint, 1],
                                            size, stride, thresh)
    entry = np.broadcast_to(np.arange(len(person))[:, None], keep.shape)[keep]
    rows, cols, d2 = rows[keep], cols[keep], d2[keep]
    key = (joint[entry] * size[0] + rows) * size[1] + cols
    order = np.lexsort((person[entry], d2, key))
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    pick = order[first]
    return _Positives(joint[entry][pick], rows[pick], cols[pick], person[entry][pick])


def _part_weights(scmap, labelled_joints, ignored, settings) -> np.ndarray:
    """DeeperCut's part weights: 1, or 0 for absent joints, negatives balanced, 0 where ignored.

    With ``weigh_negatives`` positives weigh 1 and a joint's negatives share
    ``(1 - fg_fraction) / fg_fraction`` times its positive count; a joint with no positive cell
    keeps weight 1 on its negatives (nothing to balance against).
    """
    weights = np.ones(scmap.shape, dtype=np.float32)
    if settings.weigh_only_present_joints:
        weights[:, :, ~labelled_joints] = 0
    weights[ignored] = 0
    if settings.weigh_negatives:
        counted = weights > 0
        positive = counted & (scmap > 0)
        negative = counted & (scmap == 0)
        n_pos = positive.sum(axis=(0, 1))
        n_neg = negative.sum(axis=(0, 1))
        ratio = (1 - settings.fg_fraction) / settings.fg_fraction
        neg_weight = np.where((n_pos > 0) & (n_neg > 0), ratio * n_pos / np.maximum(n_neg, 1), 1.0)
        weights = np.where(negative, neg_weight.astype(np.float32), weights)
    return weights


def _locref(joints, pos, centres, size, settings):
    """Locref targets (h, w, 2J) and mask: (joint - cell centre) / locref_stdev at positives."""
    cx, cy = centres
    j = settings.heads.num_joints
    targets = np.zeros(size + (j, 2), dtype=np.float32)
    mask = np.zeros(size + (j, 2), dtype=np.float32)
    offset = joints[pos.person, pos.joint, :2] - np.stack([cx[pos.col], cy[pos.row]], axis=1)
    targets[pos.row, pos.col, pos.joint] = offset / settings.heads.locref_stdev
    mask[pos.row, pos.col, pos.joint] = 1
    return targets.reshape(size + (2 * j,)), mask.reshape(size + (2 * j,))


def _pairwise(joints, labelled, pos, centres, size, settings, means, stds):
    """Pairwise targets (h, w, 2P) and mask: offsets from the cell to the person's other joints,
    in the head layout's pair slots (P ordered pairs; the statistics are in pair_index order)."""
    cx, cy = centres
    heads = settings.heads
    j = heads.num_joints
    n_pairs = heads.num_pairs
    targets = np.zeros(size + (n_pairs, 2), dtype=np.float32)
    mask = np.zeros(size + (n_pairs, 2), dtype=np.float32)
    slot = heads.pair_slots[pos.joint].astype(np.int64)  # (N, J): slot of (joint, m), -1: none
    second = np.broadcast_to(np.arange(j), slot.shape)
    row = np.where(slot >= 0, pair_index(pos.joint[:, None], second, j), 0)  # statistics' row
    centre = np.stack([cx[pos.col], cy[pos.row]], axis=1)
    offset = joints[pos.person[:, None], second, :2] - centre[:, None, :]
    if means is not None:
        offset = (offset - means[row]) / stds[row]
    valid = labelled[pos.person[:, None], second] & (slot >= 0)
    rows = np.broadcast_to(pos.row[:, None], slot.shape)[valid]
    cols = np.broadcast_to(pos.col[:, None], slot.shape)[valid]
    targets[rows, cols, slot[valid]] = offset[valid]
    mask[rows, cols, slot[valid]] = 1
    return targets.reshape(size + (2 * n_pairs,)), mask.reshape(size + (2 * n_pairs,))


def _check_stats(pairwise_means, pairwise_stds, num_joints):
    """Both statistics arrays as float64 (J(J-1), 2), or (None, None) when not given."""
    if pairwise_means is None and pairwise_stds is None:
        return None, None
    if pairwise_means is None or pairwise_stds is None:
        raise ValueError("compute_targets: give both pairwise_means and pairwise_stds, or neither")
    shape = (num_joints * (num_joints - 1), 2)
    means = np.asarray(pairwise_means, dtype=np.float64)
    stds = np.asarray(pairwise_stds, dtype=np.float64)
    if means.shape != shape or stds.shape != shape:
        raise ValueError(f"compute_targets: expected pairwise means and stds of shape {shape} for "
                         f"{num_joints} joints, got {means.shape} and {stds.shape}")
    return means, stds


def compute_targets(joints, image_size, settings: TargetSettings, pairwise_means=None,
                    pairwise_stds=None, ignore_mask=None, scale: float = 1.0) -> dict:
    """DeeperCut's training targets for one image, as float32 arrays on the (h, w) score-map grid.

    ``joints``: (P, J, 3) x, y, COCO visibility in pixels of the image of ``image_size`` (H, W);
    a joint is a target when its visibility is 1 or 2. ``ignore_mask``: H x W bool, crowd or
    unlabelled people; cells whose centre is masked get part weight 0 and no locref or pairwise
    mask. Pairwise offsets are normalised by ``pairwise_means`` / ``pairwise_stds`` ((J(J-1), 2),
    pair_index order, for every pair whatever the head predicts) when given. A cell is positive for a joint within
    ``pos_dist_thresh * scale`` pixels of its centre (DeeperCut scales the radius with the image;
    ``scale`` is the one the image was resized by).

    Returns 'part_score_targets' and 'part_score_weights' (h, w, J), plus 'locref_targets' and
    'locref_mask' (h, w, 2J) with location_refinement, and 'pairwise_targets' and 'pairwise_mask'
    (h, w, 2P) with pairwise_predict: the head layout's channels, P its ordered pairs (J(J-1)
    for DeeperCut's full head, the sparse graph's otherwise; ``HeadLayout.pairs``).
    """
    heads = settings.heads
    num_joints = heads.num_joints
    joints = np.asarray(joints, dtype=np.float64).reshape(-1, num_joints, 3)
    means, stds = _check_stats(pairwise_means, pairwise_stds, num_joints)
    size = heads.grid(image_size[0], image_size[1])
    labelled = (joints[:, :, 2] > 0) & np.isfinite(joints[:, :, :2]).all(axis=2)
    pos = _positives(joints, labelled, size, heads.stride, settings.pos_dist_thresh * scale)
    ignored = ignored_cells(ignore_mask, size, heads.stride)

    scmap = np.zeros(size + (num_joints,), dtype=np.float32)
    scmap[pos.row, pos.col, pos.joint] = 1
    out = {"part_score_targets": scmap,
           "part_score_weights": _part_weights(scmap, labelled.any(axis=0), ignored, settings)}

    kept = ~ignored[pos.row, pos.col]
    pos = _Positives(pos.joint[kept], pos.row[kept], pos.col[kept], pos.person[kept])
    centres = _grid_centres(size, heads.stride)
    if heads.location_refinement:
        out["locref_targets"], out["locref_mask"] = _locref(joints, pos, centres, size, settings)
    if heads.pairwise_predict:
        out["pairwise_targets"], out["pairwise_mask"] = _pairwise(
            joints, labelled, pos, centres, size, settings, means, stds)
    return out
