"""Build provenance: which code, on which software, built this copy of the book.

The *Paper vs. this book* page ends with a table made by :func:`build_provenance`, so
that a reader of any copy of the site (or of a downloaded page) can tell which version
of ``sdmlib``, which commit and which library versions produced the numbers in it.
:func:`book_bibtex` writes the BibTeX entry of the book from ``CITATION.cff``, so that
the *How to cite* page and the citation file cannot disagree.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

__all__ = ["build_provenance", "git_commit", "book_bibtex", "cpu_model", "stored_run_header", "write_stored_run", "PACKAGES"]

#: Distributions whose versions the provenance table lists, in this order.
PACKAGES = ("numpy", "scipy", "matplotlib", "torch", "transformers", "jupyter-book", "myst-nb")

#: The repository root when ``sdmlib`` is used from a clone (editable install).
_ROOT = Path(__file__).resolve().parents[1]


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_commit(root: str | os.PathLike | None = None) -> str:
    """The short hash of the checked-out commit, with ``(modified)`` if the tree is dirty.

    Parameters
    ----------
    root : str or path, optional
        A directory inside the work tree (default: the clone ``sdmlib`` is imported from).

    Returns
    -------
    str
        ``"f5cf0a7"``, ``"f5cf0a7 (modified)"`` when tracked files differ from the commit or
        untracked (not ignored) files exist, or ``"unknown"`` when git is not installed or
        ``root`` is not inside a git work tree.

    Examples
    --------
    Outside any repository there is no commit to report:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as outside:
    ...     git_commit(outside)
    'unknown'
    """
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a str, an os.PathLike or None, got {type(root).__name__} {root!r}")
    root = Path(_ROOT if root is None else root)

    def git(*args: str) -> str:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                             timeout=30, check=True)
        return out.stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=normal")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit} (modified)" if dirty else commit


def cpu_model() -> str:
    """The processor's model name, from ``/proc/cpuinfo`` on Linux, else `platform.processor`.

    Examples
    --------
    >>> name = cpu_model()
    >>> isinstance(name, str) and name == name.strip() and len(name) > 0
    True
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown processor"


def stored_run_header(command: str, seeds: Any, source: str | os.PathLike, *, hardware: str = "",
                      versions: Mapping[str, str] | None = None,
                      root: str | os.PathLike | None = None) -> list[str]:
    """The ``#`` header lines of a stored run (a CSV under ``book/data/``).

    Command, seeds, the full commit of the checkout the run was made in (flagged when
    ``sdmlib/`` had uncommitted changes), the sha256 of the module that computed the cells,
    the hardware, library versions and the time written. Readers skip the lines
    (``pandas.read_csv(..., comment="#")``).

    Parameters
    ----------
    command : str
        The command that made the run, as a user would type it.
    seeds : any
        The seeds of the run (written with ``str``).
    source : str or path
        The module whose code computed the cells; its sha256 (first 12 hex digits) is written.
    hardware : str, optional
        Appended to the CPU model and core count (e.g. ``"torch threads 1, no GPU"``).
    versions : mapping, optional
        Extra ``name: version`` pairs after python and numpy.
    root : str or path, optional
        A directory inside the work tree (default: the clone ``sdmlib`` is imported from).

    Examples
    --------
    The source hash is that of the file, so a stored run names the code that made it:

    >>> import hashlib, sdmlib.hamming as h
    >>> lines = stored_run_header("python x.py", [0, 1], h.__file__)
    >>> [line.split(":")[0] for line in lines]
    ['# command', '# seeds', '# commit', '# hardware', '# versions', '# written']
    >>> hashlib.sha256(open(h.__file__, "rb").read()).hexdigest()[:12] in lines[2]
    True
    """
    import numpy as np

    root = Path(_ROOT if root is None else root)
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=20).stdout.strip() or "unknown"
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "sdmlib"],
                               capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "unknown", ""
    src = hashlib.sha256(Path(source).read_bytes()).hexdigest()[:12]
    extra = "".join(f", {name} {version}" for name, version in (versions or {}).items())
    return [f"# command: {command}",
            f"# seeds: {seeds}",
            f"# commit: {commit}{' (sdmlib had uncommitted changes)' if dirty else ''}; "
            f"sha256({Path(source).name})[:12] = {src}",
            f"# hardware: {cpu_model()}, {os.cpu_count()} logical cores" + (f", {hardware}" if hardware else ""),
            f"# versions: python {platform.python_version()}, numpy {np.__version__}{extra}",
            f"# written: {_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M:%S UTC')}"]


def write_stored_run(path: str | os.PathLike, header: list[str], table: Any, *,
                     float_format: str = "%.10g") -> None:
    """Write ``table`` (a pandas DataFrame) as CSV under its ``#`` header lines, atomically.

    The file is written next to ``path`` and renamed over it, so an interrupted run never
    leaves a half-written stored run behind.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_stored_run(Path(tmp) / "run.csv", ["# command: x"], pd.DataFrame({"a": [0.1]}))
    ...     back = pd.read_csv(Path(tmp) / "run.csv", comment="#")
    >>> back.a.tolist()
    [0.1]
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as fh:
        fh.write("\n".join(header) + "\n")
        table.to_csv(fh, index=False, float_format=float_format)
    tmp.replace(path)


def _build_date() -> str:
    # SOURCE_DATE_EPOCH (reproducible-builds.org) fixes the date of a rebuilt copy.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (_dt.datetime.fromtimestamp(int(epoch), _dt.UTC) if epoch and epoch.isdigit()
            else _dt.datetime.now(_dt.UTC))
    return when.strftime("%Y-%m-%d %H:%M UTC")


def build_provenance(root: str | os.PathLike | None = None) -> dict[str, str]:
    """What built this copy of the book: package version, commit, date and library versions.

    Parameters
    ----------
    root : str or path, optional
        A directory inside the git work tree of the book (default: the clone ``sdmlib``
        is imported from); see :func:`git_commit`.

    Returns
    -------
    dict of str to str
        In display order: ``"sdmbook"`` (the installed package's version), ``"git commit"``
        (:func:`git_commit`), ``"build date"`` (UTC, from ``SOURCE_DATE_EPOCH`` when set),
        ``"Python"``, then one entry per distribution in :data:`PACKAGES`, each its
        installed version or ``"not installed"``.

    Examples
    --------
    The version shown is the installed distribution's, which is also ``sdmlib.__version__``:

    >>> import platform, sdmlib
    >>> from importlib.metadata import version
    >>> info = build_provenance()
    >>> info["sdmbook"] == version("sdmbook") == sdmlib.__version__
    True
    >>> info["Python"] == platform.python_version()
    True
    >>> list(info)[:4]
    ['sdmbook', 'git commit', 'build date', 'Python']
    """
    from sdmlib import __version__

    installed = _version("sdmbook")
    info = {
        "sdmbook": __version__ if installed == "not installed" else installed,
        "git commit": git_commit(root),
        "build date": _build_date(),
        "Python": platform.python_version(),
    }
    info.update({name: _version(name) for name in PACKAGES})
    return info


def book_bibtex(citation_cff: str | os.PathLike, key: str = "sdmbook") -> str:
    """The BibTeX ``@software`` entry of the book, written from its ``CITATION.cff``.

    Parameters
    ----------
    citation_cff : str or path
        The citation file (Citation File Format 1.2.0) at the repository root.
    key : str
        The BibTeX key.

    Returns
    -------
    str
        An ``@software`` entry (biblatex; BibTeX styles read it as ``@misc``) with the
        title (braced, so a style keeps its capitals), the authors (an entity is braced so it is not split into names), the year
        and month of ``date-released``, ``version``, ``license`` and ``url``
        (``repository-code``).

    Examples
    --------
    Every field comes from the file:

    >>> import tempfile, pathlib
    >>> cff = pathlib.Path(tempfile.mkdtemp()) / "CITATION.cff"
    >>> _ = cff.write_text('cff-version: 1.2.0\\ntitle: A book\\nauthors:\\n  - name: The authors\\n'
    ...                    'version: 1.2.3\\ndate-released: "2026-12-01"\\nlicense: MIT\\n'
    ...                    'repository-code: "https://example.org/book"\\n')
    >>> print(book_bibtex(cff, key="book"))
    @software{book,
      title   = {{A book}},
      author  = {{The authors}},
      year    = {2026},
      month   = {12},
      version = {1.2.3},
      license = {MIT},
      url     = {https://example.org/book},
    }
    """
    import yaml  # PyYAML: installed with the book (Jupyter Book needs it)

    cff = yaml.safe_load(Path(citation_cff).read_text(encoding="utf-8"))
    names = []
    for person in cff["authors"]:
        if "name" in person:  # an entity: braced, so BibTeX keeps it whole
            names.append("{" + person["name"] + "}")
        else:
            names.append(f"{person['family-names']}, {person['given-names']}")
    released = _dt.date.fromisoformat(str(cff["date-released"]))
    fields = {
        "title": "{" + cff["title"] + "}",
        "author": " and ".join(names),
        "year": str(released.year),
        "month": str(released.month),
        "version": str(cff["version"]),
        "license": cff["license"],
        "url": cff["repository-code"],
    }
    width = max(map(len, fields))
    body = "".join(f"  {name:<{width}} = {{{value}}},\n" for name, value in fields.items())
    return f"@software{{{key},\n{body}}}"
