"""Running multi-person prediction over a data set: fitting samples, results JSON, timings.

The source of network outputs is a function of one record (the network on its image, or the
oracle on its ground truth), so the same loops serve the trained model and the oracle. A record
whose outputs cannot be had (an image that cannot be read: DatasetError) is logged, skipped and
returned as (image path, reason); the loops finish the rest.
"""
import logging
import time
from typing import Callable

import numpy as np
from tqdm import tqdm

from dataset.coco_eval import people_to_coco_results
from dataset.images import read_image
from dataset.targets import TargetSettings
from multiperson.detections import extract_detections
from multiperson.fit_pairwise import PairSamples, match_detections, pair_samples
from multiperson.oracle import OracleNoise, oracle_outputs
from multiperson.predict import MultiPersonSettings, STAGES, people_from_raw_outputs
from lib.errors import DatasetError
from nnet.outputs import scale_image

__all__ = ["collect_pair_samples", "network_outputs_fn", "oracle_outputs_fn", "predict_dataset"]

log = logging.getLogger(__name__)


def network_outputs_fn(network, scale: float = 1.0) -> Callable:
    """record -> raw outputs (nnet.predict.PosePredictor's dict) of the network on the record's
    image resized by ``scale``."""

    def outputs(record):
        return network(scale_image(read_image(record.image_path), scale))

    return outputs


def oracle_outputs_fn(targets: TargetSettings, means, stds, noise: OracleNoise = OracleNoise(),
                      seed: int = 0, scale: float = 1.0) -> Callable:
    """record -> oracle outputs of its ground truth (multiperson.oracle), seeded per image id."""

    def outputs(record):
        joints = _scaled_joints(record, scale)
        size = (round(record.height * scale), round(record.width * scale))
        return oracle_outputs(joints, size, targets, means, stds, noise,
                              rng=np.random.default_rng([seed, int(record.image_id)]))

    return outputs


def _scaled_joints(record, scale):
    """The record's joints (P, J, 3) with x, y in pixels of its image resized by ``scale``."""
    joints = np.array(record.joints, dtype=np.float64)
    joints[..., :2] *= scale
    return joints


def _outputs_or_skip(outputs: Callable, record, skipped: list):
    """``outputs(record)``, or None after logging the reason and adding (image path, reason) to
    ``skipped`` when the record's image cannot be read."""
    try:
        return outputs(record)
    except DatasetError as err:
        path = getattr(record, "image_path", f"image id {record.image_id}")
        why = str(err) if path in str(err) else f"{path}: {err}"
        log.warning("skipped image: %s", why)
        skipped.append((path, why))
        return None


def collect_pair_samples(records, outputs, means, stds, settings: MultiPersonSettings,
                         match_radius: float, scale: float = 1.0,
                         progress: bool = False) -> tuple[PairSamples, list]:
    """(pair samples, skipped): pair samples of every record's detections
    (multiperson.fit_pairwise), in network pixels; ``outputs(record)`` gives raw outputs that the
    pairwise statistics ``means``, ``stds`` de-normalise. ``skipped`` lists (image path, reason)
    of the records whose image could not be read."""
    samples, skipped = PairSamples(settings.num_joints), []
    for record in tqdm(records, desc="fit-pairwise", unit="image", disable=not progress):
        if record.num_people < 2:
            continue
        raw = _outputs_or_skip(outputs, record, skipped)
        if raw is None:
            continue
        dets = extract_detections(raw, means, stds, settings.heads.stride,
                                  settings.heads.locref_stdev, settings.nms_radius,
                                  settings.det_min_score, settings.heads.pair_slots)
        owner = match_detections(dets, _scaled_joints(record, scale), match_radius)
        pair_samples(dets, owner, settings.pair_mask, samples)
    return samples, skipped


def predict_dataset(records, outputs, means, stds, model, settings: MultiPersonSettings,
                    scale: float = 1.0, progress: bool = False, gates=None):
    """(COCO results list, mean seconds per stage, skipped) of multi-person prediction on
    ``records``; ``skipped`` lists (image path, reason) of the records whose image could not be
    read, which have no results (score the rest against their own ground truth only).

    ``outputs(record)`` gives raw outputs at ``scale`` (its time is the 'network' stage), which
    the pairwise statistics ``means``, ``stds`` de-normalise; grouping is the predictor's
    (multiperson.predict.people_from_raw_outputs). ``gates``: see multiperson.graph.edge_gates.
    """
    results, skipped = [], []
    totals = dict.fromkeys(STAGES, 0.0)
    for record in tqdm(records, desc="multi-person", unit="image", disable=not progress):
        start = time.perf_counter()
        raw = _outputs_or_skip(outputs, record, skipped)
        if raw is None:
            continue
        timings = {"network": time.perf_counter() - start}
        people = people_from_raw_outputs(raw, means, stds, model, settings, timings, gates)
        if scale != 1.0:
            people = people.scaled(1.0 / scale)
        results += people_to_coco_results(int(record.image_id), people.poses, people.scores)
        for stage, seconds in timings.items():
            totals[stage] += seconds
    count = max(len(records) - len(skipped), 1)
    return results, {stage: seconds / count for stage, seconds in totals.items()}, skipped
