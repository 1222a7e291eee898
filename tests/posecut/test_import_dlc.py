"""`posecut import-dlc`: a DeepLabCut project, made here as DeepLabCut lays it out, becomes a
posecut project whose config loads, whose data set holds the labels and which trains as written."""
import json
import os
import subprocess
import sys

import imageio.v3 as iio
import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from dataset.loaders import load_dataset, load_dataset_from_config
from lib.errors import PosecutError
from posecut.cli import main
from posecut.config import load_config
from posecut.import_dlc import choose_training_values, import_dlc

PARTS = ("snout", "leftear", "rightear", "tailbase")
CONFIG = """\
# Project definitions (do not edit)
Task: openfield
scorer: alex
date: Mar3
multianimalproject:
identity:

# Project path (change when moving around)
project_path: /where/it/was/made

video_sets:
  /where/it/was/made/videos/video1.mp4:
    crop: 0, 128, 0, 96
bodyparts:
- snout
- leftear
- rightear
- tailbase

start: 0
stop: 1
numframes2pick: 20

skeleton:
- - snout
  - tailbase
skeleton_color: black
pcutoff: 0.4
dotsize: 8
alphavalue: 0.7
colormap: jet

TrainingFraction:
- 0.75
iteration: 0
default_net_type: resnet_50
default_augmenter: imgaug
snapshotindex: -1
batch_size: 4
"""
MULTI_CONFIG = """\
Task: pair
scorer: alex
date: Mar3
multianimalproject: true
identity: false
project_path: /where/it/was/made
video_sets: {}
individuals:
- m1
- m2
uniquebodyparts:
- tray
multianimalbodyparts:
- snout
- leftear
- rightear
- tailbase
bodyparts: MULTI!
skeleton:
- [snout, leftear]
- [snout, rightear]
- [snout, tailbase]
pcutoff: 0.6
TrainingFraction:
- 0.75
"""
FRAMES = 8
SIZE = (96, 128)


def _animals(rng, count):
    """(FRAMES, count, 4, 2) part positions: a mouse about 40 px long, somewhere in the frame."""
    centre = rng.uniform([30, 30], [98, 66], size=(FRAMES, count, 1, 2))
    shape = np.array([[-18, 0], [-12, -5], [-12, 5], [18, 0]], dtype=float)
    return np.round(centre + shape + rng.normal(0, 1, size=(FRAMES, count, 4, 2)), 3)


def _frame(names, tuples, values, video="video1"):
    columns = pd.MultiIndex.from_tuples(tuples, names=names)
    index = pd.MultiIndex.from_tuples([("labeled-data", video, f"img{k:03d}.png") for k in range(FRAMES)])
    return pd.DataFrame(values, index=index, columns=columns)


def make_project(root, multi=False, parts=PARTS, seed=0):
    """A DeepLabCut project in ``root``: config.yaml, labeled-data/video1/ with FRAMES frames and
    CollectedData_alex.h5 with a CSV beside it (its values moved by 1000, so that reading the
    CSV instead shows); (config path, the labels: (FRAMES, animals, parts, 2))."""
    rng = np.random.default_rng(seed)
    folder = root / "labeled-data" / "video1"
    folder.mkdir(parents=True)
    for k in range(FRAMES):
        iio.imwrite(folder / f"img{k:03d}.png", rng.integers(0, 255, SIZE + (3,), dtype=np.uint8))
    animals = _animals(rng, 2 if multi else 1)
    if multi:
        names = ["scorer", "individuals", "bodyparts", "coords"]
        tuples = [("alex", who, p, c) for who in ("m1", "m2") for p in parts for c in "xy"]
        tuples += [("alex", "single", "tray", c) for c in "xy"]
        values = np.concatenate([animals.reshape(FRAMES, -1), np.full((FRAMES, 2), 5.0)], axis=1)
    else:
        names = ["scorer", "bodyparts", "coords"]
        tuples = [("alex", p, c) for p in parts for c in "xy"]
        values = animals[:, 0, :len(parts)].reshape(FRAMES, -1)
    _frame(names, tuples, values).to_hdf(folder / "CollectedData_alex.h5", key="df_with_missing", mode="w")
    _frame(names, tuples, values + 1000).to_csv(folder / "CollectedData_alex.csv")
    config = root / "config.yaml"
    config.write_text(MULTI_CONFIG if multi else CONFIG)
    return str(config), animals


def test_choose_training_values_follows_the_frame_and_the_animal():
    def mice(diagonal, count=5):
        """Animals whose labelled parts span a box with this diagonal (a 3:4 box), one unlabelled."""
        box = np.array([[0, 0, 2], [0.8 * diagonal, 0.6 * diagonal, 2], [10, 10, 2], [0, 0, 0]])
        return np.stack([box + [k, k, 0] for k in range(count)])

    openfield = choose_training_values([(480, 640)] * 116, mice(119.0), 110)
    assert (openfield.global_scale, openfield.pos_dist_thresh) == (0.5, 17.0)  # long side 320 px
    assert (openfield.long_side, openfield.animal_size) == (640.0, pytest.approx(119.0))
    assert openfield.batch_size == 8 and openfield.multi_step == ((0.001, 2800), (0.0001, 3500))
    assert openfield.save_iters == 400  # 250 passes: 250 * 110 / 8 = 3437.5, up to 3500
    wide = choose_training_values([(1080, 1920)], mice(300.0), 40)
    # 320 / 1920 = 0.167 and 48 / 300 = 0.16: the frame wins, 0.17; one cell is 8 / 0.17 = 47.1 px
    assert (wide.global_scale, wide.pos_dist_thresh) == (0.17, 47.1)
    small = choose_training_values([(1080, 1920)], mice(100.0), 40)
    assert (small.global_scale, small.pos_dist_thresh) == (0.48, 17.0)  # the animal keeps 48 px
    tiny = choose_training_values([(96, 128), (100, 120)], mice(40.0), 6)
    # never enlarged; 17 px is more than a quarter of a 40 px animal, one cell (8 px) is the least
    assert (tiny.global_scale, tiny.pos_dist_thresh, tiny.batch_size) == (1.0, 10.0, 6)
    assert tiny.multi_step[-1][1] == 2000  # at least MIN_STEPS
    alone = choose_training_values([(480, 640)], np.zeros((1, 4, 3)), 1)
    assert alone.animal_size is None and (alone.global_scale, alone.pos_dist_thresh) == (0.5, 17.0)
    with pytest.raises(ValueError, match="frame_sizes"):
        choose_training_values(np.zeros((0, 2)), mice(50.0), 1)


def test_a_single_animal_project_imports_into_a_config_that_loads_with_its_labels(tmp_path):
    config, animals = make_project(tmp_path / "dlc")
    out = tmp_path / "posecut"
    imported = import_dlc(config, out, seed=3)
    cfg = load_config(str(out / "pose_cfg.yaml"))
    assert (cfg.num_joints, cfg.dataset_type, cfg.pairwise_predict, cfg.seed) == (4, "coco", False, 3)
    assert cfg.format.joints == PARTS and cfg.format.flip_pairs == ((1, 2),)
    assert cfg.format.skeleton == ((0, 3),) and cfg.all_joints == ((0,), (1, 2), (3,))
    diagonal = np.median(np.hypot(*(animals[:, 0].max(axis=1) - animals[:, 0].min(axis=1)).T))
    assert 32 < diagonal < 68  # so a quarter of it lies between one cell (8 px) and 17 px
    assert (cfg.global_scale, cfg.pos_dist_thresh, cfg.mirror) == (1.0, round(diagonal / 4, 1), True)
    assert (cfg.net_type, cfg.optimizer, cfg.batch_size) == ("mobilenet_v2_0.5", "adam", 6)
    assert os.path.isfile(cfg.resolve_path(cfg.init_weights) + ".index")
    train = load_dataset_from_config(cfg)
    test = load_dataset("coco", out / "test.json", keypoint_format=str(out / "bodyparts.yaml"))
    assert (len(train.records), len(test.records)) == (6, 2)  # TrainingFraction 0.75 of 8
    assert train.skipped == () and test.skipped == ()
    for record in train.records + test.records:
        k = int(os.path.basename(record.image_path)[3:6])
        assert record.image_path == str(out / "labeled-data" / "video1" / f"img{k:03d}.png")
        assert (record.height, record.width) == SIZE
        np.testing.assert_allclose(record.joints[0, :, :2], animals[k, 0], atol=1e-4)  # the H5's, not the CSV's
        assert (record.joints[0, :, 2] == 2).all()
    names = {r.image_path for r in train.records} | {r.image_path for r in test.records}
    assert len(names) == FRAMES
    project = yaml.safe_load((out / "project.yaml").read_text())
    assert (project["pcutoff"], project["scorer"], project["training_fraction"]) == (0.4, "alex", 0.75)
    assert load_config(out / "pose_cfg.yaml").pcutoff == 0.4
    assert imported.missing == [] and imported.num_test == 2
    with pytest.raises(PosecutError, match="pose_cfg.yaml: exists"):
        import_dlc(config, out, seed=3)
    first = json.loads((out / "test.json").read_text())
    again = import_dlc(config, out, seed=3, overwrite=True)
    assert json.loads((out / "test.json").read_text()) == first and again.num_train == 6


def test_the_split_follows_the_seed(tmp_path):
    config, _ = make_project(tmp_path / "dlc")
    tests = []
    for seed in (1, 1, 2):
        out = tmp_path / f"out{len(tests)}"
        import_dlc(config, out, seed=seed)
        tests.append(sorted(im["file_name"] for im in json.loads((out / "test.json").read_text())["images"]))
    assert tests[0] == tests[1] and len(tests[0]) == 2
    assert tests[0] != tests[2]  # another seed, another split (fixed: these seeds differ here)


def test_a_training_fraction_of_1_trains_on_every_frame_and_holds_none_out(tmp_path):
    config, _ = make_project(tmp_path / "dlc")
    out = tmp_path / "out"
    import_dlc(config, out, seed=42)
    assert (out / "test.json").is_file()
    with open(config) as f:
        text = f.read().replace("- 0.75", "- 1.0")
    with open(config, "w") as f:
        f.write(text)
    imported = import_dlc(config, out, seed=42, overwrite=True)
    assert (imported.num_train, imported.num_test) == (FRAMES, 0)
    assert not (out / "test.json").exists()
    assert len(json.loads((out / "train.json").read_text())["images"]) == FRAMES


def test_a_side_without_its_partner_turns_mirroring_off(tmp_path):
    config, _ = make_project(tmp_path / "dlc", parts=("snout", "leftear", "tailbase"))
    with open(config) as f:
        text = f.read().replace("- rightear\n", "")
    with open(config, "w") as f:
        f.write(text)
    imported = import_dlc(config, tmp_path / "out", seed=42)
    cfg = load_config(str(tmp_path / "out" / "pose_cfg.yaml"))
    assert not cfg.mirror and cfg.format.flip_pairs == () and not imported.mirror
    assert any(note.startswith("leftear: name a side") for note in imported.notes)


def test_a_bodypart_no_frame_labels_is_named_and_the_command_exits_1_after_writing(tmp_path, capsys):
    config, _ = make_project(tmp_path / "dlc", parts=PARTS[:3])  # no tailbase column
    out = tmp_path / "out"
    assert main(["import-dlc", config, str(out)]) == 1
    err = capsys.readouterr().err
    table = tmp_path / "dlc" / "labeled-data" / "video1" / "CollectedData_alex.h5"
    assert f"warning: {table}: bodypart tailbase labelled in none of its 8 frames" in err
    assert (out / "pose_cfg.yaml").is_file() and (out / "train.json").is_file()
    assert main(["import-dlc", config, str(out), "--overwrite"]) == 1


def test_the_command_imports_with_the_default_seed_and_exits_0(tmp_path, capsys):
    config, _ = make_project(tmp_path / "dlc")
    assert main(["import-dlc", config, str(tmp_path / "out")]) == 0
    text = capsys.readouterr().out
    assert "8 (6 train, 2 test, TrainingFraction 0.75), 8 animals" in text
    assert f"posecut train {tmp_path / 'out' / 'pose_cfg.yaml'}" in text
    assert load_config(str(tmp_path / "out" / "pose_cfg.yaml")).seed == 42
    assert main(["import-dlc", str(tmp_path / "nothing.yaml"), str(tmp_path / "o")]) == 2


def test_a_multi_animal_project_becomes_people_for_the_pairwise_head(tmp_path):
    config, animals = make_project(tmp_path / "dlc", multi=True)
    out = tmp_path / "out"
    imported = import_dlc(config, out, seed=42)
    cfg = load_config(str(out / "pose_cfg.yaml"))
    assert cfg.pairwise_predict and cfg.format.joints == PARTS and cfg.num_joints == 4
    assert os.path.isfile(cfg.resolve_path(cfg.pairwise_stats_fn))
    data = load_dataset_from_config(cfg)
    assert len(data.records) == 6
    for record in data.records:
        k = int(os.path.basename(record.image_path)[3:6])
        assert record.joints.shape == (2, 4, 3)  # two mice; the tray (unique part) is no animal
        np.testing.assert_allclose(record.joints[:, :, :2], animals[k], atol=1e-4)
    assert any("tray" in note for note in imported.notes)
    assert yaml.safe_load((out / "project.yaml").read_text())["individuals"] == ["m1", "m2"]


@pytest.mark.slow
def test_the_imported_project_trains_as_it_is(tmp_path):
    config, _ = make_project(tmp_path / "dlc")
    out = tmp_path / "out"
    import_dlc(config, out, seed=42)
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "posecut"), "train",
                           str(out / "pose_cfg.yaml"), "--max-iters", "2", "--no-progress"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "trained to step 2" in done.stdout
    assert (out / "snapshot-2.index").is_file()
