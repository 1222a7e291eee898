"""Drawing helpers produce real pictures."""
import imageio.v3 as iio
import numpy as np
import pytest

from multiperson.draw import (person_colors, save_multi_person_figure, save_single_person_figure,
                              scoremap_overlay, titled)


def test_scoremap_overlay_reddens_where_scores_are_high():
    image = np.full((16, 24, 3), 200, np.uint8)
    scmap = np.zeros((2, 3, 2))
    scmap[0, 0, 1] = 1.0
    overlay = scoremap_overlay(image, scmap)
    assert overlay.shape == image.shape
    assert overlay[0, 0, 0] > overlay[15, 23, 0]
    assert overlay[0, 0, 1] == overlay[15, 23, 1]


@pytest.mark.parametrize("count", [3, 10, 12, 40])
def test_person_colors_are_distinct_rgb_bytes(count):
    colors = person_colors(count)
    assert len(set(colors)) == count
    assert all(len(c) == 3 and all(isinstance(v, int) and 0 <= v <= 255 for v in c)
               for c in colors)


def test_titled_puts_a_band_of_text_above_the_image():
    image = np.zeros((30, 200, 3), np.uint8)
    out = titled(image, "one", "a line far too long to fit in two hundred pixels of width, cut")
    assert out.shape[1] == 200 and out.shape[0] > 30
    np.testing.assert_array_equal(out[-30:], image)
    band = out[:-30]
    assert (band < 128).any() and (band == 255).mean() > 0.8  # dark text on white
    assert (band[:, -4:] == 255).all()  # the long line was cut before the edge


def test_single_person_figure_shows_pose_and_score_maps(tmp_path):
    image = np.zeros((40, 60, 3), np.uint8)
    pose = np.array([[10, 10, 0.9], [30, 20, 0.8], [50, 35, 0.7]])
    scmap = np.zeros((5, 8, 3))
    scmap[0, 0, 0] = 1.0
    path = save_single_person_figure(tmp_path / "f.png", image, pose, scmap,
                                     [(0, 1), (1, 2)], "title")
    picture = iio.imread(path)
    assert picture.shape[1] == 2 * 60 + 8 and picture.shape[0] > 40
    left, right = picture[-40:, :60], picture[-40:, 68:]
    assert left[20, 30, 1] > 150 and left[20, 30, 0] < 100  # the green pose on its joint
    assert right[2, 2, 0] > 100 and right[35, 55, 0] == 0  # the score map's peak in red


def test_multi_person_figure_draws_each_person_in_its_colour(tmp_path):
    image = np.zeros((50, 80, 3), np.uint8)
    poses = np.array([[[10, 10, 1], [10, 40, 1]], [[60, 10, 1], [60, 40, 1]]], float)
    path = save_multi_person_figure(tmp_path / "m.png", image, poses, [(0, 1)], "2 people")
    picture = iio.imread(path)[-50:]
    first, second = person_colors(2)
    np.testing.assert_array_equal(picture[25, 10], first)
    np.testing.assert_array_equal(picture[25, 60], second)


def test_writing_into_a_missing_folder_names_the_path(tmp_path):
    with pytest.raises(OSError, match="missing"):
        save_multi_person_figure(tmp_path / "missing" / "m.png", np.zeros((8, 8, 3), np.uint8),
                                 np.zeros((0, 2, 3)), [], "none")


def test_track_colors_follow_the_id_not_the_order():
    from multiperson.draw import track_colors

    first, second = track_colors([3, 12]), track_colors([12, 40, 3])
    assert first[0] == second[2] and first[1] == second[0]
    assert len(set(track_colors(range(30)))) == 30
    assert all(isinstance(v, int) and 0 <= v <= 255 for c in track_colors(range(30)) for v in c)


def test_track_centres_average_the_shown_joints():
    from multiperson.draw import track_centres

    poses = np.array([[[0, 0, 0.9], [10, 4, 0.8], [100, 100, 0.1]], [[5, 5, 0.0], [6, 6, 0.0], [7, 7, 0.0]]])
    centres = track_centres(poses, min_score=0.5)
    np.testing.assert_allclose(centres[0], [5, 2])
    assert np.isnan(centres[1]).all()


def test_draw_tracks_draws_the_person_and_its_trail_in_its_colour():
    from multiperson.draw import draw_tracks, track_colors

    image = np.zeros((60, 80, 3), np.uint8)
    pose = np.array([[[40, 10, 1.0], [40, 40, 1.0]]])
    out = draw_tracks(image, [7], pose, [(0, 1)], trails={7: [(5.0, 55.0), (25.0, 55.0), (45.0, 55.0)]})
    color = np.array(track_colors([7])[0])
    assert (out[25, 40] == color).all()                      # the limb, in the track's colour
    assert out[55, 35].any() and not out[55, 60].any()       # the trail runs where the person was
    assert (image == 0).all()                                # the input is untouched
