"""sdmlib: Sparse Distributed Memory and its link to Attention.

A tested library behind the executable book *Attention Approximates Sparse
Distributed Memory* (Bricken & Pehlevan, NeurIPS 2021). numpy first; the
torch-based parts (``sdmlib.probe``, ``sdmlib.projection``) import torch only
when used.
"""

__version__ = "0.1.0"

# One import line per module; each module lists its public names in __all__.
from sdmlib.hamming import *  # noqa: E402,F401,F403
from sdmlib.geometry import *  # noqa: E402,F401,F403
from sdmlib.memories import *  # noqa: E402,F401,F403
from sdmlib.beta import *  # noqa: E402,F401,F403
from sdmlib.beta_estimators import *  # noqa: E402,F401,F403
from sdmlib.bounds import *  # noqa: E402,F401,F403
from sdmlib.capacity import *  # noqa: E402,F401,F403
from sdmlib.jaeckel import *  # noqa: E402,F401,F403
from sdmlib.perturb import *  # noqa: E402,F401,F403
from sdmlib.data import *  # noqa: E402,F401,F403
from sdmlib.experiments import *  # noqa: E402,F401,F403
