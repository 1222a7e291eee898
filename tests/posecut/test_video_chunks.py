"""posecut.video_chunks: the plan of overlapping chunks (checked against the windows the real
ArtTracker solves, frame by frame), stitching (hand-made tracks), and chunked tracking of the
oracle clips of tests/multiperson/test_temporal_model.py against one tracker over each clip."""
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import multiperson.tracking as tracking
from dataset.keypoint_formats import get_format
from dataset.tracks import frame_people
from lib.errors import ConfigError, InputError
from multiperson.detections import Detections
from multiperson.temporal_model import FEATURES, TemporalModel
from multiperson.track_link import LinkSettings, OksLinker
from multiperson.tracking import ArtTracker, TrackSettings
from posecut.tracking_run import OksTracker, track_frames
from posecut.video_chunks import (Chunk, first_appearance_ids, least_chunk_frames, plan_chunks,
                                  stitch_tracks, track_chunk)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "multiperson"))
from test_temporal_model import (FLOW, crossing_people, grouping_assets,  # noqa: E402
                                 oracle_clip, random_people, render, temporal_model, walk)

# ---------------------------------------------------------------- the plan


def test_a_short_video_is_one_chunk_kept_whole():
    assert plan_chunks(10, 20, 8, 4) == [Chunk(0, 0, 10, 0, 10)]
    assert plan_chunks(20, 20, 8, 4) == [Chunk(0, 0, 20, 0, 20)]
    assert plan_chunks(0, 20, 8, 4) == [Chunk(0, 0, 0, 0, 0)]


def test_least_chunk_frames_counts_the_windows_a_chunk_needs():
    # (lead + shared) * step + window, lead = ceil(ceil(overlap / 2) / step),
    # shared = ceil(window / step)
    assert least_chunk_frames(8, 4) == (1 + 2) * 4 + 8
    assert least_chunk_frames(2, 1) == (1 + 2) * 1 + 2
    assert least_chunk_frames(5, 4) == (2 + 5) * 1 + 5
    assert least_chunk_frames(3, 1) == (1 + 2) * 2 + 3
    assert least_chunk_frames(9, 3) == (1 + 2) * 6 + 9


def test_bad_arguments_are_config_errors_naming_them():
    with pytest.raises(ConfigError, match=r"chunk_frames: expected at least 20 frames for window 8 "
                                          r"and overlap 4"):
        plan_chunks(100, 19, 8, 4)
    with pytest.raises(ConfigError, match="chunk_frames: expected at least 20"):
        plan_chunks(5, 19, 8, 4)
    with pytest.raises(ConfigError, match=r"overlap: expected 1 \.\. window - 1 = 7 frames, got 8"):
        plan_chunks(100, 64, 8, 8)
    with pytest.raises(ConfigError, match="overlap: expected a whole number >= 1, got 0"):
        plan_chunks(100, 64, 8, 0)
    with pytest.raises(ConfigError, match="window: expected a whole number >= 2, got 1"):
        plan_chunks(100, 64, 1, 1)
    with pytest.raises(ConfigError, match="frames: expected a whole number >= 0, got -1"):
        plan_chunks(-1, 64, 8, 4)
    with pytest.raises(ConfigError, match=r"chunk_frames: expected a whole number >= 1, got 64\.0"):
        plan_chunks(100, 64.0, 8, 4)


def test_a_long_video_is_cut_on_the_window_grid_and_every_frame_kept_once():
    plan = plan_chunks(100, 32, 8, 4)
    assert plan[:2] == [Chunk(0, 0, 32, 0, 22), Chunk(1, 16, 48, 22, 38)]
    assert plan[-1].stop == plan[-1].keep_to == 100
    _check_plan(plan, 100, 32, 8, 4)


def _check_plan(plan, frames, chunk_frames, window, overlap):
    """Coverage, order, grid and size of a plan."""
    step = window - overlap
    assert [c.index for c in plan] == list(range(len(plan)))
    assert plan[0].keep_from == 0 and plan[-1].keep_to == frames == plan[-1].stop
    for before, chunk in zip(plan, plan[1:]):
        assert before.keep_to == chunk.keep_from and before.start < chunk.start < before.stop
    for chunk in plan:
        assert chunk.start % step == 0
        assert chunk.start <= chunk.keep_from < chunk.keep_to <= chunk.stop or frames == 0
        assert chunk.stop - chunk.start <= max(chunk_frames, frames if len(plan) == 1 else 0)
    assert (len(plan) == 1) == (frames <= chunk_frames)


class _Recorder:
    """Runs the real ArtTracker on frames without candidates and records, for each frame it
    gives back, the window (global frame indices) that decided it and that window's frames
    decided before it (through which the ids are carried on)."""

    def __init__(self, monkeypatch):
        self.index, self.solved = {}, []
        empty = Detections(np.zeros(0, np.int32), np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0),
                           np.zeros((0, 2, 2)), 2)

        def candidates(raw, assets):
            made = tracking.FrameCandidates(empty, np.zeros((0, 2), np.int64), np.zeros(0))
            self.index[id(made)] = raw
            self.held.append(made)
            return made

        def problem(frames, model, settings):
            ids = [self.index[id(f.candidates)] for f in frames]
            carried = [i for i, f in zip(ids, frames) if f.ids is not None]
            self.solved.append((tuple(ids), tuple(carried)))
            return tracking.WindowProblem(np.zeros(0), np.zeros((0, 2), np.int64), np.zeros(0),
                                          np.zeros(0, bool), np.zeros(len(frames) + 1, np.int64))

        monkeypatch.setattr(tracking, "frame_candidates", candidates)
        monkeypatch.setattr(tracking, "window_problem", problem)
        monkeypatch.setattr(tracking, "solve", lambda *a: (np.zeros(0), np.zeros(0, np.int64), None))
        settings = SimpleNamespace(num_joints=2, pair_mask=np.zeros((2, 2), bool), min_person_parts=1,
                                   global_scale=1.0, duplicate_px=0.0)
        self.assets = SimpleNamespace(settings=settings)
        self.model = TemporalModel(np.zeros(len(FEATURES) + 1), np.zeros(len(FEATURES)),
                                   np.ones(len(FEATURES)))

    def run(self, start, stop, window, overlap):
        """{frame: (window, carried frames)} of a tracker over frames start .. stop - 1."""
        self.held, self.solved = [], []
        tracker = ArtTracker(self.assets, self.model, TrackSettings(window, overlap, 0, 1.0, None))
        decided = []
        for f in range(start, stop):
            for _ in tracker.update(f):
                decided.append(self.solved[-1])
        decided.extend(self.solved[-1] for _ in tracker.finish())
        assert len(decided) == stop - start
        return dict(zip(range(start, stop), decided))


def _windows_of_plans():
    for window in range(2, 8):
        for overlap in range(1, window):
            least = least_chunk_frames(window, overlap)
            for chunk_frames in (least, least + 1, least + window + 1):
                for frames in (1, chunk_frames, chunk_frames + 1, 2 * chunk_frames + 3,
                               4 * chunk_frames + window):
                    yield frames, chunk_frames, window, overlap


def test_every_kept_frame_is_decided_by_the_window_of_the_whole_run(monkeypatch):
    """Over 315 plans, with the real ArtTracker's windowing: each kept frame is decided by the
    window that decides it in one run over the whole video, that window carries ids on through
    frames decided as in the whole run, and each chunk after the first shares with the chunk
    before it at least ``window`` frames that both decide so, from its first kept frame on."""
    recorder = _Recorder(monkeypatch)
    count = 0
    for frames, chunk_frames, window, overlap in _windows_of_plans():
        plan = plan_chunks(frames, chunk_frames, window, overlap)
        _check_plan(plan, frames, chunk_frames, window, overlap)
        whole = recorder.run(0, frames, window, overlap)
        runs = [recorder.run(c.start, c.stop, window, overlap) for c in plan]
        for chunk, run in zip(plan, runs):
            for f in range(chunk.keep_from, chunk.keep_to):
                decided, carried = run[f]
                assert decided == whole[f][0], (frames, chunk_frames, window, overlap, chunk, f)
                assert all(run[g][0] == whole[g][0] for g in carried), (window, overlap, chunk, f)
        for before, chunk, run_before, run in zip(plan, plan[1:], runs, runs[1:]):
            shared = [f for f in range(chunk.keep_from, before.stop)
                      if run_before[f] == run[f] and run[f][0] == whole[f][0]
                      and all(run_before[g][0] == whole[g][0] for g in run[f][1])]
            assert len(shared) >= window, (frames, chunk_frames, window, overlap, before, chunk)
        count += 1
    assert count == 315


# ---------------------------------------------------------------- stitching

J = 3


def _pose(person, frame):
    """A hand-made pose: person ``person`` at frame ``frame``."""
    x = 20.0 * person + frame
    return np.column_stack([x + np.arange(J), np.full(J, 5.0 + person), np.ones(J)])


def _frames(start, stop, tracks):
    """FramePeople of frames start .. stop - 1: ``tracks`` {local id: (person, first, last)}
    (frames first .. last, global)."""
    out = []
    for f in range(start, stop):
        here = [(t, p) for t, (p, first, last) in tracks.items() if first <= f <= last]
        out.append(frame_people(np.array([t for t, _ in here], np.int64),
                                np.array([_pose(p, f) for _, p in here]).reshape(-1, J, 3)))
    return out


def _persons(stitched):
    """Per frame: [(person, id)] read back from the hand-made poses."""
    return [[(int(round(p[0, 1] - 5.0)), int(t)) for t, p in zip(f.track_ids, f.poses)]
            for f in stitched]


def test_stitching_follows_the_poses_whatever_each_chunk_calls_them():
    chunks = [Chunk(0, 0, 10, 0, 7), Chunk(1, 4, 14, 7, 14)]
    people = [_frames(0, 10, {0: (0, 0, 13), 1: (1, 0, 13)}),
              _frames(4, 14, {7: (1, 0, 13), 3: (0, 0, 13)})]
    stitched = stitch_tracks(chunks, people)
    assert len(stitched) == 14
    assert all(sorted(f) == [(0, 0), (1, 1)] for f in _persons(stitched))
    # a track that appears only after the overlap gets the next id; one chunk keeps its own
    people[1] = _frames(4, 14, {7: (1, 0, 13), 3: (0, 0, 13), 0: (2, 11, 13)})
    stitched = stitch_tracks(chunks, people)
    assert _persons(stitched)[11] == [(1, 1), (0, 0), (2, 2)]
    one = _frames(0, 5, {4: (1, 2, 4), 9: (0, 0, 4)})
    assert [f.track_ids.tolist() for f in stitch_tracks([Chunk(0, 0, 5, 0, 5)], [one])] == \
        [[0], [0], [1, 0], [1, 0], [1, 0]]


def test_a_chunk_without_people():
    chunks = [Chunk(0, 0, 8, 0, 6), Chunk(1, 4, 12, 6, 10), Chunk(2, 8, 16, 10, 16)]
    people = [_frames(0, 8, {0: (0, 0, 5)}), _frames(4, 12, {}), _frames(8, 16, {5: (1, 12, 15)})]
    stitched = stitch_tracks(chunks, people)
    assert [len(f) for f in stitched] == [1] * 6 + [0] * 6 + [1] * 4
    assert _persons(stitched)[12:] == [[(1, 1)]] * 4
    # and one whose people are none of the chunk before's
    people[1] = _frames(4, 12, {2: (3, 6, 11)})
    assert _persons(stitch_tracks(chunks, people))[6] == [(3, 1)]


def test_two_people_swapping_near_a_border_keep_the_ids_of_the_kept_frames():
    """Two people whose tracks the tracker swaps at frame 7, where chunk 1's kept frames begin:
    chunk 0 saw the swap; chunk 1 (which, like the whole video's tracker there, follows each
    track on from the swap) is matched by the frames from its first kept one on, not by the
    frames before it, where its own tracks differ."""
    chunks = [Chunk(0, 0, 10, 0, 7), Chunk(1, 4, 14, 7, 14)]
    before = _frames(0, 10, {0: (0, 0, 6), 1: (1, 0, 6)})
    swapped = _frames(0, 10, {0: (1, 7, 9), 1: (0, 7, 9)})
    people = [[frame_people(np.concatenate([a.track_ids, b.track_ids]), np.concatenate([a.poses, b.poses]))
               for a, b in zip(before, swapped)],
              _frames(4, 14, {0: (0, 4, 13), 1: (1, 4, 13)})]
    persons = _persons(stitch_tracks(chunks, people))
    assert persons[6] == [(0, 0), (1, 1)]
    assert sorted(persons[7]) == sorted(persons[13]) == [(0, 1), (1, 0)]
    # a track missing from the frames after the first kept one is still found in those before it
    people = [_frames(0, 10, {0: (0, 0, 5), 1: (1, 0, 9)}), _frames(4, 14, {5: (1, 4, 13), 6: (0, 4, 5)})]
    people[1] = [f for f in people[1][:7]] + _frames(11, 14, {5: (1, 0, 13), 6: (0, 0, 13)})
    persons = _persons(stitch_tracks(chunks, people))
    assert persons[11] == [(1, 1), (0, 0)]


def test_joints_within_the_tolerance_count_as_shared():
    chunks = [Chunk(0, 0, 6, 0, 4), Chunk(1, 2, 8, 4, 8)]
    people = [_frames(0, 6, {0: (0, 0, 7), 1: (1, 0, 7)}), _frames(2, 8, {0: (1, 0, 7), 1: (0, 0, 7)})]
    nudged = [frame_people(f.track_ids, f.poses + [1e-3, -1e-3, 0]) for f in people[1]]
    assert _persons(stitch_tracks(chunks, [people[0], nudged]))[7] == [(1, 1), (0, 0)]
    assert _persons(stitch_tracks(chunks, [people[0], nudged], tolerance_px=0.0))[7] == [(1, 2), (0, 3)]


def test_bad_chunks_or_people_are_input_errors_naming_the_chunk():
    chunks = [Chunk(0, 0, 6, 0, 4), Chunk(1, 2, 8, 4, 8)]
    people = [_frames(0, 6, {}), _frames(2, 8, {})]
    with pytest.raises(InputError, match=r"chunk_people\[1\]: expected 6 frames \(2 \.\. 7\), got 5"):
        stitch_tracks(chunks, [people[0], people[1][:5]])
    with pytest.raises(InputError, match=r"chunk_people: expected one list per chunk \(2\), got 1"):
        stitch_tracks(chunks, people[:1])
    with pytest.raises(InputError, match=r"chunks\[1\]: keep_from: expected 4"):
        stitch_tracks([chunks[0], chunks[1]._replace(keep_from=5)], people)
    with pytest.raises(InputError, match=r"chunks\[1\]: index: expected 1, got 0"):
        stitch_tracks([chunks[0], chunks[1]._replace(index=0)], people)
    with pytest.raises(InputError, match=r"chunks\[0\]: expected start <= keep_from <= keep_to"):
        stitch_tracks([chunks[0]._replace(keep_to=7), chunks[1]._replace(keep_from=7)], people)


def test_first_appearance_ids():
    frames = [frame_people(np.array(ids, np.int64), np.zeros((len(ids), J, 3)))
              for ids in ([7, 3], [], [3, 9, 7], [2])]
    assert [f.track_ids.tolist() for f in first_appearance_ids(frames)] == [[0, 1], [], [1, 2, 0], [3]]


# ---------------------------------------------------------------- chunked tracking of clips

def _clips():
    """(name, people, frames, seed): crossings (one hidden behind the other), three walkers,
    and slow random walkers who come and go at the image's edges."""
    clips = []
    for seed, dy, occlude in ((0, 0.0, False), (1, 8.0, True), (8, 0.0, False), (11, 4.0, True)):
        people, frames = crossing_people(np.random.default_rng(500 + seed), dy, occlude)
        clips.append((f"crossing {seed}", people, frames, 1000 * seed))
    clips.append(("walkers", [dict(height=55, x=20, top=5, vx=2.0, vy=0.5, phase=0.0, depth=0),
                              dict(height=60, x=64, top=30, vx=-1.5, vy=0.0, phase=2.0, depth=1),
                              dict(height=50, x=110, top=10, vx=-2.5, vy=0.8, phase=4.0, depth=2)],
                  24, 20))
    rng = np.random.default_rng(7)
    for k in range(2):
        people = random_people(rng, 4)
        for person in people:
            person["vx"] /= 3
        clips.append((f"random {k}", people, 30, 3000 + k))
    return clips


TRACKERS = [("arttrack", dict(window=8, overlap=4, max_gap=3, flow=FLOW)),
            ("arttrack", dict(window=4, overlap=2, max_gap=2, flow=FLOW)),
            ("arttrack", dict(window=4, overlap=3, max_gap=2, flow=None)),
            ("arttrack", dict(window=3, overlap=1, max_gap=0, flow=None)),
            ("oks", dict(window=2, overlap=1)),
            ("oks", dict(window=5, overlap=4))]


def _differences(whole, stitched):
    """(people, people whose ids differ, people whose poses differ) of the stitched frames against
    the whole run's, both numbered in order of first appearance."""
    people = ids = poses = 0
    for a, b in zip(first_appearance_ids(whole), stitched):
        people += len(a)
        if a.poses.shape != b.poses.shape or not np.array_equal(a.poses, b.poses):
            poses += max(len(a), len(b))
        else:
            ids += int((a.track_ids != b.track_ids).sum())
    return people, ids, poses


@pytest.fixture(scope="module")
def clips():
    assets = grouping_assets()
    return [(name, oracle_clip(assets, walk(people, frames), seed), render(people, frames, seed))
            for name, people, frames, seed in _clips()]


@pytest.mark.parametrize("kind,track", TRACKERS, ids=[f"{k}-{t['window']}-{t['overlap']}" for k, t in TRACKERS])
def test_chunked_tracking_gives_the_whole_runs_people_and_ids(clips, kind, track):
    """Each clip tracked whole, and in chunks of the least length (the most borders) stitched:
    the same people, poses and ids. Over the seven clips (174 frames) and six trackers here: 1044
    frames tracked in 498 chunks, 2800 people, none with another id or pose. (When chunks shared
    the frames of one window only, one frame at window 4 and overlap 3, 21 people of crossing 8
    got other ids: there the two bodies make one person.)"""
    assets = grouping_assets()
    window, overlap = track["window"], track["overlap"]
    if kind == "arttrack":
        settings = TrackSettings(window, overlap, track["max_gap"], 1.0, track["flow"])
        model = temporal_model(track["flow"] is not None)

        def new():
            return ArtTracker(assets, model, settings)
    else:
        sigmas = get_format("coco17").sigmas_array()

        def new():
            return OksTracker(assets, sigmas)
    scale = float(assets.settings.global_scale)
    for name, raws, images in clips:
        frames = [(f"{name} #{f}", image) for f, image in enumerate(images)]
        outputs = iter(raws)
        whole = [p for _, _, p in track_frames(frames, lambda image: next(outputs), new(), scale)]
        plan = plan_chunks(len(frames), least_chunk_frames(window, overlap), window, overlap)
        assert len(plan) >= 2
        found = []
        for chunk in plan:
            outputs = iter(raws[chunk.start:chunk.stop])
            found.append(track_chunk(frames[chunk.start:chunk.stop], lambda image: next(outputs), new,
                                     scale, chunk))
        people, ids, poses = _differences(whole, stitch_tracks(plan, found))
        assert people > len(frames) and (ids, poses) == (0, 0), (name, kind, track, ids, poses)


def test_track_chunk_gives_one_frame_per_frame_of_the_chunk(clips):
    assets = grouping_assets()
    _, raws, images = clips[0]
    outputs = iter(raws)

    def new():
        return OksTracker(assets, get_format("coco17").sigmas_array())

    found = track_chunk([(str(f), images[f]) for f in range(3, 9)], lambda image: next(outputs), new,
                        1.0, Chunk(0, 3, 9, 3, 9))
    assert len(found) == 6 and [len(f) for f in found] == [2] * 6
    with pytest.raises(InputError, match=r"track_chunk: frames: expected 6 frames \(chunk 2: 3 \.\. 8\), "
                                         r"got 4"):
        track_chunk([(str(f), images[f]) for f in range(4)], lambda image: next(outputs), new, 1.0,
                    Chunk(2, 3, 9, 3, 9))


class _Linked:
    """OksTracker without the network: ``update`` takes a frame's (poses, scores) and links them
    (multiperson.track_link.OksLinker) with the given memory."""

    def __init__(self, memory):
        self.linker = OksLinker(get_format("coco17").sigmas_array(), LinkSettings(memory=memory))

    def update(self, raw, image=None):
        return [self.linker.update(*raw)]

    def finish(self):
        return []


def _oks_differences(raws, memory, window, overlap):
    """(people, ids that differ, poses that differ) of linking ``raws`` in the least chunks of
    ``window`` and ``overlap`` against linking them whole."""
    frames = [(str(f), np.zeros((2, 2, 3), np.uint8)) for f in range(len(raws))]
    outputs = iter(raws)
    whole = [p for _, _, p in track_frames(frames, lambda image: next(outputs), _Linked(memory), 1.0)]
    plan = plan_chunks(len(raws), least_chunk_frames(window, overlap), window, overlap)
    found = []
    for chunk in plan:
        outputs = iter(raws[chunk.start:chunk.stop])
        found.append(track_chunk(frames[chunk.start:chunk.stop], lambda image: next(outputs),
                                 lambda: _Linked(memory), 1.0, chunk))
    return _differences(whole, stitch_tracks(plan, found))


def test_oks_linking_in_chunks_of_memory_plus_two_frames_keeps_a_track_lost_for_memory_frames():
    """One person stays, another leaves for five frames and comes back where it was. Linked with
    memory 6, the whole run takes it back; chunks planned with window 2, overlap 1 overlap by 4
    frames, so none sees both its last frame before the gap and its first after it, and it gets
    a new id; window memory + 2, overlap memory + 1 keeps it. With memory 3 no run takes it back."""
    a = walk([dict(height=50, x=30, top=20, vx=0.0, phase=0.0)], 40)
    b = walk([dict(height=50, x=90, top=20, vx=0.0, phase=1.0)], 40)
    raws = []
    for f in range(40):
        poses = [a[f][0]] + ([b[f][0]] if not 14 <= f <= 18 else [])
        raws.append((np.array(poses), np.ones(len(poses))))
    assert _oks_differences(raws, 6, 2, 1)[1:] == (21, 0)
    assert _oks_differences(raws, 6, 8, 7) == (75, 0, 0)
    assert _oks_differences(raws, 3, 2, 1) == (75, 0, 0)


def test_the_grid_of_each_tracker_is_its_windows_or_the_oks_memory():
    from multiperson.tracking import TrackSettings
    from posecut.video_chunks import chunk_grid

    settings = TrackSettings(8, 4, 2, 1.0, None)
    assert chunk_grid("arttrack", settings) == (8, 4)
    assert chunk_grid("oks", settings, memory=3) == (5, 4)
    assert least_chunk_frames(*chunk_grid("oks", settings, memory=3)) <= least_chunk_frames(8, 4)
