"""The stages of a distributed run, each a plain function of one row (a dict under "unit") or a
class Ray Data runs in actors: decoding on CPUs, the network in actors that load the model once
(on a GPU where there is one), grouping and writing on CPUs, and each video's own files once all
its rows are done. Every file is written atomically under a name fixed by the input, so a row
done twice writes the same file twice and nothing else."""
import hashlib
import os
import pickle
from collections import deque
from types import SimpleNamespace

import imageio.v3 as iio

from dataset.images import read_image
from dataset.posetrack import write_posetrack
from dataset.tracks import TrackedVideo
from lib.errors import DatasetError, PosecutError
from multiperson.assemble import People
from multiperson.track_link import LinkSettings
from nnet.heads import head_layout_from_config
from posecut.build import predictor_from_network, setup_prediction, tracker_factory
from posecut.config import load_config
from posecut.corpus.atomic import atomic_path, read_pickle, write_pickle
from posecut.corpus.job import CorpusJob, part_path
from posecut.dlc_files import PoseFrames, pose_file_paths, write_pose_files
from posecut.frames import VideoFrames, frame_source, run_frames
from posecut.logs import start_tensorflow
from posecut.pose_table import PoseTable
from posecut.tracking_run import track_renderer, track_settings_from_config
from posecut.video_chunks import Chunk, chunk_grid, plan_chunks, stitch_tracks

__all__ = ["NetworkActor", "decode", "finish_video", "group_and_write", "pack", "unpack",
           "video_part"]

_LOADED: dict = {}


def _config(job: CorpusJob):
    """The job's config, loaded once per worker process."""
    key = ("config", job.config)
    if key not in _LOADED:
        _LOADED[key] = load_config(job.config)
    return _LOADED[key]


def _grouping(job: CorpusJob):
    """The predictor of the job's config without its network: its ``people(raw)`` groups."""
    key = ("grouping", job.config)
    if key not in _LOADED:
        cfg = _config(job)
        heads = SimpleNamespace(spec=SimpleNamespace(heads=head_layout_from_config(cfg)))
        _LOADED[key] = predictor_from_network(cfg, heads)
    return _LOADED[key]


def _new_tracker(job: CorpusJob):
    key = ("tracker", job.config, job.tracker, job.temporal_model)
    if key not in _LOADED:
        _LOADED[key] = tracker_factory(_config(job), job.tracker, job.temporal_model)
    return _LOADED[key]()


def pack(unit: dict) -> dict:
    """A row of the pipeline: the unit pickled (protocol 5, arrays copied once) into one bytes
    value, which Ray Data keeps as it is rather than converting each field."""
    return {"unit": pickle.dumps(unit, protocol=pickle.HIGHEST_PROTOCOL)}


def unpack(row: dict) -> dict:
    """The unit of a row made by pack."""
    return pickle.loads(row["unit"])


def decode(row: dict, job: CorpusJob):
    """Yield the rows of one input: a group of images read (an unreadable one carries its
    reason), or a video's frames cut into segments (predict) or overlapping chunks (track); a
    video that cannot be read yields one row with its reason."""
    for out in _decoded(unpack(row), job):
        yield pack(out["unit"])


def _decoded(item: dict, job: CorpusJob):
    if item["kind"] == "images":
        yield from _image_rows(item, job)
        return
    try:
        if job.command == "track":
            yield from _chunks(item, job)
        else:
            yield from _segments(item, job)
    except DatasetError as err:
        yield {"unit": {**item, "segment": -1, "error": str(err), "last": True}}


def _image_rows(item: dict, job: CorpusJob):
    """The item's images read, in rows of about job.row_pixels pixels; an unreadable image
    carries its reason in its row."""
    frames, errors, slots, pixels = [], [], [], 0
    for k, path in enumerate(item["paths"]):
        try:
            frames.append(read_image(path))
            errors.append(None)
            pixels += frames[-1].shape[0] * frames[-1].shape[1]
        except DatasetError as err:
            frames.append(None)
            errors.append(str(err))
        slots.append(k)
        if pixels >= job.row_pixels or k == len(item["paths"]) - 1:
            indices = [item["indices"][s] for s in slots]
            digest = hashlib.sha1(",".join(map(str, indices)).encode()).hexdigest()[:10]
            yield {"unit": {"kind": "images", "first": indices[0], "indices": indices,
                            "digest": digest, "paths": [item["paths"][s] for s in slots],
                            "stems": [item["stems"][s] for s in slots], "frames": frames,
                            "errors": errors}}
            frames, errors, slots, pixels = [], [], [], 0


def _segments(item: dict, job: CorpusJob):
    """A video's frames in rows of about job.row_pixels pixels, numbered; the last says so."""
    frames, start, segment = [], 0, 0
    for frame in VideoFrames(item["path"]):
        frames.append(frame)
        if len(frames) * frame.shape[0] * frame.shape[1] >= job.row_pixels:
            yield {"unit": {**item, "segment": segment, "start": start, "frames": frames,
                            "last": False}}
            start, segment, frames = start + len(frames), segment + 1, []
    if not frames and segment == 0:
        raise DatasetError(f"{item['path']}: the video has no frames")
    yield {"unit": {**item, "segment": segment, "start": start, "frames": frames, "last": True}}


def _chunks(item: dict, job: CorpusJob):
    """A video's (or folder's) frames in the overlapping chunks of posecut.video_chunks.plan_chunks."""
    frames, _, total, close = frame_source(item["path"], count=True)
    try:
        settings = track_settings_from_config(_config(job))
        window, overlap = chunk_grid(job.tracker, settings, LinkSettings().memory)
        plan = plan_chunks(int(total or 0), job.chunk_frames, window, overlap) if total else []
        held, first, seen = deque(), 0, 0
        for name, frame in frames:
            held.append((name, frame))
            seen += 1
            for chunk in plan:
                if chunk.stop == seen:
                    names, images = zip(*list(held)[chunk.start - first:chunk.stop - first])
                    yield {"unit": {**item, "segment": chunk.index, "chunk": tuple(chunk),
                                    "names": list(names), "frames": list(images),
                                    "last": chunk.index == len(plan) - 1, "chunks": len(plan)}}
            later = [c.start for c in plan if c.stop > seen]
            while held and later and first < min(later):
                held.popleft()
                first += 1
    finally:
        close()
    if seen == 0:
        raise DatasetError(f"{item['path']}: no frame could be read")
    if seen != total:
        raise DatasetError(f"{item['path']}: {seen} frames could be read of the {total} counted; "
                           f"track it without --ray")


class NetworkActor:
    """Holds the job's network (loaded once per actor) and adds each row's raw outputs; frames
    go on only where a later stage draws or follows them."""
    def __init__(self, job: CorpusJob):
        # Ray sets OMP_NUM_THREADS=1 in its workers; TensorFlow's network then runs about 25 %
        # slower than in one process (8.1 against 10.8 ms per 128x128 frame on 2 cores).
        os.environ.pop("OMP_NUM_THREADS", None)
        start_tensorflow(False)
        self.job = job
        self.predictor = setup_prediction(_config(job), job.weights)

    def __call__(self, batch):
        out = []
        for packed in batch["unit"]:
            unit = pickle.loads(packed)
            frames = unit.get("frames") or []
            unit["raw"] = [None if f is None else self.predictor.outputs(f) for f in frames]
            keep = self.job.command == "track" or (unit["kind"] == "images" and self.job.draw)
            if not keep:
                unit["sizes"] = [None if f is None else f.shape[:2] for f in frames]
                unit["frames"] = None
            out.append(pack(unit)["unit"])
        return {"unit": out}


def group_and_write(row: dict, job: CorpusJob) -> dict:
    """Group a row's raw outputs into people (or track a chunk), write its part file and, for
    images, their drawings; the row that comes back is small: what the driver records."""
    unit = unpack(row)
    raw, frames = unit.pop("raw", None), unit.pop("frames", None)
    if unit.get("error"):
        return pack(unit)
    if unit["kind"] == "images":
        return pack(_write_images(unit, raw, frames, job))
    if job.command == "track":
        tracker = _new_tracker(job)
        people = []
        for outputs, frame in zip(raw, frames):
            people += tracker.update(outputs, frame)
        people += tracker.finish()
        size = frames[0].shape[:2] if frames else None
        part = {"chunk": unit["chunk"], "names": unit["names"], "people": people, "size": size}
    else:
        grouping = _grouping(job)
        found = [grouping.people(r) for r in raw]
        part = {"start": unit["start"], "poses": [p.poses for p in found],
                "scores": [p.scores for p in found], "sizes": unit.pop("sizes")}
    name = f"video-{unit['index']:06d}-{unit['segment']:05d}.pkl"
    unit["part"] = write_pickle(part_path(job, name), part)
    unit["frames"] = len(raw)
    unit.pop("names", None)
    return pack(unit)


def _write_images(unit: dict, raw, frames, job: CorpusJob) -> dict:
    """People of a group of images, their drawings (PNG) and the group's part file."""
    grouping = _grouping(job)
    sizes, poses, scores = [], [], []
    for k, outputs in enumerate(raw):
        if outputs is None:
            sizes.append(None), poses.append(None), scores.append(None)
            continue
        people = grouping.people(outputs)
        frame = frames[k] if frames else None
        sizes.append(tuple(frame.shape[:2]) if frame is not None else unit["sizes"][k])
        poses.append(people.poses), scores.append(people.scores)
        if job.draw:
            target = os.path.join(job.output, unit["stems"][k] + ".png")
            with atomic_path(target) as temporary:
                iio.imwrite(temporary, job.drawing(frame, people.poses))
    part = {"paths": unit["paths"], "errors": unit["errors"], "sizes": sizes, "poses": poses,
            "scores": scores}
    name = f"images-{unit['first']:09d}-{unit['digest']}.pkl"
    unit["part"] = write_pickle(part_path(job, name), part)
    unit["frames"] = len(unit["paths"])
    unit.pop("sizes", None)
    return unit


def video_part(job: CorpusJob, index: int) -> str:
    """Where the poses of video ``index`` lie once finish_video has gathered them."""
    return part_path(job, f"video-{index:06d}.pkl")


def finish_video(job: CorpusJob, item: dict, parts: list) -> dict:
    """A video's own files from its rows' part files, in order: predict writes
    <stem>_poses.csv, DeepLabCut's H5 and CSV and <stem>_poses.mp4; track stitches its chunks
    and writes <stem>.json (PoseTrack) and <stem>_tracks.mp4. Returns what the driver reports."""
    loaded = [read_pickle(p) for p in parts]
    if job.command == "track":
        return _finish_track(job, item, loaded)
    return _finish_predict(job, item, loaded)


def _finish_predict(job: CorpusJob, item: dict, loaded: list) -> dict:

    poses = [p for part in loaded for p in part["poses"]]
    scores = [s for part in loaded for s in part["scores"]]
    sizes = [tuple(s) for part in loaded for s in part["sizes"]]
    path, stem = item["path"], item["stem"]
    source = os.path.abspath(path)
    table_path = os.path.join(job.output, f"{stem}_poses.csv")
    with atomic_path(table_path) as temporary:
        with PoseTable(temporary, job.part_names) as table:
            for index, found in enumerate(poses):
                table.add(source, index, found)
    pose_files = []
    if job.dlc_scorer:
        dlc = PoseFrames(job.part_names, multi=job.dlc_multi)
        for index, found in enumerate(poses):
            dlc.add(source, index, found)
        h5, csv = pose_file_paths(job.output, stem, job.dlc_scorer)
        with atomic_path(h5) as temporary_h5, atomic_path(csv) as temporary_csv:
            write_pose_files(dlc.dataframe(job.dlc_scorer), temporary_h5, temporary_csv)
        pose_files.append(h5)
    if job.draw:
        people = [People(p, s) for p, s in zip(poses, scores)]
        def step(frames):
            for (name, frame), found in zip(frames, people):
                yield name, frame, found
        with atomic_path(os.path.join(job.output, f"{stem}_poses.mp4")) as temporary:
            drawn = sum(1 for _ in run_frames(path, step, lambda f, p: lambda: job.drawing(f, p.poses),
                                              temporary, progress=False))
        if drawn != len(poses):
            raise DatasetError(f"{path}: {drawn} frames drawn of the {len(poses)} predicted")
    write_pickle(video_part(job, item["index"]),
                 {"poses": poses, "scores": scores, "sizes": sizes})
    return {"frames": len(poses), "people": int(sum(len(p) for p in poses)),
            "pose_files": pose_files}


def _finish_track(job: CorpusJob, item: dict, loaded: list) -> dict:

    cfg = _config(job)
    chunks = [Chunk(*part["chunk"]) for part in loaded]
    people = stitch_tracks(chunks, [part["people"] for part in loaded])
    names = []
    for chunk, part in zip(chunks, loaded):
        names += part["names"][chunk.keep_from - chunk.start:chunk.keep_to - chunk.start]
    if len(names) != len(people):
        raise PosecutError(f"{item['path']}: {len(people)} frames stitched for {len(names)} names")
    stem = item["stem"]
    size = loaded[0]["size"]
    target = os.path.join(job.output, f"{stem}.json")
    with atomic_path(target) as temporary:
        write_posetrack(TrackedVideo(stem, names, people, cfg.keypoint_format), temporary,
                        predictions=True, size=size)
    if job.draw:
        def step(frames):
            for (name, frame), found in zip(frames, people):
                yield name, frame, found
        with atomic_path(os.path.join(job.output, f"{stem}_tracks.mp4")) as temporary:
            for _ in run_frames(item["path"], step, track_renderer(tuple(cfg.format.skeleton), job.trail),
                                temporary, progress=False):
                pass
    tracks = len({int(t) for p in people for t in p.track_ids})
    return {"frames": len(people), "tracks": tracks, "people": int(sum(len(p) for p in people))}
