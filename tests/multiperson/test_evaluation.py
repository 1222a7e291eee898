"""multiperson.evaluation: the loops behind fit-pairwise and test-multiperson, on oracle outputs."""
from dataclasses import dataclass

import numpy as np

from dataset.coco_eval import evaluate_keypoints
from dataset.keypoint_formats import get_format
from dataset.pairwise_stats import compute_pairwise_stats
from dataset.synthetic import render_scene
from multiperson.evaluation import collect_pair_samples, oracle_outputs_fn, predict_dataset
from multiperson.fit_pairwise import fit_spatial_model
from multiperson.predict import STAGES
import builders

J = 17


@dataclass
class _Record:
    image_id: int
    joints: np.ndarray
    height: int = 128
    width: int = 128

    @property
    def num_people(self):
        return len(self.joints)


def _records(count, seed, first_id=1):
    rng = np.random.default_rng(seed)
    return [_Record(first_id + i, render_scene(rng, 128, 128, 3, min_height=60)[1])
            for i in range(count)]


def _truth(records):
    """COCO ground truth of the records (boxes from the labelled joints)."""
    images, annotations = [], []
    for r in records:
        images.append({"id": r.image_id, "width": r.width, "height": r.height})
        for person in r.joints:
            seen = person[:, 2] > 0
            if seen.sum() == 0:
                continue
            lo, hi = person[seen, :2].min(0), person[seen, :2].max(0)
            annotations.append({"id": len(annotations) + 1, "image_id": r.image_id,
                                "category_id": 1, "iscrowd": 0, "keypoints": person.ravel().tolist(),
                                "num_keypoints": int(seen.sum()),
                                "bbox": [*lo.tolist(), *(hi - lo).tolist()],
                                "area": float(np.prod(np.maximum(hi - lo, 1)))})
    return {"images": images, "annotations": annotations,
            "categories": [{"id": 1, "name": "person"}]}


def test_oracle_fit_then_prediction_scores_well_and_times_every_stage():
    targets = builders.targets(J, keypoint_format="coco17", pos_dist_thresh=8, location_refinement=True,
                               pairwise_predict=True)
    train, test = _records(10, 0), _records(6, 1, first_id=100)
    stats = compute_pairwise_stats([r.joints for r in train], J)
    settings = builders.grouping(J, keypoint_format="coco17", nms_radius=2.0, det_min_score=0.3,
                                 min_person_parts=3, edge_gate_stds=0.0, edge_offset_gate_px=None)
    outputs = oracle_outputs_fn(targets, stats.means, stats.stds, seed=0)
    samples, skipped = collect_pair_samples(train, outputs, stats.means, stats.stds, settings,
                                            match_radius=8.0)
    assert skipped == []
    assert samples.features and samples.same_distances
    model, _ = fit_spatial_model(samples, np.argwhere(np.triu(settings.pair_mask, 1)))
    results, timings, skipped = predict_dataset(test, outputs, stats.means, stats.stds, model, settings)
    assert skipped == []
    assert set(timings) == set(STAGES)
    assert {r["image_id"] for r in results} <= {r.image_id for r in test}
    metrics = evaluate_keypoints(_truth(test), results, get_format("coco17").sigmas)
    assert metrics["AP"] > 0.5
    # the oracle's noise is seeded per image: the same record gives the same outputs
    first, again = outputs(test[0]), outputs(test[0])
    np.testing.assert_array_equal(first["pairwise_pred"], again["pairwise_pred"])


@dataclass
class _Pictured(_Record):
    image_path: str = ""


def test_an_image_that_cannot_be_read_is_skipped_and_the_rest_predicted(tmp_path, caplog):
    """The network's outputs need the image: one that cannot be decoded is logged and returned as
    skipped, with no results; the other images give what they give on their own."""
    import imageio.v3 as iio

    from dataset.images import read_image

    targets = builders.targets(J, keypoint_format="coco17", pos_dist_thresh=8, location_refinement=True,
                               pairwise_predict=True)
    train = _records(6, 0)
    stats = compute_pairwise_stats([r.joints for r in train], J)
    settings = builders.grouping(J, keypoint_format="coco17", nms_radius=2.0, det_min_score=0.3,
                                 min_person_parts=3)
    oracle = oracle_outputs_fn(targets, stats.means, stats.stds, seed=0)
    records = []
    for r in _records(4, 2, first_id=50):
        path = tmp_path / f"{r.image_id}.png"
        iio.imwrite(path, np.zeros((r.height, r.width, 3), np.uint8))
        records.append(_Pictured(r.image_id, r.joints, image_path=str(path)))
    (tmp_path / "51.png").write_bytes(b"not an image")

    def outputs(record):  # reads the image first, as network_outputs_fn does
        read_image(record.image_path)
        return oracle(record)

    model, _ = fit_spatial_model(collect_pair_samples(train, oracle, stats.means, stats.stds, settings, 8.0)[0],
                                 np.argwhere(np.triu(settings.pair_mask, 1)))
    with caplog.at_level("WARNING"):
        results, timings, skipped = predict_dataset(records, outputs, stats.means, stats.stds, model, settings)
    bad = str(tmp_path / "51.png")
    assert [path for path, _ in skipped] == [bad] and "cannot decode" in skipped[0][1]
    assert f"skipped image: {bad}: cannot decode" in caplog.text
    read = [records[0], *records[2:]]
    alone, _, none = predict_dataset(read, outputs, stats.means, stats.stds, model, settings)
    assert none == [] and results == alone and 51 not in {r["image_id"] for r in results}
    assert set(timings) == set(STAGES)

    samples, skipped = collect_pair_samples(records, outputs, stats.means, stats.stds, settings, 8.0)
    alone = collect_pair_samples(read, outputs, stats.means, stats.stds, settings, 8.0)[0]
    assert [path for path, _ in skipped] == [bad]
    assert set(samples.features) == set(alone.features) and set(samples.same_distances) == set(alone.same_distances)
    for k in samples.same_distances:
        np.testing.assert_array_equal(samples.same_part_arrays(k)[0], alone.same_part_arrays(k)[0])
