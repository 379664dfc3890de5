"""Validation records: test results bound to a distribution file's bytes, and the promotion
gate that reads them.

"A build artifact becomes worthy of promotion by successfully passing a series of tests at
each promotion level ... although an individual build artifact is immutable, the meta-data
about the build artifact is not" (the continuous-delivery source, ``../shared/context``).

Rules:

- a record names one file (name and sha256), one check, an outcome, when, who and where
  (the CI run URL and commit from :mod:`vcrelease.ci`), and optional details (masked, at most
  :data:`DETAILS_LIMIT` characters);
- records are append-only; for one file, bytes and check, the latest record decides (a
  failure recorded at the same second as a pass wins), so a later failure outranks an earlier
  pass and a later pass (a re-run) an earlier failure;
- a record for other bytes (same file name, another sha256) never counts;
- the gate lets a release through only when every file of it has a deciding record that
  passed, for every required check; a store that cannot be read stops the gate (exit 4),
  never opens it.

Two stores:

- :class:`DirectoryStore`, a records directory (a mounted share): one immutable JSON file per
  record, ``DIR/<project>/<version>/<time>-<pid>-<random>.json``, made under a hidden name and
  linked into place, so concurrent writers never collide and a reader never sees half a file;
- :class:`DevpiStore`, devpi's own per-file result store (what ``devpi test`` uploads): a
  record is a toxresult document posted to the file's URL, so ``devpi list``, devpi-web and
  ``devpi push`` show and copy it; a toxresult posted by ``devpi test`` counts as a record of
  its test environment's name when it names the file's sha256.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from ..errors import ConfigError, redact_text
from .simpleapi import IndexUnavailableError

__all__ = [
    "DETAILS_LIMIT",
    "DevpiStore",
    "DirectoryStore",
    "GateResult",
    "Record",
    "RecordStore",
    "ReleaseFile",
    "decide",
    "devpi_base",
    "gate",
    "new_record",
    "store_for",
]

DETAILS_LIMIT = 64 * 1024
"""Characters of a details file kept in a record (the end of a log matters most: the head is
cut)."""


@dataclass(frozen=True)
class ReleaseFile:
    """A distribution file as the gate sees it: its name, sha256 and download URL."""

    filename: str
    sha256: str
    url: str = ""


@dataclass(frozen=True)
class Record:
    """One validation result.

    Attributes:
        project, version: the release (normalized).
        filename, sha256: the file the result is bound to.
        check: the check's name (``smoke``, ``integration``; a tox environment for
            ``devpi test`` results).
        passed: the outcome.
        recorded_at: UTC, ISO 8601 with seconds (``2026-12-07T01:02:03Z``).
        who: the user or CI that recorded it; where: the CI run URL, or the host.
        commit: the commit the CI ran on, when known.
        details: masked text of the details file, or "".
        source: ``vcrelease`` or ``devpi test``.
    """

    project: str
    version: str
    filename: str
    sha256: str
    check: str
    passed: bool
    recorded_at: str
    who: str
    where: str
    commit: str = ""
    details: str = ""
    source: str = "vcrelease"

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "version": self.version,
            "filename": self.filename,
            "sha256": self.sha256,
            "check": self.check,
            "passed": self.passed,
            "recorded_at": self.recorded_at,
            "who": self.who,
            "where": self.where,
            "commit": self.commit,
            "details": self.details,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Record:
        """Raises KeyError or TypeError for a document that is not a record."""
        if not isinstance(data["passed"], bool):
            raise TypeError("passed is not a boolean")
        return cls(
            **{k: data[k] for k in ("project", "version", "filename", "sha256", "check")},
            passed=data["passed"],
            recorded_at=str(data["recorded_at"]),
            who=str(data.get("who", "")),
            where=str(data.get("where", "")),
            commit=str(data.get("commit", "")),
            details=str(data.get("details", "")),
            source=str(data.get("source", "vcrelease")),
        )


def new_record(
    project: str,
    version: str,
    file: ReleaseFile,
    check: str,
    *,
    passed: bool,
    who: str,
    where: str,
    commit: str = "",
    details: str = "",
    now: float | None = None,
) -> Record:
    """A record made now (``now``: seconds since 1970, for tests). Details are masked and
    cut to their last :data:`DETAILS_LIMIT` characters."""
    if not check or any(c in check for c in "/\\\n") or check != check.strip():
        raise ConfigError(
            f"--check {check!r}: a check name is one word of letters, digits, '-', '_', '.' "
            "(e.g. `smoke`)."
        )
    masked = redact_text(details)
    if len(masked) > DETAILS_LIMIT:
        masked = "[...]\n" + masked[-DETAILS_LIMIT:]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))
    return Record(
        project, version, file.filename, file.sha256, check, passed, stamp, who, where,
        commit, masked,
    )  # fmt: skip


class RecordStore(Protocol):
    """Where records are kept."""

    description: str

    def records(self, project: str, version: str, files: Sequence[ReleaseFile]) -> list[Record]:
        """Every record of the release's files, oldest first.

        Raises:
            IndexUnavailableError: the store cannot be read (exit 4).
        """

    def add(self, record: Record, file: ReleaseFile) -> str:
        """Keep ``record``; returns where it was kept.

        Raises:
            IndexUnavailableError: the store cannot be written (exit 4).
        """


class DirectoryStore:
    """Records as immutable JSON files under a directory (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.description = f"records directory {root}"

    def _release_dir(self, project: str, version: str) -> Path:
        return self.root / project / version

    def add(self, record: Record, file: ReleaseFile) -> str:
        directory = self._release_dir(record.project, record.version)
        name = f"{time.time_ns()}-{os.getpid()}-{secrets.token_hex(8)}.json"
        hidden = directory / f".{name}.tmp"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with hidden.open("x", encoding="utf-8") as f:
                json.dump(record.as_dict(), f, indent=2)
                f.flush()
                os.fsync(f.fileno())
            os.link(hidden, directory / name)  # fails rather than replace: records are immutable
        except OSError as exc:
            raise IndexUnavailableError(
                f"cannot write a record into {directory}: {exc.strerror or exc}. Check that the "
                "records directory is mounted and writable."
            ) from exc
        finally:
            with contextlib.suppress(OSError):
                hidden.unlink()
        return str(directory / name)

    def records(self, project: str, version: str, files: Sequence[ReleaseFile]) -> list[Record]:
        directory = self._release_dir(project, version)
        if not self.root.is_dir():
            raise IndexUnavailableError(
                f"the records directory {self.root} does not exist or is not a directory: the "
                "gate cannot read any record. Mount it or fix --records."
            )
        found = []
        try:
            names = sorted(p for p in os.listdir(directory) if not p.startswith("."))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise IndexUnavailableError(f"cannot read {directory}: {exc.strerror or exc}.") from exc
        for name in names:
            path = directory / name
            try:
                found.append(Record.from_dict(json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise IndexUnavailableError(
                    f"the record {path} cannot be read ({exc}): the gate stops rather than "
                    "guess. Remove or repair that file."
                ) from exc
        return sorted(found, key=lambda r: r.recorded_at)


def devpi_base(index_url: str) -> str | None:
    """``http://host/user/index/`` for a devpi simple URL (``.../user/index/+simple/``), or
    None when ``index_url`` is not one."""
    parts = urlsplit(index_url)
    path = parts.path.rstrip("/")
    if not path.endswith("/+simple"):
        return None
    base_path = path[: -len("+simple")]
    if base_path.count("/") != 3:  # /user/index/
        return None
    return f"{parts.scheme}://{parts.netloc}{base_path}"


def _toxresult(record: Record) -> dict[str, Any]:
    """A devpi toxresult document carrying ``record``: devpi's tools show the check as a test
    environment that passed or failed (``devpi_common.viewhelp.ToxResultEnv``)."""
    return {
        "reportversion": "1",
        "host": record.where or record.who,
        "platform": "vcrelease",
        "installpkg": {"basename": record.filename, "sha256": record.sha256},
        "testenvs": {
            record.check: {
                "test": [
                    {
                        "retcode": 0 if record.passed else 1,
                        "command": ["vcrelease", "validation", "record", "--check", record.check],
                        "output": record.details,
                    }
                ]
            }
        },
        "vcrelease": record.as_dict(),
    }


def _records_from_toxresult(
    data: Mapping[str, Any], project: str, version: str, filename: str
) -> list[Record]:
    ours = data.get("vcrelease")
    if isinstance(ours, Mapping):
        return [Record.from_dict(ours)]
    sha256 = str((data.get("installpkg") or {}).get("sha256") or "")
    found = []
    for env, result in (data.get("testenvs") or {}).items():
        commands = list(result.get("setup", [])) + list(result.get("test", []))
        failed = any(c.get("retcode") not in (None, 0, "0") for c in commands)
        found.append(
            Record(
                project,
                version,
                filename,
                sha256,
                str(env),
                not failed,
                "",
                str(data.get("host", "")),
                str(data.get("platform", "")),
                source="devpi test",
            )
        )
    return found


class DevpiStore:
    """Records kept by devpi with each release file (its toxresult store)."""

    def __init__(
        self,
        index_url: str,
        session: Any,
        *,
        auth: tuple[str, str] | None = None,
        timeout: float = 60.0,
    ) -> None:
        base = devpi_base(index_url)
        if base is None:
            raise ConfigError(
                f"{redact_text(index_url)} is not a devpi index (…/USER/INDEX/+simple/): keep "
                "records in a directory with --records DIR."
            )
        self.base = base
        self.session = session
        self.auth = auth
        self.timeout = timeout
        self.description = f"devpi index {redact_text(base)}"

    def _get_json(self, url: str, *, view: bool = True) -> Any:
        """GET ``url`` as JSON: devpi's JSON view of it (``view``), or the stored file itself
        (a toxresult's own bytes: with ``Accept: application/json`` devpi describes the file
        instead of serving it). None for a 404."""
        import requests

        accept = "application/json" if view else "*/*"
        try:
            response = self.session.get(
                url, headers={"Accept": accept}, auth=self.auth, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise IndexUnavailableError(
                f"cannot read {redact_text(url)}: {redact_text(str(exc))}", url=redact_text(url)
            ) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise IndexUnavailableError(
                f"{redact_text(url)} answered HTTP {response.status_code}: the records cannot be "
                "read, so the gate stays closed.",
                url=redact_text(url),
                status=response.status_code,
            )
        try:
            return response.json()
        except ValueError as exc:
            raise IndexUnavailableError(f"{redact_text(url)} did not answer JSON.") from exc

    def records(self, project: str, version: str, files: Sequence[ReleaseFile]) -> list[Record]:
        data = self._get_json(urljoin(self.base, f"{project}/{version}"))
        if data is None:
            return []
        links = (data.get("result") or {}).get("+links", [])
        names = {}
        for link in links:
            if link.get("rel") == "releasefile":
                names[link.get("href")] = os.path.basename(str(link.get("href")))
        found: list[Record] = []
        for link in links:
            if link.get("rel") != "toxresult":
                continue
            filename = names.get(link.get("for_href")) or os.path.basename(
                str(link.get("for_href", ""))
            )
            document = self._get_json(urljoin(self.base, str(link["href"])), view=False)
            if not isinstance(document, Mapping):
                raise IndexUnavailableError(
                    f"the result {link['href']} on {self.description} cannot be read."
                )
            try:
                found.extend(_records_from_toxresult(document, project, version, filename))
            except (KeyError, TypeError, AttributeError) as exc:
                raise IndexUnavailableError(
                    f"the result {link['href']} on {self.description} is not a record ({exc})."
                ) from exc
        return sorted(found, key=lambda r: r.recorded_at)

    def add(self, record: Record, file: ReleaseFile) -> str:
        return self.post(_toxresult(record), file)

    def post(self, document: Mapping[str, Any], file: ReleaseFile) -> str:
        """Post a toxresult document to ``file``'s URL on this index."""
        import requests

        url = file.url.split("#", 1)[0]
        if not url.startswith(self.base):
            raise IndexUnavailableError(
                f"{file.filename} is served from {redact_text(url)}, not from {self.description} "
                "(inherited from another index): record on the index that holds the file."
            )
        try:
            response = self.session.post(
                url,
                data=json.dumps(document),
                headers={"Content-Type": "application/json"},
                auth=self.auth,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise IndexUnavailableError(
                f"cannot post a record to {redact_text(url)}: {redact_text(str(exc))}"
            ) from exc
        if response.status_code in (401, 403):
            from ..errors import CredentialsRejectedError

            raise CredentialsRejectedError(
                f"{self.description} refused the record (HTTP {response.status_code}): log in "
                "with -u/-p as a user allowed to upload test results there.",
                url=redact_text(url),
                status=response.status_code,
            )
        if response.status_code != 200:
            raise IndexUnavailableError(
                f"{self.description} answered HTTP {response.status_code} to a record for "
                f"{file.filename}: {redact_text(response.text[:300])}",
                status=response.status_code,
            )
        return redact_text(url)

    def raw_results(self, project: str, version: str) -> list[tuple[str, Any]]:
        """``(file name, toxresult document)`` of every result of the release, for copying."""
        data = self._get_json(urljoin(self.base, f"{project}/{version}")) or {}
        links = (data.get("result") or {}).get("+links", [])
        out = []
        for link in links:
            if link.get("rel") == "toxresult":
                document = self._get_json(urljoin(self.base, str(link["href"])), view=False)
                out.append((os.path.basename(str(link.get("for_href", ""))), document))
        return out


def store_for(
    records_dir: Path | None,
    index_url: str | None,
    session: Any,
    auth: tuple[str, str] | None,
    timeout: float,
) -> RecordStore:
    """The records directory when given, else the devpi index's own store.

    Raises:
        ConfigError: neither (exit 2).
    """
    if records_dir is not None:
        return DirectoryStore(records_dir)
    if index_url and devpi_base(index_url):
        return DevpiStore(index_url, session, auth=auth, timeout=timeout)
    raise ConfigError(
        "Where are the records kept? Give --records DIR (a directory every CI job can reach), "
        "or --index a devpi index (…/USER/INDEX/+simple/), which keeps them with each file."
    )


def decide(records: Iterable[Record], file: ReleaseFile, check: str) -> Record | None:
    """The record that decides ``check`` for ``file``'s bytes: the latest one bound to that
    name and sha256; on equal times a failure wins. None without any."""
    deciding: Record | None = None
    for record in records:
        if (record.filename, record.sha256, record.check) != (file.filename, file.sha256, check):
            continue
        if deciding is None or (record.recorded_at, not record.passed) >= (
            deciding.recorded_at,
            not deciding.passed,
        ):
            deciding = record
    return deciding


@dataclass(frozen=True)
class GateResult:
    """What the gate found: ``missing`` lines (empty: open) and the records that let each
    file through (``passed``)."""

    missing: tuple[str, ...]
    passed: tuple[Record, ...]

    @property
    def open(self) -> bool:
        return not self.missing


def gate(
    releases: Sequence[tuple[str, str, Sequence[ReleaseFile]]],
    required: Sequence[str],
    read: Callable[[str, str, Sequence[ReleaseFile]], list[Record]],
) -> GateResult:
    """Check every file of every release ``(project, version, files)`` for a deciding, passed
    record of each ``required`` check (``read`` gives a release's records).

    Raises:
        IndexUnavailableError: a store cannot be read (exit 4): the gate never opens on doubt.
    """
    missing: list[str] = []
    passed: list[Record] = []
    for project, version, files in releases:
        records = read(project, version, files)
        for file in files:
            for check in required:
                record = decide(records, file, check)
                if record is None:
                    others = sorted(
                        {
                            r.sha256[:12]
                            for r in records
                            if r.filename == file.filename and r.check == check
                        }
                    )
                    extra = (
                        f" (records exist for other bytes: {', '.join(others)})" if others else ""
                    )
                    missing.append(
                        f"{file.filename}: no record of {check!r} for sha256 "
                        f"{file.sha256[:12]}{extra}"
                    )
                elif not record.passed:
                    missing.append(
                        f"{file.filename}: {check!r} failed at {record.recorded_at} "
                        f"({record.where or record.who})"
                    )
                else:
                    passed.append(record)
    return GateResult(tuple(missing), tuple(passed))
