"""The source layouts the dataset generator reads (``--from``), each with its reader and format."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Callable, Optional, Union

from dataset.coco import infer_format
from dataset.jsonfile import read_json
from dataset.keypoint_formats import (DEFAULT_FORMAT, KeypointFormat, get_format, is_format_file, load_format,
                                      registered_formats)
from dataset.sources.aic import read_aic
from dataset.sources.base import SourceData
from dataset.sources.coco_style import read_coco_style, read_cocowholebody
from dataset.sources.deeplabcut import read_deeplabcut_csv
from dataset.sources.mpii import read_deepercut_mat, read_mpii_json
from dataset.sources.ochuman_native import read_ochuman_native
from dataset.sources.posetrack import read_posetrack_source
from lib.errors import DatasetError

__all__ = ["SOURCES", "SourceKind", "keypoint_format", "read_source"]

Reader = Callable[..., SourceData]
"""reader(path, fmt, images, *, allow_absolute_paths) -> SourceData"""


@dataclass(frozen=True)
class SourceKind:
    """One layout: its reader, the keypoint format it implies (None: the user declares one) and
    whether that format is fixed by the layout (``--format`` may then only confirm it)."""

    reader: Reader
    default_format: Optional[str]
    fixed: bool
    description: str


SOURCES = {
    "coco": SourceKind(read_coco_style, None, False,
                       "COCO-style keypoint JSON; format: --format, else the registered one whose joint names "
                       f"the person category lists, else the only one with as many joints, else {DEFAULT_FORMAT}"),
    "crowdpose": SourceKind(read_coco_style, "crowdpose14", False, "CrowdPose (COCO-style JSON, 14 joints)"),
    "ochuman": SourceKind(read_coco_style, "ochuman", False, "OCHuman's COCO-style JSON"),
    "ochuman-native": SourceKind(read_ochuman_native, "ochuman", True, "OCHuman's own ochuman.json"),
    "halpe": SourceKind(read_coco_style, "halpe136", False, "Halpe full body (COCO-style JSON, 136 joints)"),
    "cocowholebody": SourceKind(read_cocowholebody, "cocowholebody133", True,
                                "COCO-WholeBody (body, foot, face and hand lists)"),
    "aic": SourceKind(read_aic, "aic14", True, "AI Challenger's own keypoint_annotations JSON"),
    "mpii": SourceKind(read_mpii_json, "mpii16", True, "MPII person records in JSON (image, joints, joints_vis)"),
    "deepercut-mat": SourceKind(read_deepercut_mat, "mpii14", False,
                                "DeeperCut's dataset.mat; format: --format, else mpii14 (DeeperCut's MPII)"),
    "deeplabcut": SourceKind(read_deeplabcut_csv, None, False,
                             "DeepLabCut labeled-data CSV; --format names the keypoint format (required)"),
    "posetrack": SourceKind(read_posetrack_source, "posetrack18", False,
                            "PoseTrack 2017 (annolist) or 2018 (COCO-like, track_id) video annotations, labelled "
                            "frames only; format: the file's (posetrack15 for 2017, the joints the 2018 category "
                            "names)"),
}


def _coco_format(data) -> Optional[str]:
    """The registered format a COCO-style file is in: the one whose joint names its person category
    lists, else the only one (coco17 first) with as many joints as its first annotation has."""
    if not isinstance(data, dict):
        return None
    name, _ = infer_format(data.get("categories"))
    if name is not None:
        return name
    anns = data.get("annotations")
    first = next((a["keypoints"] for a in anns if isinstance(a, dict) and isinstance(a.get("keypoints"), list)
                  and a["keypoints"]), None) if isinstance(anns, list) else None
    if first is None or len(first) % 3:
        return None
    matches = [n for n in registered_formats() if get_format(n).num_joints == len(first) // 3]
    if DEFAULT_FORMAT in matches:
        return DEFAULT_FORMAT
    return matches[0] if len(matches) == 1 else None


def keypoint_format(value: Union[str, KeypointFormat]) -> KeypointFormat:
    """A registered format by name, or a user's format from a YAML file path."""
    if isinstance(value, KeypointFormat):
        return value
    if os.path.isfile(value) and not is_format_file(value):
        return load_format(value)
    return get_format(value)


def read_source(kind: str, path, fmt: Union[str, KeypointFormat, None] = None,
                images: Optional[str] = None, *, allow_absolute_paths: bool = False) -> SourceData:
    """Read the annotation file ``path`` of layout ``kind`` (a key of SOURCES).

    ``fmt`` declares the keypoint format where the layout allows one; ``images`` is the image
    folder (default: beside the file and its ``images/`` folder). An absolute image name
    outside the folders searched is a skipped record unless ``allow_absolute_paths``.
    """
    if kind not in SOURCES:
        raise DatasetError(f"--from: unknown source layout {kind!r}; expected one of {', '.join(SOURCES)}")
    source = SOURCES[kind]
    path = os.path.abspath(os.fspath(path))
    if not os.path.isfile(path):
        raise DatasetError(f"{path}: no such annotation file")
    declared = keypoint_format(fmt) if fmt is not None else None
    if source.fixed and declared is not None and declared.joints != get_format(source.default_format).joints:
        raise DatasetError(f"--format: the {kind} layout is always in keypoint format {source.default_format!r}, "
                           f"got {declared.name!r}; convert to another format with --to")
    if declared is None and source.default_format is None:
        if kind == "coco":
            data = read_json(path)
            fmt = get_format(_coco_format(data) or DEFAULT_FORMAT)
            return replace(read_coco_style(path, fmt, images, data=data, allow_absolute_paths=allow_absolute_paths),
                           layout=kind)
        raise DatasetError(f"--format: the {kind} layout needs the keypoint format its body parts belong to: "
                           "a registered name or a YAML file (see dataset/keypoint_formats.py)")
    return replace(source.reader(path, declared or get_format(source.default_format), images,
                                 allow_absolute_paths=allow_absolute_paths), layout=kind)
