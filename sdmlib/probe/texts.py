"""The probe's input texts."""

from __future__ import annotations

import os
from pathlib import Path

from sdmlib.data import book_data_path as _book_data

__all__ = ["read_texts"]

_REPO_ROOT = Path(__file__).resolve().parents[2]


def read_texts(path: str | os.PathLike | None = None, *, details: bool = False):
    """Read a texts file: passages separated by lines holding only ``---``.

    A passage whose first line starts with ``# `` takes its label from that line (``# label`` or
    ``# label | genre``); other passages are labelled ``text0``, ``text1``, ... Files ending in
    ``.jsonl`` hold one JSON object per line with a ``text`` field and optional ``id`` and
    ``genre`` fields.

    Parameters
    ----------
    path : path-like, optional
        Default: the book's own eight passages, ``data/probe_texts.txt`` (under the working
        directory, else the repository's ``book/data/``).
    details : bool
        Return a table (``id, genre, text, n_words``) instead of a mapping.

    Returns
    -------
    dict[str, str] or pandas.DataFrame
        Label -> text (in file order), or the table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.txt"
    >>> _ = p.write_text("# a | note\\nOne two.\\n---\\nThree four five.\\n")
    >>> read_texts(p)
    {'a': 'One two.', 'text1': 'Three four five.'}
    """
    import json

    from sdmlib._validate import check_bool

    details = check_bool("details", details)
    if path is None:
        path = _book_data("probe_texts.txt")
    elif isinstance(path, (str, os.PathLike)):
        path = Path(path)
    else:
        raise TypeError(f"path must be a path (str or os.PathLike) or None, got {type(path).__name__} {path!r}")
    if not path.is_file():
        raise FileNotFoundError(f"texts: no file {str(path)!r}")
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_no = raw[: exc.start].count(b"\n") + 1
        raise ValueError(
            f"texts: {str(path)!r} line {line_no} is not valid UTF-8 (byte {raw[exc.start]:#04x} at offset "
            f"{exc.start}); save the file as UTF-8"
        ) from None
    rows = []
    if path.suffix == ".jsonl":
        for i, line in enumerate(content.splitlines()):
            if line.strip():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"texts: {str(path)!r} line {i + 1} is not valid JSON ({exc.msg} at "
                                     f"column {exc.colno})") from None
                if not isinstance(obj, dict):
                    raise ValueError(f"texts: {str(path)!r} line {i + 1} must hold a JSON object with a "
                                     f"'text' field, got {type(obj).__name__}")
                if "text" not in obj:
                    raise ValueError(f"texts: line {i + 1} of {str(path)!r} has no 'text' field")
                if not isinstance(obj["text"], str):
                    raise ValueError(f"texts: {str(path)!r} line {i + 1}: 'text' must be a string, got "
                                     f"{type(obj['text']).__name__}")
                if not obj["text"].strip():
                    raise ValueError(f"texts: {str(path)!r} line {i + 1}: 'text' is empty")
                rows.append((str(obj.get("id", f"text{len(rows)}")), str(obj.get("genre", "")), obj["text"]))
    else:
        chunks, current = [], []
        for line in content.splitlines():
            if line.strip() == "---":
                chunks.append(current)
                current = []
            else:
                current.append(line)
        chunks.append(current)
        for lines in chunks:
            text_lines = list(lines)
            label, genre = f"text{len(rows)}", ""
            while text_lines and not text_lines[0].strip():
                text_lines.pop(0)
            if text_lines and text_lines[0].startswith("# "):
                head = text_lines.pop(0)[2:]
                label, _, genre = (part.strip() for part in head.partition("|"))
            text = "\n".join(text_lines).strip()
            if text:
                rows.append((label, genre, text))
    if not rows:
        raise ValueError(f"texts: {str(path)!r} holds no text")
    labels = [r[0] for r in rows]
    if len(set(labels)) != len(labels):
        raise ValueError(f"texts: duplicate labels in {str(path)!r}")
    if details:
        import pandas as pd

        return pd.DataFrame(
            {
                "id": labels,
                "genre": [r[1] for r in rows],
                "text": [r[2] for r in rows],
                "n_words": [len(r[2].split()) for r in rows],
            }
        )
    return {r[0]: r[2] for r in rows}
