"""Plain numpy references of the steps after the network, which lib/ implements once in C++
(lib/people.hpp, lib/pairwise.hpp): candidates, edge features and probabilities, assembly, and
the whole grouping of de-normalised outputs. The tests check the compiled steps against them."""
import numpy as np

from lib.multicut import solve
from lib.nms import nms_scoremaps
from multiperson.assemble import People
from multiperson.detections import Detections
from multiperson.graph import build_graph
from multiperson.pairwise import NUM_FEATURES, SAME_PART_BIAS, SAME_PART_COEF, SpatialModel
from nnet.heads import pair_index


def edge_features(xy, grid_xy, offsets, part, first, second) -> np.ndarray:
    """(E, 8) features of the candidate pairs (first[e], second[e]) of different parts.

    ``xy``, ``grid_xy`` (N, 2), ``offsets`` (N, J, 2) and ``part`` (N,) as in Detections.
    Columns: forward length, forward angle, backward length, backward angle, then ``exp(-f)``
    of those four; an angle is in [0, pi] (0 where either vector is zero).
    """
    first, second = np.asarray(first, np.int64), np.asarray(second, np.int64)
    # (2, E, 2): forward (first's cell to second) and backward (second's cell to first)
    real = np.stack([xy[second] - grid_xy[first], xy[first] - grid_xy[second]])
    pred = np.stack([offsets[first, part[second]], offsets[second, part[first]]])
    diff = real - pred
    raw = np.empty((len(first), 8))
    raw[:, 0:4:2] = np.sqrt(diff[..., 0] ** 2 + diff[..., 1] ** 2).T
    cross = real[..., 0] * pred[..., 1] - real[..., 1] * pred[..., 0]
    dot = real[..., 0] * pred[..., 0] + real[..., 1] * pred[..., 1]
    raw[:, 1:4:2] = np.arctan2(np.abs(cross), dot).T
    np.exp(-raw[:, :4], out=raw[:, 4:])
    return raw


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def same_part_probability(distance, coef=SAME_PART_COEF, bias=SAME_PART_BIAS) -> np.ndarray:
    """Probability that two candidates of one part, ``distance`` pixels apart, are one person's
    (DeeperCut's constants by default)."""
    return _sigmoid(np.asarray(bias) - np.asarray(coef) * np.asarray(distance, dtype=np.float64))


def edge_probabilities(model: SpatialModel, xy, grid_xy, offsets, part, first, second):
    """Probability per candidate pair (first[e], second[e]) that both belong to one person.

    Same-part pairs use ``same_part_probability``; pairs of different parts the logistic model of
    their part pair (either order), which must be fitted.
    """
    first, second = np.asarray(first, np.int64), np.asarray(second, np.int64)
    prob = np.empty(len(first))
    k, m = part[first], part[second]
    same = k == m
    ks = k[same]
    prob[same] = same_part_probability(np.linalg.norm(xy[first[same]] - xy[second[same]], axis=1),
                                       model.same_coef[ks], model.same_bias[ks])
    other = ~same
    if other.any():
        a, b = first[other], second[other]
        swap = part[a] > part[b]
        a, b = np.where(swap, b, a), np.where(swap, a, b)
        lo, hi = part[a], part[b]
        missing = ~model.fitted[lo, hi]
        if missing.any():
            pairs = sorted({(int(p), int(q)) for p, q in zip(lo[missing], hi[missing])})
            raise ValueError(f"edge_probabilities: no spatial model for part pairs {pairs[:5]}"
                             f"{' ...' if len(pairs) > 5 else ''}")
        feats = edge_features(xy, grid_xy, offsets, part, a, b)
        coef, bias = model.folded()
        pair = lo * model.num_joints + hi
        z = np.einsum("ef,ef->e", feats, coef.reshape(-1, NUM_FEATURES)[pair])
        prob[other] = _sigmoid(z + bias.reshape(-1)[pair])
    return prob


def _channel_table(joints: int) -> np.ndarray:
    """(J, J) pairwise channel of the ordered part pair (k, m) in DeeperCut's full head; -1 on
    the diagonal."""
    own, other = np.meshgrid(np.arange(joints), np.arange(joints), indexing="ij")
    return np.where(own == other, -1, pair_index(own, other, joints))


def extract_detections(scmap, locref, pairwise, stride: float, nms_radius: float,
                       min_score: float, pair_slots=None) -> Detections:
    """Candidates of every part of one image's network outputs.

    ``scmap`` (h, w, J) part scores; ``locref`` (h, w, J, 2) refinements in pixels or None;
    ``pairwise`` (h, w, P, 2) de-normalised offsets of the head's P pair slots, or None;
    ``pair_slots`` (J, J) the slot of each ordered pair, -1 for none (offset 0); None: DeeperCut's
    full head (pair_index order). Peaks come from lib.nms with ``nms_radius`` cells and threshold
    ``min_score``; a cell's centre is ``(col, row) * stride + stride / 2``.
    """
    scmap = np.asarray(scmap)
    height, width, joints = scmap.shape
    peaks = nms_scoremaps(scmap, nms_radius, min_score)
    grid_xy = np.stack([peaks.col, peaks.row], axis=1).astype(np.float64) * stride + 0.5 * stride
    xy = grid_xy.copy()
    if locref is not None:
        xy += locref[peaks.row, peaks.col, peaks.part]
    offsets = None
    if pairwise is not None:
        table = _channel_table(joints) if pair_slots is None else np.asarray(pair_slots)
        channels = table[peaks.part]
        cell = (peaks.row * width + peaks.col)[:, None]
        flat = np.asarray(pairwise).reshape(height * width, -1, 2)
        offsets = flat[cell, np.maximum(channels, 0)].astype(np.float64)
        offsets[channels < 0] = 0.0
    return Detections(peaks.part, xy, grid_xy, peaks.score.astype(np.float64), offsets, joints)


def distinct_people(poses, radius: float) -> np.ndarray:
    """bool (K,): the people (by falling score) that are not a kept one's body seen again: some
    part of theirs lies farther than ``radius`` from every part of every person kept before."""
    keep = np.ones(len(poses), bool)
    if not radius > 0:
        return keep
    for p, pose in enumerate(poses):
        mine = pose[pose[:, 2] > 0, :2]
        earlier = [q[q[:, 2] > 0, :2] for q in poses[:p][keep[:p]]]
        if not len(mine) or not earlier or not sum(len(e) for e in earlier):
            continue
        theirs = np.concatenate(earlier)
        nearest = np.sqrt(((mine[:, None] - theirs[None]) ** 2).sum(axis=2)).min(axis=1)
        keep[p] = not (nearest <= radius).all()
    return keep


def assemble_people(part, xy, score, cluster, num_joints: int, min_parts: int,
                    duplicate_px: float = 0.0) -> People:
    """Poses of the clusters (cluster >= 0) of the candidates ``part``, ``xy``, ``score``.

    A person's part is the score-weighted mean position of its cluster's candidates of that part
    (DeeperCut), scored by their highest score. Clusters with fewer than ``min_parts`` distinct
    parts are dropped, and so are duplicates within ``duplicate_px`` (distinct_people).
    """
    part = np.asarray(part, dtype=np.int64)
    cluster = np.asarray(cluster, dtype=np.int64)
    keep = cluster >= 0
    count = int(cluster.max()) + 1 if keep.any() else 0
    j = num_joints
    cell = cluster[keep] * j + part[keep]
    value = np.asarray(score, dtype=np.float64)[keep]
    weight = np.maximum(value, 1e-12)  # a zero score still places its part
    total = np.bincount(cell, weight, minlength=count * j)
    sx = np.bincount(cell, weight * xy[keep, 0], minlength=count * j)
    sy = np.bincount(cell, weight * xy[keep, 1], minlength=count * j)
    best = np.zeros(count * j)
    np.maximum.at(best, cell, value)
    found = total > 0
    poses = np.zeros((count * j, 3))
    poses[found, 0] = sx[found] / total[found]
    poses[found, 1] = sy[found] / total[found]
    poses[:, 2] = best
    poses = poses.reshape(count, j, 3)
    parts_found = found.reshape(count, j).sum(axis=1)
    poses = poses[parts_found >= max(1, min_parts)]
    scores = poses[:, :, 2].mean(axis=1) if len(poses) else np.zeros(0)
    order = np.argsort(-scores, kind="stable")
    order = order[distinct_people(poses[order], duplicate_px)]
    return People(poses[order], scores[order])


def people_from_outputs(scmap, locref, pairwise, model: SpatialModel, settings, gates=None) -> People:
    """People (in the network input's pixels) of one image's de-normalised outputs: the numpy
    candidates, the compiled graph (checked against edge_probabilities), the solver and the numpy
    assembly."""
    dets = extract_detections(scmap, locref, pairwise, settings.heads.stride, settings.nms_radius,
                              settings.det_min_score, settings.heads.pair_slots)
    edges, prob = build_graph(dets, model, settings.pair_mask, gates, settings.offset_gate)
    result = solve(dets.score, edges, prob)
    return assemble_people(dets.part, dets.xy, dets.score, result.cluster, dets.num_joints,
                           settings.min_person_parts, settings.duplicate_px)
