"""Every bundled config under models/ loads, and the download scripts are valid shell."""
import glob
import os
import subprocess

import pytest

from multiperson.predict import multiperson_settings_from_config
from posecut.config import load_config
from conftest import ROOT

CONFIGS = sorted(glob.glob(os.path.join(ROOT, "models", "*", "pose_cfg.yaml")))
SCRIPTS = sorted(glob.glob(os.path.join(ROOT, "models", "*", "download_models.sh")))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.split(os.sep)[-2])
def test_config_loads(path):
    cfg = load_config(path)
    assert cfg.num_joints
    if cfg.pairwise_predict:
        settings = multiperson_settings_from_config(cfg)
        assert settings.pair_mask.shape == (cfg.num_joints, cfg.num_joints)


def test_deepercut_coco_graph_has_deepercuts_forty_pairs():
    cfg = load_config(os.path.join(ROOT, "models", "coco", "pose_cfg.yaml"))
    assert len({tuple(sorted(p)) for p in cfg.sparse_graph}) == 40


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.split(os.sep)[-2])
def test_download_script_is_valid_shell_and_names_the_published_files(path):
    assert subprocess.run(["bash", "-n", path]).returncode == 0
    text = open(path).read()
    assert "datasets.d2.mpi-inf.mpg.de/deepercut-models-tensorflow" in text
    assert os.access(path, os.X_OK)
