"""``vcrelease validation record|show``: test results bound to a release's bytes
(:mod:`vcrelease.publish.validation`).

::

    vcrelease validation record foo==1.2.3 --check smoke --passed --index URL [--records DIR]
    vcrelease validation show foo==1.2.3 --index URL [--records DIR] [--format json]

The release's files and their sha256 are read from ``--index`` (the simple API), or hashed
from ``--files``. Records are kept by the index when it is devpi, else in ``--records DIR``.
Exit codes: 0 done; 2 usage (no store, a release not on the index); 4 the index or the
records directory cannot be read or written; 5 credentials rejected.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EXIT_OK, ConfigError, register_secret

if TYPE_CHECKING:
    from ..publish.validation import ReleaseFile

__all__ = ["add_arguments", "ci_identity", "release_files", "run"]


def _add_store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--records",
        type=Path,
        metavar="DIR",
        help="keep and read validation records in this directory (default: the index, when "
        "it is devpi)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="validation_command", required=True, metavar="ACTION")
    record = sub.add_parser("record", help="record a check's result for every file of a release")
    show = sub.add_parser("show", help="list the records of a release, per file")
    for p in (record, show):
        p.add_argument("spec", metavar="NAME==VERSION")
        where = p.add_mutually_exclusive_group()
        where.add_argument("--index", "--index-url", dest="index", help="the simple API base URL")
        where.add_argument(
            "--repository",
            "-r",
            metavar="NAME",
            help="a .pypirc section: its upload URL's index and its credentials",
        )
        p.add_argument("--config-file", metavar="PATH", help="the .pypirc file (default ~/.pypirc)")
        p.add_argument("--files", nargs="+", type=Path, help="the release's files, hashed here")
        _add_store_argument(p)
        p.add_argument("-u", "--username", help="index account (env TWINE_USERNAME)")
        p.add_argument("-p", "--password", help="env TWINE_PASSWORD (prefer the variable)")
        p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS")
        p.add_argument("--format", choices=("table", "json"), default="table")
    record.add_argument("--check", required=True, help="the check's name, e.g. smoke")
    outcome = record.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--passed", action="store_true")
    outcome.add_argument("--failed", action="store_true")
    record.add_argument("--details", type=Path, help="a JUnit XML or log file to keep with it")


def ci_identity(env: Mapping[str, str]) -> tuple[str, str, str]:
    """(who, where, commit) of this run: the CI's user, run URL and commit, else the local
    user and host."""
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    if env.get("GITHUB_ACTIONS") == "true" and env.get("GITHUB_RUN_ID"):
        where = f"{server}/{env.get('GITHUB_REPOSITORY', '')}/actions/runs/{env['GITHUB_RUN_ID']}"
        return env.get("GITHUB_ACTOR", "github"), where, env.get("GITHUB_SHA", "")
    for who, url, sha in (
        ("GITLAB_USER_LOGIN", "CI_JOB_URL", "CI_COMMIT_SHA"),
        ("TRAVIS_REPO_SLUG", "TRAVIS_BUILD_WEB_URL", "TRAVIS_COMMIT"),
        ("CIRCLE_USERNAME", "CIRCLE_BUILD_URL", "CIRCLE_SHA1"),
        ("BUILDKITE_BUILD_CREATOR", "BUILDKITE_BUILD_URL", "BUILDKITE_COMMIT"),
        ("BUILD_USER", "BUILD_URL", "GIT_COMMIT"),  # Jenkins
    ):
        if env.get(url):
            return env.get(who, "ci"), env[url], env.get(sha, "")
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return user, socket.gethostname(), ""


def _session(args: argparse.Namespace, env: Mapping[str, str]) -> Any:
    """The one session of the run, for every request to ``--index``'s host: the listing, the
    downloads and devpi's records (:func:`vcrelease.publish.target.source_session`). Its
    credentials are those of ``user:password@`` in the URL, else ``-u``/``-p``
    (``TWINE_USERNAME``/``TWINE_PASSWORD``). With ``--repository``, the index and the
    credentials are the ``.pypirc`` section's, as twine reads it (``-u``/``-p`` and the
    variables win over it); ``args.index`` is set to that index.

    Raises:
        ConfigError: the credentials are not Latin-1, which HTTP Basic cannot carry; an
            unknown ``.pypirc`` section; an upload URL whose index cannot be derived (exit 2).
    """
    import requests

    from ..publish.target import Target, check_credentials, check_url, source_session

    user = args.username or env.get("TWINE_USERNAME")
    password = args.password or env.get("TWINE_PASSWORD")
    if args.repository is not None:
        from ..publish.target import section_source

        section = section_source(
            args.repository,
            config_file=args.config_file,
            username=user,
            password=password,
            timeout=args.timeout,
            other_way=(
                "name the index with --index URL (its simple API) and the credentials with "
                "-u/-p or TWINE_USERNAME/TWINE_PASSWORD"
            ),
        )
        args.index = section.index_url  # what the rest of the run reads
        return source_session(section.index_url, section)
    check_url(args.index, "the index URL (--index)")
    if not args.index:
        check_credentials(user, password)
        if password:
            register_secret(password, username=user)
        return requests.Session()  # --files and --records: no request is made
    given = Target(args.index, args.index, user, password) if user or password else None
    return source_session(args.index, given)


def release_files(
    args: argparse.Namespace, session: Any, project: str, version: str
) -> list[ReleaseFile]:
    """The release's files with their sha256: hashed from ``--files``, else listed on
    ``--index`` (the sha256 the index gives, else the hash of the downloaded bytes)."""
    from ..publish.dists import parse_name
    from ..publish.indexclient import fetch_listing, file_sha256
    from ..publish.promote import ReleaseSpec
    from ..publish.promote import release_files as listed_files
    from ..publish.validation import ReleaseFile

    if args.files:
        import hashlib

        found = []
        for path in args.files:
            _, name, file_version = parse_name(path)
            if (name, str(file_version)) != (project, version):
                raise ConfigError(f"{path} is not a file of {project} {version}.")
            found.append(ReleaseFile(path.name, hashlib.sha256(path.read_bytes()).hexdigest()))
        return found
    if not args.index:
        raise ConfigError("Name where the release is: --index URL (simple API), or --files.")
    listing = fetch_listing(session, args.index, project, timeout=args.timeout)
    files = listed_files(listing.files, ReleaseSpec(project, version)) if listing.exists else []
    if not files:
        raise ConfigError(f"{project} {version} has no files on {args.index}.")
    return [
        ReleaseFile(f.filename, file_sha256(session, f, timeout=args.timeout), f.url) for f in files
    ]


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from ..publish.promote import parse_spec
    from ..publish.validation import new_record, store_for

    spec = parse_spec(args.spec)
    with _session(args, env) as session:
        files = release_files(args, session, spec.project, spec.version)
        store = store_for(args.records, args.index, session, session.auth, args.timeout)
        if args.validation_command == "record":
            details = ""
            if args.details is not None:
                try:
                    details = args.details.read_text(encoding="utf-8", errors="replace")
                except OSError as exc:
                    raise ConfigError(f"--details {args.details}: {exc.strerror or exc}.") from exc
            who, where, commit = ci_identity(env)
            kept = []
            for file in files:
                record = new_record(
                    spec.project, spec.version, file, args.check, passed=args.passed,
                    who=who, where=where, commit=commit, details=details,
                )  # fmt: skip
                kept.append((record, store.add(record, file)))
            if args.format == "json":
                print(json.dumps({"records": [r.as_dict() | {"kept": k} for r, k in kept]}))
            else:
                outcome = "passed" if args.passed else "failed"
                for record, where_kept in kept:
                    print(
                        f"{record.filename} ({record.sha256[:12]}): {args.check} {outcome} "
                        f"-> {where_kept}"
                    )
            return EXIT_OK
        records = store.records(spec.project, spec.version, files)
        _show(spec.project, spec.version, files, records, args.format, store.description)
    return EXIT_OK


def _show(
    project: str,
    version: str,
    files: Sequence[ReleaseFile],
    records: Sequence[Any],
    fmt: str,
    description: str,
) -> None:
    from ..publish.validation import decide

    rows: list[dict[str, Any]] = []
    for file in files:
        mine = [r for r in records if r.filename == file.filename]
        checks = sorted({r.check for r in mine if r.sha256 == file.sha256})
        rows.append(
            {
                "filename": file.filename,
                "sha256": file.sha256,
                "decided": {c: _outcome(decide(records, file, c)) for c in checks},
                "records": [r.as_dict() | {"counts": r.sha256 == file.sha256} for r in mine],
            }
        )
    if fmt == "json":
        print(
            json.dumps(
                {"project": project, "version": version, "store": description, "files": rows},
                indent=2,
            )
        )
        return
    print(f"{project} {version} ({description})")
    for row in rows:
        print(f"  {row['filename']} sha256 {row['sha256'][:12]}")
        if not row["records"]:
            print("    no records")
        for r in row["records"]:
            outcome = "passed" if r["passed"] else "FAILED"
            note = "" if r["counts"] else "  (other bytes: does not count)"
            where = r["where"] or r["who"]
            print(f"    {r['recorded_at'] or '-':20} {r['check']:14} {outcome:7} {where}{note}")


def _outcome(record: Any) -> bool | None:
    return None if record is None else bool(record.passed)
