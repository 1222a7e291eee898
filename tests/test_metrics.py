"""PCK by hand."""
import numpy as np
import pytest

from dataset.metrics import pck, person_heights


def test_pck_counts_labelled_joints_within_the_threshold():
    truth = np.array([[[10, 10, 2], [20, 40, 1], [0, 0, 0]],
                      [[50, 50, 2], [60, 90, 2], [70, 70, 2]]], float)
    predicted = np.array([[[12, 10], [20, 60], [99, 99]],
                          [[50, 55], [60, 90], [90, 70]]], float)
    heights = np.array([30.0, 40.0])
    per_joint, total = pck(predicted, truth, heights, alpha=0.1)
    np.testing.assert_allclose(per_joint, [0.5, 0.5, 0.0])
    assert total == pytest.approx(2 / 5)
    per_joint, total = pck(predicted, truth, heights, alpha=1.0)
    np.testing.assert_allclose(per_joint, [1.0, 1.0, 1.0])


def test_person_height_is_the_vertical_extent_of_labelled_joints():
    truth = np.array([[[0, 5, 2], [0, 45, 1], [0, 500, 0]]], float)
    assert person_heights(truth)[0] == 40
