"""posecut.backend_choice: the fastest usable network, timed and checked on the probe image."""
import numpy as np
import pytest

from lib.errors import InputError, PosecutError
from posecut.backend_choice import Candidate, Timed, choose, describe_choice, median_seconds, time_candidates


def network(offset=0.0, limit=None, calls=None):
    """A stand-in network: outputs that depend on the image, shifted by ``offset``; images
    larger than ``limit`` refused as a TFLite model refuses them."""

    def run(image):
        if calls is not None:
            calls.append(image.shape)
        if limit is not None and image.shape[0] > limit:
            raise InputError(f"an image of {image.shape[0]} rows is larger than {limit}")
        base = np.asarray(image, np.float64)[None, ::8, ::8, :1].repeat(2, -1) / 255
        return {"part_prob": base + offset, "locref": base + offset, "pairwise_pred": base}

    return run


IMAGE = np.random.default_rng(0).integers(0, 256, (32, 40, 3)).astype(np.uint8)


def test_median_seconds_calls_the_network_after_a_warm_up():
    calls = []
    seconds = median_seconds(network(calls=calls), IMAGE, 3)
    assert len(calls) == 4 and seconds >= 0


def test_the_fastest_usable_candidate_is_chosen():
    a, b, c = (Candidate("tensorflow", "TF", None, ""), Candidate("tflite", "int8", None, "unchecked"),
               Candidate("tflite", "float32", None, ""))
    timed = [Timed(a, 0.03), Timed(b, 0.01, "unchecked"), Timed(c, 0.02)]
    assert choose(timed).candidate is c
    assert choose([Timed(a, 0.03), Timed(c, None, "too large")]).candidate is a
    with pytest.raises(PosecutError, match="no usable network: int8: unchecked"):
        choose([Timed(b, 0.01, "unchecked")])


def test_float32_outputs_decide_and_the_reference_is_asked_for_only_then():
    reference_calls = []

    def reference():
        reference_calls.append(1)
        return network()(IMAGE)

    candidates = [Candidate("tensorflow", "TensorFlow", network(), ""),
                  Candidate("tflite", "TFLite float32", network(5e-5), None),
                  Candidate("tflite", "TFLite other", network(1e-2), None),
                  Candidate("tflite", "TFLite int8", network(0.3), "its accuracy was not checked")]
    timed = time_candidates(candidates, IMAGE, 1, reference)
    assert [t.why_not for t in timed[:2]] == ["", ""]
    assert "differ from TensorFlow float32's by 0.01 in part_prob" in timed[2].why_not
    assert timed[3].why_not == "its accuracy was not checked"
    assert len(reference_calls) == 2 and all(t.seconds >= 0 for t in timed)
    assert choose(timed).candidate.name in ("TensorFlow", "TFLite float32")


def test_a_network_that_refuses_the_probe_is_not_usable_and_said_so():
    candidates = [Candidate("tensorflow", "TensorFlow", network(), ""),
                  Candidate("tflite", "TFLite float32", network(limit=16), None)]
    timed = time_candidates(candidates, IMAGE, 1, lambda: network()(IMAGE))
    assert timed[1].seconds is None and "larger than 16" in timed[1].why_not
    chosen = choose(timed)
    assert chosen.candidate.name == "TensorFlow"
    text = describe_choice(timed, chosen, IMAGE.shape)
    assert text.splitlines()[0].startswith("network: TensorFlow (the fastest usable")
    assert "32x40" in text and "TFLite float32   cannot run it: not used, an image of 32 rows" in text
