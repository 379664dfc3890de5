"""``vcrelease migrate [PATH] [--all] [--write]``: from setuptools-scm, vcs-versioning or hatch-vcs.

For the project in ``PATH`` (or, with ``--all``, every project of the repository holding it
whose ``pyproject.toml`` git tracks) prints what the switch changes, project by project: the
``build-system.requires`` entries replaced, removed or kept (with the reason), the tables and
keys removed, the ``[tool.vcrelease]`` table the old settings translate to
(:mod:`vcrelease.migration`), what is left to do by hand in ``setup.py``, and every setting that
has no equivalent. A project that setuptools-scm or hatch-vcs does not version is left alone
and says why (:func:`vcrelease.switch.plan`).

``--write`` rewrites the ``pyproject.toml`` files (:func:`vcrelease.switch.rewrite`), all or
none: refused while a setting would be dropped, unless ``--drop-unsupported``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import load_config, read_pyproject
from ..errors import EXIT_OK, ConfigError
from ..migration import Migration, translate, vcrelease_table
from ..switch import Plan, plan, read_setup_py, rewrite

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", type=Path, help="project directory")
    parser.add_argument(
        "--all",
        action="store_true",
        help="every project of the repository holding PATH (tracked pyproject.toml files)",
    )
    parser.add_argument("--write", action="store_true", help="rewrite pyproject.toml")
    parser.add_argument(
        "--drop-unsupported",
        action="store_true",
        help="with --write: drop the settings that have no equivalent (listed on stderr)",
    )


class _Project:
    """One project's switch: its file, parsed data, translation and plan."""

    def __init__(self, directory: Path, shown: str) -> None:
        self.directory = directory
        self.path = directory / "pyproject.toml"
        self.shown = shown
        self.data = read_pyproject(directory)
        self.migration: Migration = translate(self.data, directory)
        self.plan: Plan = plan(self.data, self.migration, read_setup_py(directory))


def _projects(args: argparse.Namespace) -> list[_Project]:
    if not args.all:
        if not (args.path / "pyproject.toml").is_file():
            raise ConfigError(
                f"{args.path / 'pyproject.toml'} does not exist. Pass the project directory "
                "(or --all for every project of the repository)."
            )
        return [_Project(args.path, str(args.path / "pyproject.toml"))]
    from .. import git

    root = git.find_work_tree(args.path)
    if root is None:
        raise ConfigError(
            f"{args.path} is in no git work tree: --all reads the repository's tracked "
            "pyproject.toml files. Pass one project directory without --all."
        )
    with git.open(root) as repo:
        files = [p for p in repo.tracked_files() if p.rpartition("/")[2] == "pyproject.toml"]
    projects: list[_Project] = []
    for name in sorted(files):
        try:
            projects.append(_Project(root / name.rpartition("/")[0], name))
        except ConfigError as exc:  # a test fixture that is not TOML, say: not a project
            print(f"# {name}: not changed: {exc.message}")
    return projects


def _report(project: _Project) -> None:
    """What the switch changes in ``project``, on stdout; notes and losses on stderr."""
    the_plan = project.plan
    if the_plan.plugin is None:
        print(f"# {project.shown}: not changed: {the_plan.skip}")
        return
    print(f"# {project.shown}: {the_plan.plugin} -> vcrelease")
    replaced = list(the_plan.replace)
    if replaced and the_plan.add_vcrelease:
        print(f"#   build-system.requires: {replaced.pop(0)!r} -> 'vcrelease'")
    elif the_plan.add_vcrelease:
        print("#   build-system.requires: 'vcrelease' added")
    for text in replaced:
        print(f"#   build-system.requires: {text!r} removed")
    for text, why in the_plan.keep:
        print(f"#   build-system.requires: {text!r} kept ({why})")
    for path in the_plan.remove:
        print(f"#   removed {_dotted(path)}")
    if the_plan.hatch_source:
        print('#   [tool.hatch.version] source: "vcs" -> "vcrelease"')
    for key, source in project.migration.sources.items():
        print(f"#   {key} <- {source}")
    print(vcrelease_table(project.migration), end="")
    for note in the_plan.notes:
        print(f"vcrelease migrate: {project.shown}: to do by hand: {note}", file=sys.stderr)
    for setting, why in (*the_plan.refused, *project.migration.unsupported):
        print(
            f"vcrelease migrate: {project.shown}: no equivalent for {setting}: {why}",
            file=sys.stderr,
        )


def _dotted(path: tuple[str, ...]) -> str:
    """``("tool", "hatch", "version", "raw-options")`` -> ``[tool.hatch.version] raw-options``;
    a table's path -> ``[tool.setuptools_scm]``."""
    if path[:3] == ("tool", "hatch", "version") and len(path) == 4:
        return f"[tool.hatch.version] {path[3]}"
    return f"[{'.'.join(path)}]"


def _read(path: Path) -> str:
    """The file's text with its own line ends (``\r\n`` stays)."""
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def run(args: argparse.Namespace) -> int:
    projects = _projects(args)
    for project in projects:
        _report(project)
    switched = [p for p in projects if p.plan.plugin is not None]
    if not switched:
        if args.all:
            print("# no project of this repository uses setuptools-scm or hatch-vcs")
            return EXIT_OK
        raise ConfigError(
            f"{projects[0].path} is not switched: {projects[0].plan.skip}. For the projects "
            "below it in a monorepo, pass --all; see docs/migrating.md."
        )
    if not args.write:
        return EXIT_OK
    lost = sum(len(p.migration.unsupported) + len(p.plan.refused) for p in switched)
    if lost and not args.drop_unsupported:
        raise ConfigError(
            f"not written: {lost} setting(s) above have no equivalent. Rerun with "
            "--drop-unsupported to write without them."
        )
    from ..git.session import refuse_foreign_write

    for project in switched:
        refuse_foreign_write(project.path, "the migrated settings")
    originals = {p.path: _read(p.path) for p in switched}
    texts = {
        p.path: rewrite(originals[p.path], p.migration, p.plan, where=p.shown) for p in switched
    }
    try:
        for project in switched:
            _write(project.path, texts[project.path])
            load_config(project.directory)
    except ConfigError:
        for path, text in originals.items():
            _write(path, text)
        raise
    for project in switched:
        print(f"wrote {project.path}", file=sys.stderr)
    return EXIT_OK
