"""Input validation shared by every ``sdmlib`` module.

Each checker raises a :class:`TypeError` (wrong kind of value) or a
:class:`ValueError` (right kind, outside the allowed range) whose message
names the parameter and the allowed range, so that bad input never turns
into a silent NaN, a wrong number or a hang.

Examples
--------
>>> check_int("n", 64, lo=1)
64
>>> check_int("n", 0, lo=1)
Traceback (most recent call last):
...
ValueError: n must be an integer >= 1, got 0
>>> check_int("d", 2.5)
Traceback (most recent call last):
...
TypeError: d must be an integer, got float 2.5
>>> check_bool("log", "false")
Traceback (most recent call last):
...
TypeError: log must be True or False, got str 'false'
>>> check_seed("seed", -1)
Traceback (most recent call last):
...
ValueError: seed must be an integer >= 0, a numpy.random.Generator or None, got -1
>>> check_int_array("d", [5.5, 11])
Traceback (most recent call last):
...
TypeError: d must hold integers, got non-integral values such as 5.5
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = [
    "check_int",
    "check_real",
    "check_int_array",
    "check_real_array",
    "check_choice",
    "check_binary_array",
    "check_bool",
    "check_seed",
    "make_rng",
    "as_array",
]


def _range_text(lo: Any, hi: Any, lo_open: bool = False, hi_open: bool = False) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {hi}")
    return " and ".join(parts)


def as_array(name: str, value: Any, dtype: Any = None) -> np.ndarray:
    """``np.asarray(value)`` with a message naming ``name`` for ragged or non-numeric input.

    Strings and bytes are refused (numpy would make a 0-d string array of them).

    >>> as_array("x", [[1, 2], [3]])
    Traceback (most recent call last):
    ...
    ValueError: x must be a rectangular array (rows of equal length), got a ragged sequence
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__} {value!r}")
    try:
        arr = np.asarray(value, dtype=dtype)
    except (ValueError, TypeError) as exc:
        if "inhomogeneous" in str(exc) or "sequence" in str(exc):
            raise ValueError(
                f"{name} must be a rectangular array (rows of equal length), got a ragged sequence"
            ) from None
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}") from None
    if arr.dtype == object:
        raise TypeError(f"{name} must be an array of numbers, got elements of type object")
    return arr


def _check_shape(name: str, arr: np.ndarray, ndim: Any, nonempty: bool) -> None:
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(
                f"{name} must have {' or '.join(map(str, allowed))} dimension(s), got {arr.ndim}"
            )
    if nonempty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` as ``bool`` after checking it is a real boolean (``bool`` or ``numpy.bool_``).

    Strings such as ``'false'`` and integers such as ``0`` are refused: they
    would otherwise be silently truthy or falsy.

    >>> check_bool("log", True)
    True
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")


def check_seed(name: str, value: Any) -> Any:
    """Check a seed: an integer ``>= 0`` (no bool), a ``numpy.random.Generator``, or ``None``.

    Returns the seed unchanged (a Python ``int`` for integers).

    >>> check_seed("seed", 3), check_seed("seed", None)
    (3, None)
    """
    if value is None or isinstance(value, np.random.Generator):
        return value
    allowed = "an integer >= 0, a numpy.random.Generator or None"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {allowed}, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return int(value)


def make_rng(name: str, value: Any) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a seed checked by `check_seed` (a Generator is used as is).

    >>> float(make_rng("seed", 0).random()) == float(np.random.default_rng(0).random())
    True
    """
    value = check_seed(name, value)
    return value if isinstance(value, np.random.Generator) else np.random.default_rng(value)


def check_int(name: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """Return ``value`` as a Python ``int`` after checking ``lo <= value <= hi``.

    Integral floats (``5.0``) and numpy integers are accepted; ``bool`` is not.
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got bool {value!r}")
    if isinstance(value, numbers.Integral):
        ivalue = int(value)
    elif isinstance(value, numbers.Real) and float(value).is_integer():
        ivalue = int(value)
    else:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if (lo is not None and ivalue < lo) or (hi is not None and ivalue > hi):
        raise ValueError(f"{name} must be an integer {_range_text(lo, hi)}, got {ivalue}")
    return ivalue


def check_real(
    name: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """Return ``value`` as a finite ``float`` inside the given (closed or open) range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    fvalue = float(value)
    if not np.isfinite(fvalue):
        raise ValueError(f"{name} must be a finite real number, got {fvalue}")
    bad_lo = lo is not None and (fvalue <= lo if lo_open else fvalue < lo)
    bad_hi = hi is not None and (fvalue >= hi if hi_open else fvalue > hi)
    if bad_lo or bad_hi:
        raise ValueError(
            f"{name} must be a real number {_range_text(lo, hi, lo_open, hi_open)}, got {fvalue}"
        )
    return fvalue


def check_int_array(
    name: str,
    value: Any,
    lo: int | None = None,
    hi: int | None = None,
    *,
    ndim: int | tuple[int, ...] | None = None,
    nonempty: bool = False,
) -> np.ndarray:
    """Return ``value`` as an ``int64`` array with every entry in ``[lo, hi]``.

    Booleans, strings, ragged sequences and non-integral floats are refused;
    ``ndim`` (one number or a tuple) and ``nonempty`` add shape checks.
    Entries must fit in int64 (``|x| < 2**63``).
    """
    arr = as_array(name, value)
    if arr.dtype == bool:
        raise TypeError(f"{name} must hold integers, got booleans")
    _check_shape(name, arr, ndim, nonempty)
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if np.any(bad):
            raise TypeError(f"{name} must hold integers, got non-integral values such as {arr[bad].flat[0]}")
        if arr.size and np.max(np.abs(arr)) >= 2.0**63:
            raise ValueError(f"{name} must hold integers below 2**63 in magnitude, got {np.max(np.abs(arr))}")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "u" and arr.size and arr.max() >= 2**63:
        raise ValueError(f"{name} must hold integers below 2**63, got {arr.max()}")
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and ((lo is not None and arr.min() < lo) or (hi is not None and arr.max() > hi)):
        raise ValueError(
            f"{name} must hold integers {_range_text(lo, hi)}, got values in [{arr.min()}, {arr.max()}]"
        )
    return arr


def check_real_array(
    name: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    ndim: int | tuple[int, ...] | None = None,
    nonempty: bool = False,
    finite: bool = True,
) -> np.ndarray:
    """Return ``value`` as a ``float64`` array with every entry in ``[lo, hi]``.

    Entries must be finite unless ``finite=False`` (then NaN is still refused
    but ``inf`` is allowed); booleans, strings and ragged sequences are refused;
    ``ndim`` and ``nonempty`` add shape checks.
    """
    arr = as_array(name, value)
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    _check_shape(name, arr, ndim, nonempty)
    arr = arr.astype(np.float64, copy=False)
    if not finite:
        if np.any(np.isnan(arr)):
            raise ValueError(f"{name} must not hold NaN")
    elif not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite real numbers, found NaN or inf")
    if arr.size and ((lo is not None and arr.min() < lo) or (hi is not None and arr.max() > hi)):
        raise ValueError(
            f"{name} must hold real numbers {_range_text(lo, hi)}, got values in [{arr.min()}, {arr.max()}]"
        )
    return arr


def check_choice(name: str, value: Any, choices: tuple) -> Any:
    """Check that ``value`` is one of ``choices``.

    Comparison is by type and value, so ``True`` does not match ``1`` and an
    unhashable value (a dict, a list, an array) is refused with this message
    rather than numpy's or Python's.

    >>> check_choice("window", {}, ("paper", None))
    Traceback (most recent call last):
    ...
    ValueError: window must be one of 'paper', None; got {}
    """
    def _same(c: Any) -> bool:
        if c is value:
            return True
        if isinstance(value, (bool, np.bool_)) != isinstance(c, (bool, np.bool_)):
            return False
        if isinstance(c, str) != isinstance(value, str):
            return False
        if isinstance(value, (list, dict, set, np.ndarray)):
            return False
        try:
            return bool(c == value)
        except (TypeError, ValueError):
            return False

    if not any(_same(c) for c in choices):
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")
    return value


def check_binary_array(name: str, value: Any, ndim: tuple[int, ...] = (1, 2)) -> np.ndarray:
    """Return a {0,1} array as ``uint8`` after checking its values and number of dimensions."""
    arr = as_array(name, value)
    if arr.ndim not in ndim:
        raise ValueError(f"{name} must have {' or '.join(map(str, ndim))} dimensions, got {arr.ndim}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a {{0,1}} array, got dtype {arr.dtype}")
    if arr.size and not np.all((arr == 0) | (arr == 1)):
        raise ValueError(f"{name} must contain only 0 and 1")
    return arr.astype(np.uint8, copy=False)
