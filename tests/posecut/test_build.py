"""posecut.build: the pieces a config names, read in one place."""
import json
import os

import numpy as np

from dataset.pairwise_stats import load_pairwise_stats
from dataset.synthetic.coco_files import generate_dataset
from posecut.build import pairwise_stats_from_config, records_from_config, skip_reasons
from posecut.bundled import BUNDLED_CONFIG
from posecut.config import load_config


def test_the_pairwise_statistics_of_a_config_are_scaled_by_its_global_scale():
    cfg = load_config(BUNDLED_CONFIG)
    raw = load_pairwise_stats(cfg.resolve_path(cfg.pairwise_stats_fn), cfg.num_joints)
    half = pairwise_stats_from_config(cfg.replace(global_scale=0.5))
    np.testing.assert_allclose(half.means, raw.means * 0.5)
    np.testing.assert_allclose(half.stds, raw.stds * 0.5)


def test_records_are_cut_to_the_first_n_and_a_missing_image_is_a_reason(tmp_path):
    generate_dataset(str(tmp_path), 4, 48, 64, seed=3)
    annotations = tmp_path / "person_keypoints.json"
    with open(annotations, encoding="utf-8") as f:
        data = json.load(f)
    os.remove(tmp_path / data["images"][1]["file_name"])
    cfg = load_config(BUNDLED_CONFIG)
    records, skipped = records_from_config(cfg, str(annotations), max_images=2)
    assert [r.image_id for r in records] == [data["images"][0]["id"], data["images"][2]["id"]]
    assert len(skipped) == 1 and "not found" in skipped[0]
    assert data["images"][1]["file_name"] in skipped[0]


def test_skip_reasons_name_a_bare_path_as_a_missing_image():
    class Data:
        skipped = ("/data/a.png", "b.json: record 3: no joints")

    assert skip_reasons(Data) == ["/data/a.png: image file not found", "b.json: record 3: no joints"]
