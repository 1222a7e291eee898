"""The Python entry point: ``posecut.Predictor`` and ``posecut.Tracker``, built from a config (and
its weights) or, given none, the bundled model, with ``.image()``, ``.images()`` and ``.video()``.

They compose the same steps as `posecut predict` and `posecut track`: one implementation of each.
"""
from __future__ import annotations

import logging
import os
from typing import Iterable, Iterator, Optional

import numpy as np

from posecut.bundled import model_paths

__all__ = ["Predictor", "Tracker"]

log = logging.getLogger(__name__)


def _config_and_weights(config, weights):
    """(loaded config, weights or None) of a config path or loaded config, else the bundled model."""
    from posecut.config import PoseConfig, load_config

    if isinstance(config, PoseConfig):
        return config, None if weights is None else os.fspath(weights)
    path, weights = model_paths(config, weights)
    return load_config(path), weights


def _start():
    """Start TensorFlow as the commands do (oneDNN chosen for this CPU, start-up lines hidden)."""
    from posecut.logs import start_tensorflow

    start_tensorflow()


def _image(image) -> np.ndarray:
    """An RGB uint8 array of a path or an array."""
    from dataset.images import read_image

    if isinstance(image, (str, os.PathLike)):
        return read_image(os.fspath(image))
    return np.asarray(image)


class Predictor:
    """People in images and videos: grouped by the multicut where the config has the pairwise head,
    else one argmax pose per image (a single animal or person). ``config``: a pose_cfg.yaml path or a
    loaded config (None: ./pose_cfg.yaml if present, else the bundled model); ``weights``: a
    checkpoint (None: the bundled model's with its config, else the config's init_weights)."""

    def __init__(self, config=None, weights=None):
        self.config, weights = _config_and_weights(config, weights)
        _start()
        from posecut.build import setup_prediction

        self._predict = setup_prediction(self.config, weights)

    @property
    def timings(self) -> dict:
        """Seconds per stage of the last image."""
        return self._predict.timings

    def image(self, image):
        """The People (poses (K, J, 3): x, y, score; scores (K,)) of one RGB image or image file."""
        return self._predict(_image(image))

    def images(self, paths: Iterable) -> Iterator[tuple]:
        """(path, People) for each image file, read ahead on a thread; a file that cannot be read
        is logged and skipped."""
        from lib.errors import DatasetError
        from posecut.overlap import read_ahead

        def read(path):
            try:
                return _image(path)
            except DatasetError as err:
                return err

        for path, image in read_ahead((path, read(path)) for path in paths):
            if isinstance(image, DatasetError):
                log.warning("skipped: %s", image)
                continue
            yield path, self._predict(image)

    def video(self, path) -> Iterator[tuple]:
        """(frame index, People) for each frame of a video file or folder of frames, decoded ahead."""
        from posecut.frames import run_frames

        def step(frames):
            for name, frame in frames:
                yield name, frame, self._predict(frame)

        for index, _, _, people in run_frames(os.fspath(path), step, progress=False):
            yield index, people


class Tracker:
    """People followed from frame to frame, each with a track id: ArtTrack's spatio-temporal
    grouping (``tracker`` 'arttrack', with the config's fitted temporal model or
    ``temporal_model``) or the OKS-linking baseline ('oks'). ``config`` and ``weights`` as for
    Predictor; the config must have the pairwise head."""

    def __init__(self, config=None, weights=None, tracker: str = "arttrack",
                 temporal_model: Optional[str] = None):
        from lib.errors import ConfigError

        self.config, weights = _config_and_weights(config, weights)
        if not self.config.pairwise_predict:
            raise ConfigError(f"{self.config.source}: pairwise_predict: tracking follows several "
                              f"people with the pairwise head (true), got false")
        _start()
        from nnet.predict import setup_pose_prediction
        from posecut.build import tracker_factory

        self._network = setup_pose_prediction(self.config, weights)
        self._new_tracker = tracker_factory(self.config, tracker, temporal_model)

    def frames(self, frames: Iterable) -> Iterator[tuple]:
        """(name, FramePeople with poses, scores and track_ids) for each (name, RGB frame) of
        ``frames``, such as a live camera's, in order, each once it is decided. Each call starts
        new tracks."""
        from posecut.tracking_run import track_frames

        for name, _, found in track_frames(frames, self._network, self._new_tracker(),
                                           float(self.config.global_scale)):
            yield name, found

    def video(self, path) -> Iterator[tuple]:
        """(frame name, FramePeople) for each frame of a video file or folder of frames."""
        from posecut.frames import frame_source

        frames, _, _, close = frame_source(os.fspath(path))
        try:
            yield from self.frames(frames)
        finally:
            close()
