"""Tracking from a config (posecut.tracking_run) and the `posecut fit-temporal`, `posecut track`
commands, on tiny synthetic clips with the bundled model's grouping assets."""
import dataclasses
import json
import logging
import os

import imageio.v2 as iio2
import numpy as np
import pytest
from conftest import ROOT

from dataset.posetrack import read_posetrack
from dataset.records import ImageRecord
from dataset.synthetic.clips import generate_clips
from lib.errors import ConfigError, DatasetError
from multiperson.temporal_model import TemporalModel, load_temporal_model
from multiperson.tracking import ArtTracker
from posecut.build import grouping_assets_from_config, outputs_source
from posecut.cli import main
from posecut.config import load_config
from posecut.frames import frame_source
from posecut.tracking_run import (OksTracker, clip_frames, fit_temporal_on_clips, make_tracker,
                                  sigmas_of, temporal_model_path, track_frames,
                                  track_settings_from_config)

BUNDLED = os.path.join(ROOT, "models",
                       "synthetic_multi")


@pytest.fixture(scope="module")
def cfg():
    return load_config(os.path.join(BUNDLED, "pose_cfg.yaml"))


@pytest.fixture(scope="module")
def assets(cfg):
    return grouping_assets_from_config(cfg)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return generate_clips(folder, 2, 8, 128, 160, people=(2, 3), seed=4)


def test_track_settings_come_from_the_config_and_disagreements_name_the_keys(cfg):
    settings = track_settings_from_config(cfg)
    assert (settings.window, settings.overlap, settings.max_gap) == (cfg.track_window, cfg.track_overlap,
                                                                     cfg.track_max_gap)
    assert settings.flow.winsize == cfg.track_flow_window
    assert track_settings_from_config(cfg.replace(track_flow_window=0)).flow is None
    with pytest.raises(ConfigError, match=r"pose_cfg\.yaml: track_\*: TrackSettings\.overlap: expected 1 \.\. "):
        track_settings_from_config(cfg.replace(track_window=4, track_overlap=4))


def test_the_temporal_model_lies_beside_the_spatial_model_unless_named(cfg, tmp_path):
    assert temporal_model_path(cfg) == os.path.join(BUNDLED, "model", "temporal_model.npz")
    assert temporal_model_path(cfg.replace(temporal_model="tm.npz")) == os.path.join(BUNDLED, "tm.npz")
    assert temporal_model_path(cfg, str(tmp_path / "x.npz")) == str(tmp_path / "x.npz")
    with pytest.raises(ConfigError, match="temporal_model: expected the file of the fitted temporal model"):
        temporal_model_path(cfg.replace(pairwise_model_dir=""))


def test_make_tracker_and_sigmas(cfg, assets):
    settings = track_settings_from_config(cfg)
    assert isinstance(make_tracker("oks", assets, settings, sigmas_of(cfg)), OksTracker)
    with pytest.raises(ConfigError, match="tracker arttrack: expected a fitted temporal model"):
        make_tracker("arttrack", assets, settings, sigmas_of(cfg), None)
    with pytest.raises(ConfigError, match="tracker: expected one of arttrack, oks, got 'kalman'"):
        make_tracker("kalman", assets, settings, sigmas_of(cfg))
    np.testing.assert_allclose(sigmas_of(cfg)[:3], [0.026, 0.025, 0.025])
    assert sigmas_of(cfg.replace(keypoint_format=None)).shape == (17,)


def test_clip_frames_finds_the_frames_and_names_what_is_missing(clips, tmp_path):
    video = read_posetrack(clips[0]).video
    paths = clip_frames(video, clips[0])
    assert len(paths) == 8 and all(os.path.isfile(p) for p in paths)
    with pytest.raises(DatasetError, match=r"frame 0: image file nowhere\.png not found"):
        clip_frames(dataclasses.replace(video, frames=["nowhere.png"] + video.frames[1:]), clips[0])
    with pytest.raises(DatasetError, match=r"frame 1: file_name \.\./\.\./x\.png: climbs out"):
        clip_frames(dataclasses.replace(video, frames=[video.frames[0], "../../x.png"] + video.frames[2:]),
                    clips[0])


def test_frame_source_reads_folders_in_order_and_videos(clips, tmp_path, caplog):
    folder = os.path.splitext(clips[0])[0]
    frames, fps, count, _ = frame_source(folder)
    names = [name for name, _ in frames]
    assert names == sorted(names) and count == len(names) == 8 and fps == 25.0
    broken = tmp_path / "frames"
    broken.mkdir()
    for k, (_, image) in enumerate(frame_source(folder)[0]):
        iio2.imwrite(broken / f"{k:03d}.png", image)
    (broken / "004.png").write_bytes(b"not an image")
    with caplog.at_level(logging.WARNING):
        kept = [name for name, _ in frame_source(str(broken))[0]]
    assert "004.png" not in kept and len(kept) == 7 and "004.png" in caplog.text
    video = tmp_path / "clip.mp4"
    with iio2.get_writer(video, format="FFMPEG", fps=10, macro_block_size=1) as writer:
        for _, image in frame_source(folder)[0]:
            writer.append_data(image)
    frames, fps, count, close = frame_source(str(video), count=True)
    read = list(frames)
    close()
    assert len(read) == count == 8 and fps == pytest.approx(10.0) and read[3][0] == "clip.mp4#3"
    (tmp_path / "bad.mp4").write_bytes(b"nothing")
    with pytest.raises(DatasetError, match=r"bad\.mp4: cannot read video"):
        list(frame_source(str(tmp_path / "bad.mp4"))[0])
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="empty: no image files"):
        frame_source(str(tmp_path / "empty"))


def test_oracle_tracking_keeps_order_and_fits_a_model(cfg, assets, clips, tmp_path):
    settings = track_settings_from_config(cfg)
    oracle = outputs_source(cfg, None, assets.means, assets.stds, oracle=True, seed=1)
    broken = tmp_path / "broken.json"
    broken.write_text("[]")
    model, count, skipped = fit_temporal_on_clips([clips[0], str(broken)], oracle, assets, settings,
                                                  cfg.pos_dist_thresh)
    assert isinstance(model, TemporalModel) and count > 50
    assert len(skipped) == 1 and "broken.json: expected PoseTrack JSON" in skipped[0]
    video = read_posetrack(clips[1]).video
    truth = iter(video.people)

    def outputs(image):  # the oracle of the frame's ground truth, in the order frames come
        return oracle(ImageRecord("x.png", 0, image.shape[0], image.shape[1], next(truth).poses))

    frames = list(frame_source(os.path.splitext(clips[1])[0])[0])
    tracker = make_tracker("arttrack", assets, settings, sigmas_of(cfg), model)
    assert isinstance(tracker, ArtTracker)
    out = list(track_frames(frames, outputs, tracker, cfg.global_scale))
    assert [name for name, _, _ in out] == [name for name, _ in frames]
    assert all(frame is image for (_, frame, _), (_, image) in zip(out, frames))
    found_ids = {int(t) for _, _, people in out for t in people.track_ids}
    true_ids = {int(t) for people in video.people for t in people.track_ids}
    assert 1 <= len(found_ids) <= len(true_ids) + 2


def test_fit_temporal_track_and_evaluate_from_the_command_line(clips, tmp_path, capsys):
    config = os.path.join(BUNDLED, "pose_cfg.yaml")
    weights = os.path.join(BUNDLED, "model", "weights")
    model = tmp_path / "temporal.npz"
    assert main(["fit-temporal", config, "--oracle", "--clips", os.path.dirname(clips[0]),
                 "--output", str(model)]) == 0
    assert "fitted the temporal model on" in capsys.readouterr().out
    load_temporal_model(model)
    out = tmp_path / "track"
    folders = [os.path.splitext(p)[0] for p in clips]
    assert main(["track", *folders, "--config", config, "--weights", weights, "--temporal-model",
                 str(model), "--output", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert all(f"{folder}: 8 frames" in printed for folder in folders) and "(arttrack)" in printed
    result = read_posetrack(out / f"{os.path.basename(folders[0])}.json")
    assert result.predictions and len(result.video.frames) == 8
    assert (out / f"{os.path.basename(folders[0])}_tracks.mp4").stat().st_size > 0
    assert main(["evaluate-tracks", os.path.dirname(clips[0]), str(out)]) == 0
    assert "| **total** |" in capsys.readouterr().out
    with open(out / f"{os.path.basename(folders[0])}.json", encoding="utf-8") as f:
        assert all("track_id" in a for a in json.load(f)["annotations"])


def test_track_refuses_what_it_cannot_follow(tmp_path, capsys):
    config = os.path.join(BUNDLED, "pose_cfg.yaml")
    (tmp_path / "a.doc").write_text("x")
    assert main(["track", str(tmp_path / "a.doc"), "--config", config]) == 2
    assert "a.doc: expected a video file" in capsys.readouterr().err
    (tmp_path / "videos.txt").write_text("a.doc\n")
    assert main(["track", str(tmp_path / "videos.txt"), "--config", config]) == 2
    assert "a.doc: expected a video file" in capsys.readouterr().err
    assert main(["track", str(tmp_path), "--config", config, "--temporal-model",
                 str(tmp_path / "none.npz")]) == 2
    assert "none.npz: no such file or folder (expected the fitted temporal model" in capsys.readouterr().err


def test_a_tracker_factory_reads_the_assets_once_and_makes_fresh_trackers(cfg):
    from posecut.build import tracker_factory

    new = tracker_factory(cfg, "oks")
    first, second = new(), new()
    assert isinstance(first, OksTracker) and first is not second
    assert first.assets is second.assets and first.linker is not second.linker
    assert isinstance(tracker_factory(cfg)(), ArtTracker)
