"""``vcrelease channel``: rollback channels (indirection packages), built, uploaded and shown.

``vcrelease channel NAME --pin SPEC [--index URL] [--out DIR] [--date YYYY-MM-DD] [--upload]``
resolves the pin against the target index, picks the date version, builds the channel's wheel
and sdist with ``python -m build`` (the rules: :mod:`vcrelease.publish.channel`; the build:
:mod:`vcrelease.publish.channelio`) and, with ``--upload``, uploads them through vc-upload's
plan, preflight, upload and verify (:mod:`vcrelease.publish.upload`; the options are
vc-upload's). The release policy (git,
CI) does not apply: a channel package is not built from the repository. With ``--upload``,
a channel whose current version already pins the same requirement is left alone (exit 0,
nothing built), so a scheduled job that moves the channel only changes it
when there is something new.

``vcrelease channel NAME --show --index URL`` prints what the channel points at now (the
highest version that is not yanked) and its history, each version's pin read from its wheel's
``Requires-Dist``.

``--index`` and ``--index-url`` are the same option: the simple API base (PEP 503) of the
target index, where pins are resolved, the version is chosen, and (with ``--upload``) the
preflight reads; without it, ``VCRELEASE_INDEX_URL``, or with ``--upload`` the one derived from
the upload URL as vc-upload derives it.

Exit codes: 0 done (built, uploaded, skipped, unchanged); 1 refused by the index (other bytes
under the same file names: a concurrent move took this version first); 2 usage or
configuration (bad pin, no matching release, unknown channel for ``--show``, failed build); 4
index or network failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EXIT_OK, ConfigError
from .common import add_account_arguments, target_from_args
from .report import show_report

__all__ = ["add_arguments", "run"]

if TYPE_CHECKING:
    from ..publish.channel import ChannelEntry, ChannelVersion, Pin


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``vcrelease channel``."""
    parser.add_argument("name", help="the channel package, e.g. foo-stable")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--pin",
        metavar="SPEC",
        help="what the channel points at: foo==3.2.0 (full), foo>=3.2.0,!=3.2.1 (exclusion), "
        "or 'foo 3' / 'foo 3.2' (the newest final release of the series on the index, pinned "
        "exactly)",
    )
    what.add_argument(
        "--show", action="store_true", help="print what the channel points at and its history"
    )
    parser.add_argument(
        "--index",
        "--index-url",
        dest="index",
        metavar="URL",
        help="simple API base of the target index: resolves pins, picks the version, and is "
        "read by the upload's preflight (env VCRELEASE_INDEX_URL; with --upload derived from "
        "the upload URL when not given)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("dist"),
        metavar="DIR",
        help="where the files go (default dist/)",
    )
    parser.add_argument(
        "--date", metavar="YYYY-MM-DD", help="the move's date (default: today, UTC)"
    )
    parser.add_argument(
        "--upload", action="store_true", help="upload the channel with vc-upload's index rules"
    )
    parser.add_argument("--repository-url", help="upload URL (env TWINE_REPOSITORY_URL)")
    add_account_arguments(parser)


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Run ``vcrelease channel``; returns the exit code.

    Raises:
        VcreleaseError: bad input or no matching release (2), index failures (4).
    """
    from ..publish.channel import channel_name

    name = channel_name(args.name)
    upload_only = [
        option
        for option, value in (
            ("--repository-url", args.repository_url),
            ("--repository", args.repository),
            ("--username", args.username),
            ("--password", args.password),
            ("--config-file", args.config_file),
        )
        if value is not None
    ]
    if args.show and args.upload:
        raise ConfigError("--show reads the channel; it does not go with --upload.")
    if upload_only and not args.upload:
        raise ConfigError(
            f"{', '.join(upload_only)}: upload options, only with --upload. Add --upload to "
            "upload the channel, or leave them out to build it only."
        )
    if args.show:
        return _show_channel(args, env, name)
    return _move(args, env, name)


def _move(args: argparse.Namespace, env: Mapping[str, str], name: str) -> int:
    from ..errors import redact_text
    from ..publish.channel import (
        channel_versions,
        check_is_channel,
        current_version,
        date_version,
        parse_date,
        parse_pin,
        resolve_pin,
    )
    from ..publish.channelio import build_channel, read_metadata
    from ..publish.dists import plan_files
    from ..publish.indexclient import fetch_listing, reading_session
    from ..publish.options import UploadOptions
    from ..publish.setupload import upload_set
    from ..publish.target import index_session

    request = parse_pin(args.pin, channel=name)
    day = parse_date(args.date) if args.date else datetime.now(timezone.utc).date()
    index_url: str | None = args.index or env.get("VCRELEASE_INDEX_URL")
    target = settings = None
    if args.upload:
        target, settings = target_from_args(
            args, env, repository_url=args.repository_url, index_url=index_url, need_password=True
        )
        index_url = target.index_url
        session = index_session(target)
    else:
        session = reading_session(index_url)
    with session:
        versions: list[ChannelVersion] = []
        if index_url:
            listed = fetch_listing(session, index_url, request.project, timeout=args.timeout)
            pin = resolve_pin(request, listed.files)
            versions = channel_versions(
                fetch_listing(session, index_url, name, timeout=args.timeout).files
            )
        else:
            pin = resolve_pin(request, None)
        for note in pin.notes:
            print(f"vcrelease channel: note: {note}.", file=sys.stderr)
        if target is not None and index_url:
            # unchanged only when the current version's set is complete: after an upload that
            # stopped half-way, the re-run publishes a whole new version
            current = current_version(versions)
            newest = current or (versions[0] if versions else None)
            meta = (
                read_metadata(session, newest.wheel, index_url=index_url, timeout=args.timeout)
                if newest is not None and newest.wheel is not None
                else None
            )
            summary = meta.get("summary") if meta is not None else None
            check_is_channel(name, versions, summary, redact_text(index_url))
            if current is not None and current.wheel is not None and current.has_sdist:
                requires = tuple(meta.get("requires_dist") or ()) if meta is not None else ()
                if _same_pin(requires, pin.requirement):
                    return _unchanged(args.format, name, str(current.version), pin)
        version = date_version(day, [v.version for v in versions], channel=name)
        paths = build_channel(name, version, pin, day, args.out)
        summary = f"{name} {version} -> {pin.requirement} (moved {day.isoformat()})"
        if target is None or settings is None:
            _built(args.format, name, str(version), pin, day, index_url, paths, summary)
            return EXIT_OK
        plan = plan_files(paths)
        options = UploadOptions(
            quiet_stdout=args.format == "json", allow_volatile=args.allow_volatile_index
        )
        report = upload_set(session, target, (plan,), settings, options)
        if any(s.action == "refuse" for s in report.steps):
            report = replace(
                report,
                message=f"{report.message} For a channel this means another move published "
                f"{name} {version} first, with another pin: run the command again to get the "
                "next channel version.",
            )
    if report.exit_code == EXIT_OK:
        report = replace(report, message=f"Channel moved: {summary}. {report.message}")
    reason = (
        f"channel {summary} on {redact_text(index_url or '')}; the release policy does not "
        "apply (a channel is not built from the repository)"
    )
    show_report(
        report, {"action": "channel", "reason": reason}, args.format, prog="vcrelease channel"
    )
    return report.exit_code


def _same_pin(requires: tuple[str, ...], requirement: str) -> bool:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return len(requires) == 1 and Requirement(requires[0]) == Requirement(requirement)
    except InvalidRequirement:
        return False


def _unchanged(fmt: str, name: str, version: str, pin: Pin) -> int:
    message = f"{name} {version} already points at {pin.requirement}; nothing to do."
    if fmt == "json":
        out = {
            "project": name,
            "version": version,
            "pin": pin.requirement,
            "policy": {"action": "unchanged", "reason": message},
            "dry_run": False,
            "exit_code": EXIT_OK,
            "message": message,
            "files": [],
        }
        print(json.dumps(out, indent=2))
    else:
        print(message)
    return EXIT_OK


def _built(
    fmt: str,
    name: str,
    version: str,
    pin: Pin,
    day: date,
    index_url: str | None,
    paths: list[Path],
    summary: str,
) -> None:
    from ..errors import redact_text
    from ..publish.dists import sha256_of

    if fmt == "json":
        out = {
            "channel": name,
            "version": version,
            "pin": pin.requirement,
            "asked": pin.request.text,
            "moved": day.isoformat(),
            "index": redact_text(index_url) if index_url else None,
            "uploaded": False,
            "files": [{"path": str(p), "filename": p.name, "sha256": sha256_of(p)} for p in paths],
        }
        print(json.dumps(out, indent=2))
        return
    print(f"Built {summary}, not uploaded:")
    for path in paths:
        print(f"  {path}")
    if index_url is None:
        print(
            "vcrelease channel: note: no index given, so the version was not checked against "
            "the channel's existing versions; pass --index URL.",
            file=sys.stderr,
        )


def _show_channel(args: argparse.Namespace, env: Mapping[str, str], name: str) -> int:
    from ..errors import redact_text
    from ..publish.channel import ChannelEntry, channel_versions, current_version
    from ..publish.channelio import read_requires
    from ..publish.indexclient import fetch_listing, reading_session

    index_url: str | None = args.index or env.get("VCRELEASE_INDEX_URL")
    if not index_url:
        raise ConfigError(
            f"--show reads the channel {name} from an index: pass --index URL (the simple API "
            "base, e.g. http://host:8080/simple/)."
        )
    safe = redact_text(index_url)
    with reading_session(index_url) as session:
        listing = fetch_listing(session, index_url, name, timeout=args.timeout)
        versions = channel_versions(listing.files)
        if not versions:
            raise ConfigError(
                f"The channel {name} is not on the index {safe} (no distribution files). "
                "Check the name and --index, or create it with --pin SPEC --upload."
            )
        entries = [
            ChannelEntry(
                v,
                read_requires(session, v.wheel, index_url=index_url, timeout=args.timeout)
                if v.wheel
                else (),
            )
            for v in versions
        ]
    current = current_version(versions)
    now = next((e for e in entries if current is not None and e.info == current), None)
    if args.format == "json":
        print(json.dumps({"channel": name, "index": safe, "current": _entry_json(now),
                          "history": [_entry_json(e) for e in entries]}, indent=2))  # fmt: skip
        return EXIT_OK
    if now is None:
        print(f"{name} points at nothing: every version on {safe} is yanked.")
    else:
        moved = now.info.moved.isoformat() if now.info.moved else "date unknown"
        print(f"{name} points at {now.pin} (version {now.info.version}, moved {moved})")
    print(f"History on {safe}, newest first:")
    width = max(len(str(e.info.version)) for e in entries)
    for e in entries:
        moved = e.info.moved.isoformat() if e.info.moved else "-"
        flag = "  (yanked)" if e.info.yanked else ""
        print(f"  {e.info.version!s:<{width}}  {moved:<10}  {e.pin}{flag}")
    return EXIT_OK


def _entry_json(entry: ChannelEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {
        "version": str(entry.info.version),
        "moved": entry.info.moved.isoformat() if entry.info.moved else None,
        "pin": entry.pin,
        "requires_dist": list(entry.requires),
        "yanked": entry.info.yanked,
        "wheel": entry.info.wheel.filename if entry.info.wheel else None,
    }
