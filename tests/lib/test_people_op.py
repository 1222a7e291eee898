"""lib/people.hpp, through the predictor's binding (multiperson.predict.people_from_raw_outputs)
and the exported model's TensorFlow op (lib.people_op): both give the people of the numpy
reference pipeline (tests/grouping_reference.py)."""
import dataclasses
import os

import numpy as np
import pytest
from conftest import ROOT
import tensorflow as tf

import builders
import grouping_reference
from dataset.pairwise_stats import load_pairwise_stats
from dataset.synthetic import render_scene
from lib import people_op
from multiperson.graph import edge_gates, graph_arrays
from multiperson.oracle import OracleNoise, oracle_outputs
from multiperson.pairwise import load_spatial_model
from multiperson.predict import multiperson_settings_from_config, people_from_raw_outputs
from nnet.outputs import extract_cnn_output
from posecut.config import load_config

BUNDLED = os.path.join(ROOT, "models", "synthetic_multi",
                       "pose_cfg.yaml")


@pytest.fixture(scope="module")
def bundled():
    """Settings, statistics, spatial model and distance gates of the bundled model."""
    cfg = load_config(BUNDLED)
    settings = multiperson_settings_from_config(cfg)
    stats = load_pairwise_stats(cfg.resolve_path(cfg.pairwise_stats_fn), settings.num_joints)
    model = load_spatial_model(cfg.resolve_path(cfg.pairwise_model_dir), settings.num_joints)
    gates = edge_gates(stats.means, stats.stds, model, settings.edge_gate_stds)
    return settings, stats, model, gates


def _raw_outputs(people, height, width, stats, settings, seed):
    """Network-like raw outputs (batch axis, normalised, float32) of a synthetic scene."""
    rng = np.random.default_rng(seed)
    joints = render_scene(rng, height, width, people, min_height=90)[1]
    targets = dataclasses.replace(builders.targets(settings.num_joints, pos_dist_thresh=17),
                                  heads=settings.heads)  # the bundled model's (sparse) head
    noise = OracleNoise(score=0.3, locref_px=1.0, pairwise_px=2.0, pairwise_rel=0.1)
    return oracle_outputs(joints, (height, width), targets, stats.means, stats.stds, noise, seed)


def _op_people(raw, settings, stats, model, gates, slots=None):
    slots = settings.heads.pair_slots if slots is None else slots
    graph = graph_arrays(model, settings.pair_mask, gates, settings.offset_gate)
    return people_op.load().posecut_people(
        raw["part_prob"], raw["locref"], raw["pairwise_pred"], stats.means, stats.stds,
        np.asarray(slots, np.int32), graph.linked.astype(bool), graph.fitted.astype(bool), graph.coef, graph.bias,
        graph.same_coef, graph.same_bias, graph.max_dist2,
        np.array([settings.heads.stride, settings.nms_radius, graph.gate_px, graph.gate_rel]),
        locref_stdev=settings.heads.locref_stdev, det_min_score=settings.det_min_score,
        min_person_parts=settings.min_person_parts, duplicate_px=settings.duplicate_px)


@pytest.mark.parametrize("people,height,width,offset_gate,duplicate_px", [
    (1, 160, 160, True, None), (5, 240, 320, True, None), (20, 480, 640, True, None),
    (8, 240, 320, False, None), (8, 240, 320, True, 0.0), (20, 480, 640, True, 40.0)])
def test_op_and_binding_give_the_reference_pipelines_people(bundled, people, height, width, offset_gate,
                                                            duplicate_px):
    settings, stats, model, gates = bundled
    if not offset_gate:
        settings = dataclasses.replace(settings, offset_gate=None)
    if duplicate_px is not None:
        settings = dataclasses.replace(settings, duplicate_px=duplicate_px)
    raw = _raw_outputs(people, height, width, stats, settings, seed=people)
    outputs = extract_cnn_output(raw, settings.heads.locref_stdev, stats.means, stats.stds,
                                 settings.heads.pair_rows)
    want = grouping_reference.people_from_outputs(*outputs, model, settings, gates=gates)
    poses, scores = _op_people(raw, settings, stats, model, gates)
    assert len(want.poses) >= (people if not duplicate_px else 1)  # a wide radius drops crowded people
    np.testing.assert_array_equal(poses.numpy(), want.poses.astype(np.float32))
    np.testing.assert_array_equal(scores.numpy(), want.scores.astype(np.float32))
    timings = {}
    got = people_from_raw_outputs(raw, stats.means, stats.stds, model, settings, timings, gates)
    np.testing.assert_array_equal(got.poses, want.poses)
    np.testing.assert_allclose(got.scores, want.scores, rtol=1e-12)
    assert set(timings) == {"nms", "pairwise", "solver", "assembly"}


def test_binding_errors_name_the_output(bundled):
    settings, stats, model, gates = bundled
    raw = _raw_outputs(2, 160, 160, stats, settings, seed=4)
    with pytest.raises(ValueError, match=r"pairwise_pred: expected shape \(1, 20, 20, 440\)"):
        people_from_raw_outputs(dict(raw, pairwise_pred=raw["pairwise_pred"][..., 1:]),
                                stats.means, stats.stds, model, settings, None, gates)
    bad = dict(raw, part_prob=raw["part_prob"].copy())
    bad["part_prob"][0, 1, 2, 3] = np.nan
    with pytest.raises(ValueError, match=r"NaN score at .* = \(1, 2, 3\)"):
        people_from_raw_outputs(bad, stats.means, stats.stds, model, settings, None, gates)
    fitted = np.array(model.fitted, bool)
    fitted[5, 6] = fitted[6, 5] = False
    with pytest.raises(ValueError, match=r"no spatial model .* \(5, 6\)"):
        people_from_raw_outputs(raw, stats.means, stats.stds,
                                dataclasses.replace(model, fitted=fitted), settings, None, gates)
    with pytest.raises(ValueError, match="min_person_parts at least 1"):
        people_from_raw_outputs(raw, stats.means, stats.stds, model,
                                dataclasses.replace(settings, min_person_parts=0), None, gates)


def test_op_errors_name_the_input(bundled):
    settings, stats, model, gates = bundled
    raw = _raw_outputs(2, 160, 160, stats, settings, seed=3)
    bad = dict(raw, part_prob=raw["part_prob"].copy())
    bad["part_prob"][0, 4, 5, 6] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"NaN score at .* = \(4, 5, 6\)"):
        _op_people(bad, settings, stats, model, gates)
    with pytest.raises(tf.errors.InvalidArgumentError, match="locref: expected shape"):
        _op_people(dict(raw, locref=raw["locref"][:, :-1]), settings, stats, model, gates)
    fitted = np.array(model.fitted, bool)
    fitted[5, 6] = fitted[6, 5] = False
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"no spatial model .* \(5, 6\)"):
        _op_people(raw, settings, stats, dataclasses.replace(model, fitted=fitted), gates)
    slots = np.array(settings.heads.pair_slots)
    slots[0, 1] = -1  # a linked pair the head would not predict
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"linked part pair \(0, 1\) has no pairwise channel"):
        _op_people(raw, settings, stats, model, gates, slots)
    slots[0, 1] = 10_000
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"pair_slots: slot 10000 .* \(0, 1\)"):
        _op_people(raw, settings, stats, model, gates, slots)
    with pytest.raises(tf.errors.InvalidArgumentError, match="pair_slots: expected shape"):
        _op_people(raw, settings, stats, model, gates, slots[:3])


def test_build_is_skipped_while_the_library_is_newer_than_its_sources():
    path = people_op.build()
    before = os.path.getmtime(path)
    assert people_op.build() == path and os.path.getmtime(path) == before
    assert path == people_op.library_path()


def test_nan_outputs_and_statistics_are_named_not_lost(bundled):
    """NaN in the outputs at a candidate, or in the statistics, is an error naming the argument
    (they used to give no people and no error)."""
    settings, stats, model, gates = bundled
    raw = _raw_outputs(2, 160, 160, stats, settings, seed=5)
    people = people_from_raw_outputs(raw, stats.means, stats.stds, model, settings, None, gates)
    assert len(people.poses) >= 1
    for name in ("locref", "pairwise_pred"):
        bad = dict(raw, **{name: np.full_like(raw[name], np.nan)})
        with pytest.raises(ValueError, match=rf"{name}: NaN at \(row, col, part\)"):
            people_from_raw_outputs(bad, stats.means, stats.stds, model, settings, None, gates)
    means = stats.means.copy()
    means[3, 1] = np.nan
    with pytest.raises(ValueError, match="pairwise means: expected finite numbers, got nan at row 3"):
        people_from_raw_outputs(raw, means, stats.stds, model, settings, None, gates)
    with pytest.raises(ValueError, match="pairwise stds: expected positive numbers"):
        people_from_raw_outputs(raw, stats.means, stats.stds * 0, model, settings, None, gates)
