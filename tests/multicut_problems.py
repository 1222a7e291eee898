"""Realistic NL-LMP problems like those DeeperCut's grouping step sees, for tests and the benchmarks.

A scene has people with the 17 COCO joints at plausible positions (a standing
template with random limb angles, size, position, mirroring); people may
overlap. The candidates (nodes) are what non-maximum suppression leaves:
usually one detection per visible joint, sometimes duplicates next to it, a
few detections of hidden joints, and false detections (random places, or at
a person but for the wrong part). Each candidate has a probability of being
real.

Edges connect candidates of part pairs in a sparse graph (the skeleton and a
few more pairs) or, in the "complete" variant, of all part pairs, plus pairs of
the same part, when they are close enough to belong to one person. Their
probability comes from DeeperCut's cue: each candidate predicts where the
other part of its person is (a noisy offset; nonsense for a false detection),
and the prediction errors in both directions go through a logistic function.
Where people overlap, the predictions of one person land on the parts of the
other, which is what makes grouping hard.

All randomness comes from the seed; problems are plain arrays (probabilities).
"""
from typing import NamedTuple

import numpy as np

# COCO-17 order: nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles (left, right).
NUM_JOINTS = 17

# Standing person facing the camera, height 1, origin at the top of the head;
# the person's left side is on the image's right.
TEMPLATE = np.array(
    [
        [0.00, 0.06], [0.025, 0.04], [-0.025, 0.04], [0.055, 0.05], [-0.055, 0.05],
        [0.11, 0.18], [-0.11, 0.18], [0.15, 0.34], [-0.15, 0.34], [0.17, 0.48],
        [-0.17, 0.48], [0.075, 0.52], [-0.075, 0.52], [0.08, 0.73], [-0.08, 0.73],
        [0.08, 0.95], [-0.08, 0.95],
    ]
)
FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]

SKELETON = [
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7),
    (6, 8), (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6),
]
# The sparse part-pair graph: skeleton plus pairs that help across a body.
SPARSE_PAIRS = SKELETON + [
    (0, 5), (0, 6), (5, 12), (6, 11), (7, 8), (9, 10), (13, 14), (15, 16), (11, 14), (12, 13),
    (7, 11), (8, 12), (9, 11), (10, 12), (0, 11), (0, 12), (5, 13), (6, 14), (11, 15), (12, 16),
    (5, 9), (6, 10),
]
ALL_PAIRS = [(j, k) for j in range(NUM_JOINTS) for k in range(j + 1, NUM_JOINTS)]


class Problem(NamedTuple):
    """One grouping problem; `person` is the true person of each node, -1 for false detections."""

    node_prob: np.ndarray
    edges: np.ndarray
    edge_prob: np.ndarray
    part: np.ndarray
    xy: np.ndarray
    person: np.ndarray


def _rotate(points, pivot, angle):
    c, s = np.cos(angle), np.sin(angle)
    d = points - pivot
    return pivot + d @ np.array([[c, s], [-s, c]])


def random_pose(rng, height, centre):
    """Joint positions (17 x 2, pixels) of a person with random limb angles."""
    pose = TEMPLATE.copy()
    # Arms: shoulder -> elbow -> wrist, legs: hip -> knee -> ankle.
    for shoulder, elbow, wrist, sign in ((5, 7, 9, 1), (6, 8, 10, -1)):
        pose[[elbow, wrist]] = _rotate(pose[[elbow, wrist]], pose[shoulder],
                                       sign * rng.uniform(-0.6, 2.2))
        pose[[wrist]] = _rotate(pose[[wrist]], pose[elbow], sign * rng.uniform(-0.3, 2.0))
    for hip, knee, ankle, sign in ((11, 13, 15, 1), (12, 14, 16, -1)):
        pose[[knee, ankle]] = _rotate(pose[[knee, ankle]], pose[hip], sign * rng.uniform(-0.5, 0.4))
        pose[[ankle]] = _rotate(pose[[ankle]], pose[knee], sign * rng.uniform(-0.6, 0.1))
    pose[:5] = _rotate(pose[:5], pose[5:7].mean(0), rng.uniform(-0.3, 0.3))
    if rng.random() < 0.3:  # seen from behind: left and right swap sides
        pose = pose[FLIP]
    pose = _rotate(pose, np.array([0.0, 0.5]), rng.normal(0.0, 0.12))
    return centre + height * (pose - np.array([0.0, 0.5]))


def make_problem(num_people, seed=0, complete=False, people_per_megapixel=60.0, nms_radius=0.05):
    """A grouping problem with `num_people` people.

    Args:
        num_people: people in the scene (>= 0).
        seed: seed of all randomness.
        complete: connect all part pairs instead of the sparse part-pair graph.
        people_per_megapixel: crowd density; the image grows with the people.
        nms_radius: radius of the per-part non-maximum suppression, as a
            fraction of the mean person height: detections of one part are
            never closer than that, as in DeeperCut.

    Returns:
        Problem.
    """
    rng = np.random.default_rng(seed)
    area = max(num_people, 1) / people_per_megapixel * 1e6
    width = np.sqrt(area * 4.0 / 3.0)
    height_px = width * 3.0 / 4.0
    heights = rng.uniform(140.0, 320.0, num_people)
    poses = [random_pose(rng, h, rng.uniform([0.15 * width, 0.3 * height_px],
                                             [0.85 * width, 0.7 * height_px]))
             for h in heights]

    parts, xys, probs, owners = [], [], [], []

    def add(part, xy, prob, owner):
        parts.append(part)
        xys.append(xy)
        probs.append(prob)
        owners.append(owner)

    for k, (pose, h) in enumerate(zip(poses, heights)):
        for j in range(NUM_JOINTS):
            visible = rng.random() < 0.85
            if not visible and rng.random() < 0.6:
                continue
            score = rng.beta(8, 2) if visible else rng.beta(3, 3)
            add(j, pose[j] + rng.normal(0, 0.01 * h, 2), score, k)
            for _ in range(rng.poisson(0.35)):
                add(j, pose[j] + rng.normal(0, 0.04 * h, 2), score * rng.uniform(0.3, 0.9), k)
    for _ in range(rng.poisson(0.3 * num_people + 1.0)):
        j = int(rng.integers(NUM_JOINTS))
        if num_people and rng.random() < 0.6:  # a wrong part at a person
            k = int(rng.integers(num_people))
            xy = poses[k][int(rng.integers(NUM_JOINTS))] + rng.normal(0, 0.05 * heights[k], 2)
        else:
            xy = rng.uniform([0, 0], [width, height_px])
        add(j, xy, rng.beta(2, 5), -1)

    part = np.array(parts, dtype=np.int64)
    xy = np.array(xys, dtype=np.float64).reshape(-1, 2)
    node_prob = np.array(probs, dtype=np.float64)
    person = np.array(owners, dtype=np.int64)
    keep = _nms(part, xy, node_prob, nms_radius * (float(np.mean(heights)) if num_people else 200.0))
    part, xy, node_prob, person = part[keep], xy[keep], node_prob[keep], person[keep]
    edges, edge_prob = _edges(rng, part, xy, person, poses, heights, complete)
    return Problem(node_prob, edges, edge_prob, part, xy, person)


def _nms(part, xy, score, radius):
    """Indices (sorted) of the candidates that survive per-part non-maximum suppression."""
    keep = []
    for j in np.unique(part):
        index = np.flatnonzero(part == j)
        index = index[np.argsort(-score[index], kind="stable")]
        chosen = []
        for i in index:
            if all(np.hypot(*(xy[i] - xy[c])) >= radius for c in chosen):
                chosen.append(i)
        keep.extend(chosen)
    return np.sort(np.array(keep, dtype=np.int64))


def _edges(rng, part, xy, person, poses, heights, complete):
    """Candidate pairs and their same-person probabilities."""
    n = len(part)
    pairs = ALL_PAIRS if complete else SPARSE_PAIRS
    allowed = np.zeros((NUM_JOINTS, NUM_JOINTS), dtype=bool)
    for j, k in pairs:
        allowed[j, k] = allowed[k, j] = True
    allowed[np.arange(NUM_JOINTS), np.arange(NUM_JOINTS)] = True
    mean_height = float(np.mean(heights)) if len(heights) else 200.0
    # Part-to-part distances of the template bound the candidate pairs.
    reach = np.linalg.norm(TEMPLATE[:, None] - TEMPLATE[None], axis=2)

    iu, ju = np.triu_indices(n, 1)
    keep = allowed[part[iu], part[ju]]
    iu, ju = iu[keep], ju[keep]
    dist = np.linalg.norm(xy[iu] - xy[ju], axis=1)
    limit = (reach[part[iu], part[ju]] + 0.15) * (1.6 if complete else 2.0) * mean_height
    keep = dist < limit
    iu, ju, dist = iu[keep], ju[keep], dist[keep]
    if len(iu) == 0:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0)

    # Each candidate's scale estimate (its person's height, or a guess).
    scale = np.array([heights[p] if p >= 0 else mean_height for p in person])
    scale *= rng.uniform(0.85, 1.15, n)

    def predicted(a, b):
        """Where candidate a predicts the part of candidate b (its own person's)."""
        own = person[a]
        out = np.empty((len(a), 2))
        real = own >= 0
        pose_rows = np.array([poses[p] for p in own[real]]).reshape(-1, NUM_JOINTS, 2)
        ra = np.flatnonzero(real)
        true_offset = (pose_rows[np.arange(len(ra)), part[b[ra]]]
                       - pose_rows[np.arange(len(ra)), part[a[ra]]])
        noise = 0.03 + 0.08 * reach[part[a[ra]], part[b[ra]]]
        out[ra] = xy[a[ra]] + true_offset + rng.normal(0, 1, (len(ra), 2)) * (
            noise * scale[a[ra]])[:, None]
        fa = np.flatnonzero(~real)
        guess = (TEMPLATE[part[b[fa]]] - TEMPLATE[part[a[fa]]]) * scale[a[fa]][:, None]
        out[fa] = xy[a[fa]] + _rotate(guess, np.zeros(2), rng.normal(0, 0.8)) + rng.normal(
            0, 0.15, (len(fa), 2)) * scale[a[fa]][:, None]
        return out

    same = part[iu] == part[ju]
    error_ab = np.linalg.norm(predicted(iu, ju) - xy[ju], axis=1) / scale[iu]
    error_ba = np.linalg.norm(predicted(ju, iu) - xy[iu], axis=1) / scale[ju]
    tolerance = 0.03 + 0.08 * reach[part[iu], part[ju]]
    logit = 4.0 - 0.8 * (error_ab + error_ba) / tolerance
    # Same part: duplicates lie close together; distinct people far apart.
    logit[same] = 3.0 - 20.0 * dist[same] / np.sqrt(scale[iu[same]] * scale[ju[same]])
    logit += rng.normal(0, 0.4, len(logit))
    edge_prob = 1.0 / (1.0 + np.exp(-logit))
    edges = np.stack([iu, ju], axis=1).astype(np.int64)
    return edges, edge_prob
