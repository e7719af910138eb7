r"""Hamming geometry of binary vectors: distance, cosine similarity and bit packing.

A binary vector :math:`a\in\{0,1\}^n` is identified with the bipolar vector
:math:`\hat a = 2a-1\in\{-1,+1\}^n`, whose norm is :math:`\sqrt n`. Two vectors at
Hamming distance :math:`h` agree on :math:`n-h` coordinates and disagree on :math:`h`,
so the cosine similarity of their bipolar forms is

.. math:: x = \frac{\hat a\cdot\hat b}{n} = \frac{(n-h) - h}{n} = 1 - \frac{2h}{n},

and conversely :math:`h = n(1-x)/2`. This is the map the paper uses to turn the
Hamming distance in an SDM read into the cosine similarity of an attention read.

For speed, {0,1} arrays are packed 64 bits to a ``uint64`` word (`pack_bits`);
the Hamming distance of packed rows is the popcount of their XOR
(`hamming_distance`).

Examples
--------
>>> import numpy as np
>>> from sdmlib.hamming import pack_bits, hamming_distance, hamming_to_cosine
>>> a = np.array([1, 0, 1, 1, 0], dtype=np.uint8)
>>> b = np.array([1, 1, 1, 0, 0], dtype=np.uint8)
>>> int(hamming_distance(pack_bits(a), pack_bits(b)))
2
>>> bool(np.isclose(hamming_to_cosine(2, 5), (2 * a - 1.0) @ (2 * b - 1.0) / 5))
True
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from sdmlib._validate import (
    check_binary_array,
    check_choice,
    check_int,
    check_int_array,
    check_real_array,
)

__all__ = [
    "hamming_to_cosine",
    "cosine_to_hamming",
    "pack_bits",
    "unpack_bits",
    "hamming_distance",
    "WORD_BITS",
]

#: Bits per packed word.
WORD_BITS = 64

#: Largest dimension for which `cosine_to_hamming` rounds to exact integers.
_MAX_N_ROUNDED = 10**12


def hamming_to_cosine(h: ArrayLike, n: int) -> np.ndarray | float:
    r"""Cosine similarity of two bipolar vectors at Hamming distance ``h``.

    .. math:: x = 1 - \frac{2h}{n}

    Parameters
    ----------
    h : int or array_like of int
        Hamming distance(s), each in ``[0, n]``.
    n : int
        Dimension, ``n >= 1``.

    Returns
    -------
    float or ndarray
        Cosine similarity in ``[-1, 1]`` (a float for scalar ``h``).

    See Also
    --------
    cosine_to_hamming : the inverse map.

    Examples
    --------
    Identical vectors have cosine 1, complementary ones -1, and half the bits
    flipped gives orthogonal vectors:

    >>> [float(hamming_to_cosine(h, 64)) for h in (0, 32, 64)]
    [1.0, 0.0, -1.0]
    >>> import numpy as np
    >>> bool(np.all(cosine_to_hamming(hamming_to_cosine(np.arange(65), 64), 64) == np.arange(65)))
    True
    """
    n = check_int("n", n, lo=1)
    harr = check_int_array("h", h, lo=0, hi=n)
    x = 1.0 - 2.0 * harr / n
    return float(x) if np.ndim(x) == 0 else x


def cosine_to_hamming(
    x: ArrayLike,
    n: int,
    rounding: Literal["nearest", "floor", "ceil", "none"] = "nearest",
) -> np.ndarray | int | float:
    r"""Hamming distance equivalent to cosine similarity ``x`` in dimension ``n``.

    .. math:: h = \frac{n(1-x)}{2}

    Parameters
    ----------
    x : float or array_like
        Cosine similarity, each in ``[-1, 1]``.
    n : int
        Dimension, ``1 <= n <= 10**12`` when rounding to integers (beyond it
        the float64 cosines of neighbouring distances are no longer resolved
        reliably); any ``n >= 1`` with ``rounding="none"``.
    rounding : {"nearest", "floor", "ceil", "none"}
        ``n(1-x)/2`` is an integer only when ``x`` is one of the ``n+1`` cosines
        of bipolar vectors. ``"nearest"`` (default) rounds half to even (numpy's
        ``rint``) after snapping values within ``max(1e-9, 8 n eps)`` of an
        integer (``eps`` the float64 machine epsilon: the rounding error of
        ``n(1-x)/2`` grows with ``n``), so that round trips through floating
        point are exact; ``"floor"`` rounds down
        (towards *more* similar: the largest integer distance whose cosine is
        at least ``x``), ``"ceil"`` rounds up (the smallest distance whose
        cosine is at most ``x``); ``"none"`` returns the real-valued distance.

    Returns
    -------
    int, float or ndarray
        Integers (``int64``) unless ``rounding="none"``.

    Examples
    --------
    >>> cosine_to_hamming(0.0, 64)
    32
    >>> cosine_to_hamming(0.1, 64, rounding="none")
    28.8
    >>> cosine_to_hamming(0.1, 64), cosine_to_hamming(0.1, 64, "floor"), cosine_to_hamming(0.1, 64, "ceil")
    (29, 28, 29)
    """
    check_choice("rounding", rounding, ("nearest", "floor", "ceil", "none"))
    n = check_int("n", n, lo=1, hi=None if rounding == "none" else _MAX_N_ROUNDED)
    xarr = check_real_array("x", x, lo=-1.0, hi=1.0)
    h = float(n) * (1.0 - xarr) / 2.0
    if rounding != "none":
        near = np.rint(h)
        tol = max(1e-9, 8.0 * n * np.finfo(np.float64).eps)
        snapped = np.where(np.abs(h - near) < tol, near, h)
        func = {"nearest": np.rint, "floor": np.floor, "ceil": np.ceil}[rounding]
        h = func(snapped).astype(np.int64)
        return int(h) if h.ndim == 0 else h
    return float(h) if h.ndim == 0 else h


def pack_bits(bits: ArrayLike) -> np.ndarray:
    r"""Pack {0,1} vectors into ``uint64`` words, 64 coordinates to a word.

    Coordinate ``i`` of a row goes to bit ``i % 64`` of word ``i // 64``; the
    unused high bits of the last word are zero, so XOR-popcount distances are
    exact for any ``n`` (not only multiples of 64).

    Parameters
    ----------
    bits : array_like, shape (n,) or (m, n)
        Values in {0, 1} (bool or any integer/float dtype).

    Returns
    -------
    ndarray of uint64, shape (ceil(n/64),) or (m, ceil(n/64))

    See Also
    --------
    unpack_bits : the inverse (needs ``n``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 2, size=(3, 100), dtype=np.uint8)
    >>> packed = pack_bits(x)
    >>> packed.shape, packed.dtype
    ((3, 2), dtype('uint64'))
    >>> bool(np.array_equal(unpack_bits(packed, 100), x))
    True
    """
    arr = check_binary_array("bits", bits, ndim=(1, 2))
    squeeze = arr.ndim == 1
    arr2 = np.atleast_2d(arr)
    m, n = arr2.shape
    if n == 0:
        raise ValueError("bits must have at least one coordinate (n >= 1)")
    words = -(-n // WORD_BITS)
    padded = np.zeros((m, words * WORD_BITS), dtype=np.uint8)
    padded[:, :n] = arr2
    # Little-endian bit order inside bytes, and bytes viewed as little-endian uint64:
    # coordinate i lands on bit i of the (i // 64)-th word.
    as_bytes = np.packbits(padded, axis=1, bitorder="little")
    packed = as_bytes.view("<u8").astype(np.uint64, copy=False)
    return packed[0] if squeeze else packed


def unpack_bits(packed: ArrayLike, n: int) -> np.ndarray:
    """Unpack ``uint64`` words made by `pack_bits` back into {0,1} ``uint8`` vectors.

    Parameters
    ----------
    packed : array_like of uint64, shape (w,) or (m, w)
    n : int
        Number of coordinates, ``64*(w-1) < n <= 64*w``.

    Returns
    -------
    ndarray of uint8, shape (n,) or (m, n)

    Examples
    --------
    >>> import numpy as np
    >>> unpack_bits(np.array([5], dtype=np.uint64), 4)
    array([1, 0, 1, 0], dtype=uint8)
    """
    arr = np.asarray(packed)
    if arr.dtype != np.uint64:
        raise TypeError(f"packed must have dtype uint64 (from pack_bits), got {arr.dtype}")
    if arr.ndim not in (1, 2):
        raise ValueError(f"packed must have 1 or 2 dimensions, got {arr.ndim}")
    words = arr.shape[-1]
    n = check_int("n", n, lo=max(1, WORD_BITS * (words - 1) + 1), hi=WORD_BITS * words)
    squeeze = arr.ndim == 1
    arr2 = np.ascontiguousarray(np.atleast_2d(arr).astype("<u8", copy=False))
    bits = np.unpackbits(arr2.view(np.uint8), axis=1, bitorder="little")[:, :n]
    return bits[0] if squeeze else bits


def hamming_distance(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    r"""Hamming distances between bit-packed vectors: ``popcount(a XOR b)``.

    Parameters
    ----------
    a : ndarray of uint64, shape (w,) or (k, w)
        Packed vectors (`pack_bits`).
    b : ndarray of uint64, shape (w,) or (m, w)
        Packed vectors with the same number of words.

    Returns
    -------
    ndarray of int64
        Shape ``()`` for one-to-one, ``(m,)`` for one-to-many (``a`` 1-D),
        ``(k,)`` for many-to-one, and ``(k, m)`` for many-to-many.

    Notes
    -----
    The many-to-many case is computed in blocks of ``b`` so that the
    ``(k, m, w)`` XOR tensor never exceeds about 32 MiB.

    Examples
    --------
    Agreement with the unpacked count, and the triangle inequality:

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = rng.integers(0, 2, size=(4, 130), dtype=np.uint8)
    >>> D = hamming_distance(pack_bits(x), pack_bits(x))
    >>> bool(np.array_equal(D, (x[:, None, :] != x[None, :, :]).sum(-1)))
    True
    >>> bool(np.all(D[0, 1] <= D[0, 2] + D[2, 1]))
    True
    """
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    for name, arr in (("a", a_arr), ("b", b_arr)):
        if arr.dtype != np.uint64:
            raise TypeError(f"{name} must have dtype uint64 (from pack_bits), got {arr.dtype}")
        if arr.ndim not in (1, 2):
            raise ValueError(f"{name} must have 1 or 2 dimensions, got {arr.ndim}")
    if a_arr.shape[-1] != b_arr.shape[-1]:
        raise ValueError(
            f"a and b must have the same number of 64-bit words, got {a_arr.shape[-1]} and {b_arr.shape[-1]}"
        )
    if a_arr.ndim == 1 or b_arr.ndim == 1:
        return np.bitwise_count(a_arr ^ b_arr).sum(axis=-1, dtype=np.int64)
    k, w = a_arr.shape
    m = b_arr.shape[0]
    out = np.empty((k, m), dtype=np.int64)
    block = max(1, (32 << 20) // max(1, 8 * k * w))
    for start in range(0, m, block):
        stop = min(m, start + block)
        xor = a_arr[:, None, :] ^ b_arr[None, start:stop, :]
        out[:, start:stop] = np.bitwise_count(xor).sum(axis=-1, dtype=np.int64)
    return out
