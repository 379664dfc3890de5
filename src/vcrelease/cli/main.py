"""The ``vcrelease`` command: its parser and the dispatch to one module per subcommand.

Subcommands: ``version``, ``describe``, ``archival-file`` (:mod:`.version`), ``docker-tags``,
``ci`` (:mod:`.docker`), ``projects`` (:mod:`.projects`), ``upload`` (:mod:`.upload`),
``promote`` (:mod:`.promote`),
``channel`` (:mod:`.channel`). Exit codes are those of :mod:`vcrelease.errors` (0 done, 1
refused by policy, 2 usage/configuration, 3 no version, 4 index or network), plus 70 for an
internal error (a bug; ``VCRELEASE_DEBUG=1`` shows the traceback): :func:`.common.run_guarded`.
The upload, promote and channel modules are imported only when their subcommand runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .common import VersionAction, run_guarded
from .docker import add_docker_options, run_ci, run_docker_tags
from .migrate import add_arguments as add_migrate_arguments
from .migrate import run as run_migrate
from .projects import add_arguments as add_projects_arguments
from .projects import run as run_projects
from .version import run_archival_file, run_describe, run_version

__all__ = ["LAZY_COMMANDS", "build_parser", "main", "upload_main"]

LAZY_COMMANDS = ("upload", "promote", "channel")
"""Subcommands whose options live in modules of their own (the upload extra): their options
are added only when that subcommand is the one being run, so ``vcrelease version`` does not
import them (issue 5: import only what the path needs)."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of ``vcrelease``; ``command`` (the subcommand named on the command
    line, if any) decides which of :data:`LAZY_COMMANDS` gets its options."""
    parser = argparse.ArgumentParser(
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

    migrate = sub.add_parser(
        "migrate", help="switch from setuptools-scm / hatch-vcs: the [tool.vcrelease] table"
    )
    add_migrate_arguments(migrate)

    projects = sub.add_parser(
        "projects", help="list the repository's projects that use vcrelease, with versions"
    )
    add_projects_arguments(projects)

    docker = sub.add_parser(
        "docker-tags", help="print the Docker tags and OCI labels of this build"
    )
    docker.add_argument("path", nargs="?", default=".", type=Path, help="project directory")
    add_docker_options(docker)
    docker.add_argument(
        "--format",
        choices=("lines", "json", "github"),
        default="lines",
        help="lines: one tag a line (default); json; github: append tags, labels, version "
        "to $GITHUB_OUTPUT",
    )

    ci = sub.add_parser("ci", help="show the CI context and what vcrelease decides for it")
    ci.add_argument("path", nargs="?", default=".", type=Path, help="project directory")
    add_docker_options(ci)
    ci.add_argument(
        "--allow-dev-branch",
        action="append",
        default=[],
        metavar="PATTERN",
        help="branches that may upload dev releases (shell pattern, repeatable; default: any)",
    )
    ci.add_argument(
        "--format",
        choices=("table", "json", "github"),
        default="table",
        help="table (default), json, or github: append the decisions to $GITHUB_OUTPUT",
    )

    upload = sub.add_parser("upload", help="upload a release once (same as vc-upload)")
    promote = sub.add_parser(
        "promote", help="copy one release's files, same bytes, to another index"
    )
    channel = sub.add_parser(
        "channel", help="build (and upload) or show an indirection package pinned to a release"
    )
    if command == "upload":
        from .upload import add_arguments as add_upload_arguments

        add_upload_arguments(upload)
    elif command == "promote":
        from .promote import add_arguments as add_promote_arguments

        add_promote_arguments(promote)
    elif command == "channel":
        from .channel import add_arguments as add_channel_arguments

        add_channel_arguments(channel)
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
        "docker-tags": run_docker_tags,
        "ci": run_ci,
        "archival-file": run_archival_file,
        "migrate": run_migrate,
        "projects": run_projects,
        "upload": _upload,
        "promote": _promote,
        "channel": _channel,
    }
    return run_guarded(
        "vcrelease",
        lambda: commands[args.command](args),
        json_errors=getattr(args, "format", None) == "json",
    )


def upload_main() -> int:
    """The ``vc-upload`` console script (``vcrelease upload``)."""
    from .upload import main as upload

    return upload()


def _channel(args: argparse.Namespace) -> int:
    from .channel import run

    return run(args, os.environ)


def _promote(args: argparse.Namespace) -> int:
    from .promote import run

    return run(args, os.environ)


def _upload(args: argparse.Namespace) -> int:
    from .upload import run

    return run(args, os.environ)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
