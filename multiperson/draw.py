"""Drawings of poses and score maps on RGB arrays, with OpenCV (fast enough for every frame of a
video, and the one drawing library of the project); PNGs are written with imageio."""
import colorsys
from typing import NamedTuple, Optional

import cv2
import numpy as np

# matplotlib's tab10 palette (RGB, 0..255): ten colours told apart easily.
_PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
            (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))
_LINE_HEIGHT = 22


def person_colors(count):
    """A distinct RGB colour (0..255 ints) per person: the palette up to ten, else hues spread
    evenly round the colour wheel."""
    if count <= len(_PALETTE):
        return list(_PALETTE[:count])
    return [tuple(round(255 * c) for c in colorsys.hsv_to_rgb(i / count, 0.85, 0.95))
            for i in range(count)]


def part_colors(count):
    """A colour per part (RGB 0..255 ints), evenly spaced along matplotlib's "rainbow" colour map
    from its violet end to its red end, as DeepLabCut colours its bodyparts."""
    x = np.linspace(0.0, 1.0, count) if count > 1 else np.zeros(count)
    rgb = np.clip(np.stack([np.abs(2 * x - 0.5), np.sin(np.pi * x), np.cos(np.pi * x / 2)], 1), 0, 1)
    return [tuple(int(v) for v in row) for row in np.round(255 * rgb).astype(int)]


def _draw(image, poses, skeleton, joint_colors, limb_colors, min_score, pcutoff, thickness):
    """A copy of ``image`` with each pose (J, 3) drawn: its joints in ``joint_colors`` (a list of J
    colours per pose), its limbs in ``limb_colors`` (one per skeleton edge per pose). A joint above
    ``min_score`` is a white-ringed dot at or above ``pcutoff``, a hollow ring below it; a limb
    joins two dots."""
    out = np.ascontiguousarray(image).copy()
    size = thickness or max(1, round(min(image.shape[:2]) / 240))
    cutoff = min_score if pcutoff is None else pcutoff
    for pose, joints, limbs in zip(poses, joint_colors, limb_colors):
        pose = np.asarray(pose, np.float64)
        found = (pose[:, 2] > min_score) & np.isfinite(pose).all(axis=1)
        solid = found & (pose[:, 2] >= cutoff)
        points = np.round(np.where(found[:, None], pose[:, :2], 0)).astype(int)
        for (a, b), color in zip(skeleton, limbs):
            if solid[a] and solid[b]:
                cv2.line(out, tuple(points[a]), tuple(points[b]), color, 2 * size, cv2.LINE_AA)
        for j in np.flatnonzero(found):
            if solid[j]:
                cv2.circle(out, tuple(points[j]), 2 * size + 1, (255, 255, 255), -1, cv2.LINE_AA)
                cv2.circle(out, tuple(points[j]), 2 * size, joints[j], -1, cv2.LINE_AA)
            else:
                cv2.circle(out, tuple(points[j]), 2 * size + 1, joints[j], max(1, size), cv2.LINE_AA)
    return out


def draw_people(image, poses, skeleton, min_score=0.0, thickness=None, colors=None, pcutoff=None):
    """A copy of the RGB ``image`` with every person (K, J, 3) drawn in its own colour: joints
    scoring above ``min_score`` as white-ringed dots, or hollow rings where they score below
    ``pcutoff``, and the limbs of ``skeleton`` between dots."""
    colors = colors or person_colors(len(poses))
    joints = [[color] * (np.shape(pose)[0]) for pose, color in zip(poses, colors)]
    limbs = [[color] * len(skeleton) for color in colors]
    return _draw(image, poses, skeleton, joints, limbs, min_score, pcutoff, thickness)


def draw_parts(image, poses, skeleton, pcutoff=0.6, thickness=None, colors=None):
    """A copy of the RGB ``image`` with each pose (K, J, 3) drawn part by part: each part in its own
    colour (``colors``, else part_colors), found parts below ``pcutoff`` as hollow rings, and each
    limb of ``skeleton`` between two parts at or above it in the mean of their colours."""
    if not len(poses):
        return np.ascontiguousarray(image).copy()
    colors = list(colors or part_colors(np.shape(poses)[1]))
    limbs = [tuple((np.add(colors[a], colors[b]) // 2).tolist()) for a, b in skeleton]
    return _draw(image, poses, skeleton, [colors] * len(poses), [limbs] * len(poses), 0.0,
                 pcutoff, thickness)


_LEGEND_SCALE, _LEGEND_ROW = 0.4, 16


def with_legend(image, names, colors, pcutoff=None):
    """The RGB ``image`` with a white panel on its right listing each part's ``names`` beside a dot
    of its colour and, with ``pcutoff``, a hollow ring for "below p <pcutoff>"; the panel is in
    columns when the names outnumber the rows, and of even width (as H.264 frames need)."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    entries = [(name, color, True) for name, color in zip(names, colors)]
    if pcutoff is not None:
        entries.append((f"below p {pcutoff:g}", (96, 96, 96), False))
    height = image.shape[0]
    rows = max(1, (height - 4) // _LEGEND_ROW)
    columns = -(-len(entries) // rows) if entries else 0
    text = max((cv2.getTextSize(name, font, _LEGEND_SCALE, 1)[0][0] for name, _, _ in entries),
               default=0)
    column_width = text + 26
    width = columns * column_width + 4
    panel = np.full((height, width + width % 2, 3), 255, np.uint8)
    for k, (name, color, solid) in enumerate(entries):
        left, top = 4 + (k // rows) * column_width, 4 + (k % rows) * _LEGEND_ROW
        centre = (left + 7, top + _LEGEND_ROW // 2)
        cv2.circle(panel, centre, 5, color, -1 if solid else 1, cv2.LINE_AA)
        cv2.putText(panel, name, (left + 18, top + _LEGEND_ROW // 2 + 4), font, _LEGEND_SCALE,
                    (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([np.ascontiguousarray(image), panel], axis=1)


class PoseDrawing(NamedTuple):
    """How predict draws poses, fixed once per run: ``by_part`` gives each part its own colour
    (draw_parts), else each person has its own (draw_people); found parts below ``pcutoff`` are
    hollow rings; ``legend`` lists the part ``names`` beside their colours on the right, and so
    colours by part too."""

    skeleton: tuple = ()
    by_part: bool = False
    pcutoff: Optional[float] = None
    names: tuple = ()
    legend: bool = False

    def __call__(self, image, poses):
        """A copy of the RGB ``image`` with ``poses`` (K, J, 3) drawn."""
        if not (self.by_part or self.legend):
            return draw_people(image, poses, self.skeleton, pcutoff=self.pcutoff)
        colors = part_colors(len(self.names) or (np.shape(poses)[1] if len(poses) else 0))
        out = draw_parts(image, poses, self.skeleton, self.pcutoff or 0.0, colors=colors)
        return with_legend(out, self.names, colors, self.pcutoff) if self.legend else out


def track_colors(track_ids):
    """An RGB colour per track id that never changes along a video: the palette by id, so a person
    keeps its colour whoever else enters or leaves."""
    return [_PALETTE[int(t) % len(_PALETTE)] if int(t) < len(_PALETTE) else
            tuple(round(255 * c) for c in colorsys.hsv_to_rgb((int(t) * 0.618034) % 1.0, 0.85, 0.95))
            for t in track_ids]


def track_centres(poses, min_score=0.0):
    """(K, 2) mean of each person's joints scoring above ``min_score`` (NaN for none): the point a
    trail follows."""
    poses = np.asarray(poses, np.float64).reshape(len(poses), -1, 3)
    shown = poses[:, :, 2] > min_score
    counts = shown.sum(axis=1)
    sums = (poses[:, :, :2] * shown[:, :, None]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts[:, None] > 0, sums / counts[:, None], np.nan)


def draw_tracks(image, track_ids, poses, skeleton, trails=None, min_score=0.0):
    """A copy of the RGB ``image`` with each person (K, J, 3) drawn in its track's colour and, from
    ``trails`` (track id -> list of recent (x, y) centres, oldest first), a fading trail."""
    colors = track_colors(track_ids)
    out = draw_people(image, poses, skeleton, min_score, colors=colors)
    size = max(1, round(min(image.shape[:2]) / 240))
    for track, color in zip(track_ids, colors):
        points = [p for p in (trails or {}).get(int(track), ()) if np.isfinite(p).all()]
        for k in range(1, len(points)):
            weight = k / len(points)
            shade = tuple(int(round(255 + (c - 255) * weight)) for c in color)
            cv2.line(out, tuple(np.round(points[k - 1]).astype(int)), tuple(np.round(points[k]).astype(int)),
                     shade, size, cv2.LINE_AA)
    return out


def scoremap_overlay(image, scmap):
    """The image dimmed, with the max over joints of a score map (h, w, J) upsampled in red."""
    height, width = image.shape[:2]
    heat = scmap.max(axis=2)
    rows = np.minimum((np.arange(height) * heat.shape[0]) // height, heat.shape[0] - 1)
    cols = np.minimum((np.arange(width) * heat.shape[1]) // width, heat.shape[1] - 1)
    heat = heat[rows][:, cols]
    overlay = image.astype(np.float32) * 0.45
    overlay[..., 0] += 255 * 0.55 * heat
    return np.clip(overlay, 0, 255).astype(np.uint8)


def titled(image, *lines):
    """The RGB ``image`` below a white band holding each of ``lines`` in black, a line each, cut
    to the image's width."""
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, 0.5
    band = np.full((_LINE_HEIGHT * len(lines) + 6, image.shape[1], 3), 255, np.uint8)
    for row, text in enumerate(lines):
        while len(text) > 4 and cv2.getTextSize(text, font, scale, 1)[0][0] > image.shape[1] - 12:
            text = text[:-4] + "..."
        cv2.putText(band, text, (6, _LINE_HEIGHT * (row + 1) - 2), font, scale, (0, 0, 0), 1,
                    cv2.LINE_AA)
    return np.concatenate([band, image], axis=0)


def _write_png(path, picture):
    """Write an RGB array as PNG with imageio, the project's one image reader and writer; an
    error names the path."""
    import imageio.v3 as iio

    try:
        iio.imwrite(path, picture, extension=".png")
    except OSError as err:
        raise OSError(f"{path}: cannot write the PNG ({err.strerror or err})") from None
    return path


def save_single_person_figure(path, image, pose, scmap, skeleton, title):
    """A PNG with the image and its argmax pose on the left and the score maps (max over joints)
    on the right, under ``title``."""
    left = draw_people(image, pose[None], skeleton, colors=[(26, 230, 51)])
    gap = np.full((image.shape[0], 8, 3), 255, np.uint8)
    figure = np.concatenate([left, gap, scoremap_overlay(image, scmap)], axis=1)
    return _write_png(path, titled(figure, title, "left: argmax pose; right: part score maps, "
                                                  "max over joints"))


def save_multi_person_figure(path, image, poses, skeleton, title, min_score=0.0):
    """A PNG of the image, titled, with every person (K, J, 3) drawn in its own colour."""
    return _write_png(path, titled(draw_people(image, poses, skeleton, min_score), title))
