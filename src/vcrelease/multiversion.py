"""Import a deployed version by partial version: ``require("app", "1.2")``.

The run-time half of :mod:`vcrelease.deploy`: a process picks one installed version of a
project from a deploy root and imports it with that version's own dependencies::

    from vcrelease.multiversion import require
    app = require("app", "1")        # the highest installed 1.x (the link ROOT/app/1)
    app = require("app")             # what ROOT/app/live points at

Rules ("as specific as written"):

- no spec: the ``live`` version; ``1`` means ``==1.*``, ``1.2`` means ``==1.2.*`` (the
  partial-version links :mod:`vcrelease.deploy.layout` keeps), an exact version that version;
  PEP 440 specifiers (``>=1.2,<2``) are matched against the installed versions (this imports
  ``packaging``);
- the root is ``root=`` or the ``VCRELEASE_DEPLOY_ROOT`` environment variable;
- the version's ``lib`` directory goes first on ``sys.path``, so its own dependencies are
  the ones imported;
- one version of a name per process: asking for another version of a project already
  required, or a version whose dependency is already imported (or required by another
  project) at another version, raises :class:`ImportError` naming both versions; nothing is
  imported a second time.

This module imports only the standard library on the partial-version path, so it never
loads a copy of a library that a deployed version brings itself.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from email.parser import HeaderParser
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

__all__ = ["ROOT_VARIABLE", "require", "required"]

ROOT_VARIABLE = "VCRELEASE_DEPLOY_ROOT"
_PARTIAL = re.compile(r"^(?:\d+!)?\d+(?:\.\d+)*$")


class _Dist(NamedTuple):
    version: str
    top_level: tuple[str, ...]


class _Required(NamedTuple):
    name: str
    version: str
    lib: str
    dists: dict[str, _Dist]


_REQUIRED: dict[str, _Required] = {}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _same_version(a: str, b: str) -> bool:
    if a == b:
        return True
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return False


def _top_level(info: Path) -> tuple[str, ...]:
    top = info / "top_level.txt"
    if top.is_file():
        return tuple(line.strip() for line in top.read_text("utf-8").splitlines() if line.strip())
    names: set[str] = set()
    record = info / "RECORD"
    if record.is_file():
        for line in record.read_text("utf-8").splitlines():
            first = line.split(",", 1)[0].split("/", 1)[0]
            if not first or first.startswith(".") or first.endswith((".dist-info", ".data")):
                continue
            if first in {"bin", "__pycache__"}:
                continue
            if "/" in line.split(",", 1)[0]:
                names.add(first)
            elif first.endswith(".py"):
                names.add(first[:-3])
    return tuple(sorted(names))


def _scan(lib: Path) -> dict[str, _Dist]:
    """``{normalized name: _Dist}`` of every distribution in ``lib``. ``METADATA`` is read
    with the standard library's email parser, not ``packaging.metadata`` (the package's core
    metadata reader everywhere else): this module must not import a library that a deployed
    version may bring in another version."""
    found = {}
    for info in lib.glob("*.dist-info"):
        try:
            headers = HeaderParser().parsestr((info / "METADATA").read_text("utf-8"))
        except OSError:
            continue
        if headers.get("Name") and headers.get("Version"):
            found[_canonical(headers["Name"])] = _Dist(headers["Version"], _top_level(info))
    return found


def _root(root: str | os.PathLike[str] | None) -> Path:
    if root is None:
        value = os.environ.get(ROOT_VARIABLE)
        if not value:
            raise ImportError(
                f"no deploy root: pass root= or set {ROOT_VARIABLE} to the directory that "
                "`vcrelease deploy install --root` used."
            )
        return Path(value)
    return Path(root)


def _version_dir(root: Path, name: str, spec: str | None) -> Path:
    project = root / _canonical(name)
    if not project.is_dir():
        raise ImportError(f"{name}: nothing deployed under {root} (no {project}).")
    if spec is None:
        entry = "live"
    elif _PARTIAL.match(spec.strip()):
        entry = ".".join(str(int(p)) for p in spec.strip().split("!")[-1].split("."))
        if "!" in spec:
            entry = f"{int(spec.split('!')[0])}!{entry}"
    else:
        from .deploy.layout import installed_versions, select

        try:
            chosen = select(installed_versions(project), spec)
        except Exception as exc:  # ConfigError: a spec that is not one
            raise ImportError(f"{name}: {exc}") from None
        if chosen is None:
            raise ImportError(f"{name}: no installed version matches {spec!r} under {project}.")
        entry = chosen
    path = project / entry
    if not path.is_dir():
        what = "no live version" if spec is None else f"no installed version matches {spec!r}"
        have = sorted(p.name for p in project.iterdir() if not p.name.startswith("."))
        raise ImportError(
            f"{name}: {what} under {project} (there: {', '.join(have) or 'nothing'})."
        )
    real = Path(os.path.realpath(path))
    if real.parent != Path(os.path.realpath(project)):
        raise ImportError(f"{path} points outside {project} (a link changed by hand): refused.")
    return real


def _loaded_version(module: ModuleType, top: str) -> tuple[str | None, str]:
    """(version of the distribution the imported ``module`` came from, where it came from)."""
    origin = getattr(module, "__file__", None) or ""
    if not origin:
        return None, "a built-in or namespace module"
    directory = Path(origin).parent
    if Path(origin).name == "__init__.py":
        directory = directory.parent
    for required in _REQUIRED.values():
        if str(directory) == required.lib:
            for dist in required.dists.values():
                if top in dist.top_level:
                    return dist.version, origin
    for dist in _scan(directory).values():
        if top in dist.top_level:
            return dist.version, origin
    return None, origin


def require(
    name: str,
    spec: str | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    module: str | None = None,
) -> ModuleType:
    """Import the deployed version of ``name`` that ``spec`` names and return its module.

    Args:
        name: the project name (any spelling; PEP 503 normalized).
        spec: None (``live``), a partial version (``1``, ``1.2``), a version, or PEP 440
            specifiers.
        root: the deploy root; default ``$VCRELEASE_DEPLOY_ROOT``.
        module: the top-level module to import and return; default the one named like the
            project, else the project's first top-level module.

    Raises:
        ImportError: no root, nothing matching, or a conflict with a version already
            required or imported in this process (naming both versions).
    """
    version_dir = _version_dir(_root(root), name, spec)
    lib = version_dir / "lib"
    dists = _scan(lib)
    key = _canonical(name)
    if key not in dists:
        raise ImportError(f"{name}: {version_dir} holds no installed distribution of it.")
    version = dists[key].version
    prior = _REQUIRED.get(key)
    if prior is not None and not _same_version(prior.version, version):
        raise ImportError(
            f"{name} {version} was asked for, but {name} {prior.version} is already imported "
            "in this process: one version of a name per process."
        )
    for other in _REQUIRED.values():
        if other.lib == str(lib):
            continue
        for dep, dist in dists.items():
            theirs = other.dists.get(dep)
            if theirs is not None and not _same_version(theirs.version, dist.version):
                raise ImportError(
                    f"{name} {version} needs {dep} {dist.version}, but {other.name} "
                    f"{other.version}, already required, brings {dep} {theirs.version}: one "
                    "version of a name per process."
                )
    for dep, dist in dists.items():
        for top in dist.top_level:
            loaded = sys.modules.get(top)
            if loaded is None:
                continue
            origin = getattr(loaded, "__file__", None) or ""
            if origin.startswith(str(lib) + os.sep):
                continue
            loaded_version, where = _loaded_version(loaded, top)
            if loaded_version is None or not _same_version(loaded_version, dist.version):
                raise ImportError(
                    f"{name} {version} needs {dep} {dist.version}, but {top!r} is already "
                    f"imported from {where} ({dep} {loaded_version or 'of unknown version'}): "
                    "one version of a name per process."
                )
    if str(lib) not in sys.path:
        sys.path.insert(0, str(lib))
        importlib.invalidate_caches()
    _REQUIRED[key] = _Required(name, version, str(lib), dists)
    tops = dists[key].top_level
    chosen = module or (key.replace("-", "_") if key.replace("-", "_") in tops else None)
    if chosen is None:
        if not tops:
            raise ImportError(f"{name} {version}: no top-level module found; pass module=.")
        chosen = tops[0]
    return importlib.import_module(chosen)


def required() -> dict[str, str]:
    """``{normalized name: version}`` of every project :func:`require` loaded here."""
    return {key: each.version for key, each in _REQUIRED.items()}
