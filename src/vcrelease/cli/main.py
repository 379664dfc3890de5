"""The ``vcrelease`` command: its parser and the dispatch to one module per subcommand.

Subcommands: ``version``, ``describe``, ``archival-file`` (:mod:`.version`), ``docker-tags``,
``ci`` (:mod:`.docker`), ``migrate`` (:mod:`.migrate`), ``projects`` (:mod:`.projects`),
``upload`` (:mod:`.upload`), ``promote`` (:mod:`.promote`), ``channel`` (:mod:`.channel`),
``deploy`` (:mod:`.deploy`).
Exit codes are those of :mod:`vcrelease.errors` (0 done, 1 refused by policy, 2
usage/configuration, 3 no version, 4 index or network, 5 credentials rejected), plus 70 for
an internal error (a bug; ``VCRELEASE_DEBUG=1`` shows the traceback):
:func:`.common.run_guarded`. Every subcommand module but :mod:`.version` is imported only
when its subcommand runs (:data:`LAZY_COMMANDS`).
"""

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

from .common import Parser, VersionAction, run_guarded
from .version import run_archival_file, run_describe, run_version

__all__ = [
    "LAZY_COMMANDS",
    "build_parser",
    "main",
    "upload_main",
]


class _Command(NamedTuple):
    """A subcommand whose module is imported only when it runs."""

    module: str  # in this package
    add_arguments: str  # (parser) -> None
    run: str  # (args) -> int, or (args, environ) -> int with ``environ``
    help: str
    environ: bool = False


_LAZY = {
    "migrate": _Command(
        "migrate",
        "add_arguments",
        "run",
        "switch from setuptools-scm / hatch-vcs: the [tool.vcrelease] table",
    ),
    "projects": _Command(
        "projects",
        "add_arguments",
        "run",
        "list the repository's projects that use vcrelease, with versions",
    ),
    "docker-tags": _Command(
        "docker",
        "add_docker_tags_arguments",
        "run_docker_tags",
        "print the Docker tags and OCI labels of this build",
    ),
    "ci": _Command(
        "docker",
        "add_ci_arguments",
        "run_ci",
        "show the CI context and what vcrelease decides for it",
    ),
    "upload": _Command(
        "upload", "add_arguments", "run", "upload a release once (same as vc-upload)", True
    ),
    "promote": _Command(
        "promote",
        "add_arguments",
        "run",
        "copy one release's files, same bytes, to another index",
        True,
    ),
    "channel": _Command(
        "channel",
        "add_arguments",
        "run",
        "build (and upload) or show an indirection package pinned to a release",
        True,
    ),
    "validation": _Command(
        "validation",
        "add_arguments",
        "run",
        "record test results bound to a release's bytes, or show them",
        True,
    ),
    "deploy": _Command(
        "deploy",
        "add_arguments",
        "run",
        "several versions side by side: install, live, rollback, list, remove, run",
        True,
    ),
}

LAZY_COMMANDS = tuple(_LAZY)
"""Subcommands whose module is imported only when that subcommand is the one being run (its
options are added then), so ``vcrelease version`` imports none of them: the start-up path
of every build imports only what it needs."""


def _command_module(command: str) -> ModuleType:
    return import_module(f".{_LAZY[command].module}", __package__)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of ``vcrelease``; ``command`` (the subcommand named on the command
    line, if any) decides which of :data:`LAZY_COMMANDS` gets its options."""
    parser = Parser(
        prog="vcrelease",
        description="Git-derived PEP 440 versions, without the git binary.",
    )
    parser.add_argument("--version", action=VersionAction)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    version = sub.add_parser("version", help="print the project's version")
    version.add_argument("path", nargs="?", default=".", type=Path, help="project directory")
    version.add_argument("--version-scheme", help="override [tool.vcrelease] version-scheme")
    version.add_argument("--local-scheme", help="override [tool.vcrelease] local-scheme")
    version.add_argument("--explain", action="store_true", help="explain the version on stderr")
    version.add_argument(
        "--source-date-epoch",
        action="store_true",
        help="print HEAD's commit time in seconds since 1970 instead (for SOURCE_DATE_EPOCH)",
    )

    desc = sub.add_parser("describe", help="print the repository state (tag, distance, ...)")
    desc.add_argument("path", nargs="?", default=".", type=Path, help="project directory")
    desc.add_argument("--json", action="store_true", help="print JSON")

    archival = sub.add_parser(
        "archival-file", help="write .git_archival.txt for versions from `git archive`"
    )
    archival.add_argument("path", nargs="?", default=".", type=Path, help="project directory")
    archival.add_argument("--force", action="store_true", help="replace an existing file")

    for name, lazy in _LAZY.items():
        parser_of = sub.add_parser(name, help=lazy.help)
        if name == command:
            getattr(_command_module(name), lazy.add_arguments)(parser_of)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The subcommand in ``argv``: its first word that is not an option (the top-level parser
    has no option taking a value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(_command_in(argv)).parse_args(argv)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "version": run_version,
        "describe": run_describe,
        "archival-file": run_archival_file,
    }
    run = commands.get(args.command)
    if run is None:
        lazy = _LAZY[args.command]
        command = getattr(_command_module(args.command), lazy.run)
        run = (lambda args: command(args, os.environ)) if lazy.environ else command
    return run_guarded(
        "vcrelease",
        lambda: run(args),
        json_errors=getattr(args, "format", None) == "json",
    )


def upload_main() -> int:
    """``vc-upload`` (``vcrelease upload``) on ``sys.argv``; returns the exit code."""
    from .upload import main as upload

    return upload()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
