"""Tests of sdmlib.experiments: protocols, the recall sweep, its table and the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from sdmlib import experiments as ex
from sdmlib.__main__ import main as sdmlib_main

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- protocols


def test_full_protocols_match_the_specification():
    e1 = ex.protocol("E1", "full")
    assert (e1.n, e1.m, e1.r) == (64, 1024, 2**64)
    assert ex.protocol_radii(e1) == (5, 9, 11, 15, 19, 27)
    assert e1.levels == tuple(range(0, 13, 2))
    # 3 data sets x 5 repeats x all 1024 stored patterns = 15 360 scores per point
    assert e1.queries_per_point == 3 * 5 * 1024
    e3 = ex.protocol("E3", "full")
    assert e3.r == 10**5 and set(e3.models) == {"neuron_sdm", "pattern_sdm_finite"}
    e4 = ex.protocol("E4", "full")
    assert (e4.n, e4.data, e4.no_closer) == (784, "mnist", False)
    assert e4.levels == tuple(range(0, 301, 50))
    assert all(ex.MODEL_NAMES.index(m) >= 0 for m in e4.models)
    e2 = ex.protocol("E2", "full")
    assert (e2.n, e2.r) == (1000, 10**6)


@pytest.mark.parametrize("name", ["E1", "E2", "E3", "E4"])
def test_reduced_protocols_only_score_fewer_queries(name):
    full, reduced = ex.protocol(name, "full"), ex.protocol(name, "reduced")
    assert reduced.queries_per_point < full.queries_per_point
    same = ("n", "m", "r", "models", "levels", "radii", "fractions", "no_closer", "max_steps", "data")
    assert all(getattr(full, f) == getattr(reduced, f) for f in same)


@pytest.mark.parametrize("n", [64, 784, 1000])
def test_radii_from_fractions_are_binomial_quantiles(n):
    # independent route: scipy's binomial quantile, smallest k with F(k) >= p
    p = ex.protocol("E2", "full").replace(n=n, levels=(0,))
    radii = ex.protocol_radii(p)
    for d, f in zip(radii, ex.PAPER_FRACTIONS):
        assert binom.cdf(d, n, 0.5) >= f
        assert d == 0 or binom.cdf(d - 1, n, 0.5) < f
    if n == 64:
        assert radii == (5, 9, 11, 15, 19, 27)


def test_protocol_rejects_bad_values():
    with pytest.raises(ValueError, match="n_queries"):
        ex.protocol("E1", n_queries=2000)
    with pytest.raises(ValueError, match="models"):
        ex.protocol("E1", models=("no_such_model",))
    with pytest.raises(ValueError, match="levels"):
        ex.protocol("E1", levels=(0, 65))
    with pytest.raises(ValueError, match="scale"):
        ex.protocol("E1", "huge")
    with pytest.raises(ValueError, match="name"):
        ex.protocol("E9")


# ----------------------------------------------------------------------------- metric


def test_recall_score_binary_is_hamming_cosine_of_bipolar_vectors():
    rng = np.random.default_rng(5)
    a = rng.integers(0, 2, size=(20, 64))
    b = rng.integers(0, 2, size=(20, 64))
    dh = (a != b).sum(axis=1)
    assert np.array_equal(ex.recall_score(a, b, "binary"), 1 - 2 * dh / 64)
    sa, sb = 2.0 * a - 1, 2.0 * b - 1
    assert np.allclose(ex.recall_score(sa, sb, "continuous"), (sa * sb).sum(1) / 64)


def test_recall_score_continuous_ignores_scale_and_scores_zero_vectors_zero():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 10))
    assert np.allclose(ex.recall_score(5 * x, x, "continuous"), 1.0)
    assert np.allclose(ex.recall_score(-x, x, "continuous"), -1.0)
    out = x.copy()
    out[1] = 0
    assert ex.recall_score(out, x, "continuous")[1] == 0.0


def test_recall_score_rejects_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        ex.recall_score(np.zeros((2, 3)), np.zeros((3, 3)), "binary")
    with pytest.raises(ValueError, match="only 0 and 1"):
        ex.recall_score(np.full((1, 3), 2), np.zeros((1, 3)), "binary")
    with pytest.raises(ValueError, match="space"):
        ex.recall_score(np.zeros((1, 3)), np.zeros((1, 3)), "bipolar")


# ----------------------------------------------------------------------------- summary


def test_summarize_pools_seeds_exactly():
    rng = np.random.default_rng(7)
    scores = {s: rng.random(n) for s, n in ((0, 5), (1, 9), (2, 3))}
    rows = [
        dict(model="x", space="binary", d=5, r=1.0, h=2, seed=s, n_queries=v.size, mean=v.mean(), std=v.std(),
             baseline=0.9, steps=float(s), steps_max=s, n_unconverged=1, n_empty=s)
        for s, v in scores.items()
    ]
    out = ex.summarize_recall(pd.DataFrame(rows))
    allv = np.concatenate(list(scores.values()))
    seed_means = np.array([v.mean() for v in scores.values()])
    row = out.iloc[0]
    assert len(out) == 1 and row["n_seeds"] == 3 and row["n_queries"] == allv.size
    assert np.isclose(row["mean"], allv.mean()) and np.isclose(row["std"], allv.std())
    assert np.isclose(row["sem"], seed_means.std(ddof=1) / np.sqrt(3))
    assert row["n_empty"] == 3 and row["n_unconverged"] == 3 and row["steps_max"] == 2
    assert np.isclose(row["steps"], (0 * 5 + 1 * 9 + 2 * 3) / allv.size)


def test_summarize_requires_a_recall_table():
    with pytest.raises(ValueError, match="columns"):
        ex.summarize_recall(pd.DataFrame({"model": ["x"]}))


# ----------------------------------------------------------------------------- CLI


def _cli(*argv):
    return sdmlib_main(["recall", *argv])


def test_cli_help_exits_zero(capsys):
    assert _cli("--help") == 0
    assert "--protocol" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--protocol", "E7"], "--protocol"),
        ([], "--protocol"),
        (["--protocol", "E1", "--radii", "5,x"], "--radii"),
        (["--protocol", "E1", "--radii", "65"], "radii"),
        (["--protocol", "E1", "--levels", "-2"], "levels"),
        (["--protocol", "E1", "--seed", "-1"], "seed"),
        (["--protocol", "E1", "--queries", "0"], "n_queries"),
        (["--protocol", "E1", "--queries", "many"], "--queries"),
        (["--protocol", "E1", "--models", "pattern_sdm,oracle"], "models"),
        (["--protocol", "E1", "--neurons", "-5"], "r"),
        (["--protocol", "E1", "--datasets", "0"], "n_datasets"),
        (["--protocol", "E1", "--scale", "huge"], "--scale"),
        (["--protocol", "E1", "--max-steps", "0"], "max_steps"),
    ],
)
def test_cli_rejects_bad_values_with_exit_2_and_one_line(argv, needle, capsys):
    assert _cli(*argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err


def test_cli_dry_run_prints_the_configuration(capsys):
    assert _cli("--protocol", "E3", "--scale", "reduced", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "E3" in out and "(5, 9, 11, 15, 19, 27)" in out
