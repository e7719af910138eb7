"""sdmlib.learnt_beta: the recall task, its Bayes β, the QK-norm head, training and the stored grid.

Independent routes: the posterior formula against a simulation of the task; the numpy read
against the torch training forward (the recorded first loss); the effective β against
projections whose effect on cosines is known by construction; the t-interval against scipy's
own interval routine; gradient descent on g alone against the closed-form optimum β*.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from sdmlib import learnt_beta as LB  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "book" / "data"


def test_batch_shapes_noise_rate_and_seeding():
    task = LB.RecallTask(n=32, m=5, eps=0.2)
    b = LB.recall_batch(task, 3000, seed=7)
    assert b.keys.shape == (3000, 5, 32) and b.values.shape == (3000, 5, 32) and b.query.shape == (3000, 32)
    assert set(np.unique(b.keys)) == {-1.0, 1.0} and b.keys.dtype == np.float32
    src = b.keys[np.arange(3000), b.target]
    flips = (b.query != src).mean()
    assert abs(flips - 0.2) < 4 * math.sqrt(0.2 * 0.8 / (3000 * 32))          # binomial z < 4
    assert np.array_equal(b.answer, b.values[np.arange(3000), b.target])
    assert abs(b.keys.mean()) < 4 / math.sqrt(b.keys.size)                       # fair signs
    assert np.bincount(b.target, minlength=5).min() > 500                         # every slot is a target
    again = LB.recall_batch(task, 3000, seed=7)
    assert np.array_equal(again.query, b.query) and np.array_equal(again.keys, b.keys)
    assert not np.array_equal(LB.recall_batch(task, 3000, seed=8).keys, b.keys)


def test_posterior_formula_matches_a_simulation_of_the_task():
    """P(source slot | query) by counting simulated draws, for fixed keys, n = 3, eps = 0.3."""
    rng = np.random.default_rng(0)
    keys = np.array([[1, 1, 1], [1, -1, 1], [-1, -1, 1]], float)
    eps, draws = 0.3, 400_000
    t = rng.integers(0, 3, draws)
    flip = rng.random((draws, 3)) < eps
    q = np.where(flip, -keys[t], keys[t])
    code = ((q > 0) * [4, 2, 1]).sum(1)
    for c in range(8):
        sel = code == c
        freq = np.bincount(t[sel], minlength=3) / sel.sum()
        query = keys[0] * 0 + [1 if c & 4 else -1, 1 if c & 2 else -1, 1 if c & 1 else -1]
        post = LB.posterior_weights(query, keys, eps)
        se = np.sqrt(post * (1 - post) / sel.sum())
        assert np.all(np.abs(freq - post) < 5 * se + 1e-12), (c, freq, post)
    # and it is the softmax of the cosines at beta*
    cos = keys @ [1, -1, -1] / 3
    soft = np.exp(LB.bayes_beta(3, eps) * cos)
    assert np.allclose(LB.posterior_weights([1, -1, -1], keys, eps), soft / soft.sum())


def test_the_bayes_head_minimises_the_loss_at_beta_star():
    task = LB.RecallTask(n=16, m=16, eps=0.3)
    b = LB.bayes_beta(16, 0.3)
    betas = b * np.array([0.5, 0.8, 1.0, 1.25, 2.0])
    t = LB.evaluate_head(LB.Head.identity(16, b), task, betas=betas, n_eval=6000, seed=1)
    assert int(t.mse.argmin()) == 2
    assert (t.mse - t.mse.min() > 0).sum() == 4


def test_numpy_read_equals_the_torch_training_forward():
    """The first recorded training loss is the numpy MSE of the initial head on the first batch."""
    task = LB.RecallTask(n=8, m=4, eps=0.2)
    head = LB.train_head(task, 3.0, seed=5, steps=1, batch=16, record_every=1)
    rng_init = np.random.default_rng([5, 0])
    w0 = [rng_init.standard_normal((8, 8)) / math.sqrt(8) for _ in range(3)]
    first = LB.recall_batch(task, 16, np.random.default_rng([5, 1]))
    yhat = LB.Head(*w0, 3.0).read(first)
    assert head.history["loss"][1] == pytest.approx(((yhat - first.answer) ** 2).mean(), rel=1e-5)


def test_training_is_deterministic_and_seed_dependent():
    task = LB.RecallTask(n=8, m=4, eps=0.2)
    a = LB.train_head(task, 5.0, seed=1, steps=40, batch=16)
    b = LB.train_head(task, 5.0, seed=1, steps=40, batch=16)
    c = LB.train_head(task, 5.0, seed=2, steps=40, batch=16)
    assert a.g == b.g and np.array_equal(a.w_k, b.w_k)
    assert a.g != c.g


def test_gradient_descent_on_g_alone_finds_beta_star_from_both_sides():
    """Identity projections (barely trained): g is the only free parameter, and β* its optimum."""
    task = LB.RecallTask(n=16, m=8, eps=0.3)
    target = LB.bayes_beta(16, 0.3)
    for g0 in (1.0, 40.0):
        head = LB.train_head(task, g0, seed=0, steps=200, batch=128, lr=1e-9, lr_g=0.3, init="identity")
        assert abs(head.g - target) < 0.12 * target, (g0, head.g, target)


def test_effective_beta_sees_through_projections():
    task = LB.RecallTask(n=16, m=6, eps=0.2)
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((16, 16)))
    rot = LB.effective_beta(LB.Head(q, q, np.eye(16), 9.0), task, n_eval=64, seed=0)
    assert rot["beta_eff"] == pytest.approx(9.0, rel=1e-10) and rot["r2"] == pytest.approx(1.0)
    # sign symmetry: W_k -> -W_k with g -> -g is the same model and the same effective beta
    neg = LB.effective_beta(LB.Head(q, -q, np.eye(16), -9.0), task, n_eval=64, seed=0)
    assert neg["beta_eff"] == pytest.approx(9.0, rel=1e-10)
    # a key map that ignores half the coordinates: scores are no longer linear in the raw cosine
    half = np.diag([1.0] * 8 + [0.0] * 8)
    part = LB.effective_beta(LB.Head(np.eye(16), half, np.eye(16), 9.0), task, n_eval=256, seed=0)
    assert part["r2"] < 0.9 and part["beta_eff"] < 9.0


def test_best_beta_picks_the_extreme_and_its_flat_range():
    t = pd.DataFrame({"beta": [1, 2, 4, 8, 16], "mse": [0.9, 0.5, 0.41, 0.40, 0.6],
                      "mse_se": [0.01] * 5, "recall": [0.1, 0.5, 0.8, 0.8, 0.79], "recall_se": [0.01] * 5})
    assert LB.best_beta(t, "mse") == {"beta": 8.0, "lo": 4.0, "hi": 8.0, "value": 0.40}
    rec = LB.best_beta(t, "recall")
    assert rec["beta"] == 4.0 and (rec["lo"], rec["hi"]) == (4.0, 16.0)


def test_runs_summary_interval_is_scipys_t_interval():
    from scipy import stats

    rng = np.random.default_rng(3)
    t = pd.DataFrame({"n": np.repeat([8, 16], 4), "x": rng.normal(10, 2, 8)})
    s = LB.runs_summary(t, "x", by=["n"])
    for n, row in s.set_index("n").iterrows():
        x = t.x[t.n == n]
        lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
        assert (row.lo, row.hi) == pytest.approx((lo, hi))


def test_henry_rule_and_references():
    assert LB.henry_g0(72) == pytest.approx(math.log2(72 * 71))
    assert 12.3 < LB.henry_g0(72) < 12.4 and 12.5 < LB.henry_g0(79) < 12.7   # the 12.3-12.6
    assert [LB.initial_scale(r, 32) for r in LB.G0_RULES] == [1.0, math.log2(992), 100.0]
    for n in (16, 32, 64):
        ref = LB.sdm_lines(n, 32)
        assert ref["beta_cd"] <= ref["beta_snr"] <= ref["beta_mem"]
        assert ref["d_mem"] <= ref["d_snr"] <= ref["d_cd"]


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="n"):
        LB.RecallTask(n=3, m=4, eps=0.1)
    with pytest.raises(ValueError, match="eps"):
        LB.RecallTask(n=8, m=4, eps=0.5)
    with pytest.raises(TypeError, match="task"):
        LB.recall_batch("task", 4)
    with pytest.raises(ValueError, match="init"):
        LB.train_head(LB.RecallTask(8, 4, 0.1), 1.0, init="xavier")
    with pytest.raises(ValueError, match="rule"):
        LB.initial_scale("medium", 8)
    with pytest.raises(ValueError, match="query"):
        LB.posterior_weights([1, 1], [[1, 1, 1]], 0.1)


def test_run_cell_row_is_consistent():
    row, head = LB.run_cell(16, 4, 0.2, "henry", 0, steps=30, batch=32, n_eval=256, betas=(1.0, 4.0, 16.0))
    assert row["abs_g"] == abs(row["g"]) == abs(head.g)
    assert row["g0"] == LB.henry_g0(4) and row["beta_bayes"] == LB.bayes_beta(16, 0.2)
    assert row["beta_best_mse_lo"] <= row["beta_best_mse"] <= row["beta_best_mse_hi"]
    assert 0.0 <= row["recall"] <= 1.0 and row["mse"] >= row["mse_best"]


@pytest.mark.skipif(not (DATA / "learnt_beta_runs.csv").exists(), reason="stored grid not written yet")
def test_stored_grid_is_complete_and_carries_its_provenance():
    path = DATA / "learnt_beta_runs.csv"
    header = [ln for ln in path.read_text().splitlines() if ln.startswith("#")]
    for key in ("# command:", "# seeds:", "# commit:", "# hardware:", "# versions:"):
        assert any(ln.startswith(key) for ln in header), key
    runs = pd.read_csv(path, comment="#")
    assert set(runs.g0_rule) == set(LB.G0_RULES)
    henry = runs[runs.g0_rule == "henry"]
    assert np.allclose(henry.g0, np.log2(henry.m ** 2 - henry.m))
    assert runs.groupby(["n", "m", "eps", "g0_rule"]).seed.nunique().min() >= 1
    assert np.allclose(runs.beta_bayes, runs.n / 2 * np.log((1 - runs.eps) / runs.eps))
    traj = pd.read_csv(DATA / "learnt_beta_trajectories.csv", comment="#")
    last = traj.sort_values("step").groupby(["n", "m", "eps", "g0_rule", "seed"]).g.last()
    merged = runs.set_index(["n", "m", "eps", "g0_rule", "seed"]).g
    assert np.allclose(last.loc[merged.index].to_numpy(), merged.to_numpy())
