"""Typed, validated configuration loaded from DeeperCut's ``pose_cfg.yaml``.

Every key is declared once in ``CONFIG_KEYS`` (name, type, default, check, description); that table
drives the validation and ``config_reference()``, and gives ``PoseConfig``'s fields, written out
for readers and type checkers, their defaults (a test checks names, order and types agree). A config is
validated once, when it is built, and every problem found is reported in one ``ConfigError``.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import reprlib
from typing import Any, Callable, NamedTuple, Optional

import yaml

from dataset.keypoint_formats import get_format, is_format_file
from nnet.backbones import NET_TYPES
from nnet.heads import default_sparse_graph
from lib.errors import ConfigError, FormatError

__all__ = [
    "CONFIG_KEYS",
    "ConfigKey",
    "MAX_COMPARED_NODES",
    "MAX_CONFIG_BYTES",
    "PoseConfig",
    "config_from_dict",
    "config_reference",
    "default_config",
    "load_config",
    "mirror_joints_map",
    "save_config",
]


class _Mismatch(TypeError):
    """A value (or an element at ``path`` inside it) does not have the expected type."""

    def __init__(self, value: Any, path: str = ""):
        super().__init__(path, value)
        self.value = value
        self.path = path


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 3, 6, 6, 50, 50


def _show(value: Any) -> str:
    """Short ``repr`` of a value with its Python type, for error messages; bounded however large
    or deeply shared the value is (YAML aliases can make a small file a huge tree)."""
    text = _SHORT.repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


class _Type(NamedTuple):
    """A value type: its name in messages and docs, its annotation, and a parser that normalises."""

    name: str
    annotation: Any
    parse: Callable[[Any], Any]


def _scalar(name: str, annotation: Any, accepts: Callable[[Any], bool], convert=lambda v: v) -> _Type:
    def parse(value):
        if not accepts(value):
            raise _Mismatch(value)
        return convert(value)

    return _Type(name, annotation, parse)


INT = _scalar("int", int, lambda v: isinstance(v, int) and not isinstance(v, bool))
FLOAT = _scalar("float", float, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
                and math.isfinite(v), float)
BOOL = _scalar("bool", bool, lambda v: isinstance(v, bool))
STR = _scalar("str", str, lambda v: isinstance(v, str))


def _optional(inner: _Type) -> _Type:
    return _Type(f"{inner.name} or null", Optional[inner.annotation],
                 lambda v: None if v is None else inner.parse(v))


def _elements(value: Any, parsers: list[Callable[[Any], Any]]) -> tuple:
    """Parse each element of a list with its parser; a mismatch deep inside names its index path."""
    out = []
    for i, (element, parse) in enumerate(zip(value, parsers)):
        try:
            out.append(parse(element))
        except _Mismatch as e:
            raise _Mismatch(e.value, f"[{i}]{e.path}") from None
    return tuple(out)


def _list_of(inner: _Type) -> _Type:
    """A list of any length; stored as a tuple so the config stays immutable."""
    def parse(value):
        if not isinstance(value, (list, tuple)):
            raise _Mismatch(value)
        return _elements(value, [inner.parse] * len(value))

    return _Type(f"list of {inner.name}", tuple[inner.annotation, ...], parse)


def _fixed(*inners: _Type) -> _Type:
    """A list of exactly ``len(inners)`` elements, each of its own type."""
    def parse(value):
        if not isinstance(value, (list, tuple)) or len(value) != len(inners):
            raise _Mismatch(value)
        return _elements(value, [t.parse for t in inners])

    name = "[" + ", ".join(t.name for t in inners) + "]"
    return _Type(name, tuple[tuple(t.annotation for t in inners)], parse)


# Checks: value -> None when fine, else what was expected.
def _at_least(low):
    return lambda v: None if v >= low else f"expected >= {low}, got {v!r}"


def _positive(v):
    return None if v > 0 else f"expected > 0, got {v!r}"


def _open_unit(v):
    return None if 0 < v < 1 else f"expected a value in (0, 1), got {v!r}"


def _unit(v):
    return None if 0 <= v <= 1 else f"expected a value in [0, 1], got {v!r}"


def _one_of(*choices):
    return lambda v: None if v in choices else f"expected one of {', '.join(map(repr, choices))}, got {v!r}"


def _non_empty(v):
    return None if v else "expected a non-empty string"


def _optional_non_empty(v):
    return None if v is None or v else "expected null or a non-empty string"




def _check_multi_step(steps):
    if not steps:
        return "expected at least one [learning_rate, until_iteration] step"
    if any(lr <= 0 for lr, _ in steps):
        return f"expected every learning rate > 0, got {[lr for lr, _ in steps]}"
    iters = [it for _, it in steps]
    if iters[0] <= 0 or any(b <= a for a, b in zip(iters, iters[1:])):
        return f"expected positive, strictly increasing iterations, got {iters}"
    return None


def _check_groups(groups):
    if any(not g for g in groups):
        return "expected every group of joint ids to be non-empty"
    if any(j < 0 for g in groups for j in g):
        return "expected joint ids >= 0"
    return None


def _check_graph(edges):
    bad = [list(e) for e in edges if e[0] < 0 or e[1] < 0 or e[0] == e[1]]
    return f"expected pairs of two different joint ids >= 0, got {bad}" if bad else None


class ConfigKey(NamedTuple):
    """One configuration key: its name, type, default, range check and meaning."""

    name: str
    type: _Type
    default: Any
    check: Optional[Callable[[Any], Optional[str]]]
    description: str


_K = ConfigKey
COCO_FORMAT = "coco17"
"""The joints a config with ``dataset_type: coco`` and nothing else about its joints has: as in
DeeperCut, whose MSCOCO data set fixed COCO's 17 joints and their left/right groups."""
_JOINT_GROUPS = _list_of(_list_of(INT))
_PAIR = _fixed(INT, INT)

# The one table of keys. DeeperCut's keys keep their original meaning and default; ours come last,
# with defaults that behave as DeeperCut did (our own configs opt into the gates).
CONFIG_KEYS: tuple[ConfigKey, ...] = (
    _K("stride", FLOAT, 8.0, _positive, "output stride of the network: pixels per scoremap cell"),
    _K("net_type", STR, "resnet_101", _one_of(*NET_TYPES), "backbone network"),
    _K("init_weights", STR, "", None, "checkpoint the network starts from (relative to the config's folder)"),
    _K("num_joints", _optional(INT), None, lambda v: None if v is None else _positive(v),
       "number of joints the network predicts; null until a step needs it"),
    _K("all_joints", _JOINT_GROUPS, [], _check_groups,
       "groups of joint ids sharing a name; a group of two is a left/right pair swapped by mirroring"),
    _K("all_joints_names", _list_of(STR), [], None, "one name per group of all_joints"),
    _K("global_scale", FLOAT, 1.0, _positive, "scale applied to every image before the network"),
    _K("scale_jitter_lo", FLOAT, 0.85, _positive, "lowest random scale factor in training"),
    _K("scale_jitter_up", FLOAT, 1.15, _positive, "highest random scale factor in training"),
    _K("pos_dist_thresh", FLOAT, 17.0, _positive,
       "radius in pixels around a joint within which scoremap cells are positive"),
    _K("location_refinement", BOOL, False, None, "predict sub-cell location refinement offsets (locref)"),
    _K("locref_stdev", FLOAT, 7.2801, _positive, "locref targets are offsets in pixels divided by this"),
    _K("locref_loss_weight", FLOAT, 1.0, _at_least(0), "weight of the locref loss"),
    _K("locref_huber_loss", BOOL, True, None, "Huber loss for locref (else squared error)"),
    _K("pairwise_predict", BOOL, False, None,
       "predict pairwise offsets from each joint to the joints sparse_graph links it to"),
    _K("pairwise_huber_loss", BOOL, True, None, "Huber loss for pairwise offsets (else squared error)"),
    _K("pairwise_loss_weight", FLOAT, 1.0, _at_least(0), "weight of the pairwise loss"),
    _K("pairwise_stats_fn", STR, "pairwise_stats.mat", None,
       ".mat file with the mean and std of pairwise offsets, used to normalise them"),
    _K("pairwise_stats_collect", BOOL, False, None, "run over the data set to collect pairwise statistics"),
    _K("pairwise_model_dir", STR, "", None, "folder of the fitted pairwise spatial model"),
    _K("tensorflow_pairwise_order", BOOL, True, None,
       "pairwise channels in the order of the TensorFlow models (else the Caffe order)"),
    _K("sparse_graph", _list_of(_PAIR), [], _check_graph,
       "(i, j) joint pairs linked in the multicut graph, whose offsets (both directions) the "
       "pairwise head predicts; empty: with a keypoint_format, the pairs at most four skeleton "
       "edges apart, else every pair (DeeperCut)"),
    _K("intermediate_supervision", BOOL, False, None, "extra part-detection loss on an intermediate layer"),
    _K("intermediate_supervision_layer", INT, 12, _at_least(1),
       "unit of ResNet block 3 that feeds the intermediate part-detection head"),
    _K("mirror", BOOL, False, None, "random horizontal flips in training"),
    _K("crop", BOOL, False, None, "random crops around people in training"),
    _K("crop_pad", INT, 0, _at_least(0), "padding in pixels around people when cropping"),
    _K("max_input_size", INT, 1500, _positive,
       "training images with more than max_input_size**2 pixels after scaling are skipped"),
    _K("multi_step", _list_of(_fixed(FLOAT, INT)),
       [[0.005, 10000], [0.02, 430000], [0.002, 730000], [0.001, 1030000]], _check_multi_step,
       "learning-rate schedule: [learning_rate, until_iteration] steps"),
    _K("display_iters", INT, 1000, _positive, "log the training loss every this many iterations"),
    _K("save_iters", INT, 50000, _positive, "save a checkpoint every this many iterations"),
    _K("batch_size", INT, 1, _at_least(1), "images per training batch"),
    _K("mean_pixel", _fixed(FLOAT, FLOAT, FLOAT), [123.68, 116.779, 103.939], None,
       "RGB mean subtracted from the input image"),
    _K("weigh_part_predictions", BOOL, False, None, "weigh the part-detection loss per joint"),
    _K("weigh_negatives", BOOL, False, None, "balance positive and negative scoremap cells by fg_fraction"),
    _K("fg_fraction", FLOAT, 0.25, _open_unit, "share of the loss weight given to positive cells"),
    _K("weigh_only_present_joints", BOOL, False, None, "part-detection loss only on joints labelled in the image"),
    _K("optimizer", STR, "sgd", _one_of("sgd", "adam"), "optimizer"),
    _K("weight_decay", FLOAT, 0.0001, _at_least(0), "L2 weight decay, applied when regularize is true"),
    _K("regularize", BOOL, False, None, "apply weight decay"),
    _K("snapshot_prefix", STR, "snapshot", _non_empty, "file-name prefix of checkpoints"),
    _K("log_dir", STR, "log", None, "folder of training logs"),
    _K("dataset", STR, "", None, "data set: a dataset .mat file or a COCO root folder"),
    _K("dataset_type", STR, "default", _non_empty, "registered data-set loader: default, coco, mpii, ..."),
    _K("dataset_phase", STR, "train2014", _non_empty, "COCO split, e.g. train2014 or val2014"),
    _K("dataset_ann", STR, "person_keypoints", _non_empty,
       "COCO annotation file prefix: person_keypoints or image_info"),
    _K("coco_only_images_with_people", BOOL, True, None, "use only COCO images that show people"),
    _K("use_gt_segm", BOOL, False, None, "use COCO ground-truth segmentations to mask unlabelled people"),
    _K("nms_radius", FLOAT, 5.0, _positive,
       "radius in scoremap cells of the non-maximum suppression of parts, rounded up to whole "
       "cells as DeeperCut does"),
    _K("det_min_score", FLOAT, 0.1, _unit, "part detections scoring lower are dropped"),
    _K("scmap_threshold", FLOAT, 0.1, _unit, "scoremap values below this are ignored"),
    _K("shuffle", BOOL, True, None, "shuffle the training data"),
    _K("video", BOOL, False, None, "the input is a video, processed frame by frame"),
    _K("video_batch", BOOL, False, None, "process video frames in batches"),
    _K("scoremap_dir", STR, "test", None, "folder where test scoremaps are written"),
    _K("seed", INT, 42, _at_least(0), "the one seed all randomness flows from"),
    _K("keypoint_format", _optional(STR), None, _optional_non_empty,
       "a registered keypoint format such as coco17, or a format YAML file (relative to the "
       "config's folder): it gives num_joints and all_joints (its flip pairs) where they are not "
       "set, and must agree where they are; null to use all_joints as given"),
    _K("precision", STR, "auto", _one_of("auto", "float32", "bfloat16"),
       "compute precision of the network; auto: bfloat16 where the CPU computes it natively "
       "(avx512_bf16, amx_bf16) and no GPU is used, else float32"),
    _K("momentum", FLOAT, 0.9, _unit, "momentum of the sgd optimizer"),
    _K("train_batchnorm", BOOL, False, None,
       "normalise by batch statistics in training and update the moving ones (for training from "
       "scratch); DeeperCut keeps them frozen"),
    _K("batchnorm_batches", INT, 8, _at_least(0),
       "with train_batchnorm, each snapshot's BatchNorm statistics are recomputed from the last "
       "this many training batches for the weights it saves (the moving averages lag behind "
       "early in training); 0 saves the moving averages"),
    _K("distribute", STR, "none", _one_of("none", "mirrored", "multi_worker"),
       "tf.distribute strategy for training: none, mirrored (all local GPUs) or multi_worker (TF_CONFIG)"),
    _K("input_workers", INT, 0, _at_least(0),
       "parallel calls decoding and augmenting training images; 0 lets tf.data choose"),
    _K("min_person_parts", INT, 1, _at_least(1),
       "people (clusters of the multicut) with fewer distinct parts are dropped; 1 keeps them "
       "all (DeeperCut)"),
    _K("edge_gate_stds", FLOAT, 0.0, _at_least(0),
       "candidates farther apart than the length of their parts' mean offset plus this many "
       "times its std's get no edge; 0 links every distance (DeeperCut)"),
    _K("edge_offset_gate_px", _optional(FLOAT), None,
       lambda v: None if v is None or v >= 0 else f"expected >= 0 or null, got {v!r}",
       "two candidates of different parts get an edge only if an actual offset between them "
       "misses the predicted one by at most this many pixels plus edge_offset_gate_rel times "
       "its length, and two of one part only within the reach of their predicted offsets; "
       "null links them all (DeeperCut)"),
    _K("edge_offset_gate_rel", FLOAT, 0.5, _at_least(0),
       "the offset gate's allowance per pixel of the predicted offset's length"),
    _K("duplicate_person_px", FLOAT, 0.0, _at_least(0),
       "a person every part of whom lies within this many pixels of a part of a stronger person "
       "is that body seen again as other parts (a leg found as both its left and its right knee) "
       "and is dropped; 0 keeps them (DeeperCut)"),
    _K("temporal_model", STR, "", None,
       "file of the fitted temporal model of tracking (posecut fit-temporal writes it); empty: "
       "temporal_model.npz beside pairwise_model_dir"),
    _K("track_window", INT, 8, _at_least(2), "tracking: frames grouped in one spatio-temporal graph"),
    _K("track_overlap", INT, 4, _at_least(1),
       "tracking: frames a window shares with the one before, which carry the identities on "
       "(less than track_window)"),
    _K("track_max_gap", INT, 2, _at_least(0),
       "tracking: largest frame gap of a temporal edge (less than track_window; 0: none)"),
    _K("track_gate", FLOAT, 1.0, _positive,
       "tracking: largest distance of a temporal edge from where optical flow moves the candidate, "
       "in person scales per frame of gap"),
    _K("track_flow_window", INT, 15, _at_least(0),
       "tracking: window of OpenCV's Farneback optical flow in pixels (about a limb's width); 0 "
       "tracks without flow"),
    _K("track_flow_size", INT, 320, _at_least(0),
       "tracking: frames whose longer side exceeds this many pixels are resized to it for the "
       "optical flow (its cost grows with the pixels); 0 uses the full frame"),
    _K("allow_absolute_image_paths", BOOL, False, None,
       "read images that annotation files name by absolute paths outside the folders searched "
       "for them (false: such records are skipped, naming the path)"),
)

_KEYS = {k.name: k for k in CONFIG_KEYS}


def _parse_key(key: ConfigKey, value: Any) -> tuple[Any, Optional[str]]:
    """Normalise one value; return (value, None) or (None, what was expected)."""
    try:
        value = key.type.parse(value)
    except _Mismatch as e:
        where = f"; {key.name}{e.path} is" if e.path else "; got"
        finite = " (finite)" if isinstance(e.value, float) and not math.isfinite(e.value) else ""
        return None, f"expected {key.type.name}{finite}{where} {_show(e.value)}"
    problem = key.check(value) if key.check else None
    return (None, problem) if problem else (value, None)


def _default(key: ConfigKey) -> Any:
    """The normalised default of a key; a row whose default fails its own check is a bug in the table."""
    value, problem = _parse_key(key, key.default)
    if problem:
        raise ConfigError(f"posecut.config: {key.name}: default {key.default!r} is invalid: {problem}")
    return value


_DEFAULTS = {k.name: _default(k) for k in CONFIG_KEYS}


def _format_joints(v: dict, config_dir: Optional[str]) -> list[tuple[str, str]]:
    """With a keypoint_format (a registered name, or a format YAML file relative to the config's
    folder, made absolute here), fill num_joints and the all_joints groups (its left/right flip
    pairs, which mirroring swaps) and their names from the format, and check that what the config
    gives itself agrees with it."""
    if not v["keypoint_format"]:
        return []
    if is_format_file(v["keypoint_format"]):
        v["keypoint_format"] = os.path.normpath(os.path.join(
            config_dir or os.getcwd(), os.path.expanduser(v["keypoint_format"])))

    try:
        fmt = get_format(v["keypoint_format"])
    except FormatError as e:
        return [("keypoint_format", str(e))]
    if v["num_joints"] is None and not v["all_joints"]:
        v["num_joints"] = fmt.num_joints
    if v["num_joints"] is not None and v["num_joints"] != fmt.num_joints:
        return [("num_joints", f"expected {fmt.num_joints}, the joints of keypoint_format "
                               f"{fmt.name}, got {v['num_joints']}")]
    groups, names = fmt.all_joints()
    if not v["all_joints"]:
        v["all_joints"] = tuple(tuple(g) for g in groups)
        v["all_joints_names"] = v["all_joints_names"] or tuple(names)
        return []
    given = sorted(sorted(g) for g in v["all_joints"] if len(g) == 2)
    expected = sorted(sorted(g) for g in groups if len(g) == 2)
    if given != expected:
        return [("all_joints", f"expected the left/right pairs of keypoint_format {fmt.name} "
                               f"({expected}), which mirroring swaps; got {given}")]
    return []


def _check_joints(v: dict, config_dir: Optional[str] = None) -> list[tuple[str, str]]:
    """Fill num_joints, all_joints and its names in ``v`` from each other, and check they agree."""
    problems = _format_joints(v, config_dir)
    n, groups, names = v["num_joints"], v["all_joints"], v["all_joints_names"]
    ids = sorted(j for g in groups for j in g)
    if n is None and groups:
        n = v["num_joints"] = len(ids)
    if n is None:
        if names:
            problems.append(("all_joints_names", "given without num_joints or all_joints"))
        if v["sparse_graph"]:
            problems.append(("sparse_graph", "given without num_joints or all_joints"))
        return problems
    if not groups:
        groups = v["all_joints"] = tuple((j,) for j in range(n))
    elif ids != list(range(n)):
        problems.append(("all_joints", f"expected the groups to hold each joint id 0..{n - 1} (num_joints={n}) "
                                       f"exactly once, got ids {ids}"))
    if not names:
        names = v["all_joints_names"] = tuple(f"joint{g[0]}" for g in groups)
    elif len(names) != len(groups):
        problems.append(("all_joints_names", f"expected one name per group of all_joints ({len(groups)}), "
                                             f"got {len(names)}"))
    bad = [list(e) for e in v["sparse_graph"] if max(e) >= n]
    if bad:
        problems.append(("sparse_graph", f"expected joint ids < num_joints={n}, got {bad}"))
    return problems


def _validate(values: dict, config_dir: Optional[str] = None) -> tuple[dict, list[tuple[str, str]]]:
    """Normalise and check every key, then the keys that depend on each other; collect all problems."""
    out, problems = {}, []
    for name, value in values.items():
        out[name], problem = _parse_key(_KEYS[name], value)
        if problem:
            problems.append((name, problem))
    failed = {name for name, _ in problems}
    if not failed & {"scale_jitter_lo", "scale_jitter_up"} and out["scale_jitter_lo"] > out["scale_jitter_up"]:
        problems.append(("scale_jitter_lo", f"expected <= scale_jitter_up={out['scale_jitter_up']}, "
                                            f"got {out['scale_jitter_lo']}"))
    if not failed & {"num_joints", "all_joints", "keypoint_format", "dataset_type"}:
        out.update({k: () for k in failed & {"all_joints_names", "sparse_graph"}})
        if (out["dataset_type"] == "coco" and out["keypoint_format"] is None
                and out["num_joints"] is None and not out["all_joints"]):
            out["keypoint_format"] = COCO_FORMAT  # DeeperCut's MSCOCO class fixed these joints
        problems += _check_joints(out, config_dir)
    return out, problems


def _raise(source: str, problems: list[tuple[str, str]]) -> None:
    """One ConfigError listing every problem, one line each, each naming the file and the key."""
    if problems:
        raise ConfigError("\n".join(f"{source}: {key}: {what}" for key, what in problems))


def _unknown(keys) -> list[tuple[str, str]]:
    """A problem per unknown key, suggesting the nearest known key."""
    problems = []
    for key in keys:
        close = difflib.get_close_matches(str(key), _KEYS, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "see config_reference() for the known keys"
        problems.append((str(key), f"unknown key; {hint}"))
    return problems


def _plain(value: Any) -> Any:
    """Tuples to lists, recursively, so values dump to YAML and JSON."""
    return [_plain(v) for v in value] if isinstance(value, tuple) else value


@dataclasses.dataclass(frozen=True, kw_only=True)
class PoseConfig:
    """The frozen, validated configuration: one attribute per key of CONFIG_KEYS, in its order,
    with its type and its default from there (tests/test_config.py checks that they agree).

    ``source`` names where it came from (for messages) and ``config_dir`` is the folder of the
    loaded file (None otherwise); neither takes part in equality. Building one validates it.
    """

    stride: float = _DEFAULTS['stride']
    net_type: str = _DEFAULTS['net_type']
    init_weights: str = _DEFAULTS['init_weights']
    num_joints: Optional[int] = _DEFAULTS['num_joints']
    all_joints: tuple[tuple[int, ...], ...] = _DEFAULTS['all_joints']
    all_joints_names: tuple[str, ...] = _DEFAULTS['all_joints_names']
    global_scale: float = _DEFAULTS['global_scale']
    scale_jitter_lo: float = _DEFAULTS['scale_jitter_lo']
    scale_jitter_up: float = _DEFAULTS['scale_jitter_up']
    pos_dist_thresh: float = _DEFAULTS['pos_dist_thresh']
    location_refinement: bool = _DEFAULTS['location_refinement']
    locref_stdev: float = _DEFAULTS['locref_stdev']
    locref_loss_weight: float = _DEFAULTS['locref_loss_weight']
    locref_huber_loss: bool = _DEFAULTS['locref_huber_loss']
    pairwise_predict: bool = _DEFAULTS['pairwise_predict']
    pairwise_huber_loss: bool = _DEFAULTS['pairwise_huber_loss']
    pairwise_loss_weight: float = _DEFAULTS['pairwise_loss_weight']
    pairwise_stats_fn: str = _DEFAULTS['pairwise_stats_fn']
    pairwise_stats_collect: bool = _DEFAULTS['pairwise_stats_collect']
    pairwise_model_dir: str = _DEFAULTS['pairwise_model_dir']
    tensorflow_pairwise_order: bool = _DEFAULTS['tensorflow_pairwise_order']
    sparse_graph: tuple[tuple[int, int], ...] = _DEFAULTS['sparse_graph']
    intermediate_supervision: bool = _DEFAULTS['intermediate_supervision']
    intermediate_supervision_layer: int = _DEFAULTS['intermediate_supervision_layer']
    mirror: bool = _DEFAULTS['mirror']
    crop: bool = _DEFAULTS['crop']
    crop_pad: int = _DEFAULTS['crop_pad']
    max_input_size: int = _DEFAULTS['max_input_size']
    multi_step: tuple[tuple[float, int], ...] = _DEFAULTS['multi_step']
    display_iters: int = _DEFAULTS['display_iters']
    save_iters: int = _DEFAULTS['save_iters']
    batch_size: int = _DEFAULTS['batch_size']
    mean_pixel: tuple[float, float, float] = _DEFAULTS['mean_pixel']
    weigh_part_predictions: bool = _DEFAULTS['weigh_part_predictions']
    weigh_negatives: bool = _DEFAULTS['weigh_negatives']
    fg_fraction: float = _DEFAULTS['fg_fraction']
    weigh_only_present_joints: bool = _DEFAULTS['weigh_only_present_joints']
    optimizer: str = _DEFAULTS['optimizer']
    weight_decay: float = _DEFAULTS['weight_decay']
    regularize: bool = _DEFAULTS['regularize']
    snapshot_prefix: str = _DEFAULTS['snapshot_prefix']
    log_dir: str = _DEFAULTS['log_dir']
    dataset: str = _DEFAULTS['dataset']
    dataset_type: str = _DEFAULTS['dataset_type']
    dataset_phase: str = _DEFAULTS['dataset_phase']
    dataset_ann: str = _DEFAULTS['dataset_ann']
    coco_only_images_with_people: bool = _DEFAULTS['coco_only_images_with_people']
    use_gt_segm: bool = _DEFAULTS['use_gt_segm']
    nms_radius: float = _DEFAULTS['nms_radius']
    det_min_score: float = _DEFAULTS['det_min_score']
    scmap_threshold: float = _DEFAULTS['scmap_threshold']
    shuffle: bool = _DEFAULTS['shuffle']
    video: bool = _DEFAULTS['video']
    video_batch: bool = _DEFAULTS['video_batch']
    scoremap_dir: str = _DEFAULTS['scoremap_dir']
    seed: int = _DEFAULTS['seed']
    keypoint_format: Optional[str] = _DEFAULTS['keypoint_format']
    precision: str = _DEFAULTS['precision']
    momentum: float = _DEFAULTS['momentum']
    train_batchnorm: bool = _DEFAULTS['train_batchnorm']
    batchnorm_batches: int = _DEFAULTS['batchnorm_batches']
    distribute: str = _DEFAULTS['distribute']
    input_workers: int = _DEFAULTS['input_workers']
    min_person_parts: int = _DEFAULTS['min_person_parts']
    edge_gate_stds: float = _DEFAULTS['edge_gate_stds']
    edge_offset_gate_px: Optional[float] = _DEFAULTS['edge_offset_gate_px']
    edge_offset_gate_rel: float = _DEFAULTS['edge_offset_gate_rel']
    duplicate_person_px: float = _DEFAULTS['duplicate_person_px']
    temporal_model: str = _DEFAULTS['temporal_model']
    track_window: int = _DEFAULTS['track_window']
    track_overlap: int = _DEFAULTS['track_overlap']
    track_max_gap: int = _DEFAULTS['track_max_gap']
    track_gate: float = _DEFAULTS['track_gate']
    track_flow_window: int = _DEFAULTS['track_flow_window']
    track_flow_size: int = _DEFAULTS['track_flow_size']
    allow_absolute_image_paths: bool = _DEFAULTS['allow_absolute_image_paths']
    source: str = dataclasses.field(default="<defaults>", compare=False)
    config_dir: Optional[str] = dataclasses.field(default=None, compare=False)

    def __post_init__(self):
        values, problems = _validate({k: getattr(self, k) for k in _KEYS}, self.config_dir)
        _raise(self.source, problems)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def replace(self, **changes) -> PoseConfig:
        """A new validated config with some keys changed; derived joint keys are not re-derived."""
        _raise(self.source, _unknown([k for k in changes if k not in _KEYS]))
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Every key with its value as plain lists, in table order."""
        return {k: _plain(getattr(self, k)) for k in _KEYS}

    def resolve_path(self, value: str | os.PathLike) -> str:
        """``value`` made absolute relative to the config's folder (or the working folder); '' stays ''."""
        value = os.path.expanduser(os.fspath(value))
        if not value:
            return ""
        return os.path.normpath(os.path.join(self.config_dir or os.getcwd(), value))

    def require_joints(self) -> int:
        """num_joints, or a ConfigError when the config does not say how many joints there are."""
        if self.num_joints is None:
            raise ConfigError(f"{self.source}: num_joints: required here but not set; "
                              "add num_joints (and all_joints, all_joints_names) to the configuration")
        return self.num_joints

    @property
    def linked_pairs(self) -> tuple[tuple[int, int], ...]:
        """The part pairs (k, m) of the grouping graph, which the pairwise head predicts (both
        directions): sparse_graph; empty, with a keypoint_format, the format's default graph (pairs
        at most four skeleton edges apart, nnet.heads.default_sparse_graph); else empty, meaning
        every pair (DeeperCut)."""
        if self.sparse_graph or not self.keypoint_format:
            return tuple(self.sparse_graph)
        fmt = get_format(self.keypoint_format)
        return tuple(map(tuple, default_sparse_graph(fmt.skeleton, self.require_joints()).tolist()))

    @property
    def mirror_map(self) -> tuple[int, ...]:
        """Per joint, the index of its mirror image (itself unless in a group of two)."""
        return mirror_joints_map(self.all_joints, self.require_joints())


def mirror_joints_map(all_joints, num_joints: int) -> tuple[int, ...]:
    """Per joint, the index of the joint it becomes when the image is mirrored (pairs of all_joints swap)."""
    res = list(range(num_joints))
    for group in all_joints:
        if len(group) == 2:
            a, b = group
            res[a], res[b] = b, a
    return tuple(res)


def default_config() -> PoseConfig:
    """The configuration with every key at its default."""
    return PoseConfig()


def config_from_dict(d: dict, source: str = "<dict>", config_dir: Optional[str] = None) -> PoseConfig:
    """Merge ``d`` over the defaults and validate; ``source`` names it in error messages."""
    if not isinstance(d, dict):
        raise ConfigError(f"{source}: expected a mapping of keys to values, got {_show(d)}")
    known = {k: v for k, v in d.items() if k in _KEYS}
    problems = _unknown([k for k in d if k not in _KEYS])
    if problems:
        _raise(source, problems + _validate({**_DEFAULTS, **known}, config_dir)[1])
    return PoseConfig(**known, source=source, config_dir=config_dir)


MAX_CONFIG_BYTES = 1 << 20
"""Largest configuration file read (1 MiB); DeeperCut's own are about 2 KB."""
MAX_COMPARED_NODES = 10_000
"""Most values (aliases expanded) of a key given twice that are compared with each other; two
larger values (a few hundred bytes of nested aliases, "billion laughs", expand to billions)
count as different rather than being expanded."""


def _expanded_size(root, limit: int) -> int:
    """How many values the node tree under ``root`` holds with every alias expanded (a node
    reached twice counts twice), counted without expanding; above ``limit`` (or a value that
    holds itself) it is ``limit + 1``."""
    sizes, entered, stack = {}, set(), [(root, False)]
    while stack:
        node, children_sized = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = ([n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value))
        if children_sized:
            sizes[id(node)] = min(limit + 1, 1 + sum(sizes[id(c)] for c in children))
        elif id(node) in entered:  # reached again below itself: a recursive alias
            return limit + 1
        else:
            entered.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in children)
    return sizes[id(root)]


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml's safe loader, except that a key given twice in one mapping with different values is
    an error (yaml would keep the last value silently)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    first_line, first_node = seen[key]
                    if self._same(first_node, value_node):
                        continue  # said twice alike, as DeeperCut's pose_cfg_multi.yaml does
                    raise yaml.constructor.ConstructorError(
                        None, None, f"{key}: given twice with different values (lines "
                                    f"{first_line} and {line}); keep one", key_node.start_mark)
                seen[key] = (line, value_node)
            except TypeError:
                continue  # an unhashable key: the constructor below reports it
        return super().construct_mapping(node, deep=deep)

    def _same(self, a, b) -> bool:
        """Whether two value nodes hold the same value; values of more than MAX_COMPARED_NODES
        values (aliases expanded) are not compared, and count as different."""
        if max(_expanded_size(a, MAX_COMPARED_NODES), _expanded_size(b, MAX_COMPARED_NODES)) \
                > MAX_COMPARED_NODES:
            return False
        try:
            return self.construct_object(a, deep=True) == self.construct_object(b, deep=True)
        except yaml.YAMLError:
            return False


def load_config(path: str | os.PathLike) -> PoseConfig:
    """Read a pose_cfg.yaml, merge it over the defaults and validate it; an empty file gives the defaults."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_CONFIG_BYTES:
                raise ConfigError(f"{source}: not a configuration: {size} bytes, above the "
                                  f"{MAX_CONFIG_BYTES} a configuration may have")
            data = yaml.load(f, Loader=_UniqueKeyLoader)
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such configuration file") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: a folder, not a configuration file") from None
    except OSError as e:
        raise ConfigError(f"{source}: cannot read the configuration file: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML: {' '.join(str(e).split())}") from None
    except RecursionError:
        raise ConfigError(f"{source}: not a configuration: nested too deeply to read") from None
    return config_from_dict({} if data is None else data, source=source,
                            config_dir=os.path.dirname(os.path.abspath(source)))


def save_config(cfg: PoseConfig, path: str | os.PathLike) -> None:
    """Write every key of ``cfg`` as YAML that loads back equal; relative paths are written unchanged."""
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(cfg.to_dict(), f, sort_keys=False, default_flow_style=None)


def config_reference() -> list[tuple[str, str, Any, str]]:
    """(key, type, default, description) for every key, in table order, for the README."""
    return [(k.name, k.type.name, _plain(_DEFAULTS[k.name]), k.description) for k in CONFIG_KEYS]
