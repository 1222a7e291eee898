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


def _lower_legs_ghost():
    """A person, and the same legs found again as the other side's knees and ankles."""
    person = np.zeros((17, 3))
    person[:, :2] = np.column_stack([np.linspace(40, 60, 17), np.linspace(10, 120, 17)])
    person[:, 2] = 0.8
    ghost = np.zeros((17, 3))
    for a, b in ((13, 14), (14, 13), (15, 16), (16, 15)):  # left knee at the right knee, ...
        ghost[a] = [person[b, 0] + 1.0, person[b, 1] - 1.0, 0.3]
    return person, ghost


def test_a_body_found_again_as_other_parts_is_dropped_and_a_neighbour_kept():
    from multiperson.assemble import distinct_people

    person, ghost = _lower_legs_ghost()
    neighbour = ghost.copy()
    neighbour[15, :2] += 40.0  # one part far from the person: someone else, partly hidden
    poses = np.stack([person, ghost, neighbour])
    np.testing.assert_array_equal(distinct_people(poses, 16.0), [True, False, True])
    np.testing.assert_array_equal(distinct_people(poses, 0.0), [True, True, True])  # DeeperCut
    np.testing.assert_array_equal(distinct_people(poses, 1.0), [True, True, True])  # 1.4 px apart
    assert distinct_people(np.zeros((0, 17, 3)), 16.0).shape == (0,)
    with pytest.raises(ValueError, match=r"distinct_people: duplicate_px: expected a finite number"):
        distinct_people(poses, float("inf"))
    with pytest.raises(ValueError, match=r"distinct_people: poses: expected shape"):
        distinct_people(poses[0], 16.0)


@pytest.mark.parametrize("seed", range(5))
def test_the_compiled_duplicate_rule_is_the_numpy_reference(seed):
    from multiperson.assemble import distinct_people

    rng = np.random.default_rng(seed)
    poses = np.zeros((12, 5, 3))
    poses[:, :, :2] = rng.uniform(0, 60, (12, 5, 2))
    poses[:, :, 2] = rng.uniform(0, 1, (12, 5)) * (rng.random((12, 5)) < 0.7)
    poses[6:] = poses[:6] + [[[2.0, -1.0, 0.0]]]  # copies a little off, some with parts missing
    poses[6:, :, 2] *= rng.random((6, 5)) < 0.6
    for radius in (0.0, 3.0, 10.0, 30.0):
        np.testing.assert_array_equal(distinct_people(poses, radius), ref.distinct_people(poses, radius))
    part, xy = np.repeat(np.arange(5), 12), rng.uniform(0, 60, (60, 2))
    score, cluster = rng.uniform(0.1, 1, 60), rng.integers(-1, 9, 60).astype(np.int32)
    got = assemble_people(part, xy, score, cluster, 5, 2, duplicate_px=12.0)
    want = ref.assemble_people(part, xy, score, cluster, 5, 2, duplicate_px=12.0)
    np.testing.assert_allclose(got.poses, want.poses, rtol=1e-12)
    np.testing.assert_allclose(got.scores, want.scores, rtol=1e-12)
