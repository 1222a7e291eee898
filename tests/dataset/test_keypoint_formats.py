"""Keypoint formats: bundled declarations are self-consistent and match published facts;
user YAML files load, register and are rejected with precise errors when malformed."""

import subprocess
import sys
from collections import deque
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
import yaml

from dataset import keypoint_formats as kf
from dataset.keypoint_formats import (
    DEFAULT_FORMAT,
    DEFAULT_SIGMA,
    KeypointFormat,
    get_format,
    joint_names,
    load_format,
    register_format,
    registered_formats,
)
from lib.errors import FormatError

EXPECTED_JOINTS = {
    "coco17": 17,
    "mpii14": 14,
    "mpii16": 16,
    "aic14": 14,
    "crowdpose14": 14,
    "ochuman": 17,
    "halpe26": 26,
    "halpe136": 136,
    "cocowholebody133": 133,
    "posetrack18": 17,
    "posetrack15": 15,
}
BUNDLED = sorted(EXPECTED_JOINTS)

# COCO keypoint evaluation sigmas, as published (times ten) in pycocotools.
COCO_SIGMAS_X10 = [.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62,
                   1.07, 1.07, .87, .87, .89, .89]
SIDES = ("left_", "right_", "l_", "r_")


@pytest.fixture(autouse=True)
def _fresh_user_registry(monkeypatch):
    """Each test starts with no user-registered formats, so tests cannot leak into each other."""
    monkeypatch.setattr(kf, "_user_formats", {})


def _side(name):
    return next((p for p in SIDES if name.startswith(p)), None)


def _connected(num_joints, edges):
    adjacency = {i: set() for i in range(num_joints)}
    for a, b in edges:
        adjacency[a].add(b)
        adjacency[b].add(a)
    seen, todo = {0}, deque([0])
    while todo:
        for nxt in adjacency[todo.popleft()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return len(seen) == num_joints


def test_registry_holds_exactly_the_bundled_formats():
    assert registered_formats() == BUNDLED


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_format_is_self_consistent(name):
    fmt = get_format(name)
    n = EXPECTED_JOINTS[name]
    assert fmt.name == name
    assert fmt.description
    assert fmt.num_joints == n == len(fmt.joints) == len(set(fmt.joints))
    assert fmt.sigmas_array().shape == (n,)
    assert np.all((fmt.sigmas_array() > 0) & (fmt.sigmas_array() < 0.2))

    flip = fmt.flip_index
    assert flip.shape == (n,)
    np.testing.assert_array_equal(flip[flip], np.arange(n))
    for a, b in fmt.flip_pairs:
        side_a, side_b = _side(fmt.joints[a]), _side(fmt.joints[b])
        if side_a or side_b:
            assert {side_a[0], side_b[0]} == {"l", "r"}, (fmt.joints[a], fmt.joints[b])
            assert fmt.joints[a][len(side_a):] == fmt.joints[b][len(side_b):]
    for i, joint in enumerate(fmt.joints):
        assert (_side(joint) is not None) == (flip[i] != i) or joint.startswith("face_"), joint

    edges = {frozenset(e) for e in fmt.skeleton}
    assert len(edges) == len(fmt.skeleton), "duplicate skeleton edge"
    assert _connected(n, fmt.skeleton)
    assert {frozenset(int(flip[i]) for i in e) for e in edges} == edges, "skeleton not mirror-symmetric"


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_yaml_round_trips_through_load_format(name):
    path = Path(kf.__file__).parent / "formats" / f"{name}.yaml"
    assert load_format(path) == get_format(name)


def test_coco17_published_facts():
    fmt = get_format("coco17")
    assert fmt.joints[5] == "left_shoulder" and fmt.sigmas[5] == 0.079
    assert fmt.index("right_ankle") == 16
    np.testing.assert_allclose(fmt.sigmas_array(), np.array(COCO_SIGMAS_X10) / 10)
    flip = fmt.flip_index
    assert (flip[0], flip[1], flip[2], flip[15], flip[16]) == (0, 2, 1, 16, 15)
    np.testing.assert_array_equal(flip, [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15])


def test_ochuman_uses_the_coco_layout():
    coco, och = get_format("coco17"), get_format("ochuman")
    assert och.joints == coco.joints and och.sigmas == coco.sigmas
    assert och.flip_pairs == coco.flip_pairs


def test_deepercut_all_joints():
    groups, names = get_format("mpii14").all_joints()
    assert groups == [[0, 5], [1, 4], [2, 3], [6, 11], [7, 10], [8, 9], [12], [13]]
    assert names == ["ankle", "knee", "hip", "wrist", "elbow", "shoulder", "chin", "forehead"]
    coco_groups, coco_names = get_format("coco17").all_joints()
    assert coco_groups == [[0]] + [[i, i + 1] for i in range(1, 17, 2)]
    assert coco_names[:3] == ["nose", "eye", "ear"]


def test_mpii_layouts():
    mpii16 = get_format("mpii16")
    assert [mpii16.index(j) for j in ("pelvis", "thorax", "upper_neck", "head_top")] == [6, 7, 8, 9]
    assert mpii16.joints[10] == "right_wrist" and mpii16.joints[15] == "left_wrist"
    assert mpii16.flip_index[10] == 15 and mpii16.flip_index[6] == 6
    for name in ("mpii14", "mpii16"):
        assert "no official" in get_format(name).description.lower()


def test_aic_and_crowdpose_published_facts():
    aic = get_format("aic14")
    assert aic.joints[0] == "right_shoulder" and aic.joints[12:] == ("head_top", "neck")
    assert aic.sigmas[0] == pytest.approx(0.01388152) and aic.sigmas[6] == pytest.approx(0.03909642)
    crowd = get_format("crowdpose14")
    assert crowd.joints[12:] == ("head", "neck")
    np.testing.assert_array_equal(crowd.flip_index, [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 12, 13])
    np.testing.assert_allclose(crowd.sigmas_array(), np.array(COCO_SIGMAS_X10[5:] + [.79, .79]) / 10)


def test_halpe_extends_coco():
    coco, h26, h136 = get_format("coco17"), get_format("halpe26"), get_format("halpe136")
    assert h26.joints[:17] == coco.joints and h26.sigmas[:17] == coco.sigmas
    assert h136.joints[:26] == h26.joints and h136.sigmas[:17] == coco.sigmas
    assert h26.joints[17:20] == ("head", "neck", "hip")
    assert h136.joints[26] == "face_1" and h136.joints[93] == "face_68"
    assert h136.joints[94] == "left_hand_root" and h136.joints[115] == "right_hand_root"
    assert h136.joints[135] == "right_pinky_finger4"
    assert set(h136.sigmas[26:]) == {0.015}
    assert h136.flip_index[94] == 115 and h136.flip_index[26] == 26 + 16


def test_wholebody_published_facts():
    coco, wb = get_format("coco17"), get_format("cocowholebody133")
    assert wb.joints[:17] == coco.joints and wb.sigmas[:17] == coco.sigmas
    assert wb.joints[17:23] == ("left_big_toe", "left_small_toe", "left_heel",
                                "right_big_toe", "right_small_toe", "right_heel")
    assert wb.joints[23] == "face_1" and wb.joints[90] == "face_68"
    assert wb.joints[91] == "left_hand_root" and wb.joints[111] == "left_pinky_finger4"
    assert wb.joints[112] == "right_hand_root" and wb.joints[132] == "right_pinky_finger4"
    assert wb.sigmas[17] == 0.068 and wb.sigmas[23] == 0.042 and wb.sigmas[70] == 0.034
    assert wb.sigmas[91] == wb.sigmas[112] == 0.029
    flip = wb.flip_index
    face = lambda k: 22 + k  # face_k, 1-based, as a joint index
    assert flip[face(1)] == face(17) and flip[face(9)] == face(9)  # jaw ends; chin stays
    assert flip[face(37)] == face(46) and flip[face(49)] == face(55)  # eye and mouth corners
    assert flip[91] == 112 and flip[99] == 120  # hand root, left/right forefinger4


def test_get_format_unknown_lists_registered_names():
    with pytest.raises(FormatError) as err:
        get_format("coco18")
    for name in BUNDLED:
        assert name in str(err.value)


def test_index_unknown_joint_suggests_nearest():
    with pytest.raises(FormatError, match="left_sholder.*left_shoulder"):
        get_format("coco17").index("left_sholder")


def test_bundled_formats_are_read_once():
    assert get_format("halpe136") is get_format("halpe136")


def test_module_does_not_import_tensorflow():
    code = "import sys, dataset.keypoint_formats; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


USER_YAML = """\
name: tripod
description: a toy three-legged layout
joints: [l_foot, r_foot, head]
flip_pairs: [[0, 1]]
skeleton: [[0, 2], [1, 2]]
sigmas: [0.05, 0.05, 0.1]
"""


def test_user_yaml_loads_registers_and_round_trips(tmp_path):
    path = tmp_path / "tripod.yaml"
    path.write_text(USER_YAML)
    fmt = load_format(path)
    assert fmt == KeypointFormat("tripod", "a toy three-legged layout", ("l_foot", "r_foot", "head"),
                                 ((0, 1),), ((0, 2), (1, 2)), (0.05, 0.05, 0.1))
    assert fmt.all_joints() == ([[0, 1], [2]], ["foot", "head"])
    np.testing.assert_array_equal(fmt.flip_index, [1, 0, 2])

    assert "tripod" not in registered_formats()
    register_format(fmt)
    assert get_format("tripod") == fmt and "tripod" in registered_formats()

    dumped = tmp_path / "again.yaml"
    dumped.write_text(yaml.safe_dump({
        "name": fmt.name, "description": fmt.description, "joints": list(fmt.joints),
        "flip_pairs": [list(p) for p in fmt.flip_pairs],
        "skeleton": [list(e) for e in fmt.skeleton], "sigmas": list(fmt.sigmas),
    }))
    assert load_format(dumped) == fmt


def test_register_refuses_a_different_format_under_a_taken_name(tmp_path):
    path = tmp_path / "tripod.yaml"
    path.write_text(USER_YAML)
    fmt = load_format(path)
    register_format(fmt)
    register_format(fmt)  # the same declaration again is harmless
    other = KeypointFormat("tripod", "", ("a", "b"), (), ((0, 1),), (0.1, 0.1))
    with pytest.raises(FormatError, match="already registered"):
        register_format(other)
    with pytest.raises(FormatError, match="already registered"):
        register_format(KeypointFormat("coco17", "", ("a",), (), (), (0.1,)))
    register_format(other, replace=True)
    assert get_format("tripod") == other


def test_register_validates_the_format():
    bad = KeypointFormat("broken", "", ("a", "b"), ((0, 0),), ((0, 5),), (0.1,))
    with pytest.raises(FormatError) as err:
        register_format(bad)
    message = str(err.value)
    assert "broken" in message and "flip_pairs" in message
    assert "skeleton" in message and "sigmas" in message
    assert "broken" not in registered_formats()


MALFORMED = {
    "skeleton index out of range": (
        USER_YAML.replace("[[0, 2], [1, 2]]", "[[0, 3]]"), ["'skeleton'", "out of range", "0..2"]),
    "flip self-pair": (
        USER_YAML.replace("[[0, 1]]", "[[2, 2]]"), ["'flip_pairs'", "two different joints"]),
    "flip pairs overlap": (
        USER_YAML.replace("[[0, 1]]", "[[0, 1], [1, 2]]"), ["'flip_pairs'", "disjoint", "1 (r_foot)"]),
    "flip pair not two ints": (
        USER_YAML.replace("[[0, 1]]", "[[0, 1, 2]]"), ["'flip_pairs'", "pair of integers"]),
    "negative sigma": (
        USER_YAML.replace("0.05, 0.05, 0.1", "0.05, -0.05, 0.1"), ["'sigmas'", "entry 1", "positive"]),
    "sigma not a number": (
        USER_YAML.replace("0.05, 0.05, 0.1", "0.05, wide, 0.1"), ["'sigmas'", "entry 1", "'wide'"]),
    "sigma count": (
        USER_YAML.replace("0.05, 0.05, 0.1", "0.05, 0.05"), ["'sigmas'", "one per joint (3)", "got 2"]),
    "duplicate joint": (
        USER_YAML.replace("r_foot", "l_foot"), ["'joints'", "unique", "l_foot"]),
    "joints not names": (
        USER_YAML.replace("[l_foot, r_foot, head]", "3"), ["'joints'", "list of joint names"]),
    "missing field": (
        USER_YAML.replace("joints: [l_foot, r_foot, head]\n", ""), ["'joints'", "missing"]),
    "unknown field": (
        USER_YAML.replace("skeleton:", "skeletons:"), ["'skeletons'", "did you mean 'skeleton'"]),
    "empty name": (
        USER_YAML.replace("name: tripod", "name: ''"), ["'name'", "non-empty string"]),
    "not a mapping": ("- just\n- a list\n", ["expected a mapping"]),
    "not YAML": ("name: [unclosed\n", ["not valid YAML"]),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_yaml_names_file_and_field(tmp_path, case):
    text, expected = MALFORMED[case]
    path = tmp_path / "user_format.yaml"
    path.write_text(text)
    with pytest.raises(FormatError) as err:
        load_format(path)
    message = str(err.value)
    assert str(path) in message
    for fragment in expected:
        assert fragment in message, (fragment, message)


def test_all_problems_are_listed_at_once(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text(USER_YAML.replace("[[0, 1]]", "[[1, 1]]").replace("[[0, 2], [1, 2]]", "[[0, 9]]")
                    .replace("0.05, 0.05, 0.1", "0.05, 0"))
    with pytest.raises(FormatError) as err:
        load_format(path)
    message = str(err.value)
    for field in ("'flip_pairs'", "'skeleton'", "'sigmas', entry 1", "one per joint"):
        assert field in message


def test_missing_file_is_a_format_error(tmp_path):
    path = tmp_path / "absent.yaml"
    with pytest.raises(FormatError, match="absent.yaml"):
        load_format(path)


def test_a_file_that_is_not_utf8_or_nests_too_deep_is_a_format_error(tmp_path):
    from dataset.joint_mappings import load_mapping

    latin = tmp_path / "latin.yaml"
    latin.write_bytes(USER_YAML.replace("l_foot", "l_fo\xf6t").encode("latin-1"))
    with pytest.raises(FormatError, match=r"latin.yaml: expected a UTF-8 text \(YAML\) file"):
        load_format(latin)
    with pytest.raises(FormatError, match=r"latin.yaml: expected a UTF-8 text \(YAML\) file"):
        load_mapping(latin)
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * 50000 + "]" * 50000)
    with pytest.raises(FormatError, match="deep.yaml: not valid YAML"):
        load_format(deep)


def test_sigmas_are_optional_with_the_stated_default(tmp_path):
    path = tmp_path / "tripod.yaml"
    path.write_text(USER_YAML.replace("sigmas: [0.05, 0.05, 0.1]\n", ""))
    fmt = load_format(path)
    assert fmt.sigmas == (DEFAULT_SIGMA,) * 3


def test_get_format_reads_a_yaml_file_as_well_as_a_name(tmp_path):
    path = tmp_path / "tripod.yaml"
    path.write_text(USER_YAML)
    fmt = get_format(str(path))
    assert fmt.name == "tripod" and fmt.joints == ("l_foot", "r_foot", "head")
    assert "tripod" not in registered_formats()  # read, not registered
    with pytest.raises(FormatError, match="absent.yaml"):
        get_format(str(tmp_path / "absent.yaml"))


def test_an_unnamed_format_keeps_the_names_and_mirrors_nothing():
    from dataset.keypoint_formats import unnamed_format

    fmt = unnamed_format(("snout", "tail"))
    assert fmt.joints == ("snout", "tail") and fmt.num_joints == 2 and fmt.name == ""
    np.testing.assert_array_equal(fmt.flip_index, [0, 1])
    assert fmt.skeleton == () and fmt.sigmas_array().shape == (2,) and (fmt.sigmas_array() > 0).all()


def test_joint_names_follow_the_format_or_number_the_joints():
    assert joint_names(DEFAULT_FORMAT, 17) == tuple(get_format("coco17").joints)
    assert joint_names(None, 3) == ("joint0", "joint1", "joint2")
    with pytest.raises(FormatError, match="has 17 joints, expected 5"):
        joint_names("coco17", 5)
