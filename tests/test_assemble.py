"""multiperson.assemble: score-weighted parts per cluster, person scores, small clusters dropped
(lib/people.hpp), by hand and against the numpy reference."""
import numpy as np
import pytest

import grouping_reference as ref
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
    none = assemble_people(np.zeros(0), np.zeros((0, 2)), np.zeros(0), np.zeros(0), 4, 1)
    assert none.poses.shape == (0, 4, 3)
    np.testing.assert_allclose(people.scaled(2.0).poses[..., 2], people.poses[..., 2])


@pytest.mark.parametrize("min_parts", [1, 3])
def test_the_compiled_assembly_is_the_numpy_reference(min_parts):
    rng = np.random.default_rng(min_parts)
    n, j = 300, 7
    part = np.sort(rng.integers(0, j, n))
    xy = rng.uniform(0, 500, (n, 2))
    score = rng.random(n)
    score[:5] = 0.0
    cluster = rng.integers(-1, 40, n)
    got = assemble_people(part, xy, score, cluster, j, min_parts)
    want = ref.assemble_people(part, xy, score, cluster, j, min_parts)
    assert len(want.poses) > 20
    np.testing.assert_allclose(got.poses, want.poses, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got.scores, want.scores, rtol=1e-12)


def test_parts_outside_the_joints_and_shapes_that_disagree_are_refused():
    with pytest.raises(ValueError, match=r"parts must lie in \[0, 2\)"):
        assemble_people([0, 2], np.zeros((2, 2)), np.ones(2), [0, 0], 2, 1)
    with pytest.raises(ValueError, match=r"assemble_people: score: expected shape \(2,\)"):
        assemble_people([0, 1], np.zeros((2, 2)), np.ones(3), [0, 0], 2, 1)
    with pytest.raises(ValueError, match=r"assemble_people: xy: expected shape \(2, 2\)"):
        assemble_people([0, 1], np.zeros((2, 3)), np.ones(2), [0, 0], 2, 1)
