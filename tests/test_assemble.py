"""multiperson.assemble: score-weighted parts per cluster, person scores, small clusters dropped."""
import numpy as np

from multiperson.assemble import assemble_people


def test_weighted_average_scores_and_order():
    part = np.array([0, 0, 1, 0, 1, 2, 2])
    xy = np.array([[0, 0], [10, 10], [5, 5], [100, 100], [110, 100], [120, 100], [0, 0]], float)
    score = np.array([0.2, 0.6, 0.5, 0.9, 0.9, 0.9, 0.4])
    cluster = np.array([0, 0, 0, 1, 1, 1, -1])
    people = assemble_people(part, xy, score, cluster, 3, min_parts=1)
    assert people.poses.shape == (2, 3, 3)
    # cluster 1 scores higher (0.9 on every part) and comes first
    np.testing.assert_allclose(people.scores, [0.9, (0.6 + 0.5) / 3])
    np.testing.assert_allclose(people.poses[0], [[100, 100, 0.9], [110, 100, 0.9], [120, 100, 0.9]])
    np.testing.assert_allclose(people.poses[1, 0], [7.5, 7.5, 0.6])  # (0.2*0 + 0.6*10) / 0.8
    np.testing.assert_allclose(people.poses[1, 2], [0, 0, 0])


def test_small_clusters_are_dropped_and_empty_input():
    part = np.array([0, 1, 0])
    xy = np.zeros((3, 2))
    people = assemble_people(part, xy, np.ones(3), np.array([0, 0, 1]), 2, min_parts=2)
    assert len(people.poses) == 1
    empty = assemble_people(part, xy, np.ones(3), np.full(3, -1), 2, min_parts=1)
    assert empty.poses.shape == (0, 2, 3) and empty.scores.shape == (0,)
    np.testing.assert_allclose(people.scaled(2.0).poses[..., 2], people.poses[..., 2])
