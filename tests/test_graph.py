"""multiperson.graph: linked part pairs and candidate edges."""
import numpy as np
import pytest

from dataset.keypoint_formats import get_format
from multiperson.graph import candidate_edges, default_sparse_graph, part_pair_mask


def test_default_graph_is_the_skeleton_and_its_two_hop_pairs():
    chain = [(0, 1), (1, 2), (2, 3)]
    assert default_sparse_graph(chain, 4, hops=1).tolist() == [[0, 1], [1, 2], [2, 3]]
    assert default_sparse_graph(chain, 4).tolist() == [[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]]
    coco = get_format("coco17")
    pairs = {tuple(p) for p in default_sparse_graph(coco.skeleton, 17).tolist()}
    assert {tuple(sorted(e)) for e in coco.skeleton} <= pairs
    assert (5, 9) in pairs and (11, 15) in pairs  # shoulder-wrist, hip-ankle
    assert (0, 16) not in pairs


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
