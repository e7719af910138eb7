r"""Recall experiments: how well each associative memory cleans up a noisy query.

The paper's retrieval protocols (E1--E4 of the experiments specification) all
have the same shape. Store ``m`` patterns in a memory, take stored patterns as
targets, perturb each target by ``h`` (Hamming units of the data dimension
``n_base``), let the memory iterate on the noisy query until it converges, and
score the converged query against the clean target:

.. math::

    \text{binary: } s = 1 - \frac{2\,d_H(\xi^\ast, p)}{n_\text{base}},
    \qquad
    \text{continuous: } s = \frac{\xi^{\ast\top} p}{\lVert\xi^\ast\rVert\,\lVert p\rVert}.

The unprocessed noisy query scores exactly :math:`1-2h/n_\text{base}` (the
*baseline*), for both kinds of perturbation.

`recall_curves` runs such a sweep for any set of memories (`model_spec` builds
the paper's, by label: `RECALL_MODELS`) and returns a tidy
:class:`pandas.DataFrame` with one row per (model, radius ``d``, perturbation
``h``, seed), or one row per query; `summarize_recall` pools the seeds into
means with error bars. `RecallProtocol` holds the configuration of one
protocol; `recall_protocol` returns E1--E4 at the paper's scale (``"full"``:
3 data sets x 5 repeats x 1024 queries per point) or at the book's
(``"reduced"``), and `run_recall_protocol` runs one.

Command line: ``python -m sdmlib recall --protocol E1 --out e1.csv`` runs a
protocol at full scale with a progress bar and writes the table as CSV, with the
configuration in its columns (``--help`` lists the options; ``--scale reduced``,
``--models``, ``--radii``, ``--levels``, ``--on-empty original``,
``--convergence original``, ...).

Seeds
-----
Every random draw is derived from the integer ``seed`` of a replicate with
:class:`numpy.random.SeedSequence` and a fixed key per purpose, so that a
replicate is reproducible on its own and does not depend on which other
models, radii or levels are in the sweep:

* data set: ``SeedSequence(seed, spawn_key=(1,))`` (handed to the data factory);
* choice of the queried patterns: ``spawn_key=(2,)``;
* perturbation of repeat ``k`` at level ``h``: ``spawn_key=(3, k, h, kind)``
  with ``kind`` 0 for binary and 1 for continuous queries (independent draws of
  matched magnitude, as in the original);
* the memory of model ``name`` at radius ``d``: ``spawn_key=(4, crc32(name), d + 1)``
  (``0`` for models without a radius).

A memory is built and written once per (seed, model, d) and then queried at
every (repeat, h) in increasing order; a memory with stochastic reads (finite
neurons with stochastic rounding) therefore draws its read noise in that order.

Examples
--------
The score of an unprocessed query is the baseline, for both kinds of vector:

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> p = rng.integers(0, 2, size=(1, 64)).astype(np.uint8)
>>> q = p.copy(); q[0, :6] ^= 1
>>> float(recall_score(q, p, "binary")[0]) == baseline_recall(6, 64)
True
>>> x = rng.standard_normal((1, 64))
>>> float(recall_score(3.0 * x, x, "continuous")[0])
1.0
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from sdmlib._validate import check_bool, check_choice, check_int, check_real, check_real_array

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "RESULT_COLUMNS",
    "QUERY_COLUMNS",
    "ModelSpec",
    "RecallProtocol",
    "RECALL_PROTOCOLS",
    "RECALL_MODELS",
    "RECALL_MODEL_DESCRIPTIONS",
    "EXPERIMENT_FRACTIONS",
    "baseline_recall",
    "recall_score",
    "model_spec",
    "recall_curves",
    "summarize_recall",
    "recall_protocol",
    "recall_protocol_radii",
    "recall_protocol_patterns",
    "run_recall_protocol",
]

Space = Literal["binary", "continuous"]

#: Columns of the table returned by `recall_curves` (in this order), then the
#: configuration columns that `run_recall_protocol` appends.
RESULT_COLUMNS: tuple[str, ...] = (
    "model",  # model label (see RECALL_MODELS)
    "space",  # "binary" or "continuous": which vectors and which score
    "d",  # Hamming radius (<NA> for models without one)
    "r",  # number of neurons (float; 2**n stands for r=None, one neuron at every address; NaN where there are none)
    "h",  # perturbation size in Hamming units of n_base
    "seed",  # replicate seed: data set, queries, perturbations and neurons
    "n_queries",  # scored queries (repeats x queries per repeat)
    "mean",  # mean score over those queries
    "std",  # standard deviation (ddof=0) of the score over those queries
    "baseline",  # score of the unprocessed noisy query, 1 - 2h/n_base
    "steps",  # mean number of update steps taken
    "steps_max",  # largest number of steps taken
    "n_unconverged",  # queries still changing after max_steps
    "n_empty",  # queries whose read found no neuron/pattern in range at some step
)


#: Columns of the per-query table of ``recall_curves(..., per_query=True)``.
QUERY_COLUMNS: tuple[str, ...] = (
    "model", "space", "d", "r", "h", "seed", "repeat", "query", "score", "baseline", "steps", "empty", "converged",
)


def baseline_recall(h: int, n_base: int) -> float:
    r"""Score of an unprocessed query perturbed by ``h``: :math:`1-2h/n_\text{base}`.

    Parameters
    ----------
    h : int
        Perturbation size in Hamming units, ``0 <= h <= n_base``.
    n_base : int
        Data dimension, ``>= 1``.

    Returns
    -------
    float

    Examples
    --------
    The baselines of the experiments specification (n = 784, h = 50, 100):

    >>> round(baseline_recall(50, 784), 8), round(baseline_recall(100, 784), 8)
    (0.87244898, 0.74489796)
    """
    n_base = check_int("n_base", n_base, lo=1)
    h = check_int("h", h, lo=0, hi=n_base)
    return 1.0 - 2.0 * h / n_base


def recall_score(outputs: Any, targets: Any, space: Space) -> np.ndarray:
    r"""Per-query recall score of converged queries against their clean targets.

    * ``space="binary"``: the Hamming cosine :math:`1-2d_H/n` of {0,1} vectors;
    * ``space="continuous"``: the cosine similarity. An all-zero output has no
      direction and scores 0.

    Parameters
    ----------
    outputs, targets : array_like, shape (q, n)
        Converged queries and the targets they should recall; finite (a NaN or
        inf output raises ``ValueError`` instead of being scored).
    space : {"binary", "continuous"}

    Returns
    -------
    ndarray of float64, shape (q,)
        Scores in ``[-1, 1]``.

    Examples
    --------
    The Hamming cosine of {0,1} vectors equals the cosine of their bipolar forms:

    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> a, b = rng.integers(0, 2, size=(2, 5, 40))
    >>> s_bin = recall_score(a, b, "binary")
    >>> s_cos = recall_score(2 * a - 1, 2 * b - 1, "continuous")
    >>> bool(np.allclose(s_bin, s_cos))
    True
    """
    check_choice("space", space, ("binary", "continuous"))
    # NaN or inf in an output is a failed read: refused, never scored as 0 or NaN
    out = np.atleast_2d(check_real_array("outputs", outputs, ndim=(1, 2), nonempty=True))
    tgt = np.atleast_2d(check_real_array("targets", targets, ndim=(1, 2), nonempty=True))
    if out.shape != tgt.shape:
        raise ValueError(f"outputs and targets must have the same shape, got {out.shape} and {tgt.shape}")
    if space == "binary":
        if not (np.all((out == 0) | (out == 1)) and np.all((tgt == 0) | (tgt == 1))):
            raise ValueError("binary outputs and targets must contain only 0 and 1")
        return 1.0 - 2.0 * np.count_nonzero(out != tgt, axis=1) / out.shape[1]
    # scale rows first so that huge or tiny rows neither overflow nor underflow the norms
    out = out / np.where(np.abs(out).max(axis=1, keepdims=True) > 0, np.abs(out).max(axis=1, keepdims=True), 1.0)
    tgt = tgt / np.where(np.abs(tgt).max(axis=1, keepdims=True) > 0, np.abs(tgt).max(axis=1, keepdims=True), 1.0)
    num = np.einsum("ij,ij->i", out, tgt)
    den = np.linalg.norm(out, axis=1) * np.linalg.norm(tgt, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return np.clip(score, -1.0, 1.0)


# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    """How to build one memory of a sweep.

    Attributes
    ----------
    name : str
        Label in the result table.
    build : callable
        ``build(n=..., d=..., seed=...) -> memory``; ``d`` is omitted for models
        without a radius. The memory follows the `sdmlib.memories` protocol
        (``write(addresses, pointers)``, ``retrieve(queries, max_steps, tol)``).
    space : {"binary", "continuous"}
        Which representation of the patterns the memory stores and which score
        is used.
    uses_radius : bool
        Whether the model has a Hamming radius ``d``. A model without one is
        run once per level, with ``d`` = <NA> in the table.
    r : float
        Number of neurons for the table (``nan`` for models without neurons).
    """

    name: str
    build: Callable[..., Any]
    space: Space
    uses_radius: bool = True
    r: float = float("nan")


def _r_value(r: Any, n: int) -> float:
    """Neuron count as a float for the table: ``r=None`` (one neuron at every address) is written as ``2**n``."""
    if r is None:
        return 2.0**n if n < 1024 else math.inf
    return float(r)


#: Labels of the standard models that `model_spec` can build.
RECALL_MODELS: tuple[str, ...] = (
    "neuron_sdm",
    "pattern_sdm",
    "pattern_sdm_finite",
    "sdm_attention_binary",
    "continuous_sdm",
    "continuous_sdm_finite",
    "continuous_binary_sdm",
    "sdm_attention_bfit",
    "sdm_attention_cfit",
    "transformer_attention",
    "hopfield",
)


#: What each label means: memories class, stored data, whether it has a radius
#: d, whether it has neurons r, and its fixed keywords.
_MODELS: dict[str, tuple[str, Space, bool, str, dict[str, Any]]] = {
    # label: (class, space, uses radius, neurons: "r" (protocol's r) / "all" (r=None) / "none", keywords)
    "neuron_sdm": ("NeuronSDM", "binary", True, "r", {}),
    "pattern_sdm": ("PatternSDM", "binary", True, "all", {}),
    "pattern_sdm_finite": ("PatternSDM", "binary", True, "r", {"stochastic": True}),
    "sdm_attention_binary": ("SDMAttention", "binary", True, "none", {"space": "binary", "fit": "binary"}),
    "continuous_sdm": ("ContinuousSDM", "continuous", True, "all", {"intersection": "cap"}),
    "continuous_sdm_finite": ("ContinuousSDM", "continuous", True, "r", {"intersection": "cap", "stochastic": True}),
    "continuous_binary_sdm": ("ContinuousSDM", "continuous", True, "all", {"intersection": "binary"}),
    "sdm_attention_bfit": ("SDMAttention", "continuous", True, "none", {"space": "continuous", "fit": "binary"}),
    "sdm_attention_cfit": ("SDMAttention", "continuous", True, "none", {"space": "continuous", "fit": "continuous"}),
    "transformer_attention": ("TransformerAttention", "continuous", False, "none", {"space": "continuous"}),
    "hopfield": ("Hopfield", "binary", False, "none", {}),
}

#: One-line description of each standard model (for legends and tables).
RECALL_MODEL_DESCRIPTIONS: dict[str, str] = {
    "neuron_sdm": "neuron-based SDM (r random neurons)",
    "pattern_sdm": "pattern-based SDM, expected counts (a neuron at every address)",
    "pattern_sdm_finite": "pattern-based SDM, r neurons (stochastic counts)",
    "sdm_attention_binary": "binary SDM attention, BFit beta",
    "continuous_sdm": "continuous SDM (cap intersection)",
    "continuous_sdm_finite": "continuous SDM, r neurons (stochastic counts)",
    "continuous_binary_sdm": "continuous vectors, binary-intersection weights",
    "sdm_attention_bfit": "SDM attention, BFit beta",
    "sdm_attention_cfit": "SDM attention, CFit beta",
    "transformer_attention": "Transformer attention, beta = 1/sqrt(n)",
    "hopfield": "Hopfield network",
}


def model_spec(
    name: str,
    n: int,
    *,
    r: Any = None,
    estimator: str = "as-published",
    on_empty: str = "keep",
    backend: str = "numpy",
    device: str | None = None,
) -> ModelSpec:
    """A standard model of the paper by its table label (see `RECALL_MODELS`).

    Parameters
    ----------
    name : str
        One of `RECALL_MODELS` (`RECALL_MODEL_DESCRIPTIONS` says what each is).
    n : int
        Dimension of the stored vectors.
    r : int, float or None
        Neurons of the finite-neuron models (``neuron_sdm``,
        ``pattern_sdm_finite``, ``continuous_sdm_finite``); ``None``: one at
        every address. The other SDM models always use expected counts with a
        neuron at every address (``r`` cancels in their normalised weights).
    estimator : {"as-published", "ols"}
        β estimator of the SDM-attention models (`sdmlib.beta.fit_beta`),
        fitted on the paper's window ``dv = 0..d-1``.
    on_empty : {"keep", "original"}
        Reads with nothing in range: keep the query (default) or do what the
        original did (binary SDMs: the all-zero vector).
    backend : {"numpy", "torch"}
        Array library of the memory (``"numpy"``: numpy, and numba for the
        neuron scan where installed). ``"torch"`` runs every model but
        ``hopfield`` (which has no torch route and stays on numpy) through the
        torch back end of `sdmlib.memories`, on ``device``.
    device : str or None
        Torch device (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...; ``None``: the
        memories' default); only with ``backend="torch"``.

    Returns
    -------
    ModelSpec

    Examples
    --------
    >>> spec = model_spec("pattern_sdm_finite", 64, r=10**5)
    >>> spec.space, spec.uses_radius, spec.r
    ('binary', True, 100000.0)
    >>> mem = spec.build(n=64, d=19, seed=1)
    >>> type(mem).__name__, mem.stochastic
    ('PatternSDM', True)
    """
    check_choice("name", name, RECALL_MODELS)
    n = check_int("n", n, lo=1)
    check_choice("estimator", estimator, ("as-published", "ols"))
    check_choice("on_empty", on_empty, ("keep", "original"))
    check_choice("backend", backend, ("numpy", "torch"))
    if device is not None and backend != "torch":
        raise ValueError(f"device is for backend='torch', got device={device!r} with backend={backend!r}")
    if device is not None and not isinstance(device, str):
        raise TypeError(f"device must be a str such as 'cpu' or 'cuda', got {type(device).__name__}")
    cls_name, space, uses_radius, neurons, fixed = _MODELS[name]
    kwargs = dict(fixed)
    if backend == "torch" and cls_name != "Hopfield":
        kwargs["backend"] = "torch"
        if device is not None:
            kwargs["device"] = device
    if neurons == "r":
        if r is not None:
            check_real("r", r, lo=0.0, lo_open=True)
        kwargs["r"] = r
    if cls_name == "SDMAttention":
        kwargs["estimator"] = estimator
    if cls_name in ("NeuronSDM", "PatternSDM", "ContinuousSDM"):
        kwargs["on_empty"] = on_empty
    if neurons == "r" and r is None and name != "neuron_sdm":
        kwargs.pop("stochastic", None)
        kwargs["r"] = None
    r_table = _r_value(r, n) if neurons == "r" else (_r_value(None, n) if neurons == "all" else math.nan)

    def build(**params: Any) -> Any:
        from sdmlib import memories

        return getattr(memories, cls_name)(**kwargs, **params)

    return ModelSpec(name=name, build=build, space=space, uses_radius=uses_radius, r=r_table)


# --------------------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------------------


def _seed_int(seed: int, *key: int) -> int:
    """A 63-bit integer seed derived from ``seed`` and a purpose ``key``."""
    state = np.random.SeedSequence(seed, spawn_key=tuple(int(k) for k in key)).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & ((1 << 63) - 1)


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=tuple(int(k) for k in key)))


def _name_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def _patterns_for_seed(patterns: Any, seed: int, index: int) -> np.ndarray:
    if callable(patterns):
        data = patterns(_seed_int(seed, 1))
    elif isinstance(patterns, np.ndarray) or (
        isinstance(patterns, Sequence) and len(patterns) and np.ndim(patterns[0]) == 1
    ):
        data = patterns
    else:
        if index >= len(patterns):
            raise ValueError(f"patterns holds {len(patterns)} data sets, fewer than the seeds (data set {index} needed)")
        data = patterns[index]
    arr = np.asarray(data, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"patterns must be a 2-D array (m, n_base), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("patterns must be finite")
    return arr


def recall_curves(
    model_factory: Mapping[str, ModelSpec] | Sequence[ModelSpec],
    patterns: Any,
    perturbations: Sequence[int],
    *,
    radii: Sequence[int] = (),
    seeds: Sequence[int] = (0,),
    n_repeats: int = 1,
    n_queries: int | None = None,
    max_steps: int = 100,
    tol: float | None = None,
    convergence: str = "per-query",
    no_closer: bool = True,
    progress: bool | None = None,
    per_query: bool = False,
) -> pd.DataFrame:
    r"""Recall of every memory at every radius and perturbation level: a tidy table.

    For each replicate ``seed``: build the data set, choose ``n_queries`` stored
    patterns as targets, and, for each repeat and each level ``h``, perturb the
    targets (exactly ``h`` flipped bits for binary memories; rotation to cosine
    :math:`1-2h/n_\text{base}` for continuous ones), let every memory retrieve
    from the noisy queries and score the result with `recall_score`.

    Parameters
    ----------
    model_factory : mapping of name to ModelSpec, or sequence of ModelSpec
        The memories to compare (see `model_spec` for the paper's models).
    patterns : array_like (m, n_base), sequence of such arrays, or callable
        The stored patterns (autoassociative: addresses = pointers). A callable
        is called as ``patterns(data_seed)`` once per replicate, where
        ``data_seed`` is derived from the replicate's seed; a sequence gives one
        array per seed; a single array is reused by every seed. Binary memories
        store ``patterns > 0``; continuous ones the patterns themselves (they
        normalise internally); targets are scored in the same representation.
    perturbations : sequence of int
        Perturbation levels ``h`` in Hamming units of ``n_base``,
        ``0 <= h <= n_base``.
    radii : sequence of int
        Hamming radii ``d`` for the models that have one.
    seeds : sequence of int
        One replicate (data set, queries, perturbations, neurons) per seed.
    n_repeats : int
        Independent perturbations of the same targets per replicate.
    n_queries : int or None
        Targets per repeat: the first ``n_queries`` of a random permutation of
        the ``m`` patterns; ``None`` queries all ``m`` (the paper's protocol).
    max_steps : int
        Cap on the update steps of `retrieve` (100 in the paper).
    tol : float or None
        Convergence tolerance passed to `retrieve` (``None``: the memory's default).
    convergence : {"per-query", "original"}
        Convergence rule of `retrieve`: each query stops when it no longer
        changes (binary) or moves by less than ``1 - cos < 1e-9`` (continuous),
        or the original's batch-global test (continuous: no entry of any query
        moved by more than 0.05, which often stops after one step).
    no_closer : bool
        Require that every noisy query is still nearest to its own target
        (regenerating the batch as `sdmlib.perturb` documents).
    progress : bool or None
        Show a ``tqdm`` progress bar; ``None`` shows it only on a terminal.
    per_query : bool
        Return one row per scored query instead (columns `QUERY_COLUMNS`:
        the pattern index ``query``, the ``repeat``, its ``score``, ``steps``,
        ``empty`` (some read found nothing in range) and ``converged``).

    Returns
    -------
    pandas.DataFrame
        One row per (model, d, h, seed), columns `RESULT_COLUMNS`. ``mean`` and
        ``std`` are over the ``n_repeats * n_queries`` scores of the replicate;
        `summarize_recall` pools replicates.

    See Also
    --------
    run_recall_protocol : the paper's protocols E1--E4.
    summarize_recall : means and error bars over seeds.
    """
    no_closer = check_bool("no_closer", no_closer)
    progress = None if progress is None else check_bool("progress", progress)
    per_query = check_bool("per_query", per_query)
    import pandas as pd

    specs = list(model_factory.values()) if isinstance(model_factory, Mapping) else list(model_factory)
    if not specs:
        raise ValueError("model_factory must name at least one model")
    for spec in specs:
        if not isinstance(spec, ModelSpec):
            raise TypeError(f"model_factory must hold ModelSpec objects, got {type(spec).__name__}")
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"model names must be unique, got {names}")
    levels = [check_int("perturbations", h, lo=0) for h in perturbations]
    if not levels:
        raise ValueError("perturbations must hold at least one level h")
    if len(set(levels)) != len(levels):
        raise ValueError(f"perturbations must not repeat a level, got {levels}")
    radii = [check_int("radii", d, lo=0) for d in radii]
    if len(set(radii)) != len(radii):
        raise ValueError(f"radii must not repeat a radius, got {radii}")
    if any(s.uses_radius for s in specs) and not radii:
        raise ValueError("radii must hold at least one radius d for models with a radius")
    seeds = [check_int("seeds", s, lo=0) for s in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct non-negative integers, got {seeds}")
    n_repeats = check_int("n_repeats", n_repeats, lo=1)
    max_steps = check_int("max_steps", max_steps, lo=1)
    if tol is not None:
        tol = check_real("tol", tol, lo=0.0)
    check_choice("convergence", convergence, ("per-query", "original"))

    from sdmlib import perturb as _perturb

    units = sum(len(radii) if s.uses_radius else 1 for s in specs)
    total = len(seeds) * n_repeats * len(levels) * units
    rows: list[dict[str, Any]] = []
    query_rows: list[pd.DataFrame] = []
    if progress is False:
        bar: Any = _NoBar()
    else:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="recall", unit="run", disable=None if progress is None else False)
    try:
        for index, seed in enumerate(seeds):
            data = _patterns_for_seed(patterns, seed, index)
            m, n_base = data.shape
            if max(levels) > n_base:
                raise ValueError(f"perturbations must be <= n_base = {n_base}, got {max(levels)}")
            if n_queries is None:
                q_idx = np.arange(m)
            else:
                nq = check_int("n_queries", n_queries, lo=1, hi=m)
                q_idx = np.sort(_rng(seed, 2).permutation(m)[:nq])
            stores = {
                "binary": (data > 0).astype(np.uint8),
                "continuous": data,
            }
            spaces = {s.space for s in specs}
            memories: dict[tuple[str, Any], Any] = {}
            acc: dict[tuple[str, Any, int], list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
            for rep in range(n_repeats):
                for h in levels:
                    queries = {}
                    for space in sorted(spaces):
                        store = stores[space]
                        rng = _rng(seed, 3, rep, h, 0 if space == "binary" else 1)
                        queries[space] = _perturb_batch(_perturb, store, q_idx, h, space, rng, no_closer)
                    for spec in specs:
                        ds = radii if spec.uses_radius else [None]
                        for d in ds:
                            key = (spec.name, d)
                            if key not in memories:
                                memories[key] = _build_and_write(spec, n_base, d, seed, stores[spec.space])
                            mem = memories[key]
                            result = mem.retrieve(queries[spec.space], max_steps=max_steps, tol=tol, convergence=convergence)
                            out, steps, empty, converged = _unpack_retrieval(result, len(q_idx))
                            score = recall_score(out, stores[spec.space][q_idx], spec.space)
                            acc.setdefault((spec.name, d, h), []).append((score, steps, empty, converged))
                            if per_query:
                                query_rows.append(
                                    pd.DataFrame(
                                        {
                                            "model": spec.name, "space": spec.space, "d": d, "r": spec.r,
                                            "h": h, "seed": seed, "repeat": rep, "query": q_idx,
                                            "score": score, "baseline": 1.0 - 2.0 * h / n_base,
                                            "steps": steps, "empty": empty, "converged": converged,
                                        }
                                    )
                                )
                            bar.update(1)
            for spec in specs:
                for d in radii if spec.uses_radius else [None]:
                    for h in levels:
                        parts = acc[(spec.name, d, h)]
                        score = np.concatenate([p[0] for p in parts])
                        steps = np.concatenate([p[1] for p in parts])
                        empty = np.concatenate([p[2] for p in parts])
                        conv = np.concatenate([p[3] for p in parts])
                        rows.append(
                            {
                                "model": spec.name,
                                "space": spec.space,
                                "d": d,
                                "r": spec.r,
                                "h": h,
                                "seed": seed,
                                "n_queries": int(score.size),
                                "mean": float(score.mean()),
                                "std": float(score.std()),
                                "baseline": 1.0 - 2.0 * h / n_base,
                                "steps": float(steps.mean()),
                                "steps_max": int(steps.max()),
                                "n_unconverged": int(np.count_nonzero(~conv)),
                                "n_empty": int(np.count_nonzero(empty)),
                            }
                        )
    finally:
        bar.close()
    if per_query:
        table = pd.concat(query_rows, ignore_index=True)[list(QUERY_COLUMNS)]
        table["d"] = table["d"].astype("Int64")
        return table
    table = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    table["d"] = table["d"].astype("Int64")
    return table


class _NoBar:
    """Stand-in for a disabled progress bar (tqdm is not even imported)."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _build_and_write(spec: ModelSpec, n: int, d: int | None, seed: int, store: np.ndarray) -> Any:
    kwargs: dict[str, Any] = {"n": n, "seed": _seed_int(seed, 4, _name_key(spec.name), 0 if d is None else d + 1)}
    if d is not None:
        kwargs["d"] = d
    mem = spec.build(**kwargs)
    mem.write(store)  # auto-associative: pointers = addresses (normalised by continuous memories)
    return mem


def _perturb_batch(
    module: Any, store: np.ndarray, q_idx: np.ndarray, h: int, space: str, rng: np.random.Generator, no_closer: bool
) -> np.ndarray:
    """Noisy versions of the targets ``store[q_idx]`` at level ``h`` (`sdmlib.perturb`)."""
    targets = store[q_idx]
    n_base = store.shape[1]
    patterns = store if no_closer else None
    if space == "binary":
        return module.hamming_perturb(targets, h, seed=rng, patterns=patterns)
    return module.cosine_perturb(targets, 1.0 - 2.0 * h / n_base, seed=rng, patterns=patterns)


def _unpack_retrieval(result: Any, q: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(outputs, steps, empty, converged) of a `RetrieveResult`, checked for shape."""
    out = np.atleast_2d(np.asarray(result.outputs))
    steps = np.asarray(result.steps, dtype=np.int64).reshape(-1)
    empty = np.asarray(result.empty_reads).reshape(-1) > 0
    converged = np.asarray(result.converged, dtype=bool).reshape(-1)
    if out.shape[0] != q or steps.size != q or empty.size != q or converged.size != q:
        raise ValueError(f"retrieve returned results for {out.shape[0]} queries, expected {q}")
    return out, steps, empty, converged


def summarize_recall(table: pd.DataFrame) -> pd.DataFrame:
    r"""Pool the replicates of a `recall_curves` table: one row per (model, d, r, h).

    Columns: ``mean`` (over every scored query of every seed), ``std`` (pooled
    over those queries, ddof=0, the quantity the original's tables report),
    ``seed_std`` (standard deviation of the per-seed means, ddof=1; 0 with one
    seed) and ``sem`` (``seed_std / sqrt(n_seeds)``, the error bar of the
    figures), ``n_seeds``, ``n_queries``, ``baseline``, ``steps`` (mean),
    ``steps_max``, ``n_unconverged`` and ``n_empty`` (totals).

    The pooled moments are exact: with per-seed counts :math:`N_s`, means
    :math:`\mu_s` and variances :math:`\sigma_s^2`,
    :math:`\mu=\sum_s N_s\mu_s/N` and
    :math:`\sigma^2=\sum_s N_s(\sigma_s^2+\mu_s^2)/N-\mu^2`.

    Examples
    --------
    Pooling two seeds gives the moments of the concatenated scores:

    >>> import numpy as np, pandas as pd
    >>> a, b = np.array([1.0, 0.5, 0.25]), np.array([0.0, 1.0])
    >>> rows = [dict(model="x", space="binary", d=5, r=1.0, h=0, seed=s, n_queries=v.size,
    ...              mean=v.mean(), std=v.std(), baseline=1.0, steps=1.0, steps_max=1,
    ...              n_unconverged=0, n_empty=0) for s, v in ((0, a), (1, b))]
    >>> out = summarize_recall(pd.DataFrame(rows))
    >>> both = np.concatenate([a, b])
    >>> bool(np.isclose(out["mean"].iloc[0], both.mean()) and np.isclose(out["std"].iloc[0], both.std()))
    True
    """
    import pandas as pd

    missing = [c for c in RESULT_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks the columns {missing} of a recall_curves table")
    keys = ["model", "space", "d", "r", "h"]
    t = table.copy()
    t["_w"] = t["n_queries"].astype(float)
    t["_s1"] = t["_w"] * t["mean"]
    t["_s2"] = t["_w"] * (t["std"] ** 2 + t["mean"] ** 2)
    t["_st"] = t["_w"] * t["steps"]
    g = t.groupby(keys, dropna=False, sort=False)
    out = g.agg(
        n_seeds=("seed", "nunique"),
        n_queries=("n_queries", "sum"),
        _w=("_w", "sum"),
        _s1=("_s1", "sum"),
        _s2=("_s2", "sum"),
        _st=("_st", "sum"),
        seed_std=("mean", lambda v: float(np.std(v, ddof=1)) if len(v) > 1 else 0.0),
        baseline=("baseline", "first"),
        steps_max=("steps_max", "max"),
        n_unconverged=("n_unconverged", "sum"),
        n_empty=("n_empty", "sum"),
    ).reset_index()
    out["mean"] = out["_s1"] / out["_w"]
    out["std"] = np.sqrt(np.maximum(out["_s2"] / out["_w"] - out["mean"] ** 2, 0.0))
    out["sem"] = out["seed_std"] / np.sqrt(out["n_seeds"])
    out["steps"] = out["_st"] / out["_w"]
    cols = keys + ["n_seeds", "n_queries", "mean", "std", "seed_std", "sem", "baseline", "steps", "steps_max", "n_unconverged", "n_empty"]
    return pd.DataFrame(out[cols]).reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Protocols E1-E4
# --------------------------------------------------------------------------------------

#: The experiments' target space fractions (their radii for n = 64 are 5, 9, 11, 15, 19, 27).
EXPERIMENT_FRACTIONS: tuple[float, ...] = (1e-13, 1e-9, 1e-8, 7e-6, 3.68e-4, 0.1)


@dataclass(frozen=True)
class RecallProtocol:
    """Configuration of one recall protocol (E1--E4 of the experiments specification).

    Attributes
    ----------
    name : str
        ``"E1"`` ... ``"E4"``.
    scale : {"full", "reduced"}
        ``"full"`` is the paper's scale; ``"reduced"`` the book's.
    title : str
        One line for figure titles.
    data : {"random", "mnist"}
        i.i.d. U(-1, 1) patterns (`sdmlib.data.random_patterns`) or a random
        batch of MNIST training images (pixels in [0, 1]).
    n : int
        Dimension (``n = n_base``: no projection).
    m : int
        Stored patterns.
    r : int or None
        Neurons of the finite-neuron models (``None``: one at every address).
    models : tuple of str
        Table labels (`RECALL_MODELS`).
    levels : tuple of int
        Perturbation sizes ``h`` in Hamming units of ``n``.
    radii : tuple of int
        Hamming radii; empty means: from ``fractions`` (`recall_protocol_radii`).
    fractions : tuple of float
        Target space fractions that define the radii, ``d(p)``.
    n_datasets : int
        Replicates (independent data sets); replicate ``i`` of a run with
        master seed ``s`` has seed ``s + i``.
    n_repeats : int
        Independent perturbations of the targets per data set.
    n_queries : int or None
        Targets per repeat (``None``: all ``m`` stored patterns).
    no_closer : bool
        Regenerate perturbations until the target is still the nearest pattern.
    max_steps : int
        Cap on the update steps.
    convergence : {"per-query", "original"}
        Convergence rule (see `recall_curves`).
    estimator : str
        β estimator of the attention models (``"as-published"`` or ``"ols"``).
    backend : {"numpy", "torch"}
        Array library of the memories (`model_spec`); ``device`` the torch device.
    on_empty : {"keep", "original"}
        What a read with no neuron/pattern in range does: ``"keep"`` leaves the
        query unchanged (the book's default); ``"original"`` does what the
        original code did (binary memories: the all-zero collapse, B1).
    """

    name: str
    scale: str
    title: str
    data: str
    n: int
    m: int
    r: Any
    models: tuple[str, ...]
    levels: tuple[int, ...]
    radii: tuple[int, ...] = ()
    fractions: tuple[float, ...] = ()
    n_datasets: int = 3
    n_repeats: int = 5
    n_queries: int | None = None
    no_closer: bool = True
    max_steps: int = 100
    convergence: str = "per-query"
    estimator: str = "as-published"
    on_empty: str = "keep"
    backend: str = "numpy"
    device: str | None = None

    @property
    def queries_per_point(self) -> int:
        """Scored queries behind each point of a curve: data sets x repeats x queries."""
        return self.n_datasets * self.n_repeats * (self.m if self.n_queries is None else self.n_queries)

    def replace(self, **changes: Any) -> RecallProtocol:
        """A copy with some fields changed (validated)."""
        return _validate_protocol(dataclasses.replace(self, **changes))


_BINARY_AND_CONTINUOUS = (
    "pattern_sdm",
    "pattern_sdm_finite",
    "sdm_attention_binary",
    "continuous_sdm",
    "continuous_binary_sdm",
    "sdm_attention_bfit",
    "sdm_attention_cfit",
    "transformer_attention",
    "hopfield",
)

_FULL: dict[str, RecallProtocol] = {
    "E1": RecallProtocol(
        name="E1", scale="full", title="random patterns", data="random", n=64, m=1024, r=2**64,
        models=_BINARY_AND_CONTINUOUS, levels=(0, 2, 4, 6, 8, 10, 12), radii=(5, 9, 11, 15, 19, 27),
    ),
    "E2": RecallProtocol(
        name="E2", scale="full", title="random patterns", data="random", n=1000, m=1024, r=10**6,
        models=_BINARY_AND_CONTINUOUS[:7] + ("hopfield",), levels=(0, 75, 150, 225, 300, 375),
        fractions=EXPERIMENT_FRACTIONS,
    ),
    "E3": RecallProtocol(
        name="E3", scale="full", title="neuron- vs pattern-based SDM", data="random", n=64, m=1024, r=10**5,
        models=("neuron_sdm", "pattern_sdm_finite"), levels=(0, 2, 4, 6, 8, 10, 12), radii=(5, 9, 11, 15, 19, 27),
    ),
    "E4": RecallProtocol(
        name="E4", scale="full", title="MNIST", data="mnist", n=784, m=1024, r=2**64,
        models=(
            "continuous_sdm",
            "continuous_sdm_finite",
            "continuous_binary_sdm",
            "sdm_attention_bfit",
            "sdm_attention_cfit",
            "transformer_attention",
        ),
        levels=(0, 50, 100, 150, 200, 250, 300), fractions=EXPERIMENT_FRACTIONS, no_closer=False,
    ),
}

#: Reduced (book-scale) changes to each full protocol: fewer scored queries per point.
_REDUCED_CHANGES: dict[str, dict[str, Any]] = {
    "E1": dict(n_datasets=3, n_repeats=1, n_queries=32),
    "E2": dict(n_datasets=3, n_repeats=1, n_queries=32),
    "E3": dict(n_datasets=3, n_repeats=1, n_queries=32),
    "E4": dict(n_datasets=3, n_repeats=1, n_queries=32),
}

#: Every protocol at both scales: ``RECALL_PROTOCOLS[name][scale]``.
RECALL_PROTOCOLS: dict[str, dict[str, RecallProtocol]] = {
    name: {"full": full, "reduced": dataclasses.replace(full, scale="reduced", **_REDUCED_CHANGES[name])}
    for name, full in _FULL.items()
}


def _validate_protocol(p: RecallProtocol) -> RecallProtocol:
    check_choice("name", p.name, tuple(_FULL))
    check_choice("scale", p.scale, ("full", "reduced"))
    check_choice("data", p.data, ("random", "mnist"))
    n = check_int("n", p.n, lo=1)
    check_int("m", p.m, lo=1)
    if p.r is not None:
        check_real("r", p.r, lo=0.0, lo_open=True)
    if not p.models:
        raise ValueError("models must name at least one model")
    for name in p.models:
        check_choice("models", name, RECALL_MODELS)
    if len(set(p.models)) != len(p.models):
        raise ValueError(f"models must not repeat a name, got {list(p.models)}")
    if not p.levels:
        raise ValueError("levels must hold at least one perturbation level h")
    for h in p.levels:
        check_int("levels", h, lo=0, hi=n)
    if len(set(p.levels)) != len(p.levels):
        raise ValueError(f"levels must not repeat a value, got {list(p.levels)}")
    for d in p.radii:
        check_int("radii", d, lo=0, hi=n)
    if len(set(p.radii)) != len(p.radii):
        raise ValueError(f"radii must not repeat a value, got {list(p.radii)}")
    for f in p.fractions:
        check_real("fractions", f, lo=0.0, hi=1.0, lo_open=True)
    if not p.radii and not p.fractions:
        raise ValueError("a protocol needs radii or fractions")
    check_int("n_datasets", p.n_datasets, lo=1)
    check_int("n_repeats", p.n_repeats, lo=1)
    if p.n_queries is not None:
        check_int("n_queries", p.n_queries, lo=1, hi=p.m)
    check_int("max_steps", p.max_steps, lo=1)
    check_choice("convergence", p.convergence, ("per-query", "original"))
    check_choice("estimator", p.estimator, ("as-published", "ols"))
    check_choice("on_empty", p.on_empty, ("keep", "original"))
    check_choice("backend", p.backend, ("numpy", "torch"))
    if p.device is not None and (p.backend != "torch" or not isinstance(p.device, str)):
        raise ValueError(f"device must be a torch device string and needs backend='torch', got {p.device!r}")
    return p


def recall_protocol(name: str, scale: str = "reduced", **changes: Any) -> RecallProtocol:
    """Protocol ``name`` (``"E1"`` ... ``"E4"``) at ``scale``, with optional changes.

    Parameters
    ----------
    name : {"E1", "E2", "E3", "E4"}
    scale : {"full", "reduced"}
        ``"full"``: the paper's 3 data sets x 5 repeats x 1024 queries per point;
        ``"reduced"``: the book's (see `RecallProtocol.queries_per_point`).
    **changes
        Fields of `RecallProtocol` to override (validated).

    Examples
    --------
    >>> full, reduced = recall_protocol("E1", "full"), recall_protocol("E1")
    >>> full.queries_per_point, reduced.queries_per_point, full.queries_per_point // reduced.queries_per_point
    (15360, 96, 160)
    >>> recall_protocol("E3", "full").r == 10**5 and recall_protocol("E3").models == ("neuron_sdm", "pattern_sdm_finite")
    True
    """
    check_choice("name", name, tuple(RECALL_PROTOCOLS))
    check_choice("scale", scale, ("full", "reduced"))
    p = RECALL_PROTOCOLS[name][scale]
    return p.replace(**changes) if changes else p


def recall_protocol_radii(p: RecallProtocol) -> tuple[int, ...]:
    """The radii of a protocol: its ``radii``, else ``d(p)`` of its ``fractions`` in dimension ``n``.

    ``d(p)`` is the smallest radius whose Hamming ball holds at least the
    fraction ``p`` of the space (`sdmlib.geometry.hamming_radius_for_fraction`).
    """
    if p.radii:
        return tuple(int(d) for d in p.radii)
    from sdmlib.geometry import hamming_radius_for_fraction

    return tuple(int(hamming_radius_for_fraction(p.n, f)) for f in p.fractions)


def recall_protocol_patterns(p: RecallProtocol) -> Callable[[int], np.ndarray]:
    """The data of a protocol: ``data_seed -> (m, n)`` patterns (random U(-1, 1), or MNIST images)."""
    if p.data == "random":
        from sdmlib.data import random_patterns

        return lambda data_seed: random_patterns(p.m, p.n, seed=data_seed)
    return lambda data_seed: _mnist_batch(p.m, p.n, data_seed)


def _mnist_batch(m: int, n: int, data_seed: int) -> np.ndarray:
    """``m`` distinct MNIST training images (train + validation, pixels in [0, 1))."""
    from sdmlib.data import load_mnist, sample_rows

    x, _ = load_mnist("train+validation")
    if x.shape[1] != n:
        raise ValueError(f"MNIST images have n = {x.shape[1]} pixels, the protocol asks for n = {n}")
    return sample_rows(x, m, seed=data_seed).astype(np.float64)


def run_recall_protocol(p: RecallProtocol, seed: int = 0, *, progress: bool | None = None) -> pd.DataFrame:
    """Run one protocol: `recall_curves` with the protocol's models, data and levels.

    Parameters
    ----------
    p : RecallProtocol
        From `protocol`.
    seed : int
        Master seed; the replicates have seeds ``seed, seed + 1, ...``.
    progress : bool or None
        Progress bar (``None``: only on a terminal).

    Returns
    -------
    pandas.DataFrame
        The `recall_curves` table plus configuration columns (``protocol``,
        ``scale``, ``n``, ``m``, ``fraction`` (target space fraction of ``d``,
        where the radii come from fractions), ``estimator``, ``on_empty``,
        ``max_steps``, ``convergence``, ``master_seed``), so that a saved CSV says how it was made.
    """
    progress = None if progress is None else check_bool("progress", progress)
    p = _validate_protocol(p)
    seed = check_int("seed", seed, lo=0)
    radii = recall_protocol_radii(p)
    specs = {
        name: model_spec(name, p.n, r=p.r, estimator=p.estimator, on_empty=p.on_empty, backend=p.backend,
                         device=p.device)
        for name in p.models
    }
    table = recall_curves(
        specs,
        recall_protocol_patterns(p),
        p.levels,
        radii=radii,
        seeds=range(seed, seed + p.n_datasets),
        n_repeats=p.n_repeats,
        n_queries=p.n_queries,
        max_steps=p.max_steps,
        convergence=p.convergence,
        no_closer=p.no_closer,
        progress=progress,
    )
    fraction_of = dict(zip(radii, p.fractions)) if not p.radii else {}
    table.insert(0, "protocol", p.name)
    table.insert(1, "scale", p.scale)
    table["n"] = p.n
    table["m"] = p.m
    table["fraction"] = [math.nan if _isna(d) else fraction_of.get(int(d), math.nan) for d in table["d"]]
    table["estimator"] = p.estimator
    table["on_empty"] = p.on_empty
    table["max_steps"] = p.max_steps
    table["convergence"] = p.convergence
    table["master_seed"] = seed
    return table


def _isna(x: Any) -> bool:
    import pandas as pd

    return bool(pd.isna(x))


def cli_main(command: str, argv: Sequence[str]) -> int:
    """Compatibility entry point: ``python -m sdmlib recall`` lives in :mod:`sdmlib.cli`."""
    from sdmlib.cli import main

    return main([command, *argv])
