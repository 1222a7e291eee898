"""Oracle network outputs: the training targets of the ground truth, with noise.

Running the grouping on these instead of the network's outputs measures what grouping alone
loses (the oracle's AP) apart from detection errors (the gap to the network's AP).
"""
from dataclasses import dataclass

import numpy as np

from dataset.targets import TargetSettings, compute_targets

__all__ = ["OracleNoise", "oracle_outputs"]


@dataclass(frozen=True)
class OracleNoise:
    """Noise of the oracle: score-map values jitter by ``score`` (uniform, positives only),
    locref by a normal of ``locref_px`` pixels, pairwise offsets by a normal of
    ``pairwise_px`` pixels plus ``pairwise_rel`` times the offset's length."""

    score: float = 0.2
    locref_px: float = 1.0
    pairwise_px: float = 2.0
    pairwise_rel: float = 0.1


def _pair_noise(rng, heads, height, width):
    """(h, w, P, 2) standard normal noise of the head's pair slots: the draws of DeeperCut's full
    head (h, w, J(J-1), 2) at the slots' pairs, so that a sparse head's oracle outputs are the
    full head's channels (drawn a grid row at a time: a full head of many joints is large)."""
    pairs = heads.num_joints * (heads.num_joints - 1)
    if heads.full_pairs:
        return rng.normal(0.0, 1.0, (height, width, pairs, 2))
    return np.stack([rng.normal(0.0, 1.0, (width, pairs, 2))[:, heads.pair_rows]
                     for _ in range(height)])


def oracle_outputs(joints, image_size, settings: TargetSettings, means, stds,
                   noise: OracleNoise = OracleNoise(), rng=None) -> dict:
    """Raw outputs of the ground truth ``joints`` (P, J, 3) in an image of ``image_size`` (H, W),
    in the form nnet.predict.PosePredictor gives the network's (batch axis of 1, float32):
    'part_prob' (1, h, w, J), 'locref' (1, h, w, 2J) in units of locref_stdev, 'pairwise_pred'
    (1, h, w, 2P) in the head layout's P pair slots, normalised by the pairwise statistics
    ``means``, ``stds`` (J(J-1), 2, pair_index order).

    The noise is drawn in pixels, the same for a pair whether the head is DeeperCut's full one or
    a sparse one (whose outputs are then the full head's at its slots). Cells without a target
    get score 0, locref 0 and the mean pairwise offset. ``settings``' head layout needs location_refinement and pairwise_predict.
    """
    rng = np.random.default_rng(rng)
    heads = settings.heads
    targets = compute_targets(joints, image_size, settings, means, stds)
    scmap = targets["part_score_targets"].astype(np.float64)
    positive = scmap > 0
    scmap[positive] -= rng.uniform(0.0, noise.score, positive.sum())
    h, w, j = scmap.shape
    locref = targets["locref_targets"].reshape(h, w, j, 2) * heads.locref_stdev
    locref = locref + rng.normal(0.0, noise.locref_px, locref.shape) * positive[..., None]
    means, stds = np.asarray(means)[heads.pair_rows], np.asarray(stds)[heads.pair_rows]
    pairwise = targets["pairwise_targets"].reshape(h, w, -1, 2) * stds + means
    known = targets["pairwise_mask"].reshape(h, w, -1, 2) > 0
    pairwise = np.where(known, pairwise, means)
    length = np.linalg.norm(pairwise, axis=-1, keepdims=True)
    pairwise = pairwise + _pair_noise(rng, heads, h, w) * (
        noise.pairwise_px + noise.pairwise_rel * length)
    return {"part_prob": scmap.astype(np.float32)[None],
            "locref": (locref / heads.locref_stdev).reshape(1, h, w, 2 * j).astype(np.float32),
            "pairwise_pred": ((pairwise - means) / stds).reshape(1, h, w, -1).astype(np.float32)}
