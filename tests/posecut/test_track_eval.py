"""Evaluating tracking results: PoseTrack metrics and per-frame AP of files, and the
`posecut evaluate-tracks` command."""
import dataclasses
import json

import numpy as np
import pytest

from dataset.posetrack import read_posetrack, write_posetrack
from dataset.synthetic.clips import generate_clips
from dataset.tracks import TrackedVideo, frame_people
from lib.errors import DatasetError
from posecut.cli import main
from posecut.track_eval import evaluate_track_files, frame_ap, posetrack_files


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    generate_clips(folder, 2, 6, 96, 128, people=(2, 2), seed=5, enter=False, leave=False)
    return folder


def _predicted(video, swap_from=None):
    """The ground truth as a prediction (scores 1), with the ids of the first two people swapped
    from frame ``swap_from`` on."""
    frames = []
    for k, people in enumerate(video.people):
        ids = people.track_ids.copy()
        if swap_from is not None and k >= swap_from and len(ids) >= 2:
            ids[[0, 1]] = ids[[1, 0]]
        poses = people.poses.copy()
        poses[:, :, 2] = (people.poses[:, :, 2] > 0).astype(float)
        frames.append(frame_people(ids, poses))
    return dataclasses.replace(video, people=frames, labelled=[])


def test_a_perfect_prediction_scores_full_marks_and_a_swap_costs_switches(clips, tmp_path):
    truth = [read_posetrack(p).video for p in posetrack_files(clips)]
    assert len(truth) == 2
    out = tmp_path / "pred"
    for video in truth:
        write_posetrack(_predicted(video), out / f"{video.name}.json", predictions=True)
    perfect = evaluate_track_files(clips, out)
    assert perfect.tracking.total.mota == pytest.approx(1.0) and perfect.tracking.total.id_switches == 0
    assert perfect.ap["AP"] == pytest.approx(1.0) and perfect.skipped == []
    for video in truth:
        write_posetrack(_predicted(video, swap_from=3), out / f"{video.name}.json", predictions=True)
    swapped = evaluate_track_files(clips, out)
    assert swapped.tracking.total.id_switches > 0 and swapped.tracking.total.mota < 1.0
    assert swapped.ap["AP"] == pytest.approx(1.0)  # identities play no part in the per-frame AP


def test_frame_ap_counts_only_labelled_frames():
    pose = np.zeros((1, 17, 3))
    pose[0, :, :2] = np.linspace(10, 60, 34).reshape(17, 2)
    pose[0, :, 2] = 2
    truth = TrackedVideo("v", ["a", "b"], [frame_people([0], pose), frame_people([0], pose)], "coco17",
                         [True, False])
    wrong = pose.copy()
    wrong[0, :, :2] += 40
    guess = TrackedVideo("v", ["a", "b"], [frame_people([0], pose), frame_people([0], wrong)], "coco17")
    assert frame_ap([truth], [guess])["AP"] == pytest.approx(1.0)  # frame b is not labelled
    with pytest.raises(DatasetError, match="no labelled frame of a ground-truth video has a prediction"):
        frame_ap([truth], [dataclasses.replace(guess, name="other")])


def test_the_command_prints_both_tables_and_reports_a_bad_file(clips, tmp_path, capsys):
    out = tmp_path / "pred"
    for path in posetrack_files(clips):
        video = read_posetrack(path).video
        write_posetrack(_predicted(video), out / f"{video.name}.json", predictions=True)
    assert main(["evaluate-tracks", str(clips), str(out), "--output", str(tmp_path / "m.json")]) == 0
    printed = capsys.readouterr().out
    assert "| **total** | 100.0 |" in printed and "per-frame keypoint AP" in printed
    saved = json.loads((tmp_path / "m.json").read_text())
    assert saved["tracking"]["total"]["mota"] == pytest.approx(1.0) and saved["ap"]["AP"] == pytest.approx(1.0)
    (out / "zzz_broken.json").write_text("[1, 2]")
    assert main(["evaluate-tracks", str(clips), str(out)]) == 1
    assert "zzz_broken.json: expected PoseTrack JSON" in capsys.readouterr().err
    assert main(["evaluate-tracks", str(tmp_path / "none"), str(out)]) == 2
    assert "none: no such PoseTrack file or folder" in capsys.readouterr().err
