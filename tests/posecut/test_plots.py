"""posecut.plots and `posecut plot`: per-part plots of a video's poses from DeepLabCut's files."""
import imageio.v3 as iio
import numpy as np
import pytest

from multiperson.draw import part_colors
from posecut.dlc_files import pose_dataframe, write_pose_files
from posecut.plots import (FIGURE_PIXELS, frame_jumps, jump_histogram, plot_pose_file, plot_poses,
                           visible_positions)

PARTS = ("snout", "tailbase")


def _walk(frames=40):
    """A snout walking 3 px right and 4 px down a frame (jumps of 5 px) with likelihood 0.9, and a
    tail base that is never trusted (likelihood 0.2)."""
    t = np.arange(frames, dtype=float)
    snout = np.stack([100 + 3 * t, 50 + 4 * t, np.full(frames, 0.9)], axis=1)
    tail = np.stack([300 - t, 200 + 0 * t, np.full(frames, 0.2)], axis=1)
    return np.stack([snout, tail], axis=1)


def test_visible_positions_leave_out_what_scores_below_the_cutoff():
    poses = np.array([[[1.0, 2.0, 0.7], [3.0, 4.0, 0.5], [5.0, 6.0, np.nan]]])
    xy = visible_positions(poses, 0.6)
    np.testing.assert_array_equal(xy[0, 0], [1.0, 2.0])
    assert np.isnan(xy[0, 1:]).all()
    np.testing.assert_array_equal(visible_positions(poses, 0.5)[0, 1], [3.0, 4.0])


def test_frame_jumps_are_distances_between_consecutive_frames():
    xy = np.array([[[0.0, 0.0]], [[3.0, 4.0]], [[3.0, 4.0]], [[np.nan, np.nan]], [[6.0, 8.0]]])
    jumps = frame_jumps(xy)
    assert jumps.shape == (4, 1)
    np.testing.assert_allclose(jumps[:2, 0], [5.0, 0.0])
    assert np.isnan(jumps[2:]).all()  # to and from the frame where the part was not seen


def test_the_histogram_counts_what_a_loop_over_the_jumps_counts():
    rng = np.random.default_rng(2)
    jumps = rng.exponential(4.0, (300, 3))
    jumps[rng.random((300, 3)) < 0.1] = np.nan
    counts, edges = jump_histogram(jumps, bins=7)
    top = np.nanmax(jumps)
    assert edges[0] == 0.0 and edges[-1] == pytest.approx(top) and len(edges) == 8
    want = np.zeros((3, 7), int)
    for j in range(3):
        for value in jumps[:, j]:
            if np.isfinite(value):
                want[j, min(int(value / (top / 7)), 6)] += 1
    np.testing.assert_array_equal(counts, want)
    assert counts.sum() == np.isfinite(jumps).sum()
    none, edges = jump_histogram(np.full((5, 2), np.nan), bins=4)
    assert none.shape == (2, 4) and not none.any() and edges[-1] == 1.0


def _has_color(picture, color, tolerance=6):
    return (np.abs(picture[..., :3].astype(int) - np.array(color)).max(axis=-1) <= tolerance).any()


def test_plot_poses_writes_three_pngs_with_each_part_in_its_colour(tmp_path):
    poses = _walk()
    paths = plot_poses(poses, np.arange(40), PARTS, str(tmp_path / "clip"), pcutoff=0.6, bins=10,
                       title="clip.h5")
    assert [p.rsplit("/", 1)[1] for p in paths] == ["clip_trajectories.png", "clip_likelihood.png",
                                                    "clip_jumps.png"]
    snout, tail = part_colors(2)
    pictures = [iio.imread(p) for p in paths]
    for picture in pictures:
        assert picture.shape[:2] == FIGURE_PIXELS[::-1]
    trajectories, likelihood, jumps = pictures
    assert _has_color(trajectories, snout)
    assert _has_color(likelihood, tail) and _has_color(likelihood, snout)
    # the tail base is below the cut-off: only its legend entry's short line carries its colour
    near = np.abs(trajectories[..., :3].astype(int) - np.array(tail)).max(axis=-1) <= 6
    assert near.sum() < 60
    counts, _ = jump_histogram(frame_jumps(visible_positions(poses, 0.6)), 10)
    assert counts[0, -1] == 39 and counts[1].sum() == 0  # every snout jump is 5 px: the last bin


def test_plot_pose_file_makes_a_set_per_individual_named_without_the_scorer(tmp_path):
    poses = np.stack([_walk(), _walk()[:, ::-1]], axis=1)
    table = pose_dataframe(poses, PARTS, "posecut_mice_snapshot-2", multi=True)
    h5, _ = write_pose_files(table, str(tmp_path / "clip_posecut_mice_snapshot-2.h5"),
                             str(tmp_path / "clip_posecut_mice_snapshot-2.csv"))
    paths = plot_pose_file(h5)
    names = sorted(p.rsplit("/", 1)[1] for p in paths)
    assert names == sorted(f"clip_individual{k}_{kind}.png" for k in (1, 2)
                           for kind in ("trajectories", "likelihood", "jumps"))
    assert all(p.startswith(str(tmp_path / "plots")) for p in paths)


def test_the_plot_command_reads_the_csv_and_checks_its_arguments(tmp_path, capsys):
    from posecut.cli import main

    table = pose_dataframe(_walk(10), PARTS, "sc")
    _, csv = write_pose_files(table, str(tmp_path / "v_sc.h5"), str(tmp_path / "v_sc.csv"))
    assert main(["plot", csv, "--output", str(tmp_path / "out"), "--pcutoff", "0.1"]) == 0
    assert "wrote 3 plots" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "v_jumps.png", "v_likelihood.png", "v_trajectories.png"]
    assert main(["plot", csv, "--pcutoff", "1.5"]) == 2
    assert "--pcutoff: expected a likelihood between 0 and 1, got 1.5" in capsys.readouterr().err
    assert main(["plot", str(tmp_path / "none.h5")]) == 2
    assert "none.h5: no such file or folder" in capsys.readouterr().err
