"""sdmlib.qknorm: the QK-norm scales, their start g0 = log2(L^2 - L), SDM's lines per model, the null model.

Each check goes through an independent route: integer arithmetic for g0, sdmlib.probe's own
reference lines and a radius-by-radius critical-distance scan for the lines, plain loops for the
null-model table, scipy's binomial test, exhaustive enumeration of bootstrap resamples and of
sign patterns.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sdmlib import qknorm
from sdmlib.capacity import critical_distance
from sdmlib.qknorm import (bootstrap_ci, henry_initial_scale, load_qknorm_configs, load_qknorm_scales,
                           null_model_summary, null_model_table, reference_lines, sign_flip_test, sign_test)


@pytest.fixture(scope="module")
def scales():
    return load_qknorm_scales(config=True)


# --- g0 and the data ---------------------------------------------------------------------------

def test_initial_scale_counts_off_diagonal_entries():
    L = np.arange(2, 200)
    g0 = henry_initial_scale(L)
    assert np.array_equal(np.round(2.0**g0).astype(np.int64), L * (L - 1))   # exact integers
    assert isinstance(henry_initial_scale(72), float)
    for bad, err in ((1, ValueError), (72.5, TypeError), (True, TypeError)):
        with pytest.raises(err, match="L"):
            henry_initial_scale(bad)


def test_default_loader_is_unchanged_for_existing_callers():
    df = load_qknorm_scales()
    assert list(df.columns) == list(qknorm.SCALE_COLUMNS) and len(df) == 90
    probe = pytest.importorskip("sdmlib.probe")
    if hasattr(probe, "load_qknorm_scales"):
        pd.testing.assert_frame_equal(probe.load_qknorm_scales(), df)
    with pytest.raises(TypeError, match="config"):
        load_qknorm_scales(config="yes")


def test_configs_follow_the_released_code(scales):
    cfg = load_qknorm_configs().set_index("language_pair")
    assert (cfg.d_head * cfg.num_heads == cfg.embed_dim).all()
    assert np.allclose(cfg.g0, np.log2(cfg.L * (cfg.L - 1.0)))
    assert cfg.loc["gl-en", "d_head"] == 2 * cfg.loc["ar-en", "d_head"]
    assert set(cfg.index) == set(scales.language_pair)
    # the join: every row carries its model's start, and the layer counts are the data's own
    counted = scales.groupby(["language_pair", "stack", "attention"]).size()
    for (lp, stack, att), k in counted.items():
        rows = scales[(scales.language_pair == lp) & (scales["stack"] == stack) & (scales.attention == att)]
        assert (rows.layers_data == k).all() and (rows.g0 == cfg.loc[lp, "g0"]).all()
        want = cfg.loc[lp, "num_enc_layers" if stack == "encoder" else "num_dec_layers"]
        assert (rows.layers_config == want).all() and (rows.layers_match == (k == want)).all()


def test_bad_config_files_are_refused(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("language_pair,L\nx,72\n")
    with pytest.raises(ValueError, match="columns"):
        load_qknorm_configs(p)
    with pytest.raises(FileNotFoundError, match="path"):
        load_qknorm_configs(tmp_path / "missing.csv")


# --- SDM lines -----------------------------------------------------------------------------------

@pytest.mark.parametrize("n,m,estimator", [(64, 1024, "as-published"), (64, 72, "ols"), (32, 50, "as-published")])
def test_lines_match_the_probe_route(n, m, estimator):
    probe = pytest.importorskip("sdmlib.probe")
    sdm_reference_betas = getattr(probe, "sdm_reference_betas", None)
    if sdm_reference_betas is None:
        pytest.skip("sdmlib.probe has no sdm_reference_betas")
    ref, other = reference_lines(n, m, estimator=estimator), sdm_reference_betas(n, m, estimator=estimator)
    for key in ("d_cd", "d_snr", "d_mem", "beta_cd", "beta_snr", "beta_mem"):
        assert np.isclose(ref[key], other[key]), key


@pytest.mark.parametrize("n,m", [(32, 20), (64, 72), (64, 1024)])
def test_critical_distance_plateau_by_scanning_every_radius(n, m):
    ref = reference_lines(n, m)
    cds = np.array([critical_distance(n, d, m, 2**n, convention="first_failing") for d in range(n // 2 + 1)])
    best = cds.max()
    assert cds[ref["d_cd"]] == best and (cds[: ref["d_cd"]] < best).all()         # first radius at the max
    assert (cds[ref["d_cd"]: ref["d_cd_last"] + 1] == best).all()                 # the whole run is at the max
    assert ref["d_cd_last"] == n // 2 or cds[ref["d_cd_last"] + 1] < best          # and it ends there
    assert ref["beta_cd_low"] <= ref["beta_cd"]


def test_lines_reject_bad_input():
    for kw, err, name in ((dict(n=2, m=10), ValueError, "n"), (dict(n=64, m=0.5), ValueError, "m"),
                          (dict(n=64, m=10, estimator="least-squares"), ValueError, "estimator"),
                          (dict(n=64.5, m=10), TypeError, "n")):
        with pytest.raises(err, match=name):
            reference_lines(**kw)


# --- the null model ------------------------------------------------------------------------------

def test_null_model_table_against_plain_loops(scales):
    t = null_model_table(scales, estimator="as-published")
    for _, row in t.sample(12, random_state=0).iterrows():
        ref = reference_lines(int(row.d_head), float(row.m), estimator="as-published")
        assert row.in_band == (ref["beta_cd"] <= row.scale <= ref["beta_mem"])
        assert row.in_band_null == (ref["beta_cd"] <= row.g0 <= ref["beta_mem"])
        assert math.isclose(row.dist_snr, abs(math.log(row.scale / ref["beta_snr"])))
        assert row.closer_to_snr == (abs(math.log(row.scale / ref["beta_snr"]))
                                     < abs(math.log(row.g0 / ref["beta_snr"])))
    fixed = null_model_table(scales, n=64, m=1024)
    assert (fixed.n_ref == 64).all() and (fixed.m_ref == 1024).all()
    with pytest.raises(ValueError, match="scales"):
        null_model_table(scales.drop(columns="g0"))
    with pytest.raises(TypeError, match="scales"):
        null_model_table(scales.to_dict())


def test_summary_counts_by_hand(scales):
    t = null_model_table(scales)
    summary = null_model_summary(t)
    for lp, sub in t.groupby("language_pair"):
        shift = sub.scale - sub.g0
        assert summary.loc[lp, "layers"] == len(sub)
        assert summary.loc[lp, "above_g0"] == sum(1 for s in shift if s > 0)
        assert summary.loc[lp, "moved_gt_3"] == sum(1 for s in shift if abs(s) > 3)
        assert math.isclose(summary.loc[lp, "median_shift"], float(np.median(shift)))
    for col in ("layers", "above_g0", "in_band", "in_band_null", "closer_to_snr"):
        assert summary.loc["all", col] == summary.drop("all")[col].sum()


# --- uncertainty ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shift", [[1.0] * 9 + [-1.0] * 3, [-1.0] * 9 + [1.0] * 3, [0.5, -0.2, 0.3, 0.0, 2.0], [1.0] * 30 + [-1.0] * 2])
def test_sign_test_is_scipys_binomial_test(shift):
    res = sign_test(shift)
    s = np.asarray(shift)
    k, n = int((s > 0).sum()), int((s != 0).sum())
    assert (res["k_positive"], res["n_nonzero"]) == (k, n)
    assert math.isclose(res["p_two_sided"], stats.binomtest(k, n, 0.5).pvalue, rel_tol=1e-9)
    with pytest.raises(ValueError, match="shift"):
        sign_test([0.0, 0.0])


def test_bootstrap_interval_has_the_quantile_property_of_the_exact_bootstrap():
    x = np.array([0.0, 1.0, 2.0, 10.0, 4.0])
    exact = np.array([np.mean(x[list(idx)]) for idx in itertools.product(range(5), repeat=5)])   # all 5^5 resamples
    est, lo, hi = bootstrap_ci(x, np.mean, n_boot=200_000, seed=3)
    assert est == x.mean()
    tol = 0.006
    for q, v in ((0.025, lo), (0.975, hi)):
        assert np.mean(exact < v) <= q + tol and np.mean(exact <= v) >= q - tol
    assert bootstrap_ci(x, seed=7) == bootstrap_ci(x, seed=7)       # seeded
    for kw, err, name in ((dict(values=[1.0]), ValueError, "values"), (dict(values=x, n_boot=5), ValueError, "n_boot"),
                          (dict(values=x, level=1.0), ValueError, "level"),
                          (dict(values=x, statistic="median"), TypeError, "statistic")):
        with pytest.raises(err, match=name):
            bootstrap_ci(**kw)


def test_sign_flip_exact_enumeration_and_monte_carlo_agree():
    rng = np.random.default_rng(5)
    g0, shift = np.full(12, 12.4), rng.normal(1.0, 2.0, 12)
    lo, hi = 10.0, 35.0

    def band(g):
        return ((g >= lo) & (g <= hi)).sum(axis=-1)

    exact = sign_flip_test(g0, shift, band)
    mc = sign_flip_test(g0, shift, band, exact_up_to=0, n_perm=100_000, seed=2)
    assert exact["exact"] and not mc["exact"] and exact["null"].size == 2**12
    assert exact["observed"] == mc["observed"] == band(g0 + shift)
    assert abs(exact["p"] - mc["p"]) < 0.01
    # by hand: with the count of upward moves as the statistic, p is the binomial tail
    up = sign_flip_test(g0, shift, lambda g: (g > g0).sum(axis=-1))
    k = int((shift > 0).sum())
    assert math.isclose(up["p"], sum(math.comb(12, j) for j in range(k, 13)) / 2**12)
    low = sign_flip_test(g0, shift, lambda g: (g > g0).sum(axis=-1), alternative="less")
    assert math.isclose(low["p"], sum(math.comb(12, j) for j in range(0, k + 1)) / 2**12)


def test_sign_flip_rejects_bad_input():
    with pytest.raises(ValueError, match="g0 and shift"):
        sign_flip_test([1.0, 2.0], [1.0], lambda g: g.sum(axis=-1))
    with pytest.raises(ValueError, match="alternative"):
        sign_flip_test([1.0], [1.0], lambda g: g.sum(axis=-1), alternative="two-sided")
    with pytest.raises(TypeError, match="statistic"):
        sign_flip_test([1.0], [1.0], None)
