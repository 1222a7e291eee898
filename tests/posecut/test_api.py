"""posecut.Predictor and posecut.Tracker: the Python entry point gives what the building blocks
and the commands give, on the bundled model."""
import imageio.v3 as iio
import numpy as np
import pytest

import posecut
from dataset.images import read_image
from lib.errors import ConfigError
from posecut.bundled import BUNDLED_CONFIG, BUNDLED_WEIGHTS
from posecut.config import load_config

PICTURE = "demo/images/people.png"


@pytest.fixture(scope="module")
def predictor(root):
    return posecut.Predictor(root / "models" / "synthetic_multi" / "pose_cfg.yaml",
                             root / "models" / "synthetic_multi" / "model" / "weights")


@pytest.fixture(scope="module")
def frames(root, tmp_path_factory):
    """A folder of six frames of the bundled picture moving right, 2 pixels a frame."""
    folder = tmp_path_factory.mktemp("frames")
    image = read_image(str(root / PICTURE))
    for k in range(6):
        iio.imwrite(folder / f"{k:02d}.png", np.roll(image, 2 * k, axis=1))
    return folder


def test_an_image_gives_the_building_blocks_people(predictor, root):
    from posecut.build import setup_multiperson_prediction

    reference = setup_multiperson_prediction(load_config(BUNDLED_CONFIG), BUNDLED_WEIGHTS)
    image = read_image(str(root / PICTURE))
    ours, theirs = predictor.image(root / PICTURE), reference(image)
    assert len(ours.poses) >= 5 and ours.poses.shape[1:] == (17, 3)
    np.testing.assert_array_equal(ours.poses, theirs.poses)
    np.testing.assert_array_equal(predictor.image(image).scores, theirs.scores)
    assert set(predictor.timings) >= {"network", "solver"}


def test_images_skip_what_cannot_be_read_and_a_video_gives_every_frame(predictor, root, frames,
                                                                        caplog):
    found = list(predictor.images([root / PICTURE, root / "missing.png", root / PICTURE]))
    assert [path for path, _ in found] == [root / PICTURE, root / PICTURE]
    assert "missing.png" in caplog.text
    video = list(predictor.video(frames))
    assert [index for index, _ in video] == list(range(6))
    first = predictor.image(frames / "00.png")
    np.testing.assert_array_equal(video[0][1].poses, first.poses)


def test_the_tracker_follows_people_with_ids_and_refuses_a_single_person_model(frames, root):
    from nnet.predict import setup_pose_prediction
    from posecut.build import tracker_factory
    from posecut.tracking_run import track_video

    tracker = posecut.Tracker(tracker="oks")
    tracked = list(tracker.video(frames))
    assert [name for name, _ in tracked] == [f"{k:02d}.png" for k in range(6)]
    cfg = load_config(BUNDLED_CONFIG)
    reference = track_video(setup_pose_prediction(cfg, BUNDLED_WEIGHTS),
                            tracker_factory(cfg, "oks")(), str(frames), cfg.global_scale,
                            progress=False)
    for (_, ours), theirs in zip(tracked, reference.people):
        np.testing.assert_array_equal(ours.track_ids, theirs.track_ids)
        np.testing.assert_array_equal(ours.poses, theirs.poses)
    first_ids = set(tracked[0][1].track_ids.tolist())
    assert len(first_ids) >= 5
    # people moving 2 pixels a frame keep most of their ids
    assert len(first_ids & set(tracked[-1][1].track_ids.tolist())) >= len(first_ids) // 2
    again = list(tracker.frames((f"{k}", read_image(str(frames / f"{k:02d}.png"))) for k in range(2)))
    assert [found.track_ids.tolist() for _, found in again] == [
        found.track_ids.tolist() for _, found in tracked[:2]]
    single = load_config(BUNDLED_CONFIG).replace(pairwise_predict=False)
    with pytest.raises(ConfigError, match="pairwise_predict"):
        posecut.Tracker(single)
