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


@pytest.mark.parametrize("count", [1, 4, 17])
def test_part_colors_sample_matplotlibs_rainbow(count):
    import matplotlib

    from multiperson.draw import part_colors

    colors = part_colors(count)
    reference = matplotlib.colormaps["rainbow"](np.linspace(0, 1, count) if count > 1 else [0.0])
    assert all(isinstance(v, int) for c in colors for v in c)
    # matplotlib looks the map up in a table of 256 entries: one entry apart, sin(pi x) moves up to
    # pi in 0..255, plus half a unit of rounding
    np.testing.assert_allclose(np.array(colors), 255 * reference[:, :3], atol=np.pi + 0.5)
    assert len(set(colors)) == count


def test_draw_parts_gives_each_part_its_colour_and_hollows_those_below_the_cutoff():
    from multiperson.draw import draw_parts

    image = np.zeros((60, 60, 3), np.uint8)
    pose = np.array([[[10, 10, 0.9], [50, 10, 0.8], [30, 50, 0.3], [5, 55, 0.0]]])
    colors = [(255, 0, 0), (0, 0, 255), (0, 255, 0), (255, 255, 0)]
    out = draw_parts(image, pose, [(0, 1), (1, 2)], pcutoff=0.6, colors=colors, thickness=2)
    np.testing.assert_array_equal(out[10, 10], colors[0])
    np.testing.assert_array_equal(out[10, 50], colors[1])
    np.testing.assert_array_equal(out[10, 30], (127, 0, 127))   # the limb: the mean of its parts
    assert not out[50, 30].any() and (out[50, 35] == colors[2]).all()  # a hollow ring of radius 5
    assert not out[30, 40].any()                                 # no limb to a hollow part
    assert not out[55, 5].any()                                  # a part not found
    assert not image.any()
    assert np.array_equal(draw_parts(image, np.zeros((0, 4, 3)), [(0, 1)]), image)


def test_draw_people_keeps_its_colours_and_hollows_below_the_cutoff():
    from multiperson.draw import draw_people

    image = np.zeros((40, 40, 3), np.uint8)
    pose = np.array([[[10, 10, 0.9], [30, 10, 0.4]]])
    solid = draw_people(image, pose, [(0, 1)], thickness=2)
    hollow = draw_people(image, pose, [(0, 1)], thickness=2, pcutoff=0.6)
    color = person_colors(1)[0]
    assert (solid[10, 30] == color).all() and (solid[10, 20] == color).all()
    assert not hollow[10, 30].any() and not hollow[10, 20].any()   # a ring, and no limb to it
    assert (hollow[10, 10] == color).all()


def test_the_legend_lists_each_part_in_its_colour_on_the_right():
    from multiperson.draw import with_legend

    image = np.full((50, 40, 3), 30, np.uint8)
    colors = [(255, 0, 0), (0, 0, 255)]
    out = with_legend(image, ["snout", "tailbase"], colors, pcutoff=0.6)
    assert out.shape[0] == 50 and out.shape[1] > 40 and out.shape[1] % 2 == 0
    np.testing.assert_array_equal(out[:, :40], image)
    panel = out[:, 40:]
    for color in colors:
        assert (panel == color).all(axis=-1).any()
    assert (panel < 128).any()                                   # the names, in black
    one = with_legend(image, ["part00"], [(0, 0, 0)]).shape[1] - 40
    many = with_legend(image, [f"part{k:02d}" for k in range(12)], [(0, 0, 0)] * 12).shape[1] - 40
    assert 6 * (one - 5) <= many <= 6 * one                      # 2 rows of 16 px: 6 columns


def test_pose_drawing_colours_by_part_or_by_person():
    from multiperson.draw import PoseDrawing, draw_parts, draw_people, part_colors

    image = np.zeros((40, 40, 3), np.uint8)
    poses = np.array([[[10, 10, 0.9], [30, 30, 0.9]]])
    people = PoseDrawing(((0, 1),), pcutoff=0.6)
    parts = PoseDrawing(((0, 1),), by_part=True, pcutoff=0.6, names=("a", "b"))
    assert np.array_equal(people(image, poses), draw_people(image, poses, [(0, 1)], pcutoff=0.6))
    assert np.array_equal(parts(image, poses),
                          draw_parts(image, poses, [(0, 1)], 0.6, colors=part_colors(2)))
    legend = PoseDrawing(((0, 1),), pcutoff=0.6, names=("a", "b"), legend=True)(image, poses)
    assert legend.shape[1] > 40 and np.array_equal(legend[:, :40], parts(image, poses))
