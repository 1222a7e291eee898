"""posecut.dlc_files: a video's poses in DeepLabCut's H5 and CSV, read back by pandas as
DeepLabCut's users read them."""
import numpy as np
import pandas as pd
import pytest

from lib.errors import DatasetError
from posecut.dlc_files import (H5_KEY, PoseFrames, is_person_format, pose_dataframe,
                               pose_file_paths, read_pose_file, scorer_name, write_pose_files)

PARTS = ["snout", "leftear", "rightear", "tailbase"]


def _poses(frames=6, individuals=None, seed=3):
    """Random poses (T, [K,] J, 3) with likelihoods in 0..1."""
    rng = np.random.default_rng(seed)
    shape = (frames,) + ((individuals,) if individuals else ()) + (len(PARTS),)
    return np.stack([rng.uniform(0, 640, shape), rng.uniform(0, 480, shape),
                     rng.uniform(0, 1, shape)], axis=-1)


def test_one_animal_reads_back_from_the_h5_and_the_csv_with_three_header_rows(tmp_path):
    poses = _poses()
    poses[2, 1] = [0.0, 0.0, 0.0]         # a part not found
    poses[4, 3, :2] = np.nan              # coordinates lost, the score kept
    h5, csv = write_pose_files(pose_dataframe(poses, PARTS, "posecut_mouse_snapshot-400"),
                               *pose_file_paths(str(tmp_path), "openfield", "posecut_mouse_snapshot-400"))
    assert h5.endswith("openfield_posecut_mouse_snapshot-400.h5") and csv.endswith(".csv")
    for table in (pd.read_hdf(h5), pd.read_hdf(h5, key=H5_KEY),
                  pd.read_csv(csv, header=[0, 1, 2], index_col=0)):
        assert list(table.columns.names) == ["scorer", "bodyparts", "coords"]
        assert list(table.index) == list(range(6))
        assert set(table.columns.get_level_values("scorer")) == {"posecut_mouse_snapshot-400"}
        for j, part in enumerate(PARTS):
            for c, coord in enumerate(("x", "y", "likelihood")):
                got = table[("posecut_mouse_snapshot-400", part, coord)].to_numpy()
                want = poses[:, j, c].copy()
                if c < 2:
                    want[2] = np.nan if j == 1 else want[2]
                np.testing.assert_allclose(got, want, rtol=1e-12)
    assert table[("posecut_mouse_snapshot-400", "leftear", "likelihood")][2] == 0.0
    with pd.HDFStore(h5, mode="r") as store:
        assert store.keys() == ["/" + H5_KEY] and store.get_storer(H5_KEY).is_table
    lines = open(csv, encoding="utf-8").read().splitlines()
    assert [line.split(",")[0] for line in lines[:4]] == ["scorer", "bodyparts", "coords", "0"]
    assert lines[2].split(",")[1:4] == ["x", "y", "likelihood"]


def test_several_animals_carry_the_individuals_level_and_absent_ones_are_nan(tmp_path):
    frames = PoseFrames(PARTS, multi=True)
    two, one = _poses(1, 2)[0], _poses(1, 1, seed=4)[0]
    frames.add("clip.mp4", 0, two)
    frames.add("clip.mp4", 1, one)
    frames.add("clip.mp4", 2, np.zeros((0, len(PARTS), 3)))
    h5, csv = write_pose_files(frames.dataframe("posecut_x_s"), str(tmp_path / "a.h5"),
                               str(tmp_path / "a.csv"))
    for table in (pd.read_hdf(h5), pd.read_csv(csv, header=[0, 1, 2, 3], index_col=0)):
        assert list(table.columns.names) == ["scorer", "individuals", "bodyparts", "coords"]
        assert list(table.columns.unique("individuals")) == ["individual1", "individual2"]
        values = table.to_numpy().reshape(3, 2, len(PARTS), 3)
        np.testing.assert_allclose(values[0], two)
        np.testing.assert_allclose(values[1, 0], one[0])
        assert np.isnan(values[1, 1]).all() and np.isnan(values[2]).all()
    back = read_pose_file(csv)
    assert back.multi and back.individuals == ("individual1", "individual2")
    assert back.parts == tuple(PARTS) and back.scorer == "posecut_x_s"
    np.testing.assert_allclose(back.poses, pd.read_hdf(h5).to_numpy().reshape(3, 2, 4, 3))


def test_pose_frames_of_one_animal_refuse_two_and_index_by_frame():
    frames = PoseFrames(PARTS)
    frames.add("clip.mp4", 5, _poses(1, 1)[0])
    frames.add("clip.mp4", 6, np.zeros((0, 4, 3)))  # nothing found: a row of NaN
    table = frames.dataframe("s")
    assert list(table.index) == [5, 6] and table.columns.nlevels == 3
    assert table.loc[6].isna().all()
    with pytest.raises(ValueError, match="frame 7: one animal per frame expected, got 2"):
        frames.add("clip.mp4", 7, _poses(1, 2)[0])


def test_read_pose_file_gives_the_arrays_and_names_bad_files(tmp_path):
    poses = _poses(4)
    table = pose_dataframe(poses, PARTS, "sc", frames=[10, 11, 12, 13])
    h5, csv = write_pose_files(table, str(tmp_path / "v_sc.h5"), str(tmp_path / "v_sc.csv"))
    for path in (h5, csv):
        back = read_pose_file(path)
        assert back.poses.shape == (4, 1, 4, 3) and not back.multi and back.individuals == ("",)
        np.testing.assert_allclose(back.poses[:, 0], poses)
        assert list(back.frames) == [10, 11, 12, 13]
    with pytest.raises(DatasetError, match="missing.h5: no such file"):
        read_pose_file(tmp_path / "missing.h5")
    (tmp_path / "flat.csv").write_text("source,frame,person,snout_x\nclip,0,0,1.0\n")
    with pytest.raises(DatasetError, match="flat.csv"):
        read_pose_file(tmp_path / "flat.csv")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DatasetError, match="notes.txt: expected a pose file ending in .h5 or .csv"):
        read_pose_file(tmp_path / "notes.txt")
    table.columns = table.columns.set_names(["a", "b", "c"])
    table.to_hdf(tmp_path / "odd.h5", key=H5_KEY)
    with pytest.raises(DatasetError, match="odd.h5: columns: expected the levels scorer"):
        read_pose_file(tmp_path / "odd.h5")


def test_pose_dataframe_refuses_the_wrong_shape():
    with pytest.raises(ValueError, match=r"\(frames, parts, 3\) with 4 parts, got \(2, 3, 3\)"):
        pose_dataframe(np.zeros((2, 3, 3)), PARTS, "s")
    with pytest.raises(ValueError, match=r"\(frames, individuals, parts, 3\)"):
        pose_dataframe(np.zeros((2, 4, 3)), PARTS, "s", multi=True)


def test_the_scorer_names_the_config_folder_and_the_snapshot():
    assert scorer_name("/p/openfield/pose_cfg.yaml", "/p/openfield/snapshot-400") == \
        "posecut_openfield_snapshot-400"
    assert scorer_name("/p/my project!/pose_cfg.yaml", "/m/model.tflite") == \
        "posecut_my-project_model"
    assert scorer_name("/p/x/pose_cfg.yaml", None) == "posecut_x"
    assert scorer_name("/p/my_mice/c.yaml", "/w/mobilenet_v2_0.35") == "posecut_my_mice_mobilenet_v2_0.35"


def test_people_formats_are_the_registered_ones():
    assert is_person_format("coco17") and is_person_format("mpii14")
    assert not is_person_format("critter.yaml") and not is_person_format("/p/mouse.yml")
    assert not is_person_format(None) and not is_person_format("")
