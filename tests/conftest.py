"""Shared fixtures. Add new fixtures below; keep the existing ones as they are."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from repobuilder import FIXTURES_DIR as SCENARIO_DIR
from repobuilder import BuiltRepo, build, load_scenario
from vcrelease.ci import DETECTION_VARIABLES


@pytest.fixture(autouse=True)
def _outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts outside CI, wherever it runs (CI=true in .ci/run, GitHub's runner):
    tests that need a CI build set its variables themselves."""
    for name in DETECTION_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def build_scenario(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], BuiltRepo]:
    """``build_scenario("linear-tag-distance")`` -> the scenario of ``fixtures-repos/`` built
    with real git, once per test session (later calls return the same directory)."""
    cache: dict[str, BuiltRepo] = {}
    base: Path = tmp_path_factory.mktemp("scenarios")

    def get(name: str) -> BuiltRepo:
        if name not in cache:
            cache[name] = build(load_scenario(SCENARIO_DIR / f"{name}.toml"), base / name)
        return cache[name]

    return get
