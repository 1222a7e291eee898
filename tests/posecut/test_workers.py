"""Local workers (posecut.workers) and `posecut train --workers N`: TF_CONFIG built and checked,
ports, a failing worker named, and a run whose worker is killed resuming from the chief's last
snapshot to the end."""
import json
import os
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import tensorflow as tf
import yaml
from conftest import ROOT

from dataset.synthetic import generate_dataset
from lib.errors import ConfigError
from posecut.build import train
from posecut.cli import main
from posecut.config.loading import load_config
from posecut.workers import free_ports, require_cluster, run_workers, tf_config

THREADS = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1",
           "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT,
           "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1")}
"""Each worker on one thread, with oneDNN as in this process (the one-worker reference)."""
STEPS, SAVE_ITERS = 12, 4
CONFIG = {
    "dataset_type": "coco", "dataset": "data/person_keypoints.json", "keypoint_format": "coco17",
    "num_joints": 17, "net_type": "mobilenet_v2_0.35", "location_refinement": False,
    "optimizer": "sgd", "batch_size": 1, "multi_step": [[0.01, STEPS]],
    "display_iters": SAVE_ITERS, "save_iters": SAVE_ITERS, "seed": 3, "scale_jitter_lo": 1.0,
    "scale_jitter_up": 1.0, "distribute": "multi_worker", "precision": "float32",
}


def test_free_ports_are_distinct_and_free_on_localhost():
    ports = free_ports(3)
    assert len(set(ports)) == 3
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_tf_config_names_every_worker_and_this_task():
    addresses = ["127.0.0.1:4001", "127.0.0.1:4002"]
    config = json.loads(tf_config(addresses, 1))
    assert config == {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": 1}}
    assert require_cluster({"TF_CONFIG": tf_config(addresses, 1)}) == config


@pytest.mark.parametrize("value, expected", [
    (None, "cfg.yaml: distribute: multi_worker trains on the cluster TF_CONFIG names, and "
           "TF_CONFIG is not set"),
    ("{cluster", "TF_CONFIG: expected JSON"),
    ('{"cluster": {}}', "TF_CONFIG: cluster: expected a 'worker' (or 'chief') list"),
    ('{"cluster": {"worker": ["127.0.0.1"]}, "task": {"type": "worker", "index": 0}}',
     "TF_CONFIG: cluster: worker: expected a list of host:port, got ['127.0.0.1']"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "ps", "index": 0}}',
     "TF_CONFIG: task: expected a type among ['worker'] and an index"),
    ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 2}}',
     "TF_CONFIG: task: index: expected 0 to 1, got 2"),
])
def test_a_tf_config_that_does_not_place_this_worker_is_named(value, expected):
    environ = {} if value is None else {"TF_CONFIG": value}
    with pytest.raises(ConfigError) as err:
        require_cluster(environ, "cfg.yaml: distribute")
    assert str(err.value).startswith(expected)


def test_workers_and_a_mirrored_config_contradict_each_other(tmp_path, capsys):
    path = tmp_path / "pose_cfg.yaml"
    path.write_text(yaml.safe_dump({**CONFIG, "distribute": "mirrored"}))
    assert main(["train", str(path), "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert f"error: {path}: distribute: mirrored trains on the GPUs of one process" in err
    assert main(["train", str(path), "--distribute", "multi_worker"]) == 2
    assert "TF_CONFIG is not set" in capsys.readouterr().err
    assert main(["train", str(path), "--distribute", "none", "--workers", "2"]) == 2
    assert "error: --distribute none: --workers 2 trains with multi_worker" in \
        capsys.readouterr().err


@pytest.mark.slow
def test_a_failing_worker_is_named_with_its_last_lines_and_the_others_are_ended(capfd):
    code = ("import json, os, sys, time\n"
            "index = json.loads(os.environ['TF_CONFIG'])['task']['index']\n"
            "print('worker', index, 'of', os.environ['TF_CONFIG'], flush=True)\n"
            "sys.exit(3) if index == 1 else time.sleep(60)\n")
    began = time.monotonic()
    result = run_workers([sys.executable, "-c", code], 3, grace=5)
    assert time.monotonic() - began < 30
    assert (result.code, result.failed, result.status) == (1, 1, 3)
    assert result.tail.startswith("worker 1 of {")
    described = result.describe(3)
    assert described.startswith("worker 1 of 3 ended with exit status 3, so the others were ended")
    streamed = capfd.readouterr().out
    assert streamed.startswith("worker 0 of {") and "worker 1" not in streamed
    assert '"127.0.0.1:' in streamed


@pytest.mark.slow
def test_sigterm_to_the_command_ends_every_worker():
    import signal

    processes, before = [], signal.getsignal(signal.SIGTERM)

    def terminate_this_process(started):
        processes.extend(started)
        os.kill(os.getpid(), signal.SIGTERM)

    result = run_workers([sys.executable, "-c", "import time; time.sleep(60)"], 2, grace=5,
                         started=terminate_this_process)
    assert (result.code, result.failed) == (128 + signal.SIGTERM, None)
    assert all(p.returncode == -signal.SIGTERM for p in processes)
    assert result.describe(2).startswith("stopped by SIGTERM: the 2 workers were ended")
    assert signal.getsignal(signal.SIGTERM) is before


HARNESS = (
    "import sys\n"
    "sys.path[:0] = [sys.argv[1], sys.argv[1] + '/tests', sys.argv[1] + '/tests/posecut']\n"
    "import test_workers\n"
    "sys.exit(test_workers.worker_main(sys.argv[2], sys.argv[3]))\n")


def worker_main(project, dumps):
    """`posecut train` as one worker of the first run: the chief on the project's config, the
    other on a copy in project/other (so that anything it wrote would show there), each leaving
    its weights in ``dumps`` after every save."""
    import numpy as np

    import nnet.train

    index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    real_save = nnet.train.Trainer.save

    def save_and_dump(trainer):
        saved = real_save(trainer)
        path = os.path.join(dumps, f"{index}-{trainer.current_step()}")
        np.savez(path + ".part.npz", *[np.asarray(w) for w in trainer.model.weights])
        os.replace(path + ".part.npz", path + ".npz")
        return saved

    nnet.train.Trainer.save = save_and_dump
    config = os.path.join(project, "pose_cfg.yaml" if index == 0 else "other/pose_cfg.yaml")
    return main(["train", config, "--no-progress"])


def write_config(folder, **values):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "pose_cfg.yaml"), "w") as handle:
        yaml.safe_dump({**CONFIG, **values}, handle)
    return os.path.join(folder, "pose_cfg.yaml")


def newest_state(project):
    """The step of the newest training state in the chief's resume folder."""
    with open(project / "snapshot_resume_state" / "checkpoint") as handle:
        return int(handle.readline().split('"')[1].rsplit("-", 1)[1])


def snapshot(prefix):
    reader = tf.train.load_checkpoint(str(prefix))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if reader.get_variable_to_dtype_map()[name].is_floating}


@pytest.mark.slow
@pytest.mark.longest
def test_two_workers_train_as_one_and_after_a_kill_posecut_train_workers_resumes(tmp_path):
    """The first run's worker 1 is killed after the first save; `posecut train --workers 2`
    resumes from the chief's last snapshot to the end. Both workers held the same weights at the
    save, the other worker wrote nothing beside its config, and the chief's snapshots are those
    of one worker with the same global batches within 1e-6. Measured here: 2e-10 at the first
    save and 1e-9 at the end, float32 rounding of sums over one image and over two, while the
    weights moved 5e-3 between the two; a worker training on a wrong slice is off by the order
    of a step. Float32 and no locref head: the part-score loss of same-size images is normalised
    alike on a slice and on the whole batch (nnet.train)."""
    project, dumps, scratch = tmp_path / "project", tmp_path / "dumps", tmp_path / "scratch"
    data = generate_dataset(project / "data", 4, 48, 48, people=(1, 1), seed=4)
    config = write_config(project)
    write_config(project / "other", dataset=data)
    for folder in (dumps, scratch):
        folder.mkdir()
    (tmp_path / "harness.py").write_text(HARNESS)
    env = {**os.environ, **THREADS, "TMPDIR": str(scratch)}
    killed = {}

    def kill_worker_one_after_the_first_save(processes):
        def watch():
            limit = time.monotonic() + 240
            while not all(os.path.exists(dumps / f"{i}-{SAVE_ITERS}.npz") for i in (0, 1)):
                if time.monotonic() > limit or processes[1].poll() is not None:
                    return
                time.sleep(0.02)
            processes[1].kill()
            killed["yes"] = True

        threading.Thread(target=watch, daemon=True).start()

    result = run_workers([sys.executable, str(tmp_path / "harness.py"), ROOT, str(project),
                          str(dumps)], 2, env=env, grace=2,
                         started=kill_worker_one_after_the_first_save)
    assert killed and (result.code, result.failed, result.status) == (1, 1, -9)
    assert result.describe(2).startswith("worker 1 of 2 was killed by SIGKILL")
    assert os.listdir(project / "other") == ["pose_cfg.yaml"]
    assert not [name for name in os.listdir(scratch) if name.startswith("posecut-worker-")]
    with np.load(dumps / f"0-{SAVE_ITERS}.npz") as chief, \
            np.load(dumps / f"1-{SAVE_ITERS}.npz") as other:
        for name in chief.files:
            np.testing.assert_array_equal(chief[name], other[name])
    reached = newest_state(project)
    assert SAVE_ITERS <= reached < STEPS

    done = subprocess.run([sys.executable, "-m", "posecut", "train", config, "--workers", "2",
                           "--no-progress"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **THREADS})
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"ckpt-{reached} at step {reached}" in done.stderr
    assert done.stdout.splitlines()[-2:] == [f"trained to step {STEPS}", "trained with 2 workers"]
    assert newest_state(project) == STEPS

    one = tmp_path / "one"
    train(load_config(write_config(one, dataset=data, batch_size=2, distribute="none")),
          progress=False)
    for step in (SAVE_ITERS, STEPS):
        ours, theirs = snapshot(project / f"snapshot-{step}"), snapshot(one / f"snapshot-{step}")
        start = snapshot(one / f"snapshot-{SAVE_ITERS}") if step == STEPS else None
        apart = max(float(np.abs(ours[n] - theirs[n]).max()) for n in theirs)
        print(f"step {step}: largest difference between two workers and one {apart:.3g}")
        assert apart < 1e-6
        if start is not None:
            moved = max(float(np.abs(theirs[n] - start[n]).max()) for n in theirs)
            print(f"largest change from step {SAVE_ITERS} to {STEPS}: {moved:.3g}")
            assert moved > 1e-3
