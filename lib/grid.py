"""The score-map grid in pixels: where a cell's centre lies, and the first cell from a pixel on.

Cell ``i`` of a grid of output stride ``s`` has its centre at pixel ``i * s + s / 2``, along
rows (y) and columns (x) alike. The targets, the argmax decoding, the export's TensorFlow graph
and the compiled grouping (lib/people.hpp, tied to this by tests/test_grid.py) all place cells
here. Written with arithmetic only, so numpy arrays and float TensorFlow tensors work alike.
"""
import numpy as np

__all__ = ["cell_centres", "first_cell_from"]


def cell_centres(indices, stride):
    """Pixel coordinates of the centres of cells ``indices`` (rows give y, columns give x).

    ``indices``: integer array or float tensor of cell indices; ``stride``: the output stride in
    pixels. Integer numpy input gives float64.
    """
    return indices * stride + stride / 2


def first_cell_from(pixels, stride):
    """int64 index of the first cell whose centre lies at or after each of ``pixels`` (numpy):
    the inverse of :func:`cell_centres`, rounded up."""
    return np.ceil((np.asarray(pixels, dtype=np.float64) - stride / 2) / stride).astype(np.int64)
