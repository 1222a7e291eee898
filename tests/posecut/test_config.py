"""Tests of posecut.config: DeeperCut defaults, loading real configs, every kind of error, round
trips, DeeperCut's keys posecut does not implement, and the keypoint-format accessors."""

import dataclasses
import glob
import os
import re

import pytest
import yaml

from dataset.keypoint_formats import DEFAULT_FORMAT, get_format
from posecut.config import (
    CONFIG_KEYS,
    SECTIONS,
    PoseConfig,
    config_from_dict,
    config_reference,
    default_config,
    load_config,
    mirror_joints_map,
    save_config,
)
from lib.errors import ConfigError

# DeeperCut's models/coco/train/pose_cfg.yaml together with the keys of demo/pose_cfg_multi.yaml.
COCO_CFG = """\
dataset: /path/to/coco/dataset
dataset_phase: train2014
dataset_ann: person_keypoints  # 'image_info' or 'person_keypoints'
dataset_type: coco
coco_only_images_with_people: true

global_scale: 1.0
pos_dist_thresh: 17
scale_jitter_lo: 0.85
scale_jitter_up: 1.15

net_type: resnet_101
init_weights: ../../pretrained/resnet_v1_101.ckpt

location_refinement: true
locref_huber_loss: true
locref_loss_weight: 0.05
locref_stdev: 7.2801

pairwise_predict: true
pairwise_huber_loss: true
pairwise_loss_weight: 0.05
pairwise_stats_fn: ../pairwise/pairwise_stats.mat

intermediate_supervision: true
intermediate_supervision_layer: 12

max_input_size: 850
multi_step:
- [0.005, 10000]
- [0.02, 450000]
- [0.002, 750000]
- [0.0005, 1050000]
- [0.0002, 1550000]
- [0.00005, 1800000]
display_iters: 20
save_iters: 200000

mirror: true

num_joints: 17
all_joints: [[0], [2, 1], [4, 3], [6, 5], [8, 7], [10, 9], [12, 11], [14, 13],[16, 15]]
all_joints_names: ["nose", 'eye', 'ear', 'shoulder', 'elbow', 'hand', 'hip', 'knee', 'foot']
sparse_graph: [[0, 1], [0, 2], [1, 2], [2, 4], [1, 3], [0, 4], [0, 3], # head
               [5, 6], [6, 8], [5, 7], [4, 8], [3, 7], # elbow
               [8, 10], [7, 9], [6, 10], [5, 9],  # hands
               [6, 12], [6, 11], [5, 12], [5, 11], [11, 12], # hips
               [12, 14], [11, 13], [14, 16], [13, 15]]
scmap_threshold: 0.0
pairwise_model_dir: models/coco/pairwise/
nms_radius: 5.0
det_min_score: 0.2
"""

MPII14_GROUPS = [[0, 5], [1, 4], [2, 3], [6, 11], [7, 10], [8, 9], [12], [13]]


def write(tmp_path, text, name="pose_cfg.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(tmp_path, text, name="pose_cfg.yaml"):
    """The message of the ConfigError that loading ``text`` raises."""
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text, name))
    return str(info.value)


def test_defaults_are_deepercuts():
    cfg = default_config()
    expected = {
        "stride": 8.0, "net_type": "resnet_101", "init_weights": "", "global_scale": 1.0,
        "scale_jitter_lo": 0.85, "scale_jitter_up": 1.15, "pos_dist_thresh": 17, "location_refinement": False,
        "locref_stdev": 7.2801, "locref_loss_weight": 1.0, "locref_huber_loss": True, "pairwise_predict": False,
        "pairwise_huber_loss": True, "pairwise_loss_weight": 1.0, "pairwise_stats_fn": "pairwise_stats.mat",
        "pairwise_stats_collect": False, "pairwise_model_dir": "", "tensorflow_pairwise_order": True,
        "sparse_graph": [], "intermediate_supervision": False, "intermediate_supervision_layer": 12,
        "mirror": False, "crop": False, "crop_pad": 0, "max_input_size": 1500,
        "multi_step": [[0.005, 10000], [0.02, 430000], [0.002, 730000], [0.001, 1030000]],
        "display_iters": 1000, "save_iters": 50000, "batch_size": 1, "mean_pixel": [123.68, 116.779, 103.939],
        "weigh_part_predictions": False, "weigh_negatives": False, "fg_fraction": 0.25,
        "weigh_only_present_joints": False, "optimizer": "sgd", "weight_decay": 0.0001, "regularize": False,
        "snapshot_prefix": "snapshot", "log_dir": "log", "dataset": "", "dataset_type": "default",
        "dataset_phase": "train2014", "dataset_ann": "person_keypoints", "coco_only_images_with_people": True,
        "use_gt_segm": False, "nms_radius": 5.0, "det_min_score": 0.1, "scmap_threshold": 0.1, "shuffle": True,
        "video": False, "video_batch": False, "scoremap_dir": "test", "seed": 42, "keypoint_format": None,
        "precision": "auto", "momentum": 0.9, "train_batchnorm": False, "batchnorm_batches": 8, "distribute": "none", "input_workers": 0,
        "min_person_parts": 1, "edge_gate_stds": 0.0, "edge_offset_gate_px": None, "edge_offset_gate_rel": 0.5, "num_joints": None, "all_joints": [], "all_joints_names": [],
        "duplicate_person_px": 0.0, "temporal_model": "", "track_window": 8, "track_overlap": 4, "track_max_gap": 2, "track_gate": 1.0,
        "track_flow_window": 15, "track_flow_size": 320, "allow_absolute_image_paths": False,
        "pcutoff": 0.6,
    }
    assert cfg.to_dict() == expected
    assert isinstance(cfg.stride, float) and isinstance(cfg.max_input_size, int)
    assert cfg.config_dir is None


def test_joints_are_required_only_when_asked_for():
    cfg = default_config()
    with pytest.raises(ConfigError, match="num_joints"):
        cfg.require_joints()
    with pytest.raises(ConfigError, match="num_joints"):
        cfg.mirror_map
    assert cfg.replace(num_joints=3).require_joints() == 3


def test_deepercut_coco_config_loads(tmp_path):
    folder = tmp_path / "models" / "coco" / "train"
    folder.mkdir(parents=True)
    cfg = load_config(write(folder, COCO_CFG))
    assert cfg.dataset_type == "coco" and cfg.net_type == "resnet_101"
    assert cfg.num_joints == 17 and len(cfg.all_joints) == 9 and cfg.all_joints_names[3] == "shoulder"
    assert cfg.location_refinement and cfg.pairwise_predict and cfg.intermediate_supervision and cfg.mirror
    assert cfg.locref_loss_weight == 0.05 and cfg.max_input_size == 850 and cfg.det_min_score == 0.2
    assert cfg.multi_step[-1] == (0.00005, 1800000) and len(cfg.multi_step) == 6
    assert cfg.sparse_graph[0] == (0, 1) and len(cfg.sparse_graph) == 25
    assert cfg.scmap_threshold == 0.0 and cfg.scoremap_dir == "test"
    assert cfg.stride == 8.0 and cfg.optimizer == "sgd"  # not in the file: defaults
    assert cfg.config_dir == str(folder)
    assert cfg.resolve_path(cfg.init_weights) == str(tmp_path / "models" / "pretrained" / "resnet_v1_101.ckpt")
    assert cfg.mirror_map == (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)


def test_mpii_mirror_map():
    cfg = config_from_dict({"num_joints": 14, "all_joints": MPII14_GROUPS})
    assert cfg.mirror_map == (5, 4, 3, 2, 1, 0, 11, 10, 9, 8, 7, 6, 12, 13)
    assert mirror_joints_map([[0, 1, 2], [3]], 4) == (0, 1, 2, 3)


def test_joint_keys_are_filled_from_each_other():
    cfg = config_from_dict({"num_joints": 3})
    assert cfg.all_joints == ((0,), (1,), (2,))
    assert cfg.all_joints_names == ("joint0", "joint1", "joint2")
    cfg = config_from_dict({"all_joints": MPII14_GROUPS})
    assert cfg.num_joints == 14 and cfg.all_joints_names[0] == "joint0" and cfg.all_joints_names[6] == "joint12"


def test_int_is_accepted_for_float_and_stored_as_float():
    cfg = config_from_dict({"stride": 16, "mean_pixel": [1, 2, 3]})
    assert cfg.stride == 16.0 and isinstance(cfg.stride, float)
    assert cfg.mean_pixel == (1.0, 2.0, 3.0) and all(isinstance(v, float) for v in cfg.mean_pixel)


@pytest.mark.parametrize(
    "line, key, expected",
    [
        ("batch_size: true", "batch_size", "expected int"),
        ("stride: '8'", "stride", "expected float"),
        ("locref_stdev: yes", "locref_stdev", "expected float"),
        ("mirror: 1", "mirror", "expected bool"),
        ("net_type: 101", "net_type", "expected str"),
        ("multi_step: [[0.01, '5000']]", "multi_step", "multi_step[0][1] is '5000'"),
        ("mean_pixel: [1, 2]", "mean_pixel", "expected [float, float, float]"),
        ("keypoint_format: 17", "keypoint_format", "expected str or null"),
    ],
)
def test_wrong_type_is_an_error(tmp_path, line, key, expected):
    message = error_of(tmp_path, line + "\n", "typed.yaml")
    assert "typed.yaml" in message and f"{key}:" in message and expected in message


@pytest.mark.parametrize(
    "line, key, expected",
    [
        ("fg_fraction: 1.0", "fg_fraction", "(0, 1)"),
        ("det_min_score: 1.5", "det_min_score", "[0, 1]"),
        ("global_scale: 0", "global_scale", "> 0"),
        ("batch_size: 0", "batch_size", ">= 1"),
        ("crop_pad: -1", "crop_pad", ">= 0"),
        ("net_type: resnet_34", "net_type", "one of"),
        ("optimizer: rmsprop", "optimizer", "'adam'"),
        ("precision: float16", "precision", "'bfloat16'"),
        ("scale_jitter_lo: 1.2", "scale_jitter_lo", "<= scale_jitter_up"),
        ("multi_step: [[0.01, 5000], [0.001, 5000]]", "multi_step", "strictly increasing"),
        ("multi_step: [[0, 5000]]", "multi_step", "learning rate > 0"),
        ("sparse_graph: [[1, 1]]\nnum_joints: 3", "sparse_graph", "two different"),
        ("dataset_type: ''", "dataset_type", "non-empty"),
    ],
)
def test_out_of_range_is_an_error(tmp_path, line, key, expected):
    message = error_of(tmp_path, line + "\n", "ranged.yaml")
    assert "ranged.yaml" in message and f"{key}:" in message and expected in message


def test_unknown_key_suggests_the_nearest(tmp_path):
    message = error_of(tmp_path, "locref_stdv: 7.2801\n")
    assert "pose_cfg.yaml" in message and "locref_stdv" in message
    assert "did you mean 'locref_stdev'?" in message


# The head of DeepLabCut's openfield project config.yaml (its public example), single-animal.
DEEPLABCUT_PROJECT = """\
Task: openfield
scorer: Pranav
date: Oct30
multianimalproject: false
project_path: /home/user/openfield-Pranav-2018-10-30
video_sets:
  /home/user/openfield-Pranav-2018-10-30/videos/m4s1.mp4: {crop: '0, 640, 0, 480'}
bodyparts: [snout, leftear, rightear, tailbase]
start: 0
stop: 1
numframes2pick: 20
skeleton: [[snout, leftear], [snout, rightear], [snout, tailbase]]
skeleton_color: black
pcutoff: 0.4
dotsize: 8
alphavalue: 0.7
colormap: jet
TrainingFraction: [0.95]
iteration: 0
default_net_type: resnet_50
default_augmenter: default
snapshotindex: -1
batch_size: 4
"""


def test_a_deeplabcut_project_file_is_named_in_one_message(tmp_path):
    path = write(tmp_path, DEEPLABCUT_PROJECT, "config.yaml")
    message = error_of(tmp_path, DEEPLABCUT_PROJECT, "config.yaml")
    assert message == (f"{path} is a DeepLabCut project file (config.yaml), not a posecut "
                       f"pose_cfg.yaml; import it with `posecut import-dlc {path} OUT` and train "
                       f"on OUT/pose_cfg.yaml")


def test_a_stray_deeplabcut_key_or_two_stay_unknown_keys(tmp_path):
    message = error_of(tmp_path, "num_joints: 3\ncolormap: jet\ndotsize: 8\n")
    assert "DeepLabCut project" not in message
    assert len(message.splitlines()) == 2 and "colormap: unknown key" in message
    from posecut.config.loading import deeplabcut_project_problem

    assert deeplabcut_project_problem(["Task", "scorer", "bodyparts"], "list.yaml") is None
    assert deeplabcut_project_problem({"Task": 1, "scorer": 2, "bodyparts": 3}, "c.yaml")


def test_num_joints_must_agree_with_all_joints(tmp_path):
    message = error_of(tmp_path, "num_joints: 15\nall_joints: " + str(MPII14_GROUPS) + "\n")
    assert "pose_cfg.yaml: all_joints:" in message and "num_joints=15" in message
    message = error_of(tmp_path, "num_joints: 3\nall_joints: [[0, 1], [1]]\n")
    assert "all_joints:" in message and "exactly once" in message


def test_names_and_graph_must_fit_the_joints(tmp_path):
    message = error_of(tmp_path, "num_joints: 3\nall_joints_names: [a, b]\nsparse_graph: [[0, 3]]\n")
    assert "pose_cfg.yaml: all_joints_names:" in message and "(3), got 2" in message
    assert "pose_cfg.yaml: sparse_graph:" in message and "< num_joints=3" in message
    assert "sparse_graph:" in error_of(tmp_path, "sparse_graph: [[0, 1]]\n")


def test_every_problem_is_reported_at_once(tmp_path):
    message = error_of(tmp_path, "strid: 8\nbatch_size: 1.5\nfg_fraction: 2\nnum_joints: 2\nall_joints: [[0]]\n")
    lines = message.splitlines()
    assert len(lines) == 4
    assert all(line.startswith(str(tmp_path / "pose_cfg.yaml") + ": ") for line in lines)
    for key in ("strid:", "batch_size:", "fg_fraction:", "all_joints:"):
        assert sum(key in line for line in lines) == 1


def test_unparsable_yaml_is_an_error(tmp_path):
    message = error_of(tmp_path, "stride: [8\nnet_type: resnet_101\n", "broken.yaml")
    assert "broken.yaml" in message and "not valid YAML" in message


def test_yaml_that_is_not_a_mapping_is_an_error(tmp_path):
    message = error_of(tmp_path, "- stride\n- 8\n", "list.yaml")
    assert "list.yaml" in message and "mapping" in message


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="nowhere.yaml: no such configuration file"):
        load_config(tmp_path / "nowhere.yaml")


def test_empty_file_gives_the_defaults(tmp_path):
    assert load_config(write(tmp_path, "")) == default_config()


@pytest.mark.parametrize("text", [COCO_CFG, "", "keypoint_format: coco17\nseed: 7\n", "num_joints: 2\nseed: 7\n"])
def test_save_and_load_round_trip(tmp_path, text):
    cfg = load_config(write(tmp_path, text))
    out = tmp_path / "saved" / "pose_cfg.yaml"
    out.parent.mkdir()
    save_config(cfg, out)
    again = load_config(out)
    assert again == cfg and again.to_dict() == cfg.to_dict()
    assert yaml.safe_load(out.read_text()) == cfg.to_dict()


def test_replace_validates_and_keeps_the_original():
    cfg = default_config()
    changed = cfg.replace(batch_size=4, stride=16)
    assert (changed.batch_size, changed.stride, cfg.batch_size) == (4, 16.0, 1)
    with pytest.raises(ConfigError, match="batch_size: expected >= 1"):
        cfg.replace(batch_size=0)
    with pytest.raises(ConfigError, match="did you mean 'batch_size'"):
        cfg.replace(batchsize=4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.stride = 4.0


def test_constructing_directly_validates():
    with pytest.raises(ConfigError, match="fg_fraction"):
        PoseConfig(fg_fraction=0.0)


def test_resolve_path(tmp_path):
    cfg = load_config(write(tmp_path, "init_weights: ../weights/resnet.ckpt\n"))
    assert cfg.resolve_path(cfg.init_weights) == os.path.join(os.path.dirname(tmp_path), "weights", "resnet.ckpt")
    assert cfg.resolve_path("pairwise_stats.mat") == str(tmp_path / "pairwise_stats.mat")
    assert cfg.resolve_path("/abs/file.mat") == "/abs/file.mat"
    assert cfg.resolve_path("") == ""
    assert default_config().resolve_path("log") == os.path.join(os.getcwd(), "log")


def test_config_reference_lists_every_key():
    reference = config_reference()
    fields = [f.name for f in dataclasses.fields(PoseConfig) if f.compare]
    assert [row[0] for row in reference] == fields == [k.name for k in CONFIG_KEYS]
    assert all(isinstance(t, str) and t and description for _, t, _, description in reference)
    assert dict((name, default) for name, _, default, _ in reference)["multi_step"][0] == [0.005, 10000]


def test_keypoint_format_gives_joints_and_flip_pairs_where_the_config_does_not():
    cfg = config_from_dict({"keypoint_format": "coco17", "mirror": True})
    fmt = get_format("coco17")
    assert cfg.num_joints == fmt.num_joints == 17
    assert cfg.mirror_map == tuple(int(i) for i in fmt.flip_index)
    assert cfg.mirror_map[fmt.index("left_wrist")] == fmt.index("right_wrist")
    same = config_from_dict({"keypoint_format": "coco17", "num_joints": 17, "mirror": True})
    assert same.mirror_map == cfg.mirror_map  # num_joints alone no longer means no flip pairs


@pytest.mark.parametrize("values, key, says", [
    ({"keypoint_format": "mpii14", "num_joints": 17}, "num_joints", "expected 14, the joints of keypoint_format mpii14, got 17"),
    ({"keypoint_format": "coco17", "num_joints": 14}, "num_joints", "expected 17"),
    ({"keypoint_format": "coco17", "all_joints": [[i] for i in range(17)]}, "all_joints", "left/right pairs of keypoint_format coco17"),
    ({"keypoint_format": "coco18"}, "keypoint_format", "unknown keypoint format 'coco18'"),
])
def test_a_config_that_disagrees_with_its_keypoint_format_is_an_error(values, key, says):
    with pytest.raises(ConfigError) as err:
        config_from_dict(values, source="cfg.yaml")
    (line,) = str(err.value).splitlines()
    assert line.startswith(f"cfg.yaml: {key}: ") and says in line


def test_keypoint_format_may_be_a_yaml_file_beside_the_config(tmp_path):
    (tmp_path / "mouse.yaml").write_text(
        "name: mouse4\njoints: [snout, left_ear, right_ear, tail_base]\nflip_pairs: [[1, 2]]\n"
        "skeleton: [[0, 1], [0, 2], [0, 3]]\n")
    (tmp_path / "pose_cfg.yaml").write_text("keypoint_format: mouse.yaml\nmirror: true\n")
    cfg = load_config(tmp_path / "pose_cfg.yaml")
    assert cfg.keypoint_format == str(tmp_path / "mouse.yaml")
    assert cfg.num_joints == 4 and cfg.mirror_map == (0, 2, 1, 3)
    assert get_format(cfg.keypoint_format).skeleton == ((0, 1), (0, 2), (0, 3))
    (tmp_path / "other.yaml").write_text("keypoint_format: missing.yaml\n")
    with pytest.raises(ConfigError, match=r"other.yaml: keypoint_format: .*missing.yaml"):
        load_config(tmp_path / "other.yaml")


def _laughs(key):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines + [f"{key}: *a8", ""])


@pytest.mark.parametrize("text, says", [
    ("net_type: resnet_50\nstride: 8\nnet_type: resnet_101\n",
     "net_type: given twice with different values (lines 1 and 3)"),
    ("{stride: 8, stride: 4}\n", "stride: given twice with different values (lines 1 and 1)"),
    ("global_scale: .inf\n", "global_scale: expected float (finite); got inf"),
    ("stride: .nan\n", "stride: expected float (finite); got nan"),
    ("mean_pixel: [1.0, .inf, 2.0]\n", "mean_pixel: expected [float, float, float] (finite)"),
    ("net_type: " + "[" * 50000 + "]" * 50000 + "\n", "nested too deeply"),
    (_laughs("net_type"), "net_type: expected str; got [[[["),
])
def test_hostile_yaml_is_a_clear_config_error(tmp_path, text, says):
    path = tmp_path / "pose_cfg.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert says in str(err.value) and str(path) in str(err.value)


def test_pose_config_fields_are_the_key_table_in_order_with_its_types_and_defaults():
    """PoseConfig's fields are made from the table, the one source of names, types and defaults."""
    import typing

    fields = [f for f in dataclasses.fields(PoseConfig) if f.compare]
    assert [f.name for f in fields] == [k.name for k in CONFIG_KEYS]
    hints = typing.get_type_hints(PoseConfig)
    assert {k.name: hints[k.name] for k in CONFIG_KEYS} == {k.name: k.type.annotation
                                                            for k in CONFIG_KEYS}
    defaults = PoseConfig()
    assert all(getattr(defaults, k.name) == k.type.parse(k.default) for k in CONFIG_KEYS
               if k.default is not None)


DEEPERCUT_MULTI = """dataset_type: coco

global_scale: 1.0
init_weights: models/coco/coco-resnet-101

location_refinement: true
locref_stdev: 7.2801
net_type: resnet_101

sparse_graph: [[0, 1], [0, 2], [1, 2], [2, 4], [5, 6], [6, 8], [5, 7], [8, 10], [7, 9],
               [6, 12], [5, 11], [11, 12], [12, 14], [11, 13], [14, 16], [13, 15]]

scmap_threshold: 0.0

pairwise_predict: true
pairwise_stats_fn: models/coco/pairwise/pairwise_stats.mat
pairwise_model_dir: models/coco/pairwise/ 

max_input_size: 850
pos_dist_thresh: 17

nms_radius: 5.0
det_min_score: 0.2
"""


def test_deepercuts_multi_person_demo_config_loads_as_it_is(tmp_path):
    """DeeperCut's demo/pose_cfg_multi.yaml names no joints: dataset_type coco meant COCO's 17
    and their left/right groups there, and does here; an older copy repeats all_joints_names
    with the same value, which is harmless."""
    path = tmp_path / "pose_cfg_multi.yaml"
    path.write_text(DEEPERCUT_MULTI)
    cfg = load_config(path)
    assert (cfg.num_joints, cfg.keypoint_format, len(cfg.sparse_graph)) == (17, "coco17", 16)
    assert cfg.mirror_map[1:5] == (2, 1, 4, 3) and cfg.pairwise_model_dir.strip().endswith("pairwise/")
    older = ("num_joints: 17\nall_joints_names: [nose, eye]\nall_joints: [[0], [2, 1]]\n"
             "all_joints_names: [nose, eye]\n")
    path.write_text(older.replace("num_joints: 17", "num_joints: 3"))
    assert load_config(path).all_joints_names == ("nose", "eye")
    path.write_text(DEEPERCUT_MULTI.replace("dataset_type: coco", "dataset_type: default"))
    with pytest.raises(ConfigError, match="sparse_graph: given without num_joints"):
        load_config(path)


def test_linked_pairs_are_the_graph_the_pairwise_head_predicts():
    """sparse_graph as given; empty, a keypoint format's default graph; else every pair (empty)."""
    assert config_from_dict({"num_joints": 3, "sparse_graph": [[0, 2]]}).linked_pairs == ((0, 2),)
    assert config_from_dict({"num_joints": 3}).linked_pairs == ()
    coco = config_from_dict({"keypoint_format": "coco17"})
    assert len(coco.linked_pairs) == 110 and (5, 7) in coco.linked_pairs  # shoulder-elbow
    assert len(config_from_dict({"keypoint_format": "cocowholebody133"}).linked_pairs) == 918
    assert config_from_dict({"keypoint_format": "coco17", "sparse_graph": [[0, 1]]}).linked_pairs == ((0, 1),)


# DeeperCut's keys, from the code and configs of its TensorFlow release; it also reads adam_lr,
# cached_scoremaps and pck_threshold, which posecut does not know (an unknown key is an error).
DEEPERCUT_KEYS = set("""
all_joints all_joints_names batch_size coco_only_images_with_people crop crop_pad dataset dataset_ann
dataset_phase dataset_type det_min_score display_iters fg_fraction global_scale init_weights
intermediate_supervision intermediate_supervision_layer location_refinement locref_huber_loss
locref_loss_weight locref_stdev log_dir max_input_size mean_pixel mirror multi_step net_type nms_radius
num_joints optimizer pairwise_huber_loss pairwise_loss_weight pairwise_model_dir pairwise_predict
pairwise_stats_collect pairwise_stats_fn pos_dist_thresh regularize save_iters scale_jitter_lo
scale_jitter_up scmap_threshold scoremap_dir shuffle snapshot_prefix sparse_graph stride
tensorflow_pairwise_order use_gt_segm video video_batch weigh_negatives weigh_only_present_joints
weigh_part_predictions weight_decay""".split())
# DeeperCut's defaults (util/default_config.py) of the keys of it that posecut does not implement.
NOT_IMPLEMENTED = {"pairwise_stats_collect": False, "use_gt_segm": False, "video": False,
                   "video_batch": False, "scoremap_dir": "test"}


def test_the_table_marks_deepercuts_keys_and_groups_every_key_in_a_section():
    assert {k.name for k in CONFIG_KEYS if not k.ours} == DEEPERCUT_KEYS
    assert {k.section for k in CONFIG_KEYS} == set(SECTIONS)
    refused = {k.name for k in CONFIG_KEYS if k.unimplemented and not k.unimplemented.any_value}
    assert refused == set(NOT_IMPLEMENTED)
    assert all(not k.ours for k in CONFIG_KEYS if k.unimplemented)
    assert config_from_dict(NOT_IMPLEMENTED).to_dict() == default_config().to_dict()


@pytest.mark.parametrize("line, says", [
    ("video: true", "true built PoseSeqNet"),
    ("video_batch: true", "consecutive frames of one sequence"),
    ("use_gt_segm: true", "predictions_with_segm.json"),
    ("pairwise_stats_collect: true", "`posecut pairwise-stats`"),
    ("scoremap_dir: scoremaps_1200", "as .mat files into this folder"),
])
def test_a_deepercut_key_posecut_does_not_implement_is_refused_away_from_its_default(tmp_path, line, says):
    """Each names the file, the key and the value, says what the value did in DeeperCut and what
    to do, rather than loading and being silently ignored."""
    key, value = line.split(": ")
    message = error_of(tmp_path, line + "\n", "deepercut.yaml")
    default = "false" if key != "scoremap_dir" else '"test"'
    shown = value if key != "scoremap_dir" else f'"{value}"'
    (first,) = message.splitlines()
    assert first.startswith(f"{tmp_path / 'deepercut.yaml'}: {key}: {shown} is not supported: ")
    assert f"accepts only its default, {default}. In DeeperCut, " in first and says in first
    assert first.endswith(f"Remove the key or set it to {default}")


def test_scmap_threshold_loads_at_any_value_as_no_deepercut_code_read_it():
    note = next(k.unimplemented for k in CONFIG_KEYS if k.name == "scmap_threshold")
    assert note.any_value and "det_min_score" in note.advice
    assert config_from_dict({"scmap_threshold": 0.0}).scmap_threshold == 0.0
    with pytest.raises(ConfigError, match=r"scmap_threshold: expected a value in \[0, 1\]"):
        config_from_dict({"scmap_threshold": 1.5})


def test_keys_marked_not_implemented_are_read_by_no_module(root):
    """A key the table says posecut does not implement must not be read anywhere (as cfg.key,
    config.key, getattr(..., "key") or ["key"]); one that starts being read must lose its mark."""
    marked = [k.name for k in CONFIG_KEYS if k.unimplemented]
    readers = []
    for package in ("lib", "nnet", "dataset", "multiperson", "posecut", "demo", "bench"):
        for path in glob.glob(str(root / package / "**" / "*.py"), recursive=True):
            if os.sep + os.path.join("posecut", "config") + os.sep in path:
                continue
            text = open(path, encoding="utf-8").read()
            readers += [f"{path}: {key}" for key in marked if re.search(
                rf"\b(cfg|config)\.{key}\b|getattr\(\w+, [\"']{key}[\"']|\[[\"']{key}[\"']\]", text)]
    assert not readers


def test_the_keypoint_format_accessors():
    coco = config_from_dict({"keypoint_format": "coco17"}, source="coco.yaml")
    assert config_from_dict({"dataset_type": "coco"}).keypoint_format == DEFAULT_FORMAT == "coco17"
    assert coco.format is get_format("coco17") is coco.require_format("drawing the skeleton")
    assert coco.joint_names == get_format("coco17").joints and len(coco.joint_names) == 17
    plain = config_from_dict({"num_joints": 3}, source="plain.yaml")
    assert plain.format is None and plain.joint_names == ("joint0", "joint1", "joint2")
    with pytest.raises(ConfigError) as err:
        plain.require_format("the OKS evaluation")
    assert str(err.value).startswith("plain.yaml: keypoint_format: the OKS evaluation needs a "
                                     "keypoint format") and str(err.value).endswith("got null")
    with pytest.raises(ConfigError, match="num_joints: required here but not set"):
        default_config().joint_names
    object.__setattr__(coco, "num_joints", 14)  # changed without validation
    with pytest.raises(ConfigError, match="coco.yaml: num_joints: expected 17, the joints of "
                                          "keypoint_format coco17, got 14"):
        coco.require_format("drawing the skeleton")
