r"""Comparing recall runs with the original's tables, and why a rule changes a number.

Companions of `sdmlib.experiments` for the chapter *Retrieval experiments*:

* `standard_error` of a pooled recall mean (the larger of the spread between data sets and
  that of the queries);
* `z_against_original`: how many standard errors separate a mean of ours from one of the
  original, each with its **own** number of scored queries;
* `compare_with_original`: both steps for a whole table;
* `agreement_threshold`: the two-sided Bonferroni bound on :math:`|z|` for a family of
  comparisons, the line between "agrees" and "differs";
* `repeated_reads`: what happens to a batch of queries that is read again and again without
  stopping, as the original's batch-global convergence test does when some query of the batch
  never settles (experiments specification, B11).

Examples
--------
Two means 0.02 apart, each from 15 360 queries with standard deviation 0.5, are about 3.5
standard errors apart:

>>> round(float(z_against_original(0.52, 0.5 / 15360 ** 0.5, 0.50, 0.5, 15360)), 2)
3.51
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sdmlib._validate import check_int, check_real, check_real_array

__all__ = ["standard_error", "z_against_original", "compare_with_original", "agreement_threshold", "repeated_reads"]


def standard_error(summary: Any, resolution: float = 0.0) -> np.ndarray:
    r"""Standard error of each pooled mean of a `sdmlib.experiments.summarize_recall` table.

    .. math:: \mathrm{SE} = \max\!\Big(\mathrm{sem},\ \frac{\mathrm{std}}{\sqrt{N}},\
              \frac{\text{resolution}}{N}\Big)

    ``sem`` is the standard error over data sets (``seed_std / sqrt(n_seeds)``), which
    includes the variation between data sets but is itself estimated from only a few of
    them; ``std / sqrt(N)`` is that of ``N`` independent queries. The larger of the two
    guards against an accidentally small spread of three data-set means.

    The third term matters only where every query scored the same (``std = 0``): ``N``
    identical scores cannot see a rate of rare misses below about ``1/N``, so the mean is
    known no better than the change one missed query would make, ``resolution / N``.

    Parameters
    ----------
    summary : DataFrame or mapping
        Columns (or keys) ``sem``, ``std`` and ``n_queries`` (``n_queries >= 1``; all
        finite, except that ``sem`` is NaN for a single data set, and that term is then
        left out).
    resolution : float
        Score change of one missed query, ``>= 0`` (0: no floor; 1 is a generous choice for
        scores in ``[-1, 1]``).

    Returns
    -------
    ndarray of float

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame(dict(sem=[0.01, 0.0], std=[0.5, 0.4], n_queries=[100, 16]))
    >>> standard_error(s).tolist()
    [0.05, 0.1]
    >>> standard_error(pd.DataFrame(dict(sem=[0.0], std=[0.0], n_queries=[96])), resolution=1.0).tolist() == [1 / 96]
    True
    """
    resolution = check_real("resolution", resolution, lo=0.0)
    cols = {}
    for key in ("sem", "std", "n_queries"):
        try:
            cols[key] = summary[key]
        except (KeyError, IndexError, TypeError):
            raise ValueError(f"summary must have a column {key!r} (a summarize_recall table)") from None
    # sem is NaN for a single data set (no spread between data sets): that term is then unknown, not used
    sem = np.asarray(cols["sem"], dtype=float)
    check_real_array("summary['sem']", np.nan_to_num(sem, nan=0.0, posinf=np.inf, neginf=-np.inf), lo=0.0)  # finite, >= 0 (or NaN)
    std = check_real_array("summary['std']", cols["std"], lo=0.0)
    n = check_real_array("summary['n_queries']", cols["n_queries"], lo=1.0)
    return np.fmax(np.maximum(std / np.sqrt(n), resolution / n), sem)


def z_against_original(mean: Any, se: Any, original_mean: Any, original_std: Any, original_n: Any) -> np.ndarray:
    r"""Difference of our mean and the original's in units of its standard error.

    .. math:: z = \frac{\bar s - \bar s_{\text{orig}}}
                     {\sqrt{\mathrm{SE}^2 + \sigma_{\text{orig}}^2 / N_{\text{orig}}}}

    The original's standard error uses **its own** number of scored queries
    :math:`N_{\text{orig}}` (15 360 for its E3 table, 50 for its E2 table, 5 for its MNIST
    debug cell) and its reported standard deviation over queries. Where both standard
    errors are 0, ``z`` is 0 for equal means and ``±inf`` otherwise.

    Parameters
    ----------
    mean, se : array_like
        Our means and their standard errors (`standard_error`), ``se >= 0``.
    original_mean, original_std : array_like
        The original's means and standard deviations over queries (``>= 0``).
    original_n : array_like of int
        The original's number of scored queries per mean, ``>= 1``.

    Returns
    -------
    ndarray of float

    Examples
    --------
    Equal spreads and counts: the denominator is √2 times one standard error.

    >>> import numpy as np
    >>> z = z_against_original(0.6, 0.1 / np.sqrt(50), 0.5, 0.1, 50)
    >>> bool(np.isclose(z, 0.1 / (np.sqrt(2) * 0.1 / np.sqrt(50))))
    True
    >>> z_against_original([1.0, 1.0], [0.0, 0.0], [1.0, 0.99], [0.0, 0.0], 15360).tolist()
    [0.0, inf]
    """
    mean = check_real_array("mean", mean)
    se = check_real_array("se", se, lo=0.0)
    om = check_real_array("original_mean", original_mean)
    os_ = check_real_array("original_std", original_std, lo=0.0)
    on = check_real_array("original_n", original_n, lo=1.0)
    try:
        np.broadcast_shapes(mean.shape, se.shape, om.shape, os_.shape, on.shape)
    except ValueError:
        raise ValueError("mean, se, original_mean, original_std and original_n must have broadcastable shapes, got "
                         f"{[a.shape for a in (mean, se, om, os_, on)]}") from None
    diff = mean - om
    den = np.sqrt(se**2 + os_**2 / on)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(den > 0, diff / np.where(den > 0, den, 1.0), np.where(diff == 0, 0.0, np.sign(diff) * np.inf))
    return z


def compare_with_original(
    summary: Any, original: Any, original_n: int, on: tuple[str, ...] = ("model", "d", "h"), resolution: float = 0.0
) -> Any:
    """Our pooled means beside the original's, with standard errors and z-scores.

    Parameters
    ----------
    summary : pandas.DataFrame
        A `sdmlib.experiments.summarize_recall` table (``mean, std, sem, n_queries``).
    original : pandas.DataFrame
        The original's table: the ``on`` columns, ``mean`` and ``std`` (over its queries).
    original_n : int
        The original's number of scored queries per mean, ``>= 1``.
    on : tuple of str
        The columns that identify a cell.
    resolution : float
        Passed to `standard_error` for our standard errors.

    Returns
    -------
    pandas.DataFrame
        The cells present in both, columns ``on`` + ``mean_ours, se_ours, n_ours, mean_orig,
        std_orig, se_orig, z`` (`standard_error`, `z_against_original`).

    Examples
    --------
    >>> import pandas as pd
    >>> ours = pd.DataFrame(dict(model=["a"], d=[5], h=[0], mean=[0.52], std=[0.5], sem=[0.0], n_queries=[15360]))
    >>> orig = pd.DataFrame(dict(model=["a"], d=[5], h=[0], mean=[0.50], std=[0.5]))
    >>> round(float(compare_with_original(ours, orig, 15360)["z"].iloc[0]), 2)
    3.51
    """
    original_n = check_int("original_n", original_n, lo=1)
    on = list(on)
    missing = [c for c in on + ["mean", "std"] if c not in original.columns]
    if missing:
        raise ValueError(f"original lacks the columns {missing}")
    ours = summary[on + ["mean", "std", "sem", "n_queries"]].copy()
    ours["se"] = standard_error(ours, resolution)
    both = original[on + ["mean", "std"]].merge(ours, on=on, suffixes=("_orig", "_ours"))
    both = both.rename(columns={"se": "se_ours", "n_queries": "n_ours"})
    both["se_orig"] = both["std_orig"] / np.sqrt(original_n)
    both["z"] = z_against_original(both["mean_ours"], both["se_ours"], both["mean_orig"], both["std_orig"], original_n)
    return both[on + ["mean_ours", "se_ours", "n_ours", "mean_orig", "std_orig", "se_orig", "z"]]


def agreement_threshold(n_comparisons: int, alpha: float = 0.01) -> float:
    r"""Two-sided Bonferroni bound on :math:`|z|` for ``n_comparisons`` comparisons.

    The :math:`t` with :math:`n\,P(|Z|>t) = \alpha` for a standard normal :math:`Z`: if every
    difference were pure sampling noise, the chance that *any* of the ``n`` comparisons
    exceeds ``t`` is at most ``alpha``. A difference beyond ``t`` is therefore called a real
    difference, one within it agreement (at the resolution of the runs).

    Parameters
    ----------
    n_comparisons : int
        Number of comparisons in the family, ``>= 1``.
    alpha : float
        Family-wise false-alarm probability, ``0 < alpha < 1``.

    Returns
    -------
    float

    Examples
    --------
    >>> round(agreement_threshold(1, 0.05), 3)
    1.96
    >>> import math
    >>> t = agreement_threshold(100)
    >>> bool(math.isclose(100 * math.erfc(t / math.sqrt(2)), 0.01))
    True
    """
    n = check_int("n_comparisons", n_comparisons, lo=1)
    alpha = check_real("alpha", alpha, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    from scipy.stats import norm

    return float(norm.isf(alpha / (2 * n)))


def repeated_reads(memory: Any, queries: Any, targets: Any, n_reads: int) -> "Any":
    r"""Read a batch ``n_reads`` times without ever stopping, recording the state after each read.

    This is what the original's batch-global convergence test does to every query of a batch
    in which some query keeps changing (B11): each query is read again and again, up to the
    cap of 100 reads, even after it has been recalled. With stochastic rounding redrawn at
    every read, each read is a fresh chance to be knocked off the target.

    Parameters
    ----------
    memory : AssociativeMemory
        A binary memory (`sdmlib.memories`), written.
    queries, targets : array_like of {0, 1}, shape (B, n)
        The starting queries and the patterns they should recall.
    n_reads : int
        Number of reads, ``>= 1``.

    Returns
    -------
    pandas.DataFrame
        One row per read ``1..n_reads``: ``recalled`` (fraction of queries equal to their
        target), ``zero`` (fraction that are the all-zero vector), ``other`` (the rest),
        ``mean`` and ``std`` (ddof=0) of the score :math:`1-2d_H/n`, and ``empty`` (fraction of this read's reads that
        found nothing in range).

    Examples
    --------
    A memory with a neuron at every address has no read noise: a stored pattern stays
    recalled at every read.

    >>> import numpy as np
    >>> from sdmlib.memories import PatternSDM
    >>> P = np.random.default_rng(0).integers(0, 2, size=(64, 64), dtype=np.uint8)
    >>> t = repeated_reads(PatternSDM(n=64, d=11).write(P), P, P, 3)
    >>> t["recalled"].tolist(), t["zero"].tolist()
    ([1.0, 1.0, 1.0], [0.0, 0.0, 0.0])
    """
    import pandas as pd

    n_reads = check_int("n_reads", n_reads, lo=1)
    if not getattr(memory, "binary", False):
        raise TypeError("memory must be a binary associative memory (sdmlib.memories)")
    x = np.atleast_2d(np.asarray(queries)).astype(np.uint8, copy=True)
    p = np.atleast_2d(np.asarray(targets)).astype(np.uint8)
    if x.shape != p.shape:
        raise ValueError(f"queries and targets must have the same shape, got {x.shape} and {p.shape}")
    n = x.shape[1]
    rows = []
    for k in range(1, n_reads + 1):
        res = memory.read(x)
        x = np.atleast_2d(res.outputs).astype(np.uint8)
        dist = np.count_nonzero(x != p, axis=1)
        recalled = dist == 0
        zero = ~np.any(x, axis=1)
        score = 1.0 - 2.0 * dist / n
        rows.append(dict(read=k, recalled=float(recalled.mean()), zero=float(zero.mean()),
                         other=float((~recalled & ~zero).mean()), mean=float(score.mean()), std=float(score.std()),
                         empty=float(np.mean(res.empty))))
    return pd.DataFrame(rows)

