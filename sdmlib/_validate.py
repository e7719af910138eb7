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
]


def _range_text(lo: Any, hi: Any, lo_open: bool = False, hi_open: bool = False) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {hi}")
    return " and ".join(parts)


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


def check_int_array(name: str, value: Any, lo: int | None = None, hi: int | None = None) -> np.ndarray:
    """Return ``value`` as an ``int64`` array (any shape) with every entry in ``[lo, hi]``."""
    arr = np.asarray(value)
    if arr.dtype == bool:
        raise TypeError(f"{name} must hold integers, got booleans")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise TypeError(f"{name} must hold integers, got non-integral values")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and ((lo is not None and arr.min() < lo) or (hi is not None and arr.max() > hi)):
        raise ValueError(
            f"{name} must hold integers {_range_text(lo, hi)}, got values in [{arr.min()}, {arr.max()}]"
        )
    return arr


def check_real_array(name: str, value: Any, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """Return ``value`` as a finite ``float64`` array with every entry in ``[lo, hi]``."""
    arr = np.asarray(value)
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite real numbers, found NaN or inf")
    if arr.size and ((lo is not None and arr.min() < lo) or (hi is not None and arr.max() > hi)):
        raise ValueError(
            f"{name} must hold real numbers {_range_text(lo, hi)}, got values in [{arr.min()}, {arr.max()}]"
        )
    return arr


def check_choice(name: str, value: Any, choices: tuple) -> Any:
    """Check that ``value`` is one of ``choices``."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")
    return value


def check_binary_array(name: str, value: Any, ndim: tuple[int, ...] = (1, 2)) -> np.ndarray:
    """Return a {0,1} array as ``uint8`` after checking its values and number of dimensions."""
    arr = np.asarray(value)
    if arr.ndim not in ndim:
        raise ValueError(f"{name} must have {' or '.join(map(str, ndim))} dimensions, got {arr.ndim}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a {{0,1}} array, got dtype {arr.dtype}")
    if arr.size and not np.all((arr == 0) | (arr == 1)):
        raise ValueError(f"{name} must contain only 0 and 1")
    return arr.astype(np.uint8, copy=False)
