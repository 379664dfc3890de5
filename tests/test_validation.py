"""Validation records and the promotion gate (``vcrelease validation``, ``promote --require``).

The rules as tables, then the pipeline for real: files on a real pypiserver with a records
directory, and on a real devpi-server, whose own per-file result store keeps the records
(read back with devpi's own parsing, ``devpi_common.viewhelp``, and copied by devpi's own
``push``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from distfiles import make_dists, sha256_file
from servers import DevpiServer, IndexServer
from vcrelease.errors import register_secret
from vcrelease.publish.simpleapi import IndexUnavailableError
from vcrelease.publish.validation import (
    DirectoryStore,
    Record,
    ReleaseFile,
    decide,
    gate,
    new_record,
)

FILE = ReleaseFile("demo-1.0.tar.gz", "a" * 64)
REBUILT = ReleaseFile("demo-1.0.tar.gz", "b" * 64)


def _record(check: str, passed: bool, at: str, file: ReleaseFile = FILE) -> Record:
    return Record("demo", "1.0", file.filename, file.sha256, check, passed, at, "ci", "run/1")


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([], None),
        ([("smoke", True, "2026-01-01T00:00:00Z")], True),
        (
            [("smoke", True, "2026-01-01T00:00:00Z"), ("smoke", False, "2026-01-01T00:01:00Z")],
            False,
        ),
        ([("smoke", False, "2026-01-01T00:00:00Z"), ("smoke", True, "2026-01-01T00:01:00Z")], True),
        (
            [("smoke", True, "2026-01-01T00:00:00Z"), ("smoke", False, "2026-01-01T00:00:00Z")],
            False,
        ),
        (
            [("smoke", False, "2026-01-01T00:00:00Z"), ("smoke", True, "2026-01-01T00:00:00Z")],
            False,
        ),
        ([("integration", True, "2026-01-01T00:00:00Z")], None),
    ],
    ids=[
        "none",
        "pass",
        "fail-after-pass",
        "pass-after-fail",
        "same-second-a",
        "same-second-b",
        "other-check",
    ],
)
def test_the_latest_record_decides_and_a_tie_goes_to_the_failure(
    records: list[tuple[str, bool, str]], expected: bool | None
) -> None:
    deciding = decide([_record(*r) for r in records], FILE, "smoke")
    assert (None if deciding is None else deciding.passed) == expected


def test_a_record_for_other_bytes_never_counts() -> None:
    records = [_record("smoke", True, "2026-01-01T00:00:00Z", REBUILT)]
    assert decide(records, FILE, "smoke") is None
    result = gate([("demo", "1.0", [FILE])], ["smoke"], lambda *_: records)
    assert not result.open
    assert "records exist for other bytes: bbbbbbbbbbbb" in result.missing[0]


def test_the_gate_needs_every_check_on_every_file_of_every_release() -> None:
    wheel = ReleaseFile("demo-1.0-py3-none-any.whl", "c" * 64)
    lib = ReleaseFile("lib-2.0.tar.gz", "d" * 64)
    records = {
        ("demo", "1.0"): [
            _record("smoke", True, "2026-01-01T00:00:00Z"),
            _record("smoke", True, "2026-01-01T00:00:00Z", wheel),
            _record("integration", True, "2026-01-01T00:00:00Z"),
        ],
        ("lib", "2.0"): [_record("smoke", True, "2026-01-01T00:00:00Z", lib)],
    }
    releases = [("demo", "1.0", [FILE, wheel]), ("lib", "2.0", [lib])]
    result = gate(releases, ["smoke", "integration"], lambda p, v, _: records[(p, v)])
    assert sorted(m.split(":")[0] for m in result.missing) == [wheel.filename, lib.filename]
    assert gate(releases, ["smoke"], lambda p, v, _: records[(p, v)]).open


def test_concurrent_recorders_never_collide(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path / "records")

    def record(i: int) -> None:
        for j in range(25):
            store.add(
                new_record("demo", "1.0", FILE, f"c{i}", passed=j % 2 == 0, who="w", where="x"),
                FILE,
            )

    threads = [threading.Thread(target=record, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kept = store.records("demo", "1.0", [FILE])
    assert len(kept) == 100
    assert {r.check for r in kept} == {"c0", "c1", "c2", "c3"}
    assert not [
        p for p in (tmp_path / "records" / "demo" / "1.0").iterdir() if p.name.startswith(".")
    ]


def test_an_unreadable_store_stops_the_gate(tmp_path: Path) -> None:
    missing = DirectoryStore(tmp_path / "not-mounted")
    with pytest.raises(IndexUnavailableError, match="does not exist"):
        gate([("demo", "1.0", [FILE])], ["smoke"], missing.records)
    store = DirectoryStore(tmp_path / "records")
    store.add(new_record("demo", "1.0", FILE, "smoke", passed=True, who="w", where="x"), FILE)
    (tmp_path / "records" / "demo" / "1.0" / "zz-broken.json").write_text("{not json")
    with pytest.raises(IndexUnavailableError, match=r"zz-broken\.json"):
        gate([("demo", "1.0", [FILE])], ["smoke"], store.records)


def test_details_are_masked_and_capped() -> None:
    register_secret("hunter2-secret-token")
    log = "x" * 70_000 + "\nAuthorization: Bearer hunter2-secret-token\n"
    record = new_record("demo", "1.0", FILE, "smoke", passed=False, who="w", where="x", details=log)
    assert "hunter2-secret-token" not in record.details
    assert record.details.startswith("[...]\n")
    assert len(record.details) < 70_000


# --- for real ------------------------------------------------------------------------------------


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "VCRELEASE_"))}
    return subprocess.run(
        [sys.executable, "-m", "vcrelease", *args],
        env={**base, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring", **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )


def _promote(
    spec: list[str], source: IndexServer, target: IndexServer, *args: str
) -> subprocess.CompletedProcess[str]:
    return _cli(
        "promote", *spec, "--from", source.index_url, "--to", target.upload_url,
        "--index-url", target.index_url, "--no-progress", "--format", "json", *args,
        env={"TWINE_USERNAME": target.username, "TWINE_PASSWORD": target.password},
    )  # fmt: skip


@pytest.mark.slow
def test_pypiserver_with_a_records_directory_gates_a_co_released_set(
    pypiserver_nofallback_index: IndexServer,
    pypiserver_index: IndexServer,
    tmp_path: Path,
    unique_project: str,
) -> None:
    source, target = pypiserver_nofallback_index, pypiserver_index
    lib = f"{unique_project}-lib"
    app_files = make_dists(tmp_path / "app", unique_project, "1.0.0", payload="app")
    lib_files = make_dists(tmp_path / "lib", lib, "2.0.0", payload="lib")
    source.upload(app_files + lib_files)
    records = tmp_path / "records"
    records.mkdir()  # the mounted share every CI job reaches
    spec = [f"{unique_project}==1.0.0", f"{lib}==2.0.0"]

    def record(name: str, check: str, outcome: str) -> None:
        result = _cli(
            "validation", "record", name, "--check", check, outcome,
            "--index", source.index_url, "--records", str(records),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr

    closed = _promote(spec, source, target, "--require", "smoke", "--records", str(records))
    assert closed.returncode == 1, closed.stderr
    assert "no record of 'smoke'" in closed.stderr
    record(spec[0], "smoke", "--passed")
    half = _promote(spec, source, target, "--require", "smoke", "--records", str(records))
    assert half.returncode == 1  # the set is gated as a whole: lib has no record
    assert lib_files[0].name.split("-")[0] in half.stderr
    assert app_files[0].name not in half.stderr
    record(spec[1], "smoke", "--passed")
    record(spec[1], "smoke", "--failed")  # a later failure outranks the pass
    failed = _promote(spec, source, target, "--require", "smoke", "--records", str(records))
    assert failed.returncode == 1
    assert "'smoke' failed" in failed.stderr
    # A rebuilt lib with other bytes, recorded from local files: its passes never count.
    rebuilt = make_dists(tmp_path / "rebuilt", lib, "2.0.0", payload="other bytes")
    recorded = _cli(
        "validation", "record", spec[1], "--check", "smoke", "--passed",
        "--files", *map(str, rebuilt), "--records", str(records),
    )  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    still = _promote(spec, source, target, "--require", "smoke", "--records", str(records))
    assert still.returncode == 1
    for name in (unique_project, lib):
        assert not target.sha256s(name), "nothing may be promoted while the gate is closed"
    record(spec[1], "smoke", "--passed")
    opened = _promote(
        spec, source, target, "--require", "smoke", "--records", str(records), "--explain"
    )
    assert opened.returncode == 0, opened.stderr
    assert "gate: " in opened.stderr
    for f in app_files + lib_files:
        name = unique_project if f in app_files else lib
        assert target.served_sha256(name, f.name) == sha256_file(f)
    shown = _cli(
        "validation", "show", spec[1], "--index", source.index_url, "--records", str(records),
        "--format", "json",
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    files = json.loads(shown.stdout)["files"]
    assert {f["filename"]: f["decided"] for f in files} == {
        f.name: {"smoke": True} for f in lib_files
    }
    counted = {r["counts"] for f in files for r in f["records"]}
    assert counted == {True, False}  # the rebuilt file's records are listed, and do not count


@pytest.mark.slow
def test_devpi_keeps_the_records_with_the_files_and_they_travel(
    devpi_server: DevpiServer,
    devpi_staging: IndexServer,
    devpi_production: IndexServer,
    tmp_path: Path,
    unique_project: str,
) -> None:
    from devpi_common.url import URL
    from devpi_common.viewhelp import ViewLinkStore, iter_toxresults

    files = make_dists(tmp_path, unique_project, "3.0.0", payload="tested")
    devpi_staging.upload(files)
    spec = f"{unique_project}==3.0.0"
    account = ("-u", devpi_staging.username, "-p", devpi_staging.password)
    details = tmp_path / "junit.xml"
    details.write_text("<testsuite tests='1' failures='0'/>")
    for check in ("smoke", "integration"):
        result = _cli(
            "validation", "record", spec, "--check", check, "--passed",
            "--index", devpi_staging.index_url, "--details", str(details), *account,
            env={"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "42", "GITHUB_REPOSITORY": "o/r",
                 "GITHUB_SHA": "f" * 40, "GITHUB_ACTOR": "octo"},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr

    def devpi_view(index: str) -> dict[str, list[tuple[str, bool]]]:
        """What devpi's own tools show: its JSON view parsed by devpi_common."""
        url = f"{devpi_server.base_url}/{devpi_server.username}/{index}/{unique_project}/3.0.0"
        data = requests.get(url, headers={"Accept": "application/json"}, timeout=30).json()
        store = ViewLinkStore(url, data["result"])  # type: ignore[no-untyped-call]
        shown: dict[str, list[tuple[str, bool]]] = {}
        for link in store.get_links(rel="releasefile"):  # type: ignore[no-untyped-call]
            results = store.get_links(rel="toxresult", for_href=link.href)  # type: ignore[no-untyped-call]

            def load(tox_link: Any) -> Any:
                return requests.get(URL(tox_link.href).url, timeout=30).json()

            for _, envs in iter_toxresults(results, load):  # type: ignore[no-untyped-call]
                for env in envs or []:
                    shown.setdefault(link.basename, []).append((env.envname, env.failed))
        return shown

    assert {k: sorted(v) for k, v in devpi_view("staging").items()} == {
        f.name: [("integration", False), ("smoke", False)] for f in files
    }
    shown = _cli("validation", "show", spec, "--index", devpi_staging.index_url, "--format", "json")
    assert shown.returncode == 0, shown.stderr
    rows = json.loads(shown.stdout)["files"]
    assert all(r["decided"] == {"integration": True, "smoke": True} for r in rows), rows
    where = {rec["where"] for r in rows for rec in r["records"]}
    assert where == {"https://github.com/o/r/actions/runs/42"}
    promoted = _promote([spec], devpi_staging, devpi_production, "--require", "smoke",
                        "--require", "integration")  # fmt: skip
    assert promoted.returncode == 0, promoted.stderr
    assert {k: sorted(v) for k, v in devpi_view("production").items()} == {
        f.name: [("integration", False), ("smoke", False)] for f in files
    }
    # devpi's own push copies the records with the files, in a form the gate still reads.
    later = make_dists(tmp_path / "later", unique_project, "4.0.0", payload="later")
    devpi_staging.upload(later)
    recorded = _cli(
        "validation", "record", f"{unique_project}==4.0.0", "--check", "smoke", "--failed",
        "--index", devpi_staging.index_url, *account,
    )  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    pushed = devpi_server.push(unique_project, "4.0.0", source="staging", target="production")
    assert pushed.status_code == 200, pushed.text
    after_push = _cli(
        "validation", "show", f"{unique_project}==4.0.0", "--index", devpi_production.index_url,
        "--format", "json",
    )  # fmt: skip
    assert after_push.returncode == 0, after_push.stderr
    assert [r["decided"] for r in json.loads(after_push.stdout)["files"]] == [
        {"smoke": False}
    ] * len(later)


def _devpi_index(server: DevpiServer, name: str, toxresult_uploaders: list[str]) -> IndexServer:
    """A non-volatile index of ``server``'s user whose ``acl_toxresult_upload`` (who may
    attach test results) is ``toxresult_uploaders``."""
    made = requests.put(
        f"{server.base_url}/{server.username}/{name}",
        json={"type": "stage", "bases": [], "volatile": False,
              "acl_toxresult_upload": toxresult_uploaders},
        auth=(server.username, server.password),
        timeout=30,
    )  # fmt: skip
    assert made.status_code == 200, made.text
    return IndexServer(
        kind="devpi",
        base_url=server.base_url,
        upload_url=f"{server.base_url}/{server.username}/{name}/",
        index_url=f"{server.base_url}/{server.username}/{name}/+simple/",
        username=server.username,
        password=server.password,
        accepts_overwrite=False,
        name=f"devpi {server.username}/{name}",
    )


@pytest.mark.slow
def test_records_go_with_the_target_account_and_a_refused_copy_still_reports_the_promotion(
    devpi_server: DevpiServer, devpi_staging: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    """A target that lets only its uploader attach test results gets the records (they go
    with the target's credentials); one that lets nobody keeps the promoted files, and the
    run says so: every file in the report, exit 5 (the index refused the credentials), and a
    re-run finishes nothing twice."""
    files = make_dists(tmp_path, unique_project, "5.0.0", payload="acl")
    devpi_staging.upload(files)
    spec = f"{unique_project}==5.0.0"
    recorded = _cli(
        "validation", "record", spec, "--check", "smoke", "--passed",
        "--index", devpi_staging.index_url, "-u", devpi_staging.username,
        "-p", devpi_staging.password,
    )  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    suffix = unique_project.rsplit("-", 1)[-1]

    own = _devpi_index(devpi_server, f"own-{suffix}", [devpi_server.username])
    promoted = _promote([spec], devpi_staging, own, "--require", "smoke")
    assert promoted.returncode == 0, promoted.stderr
    shown = _cli("validation", "show", spec, "--index", own.index_url, "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert all(r["decided"] == {"smoke": True} for r in json.loads(shown.stdout)["files"])

    closed = _devpi_index(devpi_server, f"closed-{suffix}", ["nobody-" + suffix])
    refused = _promote([spec], devpi_staging, closed, "--require", "smoke")
    assert refused.returncode == 5, refused.stderr
    report = json.loads(refused.stdout)
    assert {f["outcome"] for f in report["files"]} == {"uploaded"}
    assert "validation records could not be copied" in report["message"]
    again = _promote([spec], devpi_staging, closed, "--require", "smoke")
    assert again.returncode == 5, again.stderr
    assert {f["outcome"] for f in json.loads(again.stdout)["files"]} == {"skipped"}


@pytest.mark.slow
def test_the_credentials_reach_every_request_and_bad_ones_are_refused_before_any(
    tmp_path: Path, unique_project: str
) -> None:
    """On an index that wants the password for listings and downloads too, ``-u``/``-p``
    (or ``TWINE_*``, or ``user:password@`` in ``--index``, or a ``.pypirc`` section named by
    ``--repository``) go with every request of ``validation record`` and ``show``.
    Credentials HTTP Basic cannot carry, a port that is no number, an unknown section and two
    indexes named are exit 2 with the fix; nothing is recorded."""
    from urllib.parse import quote

    from servers import start_pypiserver

    proc, private = start_pypiserver(
        tmp_path / "private", fallback=False, authenticate="update,download,list"
    )
    with proc:
        files = make_dists(tmp_path / "d", unique_project, "1.0.0", payload="private")
        private.upload(files)
        records = tmp_path / "records"
        spec = f"{unique_project}==1.0.0"
        common = ("--index", private.index_url, "--records", str(records))
        refused = _cli("validation", "record", spec, "--check", "smoke", "--passed", *common)
        assert refused.returncode == 5, refused.stderr  # the index wants credentials
        assert not records.exists() or not any(records.rglob("*.json"))
        account = {"TWINE_USERNAME": private.username, "TWINE_PASSWORD": private.password}
        recorded = _cli(
            "validation", "record", spec, "--check", "smoke", "--passed", *common, env=account
        )
        assert recorded.returncode == 0, recorded.stderr
        assert private.password not in recorded.stdout + recorded.stderr
        userinfo = private.index_url.replace(
            "://", f"://{quote(private.username)}:{quote(private.password)}@", 1
        )
        shown = _cli(
            "validation", "show", spec, "--index", userinfo, "--records", str(records),
            "--format", "json",
        )  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        decided = {f["filename"]: f["decided"] for f in json.loads(shown.stdout)["files"]}
        assert decided == {f.name: {"smoke": True} for f in files}
        assert private.password not in shown.stdout + shown.stderr
        pypirc = tmp_path / "pypirc"
        pypirc.write_text(
            "[distutils]\nindex-servers =\n    private\n\n[private]\n"
            f"repository = {private.upload_url}\nusername = {private.username}\n"
            f"password = {private.password}\n",
            encoding="utf-8",
        )
        section = (
            "--repository",
            "private",
            "--config-file",
            str(pypirc),
            "--records",
            str(records),
        )
        recorded = _cli("validation", "record", spec, "--check", "e2e", "--passed", *section)
        assert recorded.returncode == 0, recorded.stderr
        shown = _cli("validation", "show", spec, *section, "--format", "json")
        assert shown.returncode == 0, shown.stderr
        decided = {f["filename"]: f["decided"] for f in json.loads(shown.stdout)["files"]}
        assert decided == {f.name: {"smoke": True, "e2e": True} for f in files}
        for result in (recorded, shown):
            assert private.password not in result.stdout + result.stderr
        for wrong in (
            ("--repository", "nosuch", "--config-file", str(pypirc)),  # no such section
            (*section[:4], "--index", private.index_url),  # two indexes named
        ):
            result = _cli("validation", "show", spec, "--records", str(records), *wrong)
            assert result.returncode == 2, result.stderr
            assert "internal error" not in result.stderr
            assert "--index" in result.stderr  # the fix names the other way
        for bad in (
            ("-u", "u", "-p", "\u043f\u0430\u0440\u043e\u043b\u044c"),  # not Latin-1
            ("--index", private.index_url.replace("://", "://u:%D0%BF@", 1)),
            ("--index", "http://127.0.0.1:port/simple/"),
        ):
            args: tuple[str, ...] = ("validation", "show", spec, "--records", str(records))
            if bad[0] != "--index":
                args += ("--index", private.index_url)
            result = _cli(*args, *bad)
            assert result.returncode == 2, result.stderr
            assert "internal error" not in result.stderr
