"""Drawing helpers produce real pictures."""
import imageio.v3 as iio
import numpy as np

from multiperson.draw import person_colors, save_single_person_figure, scoremap_overlay


def test_scoremap_overlay_reddens_where_scores_are_high():
    image = np.full((16, 24, 3), 200, np.uint8)
    scmap = np.zeros((2, 3, 2))
    scmap[0, 0, 1] = 1.0
    overlay = scoremap_overlay(image, scmap)
    assert overlay.shape == image.shape
    assert overlay[0, 0, 0] > overlay[15, 23, 0]
    assert overlay[0, 0, 1] == overlay[15, 23, 1]


def test_person_colors_are_distinct():
    colors = person_colors(12)
    assert len(set(colors)) == 12


def test_single_person_figure_is_a_png(tmp_path):
    image = np.zeros((40, 60, 3), np.uint8)
    pose = np.array([[10, 10, 0.9], [30, 20, 0.8], [50, 35, 0.7]])
    path = save_single_person_figure(tmp_path / "f.png", image, pose, np.random.rand(5, 8, 3),
                                     [(0, 1), (1, 2)], "title")
    picture = iio.imread(path)
    assert picture.ndim == 3 and picture.shape[0] > 100
    assert picture[..., :3].std() > 5
