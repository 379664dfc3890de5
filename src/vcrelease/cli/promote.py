"""``vcrelease promote NAME==VERSION...``: copy one release's files, the same bytes, from one
index to another (staging -> production); several releases are a co-released set, checked as
one and uploaded in dependency order (:mod:`vcrelease.publish.sets`).

The rules are :mod:`vcrelease.publish.promote` (read the source with the simple repository API,
PEP 503 / PEP 691, check every sha256, check the dependencies on the target) and vc-upload's
index rules (:mod:`vcrelease.publish.upload`; ``docs/architecture.md``, "Upload"): never an
overwrite, identical files skipped.

Exit codes: 0 done; 1 refused (a source file that does not match its hash, unpromoted
dependencies, an exact pin neither on the target nor promoted with it, other bytes on the
target); 2 usage or configuration (also releases whose pins disagree, a dependency cycle); 4
index or network failure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, register_url_credentials
from .common import add_account_arguments, target_from_args
from .report import show_result

if TYPE_CHECKING:
    import requests
    from packaging.requirements import Requirement

    from ..publish.dists import Plan
    from ..publish.promote import PinGap

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
        pin_gaps,
        pin_refusal,
        requirements_of,
        unpromoted_dependencies,
    )
    from ..publish.sets import sibling_pins
    from ..publish.setupload import order_set, upload_plans
    from ..publish.simpleapi import redact_url
    from ..publish.upload import (
        index_session,
        resolve_target,
    )

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
    reason = f"promotion from {redact_url(source)} (sha256 checked against the source listing)"
    policy = {"action": "promote", "reason": reason}
    with tempfile.TemporaryDirectory(prefix="vcrelease-promote-") as tmp:
        with requests.Session() as source_session:
            plans = [
                fetch_release(
                    source_session, source, spec, Path(tmp) / spec.project, timeout=args.timeout
                )
                for spec in specs
            ]
            attested = _attested(source_session, source, plans, args.timeout)
        for plan in plans:
            log(f"downloaded {len(plan.files)} files of {plan.project} {plan.version}, "
                "hashes match")  # fmt: skip
        if attested:
            policy["attestations"] = (
                f"{', '.join(attested)} carry PEP 740 attestations on the source that the target "
                "does not get: an attestation names the job that published to the source, so a "
                "promotion cannot carry it (the target's listing shows none for these files)."
            )
            print(f"vcrelease promote: note: {policy['attestations']}", file=sys.stderr)
        the_set = order_set(plans)
        ordered, versions, requires = the_set.plans, the_set.versions, the_set.requires
        pins = sibling_pins(versions, requires, all_markers=args.all_markers)
        with index_session(target) as session:
            gaps = pin_gaps(session, target.index_url, pins, timeout=args.timeout)
            if gaps and args.allow_unpromoted_dependencies:
                gaps = _held_gaps(gaps, source, args.timeout, log)
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
            result = upload_plans(
                session,
                target,
                ordered,
                settings,
                dry_run=args.dry_run,
                quiet_stdout=args.format == "json",
                timeout=args.timeout,
                log=log,
                allow_volatile=args.allow_volatile_index,
            )
    show_result(result, policy, args.format, prog="vcrelease promote")
    return result.exit_code


def _held_gaps(
    gaps: list[PinGap], source: str, timeout: float, log: Callable[[str], None]
) -> list[PinGap]:
    """The gaps ``--allow-unpromoted-dependencies`` may not waive: exact pins whose release
    is on the source index (a release of this pipeline, below the target's level)."""
    import requests

    from ..publish.promote import pin_gaps

    with requests.Session() as session:
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


def _attested(
    session: requests.Session, source: str, plans: Sequence[Plan], timeout: float
) -> list[str]:
    """The promoted files whose source listing names a PEP 740 provenance (attestations)."""
    from ..publish.indexclient import fetch_listing

    names = []
    for plan in plans:
        listed = fetch_listing(session, source, plan.project, timeout=timeout).by_filename()
        for file in plan.files:
            entry = listed.get(file.filename)
            if entry is not None and entry.provenance:
                names.append(file.filename)
    return names


def _name(requirement: Requirement) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(requirement.name))
