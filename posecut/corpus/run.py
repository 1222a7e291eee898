"""The driver of a distributed run: it starts or joins a Ray cluster, skips the inputs the
manifest has as finished, streams the rest through the stages (posecut.corpus.stages), records
each input once its files are complete, counts inputs and frames across the cluster, and writes
the run-wide files at the end (posecut.corpus.merge)."""
import logging
import os
from dataclasses import replace
from typing import NamedTuple, Optional

from tqdm import tqdm

from lib.errors import DatasetError, PosecutError
from posecut.corpus.atomic import remove_leftovers
from posecut.corpus.job import CorpusJob, part_path
from posecut.corpus.manifest import Manifest
from posecut.corpus.merge import merge_predictions
from posecut.corpus.options import LOCAL
from posecut.corpus.stages import (NetworkActor, decode, finish_video, group_and_write, pack,
                                   unpack, video_part)
from posecut.dlc_files import pose_file_paths

__all__ = ["LOCAL", "CorpusRun", "network_resources", "run_corpus", "start_ray"]

log = logging.getLogger(__name__)


def start_ray(address: str = LOCAL, cpus: Optional[int] = None):
    """Join the Ray cluster at ``address``, or start one on this machine (``cpus`` cores, default
    all) for LOCAL; PosecutError when Ray is not installed."""
    try:
        import ray
    except ImportError:
        raise PosecutError("--ray: Ray is not installed; install the cluster extra "
                           "(pip install -e '.[cluster]', or make install-cluster)") from None
    import ray.data

    options = dict(include_dashboard=False, configure_logging=False, log_to_driver=False)
    if address == LOCAL:
        ray.init(address="local", num_cpus=cpus or os.cpu_count(), **options)
    else:
        ray.init(address=address, **options)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.target_max_block_size = 1 << 20  # a row (frames of a segment) per block: rows spread over the actors
    context.print_on_execution_start = False
    logging.getLogger("ray").setLevel(logging.WARNING)
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    return ray


def network_resources(workers: Optional[int], cluster: dict):
    """(actors, CPUs, GPUs per actor) of the network stage: one actor per GPU where the cluster
    has GPUs, else one per two cores, unless ``workers`` says how many."""
    gpus = int(cluster.get("GPU", 0))
    if gpus:
        return workers or gpus, 1.0, 1.0
    return workers or max(1, int(cluster.get("CPU", 1)) // 2), 0.25, 0.0


class CorpusRun(NamedTuple):
    """What a distributed run wrote: summary lines, what it skipped (reasons), the tables, the
    DeepLabCut H5 files, and the inputs found finished in the manifest."""

    lines: list
    skipped: list
    tables: list
    pose_files: list
    resumed: int


def _groups(indices, size):
    for start in range(0, len(indices), size):
        yield indices[start:start + size]


def _image_items(images, stems, manifest, job):
    """Rows of the images the manifest has not finished, in groups."""
    todo = [k for k, path in enumerate(images) if not manifest.finished(os.path.abspath(path))]
    for group in _groups(todo, job.images_per_unit):
        yield {"kind": "images", "indices": group, "paths": [images[k] for k in group],
               "stems": [stems[k] for k in group]}


def run_corpus(job: CorpusJob, images, videos, image_stems, video_stems, address=LOCAL,
               workers: Optional[int] = None, progress: bool = True) -> CorpusRun:
    """Predict (or track) ``images`` and ``videos`` with ``job`` on the Ray cluster at
    ``address`` (LOCAL: start one here); a rerun into the same output goes on from the manifest."""
    os.makedirs(part_path(job, ""), exist_ok=True)
    manifest = Manifest(job.output, job.manifest_settings())
    resumed = sum(1 for p in list(images) + list(videos) if manifest.finished(os.path.abspath(p)))
    ray = start_ray(address)
    for folder in (job.output, part_path(job, "")):  # after start-up: the workers of a killed run are gone
        remove_leftovers(folder)
    try:
        actors, cpus, gpus = network_resources(workers, ray.cluster_resources())
        job = replace(job, network_cpus=cpus, network_gpus=gpus)
        items = list(_image_items(images, image_stems, manifest, job))
        items += [{"kind": "video", "index": v, "path": path, "stem": video_stems[v]}
                  for v, path in enumerate(videos) if not manifest.finished(os.path.abspath(path))]
        state = _Progress(len(images) + len(videos), resumed, progress)
        if items:
            _stream(ray, job, items, actors, manifest, state)
        state.close()
    finally:
        ray.shutdown()
    return _summary(job, images, videos, video_stems, manifest, state, resumed)


class _Progress:
    """One bar of frames (an image is a frame) across the cluster, with inputs done of all."""

    def __init__(self, inputs, done, show):
        self.inputs, self.done = inputs, done
        self.bar = tqdm(desc=f"{done}/{inputs} inputs", unit="frame", disable=not show)
        self.skipped = []

    def frames(self, count):
        self.bar.update(count)

    def finished(self, count=1):
        self.done += count
        self.bar.set_description(f"{self.done}/{self.inputs} inputs")

    def close(self):
        self.bar.close()


def _stream(ray, job, items, actors, manifest, state):
    """Run the stages over ``items``; record each input in the manifest once its files exist."""
    import ray.data

    finish = ray.remote(num_cpus=0.25, max_retries=3)(finish_video)
    data = (ray.data.from_items([pack(item) for item in items], override_num_blocks=len(items))
            .flat_map(decode, fn_kwargs={"job": job}, num_cpus=0.25)
            .map_batches(NetworkActor, fn_constructor_kwargs={"job": job}, batch_size=1,
                         compute=ray.data.ActorPoolStrategy(size=actors),
                         num_cpus=job.network_cpus, num_gpus=job.network_gpus)
            .map(group_and_write, fn_kwargs={"job": job}, num_cpus=0.25))
    videos = {item["index"]: item for item in items if item["kind"] == "video"}
    parts, counts, failed, pending, segments = {}, {}, set(), {}, {}

    def done_videos(wait_all=False):
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=len(pending) if wait_all else 1,
                                timeout=None if wait_all else 0)
            if not ready:
                return
            for ref in ready:
                index = pending.pop(ref)
                item = videos[index]
                try:
                    info = ray.get(ref)
                except Exception as err:  # a worker's error comes back wrapped by Ray
                    state.skipped.append(f"{item['path']}: {_cause(err)}")
                    continue
                manifest.record(os.path.abspath(item["path"]), kind="video",
                                part=os.path.relpath(video_part(job, index), job.output),
                                **{k: v for k, v in info.items() if k != "pose_files"})
                for path in segments.pop(index):
                    os.remove(path)
                state.finished()

    for row in data.iter_rows():
        unit = unpack(row)
        if unit["kind"] == "images":
            for k, path in enumerate(unit["paths"]):
                if unit["errors"][k] is not None:
                    state.skipped.append(unit["errors"][k])
                    continue
                manifest.record(os.path.abspath(path), kind="image",
                                part=os.path.relpath(unit["part"], job.output), slot=k)
            state.frames(len(unit["paths"]))
            state.finished(len(unit["paths"]))
        else:
            index = unit["index"]
            if unit.get("error"):
                if index not in failed:
                    failed.add(index)
                    state.skipped.append(unit["error"])
                    state.finished()
                continue
            parts.setdefault(index, {})[unit["segment"]] = unit["part"]
            state.frames(unit["frames"])
            if unit["last"]:
                counts[index] = unit.get("chunks", unit["segment"] + 1)
            if index not in failed and len(parts[index]) == counts.get(index):
                ordered = [parts[index][s] for s in range(counts[index])]
                pending[finish.remote(job, videos[index], ordered)] = index
                segments[index] = ordered
        done_videos()
    done_videos(wait_all=True)


def _cause(err) -> str:
    """The message of the error a Ray task raised, without Ray's wrapping."""
    cause = getattr(err, "cause", None)
    return str(cause if isinstance(cause, (DatasetError, PosecutError)) else err).strip().splitlines()[-1]


def _summary(job, images, videos, video_stems, manifest, state, resumed) -> CorpusRun:
    """The run-wide files (predict) and the lines the command prints."""
    lines, tables, pose_files = [], [], []
    if resumed:
        lines.append(f"{resumed} inputs finished by an earlier run into {job.output} (manifest.jsonl)")
    if job.command == "predict":
        slots = []
        for path in images:
            entry = manifest.finished(os.path.abspath(path))
            slots.append((os.path.join(job.output, entry["part"]), entry["slot"]) if entry else None)
        video_parts = []
        for path in videos:
            entry = manifest.finished(os.path.abspath(path))
            video_parts.append(os.path.join(job.output, entry["part"]) if entry else None)
        results, records, tables = merge_predictions(job.output, images, slots,
                                                     list(zip(videos, video_stems)), video_parts,
                                                     job.part_names)
        read = sum(s is not None for s in slots)
        if images:
            lines.append(f"{read} images: {sum(1 for r in results if r['image_id'] <= len(images))} people")
    for v, path in enumerate(videos):
        entry = manifest.finished(os.path.abspath(path))
        if entry is None:
            continue
        if job.command == "track":
            lines.append(f"{path}: {entry['frames']} frames, {entry['tracks']} tracks; wrote "
                         f"{video_stems[v]}.json{'' if not job.draw else ' and ' + video_stems[v] + '_tracks.mp4'}")
        else:
            lines.append(f"{path}: {entry['frames']} frames, {entry['people']} people")
            if job.dlc_scorer:
                pose_files.append(pose_file_paths(job.output, video_stems[v], job.dlc_scorer)[0])
    return CorpusRun(lines, state.skipped, tables, pose_files, resumed)
