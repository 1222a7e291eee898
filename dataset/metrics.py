"""Single-person metrics: PCK at a fraction of a reference length (person height, head size)."""
import numpy as np


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
