"""Training PoseNet: the multi_step schedule, checkpoints with resume, logs, tf.distribute.

``train(cfg)`` is the thin edge that reads the config; the pieces below take plain values.

Several workers (distribute: multi_worker, TF_CONFIG naming the cluster) take every step
together. Each builds the same stream of global batches (batch_size x replicas in sync, one seed,
one order) and trains on its replicas' slices of each; a replica's loss is its slice's divided by
the replicas in sync, and the gradients are summed over all of them, so every worker holds the
same weights. That is one worker's step on the global batch wherever the slices count as many
weighted cells (part scores of same-size images); the locref and pairwise terms, normalised by
each slice's own count of labelled cells, weigh the slices alike rather than the cells. Only the
chief (task 0 of "worker", or the "chief" task) writes snapshots, the resume state and logs; the
others take part in each save (the strategy needs every worker there) into a scratch folder that
is deleted at once. Every worker resumes from the chief's resume state, so the snapshot folder
must lie where all of them can read it.
"""
import collections
import contextlib
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from nnet.checkpoint import load_weights, resolve_checkpoint, save_weights
from nnet.checkpoint_files import resume_state_dir
from nnet.imagenet import IMAGENET, imagenet_checkpoint
from nnet.layers import recompute_batchnorm
from nnet.losses import (pose_losses, regularized_kernels,
                         weight_decay_loss)
from nnet.pose_net import build_pose_net
from lib.errors import CheckpointError, WriteError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainSettings:
    """How to optimise: schedule, optimizer, decay, checkpoints and logs."""

    multi_step: tuple
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 0.0
    display_iters: int = 1000
    save_iters: int = 50000
    snapshot_prefix: str = "snapshot"
    log_dir: str = "log"
    init_weights: str = ""
    seed: int = 42
    distribute: str = "none"
    batchnorm_batches: int = 8
    """With BatchNorm statistics learned in training, the recent batches their values are
    recomputed from at every save (nnet.layers.recompute_batchnorm); 0 keeps the moving averages."""

    @property
    def max_iters(self):
        return int(self.multi_step[-1][1])


def train_settings_from_config(cfg):
    """The training settings of a loaded config, with paths resolved against its folder."""
    return TrainSettings(
        multi_step=tuple((float(lr), int(it)) for lr, it in cfg.multi_step),
        optimizer=cfg.optimizer, momentum=float(cfg.momentum),
        weight_decay=float(cfg.weight_decay) if cfg.regularize else 0.0,
        display_iters=int(cfg.display_iters), save_iters=int(cfg.save_iters),
        snapshot_prefix=cfg.resolve_path(cfg.snapshot_prefix),
        log_dir=cfg.resolve_path(cfg.log_dir),
        init_weights=(cfg.init_weights if cfg.init_weights in ("", IMAGENET)
                      else cfg.resolve_path(cfg.init_weights)),
        seed=int(cfg.seed), distribute=cfg.distribute,
        batchnorm_batches=int(cfg.batchnorm_batches))


def learning_rate_schedule(multi_step):
    """DeeperCut's multi_step: learning rate ``lr_k`` until iteration ``until_k``."""
    boundaries = [int(until) for _, until in multi_step[:-1]]
    values = [float(lr) for lr, _ in multi_step]
    if not boundaries:
        return keras.optimizers.schedules.PiecewiseConstantDecay([2 ** 62], values * 2)
    return keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)


def make_optimizer(settings):
    """SGD with momentum (DeeperCut's) or Adam, on the multi_step schedule."""
    schedule = learning_rate_schedule(settings.multi_step)
    if settings.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=schedule)
    return keras.optimizers.SGD(learning_rate=schedule, momentum=settings.momentum)


def make_strategy(name):
    """The tf.distribute strategy named by the config ('none' is the default strategy;
    'multi_worker' reads the cluster and this worker's task from TF_CONFIG)."""
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def is_chief(strategy):
    """Whether this process writes the snapshots, resume state and logs: always on one machine;
    with several workers, only the chief ("chief" task, else task 0 of "worker")."""
    return bool(strategy.extended.should_checkpoint)


def shard_batches_across_workers(dataset):
    """``dataset`` of global batches, marked so that each worker keeps its replicas' slices of
    every batch (tf.data's DATA sharding): the same batches, in the same order, as one worker."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def require_same_start(steps, state_dir):
    """CheckpointError unless every replica's starting step in ``steps`` (replica order) is the
    same: a worker that cannot read the chief's resume state ``state_dir`` starts elsewhere."""
    if len(set(steps)) > 1:
        raise CheckpointError(
            f"{state_dir}: the workers' replicas would start from different steps "
            f"({', '.join(map(str, steps))}): every worker must read the chief's resume state, "
            f"so snapshot_prefix must lie on storage that all machines see")


def initialise_weights(model, path, spec):
    """Start from ``path``: our checkpoint, DeeperCut's, or an ImageNet slim backbone. The
    backbone must fit; heads the checkpoint lacks or predicts for other joints (a 17-joint model
    for a 4-part animal) keep their initial values, and load_weights names them."""
    prefix = resolve_checkpoint(path)
    loaded = load_weights(model, prefix, spec, allow_missing=("pose/",))
    heads = sum(name.startswith("pose/") for name in loaded)
    log.info("initialised %d variables from %s (%s)", len(loaded), prefix,
             f"{heads} of the heads' variables" if heads else "backbone only")
    return loaded


class Trainer:
    """Model, optimizer and step under one strategy, with a compiled distributed train step."""

    def __init__(self, spec, loss_settings, settings):
        self.spec, self.loss_settings, self.settings = spec, loss_settings, settings
        self.strategy = make_strategy(settings.distribute)
        self.chief = is_chief(self.strategy)
        self.multi_worker = settings.distribute == "multi_worker"
        with self.strategy.scope():
            self.model = build_pose_net(spec)
            self.optimizer = make_optimizer(settings)
            self.optimizer.build(self.model.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.kernels = regularized_kernels(self.model)
        self.checkpoint = tf.train.Checkpoint(model=self.model, optimizer=self.optimizer,
                                              step=self.step)
        self.manager = tf.train.CheckpointManager(
            self.checkpoint, resume_state_dir(settings.snapshot_prefix), max_to_keep=2)
        self._step_fn = None
        self.last_snapshot = None
        learns = spec.train_batchnorm and settings.batchnorm_batches > 0
        self._recent = collections.deque(maxlen=settings.batchnorm_batches if learns else 0)

    def current_step(self):
        """The number of optimisation steps taken so far."""
        return int(self.step.numpy())

    def restore_or_initialise(self):
        """Resume from the latest training state (every worker from the chief's), else load
        init_weights (if any); returns the step."""
        if self.manager.latest_checkpoint:
            self.checkpoint.restore(self.manager.latest_checkpoint).expect_partial()
            log.info("resumed from %s at step %d", self.manager.latest_checkpoint,
                     self.current_step())
        elif self.settings.init_weights:
            try:
                start = self.settings.init_weights
                if start == IMAGENET:
                    start = imagenet_checkpoint(self.spec.net_type)
                initialise_weights(self.model, start, self.spec)
            except CheckpointError as err:
                raise CheckpointError(f"init_weights: {err}") from None
        if self.multi_worker:
            self._check_workers_agree()
        return self.current_step()

    def _check_workers_agree(self):
        """Every worker starts from the same step, or none starts: a worker that does not see the
        chief's resume state would otherwise train on from other weights without a word."""
        def local_step():
            context = tf.distribute.get_replica_context()
            return context.all_gather(tf.reshape(self.step.read_value(), [1]), axis=0)

        gathered = tf.function(lambda: self.strategy.run(local_step))()
        steps = [int(v) for v in self.strategy.experimental_local_results(gathered)[0].numpy()]
        require_same_start(steps, self.manager.directory)

    def _replica_step(self, batch):
        images = batch["inputs"]
        with tf.GradientTape() as tape:
            outputs = self.model(images, training=True)
            terms = pose_losses(outputs, batch, self.loss_settings)
            loss = terms["total_loss"]
            if self.settings.weight_decay:
                decay = weight_decay_loss(self.kernels, self.settings.weight_decay)
                terms["weight_decay"] = decay
                loss = loss + decay
            scaled = loss / self.strategy.num_replicas_in_sync
        grads = tape.gradient(scaled, self.model.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
        return terms

    def compile_step(self, element_spec=None):
        """Build the step function, traced once for batches of ``element_spec`` (a distributed
        data set's, with the image sizes left open); without it, TensorFlow retraces once the
        sizes vary, which costs as much as the first trace."""
        def step_fn(batch):
            terms = self.strategy.run(self._replica_step, args=(batch,))
            reduced = {k: self.strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None)
                       for k, v in terms.items()}
            self.step.assign_add(1)
            return reduced

        if element_spec is None:
            self._step_fn = tf.function(step_fn, reduce_retracing=True)
        else:
            self._step_fn = tf.function(step_fn, input_signature=[element_spec])

    def train_step(self, batch):
        """One optimisation step on a (distributed) batch; returns the loss terms."""
        if self._step_fn is None:
            self.compile_step()
        return self._step_fn(batch)

    def remember(self, batch):
        """Keep the images of a training batch for the BatchNorm statistics of the next save
        (only while the network learns its statistics; the oldest is dropped)."""
        if self._recent.maxlen:
            local = self.strategy.experimental_local_results(batch["inputs"])
            self._recent.append(tf.concat(local, axis=0) if len(local) > 1 else local[0])

    def save(self):
        """Write the training state (for resume) and a slim-named weights snapshot; BatchNorm
        statistics learned in training are first recomputed for the weights being saved."""
        if self._recent:
            with self.strategy.scope():
                count = recompute_batchnorm(self.model, list(self._recent))
            log.info("BatchNorm statistics of %d layers recomputed from the last %d batches",
                     count, len(self._recent))
        step = self.current_step()
        if not self.chief:
            self._save_to_scratch(step)
            return None
        target = f"{self.settings.snapshot_prefix}-{step}"
        try:
            self.manager.save(checkpoint_number=step)
            prefix = save_weights(self.model, target)
        except (OSError, tf.errors.OpError) as err:
            reason = getattr(err, "strerror", None) or str(err).splitlines()[0]
            kept = self.last_snapshot or "none in this run"
            raise WriteError(f"{target}: cannot write the snapshot ({reason}); the last snapshot "
                             f"written is {kept}") from None
        self.last_snapshot = prefix
        log.info("saved %s", prefix)
        return prefix

    def _save_to_scratch(self, step):
        """A worker other than the chief: the same save, into a scratch folder deleted at once,
        since the strategy needs every worker in a save but only the chief's is kept."""
        scratch = tempfile.mkdtemp(prefix="posecut-worker-")
        try:
            tf.train.CheckpointManager(self.checkpoint, scratch, max_to_keep=1).save(
                checkpoint_number=step)
            save_weights(self.model, os.path.join(scratch, "snapshot"))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


class Stopped(KeyboardInterrupt):
    """Training was stopped by a signal (a scheduler's or `timeout`'s SIGTERM); like Ctrl-C, the
    state and weights were saved first. ``signum`` says which signal."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def stop_on_signals(signals=(signal.SIGTERM,)):
    """Within the block, ``signals`` raise Stopped, so that training saves and ends as on Ctrl-C;
    a second one while saving is ignored. Only the main thread can catch signals: elsewhere the
    block runs unchanged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        signal.signal(signum, signal.SIG_IGN)
        raise Stopped(signum)

    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def run_training(trainer, make_dataset, progress=True):
    """Train until the schedule's last iteration, saving every save_iters and on any exit (with
    several workers, on a normal end only: a worker stopped or lost cannot take part in a save,
    and the next run resumes from the last save_iters one). ``make_dataset(start_step)`` gives
    the global batches from that step on."""
    settings = trainer.settings
    start = trainer.restore_or_initialise()
    if start >= settings.max_iters:
        log.info("already trained to step %d", start)
        return {"step": start, "history": []}
    batches = make_dataset(start)
    if trainer.multi_worker:
        batches = shard_batches_across_workers(batches)
    dataset = trainer.strategy.experimental_distribute_dataset(batches)
    trainer.compile_step(dataset.element_spec)
    writer = (tf.summary.create_file_writer(settings.log_dir) if trainer.chief
              else tf.summary.create_noop_writer())
    history = []
    bar = tqdm(total=settings.max_iters, initial=start, disable=not (progress and trainer.chief),
               unit="step", desc="train", dynamic_ncols=True)
    began = time.perf_counter()
    with stop_on_signals():
        _train_loop(trainer, dataset, writer, bar, history, start, began)
    return {"step": trainer.current_step(), "history": history,
            "seconds": time.perf_counter() - began}


def _train_loop(trainer, dataset, writer, bar, history, start, began):
    """The steps of run_training; on any exit (several workers: on a normal end), a save of
    what was trained since the last one."""
    settings = trainer.settings
    window, last_saved, shown = {}, start, (start, time.perf_counter())
    ended = False
    try:
        for batch in dataset:
            terms = {k: float(v) for k, v in trainer.train_step(batch).items()}
            trainer.remember(batch)
            step = trainer.current_step()
            for k, v in terms.items():
                window.setdefault(k, []).append(v)
            bar.update(1)
            if step % settings.display_iters == 0 or step == settings.max_iters:
                means = {k: float(np.mean(v)) for k, v in window.items()}
                lr = float(trainer.optimizer.learning_rate)
                history.append({"step": step, "lr": lr,
                                "seconds": time.perf_counter() - began, **means})
                bar.set_postfix({k.replace("_loss", ""): f"{v:.4f}" for k, v in means.items()})
                rate = (step - shown[0]) / max(time.perf_counter() - shown[1], 1e-9)
                shown = (step, time.perf_counter())
                log.info("step %d lr %g %s (%.2f steps/s)", step, lr,
                         " ".join(f"{k} {v:.5f}" for k, v in means.items()), rate)
                with writer.as_default(step=step):
                    for k, v in means.items():
                        tf.summary.scalar(k, v)
                    tf.summary.scalar("learning_rate", lr)
                window = {}
            if step % settings.save_iters == 0:
                trainer.save()
                last_saved = step
            if step >= settings.max_iters:
                break
        ended = True
    except WriteError:
        last_saved = trainer.current_step()  # no second try on a full disk
        raise
    finally:
        bar.close()
        if trainer.current_step() != last_saved and (ended or not trainer.multi_worker):
            trainer.save()
        writer.flush()
