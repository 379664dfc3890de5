"""``vcrelease migrate --write`` on the build configuration of published projects.

``tests/fixtures-migrate/corpus/`` holds the ``pyproject.toml`` / ``setup.cfg`` / ``setup.py``
of sdists of projects that use setuptools-scm or hatch-vcs (``scripts/migrate_corpus.py``
collects them). Each is migrated in a temporary copy and the result checked against the
original: it parses, ``build-system.requires`` names vcrelease in place of the plugin, the
plugin's tables are gone, and every other key is unchanged. ``docs/dropin-corpus.md`` is the
table of the results, checked to be up to date.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from vcrelease.migration import translate

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "migrate_corpus", ROOT / "scripts" / "migrate_corpus.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["migrate_corpus"] = module
    spec.loader.exec_module(module)
    return module


corpus = _script()
ENTRIES = [p.name for p in corpus.entries()]

EXPECTED_REFUSALS: dict[str, list[str]] = {}
"""Settings with no equivalent yet, which ``--drop-unsupported`` leaves out: each entry must
still be refused (the test fails when one starts to work, so the list stays honest)."""

LEFT_ALONE = {
    "setuptools-scm-10.3.4": "build-system.requires names neither setuptools-scm nor hatch-vcs",
    "vcs-versioning-2.6.0": "build-system.requires names neither setuptools-scm nor hatch-vcs",
}
"""Projects that version themselves with their own code (``setup.py``), not a plugin:
``migrate`` must leave them alone and say why."""

PLUGINS = {"setuptools-scm", "hatch-vcs", "vcs-versioning"}


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Any]:
    return {e.name: corpus.migrate_entry(e) for e in corpus.entries()}


def test_the_corpus_holds_thirty_projects_that_use_a_plugin() -> None:
    users = [e for e in ENTRIES if e not in LEFT_ALONE]
    assert len(users) >= 30, users
    for entry in ENTRIES:
        assert (corpus.CORPUS / entry / "SOURCE").is_file(), entry


def _names(requires: list[str]) -> list[str]:
    return [str(canonicalize_name(Requirement(r).name)) for r in requires]


def _without_migrated(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without what a switch may change: requires, the plugins' tables and keys,
    ``[tool.vcrelease]``, hatch's version source and vcs/vcrelease hooks; emptied tables
    dropped."""
    out = copy.deepcopy(data)
    out.get("build-system", {}).pop("requires", None)
    tool = out.get("tool", {})
    for name in ("setuptools_scm", "vcs-versioning", "vcrelease"):
        tool.pop(name, None)
    hatch = tool.get("hatch", {})
    hatch.pop("version", None)
    hooks = hatch.get("build", {}).get("hooks", {})
    for name in ("vcs", "vcrelease"):
        hooks.pop(name, None)
    return _pruned(out)


def _pruned(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without the tables that only held tables emptied by the removals."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            value = _pruned(value)
            if not value:
                continue
        out[key] = value
    return out


@pytest.mark.parametrize("entry", ENTRIES)
def test_migrate_write_switches_the_published_configuration(
    entry: str, outcomes: dict[str, Any]
) -> None:
    outcome = outcomes[entry]
    before = outcome.before
    if entry in LEFT_ALONE:
        assert outcome.code == 2, outcome.stderr
        assert LEFT_ALONE[entry] in outcome.stderr
        assert outcome.after == before
        return
    assert outcome.code == 0, outcome.stderr
    assert "internal error" not in outcome.stderr
    after = outcome.after
    assert after is not None, outcome.text
    old_requires = before["build-system"]["requires"]
    new_requires = after["build-system"]["requires"]
    assert "vcrelease" in new_requires
    assert [r for r in new_requires if r != "vcrelease"] == [
        r for r, n in zip(old_requires, _names(old_requires), strict=True) if n not in PLUGINS
    ]
    tool = after["tool"]
    assert "setuptools_scm" not in tool
    assert "vcs-versioning" not in tool
    assert "vcs" not in tool.get("hatch", {}).get("build", {}).get("hooks", {})
    assert tool.get("hatch", {}).get("version", {}).get("source") in (None, "vcrelease")
    assert tool["vcrelease"] == translate(before).vcrelease
    assert _without_migrated(after) == _without_migrated(before)
    dropped = [
        line.split("no equivalent for ", 1)[1].split(": ", 1)[0]
        for line in outcome.stderr.splitlines()
        if "no equivalent for " in line
    ]
    assert dropped == EXPECTED_REFUSALS.get(entry, [])


def test_expected_refusals_name_corpus_entries() -> None:
    assert set(EXPECTED_REFUSALS) <= set(ENTRIES)
    assert set(LEFT_ALONE) <= set(ENTRIES)


def test_the_corpus_page_is_up_to_date(outcomes: dict[str, Any]) -> None:
    want = corpus.page([outcomes[e] for e in ENTRIES])
    assert corpus.PAGE.read_text(encoding="utf-8") == want, (
        "run `python scripts/migrate_corpus.py table`"
    )


def test_every_row_of_the_corpus_page_has_every_column() -> None:
    rows = [
        line for line in corpus.PAGE.read_text(encoding="utf-8").splitlines() if line[:1] == "|"
    ]
    assert len(rows) == len(ENTRIES) + 2
    assert {row.count(" | ") for row in rows if not row.startswith("|---")} == {4}
