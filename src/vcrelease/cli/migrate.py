"""``vcrelease migrate [PATH] [--write]``: from setuptools-scm, vcs-versioning or hatch-vcs.

Prints the ``[tool.vcrelease]`` table the project's old settings translate to
(:mod:`vcrelease.migration`), the build-system change and every setting that has no
equivalent; ``--write`` rewrites ``pyproject.toml`` (refused while a setting would be dropped,
unless ``--drop-unsupported``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import load_config, read_pyproject
from ..errors import EXIT_OK, ConfigError
from ..migration import rewrite, translate, vcrelease_table

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", type=Path, help="project directory")
    parser.add_argument("--write", action="store_true", help="rewrite pyproject.toml")
    parser.add_argument(
        "--drop-unsupported",
        action="store_true",
        help="with --write: drop the settings that have no equivalent (listed on stderr)",
    )


def run(args: argparse.Namespace) -> int:
    path: Path = args.path / "pyproject.toml"
    data = read_pyproject(args.path)
    if not data:
        raise ConfigError(f"{path} does not exist. Pass the project directory.")
    tool = data.get("tool", {})
    if "vcrelease" in tool:
        raise ConfigError(
            f"{path} already has [tool.vcrelease]; a build reports any old setting it cannot "
            "honour. Remove the old tables by hand."
        )
    migration = translate(data, args.path)
    backend = str(data.get("build-system", {}).get("build-backend", ""))
    hatch = backend.startswith("hatchling")
    if not migration.tables:
        raise ConfigError(
            f"{path} has none of [tool.setuptools_scm], [tool.vcs-versioning], "
            "[tool.hatch.version] source = 'vcs', [tool.hatch.build.hooks.vcs]: nothing to "
            "migrate. See the README, 'Use it in your project'."
        )
    print(f"# {path}: replaces {', '.join(migration.tables)}")
    print("# build-system.requires: setuptools-scm / hatch-vcs -> vcrelease")
    if hatch:
        print('# [tool.hatch.version] source = "vcs" -> "vcrelease"')
    for key, source in migration.sources.items():
        print(f"# {key} <- {source}")
    print(vcrelease_table(migration), end="")
    for setting, why in migration.unsupported:
        print(f"vcrelease migrate: no equivalent for {setting}: {why}", file=sys.stderr)
    if not args.write:
        return EXIT_OK
    if migration.unsupported and not args.drop_unsupported:
        raise ConfigError(
            f"not written: {len(migration.unsupported)} setting(s) above have no equivalent. "
            "Rerun with --drop-unsupported to write without them."
        )
    from ..git.session import refuse_foreign_write

    refuse_foreign_write(path, "the migrated settings")
    text = rewrite(path.read_text(encoding="utf-8"), migration, hatch=hatch)
    original = path.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    try:
        load_config(args.path)
    except ConfigError:
        path.write_text(original, encoding="utf-8")
        raise
    print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK
