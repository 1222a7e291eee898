"""Drawings of poses and score maps on RGB arrays, with OpenCV (fast enough for every frame of a
video, and the one drawing library of the project); PNGs are written with imageio."""
import colorsys

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


def draw_people(image, poses, skeleton, min_score=0.0, thickness=None, colors=None):
    """A copy of the RGB ``image`` with every person (K, J, 3) drawn in its own colour: limbs of
    ``skeleton`` between joints scoring above ``min_score``, joints as white-ringed dots."""
    out = np.ascontiguousarray(image).copy()
    size = thickness or max(1, round(min(image.shape[:2]) / 240))
    colors = colors or person_colors(len(poses))
    for pose, color in zip(poses, colors):
        shown = pose[:, 2] > min_score
        points = np.round(pose[:, :2]).astype(int)
        for a, b in skeleton:
            if shown[a] and shown[b]:
                cv2.line(out, tuple(points[a]), tuple(points[b]), color, 2 * size, cv2.LINE_AA)
        for point in points[shown]:
            cv2.circle(out, tuple(point), 2 * size + 1, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(out, tuple(point), 2 * size, color, -1, cv2.LINE_AA)
    return out


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
