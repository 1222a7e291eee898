"""DeeperCut's Caffe order of pairwise channels, written out for the tests from DeeperCut's own
definitions (its get_pairwise_index and the 1-based graph of a Caffe-order pairwise_stats.mat),
independently of nnet.caffe_order."""
import numpy as np


def into_caffe_order(value, graph, num_joints):
    """A full pairwise head's kernel [kh, kw, out, in] or bias [out] with its output channels moved
    from DeeperCut's TensorFlow order into its Caffe order: slot s gets the pair graph[s] (1-based
    joint ids), taken from the channels DeeperCut's get_pairwise_index gives that pair."""
    axis = value.ndim - 2 if value.ndim == 4 else 0
    source, out = np.moveaxis(value, axis, 0), np.zeros_like(value)
    target = np.moveaxis(out, axis, 0)
    for slot, (a, b) in enumerate(graph):
        k, m = a - 1, b - 1
        channel = (num_joints - 1) * k + m - int(k < m)
        target[2 * slot:2 * slot + 2] = source[2 * channel:2 * channel + 2]
    return out


def caffe_graph(num_joints, seed):
    """Every ordered pair of the joints in 1-based ids, in a shuffled order (a Caffe-order graph)."""
    pairs = np.array([(a, b) for a in range(1, num_joints + 1) for b in range(1, num_joints + 1) if a != b])
    return pairs[np.random.default_rng(seed).permutation(len(pairs))]
