"""nnet.agreement: the largest difference per output, and agreement within the tolerances."""
import numpy as np

from nnet.agreement import FLOAT32_TOLERANCE, agrees, output_differences


def outputs(seed=0, shape=(1, 5, 6, 4)):
    rng = np.random.default_rng(seed)
    return {"part_prob": rng.random(shape), "locref": rng.normal(size=shape[:3] + (8,)),
            "pairwise_pred": rng.normal(size=shape[:3] + (24,))}


def test_differences_are_the_largest_absolute_ones_per_output():
    want = outputs()
    got = {name: value.copy() for name, value in want.items()}
    got["locref"][0, 2, 3, 5] += 0.25
    got["part_prob"] -= 1e-3
    differences = output_differences(got, want)
    assert abs(differences["locref"] - 0.25) < 1e-12
    assert abs(differences["part_prob"] - 1e-3) < 1e-12
    assert differences["pairwise_pred"] == 0


def test_agreement_follows_each_outputs_tolerance():
    want = outputs()
    assert agrees(want, want)
    near = {name: value + 0.5 * FLOAT32_TOLERANCE[name] for name, value in want.items()}
    assert agrees(near, want)
    far = dict(near, locref=want["locref"] + 2 * FLOAT32_TOLERANCE["locref"])
    assert not agrees(far, want)
    assert agrees(far, want, tolerance={"part_prob": 1e-3})


def test_another_shape_or_a_missing_output_never_agrees():
    want = outputs()
    other = dict(want, part_prob=want["part_prob"][:, :4])
    assert output_differences(other, want)["part_prob"] == float("inf")
    assert not agrees(other, want)
    assert not agrees({"part_prob": want["part_prob"]}, want)
    assert not agrees({}, {})
