"""posecut.predict_files and `posecut predict`: images, folders and videos in, results out."""
import json
import os

import imageio.v2 as iio2
import imageio.v3 as iio
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from multiperson.assemble import People
from multiperson.draw import PoseDrawing, draw_people
from lib.errors import DatasetError
from posecut.inputs import list_inputs
from posecut.predict_files import predict_images, predict_video, probe_image


class _OnePerson:
    """A predictor stand-in: one person whose joints sit on the image's brightest column."""

    def __call__(self, image):
        column = float(np.argmax(image[..., 0].mean(axis=0)))
        pose = np.zeros((1, 3, 3))
        pose[0, :, 0] = column
        pose[0, :, 1] = [5.0, 10.0, 15.0]
        pose[0, :, 2] = 0.9
        return People(pose, np.array([0.9]))


def _video(path, frames=6, size=(32, 48)):
    writer = iio2.get_writer(path, fps=5, codec="libx264", macro_block_size=1, quality=10)
    for i in range(frames):
        frame = np.zeros(size + (3,), np.uint8)
        frame[:, 8 * i:8 * i + 8, 0] = 255
        writer.append_data(frame)
    writer.close()
    return str(path)


def test_list_inputs_sorts_folders_and_names_bad_paths(tmp_path):
    for name in ("b.png", "a.jpg", "notes.doc"):
        (tmp_path / name).write_bytes(b"x")
    images, videos = list_inputs([tmp_path])
    assert [p.rsplit("/", 1)[1] for p in images] == ["a.jpg", "b.png"] and videos == []
    with pytest.raises(DatasetError, match="missing.png: no such file or folder"):
        list_inputs([tmp_path / "missing.png"])
    with pytest.raises(DatasetError, match="notes.doc: expected an image"):
        list_inputs([tmp_path / "notes.doc"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="empty: no image files"):
        list_inputs([tmp_path / "empty"])


def test_images_give_results_records_and_drawings(tmp_path):
    image = np.zeros((20, 30, 3), np.uint8)
    image[:, 12, 0] = 255
    iio.imwrite(tmp_path / "one.png", image)
    (tmp_path / "out").mkdir()
    results, records, skipped = predict_images(_OnePerson(), [str(tmp_path / "one.png")],
                                               PoseDrawing(((0, 1),)), tmp_path / "out", first_id=7,
                                               progress=False)
    assert skipped == []
    assert records[0]["id"] == 7 and records[0]["width"] == 30
    assert results[0]["image_id"] == 7 and results[0]["keypoints"][:2] == [12.0, 5.0]
    drawn = iio.imread(tmp_path / "out" / "one.png")
    assert drawn.shape == (20, 30, 3) and (drawn != image).any()


def test_images_read_ahead_and_drawn_behind_give_what_one_thread_gives(tmp_path):
    paths = []
    for k in range(6):
        image = np.zeros((20, 30, 3), np.uint8)
        image[:, 3 + 4 * k, 0] = 255
        paths.append(str(tmp_path / f"{k}.png"))
        iio.imwrite(paths[-1], image)
    (tmp_path / "broken.png").write_bytes(b"not a png")
    paths.insert(3, str(tmp_path / "broken.png"))
    runs = []
    for overlap in (True, False):
        out = tmp_path / f"out_{overlap}"
        out.mkdir()
        runs.append((predict_images(_OnePerson(), paths, PoseDrawing(((0, 1),)), out, progress=False,
                                    overlap=overlap), out))
    (found, out), (alone, out_alone) = runs
    assert found == alone and [p for p, _ in found[2]] == [paths[3]]
    assert [r["keypoints"][0] for r in found[0]] == [3.0 + 4 * k for k in range(6)]
    assert sorted(os.listdir(out)) == sorted(os.listdir(out_alone)) and len(os.listdir(out)) == 6
    for name in os.listdir(out):
        assert np.array_equal(iio.imread(out / name), iio.imread(out_alone / name))


def test_every_video_frame_is_predicted_and_drawn(tmp_path):
    video = _video(tmp_path / "clip.mp4")
    assert list_inputs([video]) == ([], [video])
    results, records, fps, wall_fps = predict_video(_OnePerson(), video, PoseDrawing(((0, 1), (1, 2))),
                                                    str(tmp_path / "drawn.mp4"), first_id=3,
                                                    progress=False)
    assert [r["frame"] for r in records] == list(range(6)) and records[0]["id"] == 3
    # the bright stripe moves 8 pixels a frame, and so does the person
    columns = [r["keypoints"][0] for r in results]
    assert columns == pytest.approx([8 * i for i in range(6)], abs=3)
    assert fps > wall_fps > 0  # the whole run also decodes, draws and encodes
    drawn = [np.asarray(f) for f in iio2.get_reader(str(tmp_path / "drawn.mp4"))]
    assert len(drawn) == 6
    # the same results and drawings in one thread
    alone = predict_video(_OnePerson(), video, PoseDrawing(((0, 1), (1, 2))), str(tmp_path / "alone.mp4"),
                          first_id=3, progress=False, overlap=False)
    assert alone.results == results and alone.records == records
    again = [np.asarray(f) for f in iio2.get_reader(str(tmp_path / "alone.mp4"))]
    assert all(np.array_equal(a, b) for a, b in zip(drawn, again))
    (tmp_path / "bad.mp4").write_bytes(b"not a video")
    with pytest.raises(DatasetError, match="bad.mp4: cannot read video"):
        predict_video(_OnePerson(), str(tmp_path / "bad.mp4"), PoseDrawing(), progress=False)


def test_draw_people_marks_joints_in_colour():
    image = np.zeros((40, 40, 3), np.uint8)
    pose = np.array([[[10, 10, 1.0], [30, 30, 1.0], [5, 35, 0.0]]])
    drawn = draw_people(image, pose, [(0, 1), (1, 2)])
    assert drawn[20, 20].any() and drawn[10, 10].any()  # the limb and the joint
    assert not drawn[35, 5].any()  # a part not found is not drawn
    assert not image.any()  # the input is left alone


def test_predict_command_with_the_bundled_model(tmp_path, capsys):
    from posecut.cli import main

    image = os.path.join(ROOT, "demo",
                         "images", "people.png")
    frame = iio.imread(image)[::4, ::4]
    writer = iio2.get_writer(str(tmp_path / "clip.mp4"), fps=5, codec="libx264",
                             macro_block_size=1)
    for i in range(3):
        writer.append_data(np.roll(frame, 4 * i, axis=1))
    writer.close()
    out = tmp_path / "out"
    assert main(["predict", image, str(tmp_path / "clip.mp4"), "--output",
                 str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "1 images:" in printed and "clip.mp4: 3 frames" in printed and "frames/s" in printed
    records = json.load(open(out / "images.json"))
    assert [r["id"] for r in records] == [1, 2, 3, 4]
    results = json.load(open(out / "results.json"))
    assert {r["image_id"] for r in results} <= {1, 2, 3, 4}
    assert (out / "people.png").exists() and (out / "clip_poses.mp4").exists()
    import csv

    table = list(csv.DictReader(open(out / "clip_poses.csv")))
    assert {row["frame"] for row in table} <= {"0", "1", "2"} and "nose_likelihood" in table[0]
    assert len(table) == sum(r["image_id"] > 1 for r in results)  # a row per person found
    assert not list(out.glob("*.h5")) and not list(out.glob("*_posecut_*.csv"))  # people: no DLC files
    assert "no filter" not in printed
    assert main(["predict", str(tmp_path / "nothing.png"), "--output", str(out)]) == 2
    assert "nothing.png: no such file or folder" in capsys.readouterr().err


def test_predict_command_with_a_single_person_model(tmp_path, capsys):
    """A model without the pairwise head (one animal or person per image): its argmax pose."""
    from multiperson.predict import SinglePersonPredictor
    from nnet.checkpoint import save_weights
    from nnet.pose_net import build_pose_net, spec_from_config
    from nnet.outputs import predict_single_person
    from nnet.predict import setup_pose_prediction
    from posecut.build import setup_prediction
    from posecut.cli import main
    from posecut.config import load_config

    config = tmp_path / "pose_cfg.yaml"
    config.write_text("net_type: mobilenet_v2_0.35\nnum_joints: 4\nlocation_refinement: true\n"
                      "precision: float32\ninit_weights: snapshot-1\n")
    cfg = load_config(config)
    model = build_pose_net(spec_from_config(cfg))
    for variable in model.weights:
        variable.assign(np.abs(np.random.default_rng(6).normal(0, 0.1, variable.shape))
                        .astype("float32"))
    save_weights(model, tmp_path / "snapshot-1")
    rng = np.random.default_rng(7)
    for name in ("a.png", "b.png"):
        iio.imwrite(tmp_path / name, rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))

    predictor = setup_prediction(cfg)
    assert isinstance(predictor, SinglePersonPredictor)
    image = iio.imread(tmp_path / "a.png")
    people = predictor(image)
    expected = predict_single_person(setup_pose_prediction(cfg), image)
    np.testing.assert_allclose(people.poses[0], expected, rtol=1e-6)
    assert people.scores[0] == pytest.approx(expected[:, 2].mean())
    assert set(predictor.timings) == {"network"}

    out = tmp_path / "out"
    assert main(["predict", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--config",
                 str(config), "--output", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "no pairwise head, so one person (or animal) per image" in printed
    results = json.load(open(out / "results.json"))
    assert sorted(r["image_id"] for r in results) == [1, 2]
    assert len(results[0]["keypoints"]) == 4 * 3
    rows = (out / "poses.csv").read_text().splitlines()
    assert rows[0].startswith("source,frame,person,joint0_x") and len(rows) == 3

    # a video: DeepLabCut's H5 and CSV (a format not a person's), a legend and the plots
    _video(tmp_path / "clip.mp4", frames=4, size=(48, 64))
    out = tmp_path / "video"
    assert main(["predict", str(tmp_path / "clip.mp4"), "--config", str(config), "--output",
                 str(out), "--no-progress", "--legend", "--plots"]) == 0
    printed = capsys.readouterr().out
    assert "clip.mp4: 4 frames, one animal per frame, no filter," in printed
    scorer = f"posecut_{tmp_path.name}_snapshot-1"
    assert f"DeepLabCut's layout, scorer {scorer}" in printed
    keypoints = np.array([r["keypoints"] for r in json.load(open(out / "results.json"))])
    h5 = out / f"clip_{scorer}.h5"
    for table in (pd.read_hdf(h5), pd.read_csv(out / f"clip_{scorer}.csv", header=[0, 1, 2],
                                                index_col=0)):
        assert list(table.columns.unique("bodyparts")) == [f"joint{j}" for j in range(4)]
        assert list(table.index) == [0, 1, 2, 3]
        np.testing.assert_allclose(table.to_numpy(), keypoints, rtol=1e-6, atol=1e-6)
    frame = np.asarray(next(iter(iio2.get_reader(str(out / "clip_poses.mp4")))))
    assert frame.shape[0] == 48 and frame.shape[1] > 64  # the legend on the right
    assert sorted(p.name for p in (out / "plots").iterdir()) == [
        "clip_jumps.png", "clip_likelihood.png", "clip_trajectories.png"]
    assert main(["predict", str(tmp_path / "clip.mp4"), "--config", str(config), "--output",
                 str(tmp_path / "filtered"), "--no-progress", "--filter-window", "3",
                 "--no-dlc"]) == 0
    assert "4 frames, one animal per frame, median filter over 3 frames," in capsys.readouterr().out
    assert not list((tmp_path / "filtered").glob("*.h5"))
    assert main(["predict", str(tmp_path / "clip.mp4"), "--config", str(config), "--no-dlc",
                 "--plots"]) == 2
    assert "--plots: plots are drawn from the DeepLabCut H5" in capsys.readouterr().err


def test_pose_table_has_a_row_per_person_and_empty_cells_for_parts_not_found(tmp_path):
    import csv

    from posecut.pose_table import PoseTable, pose_table_header

    poses = np.array([[[1.0, 2.0, 0.9], [0.0, 0.0, 0.0]], [[5.5, 6.25, 0.5], [7.0, 8.0, 0.25]]])
    with PoseTable(tmp_path / "t.csv", ["snout", "tail"]) as table:
        table.add("clip.mp4", 3, poses)
        table.add("photo.png", None, poses[:0])  # nobody found: no row
        with pytest.raises(ValueError, match="2 parts"):
            table.add("clip.mp4", 4, np.zeros((1, 3, 3)))
    rows = list(csv.reader(open(tmp_path / "t.csv")))
    assert rows[0] == pose_table_header(["snout", "tail"])
    assert rows[0][:6] == ["source", "frame", "person", "snout_x", "snout_y", "snout_likelihood"]
    assert rows[1] == ["clip.mp4", "3", "0", "1.00", "2.00", "0.9000", "", "", "0"]
    assert rows[2] == ["clip.mp4", "3", "1", "5.50", "6.25", "0.5000", "7.00", "8.00", "0.2500"]
    assert len(rows) == 3


def test_a_filtered_video_gets_the_median_of_each_part_over_the_window(tmp_path):
    from multiperson.temporal_filter import median_filter_poses

    video = _video(tmp_path / "clip.mp4", frames=6)
    poses = []

    class Jumpy(_OnePerson):
        def __call__(self, image):
            people = super().__call__(image)
            if len(poses) == 3:
                people.poses[0, 1, :2] += 100  # one frame jumps away
            poses.append(people.poses[0].copy())
            return people

    results, records, _, _ = predict_video(Jumpy(), video, PoseDrawing(((0, 1),)), progress=False,
                                           filter_window=3)
    assert [r["frame"] for r in records] == list(range(6))
    got = np.stack([np.reshape(r["keypoints"], (3, 3)) for r in results])
    want = median_filter_poses(np.stack(poses), 3)
    np.testing.assert_allclose(got[..., :2], want[..., :2], atol=1e-3)
    assert np.abs(got[3, 1, :2] - np.stack(poses)[3, 1, :2]).max() > 50  # the jump is gone

    class Two(_OnePerson):
        def __call__(self, image):
            one = super().__call__(image)
            return People(np.concatenate([one.poses, one.poses]), np.array([0.9, 0.9]))

    with pytest.raises(DatasetError, match="frame 0: the temporal filter needs one pose"):
        predict_video(Two(), video, PoseDrawing(), progress=False, filter_window=3)


def test_several_animals_are_written_with_individuals_and_counted_as_such(tmp_path):
    from posecut.predict_files import Subjects, predict_files

    class Two(_OnePerson):
        def __call__(self, image):
            one = super().__call__(image)
            second = one.poses.copy()
            second[..., 0] += 5
            return People(np.concatenate([one.poses, second]), np.array([0.9, 0.8]))

    video = _video(tmp_path / "mice.mp4", frames=3)
    run = predict_files(Two(), [], [video], str(tmp_path / "out"), ("a", "b", "c"), draw=False,
                        progress=False, subjects=Subjects("individuals"), dlc_scorer="posecut_t_s")
    assert run.lines[0].startswith(f"{video}: 3 frames, 6 individuals, no filter, ")
    assert run.pose_files == [str(tmp_path / "out" / "mice_posecut_t_s.h5")]
    table = pd.read_csv(tmp_path / "out" / "mice_posecut_t_s.csv", header=[0, 1, 2, 3], index_col=0)
    assert list(table.columns.unique("individuals")) == ["individual1", "individual2"]
    keypoints = np.array([r["keypoints"] for r in run.results]).reshape(3, 2 * 3 * 3)
    np.testing.assert_allclose(table.to_numpy(), keypoints)
    np.testing.assert_allclose(pd.read_hdf(run.pose_files[0]).to_numpy(), keypoints)


def test_a_skeleton_given_for_the_drawing_draws_each_person_in_its_colour(tmp_path):
    from posecut.predict_files import as_drawing

    drawing = PoseDrawing(((0, 1),), by_part=True, pcutoff=0.5)
    assert as_drawing(drawing) is drawing
    assert as_drawing([[0, 1], [1, 2]]) == PoseDrawing(((0, 1), (1, 2)))
    image = np.zeros((20, 30, 3), np.uint8)
    image[:, 12, 0] = 255
    iio.imwrite(tmp_path / "one.png", image)
    for name, given in (("listed", [(0, 1)]), ("drawn", PoseDrawing(((0, 1),)))):
        (tmp_path / name).mkdir()
        predict_images(_OnePerson(), [str(tmp_path / "one.png")], given, tmp_path / name,
                       progress=False)
    assert np.array_equal(iio.imread(tmp_path / "listed" / "one.png"),
                          iio.imread(tmp_path / "drawn" / "one.png"))


def test_the_summary_names_what_was_found_and_the_filter():
    from posecut.predict_files import Subjects, filter_note

    assert Subjects.of(person=True, grouped=True) == Subjects() and Subjects().count(7, "frame") == "7 people"
    assert Subjects.of(False, False).count(2330, "frame") == "one animal per frame"
    assert Subjects.of(False, True).count(5, "frame") == "5 individuals"
    assert Subjects.of(True, False).count(3, "image") == "one person per image"
    assert filter_note(5) == "median filter over 5 frames" and filter_note(None) == "no filter"


def test_distinct_stems_stay_distinct():
    from posecut.predict_files import distinct_stems

    assert distinct_stems(["a/people.png", "b/skier.jpg"]) == ["people", "skier"]
    assert distinct_stems(["x/pic.png", "x/pic.jpg"]) == ["pic_png", "pic_jpg"]
    names = distinct_stems(["dupA/photo.png", "dupB/photo.png", "other.png"])
    assert names == ["dupA_photo_png", "dupB_photo_png", "other"]
    assert len(set(distinct_stems(["p/a/x.png", "q/a/x.png"]))) == 2


def test_one_undecodable_image_is_skipped_and_the_rest_are_written(tmp_path, capsys):
    from posecut.cli import main

    folder = tmp_path / "photos"
    folder.mkdir()
    root = ROOT
    people = iio.imread(os.path.join(root, "demo", "images", "people.png"))[::4, ::4]
    for name in ("a.png", "c.png"):
        iio.imwrite(folder / name, people)
    (folder / "b.png").write_bytes(b"not an image")
    (tmp_path / "dupA").mkdir()
    (tmp_path / "dupB").mkdir()
    iio.imwrite(tmp_path / "dupA" / "a.png", people)
    out = tmp_path / "out"
    assert main(["predict", str(folder), str(tmp_path / "dupA" / "a.png"), "--output", str(out),
                 "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "3 images:" in captured.out
    assert "skipped 1 of 4 inputs" in captured.err and "b.png: cannot decode image" in captured.err
    assert "pip install" not in captured.err
    records = json.load(open(out / "images.json"))
    assert [os.path.basename(r["file_name"]) for r in records] == ["a.png", "c.png", "a.png"]
    assert len([n for n in os.listdir(out) if n.endswith(".png")]) == 3  # no drawing overwritten


def test_the_probe_is_the_first_input_that_can_be_read(tmp_path):
    """The backend choice's probe: the first readable image, else a video's first frame."""
    (tmp_path / "broken.png").write_bytes(b"not a png")
    iio.imwrite(tmp_path / "good.png", np.full((10, 12, 3), 77, np.uint8))
    (tmp_path / "bad.mp4").write_bytes(b"not a video")
    video = _video(tmp_path / "clip.mp4")
    image = probe_image([str(tmp_path / "broken.png"), str(tmp_path / "good.png")], [video])
    assert image.shape == (10, 12, 3) and (image == 77).all()
    frame = probe_image([str(tmp_path / "broken.png")], [str(tmp_path / "bad.mp4"), video])
    first = np.asarray(next(iter(iio2.get_reader(video))))[..., :3]
    assert frame.shape == first.shape and np.array_equal(frame, first)
    assert probe_image([str(tmp_path / "broken.png")], [str(tmp_path / "bad.mp4")]) is None
