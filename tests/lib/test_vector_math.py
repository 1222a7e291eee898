"""Tests of lib/vector_math.hpp, the vectorised exp and atan2 of the pairwise features, against
numpy's, in units in the last place (ulp): exp within 2, atan2 within 4 (its reductions add
roundings that the C library avoids with more steps; the pairwise features need far less)."""
import numpy as np
import pytest

pairwise_cy = pytest.importorskip("lib.pairwise_cy")


def ulps(got, want):
    """|got - want| in units of the last place of want."""
    return np.abs(got - want) / np.spacing(np.abs(want))


def test_exp_within_two_ulp():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-707.0, 709.0, 200_000), rng.uniform(-40.0, 40.0, 200_000),
                        rng.uniform(-1e-3, 1e-3, 10_000), np.arange(-700.0, 701.0),
                        -np.log(2.0) * np.arange(-1000, 1000) / 2,
                        [0.0, -0.0, 1e-300, -1e-300, 709.7, -707.6]])
    got = pairwise_cy.vector_exp(x)
    want = np.exp(x)
    assert ulps(got, want).max() <= 2.0


def test_exp_edges():
    x = np.array([-np.inf, -1e6, -708.0, 709.78, 709.8, 1e6, np.inf, np.nan])
    got = pairwise_cy.vector_exp(x)
    np.testing.assert_array_equal(got[:3], 0.0)  # at and below e^-707.7: flushed to 0
    assert got[3] == pytest.approx(np.exp(709.78), rel=1e-15) and np.isfinite(got[3])
    np.testing.assert_array_equal(got[4:7], np.inf)
    assert np.isnan(got[7])


def test_atan2_within_four_ulp_in_the_upper_half_plane():
    rng = np.random.default_rng(1)
    scale = 10.0 ** rng.uniform(-8, 8, (2, 300_000))
    y = np.abs(rng.standard_normal(300_000)) * scale[0]
    x = rng.standard_normal(300_000) * scale[1]
    # Near the reduction's boundaries: ratios around tan(pi / 8) and 1.
    t = np.tan(np.pi / 8) * (1 + rng.uniform(-1e-9, 1e-9, 20_000))
    y = np.concatenate([y, t, np.ones(20_000), 1 + rng.uniform(-1e-12, 1e-12, 1000)])
    x = np.concatenate([x, np.ones(20_000), 1 / t, -np.ones(1000)])
    got = pairwise_cy.vector_atan2(y, x)
    want = np.arctan2(y, x)
    assert ulps(got, want).max() <= 4.0


def test_atan2_signed_zeros_infinities_and_nan():
    y = np.array([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 5.0, np.inf, np.nan, 1.0])
    x = np.array([0.0, -0.0, 2.0, -2.0, 0.0, -0.0, np.inf, -np.inf, 3.0, 1.0, np.nan])
    got = pairwise_cy.vector_atan2(y, x)
    np.testing.assert_allclose(got[:9], np.arctan2(y[:9], x[:9]), rtol=1e-15, atol=0)
    assert np.isnan(got[9:]).all()


def test_atan2_rejects_unequal_lengths():
    with pytest.raises(ValueError, match="y has 2 values, x 3"):
        pairwise_cy.vector_atan2(np.zeros(2), np.zeros(3))
