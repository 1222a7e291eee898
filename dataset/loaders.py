"""Every reader of annotation files behind one registry of layouts: ``load_dataset(kind, path, ...)``
gives a Dataset for training and evaluation, ``read_source(kind, path, ...)`` what
``posecut convert-dataset`` converts.

Each layout is read by one module (dataset.coco, dataset.mpii, dataset.posetrack, ...); the
registry says which reader, which keypoint format the layout implies, and where training loads
it otherwise than by reading and mapping. Kinds are DeeperCut's ``dataset_type`` values:
``default`` (a ``dataset.mat``), ``coco`` (a COCO keypoint JSON or root folder, any registered
keypoint format) and ``mpii`` (MPII JSON records; a ``.mat`` path is read as DeeperCut's MPII
``dataset.mat`` in the ``mpii14`` layout, which is what ``dataset_type: mpii`` meant in
DeeperCut); and every other layout the converter reads (``aic``, ``crowdpose``, ``deeplabcut``,
...), loaded through the same reader and joint mapping as ``posecut convert-dataset``: read, map
to the config's keypoint format (or keep the file's), records. ``load_dataset_from_config`` is
the thin layer that takes the values from a loaded config.
"""
from __future__ import annotations

import dataclasses
import difflib
import os
from dataclasses import dataclass
from typing import Callable, NamedTuple, Optional, Union

from dataset.aic import read_aic
from dataset.coco import load_coco, read_coco_style
from dataset.cocowholebody import read_cocowholebody
from dataset.conversion import convert, image_records
from dataset.deepercut_mat import MPII_FORMAT, load_deepercut_mat, read_deepercut_mat
from dataset.deeplabcut import read_deeplabcut_csv
from dataset.joint_mappings import get_mapping, identity_mapping
from dataset.keypoint_formats import DEFAULT_FORMAT, KeypointFormat, get_format, is_format_file, load_format
from dataset.mpii import FORMAT as MPII_JSON_FORMAT, load_mpii_json, read_mpii_json
from dataset.ochuman_native import read_ochuman_native
from dataset.posetrack import FORMAT_2017, FORMAT_2018, read_posetrack_source
from dataset.records import Dataset
from dataset.source_data import SourceData
from lib.errors import ConfigError, DatasetError

__all__ = ["Layout", "LoadOptions", "keypoint_format", "load_dataset", "load_dataset_from_config", "read_source",
           "register_loader", "registered_loaders", "source_layouts"]


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


Reader = Callable[..., SourceData]
"""reader(path, fmt, images, *, allow_absolute_paths) -> SourceData"""
Loader = Callable[[str, LoadOptions], Dataset]


@dataclass(frozen=True)
class Layout:
    """One kind of annotation file: the converter's ``reader`` (None: not a ``--from`` layout),
    the keypoint format the layout implies (None: the user declares one, or the file says),
    whether the layout fixes that format (``--format`` may then only confirm it), a line for the
    converter's help, and the ``loader`` training uses where it does not read and map (None)."""

    reader: Optional[Reader]
    default_format: Optional[str]
    fixed: bool
    description: str
    loader: Optional[Loader] = None


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
        if fmt is None and o.num_joints in (None, get_format(MPII_FORMAT).num_joints):
            fmt = MPII_FORMAT
        return load_deepercut_mat(path, keypoint_format=fmt, num_joints=o.num_joints,
                                  allow_absolute_paths=o.allow_absolute_paths)
    return load_mpii_json(path, keypoint_format=o.keypoint_format, num_joints=o.num_joints,
                          allow_absolute_paths=o.allow_absolute_paths)


_LAYOUTS: dict[str, Layout] = {
    "default": Layout(None, None, False, "DeeperCut's dataset.mat (dataset_type default)", _default),
    "coco": Layout(read_coco_style, None, False,
                   "COCO-style keypoint JSON; format: --format, else the registered one whose joint names the "
                   f"person category lists, else the only one with as many joints, else {DEFAULT_FORMAT}", _coco),
    "crowdpose": Layout(read_coco_style, "crowdpose14", False, "CrowdPose (COCO-style JSON, 14 joints)"),
    "ochuman": Layout(read_coco_style, "ochuman", False, "OCHuman's COCO-style JSON"),
    "ochuman-native": Layout(read_ochuman_native, "ochuman", True, "OCHuman's own ochuman.json"),
    "halpe": Layout(read_coco_style, "halpe136", False, "Halpe full body (COCO-style JSON, 136 joints)"),
    "cocowholebody": Layout(read_cocowholebody, "cocowholebody133", True,
                            "COCO-WholeBody (body, foot, face and hand lists)"),
    "aic": Layout(read_aic, "aic14", True, "AI Challenger's own keypoint_annotations JSON"),
    "mpii": Layout(read_mpii_json, MPII_JSON_FORMAT, True, "MPII person records in JSON (image, joints, joints_vis)", _mpii),
    "deepercut-mat": Layout(read_deepercut_mat, MPII_FORMAT, False,
                            f"DeeperCut's dataset.mat; format: --format, else {MPII_FORMAT} (DeeperCut's MPII)"),
    "deeplabcut": Layout(read_deeplabcut_csv, None, False,
                         "DeepLabCut labeled-data CSV; --format names the keypoint format (required)"),
    "posetrack": Layout(read_posetrack_source, FORMAT_2018, False,
                        "PoseTrack 2017 (annolist) or 2018 (COCO-like, track_id) video annotations, labelled "
                        f"frames only; format: the file's ({FORMAT_2017} for 2017, the joints the 2018 category "
                        "names)"),
}


def source_layouts() -> dict[str, Layout]:
    """The layouts the converter reads (``--from``), by name, in the order its help lists them."""
    return {kind: layout for kind, layout in _LAYOUTS.items() if layout.reader is not None}


def keypoint_format(value: Union[str, KeypointFormat]) -> KeypointFormat:
    """A registered format by name, or a user's format from a YAML file path."""
    if isinstance(value, KeypointFormat):
        return value
    if os.path.isfile(value) and not is_format_file(value):
        return load_format(value)
    return get_format(value)


def read_source(kind: str, path, fmt: Union[str, KeypointFormat, None] = None,
                images: Optional[str] = None, *, allow_absolute_paths: bool = False) -> SourceData:
    """Read the annotation file ``path`` of layout ``kind`` (a key of :func:`source_layouts`).

    ``fmt`` declares the keypoint format where the layout allows one; ``images`` is the image
    folder (default: beside the file and its ``images/`` folder). An absolute image name
    outside the folders searched is a skipped record unless ``allow_absolute_paths``.
    """
    sources = source_layouts()
    if kind not in sources:
        raise DatasetError(f"--from: unknown source layout {kind!r}; expected one of {', '.join(sources)}")
    layout = sources[kind]
    path = os.path.abspath(os.fspath(path))
    if not os.path.isfile(path):
        raise DatasetError(f"{path}: no such annotation file")
    declared = keypoint_format(fmt) if fmt is not None else None
    if layout.fixed and declared is not None and declared.joints != get_format(layout.default_format).joints:
        raise DatasetError(f"--format: the {kind} layout is always in keypoint format {layout.default_format!r}, "
                           f"got {declared.name!r}; convert to another format with --to")
    if declared is None and layout.default_format is not None:
        declared = get_format(layout.default_format)
    return dataclasses.replace(layout.reader(path, declared, images, allow_absolute_paths=allow_absolute_paths),
                               layout=kind)


def _read_and_map(kind: str) -> Loader:
    """The loader of the conversion layout ``kind``: its reader, then the joint mapping to the
    keypoint format asked for (the file's own when none is), as ImageRecords."""

    def load(path: str, o: LoadOptions) -> Dataset:
        declared = o.keypoint_format if _LAYOUTS[kind].default_format is None else None
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


def register_loader(kind: str, loader: Loader, replace: bool = False) -> None:
    """Make ``loader(path, options) -> Dataset`` available as ``kind``; a taken kind needs ``replace``.
    The converter keeps reading a layout it reads with that layout's reader."""
    if not isinstance(kind, str) or not kind:
        raise DatasetError(f"register_loader: kind: expected a non-empty string, got {kind!r}")
    if kind in _LAYOUTS and _LAYOUTS[kind].loader is not loader and not replace:
        raise DatasetError(f"register_loader: a loader is already registered as {kind!r}; pass replace=True")
    known = _LAYOUTS.get(kind, Layout(None, None, False, "a registered loader"))
    _LAYOUTS[kind] = dataclasses.replace(known, loader=loader)


def registered_loaders() -> list[str]:
    """The known data-set kinds, sorted."""
    return sorted(_LAYOUTS)


def load_dataset(kind: str, path, *, num_joints: Optional[int] = None, keypoint_format: Optional[str] = None,
                 phase: str = "train2014", ann: str = "person_keypoints",
                 only_images_with_people: bool = True, allow_absolute_paths: bool = False) -> Dataset:
    """Load the data set at ``path`` with the loader registered as ``kind``.

    ``phase`` and ``ann`` pick a COCO root's ``annotations/{ann}_{phase}.json`` and
    ``images/{phase}/``; ``only_images_with_people`` drops COCO images without people. An image
    named by an absolute path outside the folders the loader searches is a skipped record
    unless ``allow_absolute_paths``; one whose name climbs out of its folder (``..``) always is.
    """
    if kind not in _LAYOUTS:
        near = difflib.get_close_matches(str(kind), _LAYOUTS, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise DatasetError(f"dataset_type: unknown data-set kind {kind!r}; expected one of "
                           f"{', '.join(registered_loaders())}{hint}")
    options = LoadOptions(num_joints, keypoint_format, phase, ann, only_images_with_people, allow_absolute_paths)
    loader = _LAYOUTS[kind].loader or _read_and_map(kind)
    return loader(os.fspath(path), options)


def load_dataset_from_config(cfg) -> Dataset:
    """The data set a loaded PoseConfig names (dataset, dataset_type, dataset_phase, dataset_ann,
    allow_absolute_image_paths, ...)."""
    if not cfg.dataset:
        raise ConfigError(f"{cfg.source}: dataset: expected the path of a data set, got an empty value")
    return load_dataset(cfg.dataset_type, cfg.resolve_path(cfg.dataset), num_joints=cfg.num_joints,
                        keypoint_format=cfg.keypoint_format, phase=cfg.dataset_phase, ann=cfg.dataset_ann,
                        only_images_with_people=cfg.coco_only_images_with_people,
                        allow_absolute_paths=cfg.allow_absolute_image_paths)
