"""Several workers, the parts one process can show: a worker that is not the chief takes part
in every save but writes nothing where the chief writes, an interrupted run saves nothing, and
workers that would start from different steps refuse. Two real worker processes train in
tests/posecut/test_workers.py."""
import os
import tempfile

import imageio.v3 as iio
import numpy as np
import pytest
import tensorflow as tf
from fake_records import Record

import builders

from dataset.augment import AugmentSettings
from dataset.pipeline import SampleSettings, training_dataset
from lib.errors import CheckpointError
from nnet.train import (Trainer, TrainSettings, is_chief, require_same_start, run_training,
                        shard_batches_across_workers)

pytestmark = pytest.mark.slow

SPEC = builders.tiny_spec(2, location_refinement=True)
LOSSES = builders.losses(2, location_refinement=True)


def records(folder):
    out = []
    for i, (x, y) in enumerate([(12, 12), (28, 20), (20, 28)]):
        image = np.full((48, 48, 3), 90, np.uint8)
        image[y - 4:y + 4, x - 4:x + 4] = (250, 30, 30)
        iio.imwrite(folder / f"{i}.png", image)
        out.append(Record(str(folder / f"{i}.png"), np.array([[[x, y, 2], [x, y + 8, 2]]],
                                                              np.float32)))
    return out


def test_one_process_is_the_chief_and_batches_are_sliced_by_data():
    assert is_chief(tf.distribute.get_strategy())
    options = shard_batches_across_workers(tf.data.Dataset.range(4).batch(2)).options()
    assert options.experimental_distribute.auto_shard_policy == \
        tf.data.experimental.AutoShardPolicy.DATA


def test_workers_that_would_start_from_different_steps_refuse():
    require_same_start([8, 8, 8], "out/snapshot_resume_state")
    with pytest.raises(CheckpointError) as err:
        require_same_start([8, 0], "out/snapshot_resume_state")
    assert str(err.value).startswith("out/snapshot_resume_state: the workers' replicas would "
                                     "start from different steps (8, 0)")


def test_a_worker_that_is_not_the_chief_writes_nowhere_and_an_interruption_saves_nothing(
        tmp_path, monkeypatch):
    images, out, scratch = tmp_path / "images", tmp_path / "out", tmp_path / "scratch"
    for folder in (images, out, scratch):
        folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    settings = TrainSettings(multi_step=((0.01, 10),), display_iters=1, save_iters=2,
                             snapshot_prefix=str(out / "snapshot"), log_dir=str(out / "log"))
    tf.keras.utils.set_random_seed(0)
    trainer = Trainer(SPEC, LOSSES, settings)
    trainer.chief, trainer.multi_worker = False, True
    made, real_mkdtemp = [], tempfile.mkdtemp

    def mkdtemp(**kwargs):
        made.append(real_mkdtemp(**kwargs))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    steps = {"n": 0}
    real_step = trainer.train_step

    def stopping(batch):
        steps["n"] += 1
        if steps["n"] == 4:
            raise KeyboardInterrupt
        return real_step(batch)

    monkeypatch.setattr(trainer, "train_step", stopping)
    samples = SampleSettings(
        AugmentSettings(global_scale=1.0, scale_jitter_lo=1.0, scale_jitter_up=1.0,
                        mirror=False, crop=False, crop_pad=0, max_input_size=500,
                        flip_index=None),
        builders.targets(2, location_refinement=True, pos_dist_thresh=8))
    data = records(images)
    with pytest.raises(KeyboardInterrupt):
        run_training(trainer, lambda start: training_dataset(data, samples, 1, 3,
                                                             start_sample=start),
                     progress=False)
    assert trainer.current_step() == 3
    assert len(made) == 1 and os.path.basename(made[0]).startswith("posecut-worker-")
    assert os.listdir(out) == [] and not os.path.exists(made[0])
