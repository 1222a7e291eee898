"""Whether two runs of the network agree: the largest difference per output, and the fidelity
tolerances within which another backend counts as the same float32 network.

The tolerances are those the network meets against DeeperCut's original graph
(tests/test_fidelity.py), in each output's own units: 'part_prob' sigmoid scores, 'locref' and
'pairwise_pred' as the heads give them (normalised).
"""
import numpy as np

__all__ = ["FLOAT32_TOLERANCE", "agrees", "output_differences"]

FLOAT32_TOLERANCE = {"part_prob": 1e-4, "locref": 2e-3, "pairwise_pred": 2e-3}


def output_differences(outputs, reference) -> dict:
    """{output name: largest absolute difference} over the outputs both runs have; outputs of
    different shapes are an infinite difference (they are not the same network)."""
    differences = {}
    for name in reference:
        if name not in outputs:
            continue
        got, want = np.asarray(outputs[name], np.float64), np.asarray(reference[name], np.float64)
        differences[name] = (float(np.abs(got - want).max()) if got.shape == want.shape
                             else float("inf"))
    return differences


def agrees(outputs, reference, tolerance=None) -> bool:
    """True when ``outputs`` has every output of ``reference`` that ``tolerance`` (default
    FLOAT32_TOLERANCE) names, each within its tolerance."""
    tolerance = FLOAT32_TOLERANCE if tolerance is None else tolerance
    differences = output_differences(outputs, reference)
    names = [name for name in tolerance if name in reference]
    return bool(names) and all(differences.get(name, float("inf")) < tolerance[name]
                               for name in names)
