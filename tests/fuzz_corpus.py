"""Malformed inputs, made here (seeded, tiny), one case per class of bad input
(unreadable, truncated, mistyped, out of range, inconsistent, hostile).

Each case writes its input into a folder of its own and feeds it to the command line (in
process) or the Python API. Its expected outcome is one of:

* ``error``: a project error (lib.errors.PosecutError) or the command's exit 2 with one
  ``error:`` line, whose text names the file or argument and the field (``says``);
* ``skipped``: a run over several records finishes, lists the bad one as skipped with its
  reason (``says``), and writes the rest;
* ``read right``: the right result (the CMYK image's RGB values, a first page, ...).

``observe`` runs a case under a time budget and tells which outcome it got; anything else (a
bare traceback, a hang, a wrong result) is ``FAILED`` with what went wrong. tests/project/test_fuzz.py
runs every case; bench/fuzz_table.py tabulates them. SIGTERM during training through the
command line (a subprocess) is tested in tests/posecut/test_cli.py (test_sigterm_saves_and_exits_like_ctrl_c);
the training case here sends it in process.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import io
import json
import os
import shutil
import signal
import struct
import tempfile
import time
import traceback
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from lib.errors import PosecutError

__all__ = ["AREAS", "CASES", "ERROR", "FAILED", "OUTCOMES", "READ_RIGHT", "SKIPPED", "Case",
           "Observed", "observe"]

ERROR, SKIPPED, READ_RIGHT, FAILED = "error", "skipped", "read right", "FAILED"
OUTCOMES = (ERROR, SKIPPED, READ_RIGHT)
AREAS = ("config", "annotations", "paths", "images", "checkpoints", "api", "training")


@dataclass(frozen=True)
class Case:
    """One malformed input: its area, a short name, the outcome it must get, how to make and
    feed it (``run(folder)``), what the error or skip reason must name (``{dir}`` is the case's
    folder) and its time budget in seconds."""

    area: str
    name: str
    expected: str
    run: Callable[[Path], tuple]
    says: tuple = ()
    budget: int = 20

    @property
    def id(self) -> str:
        """area/name, unique."""
        return f"{self.area}/{self.name}"


class Observed(NamedTuple):
    """What a case got: one of OUTCOMES or FAILED, and the message, skip reason or failure."""

    outcome: str
    detail: str


class Refused(PosecutError):
    """The command ended with exit code 2; the message is its one ``error:`` line."""


class _Hung(BaseException):
    """The case's time budget ran out."""


CASES: list[Case] = []


def _case(area: str, name: str, expected: str, *says: str, budget: int = 20):
    """Register the decorated ``run(folder) -> (outcome, text)`` as a case."""
    def register(run):
        CASES.append(Case(area, name, expected, run, says, budget))
        return run

    return register


def observe(case: Case, folder) -> Observed:
    """Run ``case`` in ``folder`` (made if absent) within its budget; the outcome it got."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def hung(signum, frame):
        raise _Hung()

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(case.budget)
    try:
        outcome, text = case.run(folder)
    except PosecutError as err:
        outcome, text = ERROR, str(err)
    except _Hung:
        return Observed(FAILED, f"hung: still running after {case.budget} s")
    except AssertionError as err:
        return Observed(FAILED, f"wrong result: {err}")
    except Exception as err:  # what the suite is for: any other exception is a bare traceback
        where = traceback.extract_tb(err.__traceback__)[-1]
        return Observed(FAILED, f"bare {type(err).__name__}: {str(err)[:300]} "
                                f"({os.path.relpath(where.filename)}:{where.lineno})")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    says = [s.format(dir=folder) for s in case.says]
    missing = [s for s in says if s not in text]
    if missing:
        return Observed(FAILED, f"{outcome}, but the text does not name {missing}: {text[:400]}")
    return Observed(outcome, text.splitlines()[0] if text else "")


# ---------------------------------------------------------------------------------------------
# Helpers: files, the command line.


def _png_bytes(array) -> bytes:
    import imageio.v3 as iio

    buffer = io.BytesIO()
    iio.imwrite(buffer, np.asarray(array), extension=".png")
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG of 4 x 4 pixels whose header (IHDR, CRC fixed) claims ``width`` x ``height``."""
    data = bytearray(_png_bytes(np.zeros((4, 4, 3), np.uint8)))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    return bytes(data)


def _image(path, height=48, width=64, value=90) -> str:
    """A small RGB PNG (or the format of the suffix) at ``path``."""
    import imageio.v3 as iio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(path, np.full((height, width, 3), value, np.uint8))
    return str(path)


def _write(path, content) -> Path:
    """``content`` (bytes, text, or JSON-able data) written to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


def _command(*argv) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``posecut ARGV`` run in this process; exit 2 is Refused
    with its one ``error:`` line."""
    from posecut.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    if code == 2:
        lines = [line for line in err.getvalue().splitlines() if line.startswith("error: ")]
        assert len(lines) == 1, f"exit 2 with {len(lines)} 'error:' lines: {err.getvalue()[-400:]}"
        raise Refused(lines[0])
    return code, out.getvalue(), err.getvalue()


def _convert(folder: Path, layout: str, annotations: Path, *extra) -> tuple[dict, str]:
    """Run convert-dataset; (the COCO JSON written, the summary's skipped-records section)."""
    out = folder / "out.json"
    code, summary, _ = _command("convert-dataset", annotations, "--from", layout, "--output",
                                out, *extra)
    assert code in (0, 1), f"convert-dataset exit {code}"
    skipped = summary[summary.index("skipped records:"):]
    return json.loads(out.read_text()), skipped


def _kept_and_skipped(folder: Path, layout: str, annotations: Path, kept: list, *extra) -> tuple:
    """(SKIPPED, the skip listing) when the conversion wrote exactly the images ``kept`` and
    skipped at least one record."""
    doc, skipped = _convert(folder, layout, annotations, *extra)
    names = [os.path.basename(image["file_name"]) for image in doc["images"]]
    assert names == kept, f"expected the images {kept} written, got {names}; {skipped}"
    assert not skipped.startswith("skipped records: none"), "nothing listed as skipped"
    return SKIPPED, skipped


# ---------------------------------------------------------------------------------------------
# Configurations (pose_cfg.yaml): load_config, and the commands that read one.


def _aliases(prefix: str) -> list:
    """YAML lines of nine levels of nine aliases, ``<prefix>8`` holding 9**9 "lol"s."""
    lines = [f'{prefix}0: &{prefix}0 [' + ", ".join(['"lol"'] * 9) + "]"]
    for level in range(1, 9):
        lines.append(f"{prefix}{level}: &{prefix}{level} [" + ", ".join([f"*{prefix}{level - 1}"] * 9) + "]")
    return lines


def _laughs(key: str) -> str:
    """A 'billion laughs' YAML of 600 bytes: ``key`` holds 9**9 "lol"s."""
    return "\n".join(_aliases("a") + [f"{key}: *a8", ""])


def _laughs_twice(key: str) -> str:
    """``key`` given twice, with two separately built, equal 'billion laughs' values: telling
    whether the key is merely repeated must not expand them (seconds to compare, else)."""
    return "\n".join(_aliases("a") + _aliases("b") + [f"{key}: *a8", f"{key}: *b8", ""])


_CONFIGS = [
    ("deep-nesting", "net_type: " + "[" * 50000 + "]" * 50000 + "\n", ("nested too deeply",)),
    ("laughs-known-key", _laughs("net_type"), ("net_type: expected str",)),
    ("laughs-unknown-key", _laughs("lol"), ("lol: unknown key",)),
    ("laughs-key-twice", _laughs_twice("stride"), ("stride: given twice",)),
    ("recursive-alias", "net_type: &a [*a]\n", ("net_type: expected str",)),
    ("global-scale-inf", "global_scale: .inf\n", ("global_scale", "finite")),
    ("stride-inf", "stride: .inf\n", ("stride", "finite")),
    ("stride-nan", "stride: .nan\n", ("stride", "finite")),
    ("locref-stdev-inf", "locref_stdev: .inf\n", ("locref_stdev", "finite")),
    ("nms-radius-inf", "nms_radius: .inf\n", ("nms_radius", "finite")),
    ("det-min-score-nan", "det_min_score: .nan\n", ("det_min_score",)),
    ("mean-pixel-inf", "mean_pixel: [1.0, .inf, 2.0]\n", ("mean_pixel",)),
    ("multi-step-nan", "multi_step: [[.nan, 100]]\n", ("multi_step",)),
    ("format-disagrees", "keypoint_format: coco17\nnum_joints: 14\n", ("num_joints", "coco17")),
    ("duplicate-key", "net_type: resnet_50\nstride: 8\nnet_type: resnet_101\n",
     ("net_type: given twice",)),
    ("non-utf8", b"net_type: r\xe9snet_50\n", ("not valid YAML",)),
    ("oversized", ("# " + "x" * 78 + "\n") * 15000, ("bytes, above",)),
    ("not-a-mapping", "- stride\n- 8\n", ("expected a mapping",)),
    ("wrong-type", "batch_size: four\n", ("batch_size", "expected int")),
    ("unhashable-key", "? [a, b]\n: 1\n", ("unhashable key",)),
    ("negative-size", "batch_size: -3\n", ("batch_size", ">= 1")),
]


def _config_case(name: str, text, says: tuple) -> None:
    @_case("config", name, ERROR, "{dir}/pose_cfg.yaml", *says)
    def run(folder):
        from posecut.config import load_config

        load_config(_write(folder / "pose_cfg.yaml", text))
        return READ_RIGHT, "loaded"


for _name, _text, _says in _CONFIGS:
    _config_case(_name, _text, _says)


@_case("config", "a-folder", ERROR, "{dir}", "folder")
def _config_folder(folder):
    from posecut.config import load_config

    load_config(folder)
    return READ_RIGHT, "loaded"


@_case("config", "cli-train-inf-stride", ERROR, "{dir}/pose_cfg.yaml", "stride")
def _cli_train(folder):
    """`posecut train` stops at the config, before TensorFlow, with one line."""
    _command("train", _write(folder / "pose_cfg.yaml", "stride: .inf\nnum_joints: 2\n"), "--no-progress")
    return READ_RIGHT, "trained"


@_case("config", "cli-predict-format-disagrees", ERROR, "{dir}/pose_cfg.yaml", "num_joints")
def _cli_predict(folder):
    config = _write(folder / "pose_cfg.yaml", "keypoint_format: coco17\nnum_joints: 14\n")
    _command("predict", _image(folder / "a.png"), "--config", config, "--output", folder / "out")
    return READ_RIGHT, "predicted"


# ---------------------------------------------------------------------------------------------
# Annotation files of every layout convert-dataset reads; a bad record among good ones.


def _coco_doc(folder: Path, joints: int = 17, bad: dict = None, bad_image: dict = None) -> dict:
    """Two images, good.png and bad.png (both written), one person each; ``bad`` and
    ``bad_image`` update the second annotation and image entry."""
    _image(folder / "good.png")
    _image(folder / "bad.png")
    keypoints = [10, 20, 2] * joints
    images = [{"id": 1, "file_name": "good.png", "height": 48, "width": 64},
              {"id": 2, "file_name": "bad.png", "height": 48, "width": 64, **(bad_image or {})}]
    anns = [{"id": 1, "image_id": 1, "keypoints": keypoints, "bbox": [1, 2, 30, 40]},
            {"id": 2, "image_id": 2, "keypoints": list(keypoints), "bbox": [1, 2, 30, 40],
             **(bad or {})}]
    return {"images": images, "annotations": anns}


_GONE = object()
"""A field value meaning: leave the field out."""

_COCO_RECORDS = [
    # (layout, joints, name, annotation update, image update, says); the bad image is skipped
    ("coco", 17, "keypoints-wrong-type", {"keypoints": "10 20 2"}, {}, ("annotation id 2", "keypoints")),
    ("coco", 17, "keypoints-nan", {"keypoints": [10, float("nan"), 2] + [0] * 48}, {},
     ("annotation id 2", "keypoints[1]", "finite")),
    ("coco", 17, "keypoints-missing-values", {"keypoints": [10, 20, 2] * 16}, {},
     ("annotation id 2", "keypoints", "expected 51 numbers")),
    ("coco", 17, "bbox-negative-size", {"bbox": [5, 5, -30, 40]}, {}, ("annotation id 2", "bbox")),
    ("coco", 17, "bbox-infinite", {"bbox": [5, 5, float("inf"), 40]}, {}, ("annotation id 2", "bbox[2]")),
    ("coco", 17, "iscrowd-2", {"iscrowd": 2}, {}, ("annotation id 2", "iscrowd")),
    ("coco", 17, "file-name-missing", {}, {"file_name": _GONE}, ("images[1]", "file_name: missing")),
    ("coco", 17, "file-name-number", {}, {"file_name": 12}, ("images[1]", "file_name")),
    ("coco", 17, "height-negative", {}, {"height": -48}, ("image id 2", "height")),
    ("coco", 17, "width-nan", {}, {"width": float("nan")}, ("image id 2", "width")),
    ("coco", 17, "size-disagrees-with-file", {}, {"width": 320}, ("bad.png", "320 x 48")),
    ("crowdpose", 14, "keypoints-of-13-joints", {"keypoints": [10, 20, 2] * 13}, {},
     ("annotation id 2", "expected 42 numbers")),
    ("ochuman", 17, "area-negative", {"area": -5}, {}, ("annotation id 2", "area")),
    ("halpe", 136, "visibility-code-5", {"keypoints": [10, 20, 5] * 136}, {},
     ("annotation id 2", "visibility code")),
]


def _coco_record_case(layout, joints, name, bad, bad_image, says) -> None:
    @_case("annotations", f"{layout}-{name}", SKIPPED, "{dir}/ann.json", *says)
    def run(folder):
        doc = _coco_doc(folder, joints, bad, bad_image)
        for entry in (doc["images"][1], doc["annotations"][1]):
            for key in [k for k, v in entry.items() if v is _GONE]:
                del entry[key]
        return _kept_and_skipped(folder, layout, _write(folder / "ann.json", doc), ["good.png"])


for _row in _COCO_RECORDS:
    _coco_record_case(*_row)


@_case("annotations", "coco-huge-image-header", SKIPPED, "huge.png", "header")
def _huge_header(folder):
    """A referenced image whose header claims 50000 x 50000 pixels costs its record only."""
    doc = _coco_doc(folder)
    _write(folder / "huge.png", _png_claiming(50000, 50000))
    doc["images"][1].update(file_name="huge.png", height=50000, width=50000)
    return _kept_and_skipped(folder, "coco", _write(folder / "ann.json", doc), ["good.png"])


@_case("annotations", "coco-missing-image", SKIPPED, "gone.png", "not found")
def _missing_image(folder):
    doc = _coco_doc(folder)
    doc["images"][1]["file_name"] = "gone.png"
    return _kept_and_skipped(folder, "coco", _write(folder / "ann.json", doc), ["good.png"])


@_case("annotations", "coco-joints-far-outside", READ_RIGHT, "lay outside their image")
def _far_outside(folder):
    """Visible joints at (-50, -20) and (50000, 90000) are made unlabelled, and the summary says so."""
    doc = _coco_doc(folder)
    doc["annotations"][1]["keypoints"][:6] = [-50, -20, 2, 50000, 90000, 2]
    code, summary, _ = _command("convert-dataset", _write(folder / "ann.json", doc), "--from", "coco",
                                "--output", folder / "out.json")
    written = json.loads((folder / "out.json").read_text())["annotations"][1]["keypoints"]
    assert written[:6] == [0, 0, 0, 0, 0, 0] and written[6:9] == [10, 20, 2], written[:9]
    return READ_RIGHT, summary[summary.index("note:"):]


@_case("annotations", "coco-images-not-a-list", ERROR, "{dir}/ann.json", "images")
def _images_not_a_list(folder):
    _convert(folder, "coco", _write(folder / "ann.json", {"images": {"id": 1}, "annotations": []}))
    return READ_RIGHT, "converted"


@_case("annotations", "coco-not-json", ERROR, "{dir}/ann.json", "not valid JSON")
def _not_json(folder):
    _convert(folder, "coco", _write(folder / "ann.json", '{"images": [{"id": 1,'))
    return READ_RIGHT, "converted"


@_case("annotations", "coco-non-utf8", ERROR, "{dir}/ann.json", "not valid JSON")
def _json_not_utf8(folder):
    _convert(folder, "coco", _write(folder / "ann.json", b'{"images": [{"file_name": "\xe9.png"}]}'))
    return READ_RIGHT, "converted"


@_case("annotations", "mapping-non-utf8", ERROR, "{dir}/map.yaml", "UTF-8")
def _mapping_not_utf8(folder):
    ann = _write(folder / "ann.json", _coco_doc(folder))
    mapping = _write(folder / "map.yaml", b"source: coco17\ntarget: coco17\njoints:\n  nos\xe9: nose\n")
    _convert(folder, "coco", ann, "--mapping", mapping)
    return READ_RIGHT, "converted"


@_case("annotations", "format-non-utf8", ERROR, "{dir}/fmt.yaml", "UTF-8")
def _format_not_utf8(folder):
    ann = _write(folder / "ann.json", _coco_doc(folder))
    fmt = _write(folder / "fmt.yaml", b"name: m\xe9\njoints: [a, b]\n")
    _convert(folder, "coco", ann, "--format", fmt)
    return READ_RIGHT, "converted"


def _wholebody_doc(folder: Path, bad: dict) -> dict:
    doc = _coco_doc(folder)
    parts = {"foot_kpts": [10, 20, 2] * 6, "face_kpts": [10, 20, 1] * 68,
             "lefthand_kpts": [10, 20, 1] * 21, "righthand_kpts": [10, 20, 1] * 21}
    for ann in doc["annotations"]:
        ann.update(parts)
    doc["annotations"][1].update(bad)
    return doc


@_case("annotations", "cocowholebody-foot-wrong-type", SKIPPED, "annotation id 2", "foot_kpts")
def _wholebody_foot(folder):
    doc = _wholebody_doc(folder, {"foot_kpts": {"x": 1}})
    return _kept_and_skipped(folder, "cocowholebody", _write(folder / "ann.json", doc), ["good.png"])


@_case("annotations", "cocowholebody-plain-coco", ERROR, "{dir}/ann.json", "foot_kpts")
def _wholebody_plain(folder):
    _convert(folder, "cocowholebody", _write(folder / "ann.json", _coco_doc(folder)))
    return READ_RIGHT, "converted"


def _ochuman_native_doc(folder: Path, bad: dict) -> dict:
    _image(folder / "good.png")
    _image(folder / "bad.png")
    person = {"bbox": [1, 2, 40, 45], "keypoints": [10, 20, 1] * 17}
    return {"keypoint_visible": {"missing": 0, "vis": 1, "self_occluded": 2, "others_occluded": 3},
            "images": [{"file_name": "good.png", "height": 48, "width": 64, "annotations": [person]},
                       {"file_name": "bad.png", "height": 48, "width": 64,
                        "annotations": [{**person, **bad}]}]}


@_case("annotations", "ochuman-native-box-flipped", SKIPPED, "images[1]", "bbox")
def _ochuman_box(folder):
    doc = _ochuman_native_doc(folder, {"bbox": [40, 2, 1, 45]})
    return _kept_and_skipped(folder, "ochuman-native", _write(folder / "ann.json", doc), ["good.png"])


@_case("annotations", "ochuman-native-codes", ERROR, "{dir}/ann.json", "keypoint_visible")
def _ochuman_codes(folder):
    doc = _ochuman_native_doc(folder, {})
    doc["keypoint_visible"] = {"missing": 0, "vis": 2}
    _convert(folder, "ochuman-native", _write(folder / "ann.json", doc))
    return READ_RIGHT, "converted"


def _aic_doc(folder: Path, bad: dict) -> list:
    _image(folder / "good.jpg")
    _image(folder / "bad.jpg")
    record = {"keypoint_annotations": {"human1": [10, 20, 1] * 14},
              "human_annotations": {"human1": [1, 2, 40, 45]}}
    return [{"image_id": "good", **record}, {"image_id": "bad", **record, **bad}]


@_case("annotations", "aic-visibility-code-7", SKIPPED, "record 1", "keypoint_annotations", "7")
def _aic_code(folder):
    doc = _aic_doc(folder, {"keypoint_annotations": {"human1": [10, 20, 7] * 14}})
    return _kept_and_skipped(folder, "aic", _write(folder / "ann.json", doc), ["good.jpg"])


@_case("annotations", "aic-box-flipped", SKIPPED, "record 1", "human_annotations")
def _aic_box(folder):
    doc = _aic_doc(folder, {"human_annotations": {"human1": [40, 2, 1, 45]}})
    return _kept_and_skipped(folder, "aic", _write(folder / "ann.json", doc), ["good.jpg"])


@_case("annotations", "aic-image-id-number", SKIPPED, "record 1", "image_id")
def _aic_id(folder):
    doc = _aic_doc(folder, {"image_id": 7})
    return _kept_and_skipped(folder, "aic", _write(folder / "ann.json", doc), ["good.jpg"])


@_case("annotations", "aic-not-a-list", ERROR, "{dir}/ann.json", "list of AI Challenger records")
def _aic_object(folder):
    _convert(folder, "aic", _write(folder / "ann.json", {"image_id": "good"}))
    return READ_RIGHT, "converted"


def _mpii_doc(folder: Path, bad: dict) -> list:
    _image(folder / "good.jpg")
    _image(folder / "bad.jpg")
    record = {"joints": [[10, 20]] * 16, "joints_vis": [1] * 16}
    return [{"image": "good.jpg", **record}, {"image": "bad.jpg", **record, **bad}]


@_case("annotations", "mpii-joints-nan", SKIPPED, "record 1", "joints[2]", "finite")
def _mpii_nan(folder):
    joints = [[10, 20]] * 16
    joints[2] = [float("nan"), 20]
    doc = _mpii_doc(folder, {"joints": joints})
    return _kept_and_skipped(folder, "mpii", _write(folder / "ann.json", doc), ["good.jpg"])


@_case("annotations", "mpii-visibility-2", SKIPPED, "record 1", "joints_vis")
def _mpii_vis(folder):
    doc = _mpii_doc(folder, {"joints_vis": [2] * 16})
    return _kept_and_skipped(folder, "mpii", _write(folder / "ann.json", doc), ["good.jpg"])


@_case("annotations", "mpii-joints-missing", SKIPPED, "record 1", "joints")
def _mpii_missing(folder):
    doc = _mpii_doc(folder, {"joints": [[10, 20]] * 15})
    return _kept_and_skipped(folder, "mpii", _write(folder / "ann.json", doc), ["good.jpg"])


@_case("annotations", "mpii-multi-page-image-size", READ_RIGHT)
def _mpii_pages(folder):
    """MPII's records give no image size: it comes from the header, of the first page (not the
    pages and the height of a multi-page TIFF)."""
    from PIL import Image

    doc = _mpii_doc(folder, {"image": "pages.tiff"})
    pages = [Image.new("RGB", (64, 48), (10, 20, 30)), Image.new("RGB", (64, 48), (40, 50, 60))]
    pages[0].save(folder / "pages.tiff", save_all=True, append_images=pages[1:])
    written, _ = _convert(folder, "mpii", _write(folder / "ann.json", doc))
    sizes = {image["file_name"]: (image["height"], image["width"]) for image in written["images"]}
    assert sizes == {"good.jpg": (48, 64), "pages.tiff": (48, 64)}, sizes
    assert [a["num_keypoints"] for a in written["annotations"]] == [12, 12], "joints dropped"
    return READ_RIGHT, f"sizes {sizes}"


@_case("annotations", "mpii-not-a-list", ERROR, "{dir}/ann.json", "list of MPII person records")
def _mpii_object(folder):
    _convert(folder, "mpii", _write(folder / "ann.json", {"image": "good.jpg"}))
    return READ_RIGHT, "converted"


_DLC_HEADER = ("scorer,alex,alex,alex,alex\n"
               "bodyparts,nose,nose,left_eye,left_eye\n"
               "coords,x,y,x,y\n")


def _dlc_table(folder: Path, rows: str, content: bytes = None) -> Path:
    """A DeepLabCut project: labeled-data/v/{good,bad}.png and CollectedData.csv."""
    data = folder / "project" / "labeled-data" / "v"
    _image(data / "good.png")
    _image(data / "bad.png")
    return _write(data / "CollectedData.csv", content if content is not None else _DLC_HEADER + rows)


@_case("annotations", "deeplabcut-cell-not-a-number", SKIPPED, "row 5", "nose")
def _dlc_cell(folder):
    table = _dlc_table(folder, "labeled-data/v/good.png,5,6,7,8\nlabeled-data/v/bad.png,abc,6,7,8\n")
    return _kept_and_skipped(folder, "deeplabcut", table, ["good.png"], "--format", "coco17")


@_case("annotations", "deeplabcut-header-missing", ERROR, "CollectedData.csv", "bodyparts")
def _dlc_header(folder):
    _convert(folder, "deeplabcut", _dlc_table(folder, "", b"a,b\n1,2\n"), "--format", "coco17")
    return READ_RIGHT, "converted"


@_case("annotations", "deeplabcut-non-utf8", ERROR, "CollectedData.csv", "utf-8")
def _dlc_encoding(folder):
    table = _dlc_table(folder, "", b"scorer,a\nbodyparts,n\xe9\ncoords,x\n")
    _convert(folder, "deeplabcut", table, "--format", "coco17")
    return READ_RIGHT, "converted"


def _posetrack_doc(folder: Path, bad: dict) -> dict:
    """A two-frame PoseTrack 2018 clip (frames f0.png, f1.png), one person a frame."""
    _image(folder / "f0.png")
    _image(folder / "f1.png")
    keypoints = [10, 20, 1] * 17
    images = [{"id": k + 1, "file_name": f"f{k}.png", "is_labeled": True, "frame_id": k + 1,
               "vid_id": "000001", "nframes": 2} for k in range(2)]
    anns = [{"id": 1, "image_id": 1, "track_id": 0, "keypoints": keypoints, "bbox_head": []},
            {"id": 2, "image_id": 2, "track_id": 0, "keypoints": keypoints, "bbox_head": [], **bad}]
    return {"images": images, "annotations": anns}


@_case("annotations", "posetrack-keypoints-short", SKIPPED, "image id 2", "keypoints")
def _posetrack_frame(folder):
    doc = _posetrack_doc(folder, {"keypoints": [10, 20, 1] * 16})
    return _kept_and_skipped(folder, "posetrack", _write(folder / "clip.json", doc), ["f0.png"])


@_case("annotations", "posetrack-track-id-negative", SKIPPED, "image id 2", "track_id")
def _posetrack_track(folder):
    doc = _posetrack_doc(folder, {"track_id": -4})
    return _kept_and_skipped(folder, "posetrack", _write(folder / "clip.json", doc), ["f0.png"])


@_case("annotations", "posetrack-not-posetrack", ERROR, "{dir}/clip.json", "PoseTrack")
def _posetrack_other(folder):
    _convert(folder, "posetrack", _write(folder / "clip.json", {"annolists": []}))
    return READ_RIGHT, "converted"


@_case("annotations", "deepercut-mat-not-a-mat", ERROR, "{dir}/dataset.mat")
def _mat_garbage(folder):
    _convert(folder, "deepercut-mat", _write(folder / "dataset.mat", b"MATLAB 5.0 MAT-file\x00garbage"))
    return READ_RIGHT, "converted"


# ---------------------------------------------------------------------------------------------
# Paths in annotations that leave the image folder.


def _outside(folder: Path) -> Path:
    """A readable image outside the annotation's folder: folder/secret/x.png."""
    _image(folder / "secret" / "x.png")
    return folder / "set" / "deep"


@_case("paths", "coco-dot-dot", SKIPPED, "../../secret/x.png", "climbs out")
def _coco_dotdot(folder):
    inner = _outside(folder)
    doc = _coco_doc(inner)
    doc["images"][1]["file_name"] = "../../secret/x.png"
    return _kept_and_skipped(folder, "coco", _write(inner / "ann.json", doc), ["good.png"])


@_case("paths", "coco-etc-passwd-relative", SKIPPED, "../../../../etc/passwd", "climbs out")
def _coco_passwd(folder):
    doc = _coco_doc(folder)
    doc["images"][1]["file_name"] = "../../../../etc/passwd"
    return _kept_and_skipped(folder, "coco", _write(folder / "ann.json", doc), ["good.png"])


@_case("paths", "coco-absolute-outside", SKIPPED, "image id 2", "file_name /etc/hostname",
       "outside the image folders", "--allow-absolute-paths")
def _coco_absolute(folder):
    """An absolute name outside the folders searched is refused (never opened), saying how to allow it."""
    doc = _coco_doc(folder)
    doc["images"][1]["file_name"] = "/etc/hostname"
    return _kept_and_skipped(folder, "coco", _write(folder / "ann.json", doc), ["good.png"])


@_case("paths", "coco-absolute-allowed-not-an-image", SKIPPED, "/etc/hostname")
def _coco_absolute_allowed(folder):
    """Allowed explicitly, an absolute name is opened; a file that is no image is skipped, named."""
    doc = _coco_doc(folder)
    doc["images"][1]["file_name"] = "/etc/hostname"
    return _kept_and_skipped(folder, "coco", _write(folder / "ann.json", doc), ["good.png"],
                             "--allow-absolute-paths")


@_case("paths", "coco-absolute-inside-the-folder", READ_RIGHT)
def _coco_absolute_inside(folder):
    """Absolute names of images inside the annotation's folder are read, and written relative."""
    doc = _coco_doc(folder)
    for image in doc["images"]:
        image["file_name"] = str(folder / image["file_name"])
    written, skipped = _convert(folder, "coco", _write(folder / "ann.json", doc))
    names = [image["file_name"] for image in written["images"]]
    assert names == ["good.png", "bad.png"] and skipped.startswith("skipped records: none"), (names, skipped)
    return READ_RIGHT, ", ".join(names)


@_case("paths", "convert-notes-absolute-output", READ_RIGHT, "1 of 2 images", "allow_absolute_image_paths: true")
def _convert_note(folder):
    """Our converter writes an image outside the output's folder with its absolute path, and
    its summary says so (training on it needs the config to allow it)."""
    inner = _outside(folder)
    doc = _coco_doc(inner)
    doc["images"][1]["file_name"] = str(folder / "secret" / "x.png")
    code, summary, _ = _command("convert-dataset", _write(inner / "ann.json", doc), "--from", "coco",
                                "--output", inner / "out.json", "--allow-absolute-paths")
    names = [image["file_name"] for image in json.loads((inner / "out.json").read_text())["images"]]
    assert code == 0 and names == ["good.png", str(folder / "secret" / "x.png")], (code, names)
    return READ_RIGHT, summary[summary.index("note:"):]


@_case("paths", "mpii-dot-dot", SKIPPED, "../../secret/x.png", "climbs out")
def _mpii_dotdot(folder):
    inner = _outside(folder)
    doc = _mpii_doc(inner, {"image": "../../secret/x.png"})
    return _kept_and_skipped(folder, "mpii", _write(inner / "ann.json", doc), ["good.jpg"])


@_case("paths", "aic-dot-dot", SKIPPED, "../../secret/x.png", "climbs out")
def _aic_dotdot(folder):
    inner = _outside(folder)
    doc = _aic_doc(inner, {"image_id": "../../secret/x.png"})
    return _kept_and_skipped(folder, "aic", _write(inner / "ann.json", doc), ["good.jpg"])


@_case("paths", "deeplabcut-dot-dot", SKIPPED, "../secret/x.png", "climbs out")
def _dlc_dotdot(folder):
    """A row naming ../secret/x.png, which from the project folder is a readable image."""
    _image(folder / "secret" / "x.png")
    table = _dlc_table(folder, "labeled-data/v/good.png,5,6,7,8\n../secret/x.png,5,6,7,8\n")
    return _kept_and_skipped(folder, "deeplabcut", table, ["good.png"], "--format", "coco17")


@_case("paths", "training-loader-dot-dot", SKIPPED, "../../secret/x.png", "climbs out")
def _loader_dotdot(folder):
    """The training loader (dataset_type coco) refuses it too, and loads the rest."""
    from dataset.loaders import load_dataset

    inner = _outside(folder)
    doc = _coco_doc(inner)
    doc["images"][1]["file_name"] = "../../secret/x.png"
    loaded = load_dataset("coco", _write(inner / "ann.json", doc), keypoint_format="coco17")
    names = [os.path.basename(r.image_path) for r in loaded.records]
    assert names == ["good.png"], names
    return SKIPPED, "\n".join(loaded.skipped)


@_case("paths", "training-loader-absolute", SKIPPED, "{dir}/secret/x.png", "outside the image folders",
       "allow_absolute_image_paths: true")
def _loader_absolute(folder):
    """The training loader refuses an absolute name outside the folders it searches, and loads the rest."""
    from dataset.loaders import load_dataset

    inner = _outside(folder)
    doc = _coco_doc(inner)
    doc["images"][1]["file_name"] = str(folder / "secret" / "x.png")
    loaded = load_dataset("coco", _write(inner / "ann.json", doc), keypoint_format="coco17")
    names = [os.path.basename(r.image_path) for r in loaded.records]
    assert names == ["good.png"], names
    return SKIPPED, "\n".join(loaded.skipped)


@_case("paths", "training-config-allows-absolute", READ_RIGHT)
def _config_allows(folder):
    """allow_absolute_image_paths: true in the config reaches the loader: the image is read."""
    from dataset.loaders import load_dataset_from_config
    from posecut.config import load_config

    inner = _outside(folder)
    doc = _coco_doc(inner)
    doc["images"][1]["file_name"] = str(folder / "secret" / "x.png")
    _write(inner / "ann.json", doc)
    config = _write(inner / "pose_cfg.yaml", "dataset: ann.json\ndataset_type: coco\n"
                                              "allow_absolute_image_paths: true\n")
    loaded = load_dataset_from_config(load_config(config))
    names = [os.path.basename(r.image_path) for r in loaded.records]
    assert names == ["good.png", "x.png"] and not loaded.skipped, (names, loaded.skipped)
    return READ_RIGHT, ", ".join(names)


@_case("paths", "mpii-loader-dot-dot", SKIPPED, "record 1", "../../secret/x.png", "climbs out")
def _mpii_loader_dotdot(folder):
    """The MPII training loader skips the record (it used to refuse the whole file) and loads the rest."""
    from dataset.mpii import load_mpii_json

    inner = _outside(folder)
    loaded = load_mpii_json(_write(inner / "ann.json", _mpii_doc(inner, {"image": "../../secret/x.png"})))
    names = [os.path.basename(r.image_path) for r in loaded.records]
    assert names == ["good.jpg"], names
    return SKIPPED, "\n".join(loaded.skipped)


def _dataset_mat(folder: Path, second: str) -> Path:
    """A DeeperCut dataset.mat in ``folder`` of good.png and the image ``second``, one person each."""
    import scipy.io as sio

    _image(folder / "good.png")
    table = np.zeros((1, 2), dtype=[(f, object) for f in ("image", "size", "joints")])
    person = np.array([[0, 10, 20], [1, 12, 22]], np.float64)
    for k, name in enumerate(["good.png", second]):
        cell = np.empty((1, 1), dtype=object)
        cell[0, 0] = person
        table[0, k] = (name, np.array([[3, 48, 64]], np.float64), cell)
    path = folder / "dataset.mat"
    sio.savemat(str(path), {"dataset": table})
    return path


@_case("paths", "deepercut-mat-dot-dot", SKIPPED, "record 1", "../secret/x.png", "climbs out")
def _mat_dotdot(folder):
    inner = _outside(folder).parent
    inner.mkdir(parents=True, exist_ok=True)
    return _kept_and_skipped(folder, "deepercut-mat", _dataset_mat(inner, "../secret/x.png"), ["good.png"],
                             "--format", "coco17")


@_case("paths", "deepercut-mat-absolute", SKIPPED, "record 1", "{dir}/secret/x.png", "--allow-absolute-paths")
def _mat_absolute(folder):
    inner = _outside(folder).parent
    inner.mkdir(parents=True, exist_ok=True)
    return _kept_and_skipped(folder, "deepercut-mat", _dataset_mat(inner, str(folder / "secret" / "x.png")),
                             ["good.png"], "--format", "coco17")


@_case("paths", "deeplabcut-absolute", SKIPPED, "row 5", "{dir}/secret/x.png", "outside the image folders")
def _dlc_absolute(folder):
    _image(folder / "secret" / "x.png")
    table = _dlc_table(folder, f"labeled-data/v/good.png,5,6,7,8\n{folder / 'secret' / 'x.png'},5,6,7,8\n")
    return _kept_and_skipped(folder, "deeplabcut", table, ["good.png"], "--format", "coco17")


@_case("paths", "tracking-clip-absolute-frame", ERROR, "{dir}/clip.json", "frame 1", "file_name /etc/hostname",
       "outside the image folders")
def _clip_absolute(folder):
    """fit-temporal's clip reader refuses a frame named by an absolute path outside the folders
    it searches (the JSON's and two above it); the clip is then skipped."""
    from dataset.posetrack import read_posetrack
    from posecut.tracking_run import clip_frames

    doc = _posetrack_doc(folder, {})
    doc["images"][1]["file_name"] = "/etc/hostname"
    path = _write(folder / "clip.json", doc)
    clip_frames(read_posetrack(str(path)).video, str(path))
    return READ_RIGHT, "frames found"


@_case("paths", "tracking-clip-absolute-frame-allowed", READ_RIGHT)
def _clip_absolute_allowed(folder):
    """Allowed explicitly, the clip reader takes a frame named by an absolute path elsewhere."""
    from dataset.posetrack import read_posetrack
    from posecut.tracking_run import clip_frames

    inner = folder / "a" / "b" / "c"
    elsewhere = _image(folder / "elsewhere" / "f1.png")
    doc = _posetrack_doc(inner, {})
    doc["images"][1]["file_name"] = elsewhere
    path = _write(inner / "clip.json", doc)
    frames = clip_frames(read_posetrack(str(path)).video, str(path), allow_absolute_paths=True)
    assert frames == [str(inner / "f0.png"), elsewhere], frames
    return READ_RIGHT, ", ".join(frames)


# ---------------------------------------------------------------------------------------------
# Images: read_image (what `posecut predict` and training read), and a folder of them.


def _read(path):
    from dataset.images import read_image

    return read_image(path)


_BAD_IMAGES = [
    ("undecodable-bytes", "x.png", b"this is not an image at all", ("cannot decode",)),
    ("empty-file", "x.jpg", b"", ("cannot decode",)),
    ("truncated-png", "x.png", lambda: _png_bytes(np.full((40, 40, 3), 7, np.uint8))[:60], ("cannot decode",)),
    ("zero-size-header", "x.png", lambda: _png_claiming(0, 0), ("cannot decode",)),
    ("huge-header-50000x50000", "x.png", lambda: _png_claiming(50000, 50000), ()),
    ("header-above-limit", "x.png", lambda: _png_claiming(10000, 6000), ("megapixels",)),
]


def _bad_image_case(name, file_name, content, says) -> None:
    @_case("images", name, ERROR, "{dir}/" + file_name, *says)
    def run(folder):
        data = content() if callable(content) else content
        image = _read(_write(folder / file_name, data))
        return READ_RIGHT, f"read {image.shape}"


for _row in _BAD_IMAGES:
    _bad_image_case(*_row)


@_case("images", "a-folder-named-png", ERROR, "{dir}/x.png", "not found")
def _folder_image(folder):
    (folder / "x.png").mkdir()
    _read(folder / "x.png")
    return READ_RIGHT, "read"


def _pixel(name: str, suffix: str, make: Callable[[Path], None], expected) -> None:
    """A read-right case: the file ``make`` writes reads as 6 x 8 RGB uint8 with ``expected`` at (0, 0)."""
    @_case("images", name, READ_RIGHT)
    def run(folder):
        path = folder / f"x{suffix}"
        make(path)
        image = _read(path)
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3, image.shape
        assert image.shape[:2] == (6, 8), f"size {image.shape[:2]}, expected (6, 8)"
        assert np.abs(image[0, 0].astype(int) - expected).max() <= 2, f"{image[0, 0]} != {expected}"
        return READ_RIGHT, f"{image.shape} {image[0, 0].tolist()}"


def _pil(mode, value, **save):
    def make(path):
        from PIL import Image

        Image.new(mode, (8, 6), value).save(path, **save)
    return make


def _pages(mode, values):
    def make(path):
        from PIL import Image

        frames = [Image.new(mode, (8, 6), v) for v in values]
        frames[0].save(path, save_all=True, append_images=frames[1:])
    return make


def _array(array):
    def make(path):
        import imageio.v3 as iio

        iio.imwrite(path, array)
    return make


def _palette(path):
    from PIL import Image

    image = Image.new("P", (8, 6), 1)
    image.putpalette([0, 0, 0, 200, 100, 50] + [0] * 762)
    image.save(path)


_pixel("cmyk-jpeg", ".jpg", _pil("CMYK", (0, 255, 0, 0), quality=100), [255, 0, 255])
_pixel("float-tiff-0-to-1", ".tiff", _array(np.full((6, 8), 0.5, np.float32)), [128, 128, 128])
_pixel("one-bit-png", ".png", _pil("1", 1), [255, 255, 255])
_pixel("grey-alpha-png", ".png", _pil("LA", (100, 200)), [100, 100, 100])
_pixel("multi-page-tiff", ".tiff", _pages("RGB", [(10, 20, 30), (40, 50, 60)]), [10, 20, 30])
_pixel("grey-multi-page-tiff", ".tiff", _pages("L", [70, 200, 30]), [70, 70, 70])
_pixel("animated-gif", ".gif", _pages("RGB", [(200, 0, 0), (0, 0, 200)]), [200, 0, 0])
_pixel("sixteen-bit-grey-png", ".png", _array(np.full((6, 8), 0x8000, np.uint16)), [128, 128, 128])
_pixel("sixteen-bit-rgb-tiff", ".tiff", _array(np.full((6, 8, 3), 0xFFFF, np.uint16)), [255, 255, 255])
_pixel("palette-png", ".png", _palette, [200, 100, 50])


@_case("images", "predict-folder-one-undecodable", SKIPPED, "b.png", "cannot decode")
def _predict_folder(folder):
    """`posecut predict` over a folder (its prediction loop, with a stand-in network): the bad
    image is skipped with its reason, the others are predicted and drawn."""
    from multiperson.assemble import People
    from posecut.inputs import list_inputs
    from posecut.predict_files import predict_images

    photos = folder / "photos"
    for name in ("a.png", "c.png"):
        _image(photos / name)
    _write(photos / "b.png", b"not an image")
    images, _ = list_inputs([str(photos)])
    pose = np.array([[[5.0, 5.0, 0.9], [9.0, 9.0, 0.9]]])
    out = folder / "out"
    out.mkdir()
    _, records, skipped = predict_images(lambda image: People(pose, np.array([0.9])), images,
                                         ((0, 1),), str(out), progress=False)
    assert [os.path.basename(r["file_name"]) for r in records] == ["a.png", "c.png"], records
    assert sorted(os.listdir(out)) == ["a.png", "c.png"], os.listdir(out)
    return SKIPPED, "\n".join(reason for _, reason in skipped)


@_case("images", "evaluate-multiperson-one-undecodable", SKIPPED, "{dir}/b.png", "cannot decode")
def _evaluate_multiperson(folder):
    """Multi-person evaluation's loop (multiperson.evaluation.predict_dataset, with outputs that
    read the image as the network's do): the bad image is skipped with its reason, the others predicted."""
    from dataset.images import read_image
    from dataset.records import ImageRecord
    from multiperson.evaluation import predict_dataset

    raw, means, stds, model, settings = _grouping()
    records = [ImageRecord(_image(folder / name, 80, 180), k + 1, 80, 180, np.zeros((0, 3, 3)))
               for k, name in enumerate(("a.png", "b.png", "c.png"))]
    _write(folder / "b.png", b"not an image")

    def outputs(record):
        read_image(record.image_path)
        return raw

    results, _, skipped = predict_dataset(records, outputs, means, stds, model, settings)
    assert {r["image_id"] for r in results} == {1, 3}, sorted({r["image_id"] for r in results})
    return SKIPPED, "\n".join(reason for _, reason in skipped)


@_case("images", "evaluate-one-undecodable", SKIPPED, "{dir}/bad.png", "cannot decode", budget=90)
def _evaluate_undecodable(folder):
    """`posecut evaluate` (a model without the pairwise head) over a data set with an image that
    cannot be decoded: it is skipped and listed, the other is scored, exit 1."""
    _, _, prefix = _checkpoint()
    doc = _coco_doc(folder, joints=3)
    _write(folder / "bad.png", b"not an image")
    config = _write(folder / "pose_cfg.yaml", "net_type: mobilenet_v2_0.35\nnum_joints: 3\n"
                                              "precision: float32\ndataset_type: coco\n")
    code, out, err = _command("evaluate", config, "--weights", prefix, "--dataset",
                              _write(folder / "ann.json", doc), "--no-progress")
    assert code == 1 and "1 images, 1 skipped" in out, f"exit {code}: {out[-300:]}"
    return SKIPPED, err


@_case("images", "drawing-names-collide", READ_RIGHT)
def _names_collide(folder):
    """dupA/photo.png, dupB/photo.png, pic.png and pic.jpg: four drawings, none overwritten."""
    from posecut.predict_files import distinct_stems

    paths = [folder / "dupA" / "photo.png", folder / "dupB" / "photo.png", folder / "pic.png",
             folder / "pic.jpg"]
    stems = distinct_stems([str(p) for p in paths])
    assert len(set(stems)) == 4, stems
    return READ_RIGHT, ", ".join(stems)


# ---------------------------------------------------------------------------------------------
# Checkpoints: the smallest network, saved once, then damaged copies.


@functools.lru_cache(maxsize=None)
def _checkpoint():
    """(spec, model, prefix) of a saved mobilenet_v2_0.35 network of 3 joints."""
    import builders
    from nnet.checkpoint import save_weights
    from nnet.pose_net import build_pose_net

    spec = builders.spec("mobilenet_v2_0.35", 3)
    model = build_pose_net(spec)
    folder = tempfile.mkdtemp(prefix="posecut-fuzz-")
    atexit.register(shutil.rmtree, folder, True)
    return spec, model, save_weights(model, os.path.join(folder, "snapshot-1"))


def _damaged(folder: Path, damage: Callable[[Path, Path], None]) -> str:
    """A copy of the saved checkpoint in ``folder`` as 'w', after ``damage(index, data)``."""
    _, _, prefix = _checkpoint()
    index, data = folder / "w.index", folder / "w.data-00000-of-00001"
    shutil.copy(f"{prefix}.index", index)
    shutil.copy(f"{prefix}.data-00000-of-00001", data)
    damage(index, data)
    return str(folder / "w")


def _truncate(index, data):
    data.write_bytes(data.read_bytes()[:1000])


def _flip(index, data):
    raw = bytearray(data.read_bytes())
    middle = len(raw) // 2
    raw[middle:middle + 64] = bytes(b ^ 0xFF for b in raw[middle:middle + 64])
    data.write_bytes(bytes(raw))


def _no_data(index, data):
    data.unlink()


def _garbage_index(index, data):
    index.write_bytes(b"not a checkpoint index")


def _checkpoint_case(name, damage, says) -> None:
    @_case("checkpoints", name, ERROR, "{dir}/w", *says, budget=90)
    def run(folder):
        from nnet.checkpoint import load_weights

        spec, model, _ = _checkpoint()
        load_weights(model, _damaged(folder, damage), spec)
        return READ_RIGHT, "loaded"


for _row in [("truncated-data", _truncate, ("cannot read",)), ("flipped-bytes", _flip, ("cannot read",)),
             ("index-without-data", _no_data, ("data file",)),
             ("garbage-index", _garbage_index, ("cannot read checkpoint",))]:
    _checkpoint_case(*_row)


@_case("checkpoints", "other-joint-count", ERROR, "{dir}/w", "3 joints, the config has 5", budget=90)
def _other_joints(folder):
    import builders
    from nnet.checkpoint import load_weights
    from nnet.pose_net import build_pose_net

    other = builders.spec("mobilenet_v2_0.35", 5)
    load_weights(build_pose_net(other), _damaged(folder, lambda index, data: None), other)
    return READ_RIGHT, "loaded"


@_case("checkpoints", "cli-convert-checkpoint-truncated", ERROR, "{dir}/w", "cannot read", budget=90)
def _cli_convert(folder):
    weights = _damaged(folder, _truncate)
    config = _write(folder / "pose_cfg.yaml", "net_type: mobilenet_v2_0.35\nnum_joints: 3\nprecision: float32\n")
    _command("convert-checkpoint", config, "--weights", weights, "--output", folder / "out")
    return READ_RIGHT, "converted"


# ---------------------------------------------------------------------------------------------
# The Python API of grouping: arrays with NaN, wrong shapes, too few rows, empty maps.


@functools.lru_cache(maxsize=None)
def _grouping():
    """(raw outputs of one image of 3 people, means, stds, spatial model, settings): oracle
    outputs of 3 joints, the model fitted on 8 such scenes."""
    from dataset.pairwise_stats import compute_pairwise_stats
    from dataset.targets import target_settings_from_config
    from multiperson.detections import extract_detections
    from multiperson.fit_pairwise import PairSamples, fit_spatial_model, match_detections, pair_samples
    from multiperson.oracle import OracleNoise, oracle_outputs
    from multiperson.predict import multiperson_settings_from_config
    from posecut.config import config_from_dict

    cfg = config_from_dict({"num_joints": 3, "pos_dist_thresh": 8, "location_refinement": True,
                            "pairwise_predict": True, "nms_radius": 2.0, "det_min_score": 0.3})
    targets, settings = target_settings_from_config(cfg), multiperson_settings_from_config(cfg)
    rng = np.random.default_rng(0)

    def scene():
        people = []
        for k in range(3):
            x, y = 25 + 55 * k + rng.uniform(-5, 5), 20 + rng.uniform(-5, 5)
            people.append([[x, y, 2], [x - 8, y + 30, 2], [x + 8, y + 30, 2]])
        return np.array(people)

    train, noise = [scene() for _ in range(8)], OracleNoise(0.1, 0.5, 1.0, 0.05)
    stats = compute_pairwise_stats(train, 3)
    samples = PairSamples(3)
    for i, joints in enumerate(train):
        raw = oracle_outputs(joints, (80, 180), targets, stats.means, stats.stds, noise, i)
        dets = extract_detections(raw, stats.means, stats.stds, 8.0, cfg.locref_stdev, 2.0, 0.3)
        pair_samples(dets, match_detections(dets, joints, 8.0), settings.pair_mask, samples)
    model, _ = fit_spatial_model(samples, np.argwhere(np.triu(settings.pair_mask, 1)))
    raw = oracle_outputs(scene(), (80, 180), targets, stats.means, stats.stds, noise, 99)
    return raw, stats.means, stats.stds, model, settings


def _people(raw=None, means=None, stds=None, model=None, **extra):
    """people_from_raw_outputs of the grouping fixture with some of its inputs replaced."""
    from multiperson.predict import people_from_raw_outputs

    base_raw, base_means, base_stds, base_model, settings = _grouping()
    return people_from_raw_outputs(base_raw if raw is None else raw,
                                   base_means if means is None else means,
                                   base_stds if stds is None else stds,
                                   base_model if model is None else model, settings, **extra)


def _with(name, change):
    """The fixture's raw outputs with array ``name`` changed by ``change(copy)``."""
    raw = dict(_grouping()[0])
    raw[name] = raw[name].copy()
    change(raw[name])
    return raw


def _nan_at(array):
    array[0, 2, 10, 0] = np.nan


def _api_case(name, call: Callable[[], object], says, budget: int = 20) -> None:
    @_case("api", name, ERROR, *says, budget=budget)
    def run(folder):
        result = call()
        return READ_RIGHT, f"returned {type(result).__name__} {getattr(result, 'poses', result)!s:.200}"


@_case("api", "clean-inputs-give-3-people", READ_RIGHT)
def _clean(folder):
    """The control: the fixture's inputs without damage give its 3 people."""
    people = _people()
    assert len(people.poses) == 3, f"{len(people.poses)} people"
    return READ_RIGHT, "3 people"


def _extract(raw=None, means=None, stds=None, stride=8.0, locref_stdev=7.2801, nms_radius=2.0,
             min_score=0.3):
    from multiperson.detections import extract_detections

    base_raw, base_means, base_stds, _, _ = _grouping()
    return extract_detections(base_raw if raw is None else raw, base_means if means is None else means,
                              base_stds if stds is None else stds, stride, locref_stdev, nms_radius,
                              min_score)


def _assemble(part=(0, 1), xy=((1.0, 2.0), (3.0, 4.0)), score=(0.9, 0.8), cluster=(0, 0),
              num_joints=3, min_parts=1):
    from multiperson.assemble import assemble_people

    return assemble_people(np.asarray(part), np.asarray(xy), np.asarray(score), np.asarray(cluster),
                           num_joints, min_parts)


def _means(change):
    means = _grouping()[1].copy()
    change(means)
    return means


def _model_of(joints):
    from multiperson.pairwise import SpatialModel

    return SpatialModel.empty(joints)


for _row in [
    ("people-nan-locref", lambda: _people(_with("locref", _nan_at)), ("people_from_raw_outputs", "locref", "NaN")),
    ("people-nan-pairwise", lambda: _people(_with("pairwise_pred", _nan_at)),
     ("people_from_raw_outputs", "pairwise_pred", "NaN")),
    ("people-nan-scores", lambda: _people(_with("part_prob", _nan_at)), ("people_from_raw_outputs", "part_prob")),
    ("people-nan-means", lambda: _people(means=_means(lambda m: m.__setitem__((0, 0), np.nan))),
     ("people_from_raw_outputs", "means", "nan")),
    ("people-negative-stds", lambda: _people(stds=-_grouping()[2]), ("people_from_raw_outputs", "stds")),
    ("people-too-few-statistic-rows", lambda: _people(means=_grouping()[1][:2], stds=_grouping()[2][:2]),
     ("people_from_raw_outputs", "means and stds of shape (6, 2)", "(2, 2)")),
    ("people-empty-maps", lambda: _people({"part_prob": np.zeros((1, 0, 0, 3), np.float32),
                                           "pairwise_pred": np.zeros((1, 0, 0, 12), np.float32)}),
     ("people_from_raw_outputs", "part_prob", "(1, 0, 0, 3)")),
    ("people-model-of-other-joints", lambda: _people(model=_model_of(5)), ("people_from_raw_outputs", "model")),
    ("people-gates-wrong-shape", lambda: _people(gates=np.zeros((2, 2))), ("gates", "(3, 3)")),
    ("extract-nan-locref", lambda: _extract(_with("locref", _nan_at)), ("extract_detections", "locref", "NaN")),
    ("extract-locref-wrong-shape", lambda: _extract({**_grouping()[0], "locref": _grouping()[0]["locref"][..., 1:]}),
     ("extract_detections", "locref", "expected shape")),
    ("extract-no-batch-axis", lambda: _extract({"part_prob": _grouping()[0]["part_prob"][0]}, None, None),
     ("extract_detections", "part_prob")),
    ("extract-not-outputs", lambda: _extract({"scmap": np.zeros((1, 4, 4, 3))}), ("extract_detections", "raw")),
    ("extract-text-scores", lambda: _extract({"part_prob": "high"}), ("extract_detections", "part_prob")),
    ("extract-nan-nms-radius", lambda: _extract(nms_radius=float("nan")), ("extract_detections", "nms_radius")),
    ("extract-infinite-stride", lambda: _extract(stride=float("inf")), ("extract_detections", "stride")),
    ("assemble-xy-wrong-shape", lambda: _assemble(xy=((1.0, 2.0),)), ("assemble_people", "xy", "(2, 2)")),
    ("assemble-nan-xy", lambda: _assemble(xy=((1.0, 2.0), (np.nan, 4.0))), ("assemble_people", "xy", "nan")),
    ("assemble-nan-score", lambda: _assemble(score=(0.9, np.nan)), ("assemble_people", "score")),
    ("assemble-part-out-of-range", lambda: _assemble(part=(0, 7)), ("assemble_people", "part")),
    ("assemble-fractional-joints", lambda: _assemble(num_joints=2.5), ("assemble_people", "num_joints")),
]:
    _api_case(*_row)


def _single_person(scale: float):
    """The predictor of a network without the pairwise head, on the saved checkpoint's network."""
    from multiperson.predict import SinglePersonPredictor
    from nnet.predict import PosePredictor, compile_forward

    spec, model, _ = _checkpoint()
    return SinglePersonPredictor(PosePredictor(model, spec, compile_forward(model)), scale)


for _row in [
    ("predictor-zero-size-image", lambda: _single_person(1.0)(np.zeros((0, 0, 3), np.uint8)), ("image", "(0, 0, 3)")),
    ("predictor-zero-size-image-scaled", lambda: _single_person(0.5)(np.zeros((0, 5, 3), np.uint8)),
     ("image", "(0, 5, 3)")),
    ("network-zero-size-batch", lambda: _single_person(1.0).network(np.zeros((1, 0, 5, 3), np.uint8)),
     ("image", "(1, 0, 5, 3)")),
    ("predictor-nan-image", lambda: _single_person(1.0)(np.full((16, 16, 3), np.nan, np.float32)),
     ("image", "finite")),
    ("predictor-four-channels", lambda: _single_person(1.0)(np.zeros((16, 16, 4), np.uint8)), ("image", "RGB")),
]:
    _api_case(*_row, budget=90)


# ---------------------------------------------------------------------------------------------
# Training: a full disk and SIGTERM, on the smallest network (as tests/nnet/test_train.py trains it).


def _trainer(folder: Path, steps: int, save_iters: int):
    """(trainer, dataset factory) of the tests' tiny ResNet with 2 joints on 4 images of 48 x 48."""
    import builders
    import imageio.v3 as iio
    from fake_records import Record

    from dataset.augment import AugmentSettings
    from dataset.pipeline import SampleSettings, training_dataset
    from nnet.train import Trainer, TrainSettings

    rng = np.random.default_rng(1)
    records = []
    for i in range(4):
        image = np.full((48, 48, 3), 90, np.uint8)
        x, y = rng.integers(12, 36, 2)
        image[y - 4:y + 4, x - 4:x + 4] = (250, 30, 30)
        iio.imwrite(folder / f"{i}.png", image)
        records.append(Record(str(folder / f"{i}.png"), np.array([[[x, y, 2], [x, y + 9, 2]]], np.float32)))
    spec = builders.tiny_spec(2, location_refinement=True)
    settings = TrainSettings(multi_step=((0.01, steps),), optimizer="adam", display_iters=5,
                             save_iters=save_iters, snapshot_prefix=str(folder / "snapshot"),
                             log_dir=str(folder / "log"))
    trainer = Trainer(spec, builders.losses(2, location_refinement=True), settings)
    samples = SampleSettings(
        AugmentSettings(global_scale=1.0, scale_jitter_lo=1.0, scale_jitter_up=1.0, mirror=False,
                        crop=False, crop_pad=0, max_input_size=500, flip_index=None),
        builders.targets(2, location_refinement=True, pos_dist_thresh=8))
    return trainer, lambda start: training_dataset(records, samples, 2, seed=3, start_sample=2 * start)


@_case("training", "disk-full", ERROR, "{dir}/snapshot-4", "No space left",
       "the last snapshot written is {dir}/snapshot-2", budget=90)
def _disk_full(folder):
    """The snapshot writer fails with ENOSPC after one snapshot: a WriteError names it."""
    import errno

    import nnet.train as train_module
    from nnet.train import run_training

    real = train_module.save_weights

    def full_after_one(model, prefix):
        if list(folder.glob("snapshot-*.index")):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(model, prefix)

    trainer, data = _trainer(folder, steps=4, save_iters=2)
    train_module.save_weights = full_after_one
    try:
        run_training(trainer, data, progress=False)
    finally:
        train_module.save_weights = real
    return READ_RIGHT, "trained"


@_case("training", "sigterm-saves", READ_RIGHT, budget=90)
def _sigterm(folder):
    """SIGTERM at step 3 stops training like Ctrl-C, with the weights of step 2 saved."""
    from nnet.train import Stopped, run_training

    trainer, data = _trainer(folder, steps=50, save_iters=100)
    real_step, calls = trainer.train_step, []

    def terminated(batch):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler runs at the next bytecode
        return real_step(batch)

    trainer.train_step = terminated
    try:
        run_training(trainer, data, progress=False)
    except Stopped as stop:
        saved = sorted(p.name for p in folder.glob("snapshot-*.index"))
        assert stop.signum == signal.SIGTERM and saved == ["snapshot-2.index"], (stop.signum, saved)
        return READ_RIGHT, f"stopped by signal {stop.signum}; saved {saved}"
    raise AssertionError("training ran on after SIGTERM")
