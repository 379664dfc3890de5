"""vcrelease's own version at build time: ``[tool.hatch.version] source = "code"``.

hatchling loads this file with ``search-paths = ["src"]``, so vcrelease versions itself with
the code of this checkout (not an installed copy) and its ``[tool.vcrelease]`` table, as it
versions any other project: the exact version on a tag, ``0.x.devN`` between releases,
``PKG-INFO`` in an sdist, ``.git_archival.txt`` in a ``git archive`` tarball (``export-subst``
in ``.gitattributes``), and the pretend variables. Where none of those gives a version (no
git and no ``PKG-INFO``, a shallow clone whose cut hides the tag, a dependency missing under
``--no-isolation``), the build stops with the core's message and the fix: vcrelease's own
build never goes on with a made-up version.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["__version__"]

ROOT = Path(__file__).resolve().parent.parent
FIX = (
    "To build vcrelease anyway, set its version: VCRELEASE_PRETEND_VERSION_FOR_VCRELEASE=X.Y.Z "
    "(or SETUPTOOLS_SCM_PRETEND_VERSION_FOR_VCRELEASE)."
)


def _version() -> str:
    try:
        from vcrelease.version.resolve import resolve_version
    except ImportError as error:  # a build without the core's dependencies
        raise SystemExit(
            f"vcrelease's own version: the core cannot be imported ({error}); install "
            f"vcrelease's build requirements (pyproject.toml, [build-system]). {FIX}"
        ) from None
    from vcrelease.errors import VcreleaseError

    try:
        return resolve_version(ROOT).version
    except VcreleaseError as error:
        raise SystemExit(f"vcrelease's own version: {error.message} {FIX}") from None


__version__ = _version()
