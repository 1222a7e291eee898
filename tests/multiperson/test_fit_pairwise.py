"""multiperson.fit_pairwise: matching, samples, logistic fits against scipy's own optimum."""
import numpy as np
import pytest
from scipy.optimize import minimize

from multiperson.detections import Detections
from multiperson.fit_pairwise import (PairSamples, fit_logistic, fit_spatial_model,
                                      match_detections, pair_samples)
from multiperson.graph import part_pair_mask


def _dets(part, xy, num_joints=2):
    xy = np.asarray(xy, float)
    offsets = np.zeros((len(part), num_joints, 2))
    return Detections(np.asarray(part), xy, xy.copy(), np.ones(len(part)), offsets, num_joints)


def test_match_nearest_labelled_joint_within_radius():
    joints = np.array([[[0, 0, 2], [10, 0, 2]], [[100, 0, 2], [110, 0, 0]]], float)
    dets = _dets([0, 0, 1, 1, 0], [[1, 0], [98, 0], [12, 0], [109, 0], [50, 0]])
    assert match_detections(dets, joints, 5.0).tolist() == [0, 1, 0, -1, -1]
    assert match_detections(dets, joints[:0], 5.0).tolist() == [-1] * 5


def test_samples_are_labelled_by_person():
    dets = _dets([0, 1, 0, 1, 1], [[0, 0], [10, 0], [100, 0], [110, 0], [300, 0]])
    owner = np.array([0, 0, 1, 1, -1])
    samples = PairSamples(2)
    assert pair_samples(dets, owner, part_pair_mask([], 2), samples) == 4 + 2
    feats, labels = samples.arrays((0, 1))
    assert feats.shape == (4, 8) and sorted(labels.tolist()) == [False, False, True, True]
    dist, same = samples.same_part_arrays(0)
    np.testing.assert_allclose(dist, [100.0])
    assert not same.any()


def test_logistic_fit_reaches_the_regularised_optimum():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = (x @ [1.5, -2.0, 0.5] + 0.3 + rng.logistic(size=400)) > 0
    w, lo, hi = fit_logistic(x, y, l2=1e-3)
    z = np.column_stack([(x - lo) / (hi - lo), np.ones(400)])

    def loss(v):
        s = z @ v
        return np.mean(np.logaddexp(0, s) - y * s) + 1e-3 * v[:-1] @ v[:-1]

    reference = minimize(loss, np.zeros(4), method="BFGS").fun
    assert loss(w) <= reference + 1e-7
    np.testing.assert_allclose([lo, hi], [x.min(0), x.max(0)])


def test_spatial_model_separates_people_and_falls_back_to_pooled():
    rng = np.random.default_rng(1)
    samples = PairSamples(3)
    n = 300
    labels = rng.random(n) < 0.4
    feats = np.where(labels[:, None], rng.normal(2, 1, (n, 8)), rng.normal(20, 5, (n, 8)))
    samples.add(np.zeros(n, int), np.ones(n, int), feats, labels)
    samples.add(np.ones(5, int), np.full(5, 2), feats[:5], labels[:5])
    samples.add_same_part(np.zeros(n, int), np.where(labels, 5.0, 60.0) + rng.random(n), labels)
    model, report = fit_spatial_model(samples, np.array([[0, 1], [1, 2]]))
    assert [(r.k, r.m, r.kind) for r in report] == [(0, 1, "own"), (1, 2, "pooled")]
    assert report[0].accuracy > 0.95 and model.fitted[0, 1] and model.fitted[1, 2]
    assert report[0].positives > 0 and report[0].negatives > 0
    # the same-part rule: near means same person, far means different
    p = 1 / (1 + np.exp(model.same_coef[0] * np.array([5.0, 60.0]) - model.same_bias[0]))
    assert p[0] > 0.9 and p[1] < 0.1
    assert model.same_coef[2] == pytest.approx(0.2)  # no samples: DeeperCut's constant
    with pytest.raises(ValueError, match="no samples"):
        fit_spatial_model(PairSamples(3), np.array([[0, 1]]))
