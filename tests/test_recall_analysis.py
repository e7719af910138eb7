"""Tests of sdmlib.recall_analysis: standard errors, z-scores, the agreement bound, repeated reads."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sdmlib.memories import PatternSDM
from sdmlib.recall_analysis import agreement_threshold, repeated_reads, standard_error, z_against_original


def test_standard_error_is_the_larger_of_the_two_routes():
    rng = np.random.default_rng(0)
    scores = [rng.normal(0.5, 0.2, size=64) + shift for shift in (0.0, 0.3, -0.3)]
    means = np.array([s.mean() for s in scores])
    pooled = np.concatenate(scores)
    s = pd.DataFrame(dict(sem=[means.std(ddof=1) / math.sqrt(3)], std=[pooled.std()], n_queries=[pooled.size]))
    assert standard_error(s)[0] == pytest.approx(means.std(ddof=1) / math.sqrt(3))  # data sets differ: sem wins
    s2 = s.assign(sem=0.0)
    assert standard_error(s2)[0] == pytest.approx(pooled.std() / math.sqrt(pooled.size))
    with pytest.raises(ValueError, match="n_queries"):
        standard_error(s.assign(n_queries=0))


def test_z_against_original_is_calibrated_by_simulation():
    """Two samples from one distribution, with very different sizes: z is standard normal."""
    rng = np.random.default_rng(1)
    zs = []
    for _ in range(2000):
        ours = rng.normal(0.3, 0.4, size=96)
        orig = rng.normal(0.3, 0.4, size=15360)
        zs.append(z_against_original(ours.mean(), ours.std() / math.sqrt(96), orig.mean(), orig.std(), 15360))
    zs = np.asarray(zs)
    assert abs(zs.mean()) < 0.1 and abs(zs.std() - 1.0) < 0.06
    # a wrong denominator (sqrt(2) x ours, as if the original had our size) would give std 1/sqrt(2)
    assert zs.std() > 0.9


def test_z_against_original_edge_cases_and_validation():
    assert z_against_original([0.5, 0.5, 0.4], 0.0, [0.5, 0.4, 0.5], 0.0, 10).tolist() == [0.0, math.inf, -math.inf]
    with pytest.raises(ValueError, match="original_n"):
        z_against_original(0.5, 0.1, 0.5, 0.1, 0)
    with pytest.raises(ValueError, match="se"):
        z_against_original(0.5, -0.1, 0.5, 0.1, 5)


@pytest.mark.parametrize("n, alpha", [(1, 0.05), (84, 0.01), (1000, 0.001)])
def test_agreement_threshold_solves_the_bonferroni_equation(n, alpha):
    t = agreement_threshold(n, alpha)
    assert n * math.erfc(t / math.sqrt(2)) == pytest.approx(alpha, rel=1e-9)


def test_agreement_threshold_validates():
    with pytest.raises(ValueError, match="n_comparisons"):
        agreement_threshold(0)
    with pytest.raises(ValueError, match="alpha"):
        agreement_threshold(10, 1.0)


def test_repeated_reads_first_read_matches_a_direct_read():
    rng = np.random.default_rng(2)
    P = rng.integers(0, 2, size=(256, 64), dtype=np.uint8)
    a = PatternSDM(n=64, d=15, r=10**5, seed=3, on_empty="original").write(P)
    b = PatternSDM(n=64, d=15, r=10**5, seed=3, on_empty="original").write(P)
    t = repeated_reads(a, P, P, 4)
    x = P.copy()
    for k in range(4):
        res = b.read(x)
        x = res.outputs
        assert t.loc[k, "recalled"] == pytest.approx(np.mean(np.all(x == P, axis=1)))
        assert t.loc[k, "zero"] == pytest.approx(np.mean(~np.any(x, axis=1)))
        assert t.loc[k, "empty"] == pytest.approx(np.mean(res.empty))
    assert np.allclose(t[["recalled", "zero", "other"]].sum(axis=1), 1.0)
    assert t["mean"].iloc[-1] == pytest.approx(np.mean(1 - 2 * np.count_nonzero(x != P, axis=1) / 64))


def test_repeated_reads_validates():
    P = np.zeros((2, 8), np.uint8)
    mem = PatternSDM(n=8, d=2).write(P)
    with pytest.raises(ValueError, match="n_reads"):
        repeated_reads(mem, P, P, 0)
    with pytest.raises(ValueError, match="same shape"):
        repeated_reads(mem, P, P[:1], 1)


def test_compare_with_original_uses_the_original_count_and_matches_the_formula():
    from sdmlib.recall_analysis import compare_with_original

    ours = pd.DataFrame(dict(model=["a", "a", "b"], d=[5, 9, 5], h=[0, 0, 0], mean=[0.3, 0.9, 0.1],
                             std=[0.4, 0.1, 0.2], sem=[0.05, 0.0, 0.0], n_queries=[96, 96, 96]))
    orig = pd.DataFrame(dict(model=["a", "a"], d=[5, 9], h=[0, 0], mean=[0.34, 0.9], std=[0.48, 0.1]))
    c = compare_with_original(ours, orig, 15360)
    assert len(c) == 2                                       # model b has no original cell
    se = max(0.05, 0.4 / math.sqrt(96))
    assert c["z"].iloc[0] == pytest.approx((0.3 - 0.34) / math.sqrt(se**2 + 0.48**2 / 15360))
    assert c["z"].iloc[1] == 0.0
    with pytest.raises(ValueError, match="original lacks"):
        compare_with_original(ours, orig.drop(columns="std"), 15360)


def test_standard_error_resolution_floor_only_bites_for_identical_scores():
    s = pd.DataFrame(dict(sem=[0.0, 0.0], std=[0.0, 0.3], n_queries=[96, 96]))
    se = standard_error(s, resolution=1.0)
    assert se[0] == pytest.approx(1 / 96) and se[1] == pytest.approx(0.3 / math.sqrt(96))
    with pytest.raises(ValueError, match="resolution"):
        standard_error(s, resolution=-1.0)
