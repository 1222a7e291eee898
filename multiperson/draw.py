"""Drawings of poses and score maps with matplotlib (no window: the Agg backend)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def person_colors(count):
    """A distinct RGB colour (0..1) per person."""
    cmap = plt.get_cmap("tab10" if count <= 10 else "hsv")
    return [cmap(i % 10 if count <= 10 else i / count)[:3] for i in range(count)]


def draw_poses(ax, poses, skeleton, colors, min_score=0.0):
    """Draw poses (K, J, 3) on an axis: joints with score above ``min_score`` and their limbs."""
    for pose, color in zip(poses, colors):
        shown = pose[:, 2] > min_score
        for a, b in skeleton:
            if shown[a] and shown[b]:
                ax.plot(pose[[a, b], 0], pose[[a, b], 1], "-", color=color, linewidth=2.5)
        ax.scatter(pose[shown, 0], pose[shown, 1], s=22, c=[color], edgecolors="white",
                   linewidths=0.8, zorder=3)


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


def save_single_person_figure(path, image, pose, scmap, skeleton, title):
    """A PNG with the image and its argmax pose on the left and the score maps on the right."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.5), dpi=100)
    axes[0].imshow(image)
    draw_poses(axes[0], pose[None], skeleton, [(0.1, 0.9, 0.2)])
    axes[0].set_xlim(0, image.shape[1])
    axes[0].set_ylim(image.shape[0], 0)
    axes[0].set_title(title, fontsize=10)
    axes[1].imshow(scoremap_overlay(image, scmap))
    axes[1].set_title("part score maps (max over joints)", fontsize=10)
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def save_multi_person_figure(path, image, poses, skeleton, title, min_score=0.0):
    """A PNG of the image with every person (K, J, 3) drawn in its own colour."""
    height, width = image.shape[:2]
    fig = plt.figure(figsize=(width / 100, height / 100 + 0.35), dpi=100)
    ax = fig.add_axes([0, 0, 1, height / (height + 35)])
    ax.imshow(image)
    draw_poses(ax, poses, skeleton, person_colors(len(poses)), min_score)
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    fig.text(0.01, 1 - 0.3 / (height / 100 + 0.35), title, fontsize=9, va="center")
    fig.savefig(path)
    plt.close(fig)
    return path


def draw_people(image, poses, skeleton, min_score=0.0, thickness=None):
    """A copy of the RGB ``image`` with every person (K, J, 3) drawn in its own colour (OpenCV:
    fast enough for every frame of a video)."""
    import cv2

    out = np.ascontiguousarray(image).copy()
    size = thickness or max(1, round(min(image.shape[:2]) / 240))
    for pose, color in zip(poses, person_colors(len(poses))):
        rgb = tuple(int(255 * c) for c in color)
        shown = pose[:, 2] > min_score
        points = np.round(pose[:, :2]).astype(int)
        for a, b in skeleton:
            if shown[a] and shown[b]:
                cv2.line(out, tuple(points[a]), tuple(points[b]), rgb, 2 * size, cv2.LINE_AA)
        for point in points[shown]:
            cv2.circle(out, tuple(point), 2 * size + 1, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(out, tuple(point), 2 * size, rgb, -1, cv2.LINE_AA)
    return out
