"""``vcrelease version``, ``vcrelease describe`` and ``vcrelease archival-file``: the version
of a project and the repository state it comes from.

The rules are the version stage's (:mod:`vcrelease.version.resolve`: PEP 440 versions from
git tags); ``--source-date-epoch`` prints HEAD's commit time for ``SOURCE_DATE_EPOCH``
(reproducible-builds.org, "SOURCE_DATE_EPOCH"); ``archival-file`` writes the template that
``git archive`` fills in (gitattributes(5), ``export-subst``). The command's own path imports no
upload module, twine, requests or rich (import only what the path needs: it runs in every build).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import EXIT_OK, ConfigError

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
        from ..version.explain import explain

        for line in explain(result):
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
    from ..git.session import refuse_foreign_write

    refuse_foreign_write(path, ARCHIVAL_FILE)
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
