"""The project's metadata agree: one repository URL, one version, one licence.

The repository URL is typed in ``_config.yml`` (book pages read it as ``{{ repository_url }}``),
in ``README.md`` (GitHub shows it without the book) and in ``CITATION.cff``; the version is typed
in ``pyproject.toml``, ``CITATION.cff`` and the site's footer. These checks keep the copies equal.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

import sdmlib

ROOT = Path(__file__).resolve().parents[1]


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def _cff() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def _version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _repository_url() -> str:
    url = _config()["repository"]["url"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url), url
    return url


def test_config_has_the_repository_section_and_substitution():
    config = _config()
    assert config["repository"]["branch"] == "main"
    assert config["repository"]["path_to_book"] == ""
    assert config["parse"]["myst_substitutions"]["repository_url"] == _repository_url()


def test_readme_and_citation_name_the_same_repository():
    url = _repository_url()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", readme))
    assert named == {url}, f"README.md names {sorted(named)}, _config.yml says {url}"
    assert _cff()["repository-code"] == url
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    links = re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", changelog)
    assert links and set(links) == {url}, f"CHANGELOG.md links {sorted(set(links))}, _config.yml says {url}"


def test_book_pages_read_the_url_instead_of_typing_it():
    url = _repository_url()
    typed = [p.name for p in (ROOT / "book").glob("*.md") if url in p.read_text(encoding="utf-8")]
    assert not typed, f"type {{{{ repository_url }}}} instead of the URL in: {typed}"
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    assert "repository_url" in intro


def test_one_version_everywhere():
    version = _version()
    assert str(_cff()["version"]) == version
    assert sdmlib.__version__ == version
    footer = _config()["html"]["extra_footer"]
    assert re.search(rf"\bsdmbook {re.escape(version)}\b", footer), footer
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d\d-\d\d$", changelog, re.M)


def test_citation_file_says_what_the_brief_says():
    cff = _cff()
    assert cff["cff-version"] == "1.2.0"
    assert cff["license"] == "MIT"
    assert cff["authors"] == [{"name": "The sdmbook authors"}]
    assert str(cff["date-released"]) == "2026-12-01"
    paper = cff["references"][0]
    assert paper["title"] == "Attention Approximates Sparse Distributed Memory"
    assert "2111.05498" in paper["url"]


def test_license_file_is_mit_and_matches_the_package():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 The sdmbook authors" in text
    assert "THE SOFTWARE IS PROVIDED \"AS IS\"" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"


#: Packages whose __init__ re-exports their submodules' public names: documented as one entry.
DOCUMENTED_AS_PACKAGE = ("sdmlib.memories", "sdmlib.cli", "sdmlib.probe")


def _public_modules() -> set[str]:
    """Every importable public module of sdmlib, from the file tree (nothing is imported)."""
    names = set()
    for path in (ROOT / "sdmlib").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(p.startswith("_") for p in parts[1:]) or parts[-1] == "__main__":
            continue
        name = ".".join(parts)
        if not any(name.startswith(pkg + ".") for pkg in DOCUMENTED_AS_PACKAGE):
            names.add(name)
    return names


def _api_pages() -> dict[str, str]:
    """``{module: page}`` for every ``automodule`` of the API pages (``book/api/*.md``)."""
    found: dict[str, str] = {}
    for page in sorted((ROOT / "book" / "api").glob("*.md")):
        for name in re.findall(r"\.\. automodule:: (sdmlib[\w.]*)", page.read_text(encoding="utf-8")):
            assert name not in found, f"{name} is documented twice: {found[name]} and {page.name}"
            found[name] = page.name
    return found


def test_api_reference_has_one_page_per_public_module():
    """A new module without its page (or a page for a module that is gone) fails."""
    pages = _api_pages()
    modules = _public_modules() - {"sdmlib"}  # the package itself is documented on book/api.md
    assert modules - set(pages) == set(), (
        f"modules without a page in book/api/: {sorted(modules - set(pages))} "
        "(add book/api/<module>.md with its automodule and list it under book/api in _toc.yml)")
    assert set(pages) - modules == set(), f"book/api/ documents missing modules: {sorted(set(pages) - modules)}"
    several = {page for page in pages.values() if list(pages.values()).count(page) > 1}
    assert not several, f"API pages documenting more than one module: {sorted(several)}"
    assert "automodule:: sdmlib\n" in (ROOT / "book" / "api.md").read_text(encoding="utf-8")


def test_every_api_page_is_in_the_table_of_contents():
    """A page left out of _toc.yml is not built (only_build_toc_files), so its module would vanish."""
    def files(entries):
        for entry in entries or []:
            if "file" in entry:
                yield entry["file"]
            yield from files(entry.get("sections"))
            yield from files(entry.get("chapters"))

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    listed = set(files(toc.get("parts"))) | set(files(toc.get("chapters")))
    pages = {f"book/api/{p.stem}" for p in (ROOT / "book" / "api").glob("*.md")}
    assert pages - listed == set(), f"API pages missing from _toc.yml: {sorted(pages - listed)}"
