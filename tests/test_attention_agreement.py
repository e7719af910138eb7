"""The SDM / SDM-attention read comparison against an independent computation of both weights."""

import numpy as np
import pytest

from sdmlib import geometry
from sdmlib.attention_agreement import read_agreement
from sdmlib.beta import fit_beta


def _data(seed=3, m=120, n=64, h=8):
    rng = np.random.default_rng(seed)
    P = rng.integers(0, 2, size=(m, n), dtype=np.uint8)
    q = P.copy()
    for row in q:
        row[rng.choice(n, h, replace=False)] ^= 1
    return P, q


@pytest.mark.parametrize("d", [11, 19, 27])
def test_weights_votes_and_tv_match_a_direct_computation(d):
    P, q = _data()
    n = P.shape[1]
    a = read_agreement(P, q, d)
    dv = (q[:, None, :] != P[None, :, :]).sum(-1)                       # (B, m) Hamming distances
    log_count = np.asarray(geometry.expected_neurons_in_intersection(n, d, np.arange(n + 1), log=True))
    lw = log_count[dv]                                                   # exact circle intersections
    w = np.exp(lw - lw.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    beta = fit_beta(n, d, space="binary", window="within-radius", estimator="ols").beta
    z = beta * (1 - 2 * dv / n)
    w_att = np.exp(z - z.max(axis=1, keepdims=True))
    w_att /= w_att.sum(axis=1, keepdims=True)
    assert a.beta == pytest.approx(beta)
    np.testing.assert_allclose(a.tv, 0.5 * np.abs(w - w_att).sum(axis=1), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.sdm_vote, w @ (2.0 * P - 1), atol=1e-9)
    np.testing.assert_allclose(a.att_vote, w_att @ (2.0 * P - 1), atol=1e-12)
    rows = np.arange(len(q))
    np.testing.assert_allclose(a.w_target_sdm, w[rows, rows], rtol=1e-9)


def test_the_bound_holds_and_is_not_loose_by_a_factor_two():
    P, q = _data()
    for d in (11, 19):
        a = read_agreement(P, q, d)
        gap = np.abs(a.sdm_vote - a.att_vote)
        assert np.all(gap <= 2 * a.tv[:, None] + 1e-12)
        assert np.all(a.equal[a.guaranteed])
        # half the bound would be violated somewhere: a check with a mis-scaled TV fails
        assert np.any(gap > a.tv[:, None])
    s = read_agreement(P, q, 19).summary()
    assert set(s) == {"d", "beta", "tv_median", "guaranteed", "equal", "vote_gap_over_2tv",
                      "w_target_sdm", "w_target_att"}
    assert 0 < s["vote_gap_over_2tv"] <= 1


def test_fractions_and_validation():
    P, q = _data(m=20)
    a = read_agreement(P, q, 11)
    mean, se = a.fraction("equal")
    assert mean == pytest.approx(a.equal.mean()) and se >= 0
    with pytest.raises(ValueError, match="which must be"):
        a.fraction("sure")
    with pytest.raises(ValueError, match="give targets"):
        read_agreement(P[:5], q, 11)
    with pytest.raises(ValueError, match="targets must hold"):
        read_agreement(P, q, 11, targets=np.full(len(q), 99))
    with pytest.raises(ValueError, match="d must be"):
        read_agreement(P, q, 0)
    far = 1 - P[:1]                                         # 64 bits from pattern 0
    with pytest.raises(ValueError, match="within 2d"):
        read_agreement(P[:1], far, 5)
