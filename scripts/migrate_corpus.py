"""The migration corpus: published projects' build configuration, switched by ``vcrelease migrate``.

``tests/fixtures-migrate/corpus/<name>-<version>/`` holds the ``pyproject.toml``, ``setup.cfg``
and ``setup.py`` of a published sdist of a project that uses setuptools-scm or hatch-vcs, and a
``SOURCE`` note (the sdist's file name and where it came from).

Usage:
    python scripts/migrate_corpus.py collect SDIST_DIR...  # copy the files of unpacked sdists
    python scripts/migrate_corpus.py table                 # rewrite docs/dropin-corpus.md

``collect`` takes unpacked sdist directories (each holding ``PKG-INFO``), for instance those
uv leaves in its cache after ``uv pip install --no-deps --no-binary NAME --target DIR NAME``
(``<cache>/sdists-v*/pypi/<name>/<version>/<id>/src``; uv unpacks the sdist before it
builds, so a build that fails still leaves it there). ``table`` migrates each entry in a
temporary copy (:func:`migrate_entry`) and writes the table; ``tests/test_migrate_corpus.py``
checks that the committed page equals what ``table`` writes.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from email.parser import HeaderParser
from pathlib import Path
from typing import NamedTuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures-migrate" / "corpus"
PAGE = ROOT / "docs" / "dropin-corpus.md"
FILES = ("pyproject.toml", "setup.cfg", "setup.py")

__all__ = ["CORPUS", "PAGE", "Outcome", "collect", "main", "migrate_entry", "page"]


class Outcome(NamedTuple):
    """One corpus entry migrated with ``vcrelease migrate --write`` in a temporary copy.

    Attributes:
        entry: the entry's directory name (``<name>-<version>``).
        code: the exit code of ``migrate --write``.
        stdout: its report.
        stderr: its notes and errors.
        before: the parsed ``pyproject.toml`` before.
        after: the parsed ``pyproject.toml`` after (None when the file does not parse).
        text: the text written.
    """

    entry: str
    code: int
    stdout: str
    stderr: str
    before: dict[str, object]
    after: dict[str, object] | None
    text: str


def collect(sources: list[Path]) -> list[str]:
    """Copy the build configuration of each unpacked sdist in ``sources`` into the corpus;
    returns the entry names."""
    names: list[str] = []
    for source in sources:
        info = HeaderParser().parsestr((source / "PKG-INFO").read_text(encoding="utf-8"))
        entry = f"{info['Name']}-{info['Version']}"
        target = CORPUS / entry
        target.mkdir(parents=True, exist_ok=True)
        copied = []
        for name in FILES:
            if (source / name).is_file():
                shutil.copyfile(source / name, target / name)
                copied.append(name)
        (target / "SOURCE").write_text(
            f"{', '.join(copied)} of the sdist of {info['Name']} {info['Version']}, as "
            "published on PyPI (unchanged).\n",
            encoding="utf-8",
        )
        names.append(entry)
    return names


def migrate_entry(entry: Path) -> Outcome:
    """Run ``vcrelease migrate --write --drop-unsupported`` (in this process) on a temporary
    copy of ``entry``."""
    import contextlib
    import io

    from vcrelease.cli.main import main as vcrelease

    before = tomllib.loads((entry / "pyproject.toml").read_text(encoding="utf-8"))
    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / entry.name
        shutil.copytree(entry, work)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = vcrelease(["migrate", str(work), "--write", "--drop-unsupported"])
        text = (work / "pyproject.toml").read_text(encoding="utf-8")
    try:
        after: dict[str, object] | None = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        after = None
    stdout = out.getvalue().replace(str(work), entry.name)
    stderr = err.getvalue().replace(str(work), entry.name)
    return Outcome(entry.name, code, stdout, stderr, before, after, text)


def _plugin(before: dict[str, object]) -> str:
    build = before.get("build-system", {})
    requires = build.get("requires", []) if isinstance(build, dict) else []
    found = [
        r
        for r in requires
        if re.match(r"(?i)\s*(setuptools[-_]scm|hatch[-_]vcs|vcs[-_]versioning)", r)
    ]
    return ", ".join(f"`{r}`" for r in found) or "-"


def _losses(stderr: str) -> str:
    lost = [
        line.split("no equivalent for ", 1)[1].split(":", 1)[0]
        for line in stderr.splitlines()
        if "no equivalent for " in line
    ]
    return ", ".join(f"`{s}`" for s in lost) or "-"


def _layout(text: str) -> str:
    kinds = []
    if "{" in text and ("tool = {" in text or "= { source" in text or "= {source" in text):
        kinds.append("inline tables")
    if any(line.startswith(("version.", "build.")) for line in text.splitlines()):
        kinds.append("dotted keys")
    return ", ".join(kinds) or "tables"


def page(outcomes: list[Outcome]) -> str:
    """The text of ``docs/dropin-corpus.md`` for ``outcomes``."""
    lines = [
        "# `vcrelease migrate` on published projects",
        "",
        "Generated by `python scripts/migrate_corpus.py table` from",
        "`tests/fixtures-migrate/corpus/` (the `pyproject.toml`, `setup.cfg` and `setup.py` of",
        "each project's sdist); `tests/test_migrate_corpus.py` checks that this page is up to",
        "date and that each result holds: the file parses, `build-system.requires` names",
        "`vcrelease`, the old plugin tables are gone, and everything else is unchanged.",
        "",
        '"dropped" lists the settings `--drop-unsupported` left out (no equivalent yet; the',
        "test's expected-refusal table names each one and fails when one starts to work).",
        "",
        "| project | plugin requirement | layout | result | dropped |",
        "|---|---|---|---|---|",
    ]
    for o in outcomes:
        if o.code != 0:
            reason = o.stderr.rsplit("is not switched: ", 1)[-1].split(". ", 1)[0]
            result = f"left alone (exit {o.code}): {reason}"
        else:
            first = o.stdout.splitlines()[0] if o.stdout else ""
            result = "not changed" if "not changed" in first else first.split(": ", 1)[-1]
        layout = _layout((CORPUS / o.entry / "pyproject.toml").read_text(encoding="utf-8"))
        lines.append(
            f"| {o.entry} | {_plugin(o.before)} | {layout} | {result} | {_losses(o.stderr)} |"
        )
    return "\n".join(lines) + "\n"


def entries() -> list[Path]:
    """The corpus entries, by name."""
    return sorted(p for p in CORPUS.iterdir() if (p / "pyproject.toml").is_file())


def main(argv: list[str]) -> int:
    if argv[:1] == ["collect"]:
        for name in collect([Path(a) for a in argv[1:]]):
            print(name)
        return 0
    if argv == ["table"]:
        PAGE.write_text(page([migrate_entry(e) for e in entries()]), encoding="utf-8")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
