"""Training targets: hand-worked positive cells, locref and pairwise values, overlap, masks, weights."""
import numpy as np
import pytest

from dataclasses import replace

import builders
from dataset.targets import compute_targets, ignored_cells, target_settings_from_config
from nnet.heads import grid_size, pair_index, pair_list
from posecut.config import config_from_dict

# 3 joints, stride 8, radius 17, locref_stdev 8 so that locref values are offsets / 8.
SETTINGS = builders.targets(3, stride=8.0, pos_dist_thresh=17.0, locref_stdev=8.0,
                            location_refinement=True, pairwise_predict=True)
SIZE = (64, 64)  # an 8 x 8 grid; cell (i, j) has its centre at (8j + 4, 8i + 4)


def person(*joints):
    """(1, 3, 3) joints from (x, y, v) triples, None for an unlabelled joint."""
    return np.array([[j if j is not None else (0, 0, 0) for j in joints]], dtype=float)


def positive_cells(targets, joint):
    return {tuple(c) for c in np.argwhere(targets["part_score_targets"][:, :, joint] == 1)}


def test_positive_cells_of_a_joint():
    # Joint at (20, 20) is the centre of cell (2, 2). Offsets of +-8 (d^2 <= 128) and +-16 in one
    # axis (d^2 = 256) are within 17 (289); (16, 8) gives 320 and is not.
    t = compute_targets(person((20, 20, 2), None, None), SIZE, SETTINGS)
    expected = {(r, c) for r in (1, 2, 3) for c in (1, 2, 3)} | {(0, 2), (4, 2), (2, 0), (2, 4)}
    assert positive_cells(t, 0) == expected
    assert positive_cells(t, 1) == set() and positive_cells(t, 2) == set()
    assert t["part_score_targets"].dtype == np.float32


def test_radius_is_inclusive_and_scales():
    # Cell (0, 0) has its centre at (4, 4): a joint at (21, 4) is exactly 17 away.
    assert (0, 0) in positive_cells(compute_targets(person((21, 4, 2), None, None), SIZE, SETTINGS), 0)
    tight = replace(SETTINGS, pos_dist_thresh=16.99)
    assert (0, 0) not in positive_cells(compute_targets(person((21, 4, 2), None, None), SIZE, tight), 0)
    # DeeperCut's radius is pos_dist_thresh * scale: at scale 0.5 (8.5 px) only the cross of 5 cells.
    half = compute_targets(person((20, 20, 2), None, None), SIZE, SETTINGS, scale=0.5)
    assert positive_cells(half, 0) == {(2, 2), (1, 2), (3, 2), (2, 1), (2, 3)}


def test_locref_values():
    t = compute_targets(person((22.5, 17, 2), None, None), SIZE, SETTINGS)
    locref, mask = t["locref_targets"], t["locref_mask"]
    assert locref.shape == (8, 8, 6) and mask.shape == (8, 8, 6)
    # Cell (2, 2), centre (20, 20): ((22.5 - 20) / 8, (17 - 20) / 8).
    np.testing.assert_allclose(locref[2, 2, 0:2], [0.3125, -0.375])
    # Cell (1, 3), centre (28, 12): ((22.5 - 28) / 8, (17 - 12) / 8).
    np.testing.assert_allclose(locref[1, 3, 0:2], [-0.6875, 0.625])
    np.testing.assert_array_equal(mask[:, :, 0], t["part_score_targets"][:, :, 0])
    np.testing.assert_array_equal(mask[:, :, 0], mask[:, :, 1])
    assert not mask[:, :, 2:].any() and not locref[mask == 0].any()


def test_pairwise_values_raw_and_normalised():
    # Joint 1 unlabelled, joint 2 labelled but hidden (v = 1). Pairs: (0,1)=0 (0,2)=1 (1,0)=2
    # (1,2)=3 (2,0)=4 (2,1)=5; channel 2p is x, 2p + 1 is y.
    joints = person((20, 20, 2), None, (50, 30, 1))
    raw = compute_targets(joints, SIZE, SETTINGS)
    pw, mask = raw["pairwise_targets"], raw["pairwise_mask"]
    assert pw.shape == (8, 8, 12)
    np.testing.assert_allclose(pw[2, 2, 2:4], [30, 10])  # cell (2,2) centre (20,20) -> (50,30)
    np.testing.assert_allclose(pw[3, 6, 8:10], [-32, -8])  # cell (3,6) centre (52,28) -> (20,20)
    np.testing.assert_allclose(pw[2, 3, 2:4], [22, 10])  # centre (28, 20)
    assert mask[2, 2, 2:4].all() and mask[3, 6, 8:10].all()
    assert not mask[:, :, 0:2].any(), "joint 1 is not labelled: no pair (0, 1)"
    assert not mask[:, :, 4:8].any() and not mask[:, :, 10:12].any(), "no positives of joint 1"
    np.testing.assert_array_equal(mask[:, :, 2], raw["part_score_targets"][:, :, 0])
    np.testing.assert_array_equal(mask[:, :, 8], raw["part_score_targets"][:, :, 2])

    means = np.zeros((6, 2))
    stds = np.ones((6, 2))
    means[1], stds[1] = (10, 0), (5, 2)
    means[4], stds[4] = (-30, -10), (2, 4)
    norm = compute_targets(joints, SIZE, SETTINGS, pairwise_means=means, pairwise_stds=stds)
    np.testing.assert_allclose(norm["pairwise_targets"][2, 2, 2:4], [4, 5])  # (30-10)/5, (10-0)/2
    np.testing.assert_allclose(norm["pairwise_targets"][3, 6, 8:10], [-1, 0.5])  # (-32+30)/2, (-8+10)/4
    np.testing.assert_array_equal(norm["pairwise_mask"], mask)


def test_nearest_joint_owns_the_cell():
    # Person A's joint 0 at (20, 20), person B's at (37, 20); their joint 2 below each.
    a = [(20, 20, 2), (0, 0, 0), (20, 50, 2)]
    b = [(37, 20, 2), (0, 0, 0), (37, 50, 2)]
    for people in ([a, b], [b, a]):
        t = compute_targets(np.array(people, dtype=float), SIZE, SETTINGS)
        # Cell (2, 3), centre (28, 20): A is 8 away, B 9 -> A; cell (2, 4), centre (36, 20) -> B.
        np.testing.assert_allclose(t["locref_targets"][2, 3, 0:2], [-1, 0])
        np.testing.assert_allclose(t["locref_targets"][2, 4, 0:2], [1 / 8, 0])
        np.testing.assert_allclose(t["pairwise_targets"][2, 3, 2:4], [-8, 30])  # A's joint 2
        np.testing.assert_allclose(t["pairwise_targets"][2, 4, 2:4], [1, 30])  # B's joint 2
        assert positive_cells(t, 0) >= {(2, c) for c in range(0, 7)}


def test_tie_goes_to_the_first_person():
    people = np.array([[(20, 20, 2)] + [(0, 0, 0)] * 2, [(36, 20, 2)] + [(0, 0, 0)] * 2], dtype=float)
    t = compute_targets(people, SIZE, SETTINGS)
    np.testing.assert_allclose(t["locref_targets"][2, 3, 0:2], [-1, 0])  # centre 28: 8 from both


def naive_targets(joints, size, s):
    """Reference: DeeperCut's per-cell loops with the nearest-person rule (small inputs only)."""
    stride, locref_stdev = s.heads.stride, s.heads.locref_stdev
    h, w = grid_size(*size, stride)
    j = s.heads.num_joints
    best = np.full((h, w, j), np.inf)
    scmap = np.zeros((h, w, j))
    locref = np.zeros((h, w, j, 2))
    pairwise = np.zeros((h, w, j * (j - 1), 2))
    pmask = np.zeros((h, w, j * (j - 1), 2))
    for p in range(len(joints)):
        for k in range(j):
            if joints[p, k, 2] == 0:
                continue
            for r in range(h):
                for c in range(w):
                    cx, cy = c * stride + stride / 2, r * stride + stride / 2
                    dx, dy = joints[p, k, 0] - cx, joints[p, k, 1] - cy
                    d2 = dx ** 2 + dy ** 2
                    if d2 > s.pos_dist_thresh ** 2 or d2 >= best[r, c, k]:
                        continue
                    best[r, c, k] = d2
                    scmap[r, c, k] = 1
                    locref[r, c, k] = (dx / locref_stdev, dy / locref_stdev)
                    for m in range(j):
                        if m == k:
                            continue
                        pair = (j - 1) * k + m - int(k < m)
                        on = joints[p, m, 2] > 0
                        pairwise[r, c, pair] = (joints[p, m, 0] - cx, joints[p, m, 1] - cy) if on else 0
                        pmask[r, c, pair] = on
    return scmap, locref.reshape(h, w, -1), pairwise.reshape(h, w, -1), pmask.reshape(h, w, -1)


def test_matches_per_cell_reference_on_random_people():
    rng = np.random.default_rng(3)
    settings = builders.targets(4, location_refinement=True, pairwise_predict=True)
    joints = np.concatenate([rng.uniform(-10, 100, (5, 4, 2)), rng.integers(0, 3, (5, 4, 1))], axis=2)
    t = compute_targets(joints, (90, 75), settings)
    scmap, locref, pairwise, pmask = naive_targets(joints, (90, 75), settings)
    np.testing.assert_array_equal(t["part_score_targets"], scmap)
    np.testing.assert_allclose(t["locref_targets"], locref, atol=1e-5)
    np.testing.assert_allclose(t["pairwise_targets"], pairwise, atol=1e-4)
    np.testing.assert_array_equal(t["pairwise_mask"], pmask)


def test_ignore_mask():
    mask = np.zeros(SIZE, dtype=bool)
    mask[:24, :24] = True  # covers the centres 4, 12, 20 of rows and columns 0..2
    t = compute_targets(person((20, 20, 2), None, (50, 30, 2)), SIZE, SETTINGS, ignore_mask=mask)
    weights = t["part_score_weights"]
    assert not weights[:3, :3].any() and weights[3:].all() and weights[:, 3:].all()
    assert t["part_score_targets"][2, 2, 0] == 1, "the target stays; only its weight is 0"
    assert not t["locref_mask"][:3, :3].any() and t["locref_mask"][2, 3, 0] == 1
    assert not t["pairwise_mask"][:3, :3].any() and t["pairwise_mask"][2, 3, 2] == 1


def test_ignored_cells_use_the_centre_pixel():
    mask = np.zeros((64, 64), dtype=bool)
    mask[28, 20] = True  # pixel at x = 20, y = 28: the centre of cell (3, 2)
    assert {tuple(c) for c in np.argwhere(ignored_cells(mask, (8, 8), 8.0))} == {(3, 2)}
    mask[27, 20], mask[28, 20] = True, False
    assert not ignored_cells(mask, (8, 8), 8.0).any()
    small = np.ones((30, 30), dtype=bool)  # centres beyond the image (x or y >= 30) are not ignored
    assert ignored_cells(small, (8, 8), 8.0).sum() == 16


def test_weights_default_and_present_joints():
    joints = person((20, 20, 2), None, (50, 30, 2))
    plain = compute_targets(joints, SIZE, SETTINGS)["part_score_weights"]
    assert plain.shape == (8, 8, 3) and plain.dtype == np.float32 and (plain == 1).all()
    present = replace(SETTINGS, weigh_only_present_joints=True)
    weights = compute_targets(joints, SIZE, present)["part_score_weights"]
    assert (weights[:, :, [0, 2]] == 1).all() and (weights[:, :, 1] == 0).all()


def test_weigh_negatives_balances_by_fg_fraction():
    s = replace(SETTINGS, weigh_negatives=True, fg_fraction=0.25)
    t = compute_targets(person((20, 20, 2), None, None), SIZE, s)
    weights, scmap = t["part_score_weights"], t["part_score_targets"]
    # Joint 0: 13 positive cells of 64; negatives share 3 * 13 = 39, i.e. 39 / 51 each.
    assert (weights[:, :, 0][scmap[:, :, 0] == 1] == 1).all()
    np.testing.assert_allclose(weights[:, :, 0][scmap[:, :, 0] == 0], 39 / 51, rtol=1e-6)
    assert (weights[:, :, 1:] == 1).all(), "a joint without positives keeps weight 1"
    mask = np.zeros(SIZE, dtype=bool)
    mask[40:, 40:] = True  # 9 negative cells of joint 0 ignored: 39 spread over 42
    masked = compute_targets(person((20, 20, 2), None, None), SIZE, s, ignore_mask=mask)
    w0 = masked["part_score_weights"][:, :, 0]
    assert (w0[5:, 5:] == 0).all()
    np.testing.assert_allclose(w0.sum(), 13 + 39, rtol=1e-6)


def test_shapes_for_odd_sizes_match_the_network():
    for height, width in ((33, 47), (17, 1), (1, 1), (16, 16), (161, 239), (480, 641)):
        h, w = 2 * -(-height // 16), 2 * -(-width // 16)
        assert grid_size(height, width, 8.0) == (h, w)
        t = compute_targets(person((5, 5, 2), (9, 9, 2), (0, 0, 0)), (height, width), SETTINGS)
        assert t["part_score_targets"].shape == (h, w, 3)
        assert t["part_score_weights"].shape == (h, w, 3)
        assert t["locref_targets"].shape == t["locref_mask"].shape == (h, w, 6)
        assert t["pairwise_targets"].shape == t["pairwise_mask"].shape == (h, w, 12)


def test_pair_order_matches_the_network_heads():
    for j in (2, 3, 14, 17):
        pairs = pair_list(j)
        ordered = [(a, b) for a in range(j) for b in range(j) if a != b]
        assert [tuple(p) for p in pairs] == ordered
        assert [pair_index(a, b, j) for a, b in ordered] == list(range(j * (j - 1)))
        np.testing.assert_array_equal(pair_index(pairs[:, 0], pairs[:, 1], j), np.arange(j * (j - 1)))


def test_no_people_and_optional_heads():
    t = compute_targets(np.zeros((0, 3, 3)), SIZE, SETTINGS)
    assert not t["part_score_targets"].any() and not t["locref_mask"].any() and not t["pairwise_mask"].any()
    bare = builders.targets(3)
    assert set(compute_targets(person((20, 20, 2), None, None), SIZE, bare)) == {
        "part_score_targets", "part_score_weights"}
    edge = compute_targets(person((-10, 5, 2), None, None), SIZE, SETTINGS)
    assert positive_cells(edge, 0) == {(0, 0), (1, 0)}  # centres (4, 4): 197 and (4, 12): 245


def test_bad_pairwise_stats():
    with pytest.raises(ValueError, match="both"):
        compute_targets(person((20, 20, 2), None, None), SIZE, SETTINGS, pairwise_means=np.zeros((6, 2)))
    with pytest.raises(ValueError, match=r"\(6, 2\)"):
        compute_targets(person((20, 20, 2), None, None), SIZE, SETTINGS,
                        pairwise_means=np.zeros((4, 2)), pairwise_stds=np.ones((4, 2)))


def test_settings_from_config():
    cfg = config_from_dict({"num_joints": 17, "location_refinement": True, "weigh_negatives": True,
                            "fg_fraction": 0.3, "pos_dist_thresh": 12})
    s = target_settings_from_config(cfg)
    assert (s.heads.num_joints, s.heads.location_refinement, s.weigh_negatives, s.fg_fraction,
            s.pos_dist_thresh) == (17, True, True, 0.3, 12.0)
    assert s.heads.stride == 8.0 and s.heads.locref_stdev == 7.2801 and not s.heads.pairwise_predict


def test_a_sparse_head_gets_the_full_heads_targets_at_its_slots():
    """Targets of the sparse graph's pairs only: the full head's at the slots' channels."""
    sparse = target_settings_from_config(builders.config(
        num_joints=4, location_refinement=True, pairwise_predict=True, sparse_graph=[[0, 2], [3, 2]]))
    full = target_settings_from_config(builders.config(
        num_joints=4, location_refinement=True, pairwise_predict=True))
    heads = sparse.heads
    assert heads.pairs == ((0, 2), (2, 0), (2, 3), (3, 2))
    joints = np.array([[(20, 20, 2), (40, 30, 2), (50, 60, 2), (10, 50, 2)],
                       [(60, 12, 2), (0, 0, 0), (55, 40, 2), (30, 30, 1)]], float)
    rng = np.random.default_rng(3)
    means, stds = rng.normal(0, 10, (12, 2)), rng.uniform(1, 5, (12, 2))
    want = compute_targets(joints, SIZE, full, means, stds)
    got = compute_targets(joints, SIZE, sparse, means, stds)
    channels = np.stack([2 * heads.pair_rows, 2 * heads.pair_rows + 1], 1).reshape(-1)
    for name in ("pairwise_targets", "pairwise_mask"):
        assert got[name].shape == (8, 8, 8)
        np.testing.assert_array_equal(got[name], want[name][..., channels])
    assert got["pairwise_mask"].any()
    np.testing.assert_array_equal(got["part_score_targets"], want["part_score_targets"])
