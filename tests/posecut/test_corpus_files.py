"""The pieces of a distributed run that need no cluster: files written whole or not at all, the
manifest of finished inputs, the run-wide files merged from parts, list files of inputs, and the
options a --ray run refuses."""
import argparse
import json
import os

import numpy as np
import pytest

from lib.errors import DatasetError, PosecutError
from posecut.corpus.atomic import (TEMPORARY_MARK, atomic_path, read_pickle, remove_leftovers,
                                   write_json, write_pickle)
from posecut.corpus.options import ray_arguments, refuse_with_ray
from posecut.corpus.manifest import MANIFEST, Manifest
from posecut.corpus.merge import merge_predictions
from posecut.corpus.run import network_resources
from posecut.inputs import expand_lists, list_inputs
from posecut.predict_files import predict_images


def test_a_file_is_replaced_only_when_its_writer_finishes(tmp_path):
    target = tmp_path / "out" / "results.json"
    write_json(target, [1, 2])
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            assert temporary.endswith(".json") and TEMPORARY_MARK in temporary
            with open(temporary, "w") as f:
                f.write("[3, ")
            raise RuntimeError("killed")
    assert json.loads(target.read_text()) == [1, 2]
    assert os.listdir(target.parent) == ["results.json"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    write_pickle(tmp_path / "part.pkl", {"a": np.arange(3)})
    assert read_pickle(tmp_path / "part.pkl")["a"].tolist() == [0, 1, 2]


def test_a_rerun_removes_what_killed_writers_left_and_nothing_else(tmp_path):
    (tmp_path / f".image1{TEMPORARY_MARK}x1.png").write_bytes(b"half")
    (tmp_path / "image1.png").write_bytes(b"whole")
    (tmp_path / ".hidden").write_bytes(b"kept")
    assert remove_leftovers(tmp_path) == [str(tmp_path / f".image1{TEMPORARY_MARK}x1.png")]
    assert sorted(os.listdir(tmp_path)) == [".hidden", "image1.png"]
    assert remove_leftovers(tmp_path / "absent") == []


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_the_manifest_records_each_input_once_and_survives_a_line_cut_short(tmp_path):
    settings = {"command": "predict", "config": "/m/pose_cfg.yaml", "weights": None}
    manifest = Manifest(str(tmp_path), settings)
    manifest.record("/a.png", kind="image", part=".corpus/x.pkl", slot=0)
    manifest.record("/a.png", kind="image", part=".corpus/y.pkl", slot=1)
    manifest.record("/b.mp4", kind="video", frames=3)
    with open(tmp_path / MANIFEST, "a") as f:
        f.write('{"input": "/c.png", "ki')
    again = Manifest(str(tmp_path), settings)
    assert again.finished("/a.png")["part"] == ".corpus/x.pkl"
    assert again.finished("/b.mp4")["frames"] == 3 and again.finished("/c.png") is None
    again.record("/c.png", kind="image", part=".corpus/z.pkl", slot=0)
    assert Manifest(str(tmp_path), settings).finished("/c.png")["slot"] == 0
    with pytest.raises(PosecutError, match=r"manifest\.jsonl: written by a run with other settings "
                                           r"\(weights: None -> '/w'\)"):
        Manifest(str(tmp_path), {**settings, "weights": "/w"})


class _Fixed:
    """A predictor: the same two people in every image."""

    def __call__(self, image):
        from multiperson.assemble import People

        poses = np.array([[[5.0, 6.0, 0.9], [7.0, 8.0, 0.0]], [[1.0, 2.0, 0.5], [3.0, 4.0, 0.7]]])
        return People(poses, np.array([0.8, 0.6]))


def test_merged_files_equal_those_of_one_process(tmp_path):
    import imageio.v3 as iio

    paths = []
    for k in range(3):
        paths.append(str(tmp_path / f"i{k}.png"))
        iio.imwrite(paths[-1], np.full((4 + k, 6, 3), 9, np.uint8))
    (tmp_path / "bad.png").write_bytes(b"x")
    paths.insert(1, str(tmp_path / "bad.png"))
    from posecut.pose_table import PoseTable

    one = tmp_path / "one"
    one.mkdir()
    with PoseTable(one / "poses.csv", ["a", "b"]) as table:
        results, records, _ = predict_images(_Fixed(), paths, (), progress=False, table=table)
    people = _Fixed()(None)
    part = {"paths": paths, "errors": [None, "bad", None, None],
            "sizes": [None if k == 1 else (4 + k - (k > 1), 6) for k in range(4)],
            "poses": [people.poses] * 4, "scores": [people.scores] * 4}
    write_pickle(tmp_path / "part.pkl", part)
    slots = [None if k == 1 else (str(tmp_path / "part.pkl"), k) for k in range(4)]
    many = tmp_path / "many"
    many.mkdir()
    merged, merged_records, tables = merge_predictions(str(many), paths, slots, [], [], ["a", "b"])
    assert merged == results and merged_records == records
    assert (many / "poses.csv").read_bytes() == (one / "poses.csv").read_bytes()
    assert json.loads((many / "results.json").read_text()) == results
    assert tables == [str(many / "poses.csv")]


def test_list_files_name_inputs_relative_to_themselves(tmp_path):
    import imageio.v3 as iio

    (tmp_path / "sub").mkdir()
    iio.imwrite(tmp_path / "sub" / "a.png", np.zeros((4, 4, 3), np.uint8))
    (tmp_path / "v.mp4").write_bytes(b"")
    listing = tmp_path / "inputs.txt"
    listing.write_text("# corpus\nsub/a.png\n\nv.mp4\n")
    assert expand_lists([str(listing)]) == [str(tmp_path / "sub/a.png"), str(tmp_path / "v.mp4")]
    assert list_inputs([listing]) == ([str(tmp_path / "sub/a.png")], [str(tmp_path / "v.mp4")])
    listing.write_text("sub/a.png\nmissing.png\n")
    with pytest.raises(DatasetError, match=r"inputs\.txt: line 2: missing\.png: no such file"):
        expand_lists([str(listing)])


def _args(*argv):
    parser = argparse.ArgumentParser()
    ray_arguments(parser, chunks=True)
    return parser.parse_args(argv)


def test_ray_options_are_checked_before_anything_starts():
    assert _args().ray is None and _args("--ray").ray == "local"
    assert _args("--ray", "10.0.0.1:6379").ray == "10.0.0.1:6379"
    with pytest.raises(PosecutError, match="--workers: counts the network actors of a --ray run"):
        refuse_with_ray(_args("--workers", "2"))
    with pytest.raises(PosecutError, match="--workers: expected at least 1, got 0"):
        refuse_with_ray(_args("--ray", "--workers", "0"))
    with pytest.raises(PosecutError, match="--ray: --tflite runs in one process only"):
        refuse_with_ray(_args("--ray"), **{"--tflite": "model.tflite"})
    refuse_with_ray(_args("--ray"), **{"--tflite": None})


def test_one_network_actor_per_gpu_else_per_two_cores():
    assert network_resources(None, {"CPU": 2.0}) == (1, 0.25, 0.0)
    assert network_resources(None, {"CPU": 16.0}) == (8, 0.25, 0.0)
    assert network_resources(None, {"CPU": 16.0, "GPU": 4.0}) == (4, 1.0, 1.0)
    assert network_resources(3, {"CPU": 2.0}) == (3, 0.25, 0.0)
