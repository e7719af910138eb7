"""sdmlib.provenance: the build-provenance table and the book's BibTeX entry."""

from __future__ import annotations

import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from sdmlib import __version__
from sdmlib.provenance import PACKAGES, book_bibtex, build_provenance, git_commit

ROOT = Path(__file__).resolve().parents[1]
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def test_provenance_lists_every_field_as_text():
    info = build_provenance(ROOT)
    assert list(info) == ["sdmbook", "git commit", "build date", "Python", *PACKAGES]
    assert all(isinstance(v, str) and v for v in info.values())
    assert info["sdmbook"] == metadata.version("sdmbook") == __version__
    assert info["numpy"] == metadata.version("numpy")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", info["build date"])


def test_source_date_epoch_fixes_the_build_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796083200")  # 2026-12-01 00:00:00 UTC
    assert build_provenance(ROOT)["build date"] == "2026-12-01 00:00 UTC"


def test_a_missing_distribution_is_reported_not_raised(monkeypatch):
    monkeypatch.setattr("sdmlib.provenance.PACKAGES", ("numpy", "no-such-distribution-xyz"))
    assert build_provenance(ROOT)["no-such-distribution-xyz"] == "not installed"


def test_no_git_gives_unknown(tmp_path, monkeypatch):
    assert git_commit(tmp_path) == "unknown"          # not a work tree
    monkeypatch.setenv("PATH", str(tmp_path))        # no git executable at all
    assert git_commit(ROOT) == "unknown"


@needs_git
def test_commit_is_short_hash_and_dirty_tree_is_marked(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "a.txt").write_text("one\n")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "first")
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert git_commit(tmp_path) == head
    assert git_commit(tmp_path / ".") == head
    (tmp_path / "a.txt").write_text("two\n")
    assert git_commit(tmp_path) == f"{head} (modified)"
    git("checkout", "-q", "a.txt")
    (tmp_path / "new.txt").write_text("untracked\n")
    assert git_commit(tmp_path) == f"{head} (modified)"


def test_book_bibtex_matches_citation_cff():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    entry = book_bibtex(ROOT / "CITATION.cff")
    assert entry.startswith("@software{sdmbook,\n") and entry.endswith("}")
    assert f"version = {{{cff['version']}}}," in entry
    assert f"url     = {{{cff['repository-code']}}}," in entry
    assert "author  = {{The sdmbook authors}}," in entry
    assert "year    = {2026}," in entry
    # braces balance, so BibTeX reads the entry to its end
    assert entry.count("{") == entry.count("}")


def test_book_bibtex_names_people_family_first(tmp_path):
    cff = tmp_path / "CITATION.cff"
    cff.write_text("title: T\nauthors:\n  - family-names: Kanerva\n    given-names: Pentti\n"
                   "  - family-names: Jaeckel\n    given-names: Louis A.\n"
                   "version: 0.0.1\ndate-released: 1988-01-31\nlicense: MIT\nrepository-code: https://example.org\n")
    assert "author  = {Kanerva, Pentti and Jaeckel, Louis A.}," in book_bibtex(cff)
