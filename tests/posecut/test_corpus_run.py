"""`posecut predict --ray` and `posecut track --ray` on a Ray cluster of two nodes started here
(ray.cluster_utils.Cluster, loopback only, one CPU each): the same files as one process (long
clips tracked in chunks), every input finished once when a network actor is killed and a node
removed in the middle, and a driver killed whole going on from its manifest."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import imageio.v3 as iio
import numpy as np
import pytest

from demo.make_corpus import make_corpus
from posecut.cli import main
from posecut.corpus.manifest import MANIFEST

ray = pytest.importorskip("ray")
pytestmark = [pytest.mark.slow, pytest.mark.longest]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """40 images and 4 clips, one image and one video that cannot be read."""
    folder = tmp_path_factory.mktemp("corpus")
    written = make_corpus(str(folder), images=40, clips=4, frames=26, size=(96, 112))
    (folder / "images" / "image99999.png").write_bytes(b"not a picture")
    (folder / "broken.mp4").write_bytes(b"not a video")
    return folder, written


@pytest.fixture(scope="module")
def cluster():
    """A head and a second node, one CPU each, on this machine; shut down after the module."""
    from ray.cluster_utils import Cluster

    made = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    node = made.add_node(num_cpus=1)
    made.wait_for_nodes()
    yield made, node
    made.shutdown()


def _predict(inputs, out, *extra):
    return main(["predict", *map(str, inputs), "--output", str(out), "--no-progress", *extra])


def _same_files(a, b, names):
    for name in names:
        left, right = a / name, b / name
        if name.endswith(".json") and name != "images.json":
            x, y = json.loads(left.read_text()), json.loads(right.read_text())
            assert _rounded(x) == _rounded(y), name
        elif name.endswith((".png", ".mp4")):
            first, second = iio.imread(left), iio.imread(right)
            assert first.shape == second.shape and np.array_equal(first, second), name
        else:
            assert left.read_bytes() == right.read_bytes(), name


def _rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _outputs(folder):
    return sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != MANIFEST)


def _manifest_inputs(folder):
    lines = (folder / MANIFEST).read_text().splitlines()
    return [json.loads(line)["input"] for line in lines[1:]]


def _network_actor_pids():
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if b"NetworkActor" in f.read():
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


def _in_thread(target):
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("code", target()))
    thread.start()
    return thread, result


def _wait_for_first_input(folder, thread, limit=120.0):
    end = time.monotonic() + limit
    while time.monotonic() < end and thread.is_alive():
        if (folder / MANIFEST).exists() and len(_manifest_inputs(folder)) >= 1:
            return len(_manifest_inputs(folder))
        time.sleep(0.02)
    raise AssertionError("the run wrote no manifest entry")


def test_a_two_node_cluster_writes_what_one_process_writes_and_loses_nothing_to_faults(
        corpus, cluster, tmp_path, capsys):
    """Tracks of chunked clips, then predictions while a network actor is killed and a node
    removed, then a driver killed whole and run again: each time the files of one process."""
    folder, written = corpus
    made, node = cluster
    clips = [*map(str, written["clips"])]
    tracked_one, tracked_many = tmp_path / "tracked-one", tmp_path / "tracked-many"
    assert main(["track", *clips, "--output", str(tracked_one), "--no-progress"]) == 0
    assert main(["track", *clips, "--output", str(tracked_many), "--no-progress", "--ray",
                 made.address, "--workers", "1", "--chunk-frames", "20"]) == 0
    assert _outputs(tracked_one) == _outputs(tracked_many)
    for name in _outputs(tracked_one):
        if name.endswith(".json"):
            assert (tracked_one / name).read_bytes() == (tracked_many / name).read_bytes(), name
    _same_files(tracked_one, tracked_many, _outputs(tracked_one))

    inputs = [folder / "images", *written["clips"], folder / "broken.mp4"]
    one, many = tmp_path / "one", tmp_path / "many"
    assert _predict(inputs, one) == 1
    capsys.readouterr()
    thread, result = _in_thread(lambda: _predict(inputs, many, "--ray", made.address, "--workers", "1"))
    total = len(written["images"]) + len(written["clips"])
    assert _wait_for_first_input(many, thread) < total
    pids = _network_actor_pids()
    assert pids
    os.kill(pids[0], signal.SIGKILL)
    assert len(_manifest_inputs(many)) < total
    made.remove_node(node)
    thread.join(300)
    assert result["code"] == 1
    err = capsys.readouterr().err
    assert "image99999.png" in err and "broken.mp4" in err
    assert _outputs(one) == _outputs(many)
    _same_files(one, many, _outputs(one))
    entries = _manifest_inputs(many)
    assert len(entries) == len(set(entries)) == total
    assert not [p for p in many.rglob("*") if ".part-" in p.name]

    resumed = tmp_path / "resumed"
    command = [sys.executable, "-m", "posecut", "predict", *map(str, inputs), "--output",
               str(resumed), "--no-progress", "--ray", made.address]
    driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        end = time.monotonic() + 180
        while time.monotonic() < end and driver.poll() is None:
            if (resumed / MANIFEST).exists() and len(_manifest_inputs(resumed)) >= 1:
                break
            time.sleep(0.02)
        os.killpg(driver.pid, signal.SIGKILL)
    finally:
        driver.wait(60)
    finished = len(_manifest_inputs(resumed))
    assert 1 <= finished < total
    assert _predict(inputs, resumed, "--ray", made.address) == 1
    assert f"{finished} inputs finished by an earlier run" in capsys.readouterr().out
    entries = _manifest_inputs(resumed)
    assert len(entries) == len(set(entries)) == total
    _same_files(one, resumed, _outputs(one))
    assert not [p for p in resumed.rglob("*") if ".part-" in p.name]
