"""``vcrelease version``, ``vcrelease describe`` and ``vcrelease archival-file``: the version
of a project and the repository state it comes from.

The rules are the version stage's (:mod:`vcrelease.version.resolve`: PEP 440 versions from
git tags); ``--source-date-epoch`` prints HEAD's commit time for ``SOURCE_DATE_EPOCH``
(reproducible-builds.org, "SOURCE_DATE_EPOCH"); ``archival-file`` writes the template that
``git archive`` fills in (gitattributes(5), ``export-subst``). The command's own path imports no
upload module, twine, requests or rich (issue 5: import only what the path needs).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EXIT_OK, ConfigError

if TYPE_CHECKING:  # the version stage is imported when a command runs, not at start-up
    from ..version.devnumber import DevNumber
    from ..version.resolve import VersionResult

__all__ = ["run_archival_file", "run_describe", "run_version"]


def run_version(args: argparse.Namespace) -> int:
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
    from .. import git
    from ..config import load_config

    root = git.find_work_tree(args.path)
    if root is None:
        raise ConfigError(
            f"{args.path} is not in a git work tree, so it has no commit time. Run it in the "
            "checkout (an sdist keeps the times it was built with)."
        )
    load_config(args.path)  # the same configuration errors as `version`
    with git.open(root) as repo:
        print(int(repo.head_state().commit_time.timestamp()))
    return EXIT_OK


def _explain(result: VersionResult) -> list[str]:
    """The lines of ``--explain``: what :func:`~vcrelease.version.resolve.resolve_version`
    applied (``result.applied``) and the repository state it read; nothing is recomputed."""
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
        winner = next((c for c in state.candidates if c.name == state.tag), None)
        for c in state.candidates:
            mark = "*" if c is winner else " "
            note = ""
            if winner is None or c is winner or c.commit != winner.commit:
                pass
            elif _same_version(c.version, winner.version):
                note = f" (same commit, same version: {winner.name} is first in byte order)"
            else:
                note = f" (same commit: {winner.name} is the higher version)"
            back = f"{c.distance} commits back{note}"
            lines.append(f"  {mark} {c.name} -> {c.version}, {back}")
    else:
        lines.append(f"no version tag reached from HEAD; counting all {state.distance} commits")
    lines.append(f"winner: {state.tag or '(none)'}; distance: {state.distance}")
    if state.scope is not None:
        since = f"since {state.tag}" if state.tag else "reachable from HEAD"
        lines.append(
            f"distance-scope: {state.scope.describe()}: {state.distance} of the "
            f"{state.unscoped_distance} commits {since} touch it; the dirty state counts "
            "only tracked files under it"
        )
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


def _same_version(a: str, b: str) -> bool:
    from packaging.version import Version  # the candidates' versions parsed already

    return Version(a) == Version(b)


def _dev_rule(dev_number: DevNumber) -> str:
    run = dev_number.run_number
    number = ""
    if dev_number.rule == "run":  # outside CI there are no runs: the distance stays
        number = f" (run {run})" if run is not None else " (no run number: the distance)"
    return f"{dev_number.rule}{number}, from {dev_number.reason}"


def run_describe(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..version.resolve import describe_project

    state = describe_project(args.path, load_config(args.path))
    if args.json:
        print(json.dumps(state.to_json(), indent=2))
        return EXIT_OK
    suffix = "-dirty" if state.dirty else ""
    print(f"{state.tag or '(no tag)'}-{state.distance}-g{state.node[:7]}{suffix}")
    return EXIT_OK


def run_archival_file(args: argparse.Namespace) -> int:
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
