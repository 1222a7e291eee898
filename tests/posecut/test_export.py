"""posecut.export: the SavedModel and TFLite give the outputs (and people) of their source."""
import dataclasses
import json
import os

import imageio.v3 as iio
import numpy as np
import pytest
from conftest import ROOT

from dataset.pairwise_stats import PairwiseStats, save_pairwise_stats
from multiperson.pairwise import SpatialModel, load_spatial_model, save_spatial_model
from nnet.checkpoint import save_weights
from nnet.pose_net import build_pose_net, spec_from_config
from nnet.outputs import predict_single_person
from nnet.predict import setup_pose_prediction
from posecut.build import setup_multiperson_prediction, setup_prediction, setup_tflite_prediction
from posecut.cli import main
from posecut.config import config_from_dict, load_config, save_config
from dataset.synthetic import generate_dataset
from lib.errors import CheckpointError, DatasetError, InputError
from posecut.export import (calibration_images, export_saved_model, export_tflite, load_exported,
                            tflite_forward)

pytestmark = pytest.mark.slow

J = 4


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny multi-person model on disk: config, random weights, statistics, spatial model."""
    folder = tmp_path_factory.mktemp("model")
    rng = np.random.default_rng(0)
    pairs = J * (J - 1)
    save_pairwise_stats(PairwiseStats(rng.normal(0, 20, (pairs, 2)), 5 + rng.random((pairs, 2)),
                                      np.full(pairs, 10)), folder / "stats.mat")
    model = SpatialModel.empty(J)
    for k in range(J):
        for m in range(k + 1, J):
            model = model.with_pair(k, m, rng.normal(size=9), np.zeros(8), np.ones(8) * 50)
    save_spatial_model(model, folder / "spatial")
    cfg = config_from_dict({"num_joints": J, "net_type": "mobilenet_v2_0.35",
                            "location_refinement": True, "pairwise_predict": True,
                            "pairwise_stats_fn": "stats.mat", "pairwise_model_dir": "spatial",
                            "det_min_score": 0.3, "min_person_parts": 1},
                           source=str(folder / "pose_cfg.yaml"), config_dir=str(folder))
    save_config(cfg, folder / "pose_cfg.yaml")
    weights = save_weights(build_pose_net(spec_from_config(cfg)), folder / "weights")
    return cfg, weights, folder


def test_saved_model_gives_the_same_people(trained, tmp_path):
    cfg, weights, _ = trained
    export_saved_model(cfg, weights, tmp_path / "saved")
    loaded_cfg, exported = load_exported(tmp_path / "saved")
    assert loaded_cfg.num_joints == J and loaded_cfg.pairwise_model_dir == "pairwise_model"
    original = setup_multiperson_prediction(cfg, weights)
    image = np.random.default_rng(1).integers(0, 255, (72, 88, 3), dtype=np.uint8)
    want, got = original.network(image), exported.network(image)
    for name in ("part_prob", "locref", "pairwise_pred"):
        np.testing.assert_allclose(got[name], want[name], atol=1e-5)
    # the serving signature's people: the Python pipeline's, rounded to float32
    people, exported_people = original(image), exported(image)
    assert len(people.poses) > 0
    np.testing.assert_array_equal(exported_people.poses, people.poses.astype(np.float32))
    np.testing.assert_array_equal(exported_people.scores, people.scores.astype(np.float32))


def test_bundled_model_exports_with_the_same_people_on_the_bundled_image(tmp_path):
    root = ROOT
    cfg = load_config(os.path.join(root, "models", "synthetic_multi", "pose_cfg.yaml"))
    weights = os.path.join(root, "models", "synthetic_multi", "model", "weights")
    export_saved_model(cfg, weights, tmp_path / "saved")
    _, exported = load_exported(tmp_path / "saved")
    image = iio.imread(os.path.join(root, "demo", "images", "people.png"))[..., :3]
    people, exported_people = setup_multiperson_prediction(cfg, weights)(image), exported(image)
    assert len(people.poses) >= 6  # the image shows six
    np.testing.assert_array_equal(exported_people.poses, people.poses.astype(np.float32))
    np.testing.assert_array_equal(exported_people.scores, people.scores.astype(np.float32))


def test_single_person_model_exports_its_argmax_pose(trained, tmp_path):
    cfg, _, _ = trained
    single = cfg.replace(pairwise_predict=False, pairwise_stats_fn="", pairwise_model_dir="")
    weights = save_weights(build_pose_net(spec_from_config(single)), tmp_path / "weights")
    export_saved_model(single, weights, tmp_path / "saved")
    _, exported = load_exported(tmp_path / "saved")
    image = np.random.default_rng(3).integers(0, 255, (72, 88, 3), dtype=np.uint8)
    pose = predict_single_person(setup_pose_prediction(single, weights), image)
    people = exported(image)
    assert people.poses.shape == (1, J, 3)
    np.testing.assert_allclose(people.poses[0], pose, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(people.scores, [pose[:, 2].mean()], rtol=1e-6)


def test_tflite_gives_the_same_outputs(trained, tmp_path):
    """TFLite computes in float32 even where the config asks for bfloat16 (precision auto does
    on CPUs with avx512_bf16), and gives the float32 network's outputs."""
    cfg, weights, _ = trained
    path = export_tflite(cfg.replace(precision="bfloat16"), weights, tmp_path / "model.tflite",
                         64, 80)
    run = tflite_forward(path)
    original = setup_multiperson_prediction(cfg.replace(precision="float32"), weights)
    image = np.random.default_rng(2).integers(0, 255, (64, 80, 3), dtype=np.uint8)
    want, got = original.network(image), run(image)
    assert set(got) == set(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], atol=1e-4)


def test_int8_tflite_is_calibrated_on_the_training_images_and_stays_close(trained, tmp_path,
                                                                          capsys):
    """Post-training int8 of the bundled model: under half the float32 file's size, its outputs
    close to float32's (within a fifth of their range anywhere, a fiftieth on average; AP is
    bench/bench_int8.py's); calibration images come from the config's
    training data set, and the command writes it."""
    root = ROOT
    bundled = load_config(os.path.join(root, "models", "synthetic_multi", "pose_cfg.yaml"))
    bundled_weights = os.path.join(root, "models", "synthetic_multi", "model", "weights")
    data = generate_dataset(tmp_path / "data", 5, 64, 80, people=(1, 3), seed=3)
    images = calibration_images(bundled.replace(dataset=data), count=3)
    assert len(images) == 3 and images[0].shape == (64, 80, 3)
    floats = export_tflite(bundled, bundled_weights, tmp_path / "f32.tflite", 64, 80)
    quantised = export_tflite(bundled, bundled_weights, tmp_path / "int8.tflite", 64, 80, images)
    assert os.path.getsize(quantised) < 0.5 * os.path.getsize(floats)
    image = iio.imread(tmp_path / "data" / "000004.png")[..., :3]  # not a calibration image
    want, got = tflite_forward(floats)(image), tflite_forward(quantised)(image)
    for name in want:
        spread = float(want[name].max() - want[name].min())
        error = np.abs(got[name] - want[name])
        assert spread > 0.1 and error.max() < 0.2 * spread and error.mean() < 0.02 * spread, name
    with pytest.raises(DatasetError, match="no calibration image"):
        export_tflite(bundled, bundled_weights, tmp_path / "none.tflite", 64, 80, [])

    cfg, weights, folder = trained
    coco = json.load(open(data))
    for person in coco["annotations"]:  # the tiny model's J joints: the first J of COCO's
        person["keypoints"] = person["keypoints"][:3 * J]
        person["num_keypoints"] = sum(v > 0 for v in person["keypoints"][2::3])
    coco["categories"][0]["keypoints"] = coco["categories"][0]["keypoints"][:J]
    coco["categories"][0]["skeleton"] = []
    with open(tmp_path / "data" / "four.json", "w") as handle:
        json.dump(coco, handle)
    save_config(cfg.replace(dataset=str(tmp_path / "data" / "four.json"), dataset_type="coco"),
                folder / "with_data.yaml")
    assert main(["export", str(folder / "with_data.yaml"), "--weights", weights, "--output",
                 str(tmp_path / "saved"), "--tflite", str(tmp_path / "cli.tflite"),
                 "--tflite-size", "32", "48", "--int8", "2"]) == 0
    assert "int8, calibrated on 2 training images" in capsys.readouterr().out
    assert main(["export", str(folder / "with_data.yaml"), "--weights", weights, "--output",
                 str(tmp_path / "saved2"), "--int8"]) == 2
    assert "--int8: quantises the TFLite model; give --tflite FILE too" in capsys.readouterr().err


def test_errors_and_the_command(trained, tmp_path, capsys):
    cfg, weights, folder = trained
    with pytest.raises(CheckpointError, match="TFLite export is for the light"):
        export_tflite(cfg.replace(net_type="resnet_50"), weights, tmp_path / "x.tflite", 32, 32)
    with pytest.raises(CheckpointError, match="not an exported model"):
        load_exported(tmp_path)
    partial = load_spatial_model(folder / "spatial", J)
    fitted = partial.fitted.copy()
    fitted[1, 2] = fitted[2, 1] = False
    save_spatial_model(dataclasses.replace(partial, fitted=fitted), tmp_path / "partial")
    with pytest.raises(CheckpointError, match=r"no spatial model for the linked part pair \(1, 2\)"):
        export_saved_model(cfg.replace(pairwise_model_dir=str(tmp_path / "partial")), weights,
                           tmp_path / "never")
    assert main(["export", str(folder / "pose_cfg.yaml"), "--weights", weights, "--output",
                 str(tmp_path / "cli"), "--tflite", str(tmp_path / "cli.tflite"),
                 "--tflite-size", "32", "48"]) == 0
    out = capsys.readouterr().out
    assert "SavedModel written" in out and "TFLite written" in out
    assert (tmp_path / "cli.tflite").stat().st_size > 0


def test_tracking_runs_after_the_exported_network_as_after_the_pipeline(tmp_path):
    """The SavedModel keeps people per frame; its assets carry the temporal model, and tracking
    fed by its network signature follows the same people as tracking fed by the pipeline's."""
    from posecut.build import tracker_factory
    from posecut.tracking_run import track_frames
    from nnet.predict import setup_pose_prediction

    root = ROOT
    cfg = load_config(os.path.join(root, "models", "synthetic_multi", "pose_cfg.yaml"))
    weights = os.path.join(root, "models", "synthetic_multi", "model", "weights")
    export_saved_model(cfg, weights, tmp_path / "saved")
    exported_cfg, exported = load_exported(tmp_path / "saved")
    assert exported_cfg.temporal_model == "temporal_model.npz"
    image = iio.imread(os.path.join(root, "demo", "images", "people.png"))[..., :3]
    frames = [(f"f{k}", np.roll(image, 3 * k, axis=1)) for k in range(5)]
    ours = list(track_frames(frames, setup_pose_prediction(cfg, weights), tracker_factory(cfg)(), 1.0))
    theirs = list(track_frames(frames, exported.network, tracker_factory(exported_cfg)(), 1.0))
    assert len(ours) == len(theirs) == 5
    for (_, _, a), (_, _, b) in zip(ours, theirs):
        np.testing.assert_array_equal(a.track_ids, b.track_ids)
        np.testing.assert_allclose(a.poses, b.poses, atol=1e-2)
    assert len({int(t) for _, _, p in ours for t in p.track_ids}) >= 6


def test_predict_runs_the_network_from_a_tflite_file(tmp_path, capsys):
    """`posecut predict --tflite`: the float32 TFLite model finds the TensorFlow float32 model's
    people; a smaller image is padded, a larger one refused, and an int8 model runs too."""
    root = ROOT
    config = os.path.join(root, "models", "synthetic_multi", "pose_cfg.yaml")
    cfg = load_config(config).replace(precision="float32")
    weights = os.path.join(root, "models", "synthetic_multi", "model", "weights")
    image = iio.imread(os.path.join(root, "demo", "images", "people.png"))[::4, ::4, :3]  # 120 x 160
    path = export_tflite(cfg, weights, tmp_path / "f32.tflite", 120, 160)
    want = setup_multiperson_prediction(cfg, weights)(image)
    got = setup_tflite_prediction(cfg, path)(image)
    assert len(want.poses) >= 2 and got.poses.shape == want.poses.shape
    np.testing.assert_allclose(got.poses, want.poses, atol=1e-2)
    small = setup_tflite_prediction(cfg, path)(image[:100, :140])
    assert len(small.poses) >= 1 and small.poses[..., 0].max() < 140
    with pytest.raises(InputError, match="larger than the TFLite model's input of 120x160"):
        setup_tflite_prediction(cfg, path)(np.zeros((121, 160, 3), np.uint8))
    quantised = export_tflite(cfg, weights, tmp_path / "int8.tflite", 120, 160, [image, image[:, ::-1]])
    iio.imwrite(tmp_path / "people.png", image)
    assert main(["predict", str(tmp_path / "people.png"), "--config", config, "--tflite",
                 quantised, "--output", str(tmp_path / "out"), "--no-progress"]) == 0
    assert "1 images:" in capsys.readouterr().out
    assert json.load(open(tmp_path / "out" / "results.json"))
    assert main(["predict", str(tmp_path / "people.png"), "--tflite", str(tmp_path / "none")]) == 2
    assert "none: no such file or folder (expected a TFLite model" in capsys.readouterr().err


def test_a_single_animal_model_predicts_from_a_tflite_file(tmp_path):
    """Without the pairwise head, `--tflite` gives TensorFlow's argmax pose (a DeepLabCut-style
    model: the bundled network's part and locref heads)."""
    root = ROOT
    cfg = load_config(os.path.join(root, "models", "synthetic_multi", "pose_cfg.yaml"))
    single = cfg.replace(pairwise_predict=False, precision="float32")
    weights = os.path.join(root, "models", "synthetic_multi", "model", "weights")
    image = iio.imread(os.path.join(root, "demo", "images", "person.png"))[..., :3]
    height, width = image.shape[:2]
    path = export_tflite(single, weights, tmp_path / "single.tflite", height, width)
    want = setup_prediction(single, weights)(image)
    got = setup_tflite_prediction(single, path)(image)
    assert got.poses.shape == want.poses.shape == (1, single.num_joints, 3)
    np.testing.assert_allclose(got.poses, want.poses, atol=1e-2)


def test_an_int8_export_checks_its_accuracy_and_predict_uses_it_only_if_it_passed(tmp_path, capsys):
    """`posecut export --int8 --check` records AP in int8 and float32 beside the file;
    `posecut predict --backend auto` times both networks and leaves out an int8 file whose
    record is missing or more than one point lower; --backend forces either."""
    from posecut.int8_check import tflite_info, write_tflite_info

    root = ROOT
    bundled = load_config(os.path.join(root, "models", "synthetic_multi", "pose_cfg.yaml"))
    weights = os.path.join(root, "models", "synthetic_multi", "model", "weights")
    data = generate_dataset(tmp_path / "data", 4, 64, 80, people=(1, 3), seed=3)
    config = tmp_path / "cfg.yaml"
    save_config(bundled.replace(
        dataset=data, pairwise_stats_fn=bundled.resolve_path(bundled.pairwise_stats_fn),
        pairwise_model_dir=bundled.resolve_path(bundled.pairwise_model_dir),
        temporal_model=bundled.resolve_path(bundled.temporal_model)), config)
    model = str(tmp_path / "int8.tflite")
    assert main(["export", str(config), "--weights", weights, "--output", str(tmp_path / "saved"),
                 "--tflite", model, "--check", data]) == 2
    assert "--check: checks the int8 model's accuracy" in capsys.readouterr().err
    assert main(["export", str(config), "--weights", weights, "--output", str(tmp_path / "saved"),
                 "--tflite", model, "--int8", "--check", data, "--check-images", "0"]) == 2
    assert "--check-images: expected at least 1 image, got 0" in capsys.readouterr().err
    assert main(["export", str(config), "--weights", weights, "--output", str(tmp_path / "saved"),
                 "--tflite", model, "--tflite-size", "64", "80", "--int8", "2", "--check", data,
                 "--check-images", "3"]) == 0
    out = capsys.readouterr().out
    check = tflite_info(model)["check"]
    assert check["metric"] == "AP" and check["images"] == 3
    assert f"int8 check on 3 images of {data}: AP {check['int8']:.2f} in int8" in out
    assert 0 <= check["int8"] <= 100 and 0 <= check["float32"] <= 100

    image = str(tmp_path / "data" / "000000.png")
    common = [image, "--config", str(config), "--weights", weights, "--tflite", model,
              "--output", str(tmp_path / "out"), "--no-progress", "--no-draw"]
    write_tflite_info(model, {"check": dict(check, float32=50.0, int8=45.0)})
    assert main(["predict", *common]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("network: TensorFlow ") and "(the fastest usable" in lines[0]
    assert "TFLite int8" in lines[2] and "not used, AP 45.00 against float32's 50.00" in lines[2]
    write_tflite_info(model, {"check": dict(check, float32=50.0, int8=49.5)})
    assert main(["predict", *common]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "not used" not in "\n".join(lines[:3]) and "ms" in lines[1] and "ms" in lines[2]
    assert main(["predict", *common, "--backend", "tflite"]) == 0
    assert capsys.readouterr().out.startswith("network: TFLite int8 (by --backend)")
    write_tflite_info(model, {"check": None})
    assert main(["predict", *common, "--backend", "tflite"]) == 0
    assert "(by --backend; its accuracy was not checked" in capsys.readouterr().out
    assert main(["predict", *common[:5], "--backend", "tflite"]) == 2
    assert "--backend tflite: give the TFLite file" in capsys.readouterr().err


def test_a_float32_tflite_file_of_other_weights_is_not_used(trained, tmp_path):
    """The auto choice checks a float32 file's outputs against TensorFlow float32's: a file of
    the same network with other weights disagrees and is left out, the right one agrees."""
    from posecut.build import choose_network, network_candidates

    cfg, weights, folder = trained
    right = export_tflite(cfg, weights, tmp_path / "right.tflite", 32, 48)
    from nnet.checkpoint import load_weights

    model = build_pose_net(spec_from_config(cfg))
    load_weights(model, weights, spec_from_config(cfg))
    rng = np.random.default_rng(5)
    for variable in model.weights:
        variable.assign(variable.numpy() + rng.normal(0, 0.05, variable.shape).astype(np.float32))
    other = save_weights(model, tmp_path / "other")
    wrong = export_tflite(cfg, other, tmp_path / "wrong.tflite", 32, 48)
    probe = np.random.default_rng(4).integers(0, 255, (32, 48, 3), dtype=np.uint8)
    tensorflow = cfg.replace(precision="float32")
    for path, usable in ((right, True), (wrong, False)):
        candidates = network_candidates(tensorflow, weights, path)
        assert [c.name for c in candidates] == ["TensorFlow float32", "TFLite float32"]
        _, text = choose_network(tensorflow, candidates, probe, weights)
        assert ("TFLite float32   " in text) and (("not used, its outputs differ" in text) != usable)
    _, text = choose_network(tensorflow, network_candidates(tensorflow, weights, right), None,
                             weights)
    assert text.startswith("network: TensorFlow float32 (the fastest usable, timed on a noise "
                           "image (no input could be read) at 480x640")
    assert "TFLite float32   cannot run it: not used" in text
    with pytest.raises(InputError):
        choose_network(tensorflow, network_candidates(tensorflow, None, right), probe)[0](
            np.zeros((40, 48, 3), np.uint8))
