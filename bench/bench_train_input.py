"""Training steps per second fed by the real input pipeline against cached tensors.

The real pipeline decodes, augments and builds targets on the fly (tf.data, parallel map,
prefetch); the cached run replays batches already in memory. If the two rates agree, the
pipeline keeps the training step fed.
Run: .venv/bin/python bench/bench_train_input.py models/synthetic_single/pose_cfg.yaml [--steps 60]
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from posecut.logs import setup_logging, start_tensorflow  # noqa: E402

setup_logging()
start_tensorflow()


from dataset.augment import augment_settings_from_config  # noqa: E402
from dataset.loaders import load_dataset_from_config  # noqa: E402
from dataset.pipeline import SampleSettings, training_dataset  # noqa: E402
from dataset.targets import target_settings_from_config  # noqa: E402
from nnet.losses import loss_settings_from_config  # noqa: E402
from nnet.pose_net import spec_from_config  # noqa: E402
from nnet.train import Trainer, train_settings_from_config  # noqa: E402
from nnet.precision import describe_cpu  # noqa: E402
from posecut.config import load_config  # noqa: E402


def steps_per_second(trainer, dataset, steps, warmup=5):
    """Run ``warmup`` then ``steps`` training steps; returns steps per second."""
    iterator = iter(dataset)
    for _ in range(warmup):
        trainer.train_step(next(iterator))
    start = time.perf_counter()
    for _ in range(steps):
        terms = trainer.train_step(next(iterator))
    float(terms["total_loss"])
    return steps / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config")
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    cfg = load_config(args.config)
    data = load_dataset_from_config(cfg)
    samples = SampleSettings(augment_settings_from_config(cfg), target_settings_from_config(cfg))
    with tempfile.TemporaryDirectory() as tmp:
        cfg = cfg.replace(snapshot_prefix=os.path.join(tmp, "snapshot"),
                          log_dir=os.path.join(tmp, "log"))
        trainer = Trainer(spec_from_config(cfg), loss_settings_from_config(cfg),
                          train_settings_from_config(cfg))
        real = training_dataset(data.records, samples, cfg.batch_size, cfg.seed,
                                workers=cfg.input_workers, mean_pixel=cfg.mean_pixel)
        cached = real.take(8).cache().repeat()
        list(cached.take(8))
        rates = {"real pipeline": steps_per_second(trainer, real, args.steps),
                 "cached tensors": steps_per_second(trainer, cached, args.steps)}
    print(f"\n{describe_cpu()}")
    print(f"{cfg.net_type}, batch {cfg.batch_size}, {len(data.records)} images, "
          f"{args.steps} steps after 5 warm-up, {os.cpu_count()} cores")
    print("| input | steps/s | images/s |")
    print("|---|---|---|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:.2f} | {rate * cfg.batch_size:.1f} |")
    print(f"| real / cached | {rates['real pipeline'] / rates['cached tensors']:.2f} | |")


if __name__ == "__main__":
    main()
