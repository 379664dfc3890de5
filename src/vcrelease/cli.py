"""The ``vcrelease`` command.

Subcommands: ``version``, ``describe``, ``archival-file``. Exit codes are those of
:mod:`vcrelease.errors` (0 done, 2 usage/configuration, 3 no version), plus 70 for an
internal error (a bug; ``VCRELEASE_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import EXIT_OK, ConfigError, VcreleaseError

EXIT_INTERNAL = 70


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vcrelease",
        description="Git-derived PEP 440 versions, without the git binary.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"vcrelease {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    version = sub.add_parser("version", help="print the project's version")
    version.add_argument("path", nargs="?", default=".", type=Path, help="project directory")
    version.add_argument("--version-scheme", help="override [tool.vcrelease] version-scheme")
    version.add_argument("--local-scheme", help="override [tool.vcrelease] local-scheme")
    version.add_argument("--explain", action="store_true", help="explain the version on stderr")

    desc = sub.add_parser("describe", help="print the repository state (tag, distance, ...)")
    desc.add_argument("path", nargs="?", default=".", type=Path, help="project directory")
    desc.add_argument("--json", action="store_true", help="print JSON")

    archival = sub.add_parser(
        "archival-file", help="write .git_archival.txt for versions from `git archive`"
    )
    archival.add_argument("path", nargs="?", default=".", type=Path, help="project directory")
    archival.add_argument("--force", action="store_true", help="replace an existing file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "version":
            return _version(args)
        if args.command == "describe":
            return _describe(args)
        return _archival_file(args)
    except VcreleaseError as exc:
        print(f"vcrelease: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # a bug: say so in one paragraph, no traceback by default
        if os.environ.get("VCRELEASE_DEBUG"):
            raise
        print(
            f"vcrelease: internal error: {type(exc).__name__}: {exc}. This is a bug in "
            "vcrelease; run again with VCRELEASE_DEBUG=1 and report the traceback.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _version(args: argparse.Namespace) -> int:
    from .resolve import resolve_version

    result = resolve_version(
        args.path, version_scheme=args.version_scheme, local_scheme=args.local_scheme
    )
    print(result.version)
    if args.explain:
        for line in _explain(result):
            print(line, file=sys.stderr)
    return EXIT_OK


def _explain(result: object) -> list[str]:
    from .resolve import VersionResult

    assert isinstance(result, VersionResult)
    from .ci import BuildContext
    from .config import local_scheme_for

    config = result.config
    context = BuildContext.from_env(os.environ)
    in_ci = "in CI" if context.is_ci else "outside CI"
    local = config.local_scheme or f"{local_scheme_for(config, in_ci=context.is_ci)} ({in_ci})"
    lines = [
        f"version: {result.version}",
        f"source: {result.source} ({result.detail})",
        f"schemes: version-scheme={config.version_scheme} local-scheme={local}",
        f"tag-pattern: {config.tag_pattern.pattern}",
    ]
    state = result.describe
    if state is None:
        return lines
    if state.candidates:
        lines.append("version tags reached from HEAD (nearest first):")
        for c in state.candidates:
            mark = "*" if c.name == state.tag else " "
            bound = "" if c.name == state.tag else " or more"
            lines.append(f"  {mark} {c.name} -> {c.version}, {c.distance}{bound} commits back")
    else:
        lines.append(f"no version tag reached from HEAD; counting all {state.distance} commits")
    lines.append(f"winner: {state.tag or '(none)'}; distance: {state.distance}")
    lines.append(f"node: {state.node}; branch: {state.branch or '(detached HEAD)'}")
    lines.append(f"shallow: {'yes' if state.shallow else 'no'}")
    if state.dirty_files:
        lines.append("dirty, these tracked files differ from HEAD:")
        lines.extend(f"  {name}" for name in state.dirty_files)
    else:
        lines.append("clean: no tracked file differs from HEAD")
    return lines


def _describe(args: argparse.Namespace) -> int:
    from .config import load_config
    from .resolve import describe_project

    state = describe_project(args.path, load_config(args.path))
    if args.json:
        print(json.dumps(state.to_json(), indent=2))
        return EXIT_OK
    suffix = "-dirty" if state.dirty else ""
    print(f"{state.tag or '(no tag)'}-{state.distance}-g{state.node[:7]}{suffix}")
    return EXIT_OK


def _archival_file(args: argparse.Namespace) -> int:
    from .fallbacks import ARCHIVAL_FILE, ARCHIVAL_TEMPLATE, GITATTRIBUTES_LINE

    path: Path = args.path / ARCHIVAL_FILE
    if not args.path.is_dir():
        raise ConfigError(f"{args.path} is not a directory. Pass the project directory.")
    if path.exists() and path.read_text(encoding="utf-8") != ARCHIVAL_TEMPLATE and not args.force:
        raise ConfigError(
            f"{path} exists with other content. Compare it with the template "
            "(`vcrelease archival-file --force` replaces it)."
        )
    path.write_text(ARCHIVAL_TEMPLATE, encoding="utf-8")
    print(f"wrote {path}")
    attributes = args.path / ".gitattributes"
    present = attributes.exists() and any(
        line.split()[:2] == GITATTRIBUTES_LINE.split()
        for line in attributes.read_text(encoding="utf-8").splitlines()
    )
    if present:
        print(f"{attributes} already has: {GITATTRIBUTES_LINE}")
    else:
        print(f"add this line to {attributes} and commit both files:")
        print(f"  {GITATTRIBUTES_LINE}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
