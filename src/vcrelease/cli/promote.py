"""``vcrelease promote NAME==VERSION...``: copy one release's files, the same bytes, from one
index to another (staging -> production); several releases are a co-released set, checked as
one and uploaded in dependency order (:mod:`vcrelease.publish.sets`).

The rules are :mod:`vcrelease.publish.promote` (read the source with the simple repository API,
PEP 503 / PEP 691, check every sha256, check the dependencies on the target) and vc-upload's
index rules (:mod:`vcrelease.publish.upload`; ``docs/architecture.md``, "Upload"): never an
overwrite, identical files skipped.

The bytes are checked against a sha256 the source index lists for each file; a source that
lists none (pypiserver ``--hash-algo md5``) is refused unless ``--allow-unverified-source``
accepts it, and then the report says UNVERIFIED. A source listing one file name twice with
different bytes is refused. The source's credentials (``user:password@`` in ``--from``, or the
``.pypirc`` section of ``--from-repository``) go with every request to it: the listings and
the downloads.

Exit codes: 0 done; 1 refused (a source file that does not match its hash or has none,
a file listed twice with different bytes, unpromoted
dependencies, an exact pin neither on the target nor promoted with it, other bytes on the
target); 2 usage or configuration (also releases whose pins disagree, a dependency cycle); 4
index or network failure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, register_url_credentials
from .common import add_account_arguments, target_from_args
from .report import show_result

if TYPE_CHECKING:
    from packaging.requirements import Requirement

    from ..publish.promote import PinGap
    from ..publish.target import Target

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``vcrelease promote``."""
    parser.add_argument(
        "spec",
        nargs="+",
        metavar="NAME==VERSION",
        help="the release to promote; several: a co-released set, promoted as one",
    )
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
    parser.add_argument(
        "--allow-unverified-source",
        action="store_true",
        help="promote files the source index lists without a sha256 (pypiserver --hash-algo "
        "md5, a plain file server): their bytes cannot be checked against the source, and the "
        "report says UNVERIFIED; refused by default",
    )
    parser.add_argument("--verbose", action="store_true", help="say each step on stderr")


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Run ``vcrelease promote``; returns the exit code.

    Raises:
        VcreleaseError: bad input (2), a source file that does not match its hash or
            unpromoted dependencies (1), index failures (4).
    """
    import tempfile

    from ..errors import redact_text
    from ..publish.options import UploadOptions
    from ..publish.promote import (
        PromotionRefused,
        fetch_release,
        parse_spec,
        pin_gaps,
        pin_refusal,
        requirements_of,
        unpromoted_dependencies,
    )
    from ..publish.sets import sibling_pins
    from ..publish.setupload import order_set, upload_plans
    from ..publish.target import index_session, resolve_target, source_session

    def log(text: str) -> None:
        if args.verbose:
            print(f"vcrelease promote: {text}", file=sys.stderr)

    specs = [parse_spec(text) for text in args.spec]
    twice = sorted({s.project for s in specs if [t.project for t in specs].count(s.project) > 1})
    if twice:
        raise ConfigError(
            f"{', '.join(twice)} is named more than once: promote one version of each project "
            "at a time."
        )
    source = args.source
    register_url_credentials(source)
    source_target = None
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
        with source_session(source, source_target) as reading:
            fetched = [
                fetch_release(
                    reading,
                    source,
                    spec,
                    Path(tmp) / spec.project,
                    timeout=args.timeout,
                    allow_unverified=args.allow_unverified_source,
                )
                for spec in specs
            ]
        plans = [f.plan for f in fetched]
        unverified = [name for f in fetched for name in f.unverified]
        for f in fetched:
            said = (
                f"UNVERIFIED (the source lists no sha256): {', '.join(f.unverified)}"
                if f.unverified
                else "each sha256 matches the source listing"
            )
            log(f"downloaded {len(f.plan.files)} files of {f.plan.project} {f.plan.version}, "
                f"{said}")  # fmt: skip
        if unverified:
            reason = (
                f"promotion from {redact_text(source)}, UNVERIFIED: the source lists no sha256 "
                f"for {', '.join(unverified)}, so these bytes were not checked against it "
                "(--allow-unverified-source)"
            )
        else:
            reason = (
                f"promotion from {redact_text(source)} (sha256 checked against the source listing)"
            )
        policy = {"action": "promote", "reason": reason}
        the_set = order_set(plans)
        ordered, versions, requires = the_set.plans, the_set.versions, the_set.requires
        pins = sibling_pins(versions, requires, all_markers=args.all_markers)
        with index_session(target) as session:
            gaps = pin_gaps(session, target.index_url, pins, timeout=args.timeout)
            if gaps and args.allow_unpromoted_dependencies:
                gaps = _held_gaps(gaps, source, source_target, args.timeout, log)
            if gaps:
                raise PromotionRefused(pin_refusal(gaps, versions, target.index_url))
            for plan in ordered:
                outside = [r for r in requirements_of(plan) if _name(r) not in versions]
                missing = unpromoted_dependencies(
                    session,
                    target.index_url,
                    outside,
                    all_markers=args.all_markers,
                    timeout=args.timeout,
                )
                if missing and not args.allow_unpromoted_dependencies:
                    raise PromotionRefused(
                        f"{plan.project} {plan.version} depends on releases the target index "
                        f"{target.index_url} does not have: {'; '.join(missing)}. Promote "
                        "those first (a release may not sit above its dependencies), or pass "
                        "--allow-unpromoted-dependencies."
                    )
            options = UploadOptions(
                dry_run=args.dry_run,
                quiet_stdout=args.format == "json",
                log=log,
                allow_volatile=args.allow_volatile_index,
            )
            result = upload_plans(session, target, ordered, settings, options)
    show_result(result, policy, args.format, prog="vcrelease promote")
    return result.exit_code


def _held_gaps(
    gaps: list[PinGap],
    source: str,
    source_target: Target | None,
    timeout: float,
    log: Callable[[str], None],
) -> list[PinGap]:
    """The gaps ``--allow-unpromoted-dependencies`` may not waive: exact pins whose release
    is on the source index (a release of this pipeline, below the target's level)."""
    from ..publish.promote import pin_gaps
    from ..publish.target import source_session

    with source_session(source, source_target) as session:
        pins: dict[str, list[tuple[str, str]]] = {}
        for g in gaps:
            pins.setdefault(g.member, []).append((g.project, g.version))
        absent = {
            (g.member, g.project, g.version)
            for g in pin_gaps(session, source, pins, timeout=timeout)
        }
    kept = [g for g in gaps if (g.member, g.project, g.version) not in absent]
    for g in gaps:
        if g not in kept:
            log(f"waived: {g.member} pins {g.project}=={g.version}, on neither index")
    return kept


def _name(requirement: Requirement) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(requirement.name))
