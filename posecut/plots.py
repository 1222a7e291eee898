"""Plots of a video's poses per part, as DeepLabCut's plot_trajectories draws them: where each
part went (x against y), its likelihood over time and a histogram of its frame-to-frame jumps, as
PNGs drawn with matplotlib's Agg canvas (no display, no global backend).

The numbers plotted come from functions on arrays (visible_positions, frame_jumps,
jump_histogram); the plotting functions only draw them.
"""
import os

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from multiperson.draw import part_colors
from posecut.dlc_files import read_pose_file

__all__ = ["FIGURE_PIXELS", "frame_jumps", "jump_histogram", "plot_pose_file", "plot_poses",
           "visible_positions"]

FIGURE_PIXELS = (640, 480)
"""Width and height of every plot, in pixels."""
_DPI = 100


def visible_positions(poses, pcutoff: float) -> np.ndarray:
    """(..., 2) x, y of ``poses`` (..., 3: x, y, likelihood), NaN where the likelihood is below
    ``pcutoff`` or not a number (the points a plot leaves out)."""
    poses = np.asarray(poses, np.float64)
    seen = poses[..., 2] >= pcutoff
    return np.where(seen[..., None], poses[..., :2], np.nan)


def frame_jumps(xy) -> np.ndarray:
    """(T-1, ...) distance in pixels from each row of ``xy`` (T, ..., 2) to the next: how far a
    part moved between consecutive frames; NaN where either position is NaN."""
    xy = np.asarray(xy, np.float64)
    return np.sqrt(((xy[1:] - xy[:-1]) ** 2).sum(axis=-1))


def jump_histogram(jumps, bins: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """(counts (J, bins), edges (bins + 1,)) of ``jumps`` (T-1, J): each part's finite jumps
    counted in ``bins`` equal bins shared by all parts, from 0 to the largest jump (to 1 when
    there is none), the last bin closed."""
    jumps = np.asarray(jumps, np.float64).reshape(len(jumps), -1)
    finite = jumps[np.isfinite(jumps)]
    top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    edges = np.linspace(0.0, top, int(bins) + 1)
    counts = np.stack([np.histogram(part[np.isfinite(part)], edges)[0] for part in jumps.T]) \
        if jumps.shape[1] else np.zeros((0, int(bins)), np.int64)
    return counts, edges


def _save(figure, path):
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=_DPI)
    return path


def _figure(title):
    figure = Figure(figsize=(FIGURE_PIXELS[0] / _DPI, FIGURE_PIXELS[1] / _DPI), dpi=_DPI,
                    layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=9)
    return figure, axes


def plot_poses(poses, frames, part_names, prefix: str, pcutoff: float = 0.6, bins: int = 50,
               title: str = "") -> list:
    """Three PNGs of the poses (T, J, 3) of one animal at ``frames`` (T,), each part in its colour
    (part_colors, as in the drawn video): ``<prefix>_trajectories.png`` (x against y, image rows
    down, points below ``pcutoff`` left out), ``<prefix>_likelihood.png`` (each part's likelihood
    by frame, the cut-off dashed) and ``<prefix>_jumps.png`` (histogram of the frame-to-frame
    jumps between visible positions). Returns their paths."""
    poses = np.asarray(poses, np.float64)
    colors = [tuple(c / 255 for c in color) for color in part_colors(len(part_names))]
    xy = visible_positions(poses, pcutoff)
    heading = f"{title}\n" if title else ""
    paths = []

    figure, axes = _figure(f"{heading}positions with likelihood >= {pcutoff:g}")
    for j, name in enumerate(part_names):
        axes.plot(xy[:, j, 0], xy[:, j, 1], ".", markersize=2, color=colors[j], label=name)
    axes.invert_yaxis()
    axes.set_aspect("equal", adjustable="datalim")
    axes.set_xlabel("x (pixels)")
    axes.set_ylabel("y (pixels)")
    axes.legend(fontsize=7, markerscale=4, loc="best")
    paths.append(_save(figure, f"{prefix}_trajectories.png"))

    figure, axes = _figure(f"{heading}likelihood by frame")
    for j, name in enumerate(part_names):
        axes.plot(frames, poses[:, j, 2], linewidth=0.8, color=colors[j], label=name)
    axes.axhline(pcutoff, color="0.4", linestyle="--", linewidth=0.8, label=f"p-cutoff {pcutoff:g}")
    axes.set_ylim(-0.05, 1.05)
    axes.set_xlabel("frame")
    axes.set_ylabel("likelihood")
    axes.legend(fontsize=7, loc="best")
    paths.append(_save(figure, f"{prefix}_likelihood.png"))

    counts, edges = jump_histogram(frame_jumps(xy), bins)
    figure, axes = _figure(f"{heading}frame-to-frame jumps, both frames' likelihood >= {pcutoff:g}")
    for j, name in enumerate(part_names):
        axes.stairs(counts[j], edges, color=colors[j], label=name)
    axes.set_xlabel("jump between consecutive frames (pixels)")
    axes.set_ylabel("frames")
    axes.legend(fontsize=7, loc="best")
    paths.append(_save(figure, f"{prefix}_jumps.png"))
    return paths


def plot_pose_file(path, out_dir=None, pcutoff: float = 0.6, bins: int = 50) -> list:
    """The plots of plot_poses for a DeepLabCut-layout H5 or CSV, into ``out_dir`` (default: a
    ``plots`` folder beside the file), named after the file without its scorer; one set per
    individual of a multi-animal file. Returns the PNGs' paths."""
    path = os.fspath(path)
    poses = read_pose_file(path)
    out_dir = out_dir or os.path.join(os.path.dirname(os.path.abspath(path)), "plots")
    os.makedirs(out_dir, exist_ok=True)
    stem = os.path.splitext(os.path.basename(path))[0]
    stem = stem[:-len(poses.scorer) - 1] if stem.endswith("_" + poses.scorer) else stem
    paths = []
    for k, individual in enumerate(poses.individuals):
        name = f"{stem}_{individual}" if poses.multi else stem
        title = f"{os.path.basename(path)}{f', {individual}' if poses.multi else ''}"
        paths += plot_poses(poses.poses[:, k], poses.frames, poses.parts,
                            os.path.join(out_dir, name), pcutoff, bins, title)
    return paths
