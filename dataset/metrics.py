"""Single-person metrics: PCK at a fraction of a reference length (person height, head size),
and errors in pixels."""
import numpy as np

# MPII's PCKh reference: 60% of the head rectangle's diagonal (``SC_BIAS`` in MPII's evaluation
# code), which the benchmark uses as its estimate of the head segment's length.
HEAD_SIZE_FACTOR = 0.6


def pck(predicted, truth, reference_lengths, alpha=0.1):
    """Per-joint PCK: the share of labelled joints within alpha * reference length of the truth.

    ``predicted``: (N, J, 2+) x, y; ``truth``: (N, J, 3) x, y, visibility (0 = unlabelled,
    not counted); ``reference_lengths``: (N,). Returns (per-joint PCK (J,), mean over all
    labelled joints); joints never labelled give NaN.
    """
    predicted = np.asarray(predicted, np.float64)[..., :2]
    truth = np.asarray(truth, np.float64)
    labelled = truth[..., 2] > 0
    distance = np.linalg.norm(predicted - truth[..., :2], axis=-1)
    correct = (distance <= alpha * np.asarray(reference_lengths, np.float64)[:, None]) & labelled
    counts = labelled.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_joint = np.where(counts > 0, correct.sum(axis=0) / counts, np.nan)
    total = correct.sum() / max(int(labelled.sum()), 1)
    return per_joint, float(total)


def person_heights(truth):
    """Height of each person from the vertical extent of its labelled joints (N,)."""
    truth = np.asarray(truth, np.float64)
    ys = np.where(truth[..., 2] > 0, truth[..., 1], np.nan)
    return np.nanmax(ys, axis=1) - np.nanmin(ys, axis=1)


def head_sizes(head_boxes):
    """MPII head size of each person (N,): 0.6 times the diagonal of its head rectangle.

    ``head_boxes``: (N, 4) x1, y1, x2, y2 in pixels (``ImageRecord.head_boxes`` of the records,
    one row per person). The head is the scale reference of MPII's PCKh because, unlike the
    person's height, it is visible and labelled in almost every image whatever the pose or
    truncation; the 0.6 factor is MPII's own, so scores compare with published ones.
    """
    boxes = np.asarray(head_boxes, np.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"head_boxes: expected an array of shape (people, 4) x1, y1, x2, y2, "
                         f"got shape {boxes.shape}")
    return HEAD_SIZE_FACTOR * np.hypot(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])


def pckh(predicted, truth, head_boxes, alpha=0.5):
    """PCKh: :func:`pck` with each person's head size (:func:`head_sizes`) as reference length.

    A labelled joint is correct when it lies within ``alpha`` * head size of the truth
    (distance <= threshold, as in MPII's evaluation); ``alpha=0.5`` is the benchmark's PCKh@0.5.
    ``predicted``: (N, J, 2+) x, y; ``truth``: (N, J, 3) x, y, visibility (0 = unlabelled, not
    counted); ``head_boxes``: (N, 4) x1, y1, x2, y2, one person per row. Returns (per-joint PCKh
    (J,), share of all labelled joints that are correct); joints never labelled give NaN. The
    total counts every labelled joint: published MPII tables (HRNet, mmpose) average without
    pelvis and thorax, which the per-joint values allow a caller to do.
    """
    sizes = head_sizes(head_boxes)
    people = np.shape(truth)[0]
    if len(sizes) != people:
        raise ValueError(f"head_boxes: expected one head rectangle per person ({people}), got {len(sizes)}")
    return pck(predicted, truth, sizes, alpha=alpha)


def pixel_errors(predicted, truth, min_score=None, within=(5.0, 10.0)):
    """Errors in pixels, as DeepLabCut reports them, of single-person predictions.

    ``predicted``: (N, J, 3) x, y, score; ``truth``: (N, J, 3) x, y, visibility (0 = unlabelled,
    not counted). With ``min_score`` (DeepLabCut's p-cutoff), predictions scoring lower are left
    out as well. Returns a dict: 'count' of joints compared, 'mean' and 'rmse' over them,
    'per_joint' mean (J,) (NaN where none), and 'within' {N: share of joints within N pixels}.
    """
    predicted = np.asarray(predicted, np.float64)
    truth = np.asarray(truth, np.float64)
    if predicted.shape[:2] != truth.shape[:2] or predicted.shape[-1] < 3:
        raise ValueError(f"pixel_errors: expected predicted (N, J, 3) and truth (N, J, 3) of the "
                         f"same N and J, got {predicted.shape} and {truth.shape}")
    used = truth[..., 2] > 0
    if min_score is not None:
        used &= predicted[..., 2] >= min_score
    distance = np.linalg.norm(predicted[..., :2] - truth[..., :2], axis=-1)
    counts = used.sum(axis=0)
    picked = distance[used]
    with np.errstate(invalid="ignore", divide="ignore"):
        per_joint = np.where(counts > 0, np.where(used, distance, 0).sum(axis=0) / counts, np.nan)
    count = int(picked.size)
    return {
        "count": count,
        "mean": float(picked.mean()) if count else float("nan"),
        "rmse": float(np.sqrt((picked ** 2).mean())) if count else float("nan"),
        "per_joint": per_joint,
        "within": {float(n): float((picked <= n).mean()) if count else float("nan")
                   for n in within},
    }
