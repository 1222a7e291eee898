"""A DeepLabCut project made into a posecut project that trains as it is.

``import_dlc(config.yaml, OUT)`` reads the project (dataset.dlc_project) and writes into OUT:
the labelled frames (copied, as ``labeled-data/<video>/<frame>``, so that OUT moves as a whole),
the keypoint format of the animal's parts (``bodyparts.yaml``), all labels as one COCO keypoint
JSON (``all.json``), its split by TrainingFraction and the seed (``train.json``, ``test.json``),
``pose_cfg.yaml`` with values chosen for the frames and the animal (``choose_training_values``,
each with its reason as a comment), and ``project.yaml`` with what DeepLabCut's config says that
no pose_cfg.yaml key holds (the scorer, the individuals); the project's pcutoff becomes the config's. A multi-animal project also gets the pairwise
statistics its pairwise head needs before training.
"""
from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np

from dataset.coco_writer import write_coco_json
from dataset.conversion import Conversion, convert
from dataset.deeplabcut import unlabelled_joints
from dataset.dlc_project import (DlcProject, project_format, read_dlc_config, read_project_tables,
                                 side_pairs)
from dataset.joint_mappings import identity_mapping
from dataset.keypoint_formats import KeypointFormat, load_format
from dataset.loaders import load_dataset
from dataset.pairwise_stats import compute_pairwise_stats, save_pairwise_stats
from dataset.source_data import SourceData
from dataset.split import write_split
from lib.errors import DatasetError, PosecutError
from posecut.bundled import BUNDLED_MODEL, BUNDLED_WEIGHTS

__all__ = ["FILES", "Imported", "TrainingChoice", "choose_training_values", "import_dlc", "summary"]

FILES = {"format": "bodyparts.yaml", "all": "all.json", "train": "train.json", "test": "test.json",
         "config": "pose_cfg.yaml", "project": "project.yaml", "frames": "labeled-data",
         "pairwise_stats": "pairwise_stats.mat"}
"""What import_dlc writes in OUT, by role."""
NETWORK_LONG_SIDE = 320.0
"""Pixels of the frame's long side on the network input."""
MIN_ANIMAL_PX = 48.0
"""Least diagonal of the animal on the network input: six cells of stride 8."""
DLC_POS_DIST_THRESH = 17.0
"""DeepLabCut's (and DeeperCut's) pos_dist_thresh, in pixels of the frame."""
BATCH_SIZE = 8
LEARNING_RATE = 0.001
EPOCHS = 250
"""Passes over the training frames that the schedule makes."""
MIN_STEPS = 2000
NET_TYPE = "mobilenet_v2_0.5"
"""The bundled model's backbone, whose weights training starts from."""


@dataclass(frozen=True)
class TrainingChoice:
    """The values chosen for a project, and what they were chosen from."""

    global_scale: float
    pos_dist_thresh: float
    batch_size: int
    multi_step: tuple[tuple[float, int], ...]
    save_iters: int
    long_side: float
    """Median long side of the frames, pixels."""
    animal_size: Optional[float]
    """Median diagonal of the box around one animal's labelled parts, pixels (None: no animal
    has two labelled parts)."""


def _round_up(value: float, step: int) -> int:
    return int(math.ceil(value / step) * step)


def choose_training_values(frame_sizes, animals, num_train: int, stride: float = 8.0) -> TrainingChoice:
    """The training values for frames of ``frame_sizes`` ((N, 2) height, width) showing
    ``animals`` ((K, J, 3) x, y, visibility; one row per labelled animal) with ``num_train``
    training frames.

    - global_scale brings the median long side to NETWORK_LONG_SIDE pixels (the cost of a step
      grows with the pixels), but no lower than keeps the animal's median diagonal at
      MIN_ANIMAL_PX on the network input, and never above 1 (no detail is gained by enlarging);
    - pos_dist_thresh (frame pixels; the radius on the input is it times the scale) is
      DeepLabCut's 17, raised to one stride cell on the input and lowered to a quarter of the
      animal's diagonal (so the positive disc of a part does not cover the animal), never below
      one cell;
    - the schedule: Adam at LEARNING_RATE for 80 % of about EPOCHS passes over the training
      frames (at least MIN_STEPS steps), a tenth of it for the rest.
    """
    sizes = np.asarray(frame_sizes, dtype=np.float64).reshape(-1, 2)
    if not len(sizes):
        raise ValueError("frame_sizes: expected at least one frame, got none")
    long_side = float(np.median(sizes.max(axis=1)))
    joints = np.asarray(animals, dtype=np.float64)
    diagonals = []
    for animal in joints.reshape((-1,) + joints.shape[-2:]) if joints.size else ():
        xy = animal[animal[:, 2] > 0, :2]
        if len(xy) >= 2:
            diagonals.append(float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0)))))
    animal_size = float(np.median(diagonals)) if diagonals else None
    scale = NETWORK_LONG_SIDE / long_side
    if animal_size:
        scale = max(scale, MIN_ANIMAL_PX / animal_size)
    scale = round(min(1.0, scale), 2)
    one_cell = stride / scale
    upper = max(one_cell, animal_size / 4) if animal_size else math.inf
    pos = round(min(max(DLC_POS_DIST_THRESH, one_cell), upper), 1)
    batch = max(1, min(BATCH_SIZE, int(num_train)))
    steps = max(MIN_STEPS, _round_up(EPOCHS * num_train / batch, 500))
    schedule = ((LEARNING_RATE, int(0.8 * steps)), (LEARNING_RATE / 10, steps))
    return TrainingChoice(scale, pos, batch, schedule, max(100, _round_up(steps / 10, 100)),
                          long_side, animal_size)


@dataclass
class Imported:
    """What import_dlc read and wrote."""

    project: DlcProject
    format: KeypointFormat
    conversion: Conversion
    choice: TrainingChoice
    out_dir: str
    num_train: int
    num_test: int
    mirror: bool
    missing: list = field(default_factory=list)
    """One line per table and bodypart that no frame of the table labels."""
    notes: list = field(default_factory=list)

    def path(self, role: str) -> str:
        """The file written for ``role`` (a key of FILES)."""
        return os.path.join(self.out_dir, FILES[role])


def _copy_frames(source: SourceData, project_folder: str, out_dir: str) -> SourceData:
    """``source`` with each found frame copied into ``out_dir`` at its place in the project
    (labeled-data/<video>/<frame>; a frame outside the project under labeled-data/<table's
    folder>/); a copy of the same size is kept."""
    images = []
    for image in source.images:
        if image.path is None:
            images.append(image)
            continue
        rel = os.path.relpath(image.path, project_folder)
        if rel.startswith(os.pardir):
            rel = os.path.join(FILES["frames"], os.path.basename(os.path.dirname(source.path)),
                               os.path.basename(image.path))
        target = os.path.join(out_dir, rel)
        if not (os.path.isfile(target) and os.path.getsize(target) == os.path.getsize(image.path)):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(image.path, target)
        images.append(replace(image, path=target))
    return replace(source, images=images)


def _format_yaml(fmt: KeypointFormat) -> str:
    """The keypoint-format YAML of ``fmt`` (dataset/keypoint_formats.py's schema)."""
    return (f"# The parts of one animal, from the DeepLabCut config's bodyparts and skeleton; flip\n"
            f"# pairs where two names differ only by the side; DeepLabCut has no OKS sigmas, so each\n"
            f"# part has the default one.\n"
            f"name: {json.dumps(fmt.name)}\ndescription: {json.dumps(fmt.description)}\n"
            f"joints: {json.dumps(list(fmt.joints))}\n"
            f"flip_pairs: {json.dumps([list(p) for p in fmt.flip_pairs])}\n"
            f"skeleton: {json.dumps([list(p) for p in fmt.skeleton])}\n"
            f"sigmas: {json.dumps(list(fmt.sigmas))}\n")


def _init_weights(out_dir: str) -> str:
    """The bundled weights, relative to ``out_dir`` when it lies in the repository (so that both
    move together), else absolute."""
    root = os.path.dirname(os.path.dirname(BUNDLED_MODEL))
    if os.path.commonpath([root, out_dir]) == root:
        return os.path.relpath(BUNDLED_WEIGHTS, out_dir)
    return BUNDLED_WEIGHTS


def _pose_cfg(imported: Imported, seed: int) -> str:
    """The text of pose_cfg.yaml, each chosen value with its reason."""
    c, p = imported.choice, imported.project
    frames = len(imported.conversion.images)
    animal = (f"the box around one animal's labelled parts has a median diagonal of "
              f"{c.animal_size:.0f} px" if c.animal_size else "no animal has two labelled parts")
    multi = p.multi_animal
    lines = [
        f"# posecut project imported from the DeepLabCut project {p.config_path}",
        "# by posecut import-dlc; the values chosen for its frames and animal say why.",
        "dataset_type: coco",
        f"dataset: {FILES['train']}",
        f"keypoint_format: {FILES['format']}",
        "",
        f"# Frames: {frames}, median long side {c.long_side:.0f} px; {animal}.",
        f"# global_scale {c.global_scale:g} brings the long side to {c.long_side * c.global_scale:.0f} px "
        f"on the network input",
        f"# (aim {NETWORK_LONG_SIDE:.0f} px: a step costs in proportion to the pixels), the animal to "
        + (f"{c.animal_size * c.global_scale:.0f} px" if c.animal_size else "its size")
        + f" (at least {MIN_ANIMAL_PX:.0f} px, six cells of stride 8); never above 1.",
        f"global_scale: {c.global_scale:g}",
        f"# pos_dist_thresh is in frame pixels (the radius on the input is it times the scale): "
        f"DeepLabCut's {DLC_POS_DIST_THRESH:g},",
        "# at least one stride cell on the input, at most a quarter of the animal's diagonal; "
        f"{c.pos_dist_thresh:g} px here,",
        f"# {c.pos_dist_thresh * c.global_scale:.1f} px on the input.",
        f"pos_dist_thresh: {c.pos_dist_thresh:g}",
        "mirror: " + ("true   # left/right parts are swapped by their names (bodyparts.yaml)"
                      if imported.mirror else
                      "false  # a part names a side that no other part mirrors"
                      if imported.format.flip_pairs else
                      "false  # no two parts' names pair a left with a right"),
        "",
        "# The bundled model's light backbone to start from (its 17-joint heads do not fit and "
        "are left out).",
        f"net_type: {NET_TYPE}",
        f"init_weights: {json.dumps(_init_weights(imported.out_dir))}",
        "train_batchnorm: true",
        "location_refinement: true",
        "locref_huber_loss: true",
        "locref_loss_weight: 0.05",
        ("pairwise_predict: true   # several individuals per frame: the pairwise head groups "
         "their parts" if multi else "pairwise_predict: false  # one animal per frame"),
    ]
    if multi:
        lines += ["pairwise_loss_weight: 0.1",
                  f"pairwise_stats_fn: {FILES['pairwise_stats']}   # written by the import",
                  "pairwise_model_dir: pairwise_model   # posecut fit-pairwise writes it"]
    epochs = c.multi_step[-1][1] * c.batch_size / max(1, imported.num_train)
    lines += [
        "",
        f"# About {epochs:.0f} passes over the {imported.num_train} training frames, the last "
        "fifth at a tenth of the rate.",
        "optimizer: adam",
        f"batch_size: {c.batch_size}",
        f"multi_step: {json.dumps([list(s) for s in c.multi_step])}",
        f"save_iters: {c.save_iters}",
        "display_iters: 100",
        f"seed: {seed}   # the split's too",
        f"pcutoff: {p.pcutoff:g}   # the DeepLabCut project's: parts below it are drawn hollow and "
        "scored apart",
    ]
    return "\n".join(lines) + "\n"


def _project_yaml(imported: Imported, seed: int) -> str:
    p = imported.project
    return ("# What the DeepLabCut project says that no pose_cfg.yaml key holds (posecut import-dlc).\n"
            f"source: {json.dumps(p.config_path)}\n"
            f"task: {json.dumps(p.task)}\nscorer: {json.dumps(p.scorer)}\n"
            f"pcutoff: {p.pcutoff:g}\ntraining_fraction: {p.training_fraction:g}\nseed: {seed}\n"
            f"multi_animal: {'true' if p.multi_animal else 'false'}\n"
            f"individuals: {json.dumps(list(p.individuals))}\n"
            f"unique_bodyparts: {json.dumps(list(p.unique_bodyparts))}\n")


def _missing(sources, fmt: KeypointFormat) -> list:
    """One line per table naming the bodyparts none of its frames labels."""
    lines = []
    for source in sources:
        joints = unlabelled_joints((p.joints for i in source.images for p in i.people), fmt.num_joints)
        if len(joints):
            lines.append(f"{source.path}: bodypart{'s' * (len(joints) > 1)} "
                         f"{', '.join(fmt.joints[j] for j in joints)} labelled in none of its "
                         f"{len(source.images)} frames")
    return lines


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _split(all_json: str, out_dir: str, training_fraction: float, seed: int) -> None:
    """train.json and test.json by the training fraction; all frames in train.json (and no
    test.json, an earlier one removed) when it is 1."""
    if training_fraction >= 1.0:
        shutil.copyfile(all_json, os.path.join(out_dir, FILES["train"]))
        if os.path.exists(os.path.join(out_dir, FILES["test"])):
            os.remove(os.path.join(out_dir, FILES["test"]))
        return
    write_split(all_json, out_dir, 1.0 - training_fraction, seed)


def _pairwise_stats(out_dir: str) -> None:
    """The pairwise statistics of the training frames, as `posecut pairwise-stats` writes them."""
    fmt = os.path.join(out_dir, FILES["format"])
    data = load_dataset("coco", os.path.join(out_dir, FILES["train"]), keypoint_format=fmt)
    stats = compute_pairwise_stats((r.joints for r in data.records), data.num_joints, scale=1.0)
    save_pairwise_stats(stats, os.path.join(out_dir, FILES["pairwise_stats"]))


def import_dlc(config_path: str, out_dir: str, seed: int, overwrite: bool = False) -> Imported:
    """Read the DeepLabCut project of ``config_path`` and write the posecut project into
    ``out_dir`` (see the module); ``seed`` fixes the split and training. An existing
    pose_cfg.yaml in ``out_dir`` is replaced only when ``overwrite``."""
    out_dir = os.path.abspath(os.fspath(out_dir))
    config_file = os.path.join(out_dir, FILES["config"])
    if os.path.exists(config_file) and not overwrite:
        raise PosecutError(f"{config_file}: exists; import into another folder, or replace it "
                           f"(--overwrite)")
    project = read_dlc_config(config_path)
    fmt = project_format(project)
    tables = read_project_tables(project, fmt)
    os.makedirs(out_dir, exist_ok=True)
    copied = [_copy_frames(s, project.folder, out_dir) for s in tables.sources]
    merged = SourceData(project.config_path, "deeplabcut", fmt,
                        [image for s in copied for image in s.images],
                        [k for s in copied for k in s.skipped], list(tables.notes)
                        + [f"{s.path}: {n}" for s in copied for n in s.notes])
    conversion = convert(merged, identity_mapping(fmt))
    if not conversion.images:
        raise DatasetError(f"{project.folder}: no labelled frame could be read (see the skipped "
                           f"records above)")
    _write(os.path.join(out_dir, FILES["format"]), _format_yaml(fmt))
    if load_format(os.path.join(out_dir, FILES["format"])) != fmt:
        raise PosecutError(f"{out_dir}/{FILES['format']}: does not load back as written")
    all_json = os.path.join(out_dir, FILES["all"])
    write_coco_json(conversion, all_json)
    _split(all_json, out_dir, project.training_fraction, seed)
    with open(os.path.join(out_dir, FILES["train"]), encoding="utf-8") as f:
        num_train = len(json.load(f)["images"])
    sizes = [(image.height, image.width) for image in conversion.images]
    animals = [p.joints for p in conversion.people if not p.iscrowd]
    choice = choose_training_values(sizes, np.stack(animals) if animals else np.zeros((0, fmt.num_joints, 3)),
                                    num_train)
    _, unpaired = side_pairs(fmt.joints)
    imported = Imported(project, fmt, conversion, choice, out_dir, num_train,
                        len(conversion.images) - num_train, bool(fmt.flip_pairs) and not unpaired,
                        _missing(copied, fmt), list(conversion.notes))
    if unpaired:
        imported.notes.append(f"{', '.join(unpaired)}: name a side but no part of the other side; "
                              f"mirroring is off")
    if project.multi_animal:
        _pairwise_stats(out_dir)
    _write(os.path.join(out_dir, FILES["project"]), _project_yaml(imported, seed))
    _write(config_file, _pose_cfg(imported, seed))
    return imported


def summary(imported: Imported) -> str:
    """What the import read, chose and wrote, and the commands that come next."""
    p, c, fmt = imported.project, imported.choice, imported.format
    config = imported.path("config")
    people = [x for x in imported.conversion.people if not x.iscrowd]
    kind = (f"multi-animal, individuals {', '.join(p.individuals)}" if p.multi_animal
            else "one animal per frame")
    pairs = ", ".join(f"{fmt.joints[a]}/{fmt.joints[b]}" for a, b in fmt.flip_pairs) or "none"
    counts = imported.conversion.joint_counts().sum(axis=1)
    lines = [
        f"import-dlc: {p.config_path} ({kind})",
        f"  parts      {', '.join(fmt.joints)} (left/right: {pairs}; skeleton edges: {len(fmt.skeleton)})",
        f"  labelled   " + ", ".join(f"{name} {n}" for name, n in zip(fmt.joints, counts)),
        f"  frames     {len(imported.conversion.images)} ({imported.num_train} train, "
        f"{imported.num_test} test, TrainingFraction {p.training_fraction:g}), "
        f"{len(people)} animals",
        f"  chosen     global_scale {c.global_scale:g}, pos_dist_thresh {c.pos_dist_thresh:g}, "
        f"batch_size {c.batch_size}, {c.multi_step[-1][1]} steps (reasons in pose_cfg.yaml)",
        f"  pcutoff    {p.pcutoff:g}",
        f"  written    {imported.out_dir}: {', '.join(FILES[k] for k in ('config', 'format', 'train'))}"
        + (f", {FILES['test']}" if imported.num_test else "")
        + f", {FILES['all']}, {FILES['project']}, {FILES['frames']}/"
        + (f", {FILES['pairwise_stats']}" if p.multi_animal else ""),
    ]
    lines += [f"  note: {note}" for note in imported.notes]
    held_out = imported.path("test" if imported.num_test else "train")
    lines += ["", "next:", f"  posecut train {config}"]
    if p.multi_animal:
        lines += [f"  posecut fit-pairwise {config}",
                  f"  posecut evaluate {config} --dataset {held_out}"]
    else:
        datasets = imported.path("train") + (f" {held_out}" if imported.num_test else "")
        lines.append(f"  posecut evaluate {config} --dataset {datasets}")
    return "\n".join(lines)
