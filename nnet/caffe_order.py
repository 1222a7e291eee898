"""DeeperCut's Caffe order of pairwise channels: which slot of the pairwise head holds which
ordered joint pair in a model converted from Caffe (``tensorflow_pairwise_order: false``).

There, the channels of pair (k, m) are those of the row of the pairwise_stats.mat ``graph``
(1-based joint ids) that names (k + 1, m + 1); in DeeperCut's TensorFlow order, which is posecut's,
they are those of ``nnet.heads.pair_index(k, m, J)``. Pure numpy and scipy.
"""
import numpy as np
import scipy.io as sio

from lib.errors import CheckpointError
from nnet.heads import pair_index

__all__ = ["caffe_pair_slots", "read_caffe_pair_slots"]


def caffe_pair_slots(graph, num_joints):
    """(J(J-1),) int64: per pair_index p, the slot (channels 2s, 2s + 1) that holds the ordered pair
    p in a pairwise head of DeeperCut's Caffe order. ``graph``: (J(J-1), 2) ordered joint pairs in
    1-based ids, row s naming slot s's pair (the graph of a Caffe-order pairwise_stats.mat).
    ValueError unless it names every ordered pair of the J joints once."""
    graph = np.asarray(graph)
    j, count = int(num_joints), int(num_joints) * (int(num_joints) - 1)
    if graph.shape != (count, 2) or not np.issubdtype(graph.dtype, np.number):
        raise ValueError(f"expected a ({count}, 2) array of joint pairs, one per ordered pair of "
                         f"{j} joints, got shape {graph.shape}")
    if (graph != np.round(graph)).any() or graph.min() < 1 or graph.max() > j:
        raise ValueError(f"expected 1-based joint ids 1..{j} (DeeperCut's Caffe order), got ids "
                         f"{graph.min():g}..{graph.max():g}")
    first, second = graph[:, 0].astype(np.int64) - 1, graph[:, 1].astype(np.int64) - 1
    if (first == second).any():
        raise ValueError("expected pairs of two different joints")
    index = pair_index(first, second, j)
    if len(np.unique(index)) != count:
        raise ValueError("expected each ordered joint pair once, found repeated pairs")
    slots = np.empty(count, np.int64)
    slots[index] = np.arange(count)
    return slots


def read_caffe_pair_slots(path, num_joints):
    """caffe_pair_slots of the ``graph`` of the pairwise_stats.mat at ``path``; CheckpointError
    naming the file and the field where it cannot be read or is not such a graph."""
    why = "tensorflow_pairwise_order is false, so its graph gives the order of the pairwise channels"
    try:
        graph = sio.loadmat(path)["graph"]
    except FileNotFoundError:
        raise CheckpointError(f"{path}: pairwise statistics file not found ({why})") from None
    except KeyError:
        raise CheckpointError(f"{path}: graph: missing ({why})") from None
    except Exception as err:  # scipy raises many types for a file that is not a .mat
        raise CheckpointError(f"{path}: cannot read as a MATLAB .mat file ({type(err).__name__}: "
                              f"{err}; {why})") from None
    try:
        return caffe_pair_slots(graph, num_joints)
    except ValueError as err:
        raise CheckpointError(f"{path}: graph: {err} ({why})") from None
