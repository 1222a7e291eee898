"""A long video tracked in overlapping chunks, each by a fresh tracker (on any worker), and the
chunks' tracks stitched into the tracks one tracker over the whole video gives.

ArtTracker (multiperson.tracking) solves windows of ``window`` frames that start every
``step = window - overlap`` frames; of the frames two windows share, the first
``carry = ceil(overlap / 2)`` are decided by the earlier window and carry the ids on, and a
tracker's last window (finish) is shorter. A window's partition depends on nothing but its
frames (their candidates and the flow between them), so a chunk whose tracker starts on that
grid, at window k, solves windows k, k + 1, ... as the whole run does: every frame from
``k * step + carry`` on gets the whole run's people. Their ids may at first be linked otherwise:
the link into window j goes through the frames ``j * step .. j * step + carry - 1``, which the
chunk decides as the whole run does from window ``k + lead`` on, ``lead = ceil(carry / step)``.
So chunk c starts at window k and keeps its frames from the first that window ``k + lead``
decides; chunk c - 1 runs on through ``shared = ceil(window / step)`` windows from that one, so
that both decide at least ``window`` frames as the whole run does, with identical people, and
chunk c - 1 with the whole run's ids. (Its last ``overlap // 2`` frames come from its tracker's
shorter last window and may differ.) Chunks overlap by ``(lead + shared - 1) * step + window``
frames and have at most ``chunk_frames``, at least ``least_chunk_frames(window, overlap) =
(lead + shared) * step + window``; the last runs to the video's end, as the whole run does.

stitch_tracks matches the tracks of chunk c to those of chunk c - 1 by the joints their people
share (one to one, scipy's linear_sum_assignment on the counts, as ArtTracker carries ids on):
first through the frames from chunk c's first kept frame to the end of the overlap, then, among
the matchings as good there, through the overlap's frames before it, which find a track the
later frames miss (hidden there, or carried on by candidates too few to make a person). The
other tracks get new ids, and all ids are numbered 0, 1, ... in order of first appearance, as
both trackers number them. What stays out of reach: a track the whole run carries through more
frames than the overlap without a person of it in the frames of the overlap, and a track seen
in the overlap only in the frames where one of the chunks may differ from the whole run (the
last ``overlap // 2`` of chunk c - 1, or those of chunk c before it keeps any).

OksTracker (posecut.tracking_run) finds each frame's people alone and links them to the tracks
seen in the last ``memory + 1`` frames (multiperson.track_link.LinkSettings, memory 3 by
default). Planned with ``window = 2, overlap = 1``, chunks overlap by 4 frames and a chunk keeps
its frames from its third on: a track lost before a chunk starts and found again after the chunk
before it ends was last seen 5 or more frames earlier, longer than memory 3 remembers, so the
whole run starts it anew as well. For a longer memory, plan with ``window = memory + 2, overlap =
memory + 1``: a chunk then sees ``memory + 1`` frames before the first it keeps, the history
the whole run's linker holds, and overlaps the next by ``ceil((memory + 1) / 2) + 2 * memory
+ 3`` frames.

Measured against one tracker over each clip, on oracle outputs of 18 synthetic clips (12
crossings, three walkers, two with four and three with five people coming and going; 600
frames), each cut into chunks of the least length and of 1 and 5 frames more: ArtTracker with
windows 8/4, 4/2, 4/3, 5/2, 6/3, 3/1 and 6/5 (temporal edges with and without flow, and none),
OksTracker planned with 2/1 and 5/4: 16200 frames, 4933 chunks, 45693 people; no person with
another pose or id.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from dataset.tracks import FramePeople
from lib.errors import ConfigError, InputError
from posecut.tracking_run import track_frames

__all__ = ["Chunk", "chunk_grid", "first_appearance_ids", "least_chunk_frames", "plan_chunks", "stitch_tracks",
           "track_chunk"]


class Chunk(NamedTuple):
    """Frames ``start .. stop - 1`` tracked by one fresh tracker; the people of frames
    ``keep_from .. keep_to - 1`` are taken from it (global frame indices)."""

    index: int
    start: int
    stop: int
    keep_from: int
    keep_to: int


def _whole(value, name: str, least: int) -> int:
    """``value`` as an int >= ``least``; ConfigError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ConfigError(f"plan_chunks: {name}: expected a whole number >= {least}, got {value!r}")
    return int(value)


def _grid(window, overlap) -> tuple[int, int, int, int]:
    """(step, carry, lead, shared) of the tracker's windows: frames between window starts, shared
    frames the earlier window decides, windows a chunk runs before its links are the whole
    run's, and windows whose frames two chunks both decide as the whole run does (at least
    ``window`` frames)."""
    window = _whole(window, "window", 2)
    overlap = _whole(overlap, "overlap", 1)
    if overlap >= window:
        raise ConfigError(f"plan_chunks: overlap: expected 1 .. window - 1 = {window - 1} frames, "
                          f"got {overlap}")
    step = window - overlap
    carry = overlap - overlap // 2
    return step, carry, math.ceil(carry / step), math.ceil(window / step)


def chunk_grid(tracker: str, settings, memory: int = 3) -> tuple[int, int]:
    """(window, overlap) to plan a tracker's chunks with: ArtTracker's own (``settings``, a
    TrackSettings), or for the OKS tracker ``memory + 2`` and ``memory + 1`` (its LinkSettings'
    memory), so that a chunk sees as many frames before the ones it keeps as the whole run."""
    if tracker == "oks":
        return memory + 2, memory + 1
    return settings.window, settings.overlap


def least_chunk_frames(window: int, overlap: int) -> int:
    """The fewest frames a chunk may have for the tracker's ``window`` and ``overlap``: the
    windows before its links are the whole run's, one step it keeps, and the windows through
    which the next chunk is matched."""
    step, _, lead, shared = _grid(window, overlap)
    return (lead + shared) * step + window


def plan_chunks(frames: int, chunk_frames: int, window: int, overlap: int) -> list[Chunk]:
    """Cut frames ``0 .. frames - 1`` into chunks of at most ``chunk_frames`` frames, starting on
    the tracker's window grid (multiples of ``window - overlap``) and overlapping so that each
    kept frame is decided by the window that decides it in one run over the whole video (see
    the module's docstring). One chunk when ``frames <= chunk_frames``.

    ConfigError naming the argument: ``chunk_frames`` below least_chunk_frames(window, overlap),
    ``overlap`` outside 1 .. window - 1, a negative ``frames``."""
    step, carry, lead, shared = _grid(window, overlap)
    frames = _whole(frames, "frames", 0)
    least = (lead + shared) * step + window
    chunk_frames = _whole(chunk_frames, "chunk_frames", 1)
    if chunk_frames < least:
        raise ConfigError(f"plan_chunks: chunk_frames: expected at least {least} frames for window "
                          f"{window} and overlap {overlap} (the windows a chunk needs before its "
                          f"ids are the whole video's, and those it shares with the next), got "
                          f"{chunk_frames}")
    if frames <= chunk_frames:
        return [Chunk(0, 0, frames, 0, frames)]
    windows = (chunk_frames - window - (lead + shared - 1) * step) // step
    chunks, first, keep_from = [], 0, 0
    while True:
        handover = first + windows + lead
        stop = (handover + shared - 1) * step + window
        if stop >= frames:
            chunks.append(Chunk(len(chunks), first * step, frames, keep_from, frames))
            return chunks
        keep_to = handover * step + carry
        chunks.append(Chunk(len(chunks), first * step, stop, keep_from, keep_to))
        first, keep_from = first + windows, keep_to


def track_chunk(frames: Iterable, outputs: Callable, new_tracker: Callable, scale: float,
                chunk: Chunk) -> list[FramePeople]:
    """The people of each frame of ``chunk`` with the chunk's own ids: ``frames`` yields (name,
    RGB frame) for frames ``chunk.start .. chunk.stop - 1``, ``outputs`` maps an image resized by
    ``scale`` to raw outputs, ``new_tracker()`` makes a fresh tracker (posecut.tracking_run's
    track_frames). InputError when the frames are not as many as the chunk's."""
    found = [people for _, _, people in track_frames(frames, outputs, new_tracker(), scale)]
    if len(found) != chunk.stop - chunk.start:
        raise InputError(f"track_chunk: frames: expected {chunk.stop - chunk.start} frames (chunk "
                         f"{chunk.index}: {chunk.start} .. {chunk.stop - 1}), got {len(found)}")
    return found


def first_appearance_ids(people: list[FramePeople]) -> list[FramePeople]:
    """The frames' people with their ids renumbered 0, 1, ... in order of first appearance (frame
    order, then the order of the people in the frame)."""
    numbers: dict = {}
    out = []
    for frame in people:
        ids = [numbers.setdefault(int(t), len(numbers)) for t in frame.track_ids]
        out.append(dataclasses.replace(frame, track_ids=np.asarray(ids, np.int64)))
    return out


def _check(chunks: list[Chunk], chunk_people: list[list[FramePeople]]) -> None:
    """InputError naming the chunk when the chunks do not keep 0 .. frames - 1 once each, in
    order, within what they saw, or a chunk's people are not one per frame it saw."""
    if len(chunks) != len(chunk_people):
        raise InputError(f"stitch_tracks: chunk_people: expected one list per chunk ({len(chunks)}), "
                         f"got {len(chunk_people)}")
    expected = 0
    for c, (chunk, people) in enumerate(zip(chunks, chunk_people)):
        where = f"stitch_tracks: chunks[{c}]"
        if chunk.index != c:
            raise InputError(f"{where}: index: expected {c}, got {chunk.index}")
        if chunk.keep_from != expected:
            raise InputError(f"{where}: keep_from: expected {expected} (the keep_to of the chunk "
                             f"before), got {chunk.keep_from}")
        if not chunk.start <= chunk.keep_from <= chunk.keep_to <= chunk.stop:
            raise InputError(f"{where}: expected start <= keep_from <= keep_to <= stop, got {chunk}")
        if len(people) != chunk.stop - chunk.start:
            raise InputError(f"stitch_tracks: chunk_people[{c}]: expected {chunk.stop - chunk.start} "
                             f"frames ({chunk.start} .. {chunk.stop - 1}), got {len(people)}")
        expected = chunk.keep_to


def _shared_joints(a: np.ndarray, b: np.ndarray, tolerance_px: float) -> np.ndarray:
    """(len(a), len(b)) how many joints both poses have (score > 0) within ``tolerance_px``
    pixels in x and in y."""
    present_a = (a[:, :, 2] > 0) & np.isfinite(a[:, :, :2]).all(axis=2)
    present_b = (b[:, :, 2] > 0) & np.isfinite(b[:, :, :2]).all(axis=2)
    with np.errstate(invalid="ignore"):
        close = (np.abs(a[:, None, :, :2] - b[None, :, :, :2]) <= tolerance_px).all(axis=3)
    return (close & present_a[:, None] & present_b[None]).sum(axis=2)


def _shared_counts(frames, before: Chunk, before_people, before_ids: dict, chunk: Chunk, people,
                   tolerance_px: float) -> dict:
    """(track of ``chunk``, global id of the track of ``before``) -> joints their people share
    over ``frames``."""
    counts: dict = {}
    for f in frames:
        a, b = before_people[f - before.start], people[f - chunk.start]
        if not len(a) or not len(b):
            continue
        shared = _shared_joints(b.poses, a.poses, tolerance_px)
        for i, j in zip(*np.nonzero(shared)):
            key = (int(b.track_ids[i]), before_ids[int(a.track_ids[j])])
            counts[key] = counts.get(key, 0) + int(shared[i, j])
    return counts


def _match(first: dict, then: dict) -> dict:
    """Track -> global id, one to one, maximising the ``first`` counts, and among the matchings
    that do, the ``then`` counts (linear_sum_assignment on first * (sum of then + 1) + then);
    pairs that share nothing stay apart."""
    pairs = set(first) | set(then)
    if not pairs:
        return {}
    rows = sorted({r for r, _ in pairs})
    cols = sorted({k for _, k in pairs})
    row, col = {r: i for i, r in enumerate(rows)}, {k: i for i, k in enumerate(cols)}
    table = np.zeros((len(rows), len(cols)), np.int64)
    weight = sum(then.values()) + 1
    for (r, k), n in first.items():
        table[row[r], col[k]] += n * weight
    for (r, k), n in then.items():
        table[row[r], col[k]] += n
    return {rows[i]: cols[k] for i, k in zip(*linear_sum_assignment(table, maximize=True))
            if table[i, k] > 0}


def stitch_tracks(chunks: list[Chunk], chunk_people: list[list[FramePeople]],
                  tolerance_px: float = 0.5) -> list[FramePeople]:
    """One FramePeople per frame ``0 .. chunks[-1].keep_to - 1`` with ids across the chunks.

    ``chunk_people[c]``: chunk c's people of frames ``start .. stop - 1`` with its own ids. The
    tracks of chunk c are matched to those of chunk c - 1 through the frames both saw: people of
    one frame score a pair of tracks by the joints they share (within ``tolerance_px`` pixels;
    identical outputs give identical joints), and scipy's linear_sum_assignment matches the
    tracks one to one on the counts of the frames from chunk c's first kept frame on, then, among
    the matchings as good there, on the counts of the shared frames before it (where a chunk's
    links may not yet be the whole video's, but a track that is missing later can be found); a
    track matched to none gets a new id. Ids are then numbered 0, 1, ... in order of first
    appearance. InputError naming the chunk when the chunks or their people do not fit.
    """
    _check(chunks, chunk_people)
    global_ids: list[dict] = []
    next_id = 0
    for c, (chunk, people) in enumerate(zip(chunks, chunk_people)):
        mapping: dict = {}
        if c:
            before = chunks[c - 1]
            low, high = max(before.start, chunk.start), min(before.stop, chunk.stop)
            split = min(max(low, chunk.keep_from), high)
            args = (before, chunk_people[c - 1], global_ids[c - 1], chunk, people, tolerance_px)
            mapping = _match(_shared_counts(range(split, high), *args),
                             _shared_counts(range(low, split), *args))
        for frame in people:
            for t in frame.track_ids:
                if int(t) not in mapping:
                    mapping[int(t)] = next_id
                    next_id += 1
        global_ids.append(mapping)
    out = []
    for chunk, people, mapping in zip(chunks, chunk_people, global_ids):
        for f in range(chunk.keep_from, chunk.keep_to):
            frame = people[f - chunk.start]
            ids = np.asarray([mapping[int(t)] for t in frame.track_ids], np.int64)
            out.append(dataclasses.replace(frame, track_ids=ids))
    return first_appearance_ids(out)
