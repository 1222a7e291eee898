"""multiperson.graph: linked part pairs and candidate edges."""
import numpy as np
import pytest

from dataset.keypoint_formats import get_format
from multiperson.graph import (build_graph, candidate_edges, default_sparse_graph, edge_gates,
                               graph_arrays, part_pair_mask)


def test_default_graph_is_the_skeleton_and_the_pairs_within_four_hops():
    chain = [(0, 1), (1, 2), (2, 3)]
    assert default_sparse_graph(chain, 4, hops=1).tolist() == [[0, 1], [1, 2], [2, 3]]
    assert default_sparse_graph(chain, 4, hops=2).tolist() == [[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]]
    assert len(default_sparse_graph(chain, 4)) == 6
    coco = get_format("coco17")
    pairs = {tuple(p) for p in default_sparse_graph(coco.skeleton, 17).tolist()}
    assert {tuple(sorted(e)) for e in coco.skeleton} <= pairs
    assert (5, 9) in pairs and (11, 15) in pairs  # shoulder-wrist, hip-ankle
    assert (0, 16) not in pairs  # nose to right ankle: six edges
    assert len(pairs) == 110 and (7, 13) in pairs  # left elbow to left knee: three edges


def test_pair_mask_and_edges():
    mask = part_pair_mask([(0, 2)], 3)
    assert mask.tolist() == [[True, False, True], [False, True, False], [True, False, True]]
    assert part_pair_mask([], 3).all()
    part = np.array([0, 0, 1, 2])
    edges = candidate_edges(part, mask)
    assert edges.tolist() == [[0, 1], [0, 3], [1, 3]]
    assert candidate_edges(np.zeros(0, int), mask).shape == (0, 2)
    with pytest.raises(ValueError, match="sparse_graph"):
        part_pair_mask([(0, 5)], 3)


def _random_candidates(rng, j, n, size, jitter, spread):
    """(part sorted (n,), xy (n, 2) in a size x size square, cell centres jittered by ``jitter``
    pixels, offsets (n, j, 2) of ``spread`` pixels) of n random candidates of j parts."""
    part = np.sort(rng.integers(0, j, n)).astype(np.int32)
    xy = rng.uniform(0, size, (n, 2))
    grid = xy + rng.normal(0, jitter, (n, 2))
    return part, xy, grid, rng.normal(0, spread, (n, j, 2))


def test_compiled_graph_equals_edges_then_vectorised_probabilities():
    from grouping_reference import edge_probabilities
    from multiperson.detections import Detections
    from multiperson.pairwise import SpatialModel

    rng = np.random.default_rng(3)
    j, n = 5, 40
    part, xy, grid, offsets = _random_candidates(rng, j, n, 200, 3, 40)
    dets = Detections(part, xy, grid, rng.random(n), offsets, j)
    mask = part_pair_mask([(0, 1), (1, 2), (2, 4), (3, 1)], j)
    model = SpatialModel.empty(j).with_same_part(rng.random(j) * 0.3, rng.normal(3, 1, j))
    for k, m in [(0, 1), (1, 2), (2, 4), (1, 3)]:
        lo = rng.random(8)
        model = model.with_pair(k, m, rng.normal(size=9), lo, lo + rng.random(8) * 50)
    model.x_max[0, 1, 3] = model.x_min[0, 1, 3]  # a constant feature: span 0
    edges, prob = build_graph(dets, model, mask)
    want_edges = candidate_edges(part, mask)
    np.testing.assert_array_equal(edges, want_edges)
    want = edge_probabilities(model, xy, grid, offsets, part, want_edges[:, 0], want_edges[:, 1])
    np.testing.assert_allclose(prob, want, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match=r"no spatial model for the linked part pair \(0, 4\)"):
        build_graph(dets, model, part_pair_mask([(0, 4)], j))


def test_gates_drop_only_pairs_farther_than_their_reach():
    from multiperson.detections import Detections
    from multiperson.pairwise import SpatialModel
    from nnet.heads import pair_index

    j = 3
    means = np.zeros((6, 2))
    stds = np.ones((6, 2))
    means[pair_index(0, 1, j)] = [30.0, 40.0]  # |mean| 50
    model = SpatialModel.empty(j).with_same_part([0.2, 0.0, 0.1], [7.5, 1.0, 3.1])
    gates = edge_gates(means, stds, model, 2.0)
    reach = np.sqrt(2) * 2.0
    assert gates[0, 1] == gates[1, 0] == pytest.approx(50.0 + reach)
    assert gates[1, 2] == pytest.approx(reach)
    np.testing.assert_allclose(np.diag(gates), [(7.5 + 6.9) / 0.2, np.inf, (3.1 + 6.9) / 0.1])
    assert np.isinf(edge_gates(means, stds, model, 0.0)).all()

    rng = np.random.default_rng(5)
    for k, m in [(0, 1), (0, 2), (1, 2)]:
        model = model.with_pair(k, m, rng.normal(size=9), np.zeros(8), np.ones(8))
    n = 30
    part = np.sort(rng.integers(0, j, n)).astype(np.int32)
    xy = rng.uniform(0, 150, (n, 2))
    dets = Detections(part, xy, xy.copy(), np.ones(n), rng.normal(size=(n, j, 2)), j)
    mask = part_pair_mask([], j)
    all_edges, all_prob = build_graph(dets, model, mask)
    edges, prob = build_graph(dets, model, mask, gates)
    distance = np.linalg.norm(xy[all_edges[:, 0]] - xy[all_edges[:, 1]], axis=1)
    keep = distance <= gates[part[all_edges[:, 0]], part[all_edges[:, 1]]]
    assert 0 < keep.sum() < len(keep)
    np.testing.assert_array_equal(edges, all_edges[keep])
    np.testing.assert_allclose(prob, all_prob[keep])


def _fitted_model(rng, j):
    from multiperson.pairwise import SpatialModel

    model = SpatialModel.empty(j).with_same_part(rng.random(j) * 0.1, rng.normal(1, 1, j))
    for k in range(j):
        for m in range(k + 1, j):
            model = model.with_pair(k, m, rng.normal(size=9), np.zeros(8), np.ones(8))
    return model


def test_offset_gate_keeps_the_pairs_the_offsets_point_at():
    from multiperson.detections import Detections

    rng = np.random.default_rng(11)
    j, n = 4, 60
    part, xy, grid, offsets = _random_candidates(rng, j, n, 300, 2, 60)
    offsets[np.arange(n), part] = 0.0
    # a few pairs whose offsets do point at each other
    for a, b in rng.integers(0, n, (15, 2)):
        offsets[a, part[b]] = xy[b] - grid[a] + rng.normal(0, 3, 2)
    dets = Detections(part, xy, grid, np.ones(n), offsets, j)
    model = _fitted_model(rng, j)
    mask = part_pair_mask([], j)
    all_edges, all_prob = build_graph(dets, model, mask)
    edges, prob = build_graph(dets, model, mask, offset_gate=(10.0, 0.25))

    a, b = all_edges[:, 0], all_edges[:, 1]
    forward = np.linalg.norm(xy[b] - grid[a] - offsets[a, part[b]], axis=1)
    backward = np.linalg.norm(xy[a] - grid[b] - offsets[b, part[a]], axis=1)
    length_f = np.linalg.norm(offsets[a, part[b]], axis=1)
    length_b = np.linalg.norm(offsets[b, part[a]], axis=1)
    reach = np.linalg.norm(offsets, axis=2).max(axis=1)
    same = part[a] == part[b]
    distance = np.linalg.norm(xy[a] - xy[b], axis=1)
    keep = np.where(same, distance <= np.maximum(reach[a], reach[b]),
                    (forward <= 10 + 0.25 * length_f) | (backward <= 10 + 0.25 * length_b))
    assert 0 < (keep & ~same).sum() < (~same).sum()
    np.testing.assert_array_equal(edges, all_edges[keep])
    np.testing.assert_allclose(prob, all_prob[keep])


def test_the_same_part_reach_counts_only_the_offsets_to_linked_parts():
    """A sparse pairwise head predicts no offsets to unlinked parts; the reach that gates two
    candidates of one part is the longest offset to a linked part, whatever the others hold."""
    from multiperson.detections import Detections

    j = 3
    part = np.array([0, 0], np.int32)
    xy = np.array([[10.0, 10.0], [70.0, 10.0]])  # 60 pixels apart
    offsets = np.zeros((2, j, 2))
    offsets[:, 1] = (20.0, 0.0)   # to the linked part 1: reach 20
    offsets[:, 2] = (90.0, 0.0)   # to the unlinked part 2: would reach 90
    model = _fitted_model(np.random.default_rng(4), j)
    dets = Detections(part, xy, xy, np.ones(2), offsets, j)
    sparse, _ = build_graph(dets, model, part_pair_mask([(0, 1)], j), offset_gate=(10.0, 0.5))
    full, _ = build_graph(dets, model, part_pair_mask([], j), offset_gate=(10.0, 0.5))
    assert sparse.tolist() == [] and full.tolist() == [[0, 1]]


def test_candidates_in_any_order_give_the_same_graph():
    from multiperson.detections import Detections

    rng = np.random.default_rng(12)
    j, n = 3, 25
    part = np.sort(rng.integers(0, j, n)).astype(np.int32)
    xy = rng.uniform(0, 100, (n, 2))
    offsets = rng.normal(0, 30, (n, j, 2))
    model = _fitted_model(rng, j)
    mask = part_pair_mask([], j)
    dets = Detections(part, xy, xy + 1.0, np.ones(n), offsets, j)
    edges, prob = build_graph(dets, model, mask, offset_gate=(20.0, 0.5))
    shuffle = rng.permutation(n)
    mixed = Detections(part[shuffle], xy[shuffle], xy[shuffle] + 1.0, np.ones(n),
                       offsets[shuffle], j)
    mixed_edges, mixed_prob = build_graph(mixed, model, mask, offset_gate=(20.0, 0.5))
    back = np.sort(shuffle[mixed_edges], axis=1)
    order = np.lexsort((back[:, 1], back[:, 0]))
    np.testing.assert_array_equal(back[order], edges)
    np.testing.assert_allclose(mixed_prob[order], prob, rtol=1e-12)


def _kernel_args(rng, j, n, model, gate):
    part, xy, grid, offsets = _random_candidates(rng, j, n, 600, 2, 80)
    gates = np.full((j, j), 300.0)
    return [part, xy, grid, np.ascontiguousarray(offsets),
            *graph_arrays(model, part_pair_mask([], j), gates, None if gate < 0 else (gate, 0.5))]


def test_graph_arrays_are_the_kernels_inputs():
    rng = np.random.default_rng(23)
    model = _fitted_model(rng, 3)
    mask = part_pair_mask([(0, 1)], 3)
    arrays = graph_arrays(model, mask, np.full((3, 3), 5.0), (12, 0.25))
    coef, bias = model.folded()
    np.testing.assert_array_equal(arrays.linked, mask.astype(np.uint8))
    np.testing.assert_array_equal(arrays.coef, coef)
    np.testing.assert_array_equal(arrays.bias, bias)
    np.testing.assert_array_equal(arrays.max_dist2, np.full((3, 3), 25.0))
    assert (arrays.gate_px, arrays.gate_rel) == (12.0, 0.25)
    assert all(a.flags.c_contiguous for a in arrays[:7])
    off = graph_arrays(model, mask)
    assert np.isinf(off.max_dist2).all() and (off.gate_px, off.gate_rel) == (-1.0, 0.0)


def test_threads_split_the_rows_and_give_the_same_graph():
    from lib.pairwise_cy import graph_edges

    rng = np.random.default_rng(21)
    j, n = 5, 700  # about 50 000 scanned pairs: three ranges with max_threads=3
    model = _fitted_model(rng, j)
    for gate in (-1.0, 40.0):
        args = _kernel_args(rng, j, n, model, gate)
        one = graph_edges(*args, max_threads=1)
        three = graph_edges(*args, max_threads=3)
        assert len(one[0]) > 10000
        np.testing.assert_array_equal(one[0], three[0])
        np.testing.assert_array_equal(one[1], three[1])


def test_threads_report_the_first_pair_without_a_model():
    from lib.pairwise_cy import graph_edges

    rng = np.random.default_rng(22)
    j, n = 4, 700
    model = _fitted_model(rng, j)
    fitted = model.fitted.copy()
    fitted[2, 3] = fitted[3, 2] = fitted[1, 3] = fitted[3, 1] = False
    args = _kernel_args(rng, j, n, model, -1.0)
    args[5] = np.ascontiguousarray(fitted, np.uint8)
    for threads in (1, 3):
        assert graph_edges(*args, max_threads=threads) == (None, (1, 3))
