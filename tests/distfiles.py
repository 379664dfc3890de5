"""Real distribution files for upload tests: a wheel and an sdist of a tiny hatchling project.

``make_dists(tmp_path, "demo-pkg", "1.0.0", payload="a")`` builds the project with hatchling
(from the test environment, no network) and a fixed ``SOURCE_DATE_EPOCH``, so the same (name,
version, payload) gives byte-identical files, from any directory and at any time, and another
payload gives other bytes under the same file names.

The build runs in the test's process, as ``python -m build --no-isolation`` runs it: the sdist
from the project, then the wheel from the unpacked sdist, through hatchling's builders (the
classes its PEP 517 hooks call). That takes tens of milliseconds instead of one to two seconds
for ``python -m build``'s three processes; :func:`build_with_frontend` is the frontend's way,
and ``test_dists.py`` holds the two byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import threading
from collections.abc import Sequence
from pathlib import Path

from packaging.utils import canonicalize_name

SOURCE_DATE_EPOCH = "1700000000"
"""2023-11-14T22:13:20Z: every timestamp in the archives."""

_PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "{version}"
description = "A tiny project for vcrelease upload tests."
readme = "README.md"
requires-python = ">=3.8"
license = "MIT"
dependencies = {dependencies}

[tool.hatch.build.targets.wheel]
packages = ["src/{module}"]

[tool.hatch.build.targets.sdist]
include = ["src/{module}", "README.md", "pyproject.toml"]
"""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_dists(
    tmp_path: Path,
    name: str,
    version: str,
    *,
    payload: str,
    dependencies: Sequence[str] = (),
) -> list[Path]:
    """Build ``[wheel, sdist]`` of project ``name`` at ``version`` under ``tmp_path``.

    ``payload`` is written into the package, so it decides the bytes: same arguments, same
    bytes (a second call with the same arguments and ``tmp_path`` returns the files already
    built); another payload, other bytes under the same names. File names follow the build
    backend (``demo_pkg-1.0.0-py3-none-any.whl``, ``demo_pkg-1.0.0.tar.gz``).
    ``dependencies``: PEP 508 requirements written as ``Requires-Dist``.
    """
    normalized = canonicalize_name(name)
    module = normalized.replace("-", "_")
    key = f"{name}\0{version}\0{payload}\0{chr(0).join(dependencies)}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    work = tmp_path / f"dists-{normalized}-{version}-{digest}"
    out = work / "dist"
    existing = sorted(out.glob("*.whl")) + sorted(out.glob("*.tar.gz")) if out.is_dir() else []
    if len(existing) == 2:
        return existing
    project = work / "project"
    package = project / "src" / module
    package.mkdir(parents=True, exist_ok=True)
    (project / "pyproject.toml").write_text(
        _PYPROJECT.format(
            name=name, version=version, module=module, dependencies=json.dumps(list(dependencies))
        ),
        encoding="utf-8",
    )
    (project / "README.md").write_text(
        f"# {name}\n\nA tiny project for vcrelease upload tests.\n", encoding="utf-8"
    )
    (package / "__init__.py").write_text(f"PAYLOAD = {payload!r}\n", encoding="utf-8")
    _build_in_process(project, out)
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise RuntimeError(f"expected one wheel and one sdist in {out}, found {wheels + sdists}")
    return [wheels[0], sdists[0]]


_DROPPED = ("VCRELEASE_", "HATCH_", "PIP_")
"""Variables a build must not see (they would change what hatchling or vcrelease do)."""
_BUILDING = threading.Lock()
"""One in-process build at a time: the environment is changed while it runs."""


def _build_in_process(project: Path, out: Path) -> None:
    """The sdist of ``project``, then the wheel from the unpacked sdist, into ``out``, with
    hatchling's builders in this process (what ``python -m build --no-isolation`` asks of
    hatchling's hooks, without the processes)."""
    from hatchling.builders.sdist import SdistBuilder
    from hatchling.builders.wheel import WheelBuilder

    with _BUILDING:
        saved = dict(os.environ)
        for key in [k for k in os.environ if k.startswith(_DROPPED)]:
            del os.environ[key]
        os.environ["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
        try:
            sdist = Path(next(SdistBuilder(str(project)).build(directory=str(out))))
            unpacked = project.parent / "from-sdist"
            with tarfile.open(sdist) as archive:
                archive.extractall(unpacked, filter="data")
            (root,) = unpacked.iterdir()
            next(WheelBuilder(str(root)).build(directory=str(out)))
        finally:
            os.environ.clear()
            os.environ.update(saved)


def build_with_frontend(project: Path, out: Path) -> list[Path]:
    """``[wheel, sdist]`` of ``project`` built by ``python -m build --no-isolation`` (three
    processes: the frontend and one per hook), for the test that holds
    :func:`_build_in_process` to it.

    Raises:
        RuntimeError: the build fails (its output in the message).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED)}
    env["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(project)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"python -m build failed:\n{result.stdout}\n{result.stderr}")
    return sorted(out.glob("*.whl")) + sorted(out.glob("*.tar.gz"))
