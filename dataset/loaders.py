"""Every data-set loader behind one call: ``load_dataset(kind, path, ...)`` -> Dataset.

Kinds are DeeperCut's ``dataset_type`` values: ``default`` (a ``dataset.mat``), ``coco`` (a COCO
keypoint JSON or root folder, any registered keypoint format) and ``mpii`` (MPII JSON records;
a ``.mat`` path is read as DeeperCut's MPII ``dataset.mat`` in the ``mpii14`` layout, which is
what ``dataset_type: mpii`` meant in DeeperCut); and every other layout the dataset generator
reads (``dataset.sources``: ``aic``, ``crowdpose``, ``deeplabcut``, ...), through the same reader
and joint mapping as ``posecut convert-dataset``: read, map to the config's keypoint format (or
keep the file's), records. ``load_dataset_from_config`` is the thin layer that takes the values
from a loaded config.
"""
from __future__ import annotations

import difflib
import os
from typing import Callable, NamedTuple, Optional

from dataset.coco import load_coco
from dataset.conversion import convert, image_records
from dataset.deepercut_mat import load_deepercut_mat
from dataset.joint_mappings import get_mapping, identity_mapping
from dataset.keypoint_formats import get_format
from dataset.mpii import load_mpii_json
from dataset.records import Dataset
from dataset.sources.kinds import SOURCES, read_source
from lib.errors import ConfigError, DatasetError

__all__ = ["LoadOptions", "load_dataset", "load_dataset_from_config", "register_loader", "registered_loaders"]


class LoadOptions(NamedTuple):
    """What a loader may use besides the path; each loader reads only the values it needs."""

    num_joints: Optional[int] = None
    keypoint_format: Optional[str] = None
    phase: str = "train2014"
    ann: str = "person_keypoints"
    only_images_with_people: bool = True
    allow_absolute_paths: bool = False
    """Read images named by absolute paths outside the folders a loader searches (the config's
    allow_absolute_image_paths); else such records are skipped with the reason."""


def _default(path: str, o: LoadOptions) -> Dataset:
    return load_deepercut_mat(path, keypoint_format=o.keypoint_format, num_joints=o.num_joints,
                              allow_absolute_paths=o.allow_absolute_paths)


def _coco(path: str, o: LoadOptions) -> Dataset:
    return load_coco(path, keypoint_format=o.keypoint_format, num_joints=o.num_joints, phase=o.phase,
                     ann=o.ann, only_images_with_people=o.only_images_with_people,
                     allow_absolute_paths=o.allow_absolute_paths)


def _mpii(path: str, o: LoadOptions) -> Dataset:
    if path.lower().endswith(".mat"):
        fmt = o.keypoint_format
        if fmt is None and o.num_joints in (None, 14):
            fmt = "mpii14"  # DeeperCut's MPII class fixed these 14 joints
        return load_deepercut_mat(path, keypoint_format=fmt, num_joints=o.num_joints,
                                  allow_absolute_paths=o.allow_absolute_paths)
    return load_mpii_json(path, keypoint_format=o.keypoint_format, num_joints=o.num_joints,
                          allow_absolute_paths=o.allow_absolute_paths)


def _converted(kind: str) -> Callable[[str, LoadOptions], Dataset]:
    """The loader of the conversion layout ``kind``: its reader, then the joint mapping to the
    keypoint format asked for (the file's own when none is), as ImageRecords."""

    def load(path: str, o: LoadOptions) -> Dataset:
        declared = o.keypoint_format if SOURCES[kind].default_format is None else None
        source = read_source(kind, path, declared, allow_absolute_paths=o.allow_absolute_paths)
        target = get_format(o.keypoint_format) if o.keypoint_format else source.format
        if o.num_joints is not None and o.num_joints != target.num_joints:
            raise DatasetError(f"{source.path}: num_joints: expected {target.num_joints}, the joint count "
                               f"of keypoint format {target.name!r}, got {o.num_joints}")
        mapping = (identity_mapping(source.format) if target.joints == source.format.joints
                   else get_mapping(source.format, target))
        conversion = convert(source, mapping)
        skipped = tuple(f"{s.record}: {s.reason}" for s in conversion.skipped)
        return Dataset(tuple(image_records(conversion)), target.name, source.path,
                       target.num_joints, skipped)

    return load


_LOADERS: dict[str, Callable[[str, LoadOptions], Dataset]] = {
    "default": _default, "coco": _coco, "mpii": _mpii,
    **{kind: _converted(kind) for kind in SOURCES if kind not in ("coco", "mpii")}}


def register_loader(kind: str, loader: Callable[[str, LoadOptions], Dataset], replace: bool = False) -> None:
    """Make ``loader(path, options) -> Dataset`` available as ``kind``; a taken kind needs ``replace``."""
    if not isinstance(kind, str) or not kind:
        raise DatasetError(f"register_loader: kind: expected a non-empty string, got {kind!r}")
    if kind in _LOADERS and _LOADERS[kind] is not loader and not replace:
        raise DatasetError(f"register_loader: a loader is already registered as {kind!r}; pass replace=True")
    _LOADERS[kind] = loader


def registered_loaders() -> list[str]:
    """The known data-set kinds, sorted."""
    return sorted(_LOADERS)


def load_dataset(kind: str, path, *, num_joints: Optional[int] = None, keypoint_format: Optional[str] = None,
                 phase: str = "train2014", ann: str = "person_keypoints",
                 only_images_with_people: bool = True, allow_absolute_paths: bool = False) -> Dataset:
    """Load the data set at ``path`` with the loader registered as ``kind``.

    ``phase`` and ``ann`` pick a COCO root's ``annotations/{ann}_{phase}.json`` and
    ``images/{phase}/``; ``only_images_with_people`` drops COCO images without people. An image
    named by an absolute path outside the folders the loader searches is a skipped record
    unless ``allow_absolute_paths``; one whose name climbs out of its folder (``..``) always is.
    """
    if kind not in _LOADERS:
        near = difflib.get_close_matches(str(kind), _LOADERS, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise DatasetError(f"dataset_type: unknown data-set kind {kind!r}; expected one of "
                           f"{', '.join(registered_loaders())}{hint}")
    options = LoadOptions(num_joints, keypoint_format, phase, ann, only_images_with_people, allow_absolute_paths)
    return _LOADERS[kind](os.fspath(path), options)


def load_dataset_from_config(cfg) -> Dataset:
    """The data set a loaded PoseConfig names (dataset, dataset_type, dataset_phase, dataset_ann,
    allow_absolute_image_paths, ...)."""
    if not cfg.dataset:
        raise ConfigError(f"{cfg.source}: dataset: expected the path of a data set, got an empty value")
    return load_dataset(cfg.dataset_type, cfg.resolve_path(cfg.dataset), num_joints=cfg.num_joints,
                        keypoint_format=cfg.keypoint_format, phase=cfg.dataset_phase, ann=cfg.dataset_ann,
                        only_images_with_people=cfg.coco_only_images_with_people,
                        allow_absolute_paths=cfg.allow_absolute_image_paths)
