"""The ``vcrelease`` command.

Subcommands: ``version``, ``describe``, ``archival-file``, ``docker-tags``, ``ci``. Exit codes
are those of :mod:`vcrelease.errors` (0 done, 1 refused by policy, 2 usage/configuration, 3 no
version, 4 index or network), plus 70 for an internal error (a bug; ``VCRELEASE_DEBUG=1`` shows
the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EXIT_OK, ConfigError, VcreleaseError, redact_text

if TYPE_CHECKING:
    from ..publish.buildinfo import BuildInfo
    from ..publish.docker import DockerTags

EXIT_INTERNAL = 70


LAZY_COMMANDS = ("upload", "promote", "channel")
"""Subcommands whose options live in modules of their own (the upload extra): their options
are added only when that subcommand is the one being run, so ``vcrelease version`` does not
import them (issue 5: import only what the path needs)."""


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; ``command`` (the subcommand named on the command line, if any)
    decides which of :data:`LAZY_COMMANDS` gets its options."""
    parser = argparse.ArgumentParser(
        prog="vcrelease",
        description="Git-derived PEP 440 versions, without the git binary.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"vcrelease {__version__}")
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

    docker = sub.add_parser(
        "docker-tags", help="print the Docker tags and OCI labels of this build"
    )
    docker.add_argument("path", nargs="?", default=".", type=Path, help="project directory")
    _docker_options(docker)
    docker.add_argument(
        "--format",
        choices=("lines", "json", "github"),
        default="lines",
        help="lines: one tag a line (default); json; github: append tags, labels, version "
        "to $GITHUB_OUTPUT",
    )

    ci = sub.add_parser("ci", help="show the CI context and what vcrelease decides for it")
    ci.add_argument("path", nargs="?", default=".", type=Path, help="project directory")
    _docker_options(ci)
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
        from .upload import add_arguments

        add_arguments(upload)
    elif command == "promote":
        from .upload import add_promote_arguments

        add_promote_arguments(promote)
    elif command == "channel":
        from .channel import add_arguments as add_channel_arguments

        add_channel_arguments(channel)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The subcommand in ``argv``: its first word that is not an option (the top-level parser
    has no option taking a value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def _docker_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="NAME",
        help="image name (repeatable); without it the bare tags are printed",
    )
    parser.add_argument("--prefix", default="", help="put before every tag, e.g. rpi-")
    parser.add_argument(
        "--suffix",
        default="",
        help="put after every tag, e.g. --suffix=-arm64 (with =: it starts with -)",
    )
    parser.add_argument("--sha", action="store_true", help="add sha-<7 hex> of the commit")
    parser.add_argument("--edge-branch", metavar="NAME", help="add `edge` on pushes to this branch")


def _docker_tags_for(
    info: BuildInfo, args: argparse.Namespace
) -> tuple[DockerTags, dict[str, str]]:
    """:func:`vcrelease.publish.buildinfo.docker_tags` with the options of
    :func:`_docker_options`."""
    from ..publish.buildinfo import docker_tags

    return docker_tags(
        info,
        images=tuple(args.image),
        prefix=args.prefix,
        suffix=args.suffix,
        sha=args.sha,
        edge_branch=args.edge_branch,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(_command_in(argv)).parse_args(argv)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "version": _version,
        "describe": _describe,
        "docker-tags": _docker_tags,
        "ci": _ci,
        "archival-file": _archival_file,
        "upload": _upload,
        "promote": _promote,
        "channel": _channel,
    }
    return run_guarded("vcrelease", lambda: commands[args.command](args))


def run_guarded(prog: str, command: Callable[[], int]) -> int:
    """Run ``command``: a :class:`VcreleaseError` becomes its message and exit code, any other
    exception a one-paragraph internal error (exit 70; ``VCRELEASE_DEBUG=1`` re-raises)."""
    try:
        return command()
    except VcreleaseError as exc:
        print(f"{prog}: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `... | head` closed stdout: not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so in one paragraph, no traceback by default
        if os.environ.get("VCRELEASE_DEBUG"):
            raise
        print(
            f"{prog}: internal error: {type(exc).__name__}: {redact_text(str(exc))}. This is a "
            "bug in vcrelease; run again with VCRELEASE_DEBUG=1 and report the traceback.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def upload_main() -> int:
    """The ``vc-upload`` console script (``vcrelease upload``)."""
    from .upload import main as upload

    return upload()


def _channel(args: argparse.Namespace) -> int:
    from .channel import run

    return run(args, os.environ)


def _promote(args: argparse.Namespace) -> int:
    from .upload import run_promote

    return run_promote(args, os.environ)


def _upload(args: argparse.Namespace) -> int:
    from .upload import run

    return run(args, os.environ)


def _version(args: argparse.Namespace) -> int:
    from ..version.resolve import resolve_version

    if args.source_date_epoch:
        return _source_date_epoch(args)
    result = resolve_version(
        args.path, version_scheme=args.version_scheme, local_scheme=args.local_scheme
    )
    print(result.version)
    if args.explain:
        for line in _explain(result):
            print(line, file=sys.stderr)
    return EXIT_OK


def _source_date_epoch(args: argparse.Namespace) -> int:
    """HEAD's committer time: every rebuild of one commit then stamps the same times into its
    archives (reproducible-builds.org, SOURCE_DATE_EPOCH), so a racing rebuild gives
    byte-identical files and its upload is a skip."""
    from ..config import load_config
    from ..git.reader import find_work_tree, head_state

    root = find_work_tree(args.path)
    if root is None:
        raise ConfigError(
            f"{args.path} is not in a git work tree, so it has no commit time. Run it in the "
            "checkout (an sdist keeps the times it was built with)."
        )
    load_config(args.path)  # the same configuration errors as `version`
    print(int(head_state(root).commit_time.timestamp()))
    return EXIT_OK


def _explain(result: object) -> list[str]:
    from ..version.resolve import VersionResult

    assert isinstance(result, VersionResult)
    config = result.config
    applied = result.applied  # what resolve_version used: nothing is worked out again here
    if applied is None:
        schemes = f"none applied (the {result.source} version is used as it is)"
    else:
        local = applied.local_scheme
        if applied.local_scheme_by_context is not None:
            local += f" ({applied.local_scheme_by_context})"
        schemes = f"version-scheme={applied.version_scheme} local-scheme={local}"
    lines = [
        f"version: {result.version}",
        f"source: {result.source} ({result.detail})",
        f"schemes: {schemes}",
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
    if applied is not None:
        lines.append(f"dev number: {_dev_rule(applied.dev_number)}")
    lines.append(f"node: {state.node}; branch: {state.branch or '(detached HEAD)'}")
    lines.append(f"shallow: {'yes' if state.shallow else 'no'}")
    if state.dirty_files:
        lines.append("dirty, these tracked files differ from HEAD:")
        lines.extend(f"  {name}" for name in state.dirty_files)
    else:
        lines.append("clean: no tracked file differs from HEAD")
    return lines


def _dev_rule(dev_number: object) -> str:
    from ..version.devnumber import DevNumber

    assert isinstance(dev_number, DevNumber)
    run = dev_number.run_number
    number = ""
    if dev_number.rule == "run":  # outside CI there are no runs: the distance stays
        number = f" (run {run})" if run is not None else " (no run number: the distance)"
    return f"{dev_number.rule}{number}, from {dev_number.reason}"


def _describe(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..version.resolve import describe_project

    state = describe_project(args.path, load_config(args.path))
    if args.json:
        print(json.dumps(state.to_json(), indent=2))
        return EXIT_OK
    suffix = "-dirty" if state.dirty else ""
    print(f"{state.tag or '(no tag)'}-{state.distance}-g{state.node[:7]}{suffix}")
    return EXIT_OK


def _archival_file(args: argparse.Namespace) -> int:
    from ..version.fallbacks import ARCHIVAL_FILE, ARCHIVAL_TEMPLATE, GITATTRIBUTES_LINE

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


def _docker_tags(args: argparse.Namespace) -> int:
    from ..publish.buildinfo import gather

    info = gather(args.path, os.environ)
    tags, labels = _docker_tags_for(info, args)
    for warning in tags.warnings:
        print(f"vcrelease: warning: {warning}", file=sys.stderr)
    version = info.version.version
    if args.format == "json":
        out = {"tags": tags.tags, "labels": labels, "version": version, "warnings": tags.warnings}
        print(json.dumps(out, indent=2))
        return EXIT_OK
    print("\n".join(tags.tags))
    if args.format == "github":
        from .ghoutput import append_outputs

        path = append_outputs(
            os.environ,
            {
                "tags": "\n".join(tags.tags),
                "labels": "\n".join(f"{k}={v}" for k, v in labels.items()),
                "version": version,
            },
        )
        print(f"vcrelease: wrote outputs tags, labels, version to {path}", file=sys.stderr)
    return EXIT_OK


def _ci(args: argparse.Namespace) -> int:
    from ..ci.context import BuildContext
    from ..config import load_config

    config = load_config(args.path)
    report: dict[str, object] = {}
    code = EXIT_OK
    try:
        from ..publish.buildinfo import gather, repo_facts
        from ..publish.policy import decide

        info = gather(args.path, os.environ, config=config)
        context = info.context
        tags, _labels = _docker_tags_for(info, args)
        facts = info.facts or repo_facts(args.path, config, context)
        version = info.version.version
        report["version"] = version
        report["version_source"] = f"{info.version.source} ({info.version.detail})"
        if facts is None:
            report["upload"] = "unknown: no git repository to check the release policy against"
        else:
            decision = decide(context, version, facts, allowed_branches=args.allow_dev_branch)
            report["kind"] = decision.kind
            report["release"] = decision.kind == "release"
            report["upload"] = decision.action
            report["upload_reason"] = decision.reason
        report["docker_tags"] = tags.tags
        report["warnings"] = tags.warnings
    except VcreleaseError as exc:
        context = BuildContext.from_env(os.environ)
        report["error"] = exc.message
        code = exc.exit_code
    fields = dict(vars(context))
    fields["ref_name"] = context.ref_name
    full = {"context": fields, **report}
    if args.format == "json":
        print(json.dumps(full, indent=2))
    else:
        _print_table(full)
    if args.format == "github" and code == EXIT_OK:
        from .ghoutput import append_outputs

        flat = {f"ci-{k.replace('_', '-')}": _text(v) for k, v in fields.items()}
        flat.update({k.replace("_", "-"): _text(v) for k, v in report.items()})
        append_outputs(os.environ, flat)
    if "error" in report:
        print(f"vcrelease: error: {report['error']}", file=sys.stderr)
    return code


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(map(str, value))
    return str(value)


def _print_table(full: dict[str, object]) -> None:
    context = full.pop("context")
    assert isinstance(context, dict)
    rows = [(f"ci.{k}", _text(v)) for k, v in context.items()]
    rows += [(k, _text(v)) for k, v in full.items()]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        lines = value.splitlines() or [""]
        print(f"{key:<{width}}  {lines[0]}")
        for line in lines[1:]:
            print(f"{'':<{width}}  {line}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
