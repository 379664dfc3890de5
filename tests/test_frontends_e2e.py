"""Every common build frontend on the samples: pip, uv and hatch, builds and editable installs.

``python -m build`` and the wheel built from an sdist are in ``test_build_e2e.py``; here the
other frontends, each checking the version in the metadata and, for editable installs, the
version file in the work tree (``import sample._version`` in the installed environment, over a
stale file holding an old version). Every build is isolated: the frontend installs
``build-system.requires`` from the package index, vcrelease from the session's wheelhouse
(``build_env``, ``conftest.py``), with no ``git`` on ``PATH``.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from gitutil import git
from test_build_e2e import (
    BACKENDS,
    VERSION_FILE,
    assert_clean,
    built,
    head,
    make_sample,
    metadata_version,
    needs_git,
    sdist_members,
    version_file_values,
    wheel_members,
)
from vcrelease.version.versionfile import render_version_file

VERSION = "1.2.4.dev5"
WHEEL = f"sample-{VERSION}-py3-none-any.whl"
SDIST = f"sample-{VERSION}.tar.gz"

pytestmark = [pytest.mark.slow, needs_git]
needs_uv = pytest.mark.skipif(importlib.util.find_spec("uv") is None, reason="uv not installed")
needs_hatch = pytest.mark.skipif(
    importlib.util.find_spec("hatch") is None, reason="hatch not installed"
)


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run ``cmd``; its output, after asserting it succeeded."""
    done = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=900
    )
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def dists(outdir: Path) -> list[str]:
    """The files built into ``outdir``, less the ``.gitignore`` uv and hatch put there."""
    return [name for name in built(outdir) if not name.startswith(".")]


def check_wheel(path: Path, node: str) -> None:
    wheel = wheel_members(path)
    assert metadata_version(wheel, "METADATA") == VERSION
    values = version_file_values(wheel["sample/_version.py"])
    assert values["__version__"] == VERSION
    assert values["__commit_id__"] == "g" + node[:9]


@pytest.mark.parametrize("backend", BACKENDS)
def test_pip_wheel(backend: str, build_env: dict[str, str], tmp_path: Path) -> None:
    repo = make_sample(backend, tmp_path / "repo")
    out = tmp_path / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(repo)],
        repo,
        build_env,
    )
    assert dists(out) == [WHEEL]
    check_wheel(out / WHEEL, head(repo))
    assert_clean(repo)


@needs_uv
@pytest.mark.parametrize("backend", BACKENDS)
def test_uv_build_sdist_then_wheel_from_it(
    backend: str, build_env: dict[str, str], tmp_path: Path
) -> None:
    """``uv build`` makes the sdist, then the wheel from the unpacked sdist (no .git there)."""
    repo = make_sample(backend, tmp_path / "repo")
    out = tmp_path / "dist"
    run([sys.executable, "-m", "uv", "build", "--out-dir", str(out), str(repo)], repo, build_env)
    assert dists(out) == [WHEEL, SDIST]
    assert metadata_version(sdist_members(out / SDIST), "PKG-INFO") == VERSION
    check_wheel(out / WHEEL, head(repo))
    assert_clean(repo)


@needs_hatch
def test_hatch_build(build_env: dict[str, str], tmp_path: Path) -> None:
    repo = make_sample("hatchling", tmp_path / "repo")
    out = tmp_path / "dist"
    env = {
        **build_env,
        "HATCH_DATA_DIR": str(tmp_path / "hatch-data"),
        "HATCH_CACHE_DIR": str(tmp_path / "hatch-cache"),
    }
    run([sys.executable, "-m", "hatch", "build", str(out)], repo, env)
    assert dists(out) == [WHEEL, SDIST]
    assert metadata_version(sdist_members(out / SDIST), "PKG-INFO") == VERSION
    check_wheel(out / WHEEL, head(repo))
    assert_clean(repo)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("installer", ["pip", pytest.param("uv", marks=needs_uv)])
def test_editable_install_writes_the_version_file_over_a_stale_one(
    installer: str, backend: str, build_env: dict[str, str], tmp_path: Path
) -> None:
    """``pip install -e`` / ``uv pip install -e``: ``import sample._version`` works and states
    the version from git, not the stale file's; ``git status`` shows nothing (it is ignored).
    """
    repo = make_sample(backend, tmp_path / "repo")
    stale = repo / VERSION_FILE
    stale.write_text(render_version_file("0.0.1", None), encoding="utf-8")
    venv = tmp_path / "venv"
    python = str(venv / "bin" / "python")
    if installer == "pip":
        run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, build_env)
        install = [sys.executable, "-m", "pip", "--python", python, "install"]
    else:
        run([sys.executable, "-m", "uv", "venv", "-q", "--python", sys.executable, str(venv)],
            tmp_path, build_env)  # fmt: skip
        install = [sys.executable, "-m", "uv", "pip", "install", "--python", python]
    run([*install, "--no-deps", "-e", str(repo)], repo, build_env)

    code = (
        "import importlib.metadata, sample, sample._version as v\n"
        "print(importlib.metadata.version('sample'), v.__version__, v.__commit_id__,"
        " sample.__version__, sample.__file__)\n"
    )
    shown = run([python, "-c", code], tmp_path, build_env).split()
    assert shown[:4] == [VERSION, VERSION, "g" + head(repo)[:9], VERSION]
    assert Path(shown[4]).resolve() == (repo / "src/sample/__init__.py").resolve()
    assert version_file_values(stale.read_bytes())["__version__"] == VERSION
    assert git(repo, "status", "--porcelain") == ""
