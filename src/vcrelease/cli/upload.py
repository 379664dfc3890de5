"""``vc-upload FILES...`` (also ``vcrelease upload``): plan, policy, preflight, upload, verify,
report. Needs the ``upload`` extra (twine, rich, requests). The rules are the publish stage's
(:mod:`vcrelease.publish.policy`, :mod:`vcrelease.publish.upload`; ``docs/architecture.md``,
"Release policy" and "Upload"); the options keep twine's names (twine documentation, "twine
upload"). The files of several projects of one repository are a co-released set, published as
one in dependency order (:mod:`vcrelease.publish.sets`, :mod:`vcrelease.publish.setupload`;
README "Publishing a co-released set").

Exit codes: 0 done (uploaded, all skipped, or the policy says there is nothing to do); 1
refused by the policy or the index (this run uploaded nothing, or stopped because another
build's bytes are live; files, of one project or of a set, that are not the versions at
HEAD); 2 usage or
configuration (also a set whose pins disagree, or a dependency cycle); 3 the repository cannot
be read; 4 index or network failure; 5 credentials rejected.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError
from .common import Parser, VersionAction, add_account_arguments, run_guarded, target_from_args
from .report import policy_json, report_json, show_report

if TYPE_CHECKING:
    from ..ci.context import BuildContext
    from ..config import Config
    from ..publish.dists import Plan
    from ..publish.policy import Decision

__all__ = ["add_arguments", "main", "run"]


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
    from ..publish.attestations import split_attestations
    from ..publish.buildinfo import read_event_payload, repo_facts
    from ..publish.dists import plan_set
    from ..publish.policy import decide
    from ..version.devnumber import choose_dev_number

    def log(text: str) -> None:
        if args.verbose:
            print(f"vc-upload: {text}", file=sys.stderr)

    args.files, args.attestations = split_attestations(args.files)
    plans = plan_set(args.files, check_contents=False)  # contents checked before upload
    if len(plans) > 1:
        return _run_set(args, env, plans, log)
    (plan,) = plans
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
    if decision.allowed:
        decision = _at_head(args.project_dir, plan, config, env, context, facts.head) or decision
    if not decision.allowed:
        return _policy_stop(args, decision, (plan,))

    dev_rule = choose_dev_number(config.dev_number, env, context)
    return _publish(args, env, log, (plan,), decision, dev_rule)


def _at_head(
    project_dir: Path,
    plan: Plan,
    config: Config,
    env: Mapping[str, str],
    context: BuildContext,
    head: str,
) -> Decision | None:
    """A refusal (exit 1) when the files are not the version vcrelease computes for the
    project at HEAD (stale files in ``dist/``), as for each member of a set
    (:func:`vcrelease.publish.sets.decide_set`); None when they are. Versions are compared
    under PEP 440 without their local part (``3.0`` is ``3.0.0``)."""
    from packaging.version import Version

    from ..errors import EXIT_REFUSED
    from ..publish.policy import Decision, version_kind
    from ..version.resolve import resolve_version

    at_head = resolve_version(project_dir, env=env, config=config, context=context).version
    if Version(Version(at_head).public) == Version(plan.version):
        return None
    return Decision(
        "refuse",
        f"the files of {plan.project} are {plan.version}, but at HEAD ({head[:12]}) vcrelease "
        f"computes {at_head} for the project in {project_dir}: the files were not built from "
        "this commit. Build them from this checkout (stale files in dist/?), or pass "
        "--project-dir the checkout they were built from.",
        EXIT_REFUSED,
        version_kind(plan.version),
    )


def _run_set(
    args: argparse.Namespace,
    env: Mapping[str, str],
    plans: tuple[Plan, ...],
    log: Callable[[str], None],
) -> int:
    """``vc-upload`` with the files of several projects: one co-released set
    (:mod:`vcrelease.publish.sets`): the pins agree, the set's release policy, then
    :func:`vcrelease.publish.setupload.upload_set` in dependency order."""
    from ..ci.context import BuildContext
    from ..publish.buildinfo import read_event_payload, set_members
    from ..publish.sets import decide_set
    from ..publish.setupload import order_set

    the_set = order_set(plans)  # before any request
    ordered, versions = the_set.plans, the_set.versions
    log(f"plan: a set of {len(plans)} projects, upload order "
        f"{' -> '.join(f'{p.project} {p.version}' for p in ordered)}")  # fmt: skip
    context = BuildContext.from_env(env, read_event_payload(env))
    members = set_members(args.project_dir, versions, env, context)
    decision = decide_set(
        context, members, allowed_branches=args.allow_dev_branch, strict=args.strict
    )
    log(f"policy: {decision.action}: {decision.reason}")
    if not decision.allowed:
        return _policy_stop(args, decision, ordered)
    return _publish(args, env, log, ordered, decision)


def _policy_stop(args: argparse.Namespace, decision: Decision, plans: Sequence[Plan]) -> int:
    """A release policy that refuses or skips: said on stderr, and with ``--format json`` the
    report of the run with every file held back; the policy's exit code."""
    from ..publish.report import held_back

    verb = "Refused" if decision.action == "refuse" else "Nothing to upload"
    print(f"vc-upload: {verb}: {decision.reason}", file=sys.stderr)
    if args.format == "json":
        held = held_back(plans, decision.action, decision.reason, decision.exit_code)
        print(json.dumps(report_json(held, policy_json(decision)), indent=2))
    return decision.exit_code


def _publish(
    args: argparse.Namespace,
    env: Mapping[str, str],
    log: Callable[[str], None],
    plans: Sequence[Plan],
    decision: Decision,
    dev_rule: str | None = None,
) -> int:
    """Upload the plans the policy allowed (one project, or a set in upload order) to the
    target the options name (:func:`.common.target_from_args`), and show the report."""
    from ..errors import redact_text
    from ..publish.attestations import check_attestations
    from ..publish.options import UploadOptions
    from ..publish.setupload import upload_set
    from ..publish.target import index_session

    check_attestations((f for p in plans for f in p.files), getattr(args, "attestations", ()))
    target, settings = target_from_args(
        args,
        env,
        repository_url=args.repository_url,
        index_url=args.index_url,
        need_password=not args.dry_run,
    )
    log(f"upload to {target.upload_url}; preflight reads {redact_text(target.index_url)}")
    with index_session(target) as session:
        options = UploadOptions(
            dry_run=args.dry_run,
            quiet_stdout=args.format == "json",
            log=log,
            dev_rule=dev_rule,
            allow_volatile=args.allow_volatile_index,
        )
        result = upload_set(session, target, plans, settings, options)
    show_report(result, policy_json(decision), args.format)
    return result.exit_code


def main(argv: list[str] | None = None) -> int:
    """The ``vc-upload`` console script."""
    parser = Parser(
        prog="vc-upload",
        description="Upload a release once: never overwrite, skip identical files, check all "
        "files before uploading any, and never release from a racing CI build.",
    )
    parser.add_argument("--version", action=VersionAction)
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run_guarded(
        "vc-upload", lambda: run(args, os.environ), json_errors=args.format == "json"
    )
