"""Composition: the predictors, the grouping assets and the training run, built from a loaded config.

The one place where a config's values become the library's typed settings and loaded files
(detectron2's thin ``build_*_from_config`` tier); the library packages below take values only.
"""
import os

import numpy as np

from dataset.augment import augment_settings_from_config
from dataset.loaders import load_dataset, load_dataset_from_config
from dataset.pairwise_stats import PairwiseStats, load_pairwise_stats
from dataset.targets import target_settings_from_config
from lib.errors import ConfigError, PosecutError
from multiperson.evaluation import network_outputs_fn, oracle_outputs_fn
from multiperson.graph import edge_gates
from multiperson.pairwise import load_spatial_model
from multiperson.temporal_model import load_temporal_model
from multiperson.predict import (GroupingAssets, MultiPersonPredictor, SinglePersonPredictor,
                                 multiperson_settings_from_config)
from nnet.outputs import scale_image
from posecut.backend_choice import Candidate, choose, describe_choice, time_candidates
from posecut.int8_check import accuracy_check, fits, int8_verdict, tflite_info, write_tflite_info
from posecut.tracking_run import make_tracker, sigmas_of, temporal_model_path, track_settings_from_config
from posecut.workers import require_cluster

__all__ = ["check_int8_export", "check_training_config", "choose_network", "convert_checkpoint",
           "grouping_assets_from_config", "network_candidates", "outputs_source",
           "pairwise_stats_from_config", "predictor_from_network", "records_from_config",
           "skip_reasons",
           "setup_multiperson_prediction", "setup_prediction", "setup_tflite_prediction",
           "tflite_network", "tracker_factory", "train"]


def pairwise_stats_from_config(cfg, path=None) -> PairwiseStats:
    """The pairwise statistics of a loaded config (``path`` or its pairwise_stats_fn), scaled by
    its global_scale, their graph 1-based for a model in DeeperCut's Caffe order
    (tensorflow_pairwise_order: false): the one place they are read from a config."""
    return load_pairwise_stats(path or cfg.resolve_path(cfg.pairwise_stats_fn), cfg.num_joints,
                               scale=cfg.global_scale, one_based=not cfg.tensorflow_pairwise_order)


def records_from_config(cfg, path, max_images=None, dataset_type=None):
    """(the first ``max_images`` records of the labelled images at ``path``, read with the config's
    loader or ``dataset_type``; why the loader skipped records, one line each)."""
    data = load_dataset(dataset_type or cfg.dataset_type, path, num_joints=cfg.num_joints,
                        keypoint_format=cfg.keypoint_format,
                        allow_absolute_paths=cfg.allow_absolute_image_paths)
    records = list(data.records)
    return (records[:max_images] if max_images else records), skip_reasons(data)


def skip_reasons(data) -> list:
    """Why a loaded data set's loader skipped records, one line each (a bare path is a missing image)."""
    return [f"{s}: image file not found" if os.path.isabs(s) else s for s in data.skipped]


def setup_prediction(cfg, weights=None):
    """The predictor a loaded config's heads call for: grouping into people with the pairwise
    head (setup_multiperson_prediction), else the argmax pose of one person per image."""
    from nnet.predict import setup_pose_prediction

    if cfg.pairwise_predict:
        return setup_multiperson_prediction(cfg, weights)
    cfg.require_joints()
    return SinglePersonPredictor(setup_pose_prediction(cfg, weights), float(cfg.global_scale))


def grouping_assets_from_config(cfg, model_dir=None, stats_path=None) -> GroupingAssets:
    """The grouping assets of a loaded config: pairwise statistics (``stats_path`` or its
    pairwise_stats_fn, scaled by global_scale) and spatial model (``model_dir`` or its
    pairwise_model_dir), with the gates they imply."""
    settings = multiperson_settings_from_config(cfg)
    folder = model_dir or cfg.resolve_path(cfg.pairwise_model_dir)
    if not folder:
        raise ConfigError(f"{cfg.source}: pairwise_model_dir: expected the folder of the fitted "
                          f"spatial model (posecut fit-pairwise writes it), got ''")
    stats = pairwise_stats_from_config(cfg, stats_path)
    model = load_spatial_model(folder, settings.num_joints)
    gates = edge_gates(stats.means, stats.stds, model, settings.edge_gate_stds)
    return GroupingAssets(settings, stats.means, stats.stds, model, gates)


def predictor_from_network(cfg, network):
    """The predictor of a loaded config around ``network`` (a PosePredictor, or a
    TFLitePredictor): grouping into people with the config's assets, or the argmax pose of one
    person or animal without the pairwise head."""
    if not cfg.pairwise_predict:
        cfg.require_joints()
        return SinglePersonPredictor(network, float(cfg.global_scale))
    assets = grouping_assets_from_config(cfg)
    return MultiPersonPredictor(network, assets.means, assets.stds, assets.model,
                                assets.settings, assets.gates)


def tflite_network(cfg, path):
    """The network of a loaded config read from a TFLite file (posecut export --tflite, float32
    or --int8), called as a PosePredictor is, its outputs cut to each image's grid."""
    from nnet.pose_net import spec_from_config
    from nnet.predict import TFLitePredictor, tflite_forward

    return TFLitePredictor(tflite_forward(path, float(cfg.stride)), spec_from_config(cfg))


def setup_tflite_prediction(cfg, path):
    """The predictor of a loaded config with its network read from a TFLite file instead of
    TensorFlow's (tflite_network, predictor_from_network)."""
    return predictor_from_network(cfg, tflite_network(cfg, path))


def network_candidates(cfg, weights=None, tflite=None, backend: str = "auto") -> list:
    """The networks that could run a loaded config's prediction (posecut.backend_choice): its
    TensorFlow network with ``weights`` (in the precision ``precision: auto`` picks here) and
    the TFLite file ``tflite``, each where given and ``backend`` ('auto', 'tensorflow' or
    'tflite') allows it. An int8 file carries the verdict of its export's accuracy check; a
    float32 file is judged by its outputs."""
    from nnet.predict import setup_pose_prediction, tflite_quantised

    candidates = []
    if weights and backend in ("auto", "tensorflow"):
        network = setup_pose_prediction(cfg, weights)
        candidates.append(Candidate("tensorflow", f"TensorFlow {network.spec.precision}", network, ""))
    if tflite and backend in ("auto", "tflite"):
        network = tflite_network(cfg, tflite)
        if tflite_quantised(tflite):
            candidates.append(Candidate("tflite", "TFLite int8", network,
                                        int8_verdict(tflite_info(tflite).get("check"))))
        else:
            candidates.append(Candidate("tflite", "TFLite float32", network, None))
    return candidates


def choose_network(cfg, candidates, probe=None, weights=None, backend: str = "auto",
                   repeats: int = 5):
    """(network, what was chosen and why, in lines): the candidate ``backend`` names, or for
    'auto' the fastest usable one on ``probe`` (an RGB image, e.g. the first input; None: a
    noise image of 480x640) at the config's scale (posecut.backend_choice). TensorFlow float32's
    outputs with ``weights`` are the reference a float32 TFLite file must agree with."""
    from nnet.predict import setup_pose_prediction

    if not candidates:
        raise ConfigError(f"{cfg.source}: no network to predict with: give the weights, or a "
                          f"TFLite file for --backend tflite")
    if backend != "auto" or len(candidates) == 1:
        chosen = candidates[0]
        why = "by --backend" if backend != "auto" else "the only one given"
        note = f"; {chosen.verdict}" if chosen.verdict else ""
        return chosen.network, f"network: {chosen.name} ({why}{note})"
    source = "the first input"
    if probe is None:
        probe = np.random.default_rng(0).integers(0, 256, (480, 640, 3)).astype(np.uint8)
        source = "a noise image (no input could be read)"
    image = scale_image(probe, float(cfg.global_scale))
    reference = {}

    def float32_outputs():
        if not reference:
            tensorflow = next((c.network for c in candidates if c.backend == "tensorflow"
                               and c.network.spec.precision == "float32"), None)
            if tensorflow is None:
                tensorflow = setup_pose_prediction(cfg.replace(precision="float32"), weights)
            reference.update(tensorflow(image))
        return reference

    timed = time_candidates(candidates, image, repeats, float32_outputs)
    chosen = choose(timed)
    return chosen.candidate.network, describe_choice(timed, chosen, image.shape, source)


def setup_multiperson_prediction(cfg, weights=None, model_dir=None, stats_path=None,
                                 fold=True, untrained=False) -> MultiPersonPredictor:
    """The predictor of a loaded config: network with ``weights`` (None: the config's
    init_weights; random only with ``untrained``, as setup_pose_prediction), pairwise statistics
    (``stats_path`` or the config's pairwise_stats_fn) and spatial model (``model_dir`` or the
    config's pairwise_model_dir)."""
    from nnet.predict import setup_pose_prediction

    if not cfg.pairwise_predict:
        raise ConfigError(f"{cfg.source}: pairwise_predict: multi-person prediction needs the "
                          f"pairwise head (true), got false")
    assets = grouping_assets_from_config(cfg, model_dir, stats_path)
    network = setup_pose_prediction(cfg, weights, fold=fold, untrained=untrained)
    return MultiPersonPredictor(network, assets.means, assets.stds, assets.model,
                                assets.settings, assets.gates)


def tracker_factory(cfg, kind: str = "arttrack", temporal_model=None):
    """A function that makes a new tracker (one per video) of a loaded multi-person config
    (posecut.tracking_run.make_tracker): its grouping assets, track_* settings and, for ``kind``
    'arttrack', the temporal model (``temporal_model`` or the config's), read once for all."""
    settings = track_settings_from_config(cfg)
    model = load_temporal_model(temporal_model_path(cfg, temporal_model)) if kind == "arttrack" else None
    assets, sigmas = grouping_assets_from_config(cfg), sigmas_of(cfg)
    return lambda: make_tracker(kind, assets, settings, sigmas, model)


def outputs_source(cfg, weights, means, stds, oracle: bool = False, seed: int = 0):
    """record -> raw outputs at the config's global_scale: of the network with ``weights``, or
    with ``oracle`` of the record's ground truth (its targets with noise, seeded by ``seed`` and
    the image id), normalised by the pairwise statistics ``means``, ``stds``."""
    from nnet.predict import setup_pose_prediction

    if oracle:
        targets = target_settings_from_config(cfg.replace(location_refinement=True,
                                                          pairwise_predict=True))
        return oracle_outputs_fn(targets, means, stds, seed=seed, scale=cfg.global_scale)
    return network_outputs_fn(setup_pose_prediction(cfg, weights), cfg.global_scale)


def check_training_config(cfg):
    """Fail early, naming the key, on settings training cannot use."""
    if cfg.num_joints is None:
        raise ConfigError(f"{cfg.source}: num_joints: training needs the number of joints")
    if not cfg.dataset:
        raise ConfigError(f"{cfg.source}: dataset: training needs a data set path")


def train(cfg, progress=True, max_iters=None):
    """Train the network of a loaded config on its data set (DeeperCut's train.py). With
    distribute: multi_worker this process is the worker TF_CONFIG names: batch_size is per
    replica, every worker builds the same global batches of batch_size x replicas in sync and
    trains on its slices (nnet.train), and only the chief writes."""
    import keras

    from dataset.pipeline import SampleSettings, training_dataset
    from nnet.losses import loss_settings_from_config
    from nnet.pose_net import spec_from_config
    from nnet.train import Trainer, run_training, train_settings_from_config

    check_training_config(cfg)
    if cfg.distribute == "multi_worker":
        require_cluster(os.environ, f"{cfg.source}: distribute")
    if max_iters is not None:
        steps = [list(s) for s in cfg.multi_step if s[1] < max_iters]
        lr = next((s[0] for s in cfg.multi_step if s[1] >= max_iters), cfg.multi_step[-1][0])
        cfg = cfg.replace(multi_step=steps + [[lr, max_iters]])
    keras.utils.set_random_seed(cfg.seed)
    data = load_dataset_from_config(cfg)
    means = stds = None
    if cfg.pairwise_predict:
        stats = pairwise_stats_from_config(cfg)
        means, stds = stats.means, stats.stds
    samples = SampleSettings(augment_settings_from_config(cfg),
                             target_settings_from_config(cfg), means, stds)
    trainer = Trainer(spec_from_config(cfg), loss_settings_from_config(cfg),
                      train_settings_from_config(cfg))
    batch = cfg.batch_size * trainer.strategy.num_replicas_in_sync

    def make_dataset(start_step):
        return training_dataset(data.records, samples, batch, cfg.seed, cfg.shuffle,
                                start_sample=start_step * batch, workers=cfg.input_workers,
                                mean_pixel=cfg.mean_pixel)

    if trainer.chief:
        os.makedirs(os.path.dirname(trainer.settings.snapshot_prefix) or ".", exist_ok=True)
    return run_training(trainer, make_dataset, progress)


def convert_checkpoint(cfg, weights, output, allow_missing: bool = False):
    """(path written, variables, values): the checkpoint ``weights`` (DeeperCut's TF1 or ours)
    rewritten at ``output`` as the network of a loaded config needs it, model variables only;
    with ``allow_missing``, heads the checkpoint lacks keep their initial values."""
    from nnet.checkpoint import load_weights, save_weights
    from nnet.pose_net import build_pose_net, spec_from_config

    spec = spec_from_config(cfg)
    model = build_pose_net(spec)
    load_weights(model, weights, spec, allow_missing=("pose/",) if allow_missing else ())
    out = save_weights(model, output)
    return out, len(model.weights), sum(int(w.numpy().size) for w in model.weights)


def check_int8_export(cfg, weights, path, records, size, max_images: int, ground_truth=None) -> dict:
    """The accuracy of the int8 TFLite file at ``path`` and of TensorFlow float32 with ``weights``
    over the first ``max_images`` of ``records`` that fit its input ``size`` (height, width),
    recorded beside the file (posecut.int8_check); ``ground_truth`` is the COCO file the records
    come from, which AP is scored against. PosecutError when no image fits."""
    from nnet.predict import setup_pose_prediction

    scale = float(cfg.global_scale)
    fitting = [r for r in records if fits(r, size, scale)][:max_images]
    if not fitting:
        raise PosecutError(f"{ground_truth}: none of its {len(records)} images fits the TFLite input "
                           f"of {size[0]}x{size[1]} at global_scale {scale:g}; export with a "
                           f"larger --tflite-size")
    float32 = setup_pose_prediction(cfg.replace(precision="float32"), weights)
    grouping = {}
    if cfg.pairwise_predict:
        grouping = {"assets": grouping_assets_from_config(cfg), "ground_truth": ground_truth,
                    "sigmas": cfg.require_format("the int8 check's AP").sigmas}
    check = accuracy_check(fitting, float32, tflite_network(cfg, path), scale, **grouping)
    write_tflite_info(path, {**tflite_info(path), "check": check})
    return check
