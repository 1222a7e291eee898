"""Fitting the pairwise spatial model from a trained network's detections on labelled images.

Replaces DeeperCut's MATLAB step: every candidate is matched to the nearest labelled joint of
its part (within a radius); each pair of matched candidates of linked, different parts is a
sample, positive when both joints belong to one person. Per part pair a logistic regression on
the min-max scaled features (multiperson.pairwise.edge_features) is fitted with L-BFGS (scipy);
pairs with too few samples of either kind fall back to the model fitted on all pairs together.
Pairs of candidates of one part give the same-part rule, a logistic regression on their
distance per part (two pseudo-samples, same person at distance 0 and different people at the
largest distance seen, keep it defined when one kind is missing).
"""
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy.optimize import minimize

from multiperson.detections import Detections
from multiperson.graph import candidate_edges
from multiperson.pairwise import (NUM_FEATURES, SAME_PART_BIAS, SAME_PART_COEF, SpatialModel,
                                  edge_features)

__all__ = [
    "PairSamples",
    "fit_logistic",
    "fit_spatial_model",
    "match_detections",
    "pair_samples",
]


def match_detections(dets: Detections, joints, radius: float) -> np.ndarray:
    """Per candidate, the index of the person whose labelled joint of its part is nearest and
    within ``radius`` pixels, else -1. ``joints`` (P, J, 3) as x, y, visibility (0: unlabelled)."""
    joints = np.asarray(joints, dtype=np.float64).reshape(-1, dets.num_joints, 3)
    owner = np.full(len(dets), -1, dtype=np.int64)
    if len(dets) == 0 or len(joints) == 0:
        return owner
    target = joints[:, dets.part]  # (P, N, 3)
    dist = np.linalg.norm(target[..., :2] - dets.xy[None], axis=2)
    dist[target[..., 2] <= 0] = np.inf
    best = dist.argmin(axis=0)
    found = dist[best, np.arange(len(dets))] <= radius
    owner[found] = best[found]
    return owner


@dataclass
class PairSamples:
    """Features and labels gathered per unordered part pair (k < m)."""

    num_joints: int
    features: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    same_distances: dict = field(default_factory=dict)
    same_labels: dict = field(default_factory=dict)

    def add_same_part(self, part, distances, labels):
        """Append same-part samples (candidates of ``part[e]``, ``distances[e]`` pixels apart)."""
        for k in np.unique(part):
            sel = part == k
            self.same_distances.setdefault(int(k), []).append(distances[sel])
            self.same_labels.setdefault(int(k), []).append(labels[sel])

    def same_part_arrays(self, part):
        """(distances (n,), labels (n,)) of one part's same-part samples."""
        if part not in self.same_distances:
            return np.zeros(0), np.zeros(0, bool)
        return (np.concatenate(self.same_distances[part]),
                np.concatenate(self.same_labels[part]))

    def add(self, lo, hi, feats, labels):
        """Append samples of the part pairs (lo[e], hi[e])."""
        key = lo * self.num_joints + hi
        order = np.argsort(key, kind="stable")
        key, feats, labels = key[order], feats[order], labels[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        for s, e in zip(starts, np.r_[starts[1:], len(key)]):
            pair = divmod(int(key[s]), self.num_joints)
            self.features.setdefault(pair, []).append(feats[s:e])
            self.labels.setdefault(pair, []).append(labels[s:e])

    def arrays(self, pair):
        """(features (n, 8), labels (n,)) of one pair; empty arrays if none."""
        if pair not in self.features:
            return np.zeros((0, NUM_FEATURES)), np.zeros(0, bool)
        return np.concatenate(self.features[pair]), np.concatenate(self.labels[pair])


def pair_samples(dets: Detections, owner, pair_mask, samples: PairSamples) -> int:
    """Add the samples of one image's matched candidates to ``samples``; return how many."""
    matched = np.flatnonzero(owner >= 0)
    same = candidate_edges(dets.part[matched], np.eye(dets.num_joints, dtype=bool))
    a, b = matched[same[:, 0]], matched[same[:, 1]]
    samples.add_same_part(dets.part[a], np.linalg.norm(dets.xy[a] - dets.xy[b], axis=1),
                          owner[a] == owner[b])
    mask = pair_mask & ~np.eye(dets.num_joints, dtype=bool)
    edges = candidate_edges(dets.part[matched], mask)
    if len(edges) == 0:
        return len(same)
    a, b = matched[edges[:, 0]], matched[edges[:, 1]]
    swap = dets.part[a] > dets.part[b]
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    feats = edge_features(dets.xy, dets.grid_xy, dets.offsets, dets.part, a, b)
    samples.add(dets.part[a].astype(np.int64), dets.part[b].astype(np.int64), feats,
                owner[a] == owner[b])
    return len(a) + len(same)


def fit_logistic(features, labels, l2: float = 1e-3):
    """Weights (9, bias last), x_min (8) and x_max (8) of an L2-regularised logistic regression."""
    features = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    x_min, x_max = features.min(axis=0), features.max(axis=0)
    span = np.where(x_max > x_min, x_max - x_min, 1.0)
    x = np.column_stack([(features - x_min) / span, np.ones(len(features))])
    n = len(y)

    def loss(w):
        z = x @ w
        value = np.sum(np.logaddexp(0.0, z) - y * z) / n + l2 * np.dot(w[:-1], w[:-1])
        p = 0.5 * (1.0 + np.tanh(0.5 * z))
        grad = x.T @ (p - y) / n
        grad[:-1] += 2 * l2 * w[:-1]
        return value, grad

    result = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B",
                      options={"maxiter": 500})
    return result.x, x_min, x_min + span


class PairFit(NamedTuple):
    """How one part pair (k < m) was fitted: its samples, the accuracy on them, and whether it
    got a model of its own or the pooled one (too few samples)."""

    k: int
    m: int
    positives: int
    negatives: int
    accuracy: float
    kind: str
    """'own' or 'pooled'."""


def fit_spatial_model(samples: PairSamples, pairs, min_samples: int = 20,
                      max_samples: int = 50000, seed: int = 0) -> tuple[SpatialModel, list[PairFit]]:
    """The SpatialModel of ``pairs`` ((P, 2), k < m) and how each pair was fitted (PairFit)."""
    rng = np.random.default_rng(seed)
    data = {}
    for k, m in pairs:
        feats, labels = samples.arrays((int(k), int(m)))
        if len(labels) > max_samples:
            keep = rng.choice(len(labels), max_samples, replace=False)
            feats, labels = feats[keep], labels[keep]
        data[(int(k), int(m))] = (feats, labels)
    every = [v for v in data.values() if len(v[1])]
    if not every:
        raise ValueError("fit_spatial_model: no samples at all: no candidate was matched to a "
                         "labelled joint (is the network trained, and the data set the right one?)")
    pooled_x = np.concatenate([f for f, _ in every])
    pooled_y = np.concatenate([l for _, l in every])
    if pooled_y.all() or not pooled_y.any():
        raise ValueError("fit_spatial_model: every sample has the same label; images with "
                         "several people are needed to fit the model")
    pooled = fit_logistic(pooled_x, pooled_y)
    model = SpatialModel.empty(samples.num_joints)
    report = []
    for (k, m), (feats, labels) in data.items():
        positives = int(labels.sum())
        negatives = len(labels) - positives
        own = min(positives, negatives) >= min_samples
        w, lo, hi = fit_logistic(feats, labels) if own else pooled
        model = model.with_pair(k, m, w, lo, hi)
        accuracy = float("nan")
        if len(labels):
            span = np.where(hi > lo, hi - lo, 1.0)
            z = ((feats - lo) / span) @ w[:-1] + w[-1]
            accuracy = float(np.mean((z > 0) == labels))
        report.append(PairFit(k, m, positives, negatives, accuracy, "own" if own else "pooled"))
    coef, bias = _fit_same_part(samples, rng, max_samples)
    return model.with_same_part(coef, bias), report


def _fit_same_part(samples: PairSamples, rng, max_samples):
    """Per part (coef, bias) of p = sigmoid(bias - coef * distance), with pseudo-samples."""
    j = samples.num_joints
    coef, bias = np.full(j, SAME_PART_COEF), np.full(j, SAME_PART_BIAS)
    for k in range(j):
        dist, labels = samples.same_part_arrays(k)
        if len(dist) == 0:
            continue
        if len(dist) > max_samples:
            keep = rng.choice(len(dist), max_samples, replace=False)
            dist, labels = dist[keep], labels[keep]
        far = max(float(dist.max()), 1.0)
        dist = np.r_[dist, 0.0, far]
        labels = np.r_[labels, True, False]
        w, lo, hi = fit_logistic(dist[:, None], labels)
        span = hi[0] - lo[0]
        coef[k] = -w[0] / span
        bias[k] = w[1] - w[0] * lo[0] / span
    return coef, bias
