r"""The learnt scales of QK-norm Transformers and the null model "training did not move them".

In QK-norm attention (Henry et al. 2020) queries and keys are divided by their norms and one
learnt scalar :math:`g` per attention layer multiplies the cosine scores, so :math:`g` is an
inverse temperature on cosine similarity, the β of SDM attention. Henry et al.'s released code
(repository ``CyndxAI/QKNorm``, ``QKNorm/layers.py``) starts every :math:`g` at

.. math::

    g_0 = \log_2\!\big(L^2 - L\big),

with :math:`L` the 97.5th percentile of the task's training sequence lengths
(``seq_len_threshold`` in ``QKNorm/configurations.py``): the log of the number of
off-diagonal entries of an :math:`L\times L` score matrix. With :math:`L` between 72 and 79,
:math:`g_0` lies between 12.3 and 12.6, already inside SDM's band
:math:`[\beta_{\text{CD}},\beta_{\text{Mem}}]` for :math:`n=64`. This module holds

* the data: :func:`load_qknorm_scales` (the 90 learnt scales, optionally joined with each
  model's configuration) and :func:`sdmlib.qknorm.load_qknorm_configs` (the task configurations, with
  :math:`L`, :math:`g_0`, :math:`d_{\text{head}}`);
* SDM's reference βs for each model's own head dimension and sequence length,
  :func:`reference_lines` (through ``sdmlib.capacity`` and ``sdmlib.beta``; it does not
  import ``sdmlib.probe``);
* the comparison with the null model :math:`g=g_0`: :func:`null_model_table`,
  :func:`null_model_summary`, and the uncertainty of the shifts :math:`g-g_0`:
  :func:`sign_test`, :func:`bootstrap_ci`, :func:`sign_flip_test`.

Supported range: head dimensions :math:`4\le n\le 1024` (the reference lines scan every radius
``0..n//2``), :math:`m\ge 1` stored patterns, :math:`L\ge 2`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from sdmlib._validate import check_choice, check_int, check_int_array, check_real, check_real_array, make_rng
from sdmlib.data import book_data_path as _book_data

__all__ = [
    "SCALE_COLUMNS",
    "CONFIG_COLUMNS",
    "LINE_KEYS",
    "henry_initial_scale",
    "load_qknorm_configs",
    "load_qknorm_scales",
    "reference_lines",
    "null_model_table",
    "null_model_summary",
    "sign_test",
    "bootstrap_ci",
    "sign_flip_test",
]

#: Columns of ``qknorm_learnt_scales.csv``.
SCALE_COLUMNS = ("language_pair", "stack", "attention", "layer", "scale")

#: Columns of ``qknorm_task_configs.csv`` (numbers from Henry et al.'s ``configurations.py``).
CONFIG_COLUMNS = (
    "language_pair", "config", "translation", "label_source", "seq_len_threshold", "embed_dim",
    "num_heads", "num_enc_layers", "num_dec_layers", "warmup_steps", "epoch_size", "stop_lr",
)

#: The three SDM reference βs, from the largest radius (smallest β) to the smallest.
LINE_KEYS = ("beta_cd", "beta_snr", "beta_mem")


# --------------------------------------------------------------------------------------------
# Henry et al.'s initial scale
# --------------------------------------------------------------------------------------------

def henry_initial_scale(L: Any) -> float | np.ndarray:
    r"""The initial QK-norm scale of Henry et al.'s code, :math:`g_0=\log_2(L^2-L)`.

    :math:`L^2-L` is the number of off-diagonal entries of an :math:`L\times L` score matrix, with
    :math:`L` the 97.5th percentile of the training sequence lengths (``seq_len_threshold``).

    Parameters
    ----------
    L : int or array_like of int
        Sequence length, :math:`L\ge 2`.

    Returns
    -------
    float or ndarray
        :math:`g_0`, of the shape of ``L``.

    Examples
    --------
    :math:`2^{g_0}` counts the off-diagonal entries; for the tasks' :math:`L` (72, 75, 79),
    :math:`g_0` is 12.3 to 12.6:

    >>> g0 = henry_initial_scale([2, 3, 72, 75, 79])
    >>> bool(np.allclose(2.0 ** g0, [2, 6, 72 * 71, 75 * 74, 79 * 78]))
    True
    >>> [round(float(x), 2) for x in g0[2:]]
    [12.32, 12.44, 12.59]
    """
    arr = check_int_array("L", L, lo=2)
    out = np.log2(arr.astype(np.float64) ** 2 - arr)
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

def load_qknorm_configs(path: str | os.PathLike | None = None):
    r"""The task configurations of Henry et al.'s released code, one row per translation model.

    Parameters
    ----------
    path : path-like, optional
        The CSV. Default: ``data/qknorm_task_configs.csv`` under the working directory (the
        book's chapters run in ``book/``), else ``book/data/`` of the repository.

    Returns
    -------
    pandas.DataFrame
        The :data:`CONFIG_COLUMNS` plus ``L`` (= ``seq_len_threshold``), ``g0``
        (:func:`henry_initial_scale`), ``d_head`` (``embed_dim / num_heads``) and ``m``
        (= ``L``: the number of keys a query of a sequence of length :math:`L` sees, the
        sequence length the configuration names).

    Examples
    --------
    >>> cfg = load_qknorm_configs().set_index("language_pair")
    >>> cfg.loc["gl-en", ["num_heads", "d_head", "L"]].tolist(), cfg.d_head.drop("gl-en").unique().tolist()
    ([4, 128, 79], [64])
    """
    import pandas as pd

    path = _book_data("qknorm_task_configs.csv") if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: no file {str(path)!r}")
    df = pd.read_csv(path, comment="#")
    if list(df.columns) != list(CONFIG_COLUMNS):
        raise ValueError(f"path: {str(path)!r} must have columns {list(CONFIG_COLUMNS)}, got {list(df.columns)}")
    if df.language_pair.duplicated().any():
        raise ValueError(f"path: {str(path)!r} lists a language pair twice")
    if (df.embed_dim % df.num_heads != 0).any():
        raise ValueError(f"path: {str(path)!r}: embed_dim must be a multiple of num_heads")
    df["L"] = df["seq_len_threshold"].astype(int)
    df["g0"] = henry_initial_scale(df["L"].to_numpy())
    df["d_head"] = (df["embed_dim"] // df["num_heads"]).astype(int)
    df["m"] = df["L"]
    return df


def load_qknorm_scales(path: str | os.PathLike | None = None, *, config: bool = False,
                       config_path: str | os.PathLike | None = None):
    r"""The 90 learnt attention scales of the QK-norm Transformers of Henry et al. (2020).

    In QK-norm attention the scores are :math:`g\,\hat q^\top\hat k` with unit-norm queries and
    keys, so the learnt scalar :math:`g` of a layer is exactly an inverse temperature on cosine
    similarity: the β of SDM attention. One value per attention *layer*, shared by its heads.

    Parameters
    ----------
    path : path-like, optional
        The CSV. Default: ``data/qknorm_learnt_scales.csv`` under the working directory (the
        book's chapters run in ``book/``), else ``book/data/`` of the repository.
    config : bool
        Join each row with its model's configuration (:func:`sdmlib.qknorm.load_qknorm_configs`): adds
        ``config, L, g0, d_head, num_heads, m``, ``shift`` (:math:`g-g_0`), ``layers_data``
        (layers of that stack in the data), ``layers_config`` (in the configuration) and
        ``layers_match``. Default ``False``: the five columns only, as before.
    config_path : path-like, optional
        The configuration CSV (default as in :func:`sdmlib.qknorm.load_qknorm_configs`).

    Returns
    -------
    pandas.DataFrame
        Columns ``SCALE_COLUMNS`` (plus the configuration columns); 90 rows.

    Examples
    --------
    The shift is the learnt scale minus the start, and the largest block, en-he, has more
    layers than its released configuration:

    >>> s = load_qknorm_scales(config=True)
    >>> bool(np.allclose(s.scale - s["shift"], np.log2(s.L ** 2 - s.L)))
    True
    >>> s.loc[~s.layers_match, ["language_pair", "layers_data", "layers_config"]].drop_duplicates().values.tolist()
    [['en-he', 8, 6]]

    References
    ----------
    Henry, Dachapally, Pawar, Chen. Query-Key Normalization for Transformers. Findings of EMNLP
    2020 (values shared with Bricken & Pehlevan 2021; configurations from their released code).
    """
    import pandas as pd

    path = _book_data("qknorm_learnt_scales.csv") if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: no file {str(path)!r}")
    df = pd.read_csv(path, comment="#")
    expected = list(SCALE_COLUMNS)
    if list(df.columns) != expected:
        raise ValueError(f"path: {str(path)!r} must have columns {expected}, got {list(df.columns)}")
    if len(df) != 90 or not np.all(np.isfinite(df["scale"])) or (df["scale"] <= 0).any():
        raise ValueError(f"path: {str(path)!r} must hold 90 positive finite scales, got {len(df)} rows")
    if not isinstance(config, (bool, np.bool_)):
        raise TypeError(f"config must be True or False, got {config!r}")
    if not config:
        return df
    cfg = load_qknorm_configs(config_path)
    missing = sorted(set(df.language_pair) - set(cfg.language_pair))
    if missing:
        raise ValueError(f"config_path: no configuration for {missing}")
    out = df.merge(cfg[["language_pair", "config", "L", "g0", "d_head", "num_heads", "m",
                        "num_enc_layers", "num_dec_layers"]], on="language_pair", how="left", validate="m:1")
    out["shift"] = out["scale"] - out["g0"]
    out["layers_data"] = out.groupby(["language_pair", "stack", "attention"]).layer.transform("nunique").astype(int)
    out["layers_config"] = np.where(out["stack"] == "encoder", out.num_enc_layers, out.num_dec_layers).astype(int)
    out["layers_match"] = out.layers_data == out.layers_config
    return out.drop(columns=["num_enc_layers", "num_dec_layers"])


# --------------------------------------------------------------------------------------------
# SDM's reference lines for one model
# --------------------------------------------------------------------------------------------

def reference_lines(
    n: int,
    m: float,
    r: Any = None,
    *,
    estimator: str = "ols",
    window: str | tuple[int, int] = "within-radius",
    space: str = "binary",
    retrieval_probability: float = 0.5,
    cd_convention: str = "first_failing",
    variance: str = "jaeckel",
) -> dict[str, float]:
    r"""SDM's three optimal radii for dimension ``n`` and ``m`` stored patterns, and their βs.

    .. math::

        \beta_{\text{X}}=\beta\big(d^*_{\text{X}}(n,m,r)\big),\qquad \text{X}\in\{\text{CD},
        \text{SNR},\text{Mem}\},

    with :math:`d^*` from ``sdmlib.capacity`` (``optimal_radius_critical_distance``,
    ``optimal_radius_snr``, ``optimal_radius_memory``) and β from ``sdmlib.beta.beta_for_radius``.
    The critical distance is often maximal on a *plateau* of radii (with few stored patterns
    every radius from :math:`n/4` up converges from every distance): ``d_cd`` is its smallest
    radius (the convention of ``sdmlib.probe.sdm_reference_betas``), ``d_cd_last`` its largest
    contiguous one and ``beta_cd_low`` the β there, so that every β in
    ``[beta_cd_low, beta_cd]`` is equally critical-distance-optimal.

    Parameters
    ----------
    n : int
        Dimension (the head dimension), :math:`4\le n\le 1024`.
    m : float
        Stored patterns (the keys a query sees), :math:`m\ge1`.
    r : int, float or None
        Neurons; ``None`` (default) is the paper's :math:`r=2^n` random neurons.
    estimator, window, space
        Of the β fit (``sdmlib.beta.fit_beta``, estimators ``sdmlib.beta.BETA_ESTIMATORS``);
        default OLS on :math:`d_v=0..d-1`; ``estimator="as-published"`` is the paper's.
    retrieval_probability : float
        :math:`P` of the memory-capacity criterion (the paper's 0.5), in (0, 1).
    cd_convention, variance
        Of ``sdmlib.capacity.critical_distance`` (default: the original figure's convention).

    Returns
    -------
    dict
        ``n, m, d_cd, d_cd_last, d_snr, d_mem, beta_cd, beta_cd_low, beta_snr, beta_mem``.

    Examples
    --------
    The paper's lines (:math:`n=64`, :math:`m=1024`, as published) and their ordering:

    >>> ref = reference_lines(64, 1024, estimator="as-published")
    >>> (ref["d_cd"], ref["d_snr"], ref["d_mem"]), [round(ref[k], 1) for k in LINE_KEYS]
    ((15, 11, 5), [10.1, 15.9, 35.5])
    >>> ref["beta_cd_low"] <= ref["beta_cd"] < ref["beta_snr"] < ref["beta_mem"]
    True
    """
    n = check_int("n", n, lo=4, hi=1024)
    m = check_real("m", m, lo=1.0)
    retrieval_probability = check_real("retrieval_probability", retrieval_probability, 0.0, 1.0,
                                       lo_open=True, hi_open=True)
    from sdmlib.beta import BETA_ESTIMATORS

    check_choice("estimator", estimator, BETA_ESTIMATORS)
    r_key = None if r is None else (int(r) if float(r).is_integer() else float(r))
    window_key = tuple(window) if isinstance(window, (list, tuple)) else window
    return dict(_lines(n, m, r_key, estimator, window_key, space, retrieval_probability, cd_convention, variance))


@lru_cache(maxsize=128)
def _radii(n, m, r, prob, cd_convention, variance):
    """The optimal radii (and the end of the critical-distance plateau); no β fit."""
    from sdmlib.capacity import optimal_radius_critical_distance, optimal_radius_memory, optimal_radius_snr

    r_eff = 2**n if r is None else r
    d_cd, radii, cds = optimal_radius_critical_distance(n, m, r_eff, variance=variance, convention=cd_convention,
                                                        return_all=True)
    radii, cds = np.asarray(radii), np.asarray(cds, dtype=float)
    at_max = set(radii[cds == cds.max()].tolist())
    last = int(d_cd)
    while last + 1 in at_max:
        last += 1
    return {"d_cd": int(d_cd), "d_cd_last": last, "d_snr": int(optimal_radius_snr(n, m, r_eff)),
            "d_mem": int(optimal_radius_memory(n, r_eff, prob))}


@lru_cache(maxsize=256)
def _lines(n, m, r, estimator, window, space, prob, cd_convention, variance):
    from sdmlib.beta import beta_for_radius

    d = _radii(n, m, r, prob, cd_convention, variance)
    beta = {key: float(beta_for_radius(n, d[key], space=space, window=window, estimator=estimator))
            for key in ("d_cd", "d_cd_last", "d_snr", "d_mem")}
    out = {"n": n, "m": m, **d, "beta_cd": beta["d_cd"], "beta_cd_low": beta["d_cd_last"],
           "beta_snr": beta["d_snr"], "beta_mem": beta["d_mem"]}
    return tuple(out.items())


# --------------------------------------------------------------------------------------------
# The null model g = g0
# --------------------------------------------------------------------------------------------

def _log_distance(g: np.ndarray, line: np.ndarray) -> np.ndarray:
    return np.abs(np.log(g) - np.log(line))


def null_model_table(scales, *, n: int | None = None, m: float | None = None, **lines: Any):
    r"""Each learnt scale beside the null model :math:`g=g_0`, against its model's SDM lines.

    For every row: the reference lines of :func:`reference_lines` for that model's head
    dimension and sequence length (or the fixed ``n``/``m`` given, e.g. the paper's 64 and
    1024), whether the learnt :math:`g` and the start :math:`g_0` lie in the band
    :math:`[\beta_{\text{CD}},\beta_{\text{Mem}}]`, their log-distances
    :math:`|\ln g-\ln\beta_{\text{SNR}}|` to the SNR line, and whether training brought the
    scale closer to that line than it started.

    Parameters
    ----------
    scales : pandas.DataFrame
        From ``load_qknorm_scales(config=True)`` (columns ``language_pair, scale, g0, d_head, m``).
    n, m : optional
        Override every model's ``d_head`` / ``m`` (e.g. ``n=64, m=1024``, the paper's setting).
    **lines
        Passed to :func:`reference_lines` (``estimator``, ``window``, ...).

    Returns
    -------
    pandas.DataFrame
        The input plus ``n_ref, m_ref, beta_cd, beta_cd_low, beta_snr, beta_mem, in_band,
        in_band_null, dist_snr, dist_snr_null, closer_to_snr``.

    Examples
    --------
    A scale that started at :math:`g_0` and did not move has the null's values:

    >>> import pandas as pd
    >>> s = pd.DataFrame({"language_pair": ["x", "x"], "scale": [12.3, 20.0], "g0": [12.3, 12.3],
    ...                   "d_head": [64, 64], "m": [72, 72]})
    >>> t = null_model_table(s, estimator="as-published")
    >>> t.in_band.tolist(), t.in_band_null.tolist(), bool(t.dist_snr[0] == t.dist_snr_null[0])
    ([True, True], [True, True], True)
    """
    import pandas as pd

    if not isinstance(scales, pd.DataFrame):
        raise TypeError(f"scales must be a pandas DataFrame, got {type(scales).__name__}")
    need = ["language_pair", "scale", "g0"] + (["d_head"] if n is None else []) + (["m"] if m is None else [])
    missing = [c for c in need if c not in scales]
    if missing:
        raise ValueError(f"scales: missing columns {missing} (use load_qknorm_scales(config=True))")
    df = scales.copy()
    check_real_array("scales.scale", df["scale"].to_numpy(), lo=0.0)
    df["n_ref"] = df["d_head"].astype(int) if n is None else check_int("n", n, lo=4, hi=1024)
    df["m_ref"] = df["m"].astype(float) if m is None else check_real("m", m, lo=1.0)
    keys = ("beta_cd", "beta_cd_low", "beta_snr", "beta_mem")
    vals = {k: np.empty(len(df)) for k in keys}
    for (nn, mm), idx in df.groupby(["n_ref", "m_ref"]).indices.items():
        ref = reference_lines(int(nn), float(mm), **lines)
        for k in keys:
            vals[k][idx] = ref[k]
    for k in keys:
        df[k] = vals[k]
    g, g0 = df["scale"].to_numpy(float), df["g0"].to_numpy(float)
    df["in_band"] = (g >= df.beta_cd) & (g <= df.beta_mem)
    df["in_band_null"] = (g0 >= df.beta_cd) & (g0 <= df.beta_mem)
    df["dist_snr"] = _log_distance(g, df.beta_snr.to_numpy())
    df["dist_snr_null"] = _log_distance(g0, df.beta_snr.to_numpy())
    df["closer_to_snr"] = df.dist_snr < df.dist_snr_null
    return df


def null_model_summary(table):
    r"""Per model and over all rows: learnt scales vs the null model :math:`g=g_0`.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`null_model_table`.

    Returns
    -------
    pandas.DataFrame
        One row per ``language_pair`` and a row ``all``: ``layers, g0`` (range of starts as
        text for ``all``), ``median_shift``, ``above_g0`` (layers with :math:`g>g_0`),
        ``moved_gt_3`` (:math:`|g-g_0|>3`), ``in_band``, ``in_band_null``, ``closer_to_snr``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"language_pair": ["x", "x", "y"], "scale": [12.3, 20.0, 9.0],
    ...                   "g0": [12.3, 12.3, 12.4], "d_head": [64, 64, 64], "m": [72, 72, 75]})
    >>> summary = null_model_summary(null_model_table(s, estimator="as-published"))
    >>> summary.loc["all", ["layers", "above_g0", "in_band", "in_band_null"]].tolist()
    [3, 1, 2, 3]
    """
    import pandas as pd

    need = ["language_pair", "scale", "g0", "in_band", "in_band_null", "closer_to_snr"]
    missing = [c for c in need if c not in table]
    if missing:
        raise ValueError(f"table: missing columns {missing} (use null_model_table)")
    shift = table["scale"] - table["g0"]
    parts = {}
    for name, idx in list(table.groupby("language_pair", sort=False).groups.items()) + [("all", table.index)]:
        sub = table.loc[idx]
        s = shift.loc[idx]
        g0 = sub.g0.unique()
        parts[name] = {
            "layers": len(sub),
            "g0": f"{g0.min():.2f}" if len(g0) == 1 else f"{g0.min():.2f}-{g0.max():.2f}",
            "median_shift": float(np.median(s)),
            "above_g0": int((s > 0).sum()),
            "moved_gt_3": int((s.abs() > 3).sum()),
            "in_band": int(sub.in_band.sum()),
            "in_band_null": int(sub.in_band_null.sum()),
            "closer_to_snr": int(sub.closer_to_snr.sum()),
        }
    return pd.DataFrame(parts).T.infer_objects()


# --------------------------------------------------------------------------------------------
# Uncertainty of the shifts
# --------------------------------------------------------------------------------------------

def sign_test(shift: Any) -> dict[str, float]:
    r"""Exact two-sided sign test of "a shift :math:`g-g_0` is as likely up as down".

    Zero shifts are dropped; with :math:`k` positive of :math:`N` non-zero shifts the p-value is
    :math:`\min\!\big(1,\,2\sum_{j\ge \max(k,N-k)}\binom{N}{j}2^{-N}\big)`.

    Parameters
    ----------
    shift : array_like of float
        The shifts; at least one non-zero.

    Returns
    -------
    dict
        ``k_positive, n_nonzero, p_two_sided``.

    Examples
    --------
    Four of four up: :math:`p=2\cdot 2^{-4}`; a balanced sample gives :math:`p=1`:

    >>> sign_test([1.0, 2.0, 0.5, 3.0])["p_two_sided"] == 2 / 16
    True
    >>> sign_test([1.0, -1.0, 0.0])
    {'k_positive': 1, 'n_nonzero': 2, 'p_two_sided': 1.0}
    """
    s = check_real_array("shift", shift).ravel()
    s = s[s != 0]
    if s.size == 0:
        raise ValueError("shift: needs at least one non-zero shift")
    n, k = int(s.size), int((s > 0).sum())
    tail = sum(math.comb(n, j) for j in range(max(k, n - k), n + 1))
    p = min(1.0, 2.0 * tail / 2.0**n)
    return {"k_positive": k, "n_nonzero": n, "p_two_sided": float(p)}


def bootstrap_ci(values: Any, statistic: Callable[..., Any] = np.median, *, n_boot: int = 10_000,
                 level: float = 0.95, seed: Any = 0) -> tuple[float, float, float]:
    r"""Percentile bootstrap interval of a statistic of one sample.

    Resamples the values with replacement ``n_boot`` times (vectorised) and returns the
    statistic of the sample with the :math:`\frac{1-\text{level}}{2}` and
    :math:`\frac{1+\text{level}}{2}` quantiles of the resampled statistics. The values are
    treated as exchangeable: for the layers of one model (not independent draws) the interval
    describes the spread of the layers, not sampling error across models.

    Parameters
    ----------
    values : array_like of float
        At least two values.
    statistic : callable
        Takes an array and ``axis=`` (``np.median``, ``np.mean``, ...).
    n_boot : int
        Resamples, 100 to 10⁶.
    level : float
        In (0, 1).
    seed : int or numpy.random.Generator

    Returns
    -------
    tuple of float
        ``(estimate, low, high)``.

    Examples
    --------
    For a sample of two values every resample is (a, a), (a, b), (b, a) or (b, b), so the
    mean's 95 % interval runs from a to b:

    >>> bootstrap_ci([1.0, 3.0], np.mean, n_boot=4000, seed=1)
    (2.0, 1.0, 3.0)
    """
    x = check_real_array("values", values).ravel()
    if x.size < 2:
        raise ValueError(f"values: need at least 2 values, got {x.size}")
    n_boot = check_int("n_boot", n_boot, lo=100, hi=1_000_000)
    level = check_real("level", level, 0.0, 1.0, lo_open=True, hi_open=True)
    if not callable(statistic):
        raise TypeError(f"statistic must be callable, got {type(statistic).__name__}")
    rng = make_rng("seed", seed)
    idx = rng.integers(0, x.size, size=(n_boot, x.size))
    boot = np.asarray(statistic(x[idx], axis=1), dtype=float)
    lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    return float(statistic(x)), float(lo), float(hi)


def sign_flip_test(g0: Any, shift: Any, statistic: Callable[[np.ndarray], np.ndarray], *,
                   alternative: str = "greater", n_perm: int = 20_000, seed: Any = 0,
                   exact_up_to: int = 16) -> dict[str, Any]:
    r"""Are the *directions* of the moves :math:`g-g_0` special? A sign-flip permutation test.

    Null model: every scale moved by the size :math:`|g_i-g_{0,i}|` it did move, but up or down
    at random, :math:`g_i^{\text{null}}=g_{0,i}+s_i|g_i-g_{0,i}|` with independent signs
    :math:`s_i=\pm1`. The test compares ``statistic(g)`` with its distribution under all (or
    ``n_perm`` random) sign patterns; the observed pattern counts as one of them, so
    :math:`p=(1+\#\{T^{\text{null}}\ \text{at least as extreme}\})/(1+N_{\text{perm}})` (exact
    enumeration: the fraction of the :math:`2^N` patterns).

    Parameters
    ----------
    g0, shift : array_like of float
        Starts and shifts, same length :math:`N\ge1`.
    statistic : callable
        Maps an array of scales of shape ``(..., N)`` to the statistic of each row, shape ``(...)``.
    alternative : {"greater", "less"}
        Which tail is extreme.
    n_perm : int
        Random sign patterns when :math:`N>` ``exact_up_to`` (100 to 10⁶).
    seed : int or numpy.random.Generator
    exact_up_to : int
        Enumerate all :math:`2^N` patterns when :math:`N\le` this (at most 20).

    Returns
    -------
    dict
        ``observed, null`` (the statistic under each sign pattern), ``p``, ``exact``.

    Examples
    --------
    Three scales that all moved up by 1 from 0; statistic: how many are above 0. One pattern in
    eight puts all three up:

    >>> res = sign_flip_test([0, 0, 0], [1, 1, 1], lambda g: (g > 0).sum(axis=-1))
    >>> res["observed"], res["p"], res["exact"]
    (3.0, 0.125, True)
    """
    g0 = check_real_array("g0", g0).ravel()
    s = check_real_array("shift", shift).ravel()
    if g0.size != s.size or g0.size == 0:
        raise ValueError(f"g0 and shift must have the same non-zero length, got {g0.size} and {s.size}")
    check_choice("alternative", alternative, ("greater", "less"))
    exact_up_to = check_int("exact_up_to", exact_up_to, lo=0, hi=20)
    if not callable(statistic):
        raise TypeError(f"statistic must be callable, got {type(statistic).__name__}")
    size = np.abs(s)
    observed = float(np.asarray(statistic((g0 + s)[None, :]), dtype=float).reshape(-1)[0])
    n = g0.size
    exact = n <= exact_up_to
    if exact:
        bits = (np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1
        signs = 2.0 * bits - 1.0
    else:
        n_perm = check_int("n_perm", n_perm, lo=100, hi=1_000_000)
        rng = make_rng("seed", seed)
        signs = rng.choice(np.array([-1.0, 1.0]), size=(n_perm, n))
    null = np.asarray(statistic(g0[None, :] + signs * size[None, :]), dtype=float).reshape(-1)
    tol = 1e-12 * max(1.0, abs(observed))
    extreme = null >= observed - tol if alternative == "greater" else null <= observed + tol
    p = float(extreme.mean()) if exact else float((1 + extreme.sum()) / (1 + null.size))
    return {"observed": observed, "null": null, "p": p, "exact": bool(exact)}
