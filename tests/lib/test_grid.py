"""lib.grid: cell centres by hand, the inverse, and the compiled grouping (lib/people.hpp) placing
its candidates where lib.grid.cell_centres says."""
import numpy as np
import pytest
import tensorflow as tf

from lib.grid import cell_centres, first_cell_from
from lib.nms import nms_scoremaps
from lib.people_cy import candidates


def test_cell_centres_by_hand():
    np.testing.assert_array_equal(cell_centres(np.arange(4), 8.0), [4.0, 12.0, 20.0, 28.0])
    np.testing.assert_array_equal(cell_centres(np.array([[0, 3]]), 7.5), [[3.75, 26.25]])
    assert cell_centres(np.arange(3), 8).dtype == np.float64


def test_cell_centres_of_a_tensor_equal_those_of_an_array():
    indices = np.arange(50)
    got = cell_centres(tf.constant(indices, tf.float64), 7.25).numpy()
    np.testing.assert_array_equal(got, cell_centres(indices, 7.25))


@pytest.mark.parametrize("stride", [4.0, 7.5, 8.0, 16.0])
def test_first_cell_from_is_the_inverse_rounded_up(stride):
    pixels = np.random.default_rng(int(stride)).uniform(-3 * stride, 40 * stride, 500)
    first = first_cell_from(pixels, stride)
    assert first.dtype == np.int64
    assert (cell_centres(first, stride) >= pixels).all()
    assert (cell_centres(first - 1, stride) < pixels).all()
    on_centres = cell_centres(np.arange(-2, 30), stride)
    np.testing.assert_array_equal(first_cell_from(on_centres, stride), np.arange(-2, 30))


@pytest.mark.parametrize("seed, stride", [(0, 8.0), (1, 7.5), (2, 16.0), (3, 3.3)])
def test_the_compiled_candidates_sit_at_the_python_cell_centres(seed, stride):
    rng = np.random.default_rng(seed)
    height, width, joints = rng.integers(5, 40), rng.integers(5, 40), 4
    prob = rng.random((height, width, joints)).astype(np.float32)
    locref = rng.normal(size=(height, width, 2 * joints)).astype(np.float32)
    empty3, empty2 = np.zeros((0, 0, 0), np.float32), np.zeros((0, 2))
    slots = np.full((joints, joints), -1, np.int32)
    stdev = np.float32(7.2801)
    peaks = nms_scoremaps(prob, 2.0, 0.5)
    assert len(peaks.part) > joints
    part, xy, grid_xy, _, _ = candidates(prob, empty3, empty3, empty2, empty2, slots, stride,
                                         stdev, 2.0, np.float32(0.5))
    np.testing.assert_array_equal(part, peaks.part)
    want = np.stack([cell_centres(peaks.col, stride), cell_centres(peaks.row, stride)], axis=1)
    np.testing.assert_array_equal(grid_xy, want)
    np.testing.assert_array_equal(xy, want)
    _, refined, _, _, _ = candidates(prob, locref, empty3, empty2, empty2, slots, stride, stdev,
                                     2.0, np.float32(0.5))
    offsets = locref.reshape(height, width, joints, 2)[peaks.row, peaks.col, peaks.part] * stdev
    np.testing.assert_allclose(refined, want + offsets, rtol=0, atol=1e-9)
