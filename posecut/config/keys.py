"""The one table of configuration keys: name, type, default, check, meaning and section.

``PoseConfig``'s fields, the validation and ``docs/config.md`` are all made from ``CONFIG_KEYS``.
DeeperCut's keys keep their original meaning and default; posecut's own (``ours``) default to
what DeeperCut did. A DeeperCut key that posecut does not implement carries an ``Unimplemented``
note: it loads only at DeeperCut's default, and any other value is an error that says what it did.
"""

from __future__ import annotations

from dataset.keypoint_formats import DEFAULT_FORMAT
from nnet.backbones import NET_TYPES
from posecut.config.types import (
    BOOL, FLOAT, INT, STR, ConfigKey, Unimplemented, at_least, check_graph, check_groups,
    check_multi_step, fixed, list_of, non_empty, one_of, open_unit, optional, optional_at_least,
    optional_non_empty, optional_positive, positive, unit,
)

__all__ = ["CONFIG_KEYS", "ConfigKey", "KEYS", "SECTIONS", "Unimplemented"]

SECTIONS: dict[str, tuple[str, str]] = {
    "joints": ("Joints", "Which joints the network predicts, their names and left/right pairs."),
    "data": ("Data set", "What the network trains on and how annotation files are read."),
    "network": ("Network", "Backbone, heads and the checkpoint they start from."),
    "training": ("Training", "Schedule, optimizer, snapshots and how training runs."),
    "targets": ("Training targets and losses", "Which scoremap cells are positive and how the "
                "losses weigh them."),
    "augmentation": ("Augmentation", "Random changes to training images."),
    "grouping": ("Multi-person grouping", "Part detections and the multicut graph that groups "
                 "them into people."),
    "tracking": ("Tracking", "People followed through a video (ArtTrack's spatio-temporal graph)."),
    "prediction": ("Prediction and speed", "How images enter the network and how it computes."),
    "deepercut": ("DeeperCut compatibility", "Keys of DeeperCut's configs that posecut reads so "
                  "they load; what each does here is said with it."),
}
"""Section id -> (title, one line about it), in the order of docs/config.md."""


def _K(name, type_, default, check, description, unimplemented=None) -> ConfigKey:
    """A DeeperCut key."""
    return ConfigKey(name, type_, default, check, description, unimplemented=unimplemented)


def _P(name, type_, default, check, description) -> ConfigKey:
    """One of posecut's own keys."""
    return ConfigKey(name, type_, default, check, description, ours=True)


def _section(section: str, *keys: ConfigKey) -> tuple[ConfigKey, ...]:
    return tuple(key._replace(section=section) for key in keys)


_PAIR = fixed(INT, INT)

CONFIG_KEYS: tuple[ConfigKey, ...] = (
    *_section(
        "joints",
        _P("keypoint_format", optional(STR), None, optional_non_empty,
           "a registered keypoint format such as coco17, or a format YAML file (relative to the "
           "config's folder): it gives num_joints and all_joints (its flip pairs) where they are not "
           f"set, and must agree where they are; null to use all_joints as given (dataset_type coco "
           f"with no joints named means {DEFAULT_FORMAT}, as in DeeperCut)"),
        _K("num_joints", optional(INT), None, optional_positive,
           "number of joints the network predicts; null until a step needs it"),
        _K("all_joints", list_of(list_of(INT)), [], check_groups,
           "groups of joint ids sharing a name; a group of two is a left/right pair swapped by mirroring"),
        _K("all_joints_names", list_of(STR), [], None, "one name per group of all_joints"),
    ),
    *_section(
        "data",
        _K("dataset", STR, "", None, "data set: a dataset .mat file or a COCO root folder"),
        _K("dataset_type", STR, "default", non_empty, "registered data-set loader: default, coco, mpii, ..."),
        _K("dataset_phase", STR, "train2014", non_empty, "COCO split, e.g. train2014 or val2014"),
        _K("dataset_ann", STR, "person_keypoints", non_empty,
           "COCO annotation file prefix: person_keypoints or image_info"),
        _K("coco_only_images_with_people", BOOL, True, None, "use only COCO images that show people"),
        _P("allow_absolute_image_paths", BOOL, False, None,
           "read images that annotation files name by absolute paths outside the folders searched "
           "for them (false: such records are skipped, naming the path)"),
    ),
    *_section(
        "network",
        _K("net_type", STR, "resnet_101", one_of(*NET_TYPES), "backbone network"),
        _K("init_weights", STR, "", None,
           "checkpoint the network starts from (relative to the config's folder), or imagenet: "
           "Keras' published ImageNet backbone, renamed into this layout once and cached "
           "(nnet/imagenet.py)"),
        _K("stride", FLOAT, 8.0, positive, "output stride of the network: pixels per scoremap cell"),
        _K("location_refinement", BOOL, False, None, "predict sub-cell location refinement offsets (locref)"),
        _K("locref_stdev", FLOAT, 7.2801, positive, "locref targets are offsets in pixels divided by this"),
        _K("pairwise_predict", BOOL, False, None,
           "predict pairwise offsets from each joint to the joints sparse_graph links it to"),
        _K("sparse_graph", list_of(_PAIR), [], check_graph,
           "(i, j) joint pairs linked in the multicut graph, whose offsets (both directions) the "
           "pairwise head predicts; empty: with a keypoint_format, the pairs at most four skeleton "
           "edges apart, else every pair (DeeperCut)"),
        _K("pairwise_stats_fn", STR, "pairwise_stats.mat", None,
           ".mat file with the mean and std of pairwise offsets, used to normalise them"),
        _K("intermediate_supervision", BOOL, False, None,
           "extra part-detection loss on an intermediate layer"),
        _K("intermediate_supervision_layer", INT, 12, at_least(1),
           "unit of ResNet block 3 that feeds the intermediate part-detection head"),
        _K("mean_pixel", fixed(FLOAT, FLOAT, FLOAT), [123.68, 116.779, 103.939], None,
           "RGB mean subtracted from the input image"),
    ),
    *_section(
        "training",
        _K("multi_step", list_of(fixed(FLOAT, INT)),
           [[0.005, 10000], [0.02, 430000], [0.002, 730000], [0.001, 1030000]], check_multi_step,
           "learning-rate schedule: [learning_rate, until_iteration] steps"),
        _K("optimizer", STR, "sgd", one_of("sgd", "adam"), "optimizer"),
        _P("momentum", FLOAT, 0.9, unit, "momentum of the sgd optimizer"),
        _K("regularize", BOOL, False, None, "apply weight decay"),
        _K("weight_decay", FLOAT, 0.0001, at_least(0), "L2 weight decay, applied when regularize is true"),
        _K("batch_size", INT, 1, at_least(1), "images per training batch"),
        _K("shuffle", BOOL, True, None, "shuffle the training data"),
        _K("max_input_size", INT, 1500, positive,
           "training images with more than max_input_size**2 pixels after scaling are skipped"),
        _K("display_iters", INT, 1000, positive, "log the training loss every this many iterations"),
        _K("save_iters", INT, 50000, positive, "save a checkpoint every this many iterations"),
        _K("snapshot_prefix", STR, "snapshot", non_empty, "file-name prefix of checkpoints"),
        _K("log_dir", STR, "log", None, "folder of training logs"),
        _P("seed", INT, 42, at_least(0), "the one seed all randomness flows from"),
        _P("train_batchnorm", BOOL, False, None,
           "normalise by batch statistics in training and update the moving ones (for training from "
           "scratch); DeeperCut keeps them frozen"),
        _P("batchnorm_batches", INT, 8, at_least(0),
           "with train_batchnorm, each snapshot's BatchNorm statistics are recomputed from the last "
           "this many training batches for the weights it saves (the moving averages lag behind "
           "early in training); 0 saves the moving averages"),
        _P("distribute", STR, "none", one_of("none", "mirrored", "multi_worker"),
           "tf.distribute strategy for training: none, mirrored (all local GPUs) or multi_worker "
           "(the workers TF_CONFIG names, each with all its GPUs; batch_size is per replica, so "
           "a step takes batch_size x replicas images; posecut train --workers N runs N on this "
           "machine)"),
        _P("input_workers", INT, 0, at_least(0),
           "parallel calls decoding and augmenting training images; 0 lets tf.data choose"),
    ),
    *_section(
        "targets",
        _K("pos_dist_thresh", FLOAT, 17.0, positive,
           "radius in pixels around a joint within which scoremap cells are positive"),
        _K("weigh_part_predictions", BOOL, False, None, "weigh the part-detection loss per joint"),
        _K("weigh_negatives", BOOL, False, None,
           "balance positive and negative scoremap cells by fg_fraction"),
        _K("fg_fraction", FLOAT, 0.25, open_unit, "share of the loss weight given to positive cells"),
        _K("weigh_only_present_joints", BOOL, False, None,
           "part-detection loss only on joints labelled in the image"),
        _K("locref_loss_weight", FLOAT, 1.0, at_least(0), "weight of the locref loss"),
        _K("locref_huber_loss", BOOL, True, None, "Huber loss for locref (else squared error)"),
        _K("pairwise_loss_weight", FLOAT, 1.0, at_least(0), "weight of the pairwise loss"),
        _K("pairwise_huber_loss", BOOL, True, None, "Huber loss for pairwise offsets (else squared error)"),
    ),
    *_section(
        "augmentation",
        _K("scale_jitter_lo", FLOAT, 0.85, positive, "lowest random scale factor in training"),
        _K("scale_jitter_up", FLOAT, 1.15, positive, "highest random scale factor in training"),
        _K("mirror", BOOL, False, None, "random horizontal flips in training"),
        _K("crop", BOOL, False, None, "random crops around people in training"),
        _K("crop_pad", INT, 0, at_least(0), "padding in pixels around people when cropping"),
    ),
    *_section(
        "grouping",
        _K("nms_radius", FLOAT, 5.0, positive,
           "radius in scoremap cells of the non-maximum suppression of parts, rounded up to whole "
           "cells as DeeperCut does"),
        _K("det_min_score", FLOAT, 0.1, unit, "part detections scoring lower are dropped"),
        _K("pairwise_model_dir", STR, "", None, "folder of the fitted pairwise spatial model"),
        _P("min_person_parts", INT, 1, at_least(1),
           "people (clusters of the multicut) with fewer distinct parts are dropped; 1 keeps them "
           "all (DeeperCut)"),
        _P("edge_gate_stds", FLOAT, 0.0, at_least(0),
           "candidates farther apart than the length of their parts' mean offset plus this many "
           "times its std's get no edge; 0 links every distance (DeeperCut)"),
        _P("edge_offset_gate_px", optional(FLOAT), None, optional_at_least(0),
           "two candidates of different parts get an edge only if an actual offset between them "
           "misses the predicted one by at most this many pixels plus edge_offset_gate_rel times "
           "its length, and two of one part only within the reach of their predicted offsets; "
           "null links them all (DeeperCut)"),
        _P("edge_offset_gate_rel", FLOAT, 0.5, at_least(0),
           "the offset gate's allowance per pixel of the predicted offset's length"),
        _P("duplicate_person_px", FLOAT, 0.0, at_least(0),
           "a person every part of whom lies within this many pixels of a part of a stronger person "
           "is that body seen again as other parts (a leg found as both its left and its right knee) "
           "and is dropped; 0 keeps them (DeeperCut)"),
    ),
    *_section(
        "tracking",
        _P("temporal_model", STR, "", None,
           "file of the fitted temporal model of tracking (posecut fit-temporal writes it); empty: "
           "temporal_model.npz beside pairwise_model_dir"),
        _P("track_window", INT, 8, at_least(2), "frames grouped in one spatio-temporal graph"),
        _P("track_overlap", INT, 4, at_least(1),
           "frames a window shares with the one before, which carry the identities on (less than "
           "track_window)"),
        _P("track_max_gap", INT, 2, at_least(0),
           "largest frame gap of a temporal edge (less than track_window; 0: none)"),
        _P("track_gate", FLOAT, 1.0, positive,
           "largest distance of a temporal edge from where optical flow moves the candidate, in "
           "person scales per frame of gap"),
        _P("track_flow_window", INT, 15, at_least(0),
           "window of OpenCV's Farneback optical flow in pixels (about a limb's width); 0 tracks "
           "without flow"),
        _P("track_flow_size", INT, 320, at_least(0),
           "frames whose longer side exceeds this many pixels are resized to it for the optical "
           "flow (its cost grows with the pixels); 0 uses the full frame"),
    ),
    *_section(
        "prediction",
        _K("global_scale", FLOAT, 1.0, positive, "scale applied to every image before the network"),
        _P("pcutoff", FLOAT, 0.6, unit,
           "likelihood below which a part counts as not found: drawn hollow, left out of the plots, "
           "and scored apart by evaluate (DeepLabCut's pcutoff; posecut import-dlc copies the "
           "project's)"),
        _P("precision", STR, "auto", one_of("auto", "float32", "bfloat16"),
           "compute precision of the network; auto: bfloat16 where the CPU computes it natively "
           "(avx512_bf16, amx_bf16) and no GPU is used, else float32"),
    ),
    *_section(
        "deepercut",
        _K("tensorflow_pairwise_order", BOOL, True, None,
           "true: the checkpoint's pairwise channels are in the order of DeeperCut's TensorFlow "
           "models (posecut's); false: in DeeperCut's Caffe order, pair (k, m) in the channels of "
           "the row of pairwise_stats_fn's graph (1-based) that holds (k+1, m+1), put into posecut's "
           "order once, when a DeeperCut checkpoint is read (checkpoints posecut writes are in its "
           "own)"),
        _K("pairwise_stats_collect", BOOL, False, None,
           "collect the offsets between joints for pairwise statistics while reading the data set",
           Unimplemented("true made the data set record every training image's joint offsets for "
                         "pairwise_stats.py, which turns it on by itself",
                         "posecut computes the statistics with `posecut pairwise-stats`")),
        _K("use_gt_segm", BOOL, False, None,
           "predict one pose per ground-truth COCO person segmentation",
           Unimplemented("true kept COCO's person segmentations and made test_multiperson.py "
                         "write one pose per segmented person to predictions_with_segm.json",
                         "posecut groups people with the multicut only")),
        _K("video", BOOL, False, None, "a network over sequences of video frames",
           Unimplemented("true built PoseSeqNet, a network over sequences of frames, instead of "
                         "PoseNet", "posecut's network takes single frames; `posecut track` "
                                    "follows people through a video")),
        _K("video_batch", BOOL, False, None, "training batches of consecutive video frames",
           Unimplemented("true made the Penn Action loader fill each batch with batch_size "
                         "consecutive frames of one sequence",
                         "posecut's batches hold independent images")),
        _K("scoremap_dir", STR, "test", None, "folder of cached test scoremaps",
           Unimplemented("test.py and test_multiperson.py --cache wrote each image's scoremaps, "
                         "locref and pairwise outputs as .mat files into this folder",
                         "posecut writes no scoremap files")),
        _K("scmap_threshold", FLOAT, 0.1, unit, "a threshold on scoremaps that no code applies",
           Unimplemented("no DeeperCut code reads it (its pose_cfg_multi.yaml sets 0.0)",
                         "det_min_score is the lowest part score kept", any_value=True)),
    ),
)

KEYS: dict[str, ConfigKey] = {key.name: key for key in CONFIG_KEYS}
"""Each key of the table by name."""
