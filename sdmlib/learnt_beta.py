r"""Where does a QK-norm scale settle when we train it? In-context associative recall.

The paper reads the learnt scale :math:`g` of QK-normalised Transformers as an SDM β, but it
could not train them. This module trains the smallest model for which the question is
well posed: one attention head with learnt :math:`W_q, W_k, W_v` and a QK-norm scale
:math:`g` (scores :math:`g\cos(W_q x, W_k k_t)`), on a task whose optimal β is known.

**Task** (one sequence). :math:`m` random key→value pairs :math:`k_t, v_t\in\{\pm1\}^n`,
then a *noisy copy* :math:`x` of one key :math:`k_\tau` (τ uniform): each sign of
:math:`k_\tau` is flipped independently with probability ε. The head must output
:math:`v_\tau`; the loss is the mean squared error.

**Optimal β of the task** (:func:`bayes_beta`). The posterior of the source slot is

.. math::

    P(\tau=t\mid x,K) \propto \varepsilon^{d_t}(1-\varepsilon)^{n-d_t}
    = \operatorname{softmax}_t\big(\beta^\ast x_t\big),\qquad
    \beta^\ast=\frac n2\ln\frac{1-\varepsilon}{\varepsilon},

with :math:`d_t` the Hamming distance and :math:`x_t=1-2d_t/n` the cosine between
:math:`x` and :math:`k_t`. The minimum-MSE read is the posterior mean
:math:`\sum_t P(\tau=t\mid x,K)\,v_t`, which the head computes exactly with
:math:`W_q=W_k=W_v=I` and :math:`g=\beta^\ast`: β* is the global optimum of the loss.
SDM's three βs (:func:`sdm_lines`) are computed for the same :math:`n` (the head
dimension) and :math:`m` (the keys a query sees).

Supported range: :math:`4\le n\le 512` (:func:`run_cell` and :func:`sdm_lines`: :math:`n\ge16`),
:math:`2\le m\le 4096`, :math:`0<\varepsilon<\tfrac12`.
Everything is seeded with numpy generators (data, initial weights); training runs on the CPU
with one torch thread and deterministic algorithms, in float32, so that one seed gives the
same learnt :math:`g` on the same hardware and torch version (other CPUs can differ in the
last bits of a float sum, which training amplifies; see :func:`train_head`).

Examples
--------
The head with identity projections and :math:`g=\beta^\ast` *is* the Bayes read:

>>> task = RecallTask(n=16, m=8, eps=0.2)
>>> batch = recall_batch(task, 4, seed=0)
>>> head = Head.identity(16, bayes_beta(16, 0.2))
>>> w = head.weights(batch)
>>> bool(np.allclose(w, posterior_weights(batch.query, batch.keys, 0.2)))
True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from sdmlib._validate import check_choice, check_int, check_real, make_rng

__all__ = [
    "RecallTask", "RecallBatch", "recall_batch", "bayes_beta", "posterior_weights", "henry_g0",
    "sdm_lines", "Head", "train_head", "evaluate_head", "best_beta", "effective_beta",
    "G0_RULES", "SWEEP_BETAS", "initial_scale", "run_cell", "retrain", "runs_summary", "trace_groups",
]

#: The initial scales of a grid: far below the SDM band, Henry et al.'s rule, far above.
G0_RULES = ("low", "henry", "high")
_G0_LOW, _G0_HIGH = 1.0, 100.0


# ---------------------------------------------------------------------------
# The task
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RecallTask:
    """In-context associative recall: ``m`` pairs in ``{±1}^n``, query = key with signs flipped w.p. ``eps``.

    Parameters
    ----------
    n : int
        Dimension of keys, queries and of the attention head (4 ≤ n ≤ 512).
    m : int
        Key→value pairs per sequence, the keys a query attends over (2 ≤ m ≤ 4096).
    eps : float
        Probability that a sign of the query differs from its key (0 < eps < 0.5).
    n_value : int, optional
        Dimension of the values (default ``n``).
    """

    n: int
    m: int
    eps: float
    n_value: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", check_int("n", self.n, lo=4, hi=512))
        object.__setattr__(self, "m", check_int("m", self.m, lo=2, hi=4096))
        object.__setattr__(self, "eps", check_real("eps", self.eps, 0.0, 0.5, lo_open=True, hi_open=True))
        nv = self.n if self.n_value is None else check_int("n_value", self.n_value, lo=1, hi=4096)
        object.__setattr__(self, "n_value", nv)


@dataclass(frozen=True)
class RecallBatch:
    """A batch of sequences: ``keys (B, m, n)``, ``values (B, m, n_value)``, ``query (B, n)``,
    ``target (B,)`` (the source slot τ) and ``answer (B, n_value)`` (= ``values[b, target[b]]``);
    signs as float32 ±1."""

    keys: np.ndarray
    values: np.ndarray
    query: np.ndarray
    target: np.ndarray
    answer: np.ndarray


def _signs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Uniform ±1 float32 signs from random bytes (8 signs a byte: the fast route)."""
    size = int(np.prod(shape))
    bits = np.unpackbits(rng.integers(0, 256, size=(size + 7) // 8, dtype=np.uint8))[:size]
    return (bits.astype(np.float32) * 2.0 - 1.0).reshape(shape)


def recall_batch(task: RecallTask, batch: int, seed: Any = None) -> RecallBatch:
    """Draw ``batch`` sequences of ``task`` (seeded: an int or a ``numpy.random.Generator``).

    Examples
    --------
    The query differs from its key in about ``eps·n`` signs, and the answer is the value of the key:

    >>> task = RecallTask(n=64, m=4, eps=0.25)
    >>> b = recall_batch(task, 2000, seed=1)
    >>> src = b.keys[np.arange(2000), b.target]
    >>> round(float((b.query != src).mean()), 2), bool((b.answer == b.values[np.arange(2000), b.target]).all())
    (0.25, True)
    """
    if not isinstance(task, RecallTask):
        raise TypeError(f"task must be a RecallTask, got {type(task).__name__}")
    batch = check_int("batch", batch, lo=1, hi=1 << 20)
    rng = make_rng("seed", seed)
    keys = _signs(rng, (batch, task.m, task.n))
    values = _signs(rng, (batch, task.m, task.n_value))
    target = rng.integers(0, task.m, size=batch)
    flip = rng.random((batch, task.n)) < task.eps
    rows = np.arange(batch)
    query = np.where(flip, -keys[rows, target], keys[rows, target]).astype(np.float32)
    return RecallBatch(keys, values, query, target, values[rows, target])


def bayes_beta(n: int, eps: float) -> float:
    r"""The task's optimal inverse temperature :math:`\beta^\ast=\frac n2\ln\frac{1-\varepsilon}{\varepsilon}`.

    Exact posterior of the source slot, as a softmax over cosines (module docstring).

    Examples
    --------
    ε = 1/(1+e²) gives β* = n exactly; β* falls to 0 as ε → ½:

    >>> round(bayes_beta(64, 1 / (1 + math.e ** 2)), 12), bayes_beta(10, 0.5 - 1e-12) < 1e-9
    (64.0, True)
    """
    n = check_int("n", n, lo=1)
    eps = check_real("eps", eps, 0.0, 0.5, lo_open=True, hi_open=True)
    return 0.5 * n * math.log((1.0 - eps) / eps)


def posterior_weights(query: Any, keys: Any, eps: float) -> np.ndarray:
    r"""The posterior :math:`P(\tau=t\mid x,K)` from the likelihood :math:`\varepsilon^{d_t}(1-\varepsilon)^{n-d_t}`.

    Computed from Hamming distances (counted mismatches), independently of any softmax.
    ``query`` is ``(..., n)`` and ``keys`` ``(..., m, n)``, both ±1; returns ``(..., m)``.

    Examples
    --------
    Two keys at distances 0 and 1 from the query, n = 3, ε = 0.25: ratio (1−ε)/ε = 3 to 1:

    >>> posterior_weights([1, 1, 1], [[1, 1, 1], [1, 1, -1]], 0.25).tolist()
    [0.75, 0.25]
    """
    eps = check_real("eps", eps, 0.0, 0.5, lo_open=True, hi_open=True)
    q = np.asarray(query, dtype=np.float64)
    k = np.asarray(keys, dtype=np.float64)
    if q.shape[-1] != k.shape[-1] or k.ndim != q.ndim + 1:
        raise ValueError(f"query (..., n) and keys (..., m, n) do not match: {q.shape} and {k.shape}")
    n = q.shape[-1]
    d = (q[..., None, :] != k).sum(-1)
    loglik = d * math.log(eps) + (n - d) * math.log1p(-eps)
    loglik -= loglik.max(-1, keepdims=True)
    w = np.exp(loglik)
    return w / w.sum(-1, keepdims=True)


def henry_g0(length: float) -> float:
    r"""Henry et al.'s initial QK-norm scale :math:`g_0=\log_2(L^2-L)` for sequence length ``length`` ≥ 2.

    Here ``length`` is the number of keys a query sees (``m``).

    >>> henry_g0(2), round(henry_g0(64), 4)
    (1.0, 11.9773)
    """
    length = check_real("length", length, lo=2.0)
    return math.log2(length * length - length)


def initial_scale(rule: str, m: int) -> float:
    """The initial scale of a grid cell: ``"low"`` 1, ``"henry"`` :func:`henry_g0` (m), ``"high"`` 100.

    >>> [round(initial_scale(r, 16), 3) for r in G0_RULES]
    [1.0, 7.907, 100.0]
    """
    rule = check_choice("rule", rule, G0_RULES)
    return {"low": _G0_LOW, "henry": henry_g0(m), "high": _G0_HIGH}[rule]


def sdm_lines(n: int, m: int, *, estimator: str = "ols") -> dict[str, float]:
    """SDM's β_CD, β_SNR, β_Mem (and radii) for dimension ``n`` and ``m`` stored patterns.

    The reference of the Transformer chapters (``sdmlib.probe.sdm_reference_betas``:
    :math:`r=2^n` random neurons, critical distance of the first failing step, memory capacity
    at retrieval probability 0.5, β fitted within the radius).

    >>> ref = sdm_lines(64, 1024, estimator="as-published")
    >>> [round(ref[k], 1) for k in ("beta_cd", "beta_snr", "beta_mem")]
    [10.1, 15.9, 35.5]
    """
    from sdmlib.probe import sdm_reference_betas

    return sdm_reference_betas(check_int("n", n, lo=4), check_int("m", m, lo=1), estimator=estimator)


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------

@dataclass
class Head:
    r"""One QK-normalised attention head: :math:`\hat y=W_v\sum_t\operatorname{softmax}_t(g\cos(W_qx, W_kk_t))\,v_t`.

    ``w_q, w_k`` are ``(n, n)``, ``w_v`` ``(n_value, n_value)``; ``history`` holds the training
    trace (``step``, ``g``, ``loss``) of :func:`train_head`.
    """

    w_q: np.ndarray
    w_k: np.ndarray
    w_v: np.ndarray
    g: float
    history: dict = field(default_factory=dict)

    @classmethod
    def identity(cls, n: int, g: float, n_value: int | None = None) -> "Head":
        """The SDM/Bayes head: identity projections and scale ``g``."""
        n = check_int("n", n, lo=1)
        nv = n if n_value is None else check_int("n_value", n_value, lo=1)
        return cls(np.eye(n), np.eye(n), np.eye(nv), float(g))

    def cosines(self, batch: RecallBatch) -> np.ndarray:
        """:math:`\\cos(W_q x, W_k k_t)` for every sequence and key, ``(B, m)`` (float64)."""
        q = batch.query.astype(np.float64) @ np.asarray(self.w_q, np.float64).T
        k = batch.keys.astype(np.float64) @ np.asarray(self.w_k, np.float64).T
        q /= np.linalg.norm(q, axis=-1, keepdims=True)
        k /= np.linalg.norm(k, axis=-1, keepdims=True)
        return np.einsum("bn,bmn->bm", q, k)

    def weights(self, batch: RecallBatch, beta: float | None = None, cosines: np.ndarray | None = None) -> np.ndarray:
        """Attention weights with the head's ``g`` (or with ``beta`` in its place), ``(B, m)``.

        ``cosines`` (from :meth:`cosines`) saves recomputing the projections in a sweep."""
        cos = self.cosines(batch) if cosines is None else cosines
        z = (self.g if beta is None else float(beta)) * cos
        z -= z.max(-1, keepdims=True)
        w = np.exp(z)
        return w / w.sum(-1, keepdims=True)

    def read(self, batch: RecallBatch, beta: float | None = None, cosines: np.ndarray | None = None) -> np.ndarray:
        """The output :math:`\\hat y`, ``(B, n_value)``."""
        mixed = np.einsum("bm,bmv->bv", self.weights(batch, beta, cosines), batch.values.astype(np.float64))
        return mixed @ np.asarray(self.w_v, np.float64).T


def _metrics(values: np.ndarray, answer: np.ndarray, target: np.ndarray, yhat: np.ndarray) -> dict[str, np.ndarray]:
    """Per-sequence squared error, bit accuracy and recall (nearest value of the context is the answer)."""
    rows = np.arange(len(target))
    nearest = np.einsum("bv,bmv->bm", yhat, values).argmax(-1)
    return {
        "mse": ((yhat - answer) ** 2).mean(-1),
        "bit_accuracy": (np.sign(yhat) == answer).mean(-1),
        "recall": (values[rows, nearest] == answer).all(-1).astype(float),
    }


def evaluate_head(head: Head, task: RecallTask, *, betas: Sequence[float] | None = None, n_eval: int = 2048,
                  seed: Any = 0):
    """Loss, bit accuracy and recall of ``head`` on ``n_eval`` fresh sequences, at each β of ``betas``.

    ``betas=None`` evaluates at the head's own ``g``. The projections stay frozen and the same
    sequences are used for every β (common random numbers), so differences between βs are
    paired. *Recall* is the fraction of queries whose output is nearest (inner product) to the
    answer among the ``m`` values of its sequence. Returns a ``pandas.DataFrame``: one row per β
    with the means and their standard errors (``*_se``).

    Examples
    --------
    The Bayes head (identity, g = β*) has a lower loss at β* than at β*/4 or 4β*:

    >>> task = RecallTask(n=16, m=16, eps=0.3)
    >>> b = bayes_beta(16, 0.3)
    >>> t = evaluate_head(Head.identity(16, b), task, betas=[b / 4, b, 4 * b], n_eval=4000, seed=3)
    >>> int(t.mse.argmin())
    1
    """
    import pandas as pd

    n_eval = check_int("n_eval", n_eval, lo=1, hi=1 << 20)
    batch = recall_batch(task, n_eval, seed)
    values = batch.values.astype(np.float64)
    answer = batch.answer.astype(np.float64)
    grid = [head.g] if betas is None else [check_real("beta", b) for b in betas]
    cos = head.cosines(batch)
    rows = []
    for beta in grid:
        per = _metrics(values, answer, batch.target, head.read(batch, beta, cos))
        row = {"beta": float(beta)}
        for key, v in per.items():
            row[key] = float(v.mean())
            row[key + "_se"] = float(v.std(ddof=1) / math.sqrt(n_eval)) if n_eval > 1 else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def best_beta(table, metric: str = "recall") -> dict[str, float]:
    """The β of a sweep (:func:`evaluate_head`) that is best for ``metric``, and the flat range around it.

    Best is the largest ``recall``/``bit_accuracy`` or the smallest ``mse``; the range holds every β
    of the grid whose value is within two standard errors of the best one (the optimum of a flat
    profile is a range, not a point).

    >>> import pandas as pd
    >>> t = pd.DataFrame({"beta": [1, 2, 4, 8], "recall": [.5, .8, .81, .7], "recall_se": [.01] * 4})
    >>> best_beta(t)
    {'beta': 4.0, 'lo': 2.0, 'hi': 4.0, 'value': 0.81}
    """
    metric = check_choice("metric", metric, ("recall", "bit_accuracy", "mse"))
    values = table[metric].to_numpy(float)
    se = table[metric + "_se"].to_numpy(float)
    i = int(values.argmin() if metric == "mse" else values.argmax())
    tol = 2.0 * se[i]
    close = np.abs(values - values[i]) <= tol
    beta = table["beta"].to_numpy(float)
    return {"beta": float(beta[i]), "lo": float(beta[close].min()), "hi": float(beta[close].max()),
            "value": float(values[i])}


def effective_beta(head: Head, task: RecallTask, *, n_eval: int = 1024, seed: Any = 0) -> dict[str, float]:
    r"""The β the head applies to the *raw* cosine :math:`x_t=x^\top k_t/n`, and how linear that is.

    Within each query (softmax ignores a shift per query), the least-squares slope of the
    head's scores :math:`g\cos(W_qx, W_kk_t)` on :math:`x_t` over all ``m`` keys; ``r2`` is the
    fraction of the scores' within-query variance it explains. With orthogonal projections the
    slope is :math:`g`; if the projections compress cosines, :math:`|g|` overstates the β
    that reaches the keys. The sign of :math:`g` is not identifiable (:math:`W_k\to-W_k`,
    :math:`g\to-g` is the same model); the effective β is positive for a head that works.

    >>> task = RecallTask(n=32, m=8, eps=0.2)
    >>> eff = effective_beta(Head.identity(32, 7.5), task, n_eval=64)
    >>> round(eff["beta_eff"], 10), round(eff["r2"], 10)
    (7.5, 1.0)
    """
    batch = recall_batch(task, check_int("n_eval", n_eval, lo=1, hi=1 << 20), seed)
    raw = np.einsum("bn,bmn->bm", batch.query.astype(np.float64), batch.keys.astype(np.float64)) / task.n
    score = head.g * head.cosines(batch)
    raw = raw - raw.mean(-1, keepdims=True)
    score = score - score.mean(-1, keepdims=True)
    slope = float((raw * score).sum() / (raw * raw).sum())
    resid = score - slope * raw
    r2 = 1.0 - float((resid ** 2).sum() / (score ** 2).sum())
    return {"beta_eff": slope, "r2": r2}


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------

def train_head(task: RecallTask, g0: float, *, seed: int = 0, steps: int = 600, batch: int = 128,
               lr: float = 1e-2, lr_g: float = 0.3, decay_from: float = 0.6, init: str = "gaussian",
               record_every: int = 20) -> Head:
    r"""Train :math:`W_q, W_k, W_v` and the scale :math:`g` (from ``g0``) with Adam on the MSE of the read.

    Each step draws ``batch`` fresh sequences. Adam's learning rate is ``lr`` for the
    projections and ``lr_g`` for :math:`g` (a scalar that must travel tens of units, so it has
    its own rate; :math:`g` is trained directly, as in Henry et al., not through a log), constant
    for the first ``decay_from`` of the steps, then falling linearly to 0, so the final
    :math:`g` is settled rather than a snapshot of Adam's jitter.

    ``init="gaussian"``: independent :math:`\mathcal N(0, 1/n)` entries (the projections must
    learn to align); ``"identity"``: the SDM head, so that only :math:`g` has to move.

    Deterministic: data and initial weights come from numpy generators seeded by ``seed``; torch
    runs on one thread with deterministic algorithms (both settings restored afterwards).

    Returns
    -------
    Head
        The trained head (float32 weights as float64 numpy arrays); ``history`` holds ``step``,
        ``g`` and the training ``loss`` every ``record_every`` steps and the wall time ``seconds``.
    """
    import torch

    if not isinstance(task, RecallTask):
        raise TypeError(f"task must be a RecallTask, got {type(task).__name__}")
    g0 = check_real("g0", g0, -1e4, 1e4)
    seed = check_int("seed", seed, lo=0)
    steps = check_int("steps", steps, lo=1, hi=10**7)
    batch = check_int("batch", batch, lo=1, hi=1 << 16)
    lr = check_real("lr", lr, 0.0, 1.0, lo_open=True)
    lr_g = check_real("lr_g", lr_g, 0.0, 100.0)
    decay_from = check_real("decay_from", decay_from, 0.0, 1.0)
    init = check_choice("init", init, ("gaussian", "identity"))
    record_every = check_int("record_every", record_every, lo=1)

    n, nv = task.n, task.n_value
    rng_init = np.random.default_rng([seed, 0])
    rng_data = np.random.default_rng([seed, 1])
    if init == "gaussian":
        w0 = [rng_init.standard_normal((a, a)) / math.sqrt(a) for a in (n, n, nv)]
    else:
        w0 = [np.eye(a) for a in (n, n, nv)]

    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    t0 = time.perf_counter()
    try:
        wq, wk, wv = (torch.tensor(w, dtype=torch.float32, requires_grad=True) for w in w0)
        g = torch.tensor(g0, dtype=torch.float32, requires_grad=True)
        opt = torch.optim.Adam([{"params": [wq, wk, wv], "lr": lr}, {"params": [g], "lr": lr_g}])
        knee = decay_from * steps

        def factor(step: int) -> float:
            return 1.0 if step < knee else max(0.0, (steps - step) / max(steps - knee, 1.0))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        hist_step, hist_g, hist_loss = [0], [g0], [float("nan")]
        for step in range(1, steps + 1):
            b = recall_batch(task, batch, rng_data)
            keys, values, query, answer = (torch.from_numpy(a) for a in (b.keys, b.values, b.query, b.answer))
            q = torch.nn.functional.normalize(query @ wq.T, dim=-1)
            k = torch.nn.functional.normalize(keys @ wk.T, dim=-1)
            w = torch.softmax(g * torch.einsum("bn,bmn->bm", q, k), dim=-1)
            yhat = torch.einsum("bm,bmv->bv", w, values) @ wv.T
            loss = ((yhat - answer) ** 2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if step % record_every == 0 or step == steps:
                hist_step.append(step)
                hist_g.append(float(g.detach()))
                hist_loss.append(float(loss.detach()))
        weights = [t.detach().numpy().astype(np.float64) for t in (wq, wk, wv)]
        g_final = float(g.detach())
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
    history = {"step": np.array(hist_step), "g": np.array(hist_g), "loss": np.array(hist_loss),
               "seconds": time.perf_counter() - t0}
    return Head(*weights, g_final, history)


#: β grid of the sweeps: 0.5 … 400, log-spaced (48 points).
SWEEP_BETAS = tuple(float(b) for b in np.geomspace(0.5, 400.0, 48))


def run_cell(n: int, m: int, eps: float, g0_rule: str, seed: int, *, steps: int = 600, batch: int = 128,
             lr: float = 1e-2, lr_g: float = 0.3, init: str = "gaussian", n_eval: int = 2048,
             betas: Sequence[float] = SWEEP_BETAS) -> tuple[dict[str, Any], Head]:
    """Train one grid cell and measure it: one row of ``book/data/learnt_beta_runs.csv`` and the head.

    Supported range: 16 ≤ n ≤ 512 (SDM's β fit needs a radius of at least two points), 2 ≤ m ≤ 4096.

    The row holds the configuration; the learnt ``g`` and ``abs_g``; the effective β on the raw
    cosine (:func:`effective_beta`) and its ``r2``; loss, bit accuracy and recall at the learnt
    ``g``; the β of a sweep with the trained projections frozen that minimises the loss
    (``beta_best_mse`` and its flat range) and that maximises recall (``beta_best_recall``, range);
    the recall of the Bayes head on the same sequences (``recall_bayes``, the ceiling); β*
    (:func:`bayes_beta`) and SDM's lines (:func:`sdm_lines`, OLS and as published); and the
    training time. The evaluation sequences are seeded by ``[seed, 2]``, independent of training.
    """
    task = RecallTask(n, m, eps)
    g0 = initial_scale(g0_rule, m)
    head = train_head(task, g0, seed=seed, steps=steps, batch=batch, lr=lr, lr_g=lr_g, init=init)
    eval_seed = [int(seed), 2]
    sweep_betas = sorted(set(float(b) for b in betas) | {abs(head.g)})
    flipped = Head(head.w_q, head.w_k if head.g >= 0 else -head.w_k, head.w_v, abs(head.g))
    sweep = evaluate_head(flipped, task, betas=sweep_betas, n_eval=n_eval, seed=np.random.default_rng(eval_seed))
    at_g = sweep.loc[sweep.beta == abs(head.g)].iloc[0]
    best_mse, best_rec = best_beta(sweep, "mse"), best_beta(sweep, "recall")
    beta_star = bayes_beta(n, eps)
    bayes = evaluate_head(Head.identity(n, beta_star), task, n_eval=n_eval,
                          seed=np.random.default_rng(eval_seed)).iloc[0]
    eff = effective_beta(head, task, n_eval=512, seed=np.random.default_rng([int(seed), 3]))
    ols, pub = sdm_lines(n, m), sdm_lines(n, m, estimator="as-published")
    row = {
        "n": n, "m": m, "eps": eps, "g0_rule": g0_rule, "g0": g0, "seed": seed, "init": init,
        "steps": steps, "batch": batch, "lr": lr, "lr_g": lr_g,
        "g": head.g, "abs_g": abs(head.g), "beta_eff": eff["beta_eff"], "beta_eff_r2": eff["r2"],
        "mse": at_g.mse, "bit_accuracy": at_g.bit_accuracy, "recall": at_g.recall, "recall_se": at_g.recall_se,
        "beta_best_mse": best_mse["beta"], "beta_best_mse_lo": best_mse["lo"], "beta_best_mse_hi": best_mse["hi"],
        "mse_best": best_mse["value"],
        "beta_best_recall": best_rec["beta"], "beta_best_recall_lo": best_rec["lo"],
        "beta_best_recall_hi": best_rec["hi"], "recall_best": best_rec["value"],
        "recall_bayes": bayes.recall, "mse_bayes": bayes.mse, "beta_bayes": beta_star,
        "beta_cd": ols["beta_cd"], "beta_snr": ols["beta_snr"], "beta_mem": ols["beta_mem"],
        "beta_cd_pub": pub["beta_cd"], "beta_snr_pub": pub["beta_snr"], "beta_mem_pub": pub["beta_mem"],
        "d_cd": ols["d_cd"], "d_snr": ols["d_snr"], "d_mem": ols["d_mem"],
        "train_seconds": head.history["seconds"],
    }
    return row, head


def runs_summary(runs, value: str = "abs_g", by: Sequence[str] = ("n", "m", "eps", "g0_rule"),
                 level: float = 0.95):
    """Mean of ``value`` over seeds per cell of ``by``, with the t-interval of the mean.

    Returns a ``pandas.DataFrame`` with ``mean``, ``sd``, ``k`` (seeds), ``lo`` and ``hi``; with one
    seed the interval is undefined (NaN).

    >>> import pandas as pd
    >>> t = pd.DataFrame({"n": [8] * 3, "g": [1.0, 2.0, 3.0]})
    >>> s = runs_summary(t, "g", by=["n"])
    >>> s[["mean", "sd", "k"]].values.tolist(), round(float(s.hi.iloc[0] - 2.0), 4)
    ([[2.0, 1.0, 3.0]], 2.4841)
    """
    from scipy import stats

    level = check_real("level", level, 0.0, 1.0, lo_open=True, hi_open=True)
    grouped = runs.groupby(list(by), sort=True)[value]
    out = grouped.agg(mean="mean", sd="std", k="count").reset_index()
    k = out["k"].to_numpy(float)
    t = np.where(k > 1, stats.t.ppf(0.5 + level / 2, np.maximum(k - 1, 1)), np.nan)
    half = t * out["sd"].to_numpy(float) / np.sqrt(k)
    out["lo"], out["hi"] = out["mean"] - half, out["mean"] + half
    return out


def retrain(row: Mapping[str, Any]) -> tuple[dict[str, Any], Head]:
    """Run the cell of a stored row (``book/data/learnt_beta_runs.csv``) again with its own settings.

    Returns what :func:`run_cell` returns; a row of the same code reproduces the stored ``g`` to
    the last stored digit on the same hardware and torch version.
    """
    keys = ("n", "m", "eps", "g0_rule", "seed", "steps", "batch", "lr", "lr_g", "init")
    missing = [k for k in keys if k not in row]
    if missing:
        raise ValueError(f"row lacks the configuration column(s) {missing}")
    return run_cell(int(row["n"]), int(row["m"]), float(row["eps"]), str(row["g0_rule"]), int(row["seed"]),
                    steps=int(row["steps"]), batch=int(row["batch"]), lr=float(row["lr"]),
                    lr_g=float(row["lr_g"]), init=str(row["init"]))


def trace_groups(traces, *, n: int, m: int, eps: float) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """``{g0 rule: [(steps, g) per seed]}`` of one setting, from the stored training traces.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"n": 16, "m": 8, "eps": 0.3, "g0_rule": ["low", "low", "high", "high"],
    ...                   "seed": 0, "step": [0, 40, 0, 40], "g": [1.0, 5.0, 100.0, 7.0]})
    >>> {r: [g.tolist() for _, g in runs] for r, runs in trace_groups(t, n=16, m=8, eps=0.3).items()}
    {'low': [[1.0, 5.0]], 'high': [[100.0, 7.0]]}
    """
    sel = traces[(traces.n == n) & (traces.m == m) & np.isclose(traces.eps, eps)]
    if sel.empty:
        raise ValueError(f"no stored traces for n = {n}, m = {m}, eps = {eps}")
    out: dict[str, list] = {}
    for rule in G0_RULES:
        part = sel[sel.g0_rule == rule]
        out_rule = [(g.step.to_numpy(), g.g.to_numpy()) for _, g in part.sort_values("step").groupby("seed")]
        if out_rule:
            out[rule] = out_rule
    return out
