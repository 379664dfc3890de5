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
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, register_url_credentials
from .common import add_account_arguments, target_from_args
from .report import show_report

if TYPE_CHECKING:
    import requests
    from packaging.requirements import Requirement

    from ..publish.dists import Plan
    from ..publish.promote import PinGap
    from ..publish.report import Report
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
    parser.add_argument(
        "--require",
        action="append",
        default=[],
        metavar="CHECK",
        help="promote only files with a passed validation record of CHECK (repeatable; also "
        "[tool.vcrelease] promotion-requires)",
    )
    parser.add_argument(
        "--records",
        type=Path,
        metavar="DIR",
        help="read validation records from this directory (default: the source index, when "
        "it is devpi)",
    )
    parser.add_argument(
        "--explain", action="store_true", help="say which records let each file through"
    )


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
    from ..publish.setupload import order_set, upload_set
    from ..publish.target import index_session, section_source, source_session

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
        source_target = section_source(
            args.from_repository,
            config_file=args.config_file,
            username=None,
            password=None,
            timeout=args.timeout,
            other_way="name the source with --from URL (its simple API; credentials as "
            "user:password@ in it)",
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
            attested = _attested(reading, source, plans, args.timeout)
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
        gate = _validation_gate(args, source, source_target, target, plans, log)
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
            result = upload_set(session, target, ordered, settings, options)
    if gate is not None and not args.dry_run and result.exit_code == 0:
        result = _copy_records(gate, target, result)
    show_report(result, policy, args.format, prog="vcrelease promote")
    return result.exit_code


def _copy_records(gate: _Gate, target: Target, result: Report) -> Report:
    """The source's validation records copied to the target after the files (devpi to devpi):
    when that fails the report still shows every file promoted, and says so, exit 4 or 5 (a
    re-run skips the files and copies what is missing)."""
    from dataclasses import replace

    from ..errors import EXIT_NETWORK, EXIT_USAGE, VcreleaseError

    user, password = target.username, target.password
    try:
        gate.copy_to(target.index_url, (user, password) if user and password else None)
    except VcreleaseError as exc:
        code = exc.exit_code if exc.exit_code != EXIT_USAGE else EXIT_NETWORK
        return replace(
            result,
            exit_code=code,
            message=f"{result.message} The files are promoted, but their validation records "
            f"could not be copied to the target ({exc.message}); run the same command again "
            "to copy them (the files already there are skipped).",
        )
    return result


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


def _required_checks(args: argparse.Namespace, target_url: str) -> list[str]:
    """``--require`` plus ``[tool.vcrelease] promotion-requires`` for this target (keyed by
    its ``.pypirc`` name or its URL) in the current directory's ``pyproject.toml``."""
    from ..config import read_pyproject

    table = read_pyproject(Path.cwd()).get("tool", {}).get("vcrelease", {})
    configured = table.get("promotion-requires", {})
    if not isinstance(configured, dict) or not all(
        isinstance(v, list) and all(isinstance(c, str) for c in v) for v in configured.values()
    ):
        raise ConfigError(
            "[tool.vcrelease] promotion-requires must map a target (a .pypirc name or an "
            'upload URL) to a list of checks: promotion-requires = {production = ["smoke"]}.'
        )
    keys = [k for k in (getattr(args, "repository", None), args.target, target_url) if k]
    extra: list[str] = next((configured[k] for k in keys if k in configured), [])
    return list(dict.fromkeys([*args.require, *extra]))


class _Gate:
    """The validation gate of one promotion: refuses before any upload, copies devpi's
    records to a devpi target after it (:mod:`vcrelease.publish.validation`). Each step reads
    the source through its own :func:`vcrelease.publish.target.source_session` (the source's
    credentials on every request), closed when the step ends."""

    def __init__(
        self,
        source: str,
        source_target: Target | None,
        plans: list[Any],
        timeout: float,
        log: Callable[[str], None],
    ) -> None:
        self.source, self.source_target = source, source_target
        self.plans, self.timeout, self.log = plans, timeout, log

    def copy_to(self, target_index: str, auth: tuple[str, str] | None) -> None:
        """Post the source's devpi records of every promoted file to the same file on a devpi
        target, with the target's credentials (``auth``), skipping records already there."""
        import requests

        from ..publish.indexclient import fetch_listing
        from ..publish.target import source_session
        from ..publish.validation import DevpiStore, ReleaseFile, devpi_base

        if devpi_base(self.source) is None or devpi_base(target_index) is None:
            return  # a records directory is shared by nature
        with (
            source_session(self.source, self.source_target) as reading,
            requests.Session() as session,
        ):
            source = DevpiStore(self.source, reading, timeout=self.timeout)
            target = DevpiStore(target_index, session, auth=auth, timeout=self.timeout)
            for plan in self.plans:
                listing = fetch_listing(session, target_index, plan.project)
                urls = {f.filename: f.url for f in listing.files}
                have = {
                    (name, json.dumps(doc, sort_keys=True))
                    for name, doc in target.raw_results(plan.project, plan.version)
                }
                for name, document in source.raw_results(plan.project, plan.version):
                    key = (name, json.dumps(document, sort_keys=True))
                    if name in urls and key not in have:
                        sha = next((f.sha256 for f in plan.files if f.filename == name), "")
                        target.post(document, ReleaseFile(name, sha, urls[name]))
                        self.log(f"copied a validation record of {name} to the target")


def _validation_gate(
    args: argparse.Namespace,
    source: str,
    source_target: Target | None,
    target: Any,
    plans: list[Any],
    log: Callable[[str], None],
) -> _Gate | None:
    """Refuse the promotion (exit 1) unless every file of every release has a passed record
    of each required check; None when no check is required. The source's records are read
    with the source's credentials."""
    from ..publish.promote import PromotionRefused
    from ..publish.target import source_session
    from ..publish.validation import ReleaseFile, gate, store_for

    required = _required_checks(args, target.upload_url)
    if not required:
        return None
    releases = [
        (plan.project, plan.version, [ReleaseFile(f.filename, f.sha256) for f in plan.files])
        for plan in plans
    ]
    with source_session(source, source_target) as session:
        store = store_for(args.records, source, session, None, args.timeout)
        result = gate(releases, required, store.records)
    if not result.open:
        raise PromotionRefused(
            f"the validation gate ({', '.join(required)}, records from {store.description}) "
            "is closed; nothing was promoted:\n  - "
            + "\n  - ".join(result.missing)
            + "\nRecord the checks on these bytes (`vcrelease validation record`) first."
        )
    for record in result.passed:
        line = (
            f"{record.filename}: {record.check} passed at {record.recorded_at} "
            f"({record.where or record.who}{', ' + record.commit[:12] if record.commit else ''})"
        )
        log(line)
        if args.explain:
            print(f"vcrelease promote: gate: {line}", file=sys.stderr)
    return _Gate(source if args.records is None else "", source_target, plans, args.timeout, log)
