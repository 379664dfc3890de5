"""The sample application the release stories build: a hatchling project whose version comes
from vcrelease's plugin (``[tool.hatch.version] source = "vcrelease"``). The GitHub Action
test (``test_action``) and the continuous-delivery story (``test_flow``) commit these files
and release them.
"""

from __future__ import annotations

from packaging.utils import canonicalize_name

__all__ = ["app_files"]

PYPROJECT = """\
[build-system]
requires = ["hatchling", "vcrelease"]
build-backend = "hatchling.build"

[project]
name = "{name}"
dynamic = ["version"]
description = "The application a release story builds."
readme = "README.md"
requires-python = ">=3.10"

[tool.hatch.version]
source = "vcrelease"

[tool.hatch.build.targets.wheel]
packages = ["src/{module}"]
"""

VERSION_FILE = """
[tool.hatch.build.hooks.vcrelease]

[tool.vcrelease]
version-file = "src/{module}/_version.py"
"""
"""The build hook's table and the version file it writes into the sdist and the wheel."""


def app_files(name: str, *, version_file: bool = False) -> dict[str, str]:
    """The files of the application ``name`` (path relative to the project directory -> text):
    ``pyproject.toml``, ``README.md``, ``src/<module>/__init__.py`` (the module is the
    normalized name with underscores) and a ``.gitignore`` of ``dist/``. ``version_file``:
    vcrelease's build hook writes ``src/<module>/_version.py`` into the sdist and the wheel."""
    module = canonicalize_name(name).replace("-", "_")
    pyproject = PYPROJECT + (VERSION_FILE if version_file else "")
    return {
        "pyproject.toml": pyproject.format(name=name, module=module),
        "README.md": "# app\n",
        ".gitignore": "dist/\n",
        f"src/{module}/__init__.py": "",
    }
