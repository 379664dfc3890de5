"""Shared fixtures. Add new fixtures below; keep the existing ones as they are."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from repobuilder import FIXTURES_DIR as SCENARIO_DIR
from repobuilder import BuiltRepo, build, load_scenario
from vcrelease.ci.context import DETECTION_VARIABLES

REPO_ROOT = Path(__file__).resolve().parent.parent

if TYPE_CHECKING:  # imported by the fixtures that need them: requests stays unloaded otherwise
    from faultproxy import FaultProxy
    from servers import DevpiServer, IndexServer


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


# --- package index servers (vc-upload tests) ---------------------------------------------------
# Real servers on 127.0.0.1 (tests/servers.py), started once per session and stopped at the end;
# tests share them and use their own project names (``unique_project``).


@pytest.fixture(scope="session")
def pypiserver_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """pypiserver, upload needs the password, default fallback: unknown projects redirect to
    pypi.org (``fallback=True``); refuses to overwrite a file."""
    from servers import start_pypiserver

    proc, server = start_pypiserver(tmp_path_factory.mktemp("pypiserver"), fallback=True)
    with proc:
        yield server


@pytest.fixture(scope="session")
def pypiserver_nofallback_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """pypiserver with ``--disable-fallback``: unknown projects are 404."""
    from servers import start_pypiserver

    proc, server = start_pypiserver(
        tmp_path_factory.mktemp("pypiserver-nofallback"),
        fallback=False,
        name="pypiserver --disable-fallback",
    )
    with proc:
        yield server


@pytest.fixture(scope="session")
def pypiserver_overwrite_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """pypiserver with ``--overwrite --disable-fallback``: it would replace a file's bytes."""
    from servers import start_pypiserver

    proc, server = start_pypiserver(
        tmp_path_factory.mktemp("pypiserver-overwrite"),
        fallback=False,
        overwrite=True,
        name="pypiserver --overwrite",
    )
    with proc:
        yield server


@pytest.fixture(scope="session")
def devpi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevpiServer]:
    """devpi-server with a user and the indexes ``staging`` (volatile) and ``production``."""
    from servers import start_devpi

    proc, server = start_devpi(tmp_path_factory.mktemp("devpi"))
    with proc:
        yield server


@pytest.fixture(scope="session")
def devpi_staging(devpi_server: DevpiServer) -> IndexServer:
    """The volatile devpi index (it would accept an overwrite)."""
    return devpi_server.staging


@pytest.fixture(scope="session")
def devpi_production(devpi_server: DevpiServer) -> IndexServer:
    """The non-volatile devpi index (it refuses other bytes under an existing name)."""
    return devpi_server.production


@pytest.fixture
def unique_project(request: pytest.FixtureRequest) -> str:
    """A project name no other test uses (``t-<test name>-<random>``, PEP 503 normalized)."""
    stem = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    return f"t-{stem}-{secrets.token_hex(4)}"


@pytest.fixture
def make_fault_proxy() -> Iterator[Callable[[str], FaultProxy]]:
    """``make_fault_proxy(server.base_url)`` -> a running :class:`FaultProxy` (mode ``pass``)
    in front of it; closed after the test. Use ``server.via(proxy.url)`` to go through it."""
    from faultproxy import FaultProxy

    proxies: list[FaultProxy] = []

    def make(upstream: str) -> FaultProxy:
        proxy = FaultProxy(upstream)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


# --- isolated builds (test_build_e2e.py, test_frontends_e2e.py) --------------------------------


@pytest.fixture(scope="session")
def vcrelease_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding a wheel of this checkout (built once per session)."""
    outdir = tmp_path_factory.mktemp("wheelhouse")
    # No isolation: hatchling (our build backend) is a test dependency, so this takes a second.
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", outdir, REPO_ROOT],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    wheels = list(outdir.glob("vcrelease-*.whl"))
    assert len(wheels) == 1, wheels
    return outdir


@pytest.fixture(scope="session")
def build_env(
    vcrelease_wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """Environment for ``python -m build``: our wheel offered to pip, no git on PATH.

    pip finds vcrelease in the wheelhouse (the package index has no project of that name),
    pinned to this checkout's version by a constraint so that an index never wins.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VCRELEASE_", "SETUPTOOLS_SCM_", "VCS_VERSIONING_", "GIT_"))
        and k not in DETECTION_VARIABLES  # session-scoped: made before the autouse fixture runs
    }
    links = [str(vcrelease_wheelhouse)]
    if env.get("PIP_FIND_LINKS"):
        links.append(env["PIP_FIND_LINKS"])
    env["PIP_FIND_LINKS"] = " ".join(links)

    (wheel,) = vcrelease_wheelhouse.glob("vcrelease-*.whl")
    our_version = wheel.name.split("-")[1]
    constraints = tmp_path_factory.mktemp("constraints") / "constraints.txt"
    constraints.write_text(f"vcrelease=={our_version}\n", encoding="utf-8")
    env["PIP_CONSTRAINT"] = " ".join(filter(None, [env.get("PIP_CONSTRAINT"), str(constraints)]))

    # The same for uv (uv build, uv pip install, python -m build --installer uv): the
    # wheelhouse, and the pin for build environments and installs.
    env["UV_FIND_LINKS"] = str(vcrelease_wheelhouse)
    env["UV_BUILD_CONSTRAINT"] = str(constraints)
    env["UV_CONSTRAINT"] = str(constraints)
    env["PATH"] = path_without_git(tmp_path_factory.mktemp("bin"))
    assert shutil.which("git", path=env["PATH"]) is None
    return env


def path_without_git(bindir: Path) -> str:
    """``PATH`` minus every directory that holds a ``git``, plus ``python`` in ``bindir``.

    ``python`` is a small script that execs this interpreter (a symlink would lose the
    virtual environment: Python finds ``pyvenv.cfg`` next to the path it was started as).
    """
    for name in ("python", "python3"):
        script = bindir / name
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    kept = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and shutil.which("git", path=entry) is None
    ]
    return os.pathsep.join([str(bindir), *kept])


# --- hypothesis profiles (property tests, tests/test_version_oracle.py) ------------------------
# ``ci`` (the default): a fixed budget, no deadline (2 shared cores make timings noisy), no
# example database, so every run of the suite is alike. ``fuzz`` (``VCRELEASE_FUZZ=1``, or
# ``HYPOTHESIS_PROFILE=fuzz``; ``nox -s fuzz``): many more examples, for a search by hand.


def _register_hypothesis_profiles() -> None:
    import os

    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # the property tests skip themselves without hypothesis
        return
    slow = [HealthCheck.too_slow]
    settings.register_profile(
        "ci", max_examples=1000, database=None, derandomize=True, deadline=None,
        suppress_health_check=slow,
    )  # fmt: skip
    settings.register_profile(
        "fuzz", max_examples=200_000, deadline=None, suppress_health_check=slow
    )
    default = "fuzz" if os.environ.get("VCRELEASE_FUZZ") == "1" else "ci"
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", default))


_register_hypothesis_profiles()
