"""``vcrelease promote NAME==VERSION``: copy one release's files, the same bytes, from one
index to another (staging -> production).

The rules are :mod:`vcrelease.publish.promote` (read the source with the simple repository API,
PEP 503 / PEP 691, check every sha256, check the dependencies on the target) and vc-upload's
index rules (:mod:`vcrelease.publish.upload`; ``docs/architecture.md``, "Upload"): never an
overwrite, identical files skipped.

Exit codes: 0 done; 1 refused (a source file that does not match its hash, unpromoted
dependencies, other bytes on the target); 2 usage or configuration; 4 index or network failure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from ..errors import ConfigError, register_url_credentials
from .common import add_account_arguments, target_from_args
from .report import show_report

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``vcrelease promote``."""
    parser.add_argument("spec", metavar="NAME==VERSION", help="the release to promote")
    parser.add_argument(
        "--from", dest="source", metavar="URL", help="source simple index (PEP 503 base URL)"
    )
    parser.add_argument(
        "--from-repository", metavar="NAME", help="source: a .pypirc section (its upload URL)"
    )
    parser.add_argument("--to", dest="target", metavar="URL", help="target upload URL")
    parser.add_argument("--index-url", help="target's simple API base (derived when not given)")
    add_account_arguments(parser)
    parser.add_argument("--dry-run", action="store_true", help="check and plan, upload nothing")
    parser.add_argument(
        "--all-markers",
        action="store_true",
        help="check every dependency, whatever its environment marker",
    )
    parser.add_argument(
        "--allow-unpromoted-dependencies",
        action="store_true",
        help="promote even when a dependency has no satisfying version on the target",
    )
    parser.add_argument("--verbose", action="store_true", help="say each step on stderr")


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Run ``vcrelease promote``; returns the exit code.

    Raises:
        VcreleaseError: bad input (2), a source file that does not match its hash or
            unpromoted dependencies (1), index failures (4).
    """
    import tempfile

    import requests

    from ..publish.promote import (
        PromotionRefused,
        fetch_release,
        parse_spec,
        requirements_of,
        unpromoted_dependencies,
    )
    from ..publish.simpleapi import redact_url
    from ..publish.upload import (
        index_session,
        resolve_target,
        upload_checked,
    )

    def log(text: str) -> None:
        if args.verbose:
            print(f"vcrelease promote: {text}", file=sys.stderr)

    spec = parse_spec(args.spec)
    source = args.source
    register_url_credentials(source)
    if source is None and args.from_repository is not None:
        source_target, _ = resolve_target(
            repository_url=None,
            repository_name=args.from_repository,
            index_url=None,
            username=None,
            password=None,
            config_file=args.config_file,
            need_password=False,
            progress=False,
            timeout=args.timeout,
        )
        source = source_target.index_url
    if source is None:
        raise ConfigError("Name the source index: --from URL (simple API) or --from-repository.")
    target, settings = target_from_args(
        args,
        env,
        repository_url=args.target,
        index_url=args.index_url,
        need_password=not args.dry_run,
    )
    with tempfile.TemporaryDirectory(prefix="vcrelease-promote-") as tmp:
        with requests.Session() as source_session:
            plan = fetch_release(source_session, source, spec, Path(tmp), timeout=args.timeout)
        log(f"downloaded {len(plan.files)} files of {spec.project} {spec.version}, hashes match")
        with index_session(target) as session:
            missing = unpromoted_dependencies(
                session,
                target.index_url,
                requirements_of(plan),
                all_markers=args.all_markers,
                timeout=args.timeout,
            )
            if missing and not args.allow_unpromoted_dependencies:
                raise PromotionRefused(
                    f"{spec.project} {spec.version} depends on releases the target index "
                    f"{target.index_url} does not have: {'; '.join(missing)}. Promote those "
                    "first (a release may not sit above its dependencies), or pass "
                    "--allow-unpromoted-dependencies."
                )
            report = upload_checked(
                session,
                target,
                plan,
                settings,
                dry_run=args.dry_run,
                quiet_stdout=args.format == "json",
                timeout=args.timeout,
                log=log,
                allow_volatile=args.allow_volatile_index,
            )
    reason = f"promotion from {redact_url(source)} (sha256 checked against the source listing)"
    show_report(
        report, {"action": "promote", "reason": reason}, args.format, prog="vcrelease promote"
    )
    return report.exit_code
