"""``vcrelease docker-tags`` and ``vcrelease ci``: the Docker tags and OCI labels of a build,
and what vcrelease decides for the CI run it is in.

One mapping from the Docker options to :func:`vcrelease.publish.buildinfo.docker_tags`
(:func:`add_docker_options`, :func:`docker_tags_for`) serves both commands. The tag rules are
:mod:`vcrelease.publish.docker` (``docs/architecture.md``, "Docker tags"; OCI image spec,
"Pre-Defined Annotation Keys"), the upload decision :mod:`vcrelease.publish.policy`
("Release policy"). ``--format github`` appends step outputs to ``$GITHUB_OUTPUT``
(:mod:`vcrelease.cli.ghoutput`; GitHub Actions docs, "Workflow commands").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EXIT_OK, VcreleaseError

if TYPE_CHECKING:
    from ..publish.buildinfo import BuildInfo
    from ..publish.docker import DockerTags

__all__ = [
    "add_ci_arguments",
    "add_docker_options",
    "add_docker_tags_arguments",
    "docker_tags_for",
    "run_ci",
    "run_docker_tags",
]


def add_docker_tags_arguments(docker: argparse.ArgumentParser) -> None:
    """The options of ``vcrelease docker-tags``: the project directory, the Docker options
    (:func:`add_docker_options`) and ``--format``."""
    _add_formats(
        docker,
        ("lines", "json", "github"),
        "lines: one tag a line (default); json; github: append tags, labels, version to "
        "$GITHUB_OUTPUT",
    )


def add_ci_arguments(ci: argparse.ArgumentParser) -> None:
    """The options of ``vcrelease ci``: as :func:`add_docker_tags_arguments`, with other
    formats, plus ``--allow-dev-branch``."""
    _add_formats(
        ci,
        ("table", "json", "github"),
        "table (default), json, or github: append the decisions to $GITHUB_OUTPUT",
    )
    ci.add_argument(
        "--allow-dev-branch",
        action="append",
        default=[],
        metavar="PATTERN",
        help="branches that may upload dev releases (shell pattern, repeatable; default: any)",
    )


def _add_formats(parser: argparse.ArgumentParser, formats: tuple[str, ...], help_text: str) -> None:
    """The project directory, the Docker options and ``--format`` (the first format is the
    default)."""
    parser.add_argument("path", nargs="?", default=".", type=Path, help="project directory")
    add_docker_options(parser)
    parser.add_argument("--format", choices=formats, default=formats[0], help=help_text)


def add_docker_options(parser: argparse.ArgumentParser) -> None:
    """The options ``docker-tags`` and ``ci`` share: ``--image``, ``--prefix``, ``--suffix``,
    ``--sha``, ``--edge-branch`` (read by :func:`docker_tags_for`)."""
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


def docker_tags_for(info: BuildInfo, args: argparse.Namespace) -> tuple[DockerTags, dict[str, str]]:
    """:func:`vcrelease.publish.buildinfo.docker_tags` with the options of
    :func:`add_docker_options`."""
    from ..publish.buildinfo import docker_tags

    return docker_tags(
        info,
        images=tuple(args.image),
        prefix=args.prefix,
        suffix=args.suffix,
        sha=args.sha,
        edge_branch=args.edge_branch,
    )


def run_docker_tags(args: argparse.Namespace) -> int:
    from ..publish.buildinfo import gather

    info = gather(args.path, os.environ)
    tags, labels = docker_tags_for(info, args)
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


def run_ci(args: argparse.Namespace) -> int:
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
        tags, _labels = docker_tags_for(info, args)
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
    fields = context._asdict()
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
