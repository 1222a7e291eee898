"""Pairwise offset statistics: exact values on hand-made people, DeeperCut's .mat layout, errors."""
import logging

import numpy as np
import pytest
import scipy.io as sio

from dataset.pairwise_stats import (MIN_STD, PairwiseStats, compute_pairwise_stats, load_pairwise_stats,
                                    pair_list, save_pairwise_stats)
from lib.errors import DatasetError

# Three joints; pair indices (0,1)=0 (0,2)=1 (1,0)=2 (1,2)=3 (2,0)=4 (2,1)=5.
P1 = np.array([(0, 0, 2), (2, 4, 2), (10, 0, 2)], dtype=float)
P2 = np.array([(10, 10, 2), (16, 10, 2), (0, 0, 0)], dtype=float)
P3 = np.array([(5, 5, 1), (0, 0, 0), (5, 9, 2)], dtype=float)


def hand_made():
    """P1 alone, then an image holding P2 and P3 (both shapes are accepted)."""
    return compute_pairwise_stats(iter([P1, np.stack([P2, P3])]), num_joints=3)


def test_statistics_of_hand_made_people():
    stats = hand_made()
    # (0,1): offsets (2,4), (6,0); (0,2): (10,0), (0,4); (1,2): (8,-4) once -> std floored.
    np.testing.assert_allclose(stats.means, [(4, 2), (5, 2), (-4, -2), (8, -4), (-5, -2), (-8, 4)])
    np.testing.assert_allclose(stats.stds, [(2, 2), (5, 2), (2, 2), (MIN_STD, MIN_STD), (5, 2),
                                            (MIN_STD, MIN_STD)])
    np.testing.assert_array_equal(stats.counts, [2, 2, 2, 1, 2, 1])
    assert stats.num_joints == 3


def test_scale_multiplies_offsets():
    stats = compute_pairwise_stats([P1, P2, P3], num_joints=3, scale=2.0)
    np.testing.assert_allclose(stats.means[0], (8, 4))
    np.testing.assert_allclose(stats.stds[1], (10, 4))
    np.testing.assert_allclose(stats.stds[3], (MIN_STD, MIN_STD))  # the floor is in scaled pixels
    np.testing.assert_allclose(hand_made().scaled(2.0).means, stats.means)


def test_matches_numpy_on_random_people_in_many_pieces():
    rng = np.random.default_rng(1)
    people = np.concatenate([rng.normal(100, 30, (40, 5, 2)), rng.integers(0, 3, (40, 5, 1))], axis=2)
    stats = compute_pairwise_stats([people[i:i + 3] for i in range(0, 40, 3)], num_joints=5)
    for p, (k, m) in enumerate(pair_list(5)):
        both = (people[:, k, 2] > 0) & (people[:, m, 2] > 0)
        offsets = people[both, m, :2] - people[both, k, :2]
        assert stats.counts[p] == both.sum()
        np.testing.assert_allclose(stats.means[p], offsets.mean(axis=0), rtol=1e-9)
        np.testing.assert_allclose(stats.stds[p], offsets.std(axis=0), rtol=1e-9)


def test_unseen_pairs_get_mean_0_std_1_and_are_logged(caplog):
    pad = np.zeros((1, 3))
    with caplog.at_level(logging.WARNING, logger="dataset.pairwise_stats"):
        stats = compute_pairwise_stats([np.vstack([P, pad]) for P in (P1, P2, P3)], num_joints=4)
    unseen = (pair_list(4) == 3).any(axis=1)
    assert (stats.counts[unseen] == 0).all() and (stats.means[unseen] == 0).all()
    assert (stats.stds[unseen] == 1).all()
    assert len(caplog.records) == 1 and "6 of 12" in caplog.records[0].getMessage()


def test_mat_round_trip(tmp_path):
    stats = hand_made()
    path = tmp_path / "pairwise_stats.mat"
    save_pairwise_stats(stats, path)
    loaded = load_pairwise_stats(path, num_joints=3)
    np.testing.assert_array_equal(loaded.means, stats.means)
    np.testing.assert_array_equal(loaded.stds, stats.stds)
    np.testing.assert_array_equal(loaded.counts, stats.counts)
    np.testing.assert_allclose(load_pairwise_stats(path, 3, scale=0.5).stds, stats.stds * 0.5)


def test_a_one_based_graph_reads_as_the_same_pairs(tmp_path):
    stats = hand_made()
    save_pairwise_stats(stats, tmp_path / "zero.mat")
    mat = sio.loadmat(tmp_path / "zero.mat")
    order = np.array([3, 0, 5, 1, 4, 2])
    sio.savemat(tmp_path / "one.mat", {"graph": mat["graph"][order] + 1, "means": mat["means"][order],
                                       "std_devs": mat["std_devs"][order]})
    loaded = load_pairwise_stats(tmp_path / "one.mat", num_joints=3, one_based=True)
    np.testing.assert_array_equal(loaded.means, stats.means)
    np.testing.assert_array_equal(loaded.stds, stats.stds)
    with pytest.raises(DatasetError, match="zero.mat: graph: expected 1-based joint ids"):
        load_pairwise_stats(tmp_path / "zero.mat", num_joints=3, one_based=True)


def test_file_reads_like_deepercuts_loader(tmp_path):
    path = tmp_path / "pairwise_stats.mat"
    save_pairwise_stats(hand_made(), path)
    mat = sio.loadmat(path)  # pose-tensorflow's load_pairwise_stats: 0-based pairs as keys
    by_pair = {tuple(int(i) for i in mat["graph"][row]): (mat["means"][row], mat["std_devs"][row])
               for row in range(len(mat["graph"]))}
    np.testing.assert_allclose(by_pair[(0, 2)][0], (5, 2))
    np.testing.assert_allclose(by_pair[(2, 1)][0], (-8, 4))
    assert len(by_pair) == 6


def test_rows_in_another_order(tmp_path):
    stats = hand_made()
    order = np.array([5, 2, 0, 4, 1, 3])
    path = tmp_path / "shuffled.mat"
    sio.savemat(path, {"graph": pair_list(3)[order].astype(float),  # as MATLAB writes it: doubles
                       "means": stats.means[order], "std_devs": stats.stds[order]})
    loaded = load_pairwise_stats(path, num_joints=3)
    np.testing.assert_array_equal(loaded.means, stats.means)
    np.testing.assert_array_equal(loaded.stds, stats.stds)
    assert (loaded.counts == -1).all(), "no counts in the file: unknown"


def write(path, **fields):
    base = {"graph": pair_list(3), "means": np.zeros((6, 2)), "std_devs": np.ones((6, 2))}
    base.update(fields)
    sio.savemat(path, {k: v for k, v in base.items() if v is not None})
    return path


@pytest.mark.parametrize("fields, message", [
    ({"std_devs": None}, "std_devs: missing"),
    ({"graph": None}, "graph: missing"),
    ({"means": np.zeros((6, 3))}, r"means: expected a numeric array of shape \(n, 2\)"),
    ({"means": np.zeros((5, 2))}, "means: expected 6 rows"),
    ({"std_devs": np.zeros((6, 2))}, "std_devs: expected values > 0"),
    ({"graph": pair_list(3)[[0, 0, 1, 2, 3, 4]]}, "graph: expected each ordered joint pair once"),
    ({"graph": pair_list(3) - 1}, "graph: expected 0-based joint ids"),
    ({"graph": pair_list(3) + 0.5}, "graph: expected 0-based joint ids"),
])
def test_malformed_files(tmp_path, fields, message):
    path = write(tmp_path / "bad.mat", **fields)
    with pytest.raises(DatasetError, match=message) as err:
        load_pairwise_stats(path, num_joints=3)
    assert str(path) in str(err.value)


def test_joint_count_mismatch_and_unreadable_files(tmp_path):
    path = tmp_path / "pairwise_stats.mat"
    save_pairwise_stats(hand_made(), path)
    with pytest.raises(DatasetError, match="joint count mismatch.*num_joints=4"):
        load_pairwise_stats(path, num_joints=4)
    with pytest.raises(DatasetError, match="joint count mismatch.*num_joints=2"):
        load_pairwise_stats(path, num_joints=2)
    with pytest.raises(DatasetError, match="not found"):
        load_pairwise_stats(tmp_path / "missing.mat", num_joints=3)
    text = tmp_path / "text.mat"
    text.write_text("not a mat file")
    with pytest.raises(DatasetError, match="cannot read as a MATLAB .mat file"):
        load_pairwise_stats(text, num_joints=3)


def test_bad_joint_arrays():
    with pytest.raises(ValueError, match=r"\(J, 3\) or \(P, J, 3\)"):
        compute_pairwise_stats([np.zeros((4, 3))], num_joints=3)
    assert isinstance(compute_pairwise_stats([], num_joints=2), PairwiseStats)
