"""``vcrelease deploy``: several versions of a project side by side (:mod:`vcrelease.deploy`).

Subcommands::

    deploy install NAME==VERSION [--root DIR] [--index-url URL] [--installer pip|uv]
    deploy live NAME VERSION [--root DIR]        # VERSION may be partial: `1.2`
    deploy rollback NAME [--root DIR]
    deploy list [NAME] [--root DIR] [--format table|json]
    deploy remove NAME VERSION [--root DIR]
    deploy run NAME[@SPEC] [--root DIR] [--script S] -- ARGS...

``--root`` defaults to ``$VCRELEASE_DEPLOY_ROOT``. Exit codes: 1 refused (another user's
root, removing what ``live`` or ``previous`` points at, a link changed by hand), 2 usage or
nothing matching, 4 the installer failed.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from pathlib import Path

from ..errors import EXIT_OK, ConfigError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="deploy_command", required=True, metavar="ACTION")

    def with_root(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--root",
            type=Path,
            help="the deploy root (default: $VCRELEASE_DEPLOY_ROOT)",
        )
        return p

    install = with_root(sub.add_parser("install", help="install NAME==VERSION beside the others"))
    install.add_argument("requirement", help="NAME==VERSION")
    install.add_argument("--index-url", help="the package index (simple API) to install from")
    install.add_argument("--installer", choices=("pip", "uv"), default="pip")

    live = with_root(
        sub.add_parser("live", help="point live at a version (previous keeps the old)")
    )
    live.add_argument("name")
    live.add_argument("version", help="a version or partial version (1.2)")

    rollback = with_root(sub.add_parser("rollback", help="swap live and previous"))
    rollback.add_argument("name")

    listing = with_root(sub.add_parser("list", help="versions, links and live of each project"))
    listing.add_argument("name", nargs="?")
    listing.add_argument("--format", choices=("table", "json"), default="table")

    remove = with_root(sub.add_parser("remove", help="remove a version that is not live"))
    remove.add_argument("name")
    remove.add_argument("version")

    run_ = with_root(sub.add_parser("run", help="run a version's console script"))
    run_.add_argument("target", help="NAME or NAME@SPEC (SPEC: 1, 1.2, 1.2.3; none: live)")
    run_.add_argument("--script", help="the console script (default: the one named like NAME)")
    run_.add_argument(
        "args",
        nargs=argparse.REMAINDER,
        help="-- then the script's arguments (--root and --script may come before --)",
    )


def _root(args: argparse.Namespace, environ: Mapping[str, str]) -> Path:
    if args.root is not None:
        return Path(args.root)
    value = environ.get("VCRELEASE_DEPLOY_ROOT")
    if not value:
        raise ConfigError(
            "no deploy root: pass --root DIR or set VCRELEASE_DEPLOY_ROOT (the directory that "
            "holds one directory per deployed project)."
        )
    return Path(value)


def _split_at_dashes(words: list[str]) -> tuple[list[str], list[str]]:
    if "--" in words:
        at = words.index("--")
        return words[:at], words[at + 1 :]
    return words, []


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from ..deploy import operations

    action = args.deploy_command
    if action == "run" and args.root is None:
        late_root = _split_at_dashes(list(args.args))[0]
        if "--root" in late_root[:-1]:
            args.root = Path(late_root[late_root.index("--root") + 1])
    root = _root(args, environ)
    if action == "install":
        result = operations.install(
            root, args.requirement, index_url=args.index_url, installer=args.installer
        )
        what = "already installed" if result.already else f"installed with {args.installer}"
        print(f"{result.name} {result.version}: {what} in {result.path}")
        for link, target in result.links.items():
            print(f"  {link} -> {target}")
        return EXIT_OK
    if action == "live":
        chosen, previous = operations.set_live(root, args.name, args.version)
        print(f"{args.name}: live -> {chosen}" + (f" (previous: {previous})" if previous else ""))
        return EXIT_OK
    if action == "rollback":
        live, previous = operations.rollback(root, args.name)
        print(f"{args.name}: live -> {live} (previous: {previous})")
        return EXIT_OK
    if action == "remove":
        operations.remove(root, args.name, args.version)
        print(f"{args.name}: removed {args.version}")
        return EXIT_OK
    if action == "list":
        states = operations.states(root, args.name)
        if args.format == "json":
            print(
                json.dumps({"root": str(root), "projects": [s.as_dict() for s in states]}, indent=2)
            )
            return EXIT_OK
        for state in states:
            print(f"{state.name}  live: {state.live or '-'}  previous: {state.previous or '-'}")
            print(f"  versions: {', '.join(state.versions) or '-'}")
            for link, target in state.links.items():
                print(f"  {link} -> {target}")
        if not states:
            print(f"nothing deployed under {root}")
        return EXIT_OK
    # run: argparse gives everything after NAME[@SPEC] to the script, so the options that may
    # stand between NAME and `--` are read here.
    head, rest = _split_at_dashes(list(args.args))
    late = argparse.ArgumentParser(prog="vcrelease deploy run", add_help=False)
    late.add_argument("--root", type=Path)
    late.add_argument("--script")
    options, unknown = late.parse_known_args(head)
    if unknown:
        raise ConfigError(
            f"vcrelease deploy run: {' '.join(unknown)}: put the script's arguments after `--` "
            f"(`vcrelease deploy run {args.target} -- {' '.join(unknown)}`)."
        )
    if options.root is not None:
        root = options.root
    name, _, spec = args.target.partition("@")
    version_dir = operations.resolve(root, name, spec or None)
    script = operations.script_path(version_dir, options.script or args.script)
    os.execv(script, [str(script), *rest])
