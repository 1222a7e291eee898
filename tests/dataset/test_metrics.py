"""PCK and PCKh by hand."""
import numpy as np
import pytest

from dataset.metrics import head_sizes, pck, pckh, person_heights


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


def test_head_size_is_six_tenths_of_the_head_rectangle_diagonal():
    # 30 x 40 rectangle: diagonal 50, head size 30; 12 x 16: diagonal 20, head size 12
    np.testing.assert_allclose(head_sizes([[10, 10, 40, 50], [5, 5, 17, 21]]), [30.0, 12.0])
    np.testing.assert_allclose(head_sizes(np.array([[-3.5, 2, 2.5, 10]])), [6.0])  # 6 x 8 -> 10 -> 6
    with pytest.raises(ValueError, match=r"head_boxes: expected an array of shape \(people, 4\)"):
        head_sizes([10, 10, 40, 50])


def test_pckh_counts_labelled_joints_within_half_a_head_size():
    heads = np.array([[10, 10, 40, 50],   # head size 30: PCKh@0.5 threshold 15
                      [5, 5, 17, 21]], float)  # head size 12: threshold 6
    truth = np.array([[[100, 100, 2], [50, 60, 1], [0, 0, 0], [0, 0, 0]],
                      [[30, 30, 2], [40, 40, 2], [70, 70, 2], [0, 0, 0]]], float)
    predicted = np.array([[[114.9, 100], [50, 75.1], [0, 0], [0, 0]],   # 14.9 in; 15.1 out (hidden, counted);
                          [[33, 34], [45.9, 40], [76.1, 70], [0, 0]]])  # unlabelled at the truth: not counted
    # person 1: 5 in; 5.9 in; 6.1 out. Joint 3 is never labelled.
    per_joint, total = pckh(predicted, truth, heads)
    np.testing.assert_array_equal(per_joint[:3], [1.0, 0.5, 0.0])
    assert np.isnan(per_joint[3])
    assert total == pytest.approx(3 / 5)
    per_joint, total = pckh(predicted, truth, heads, alpha=1.0)  # thresholds 30 and 12: all in
    np.testing.assert_array_equal(per_joint[:3], [1.0, 1.0, 1.0])
    assert total == 1.0
    per_joint, total = pckh(predicted, truth, heads, alpha=0.25)  # 7.5 and 3: all out
    np.testing.assert_array_equal(per_joint[:3], [0.0, 0.0, 0.0])
    assert total == 0.0
    with pytest.raises(ValueError, match=r"head_boxes: expected one head rectangle per person \(2\), got 1"):
        pckh(predicted, truth, heads[:1])


def test_pixel_errors_by_hand_with_and_without_the_cutoff():
    from dataset.metrics import pixel_errors

    truth = np.array([[[0, 0, 2], [10, 0, 2], [5, 5, 0]],
                      [[0, 0, 1], [10, 0, 2], [5, 5, 2]]], float)
    predicted = np.array([[[3, 4, 0.9], [10, 0, 0.2], [50, 50, 0.9]],
                          [[0, 6, 0.8], [10, 12, 0.9], [5, 7, 0.1]]], float)
    errors = pixel_errors(predicted, truth, within=(5, 10))
    distances = np.array([5.0, 0.0, 6.0, 12.0, 2.0])  # the unlabelled joint is left out
    assert errors["count"] == 5
    assert errors["mean"] == pytest.approx(distances.mean())
    assert errors["rmse"] == pytest.approx(np.sqrt((distances ** 2).mean()))
    np.testing.assert_allclose(errors["per_joint"], [5.5, 6.0, 2.0])
    assert errors["within"] == {5.0: pytest.approx(3 / 5), 10.0: pytest.approx(4 / 5)}
    cut = pixel_errors(predicted, truth, min_score=0.6, within=(5,))
    assert cut["count"] == 3 and cut["mean"] == pytest.approx((5 + 6 + 12) / 3)
    assert np.isnan(cut["per_joint"][2])
    with pytest.raises(ValueError, match="same N and J"):
        pixel_errors(predicted[:1], truth)
