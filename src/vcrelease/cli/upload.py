"""``vc-upload FILES...`` (also ``vcrelease upload``): plan, policy, preflight, upload, verify,
report. Needs the ``upload`` extra (twine, rich, requests).

Exit codes: 0 done (uploaded, all skipped, or the policy says there is nothing to do); 1
refused by the policy or the index (this run uploaded nothing, or stopped because another
build's bytes are live); 2 usage or configuration; 3 the repository cannot be read; 4 index or
network failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import EXIT_OK, ConfigError


def add_account_arguments(parser: argparse.ArgumentParser) -> None:
    """The options vc-upload, promote and channel share for the target index: ``-r``, ``-u``,
    ``-p``, ``--config-file``, ``--format``, ``--no-progress``, ``--timeout``."""
    parser.add_argument(
        "-r", "--repository", help="a section of .pypirc (env TWINE_REPOSITORY; default pypi)"
    )
    parser.add_argument("-u", "--username", help="env TWINE_USERNAME")
    parser.add_argument("-p", "--password", help="env TWINE_PASSWORD (prefer the variable)")
    parser.add_argument("--config-file", help="the .pypirc to read (default ~/.pypirc)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="give up waiting for the index after this long without an answer (default 300)",
    )


def target_from_args(
    args: argparse.Namespace,
    env: Mapping[str, str],
    *,
    repository_url: str | None,
    index_url: str | None,
    need_password: bool,
) -> tuple[Any, Any]:
    """:func:`vcrelease.publish.upload.resolve_target` from the options of
    :func:`add_account_arguments`, each falling back to its environment variable as twine's
    command line does (``TWINE_*``, and ``VCRELEASE_INDEX_URL``)."""
    from ..publish.upload import resolve_target

    return resolve_target(
        repository_url=repository_url or env.get("TWINE_REPOSITORY_URL"),
        repository_name=args.repository or env.get("TWINE_REPOSITORY"),
        index_url=index_url or env.get("VCRELEASE_INDEX_URL"),
        username=args.username or env.get("TWINE_USERNAME"),
        password=args.password or env.get("TWINE_PASSWORD"),
        config_file=args.config_file,
        need_password=need_password,
        progress=not args.no_progress and args.format == "table",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``vc-upload`` (twine's names where twine has one)."""
    parser.add_argument("files", nargs="*", type=Path, metavar="FILES", help="dist files")
    parser.add_argument("--repository-url", help="upload URL (env TWINE_REPOSITORY_URL)")
    parser.add_argument(
        "--index-url",
        help="simple API base the preflight reads (env VCRELEASE_INDEX_URL; derived for "
        "PyPI, TestPyPI, devpi and pypiserver)",
    )
    add_account_arguments(parser)
    parser.add_argument("--dry-run", action="store_true", help="check and plan, upload nothing")
    parser.add_argument(
        "--allow-dev-branch",
        action="append",
        default=[],
        metavar="PATTERN",
        help="branches that may upload dev releases (shell pattern, repeatable; default: any)",
    )
    parser.add_argument(
        "--project-dir", type=Path, default=Path("."), help="the git work tree (default .)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when the policy skips the upload"
    )
    parser.add_argument("--verbose", action="store_true", help="say each step on stderr")


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Run ``vc-upload``; returns the exit code.

    Raises:
        VcreleaseError: bad input, policy refusals before the plan is shown, network failures
            while reading the index (the caller prints them).
    """
    from ..ci.context import BuildContext
    from ..config import load_config
    from ..publish.buildinfo import read_event_payload, repo_facts
    from ..publish.dists import plan_files
    from ..publish.policy import decide
    from ..publish.upload import (
        FileStep,
        Report,
        index_session,
        upload_checked,
    )

    def log(text: str) -> None:
        if args.verbose:
            print(f"vc-upload: {text}", file=sys.stderr)

    plan = plan_files(args.files)
    log(f"plan: {plan.project} {plan.version}, {len(plan.files)} files")
    config = load_config(args.project_dir)
    context = BuildContext.from_env(env, read_event_payload(env))
    facts = repo_facts(args.project_dir, config, context)
    if facts is None:
        raise ConfigError(
            f"{args.project_dir} is not inside a git work tree, so the release policy cannot "
            "check which commit these files come from. Run vc-upload in the checkout the files "
            "were built from, or pass --project-dir."
        )
    decision = decide(
        context, plan.version, facts, allowed_branches=args.allow_dev_branch, strict=args.strict
    )
    log(f"policy: {decision.action}: {decision.reason}")
    if not decision.allowed:
        verb = "Refused" if decision.action == "refuse" else "Nothing to upload"
        print(f"vc-upload: {verb}: {decision.reason}", file=sys.stderr)
        if args.format == "json":
            held = tuple(
                FileStep(f, decision.action, decision.reason, outcome="not-uploaded")
                for f in plan.files
            )
            report = Report(plan, held, decision.exit_code, decision.reason)
            print(json.dumps(_as_json(report, _policy(decision)), indent=2))
        return decision.exit_code

    target, settings = target_from_args(
        args,
        env,
        repository_url=args.repository_url,
        index_url=args.index_url,
        need_password=not args.dry_run,
    )
    log(f"upload to {target.upload_url}; preflight reads {target.index_url}")
    with index_session(target) as session:
        report = upload_checked(
            session,
            target,
            plan,
            settings,
            dry_run=args.dry_run,
            quiet_stdout=args.format == "json",
            timeout=args.timeout,
            log=log,
        )
    _show(report, _policy(decision), args.format)
    return report.exit_code


def _policy(decision: Any) -> dict[str, str]:
    return {"action": decision.action, "reason": decision.reason}


def _show(report: Any, policy: dict[str, str], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(_as_json(report, policy), indent=2))
    else:
        _table(report, policy["reason"])
    if report.exit_code != EXIT_OK:
        print(f"vc-upload: error: {report.message}", file=sys.stderr)


def _as_json(report: Any, policy: dict[str, str]) -> dict[str, Any]:
    """One shape for every outcome: ``project``, ``version``, ``policy`` (``action``,
    ``reason``), ``dry_run``, ``exit_code``, ``message``, ``files`` (each with ``action``,
    ``outcome``, ``reason``, hashes)."""
    return {
        "project": report.plan.project,
        "version": report.plan.version,
        "policy": policy,
        "dry_run": report.dry_run,
        "exit_code": report.exit_code,
        "message": report.message,
        "files": [
            {
                "filename": s.file.filename,
                "sha256": s.file.sha256,
                "size": s.file.size,
                "action": s.action,
                "reason": s.reason,
                "index_sha256": s.index_sha256,
                "outcome": s.outcome,
            }
            for s in report.steps
        ],
    }


def _table(report: Any, policy_reason: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False)
    title = f"{report.plan.project} {report.plan.version}" + (
        " (dry run)" if report.dry_run else ""
    )
    table = Table(title=title, caption=f"policy: {policy_reason}")
    for column in ("file", "action", "outcome", "reason"):
        table.add_column(column, overflow="fold")
    for s in report.steps:
        table.add_row(s.file.filename, s.action, s.outcome or "-", s.reason)
    console.print(table)
    if report.exit_code == EXIT_OK:
        console.print(report.message)


def main(argv: list[str] | None = None) -> int:
    """The ``vc-upload`` console script."""
    from .main import run_guarded

    parser = argparse.ArgumentParser(
        prog="vc-upload",
        description="Upload a release once: never overwrite, skip identical files, check all "
        "files before uploading any, and never release from a racing CI build.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run_guarded("vc-upload", lambda: run(args, os.environ))


def add_promote_arguments(parser: argparse.ArgumentParser) -> None:
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


def run_promote(args: argparse.Namespace, env: Mapping[str, str]) -> int:
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
            plan = fetch_release(source_session, source, spec, Path(tmp))
        log(f"downloaded {len(plan.files)} files of {spec.project} {spec.version}, hashes match")
        with index_session(target) as session:
            missing = unpromoted_dependencies(
                session, target.index_url, requirements_of(plan), all_markers=args.all_markers
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
            )
    reason = f"promotion from {source} (sha256 checked against the source listing)"
    _show(report, {"action": "promote", "reason": reason}, args.format)
    return report.exit_code
