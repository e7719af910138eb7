r"""Associative memories side by side: one protocol for SDM, attention and Hopfield.

The protocol
------------
Every memory is a small class, constructed with keyword parameters only:

* `NeuronSDM` ``(n, d, r, seed, on_empty, backend, threads)``: {0,1} data, ``r`` real neurons.
* `PatternSDM` ``(n, d, r=None, stochastic=None, seed, on_empty)``: {0,1} data.
* `ContinuousSDM` ``(n, d, r=None, intersection="cap", stochastic=None, seed, on_empty)``:
  real data.
* `SDMAttention` ``(n, d or beta, space="continuous", fit, estimator, window)``: either.
* `TransformerAttention` ``(n, space="continuous")``, β = 1/√n: either.
* `Hopfield` ``(n)``: {0,1} data.

* ``r=None`` means one neuron at every address (exact counts, not ``2**n`` random neurons), as everywhere in
  `sdmlib`. For the pattern-based models a finite ``r`` switches on stochastic
  rounding of the expected neuron counts at every read (``stochastic=True``),
  unless ``stochastic=False`` is given.
* ``mem.write(addresses, pointers=None)`` stores ``m`` patterns (rows);
  ``pointers=None`` is auto-associative. Writes accumulate. Returns ``mem``.
* ``mem.read(queries)`` performs **one** batched update and returns a
  `ReadResult` with ``.outputs`` (same shape as ``queries`` for
  auto-association) and ``.empty`` (bool per query: nothing was in range).
* ``mem.retrieve(queries, max_steps=100, tol=None, convergence="per-query",
  renormalize=True)`` iterates reads until each query stops changing and
  returns a `RetrieveResult` with ``.outputs``, ``.steps`` (reads per query),
  ``.converged`` and ``.empty_reads`` (per query).
* Binary memories (``mem.binary``) take and return {0,1} arrays (``uint8``).
  Continuous memories take real vectors, normalise addresses and queries to
  unit length internally, and return ``float64``; ``retrieve`` renormalises
  after each step.
* A 1-D query gives 1-D outputs and scalar flags.

Back ends
---------
Every SDM and attention memory takes ``backend="torch"`` with ``device="cpu"``
or ``"cuda"`` (and an optional product ``dtype``); `NeuronSDM` also has
``"numba"`` / ``"numpy"`` / ``"auto"``, the others ``"numpy"`` (the default).
torch has no popcount, so the torch route computes Hamming distances as the
exact product :math:`d_H(q, x) = |q| - (2q - 1)\cdot x` (the ±1 form
:math:`(n - s\cdot t)/2`): every partial sum is an integer of magnitude at most
``n``, so it is exact in float32 for ``n <= 2**24``, float16 for ``n <= 2048``,
bfloat16 for ``n <= 256`` (`PRODUCT_MAX_N`, enforced). Neurons and stochastic
rounding draw from numpy with the memory's ``seed``, so a seed gives the same
neurons and the same reads on every back end; outputs are numpy arrays. Binary
reads are equal to the numpy/numba routes', real-valued ones agree to about
1e-12 in float64 (tested in ``tests/test_memories_torch.py``). torch is imported
only when a torch memory is built. Speed: the torch route is the GPU route; on
a CPU the numba popcount scan is one to two orders of magnitude faster for the
neuron-based SDM (``benchmarks/bench_torch_backend.py``).

Supported range and bad input
-----------------------------
Constructors take ``n >= 1`` (``ContinuousSDM`` with caps: ``n >= 2``), a radius
``0 <= d <= n`` (``1 <= d`` for caps and fitted attention), ``r`` a positive integer, a
positive finite float or ``None``, ``beta`` a positive finite float, and seeds that are an
integer ``>= 0``, a ``numpy.random.Generator`` or ``None`` (also where the memory is
deterministic and the seed unused). Flags (``stochastic``, ``renormalize``) must be real
booleans. ``write``/``read``/``retrieve`` take 1-D or 2-D arrays with ``n`` columns: {0,1}
values (any numeric or bool dtype) for binary memories, finite real values with no zero row
for continuous ones; pointers need at least one column. Rows of continuous memories may
have any finite scale (1e-300 to 1e300): they are normalised scale-first, so nothing
overflows or underflows. Anything else raises a ``ValueError`` or ``TypeError`` naming the
parameter. Batches of zero rows are allowed (a no-op write, an empty read).

The empty read ("zero-collapse") fix
------------------------------------
When no neuron is active (or every pattern weight is zero) the original code
computed 0/0 = NaN and thresholded it to the all-zero vector. Here such a read
returns the query unchanged (``on_empty="keep"``, the default) and flags it in
``ReadResult.empty`` / ``RetrieveResult.empty_reads``. ``on_empty="zero"``
returns zeros; ``on_empty="original"`` does whatever the original did for that
model (zeros for binary SDMs, unchanged for continuous ones). In ``retrieve``, a continuous
read whose weighted sum cancels to the zero vector (patterns :math:`e_1` and :math:`-e_1`
read at :math:`e_2`) is treated the same way: it has no direction, so it counts as an empty
read; no output is ever NaN (see `AssociativeMemory.retrieve`).

Examples
--------
The same three calls drive every model:

>>> import numpy as np
>>> from sdmlib.memories import PatternSDM, SDMAttention, NeuronSDM
>>> rng = np.random.default_rng(0)
>>> P = rng.integers(0, 2, size=(100, 64), dtype=np.uint8)
>>> q = P.copy(); q[:, :4] ^= 1                    # 4 bits of noise per query
>>> for mem in (PatternSDM(n=64, d=11), NeuronSDM(n=64, d=19, r=100_000, seed=1),
...             SDMAttention(n=64, beta=15.9, space="binary")):
...     res = mem.write(P).retrieve(q, max_steps=10)
...     print(type(mem).__name__, bool(np.array_equal(res.outputs, P)))
PatternSDM True
NeuronSDM True
SDMAttention True
"""

from sdmlib.memories._base import AssociativeMemory, ReadResult, RetrieveResult
from sdmlib.memories._scan import NUMPY_CHUNK, numba_available, pairwise_hamming, scan_within_radius, stream_floor
from sdmlib.memories._torch import PRODUCT_MAX_N, scan_within_radius_torch, torch_available
from sdmlib.memories.attention import SDMAttention, TransformerAttention
from sdmlib.memories.hopfield import Hopfield
from sdmlib.memories.neuron import COUNTER_DTYPE, NeuronSDM
from sdmlib.memories.pattern import ContinuousSDM, PatternSDM, binary_log_weight_table, cap_log_weight_table

__all__ = [
    "AssociativeMemory",
    "ReadResult",
    "RetrieveResult",
    "NeuronSDM",
    "PatternSDM",
    "ContinuousSDM",
    "SDMAttention",
    "TransformerAttention",
    "Hopfield",
    "COUNTER_DTYPE",
    "scan_within_radius",
    "pairwise_hamming",
    "numba_available",
    "scan_within_radius_torch",
    "torch_available",
    "PRODUCT_MAX_N",
    "stream_floor",
    "NUMPY_CHUNK",
    "binary_log_weight_table",
    "cap_log_weight_table",
]
