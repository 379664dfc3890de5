"""The rules of vc-upload and channel that need an index to show them: one release whatever
its file names spell, the simple API base checked against the upload URL, the report when an
upload gets no answer or the index cannot be read afterwards, files that are not the version
at HEAD, and a channel never uploaded over another project."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from distfiles import make_dists, sha256_file
from gitutil import git
from servers import IndexServer, Route, StaticHTTPServer, html_route
from test_channel import channel
from test_ci_versions import github
from test_hostile import PROJECT, cli_env, wheel
from test_upload import tagged_repo, vc_upload
from vcrelease.cli.upload import main as vc_upload_main
from vcrelease.errors import EXIT_NETWORK, EXIT_REFUSED, EXIT_USAGE, ConfigError
from vcrelease.publish.dists import DistFile, Plan
from vcrelease.publish.preflight import compare
from vcrelease.publish.simpleapi import IndexFile
from vcrelease.publish.target import check_index_pair

__all__ = ["cli_env"]  # the fixture, used by name

pytestmark = pytest.mark.slow


# --- one release, one spelling ---------------------------------------------------------------


def test_versions_equal_under_pep_440_are_one_release_on_the_index(
    pypiserver_nofallback_index: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    server = pypiserver_nofallback_index
    first = make_dists(tmp_path / "a", unique_project, "3.0", payload="first build")
    server.upload(first[:1])  # the wheel of 3.0
    repo = tagged_repo(tmp_path / "repo", "v3.0.0")
    other = make_dists(tmp_path / "b", unique_project, "3.0.0", payload="second build")
    result = vc_upload(server, other, repo)  # its wheel is the same file, other bytes
    assert result.returncode == EXIT_REFUSED, result.stderr
    assert "spelled otherwise" in result.stderr
    longer = make_dists(tmp_path / "c", unique_project, "3.0.0.0", payload="third build")
    result = vc_upload(server, longer[1:], repo)  # the sdist alone: another spelling
    assert result.returncode == EXIT_REFUSED, result.stderr
    assert "spelled otherwise" in result.stderr
    assert first[0].name in result.stderr
    result = vc_upload(server, longer[:1], repo)  # the wheel alone: the same file
    assert result.returncode == EXIT_REFUSED, result.stderr
    assert set(server.sha256s(unique_project)) == {first[0].name}


def _dist(name: str, sha: str) -> DistFile:
    if name.endswith(".whl"):
        return DistFile(Path(name), name, "wheel", "vv", "3.0.0", sha, 1)
    return DistFile(Path(name), name, "sdist", "vv", "3.0.0", sha, 1)


def test_the_same_bytes_under_another_spelling_are_skipped_and_other_files_refused() -> None:
    sdist = _dist("vv-3.0.0.tar.gz", "a" * 64)
    wheel_file = _dist("vv-3.0.0-py3-none-any.whl", "b" * 64)
    listed = {"vv-3.0.tar.gz": IndexFile("vv-3.0.tar.gz", "http://i/vv-3.0.tar.gz", None, False)}
    same = compare(Plan("vv", "3.0.0", (sdist,)), listed, {"vv-3.0.tar.gz": "a" * 64})
    assert [s.action for s in same] == ["skip"]
    mixed = compare(Plan("vv", "3.0.0", (wheel_file, sdist)), listed, {"vv-3.0.tar.gz": "a" * 64})
    assert [s.action for s in mixed] == ["upload", "skip"]
    other = compare(Plan("vv", "3.0.0", (wheel_file, sdist)), listed, {"vv-3.0.tar.gz": "c" * 64})
    assert [s.action for s in other] == ["refuse", "refuse"]


# --- the index URL belongs to the upload URL ------------------------------------------------


@pytest.mark.parametrize(
    ("upload", "index", "ok"),
    [
        ("http://h:3141/ci/production/", "http://h:3141/ci/production/+simple/", True),
        ("http://h:3141/ci/production/", "http://h:3141/ci/staging/+simple/", False),
        ("http://h:3141/ci/production", "http://u:p@h:3141/ci/production/+simple/", True),
        ("http://h:3141/ci/production/", "http://h:3142/ci/production/+simple/", False),
        ("http://h:8080/", "http://h:8080/simple/", True),
        ("http://h:8080/", "http://h:8081/simple/", False),
        ("http://h:8080/legacy/", "http://other:8080/simple/", False),
        ("https://upload.pypi.org/legacy/", "https://pypi.org/simple/", True),
        ("https://art.example/api/pypi/local", "https://art.example/api/pypi/local/simple/", True),
    ],
)
def test_the_index_url_pairs_with_the_upload_url_where_the_kind_is_known(
    upload: str, index: str, ok: bool
) -> None:
    if ok:
        check_index_pair(upload, index)
    else:
        with pytest.raises(ConfigError, match="not the simple API of the upload URL"):
            check_index_pair(upload, index)


def test_another_index_with_the_same_bytes_is_refused_before_any_upload(
    devpi_staging: IndexServer,
    devpi_production: IndexServer,
    tmp_path: Path,
    unique_project: str,
) -> None:
    files = make_dists(tmp_path / "a", unique_project, "1.0.0", payload="staged")
    devpi_staging.upload(files)
    repo = tagged_repo(tmp_path / "repo", "v1.0.0")
    result = subprocess_with_index(devpi_production, files, repo, devpi_staging.index_url)
    assert result.returncode == EXIT_USAGE, result.stderr
    assert json.loads(result.stdout)["exit_code"] == EXIT_USAGE
    assert devpi_production.listing(unique_project).files == ()


def subprocess_with_index(
    server: IndexServer, files: list[Path], repo: Path, index_url: str
) -> subprocess.CompletedProcess[str]:
    """:func:`test_upload.vc_upload` with another ``--index-url`` (the last one wins)."""
    return vc_upload(server, files, repo, "--format", "json", "--index-url", index_url)


# --- what the report says is live ------------------------------------------------------------


@pytest.mark.usefixtures("cli_env")
def test_an_upload_without_an_answer_is_unknown_never_not_uploaded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    routes = {"/simple/": html_route(""), "/": Route(200, "OK", delay=3.0)}
    with StaticHTTPServer(routes) as server:
        code = vc_upload_main(
            [str(wheel(tmp_path / "d")), "--repository-url", f"{server.url}/", "--index-url",
             f"{server.url}/simple/", "--project-dir", str(tagged_repo(tmp_path / "r", "v1.0.0")),
             "--timeout", "1", "--format", "json", "--no-progress"]
        )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == EXIT_NETWORK, err
    (entry,) = json.loads(out)["files"]
    assert entry["outcome"] == "unknown"
    assert entry["live"] is None
    assert "may still reach the index" in err
    assert "No file of this set was uploaded" not in err


@pytest.mark.usefixtures("cli_env")
def test_reads_that_fail_after_the_upload_still_list_every_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = f"/simple/{PROJECT}/"
    routes = {
        "/simple/": html_route(""),
        page: Route(404, "not found", then=Route(500, "broken")),
        "/": Route(200, "OK"),
    }
    with StaticHTTPServer(routes) as server:
        code = vc_upload_main(
            [str(wheel(tmp_path / "d")), "--repository-url", f"{server.url}/", "--index-url",
             f"{server.url}/simple/", "--project-dir", str(tagged_repo(tmp_path / "r", "v1.0.0")),
             "--format", "json", "--no-progress"]
        )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == EXIT_NETWORK, err
    document = json.loads(out)
    assert [(f["outcome"], f["live"]) for f in document["files"]] == [("uploaded", True)]
    assert "could not be read" in document["message"]


# --- the version at HEAD, and channels -------------------------------------------------------


def test_a_single_projects_stale_dev_files_are_refused(
    pypiserver_nofallback_index: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    repo = tagged_repo(tmp_path / "repo", "v1.2.3")
    for n in range(3):
        (repo / "app.txt").write_text(f"change {n}\n")
        git(repo, "commit", "-qam", f"change {n}")
    head = git(repo, "rev-parse", "HEAD")
    env = github("push", "refs/heads/main", head)
    # in CI the dev number is the run number (GITHUB_RUN_NUMBER=17): 1.2.4.dev17 at HEAD
    stale = make_dists(tmp_path / "a", unique_project, "1.2.4.dev16", payload="stale")
    result = vc_upload(pypiserver_nofallback_index, stale, repo, env=env)
    assert result.returncode == EXIT_REFUSED, result.stderr
    assert "computes 1.2.4.dev17" in result.stderr
    assert pypiserver_nofallback_index.listing(unique_project).files == ()
    fresh = make_dists(tmp_path / "b", unique_project, "1.2.4.dev17", payload="fresh")
    result = vc_upload(pypiserver_nofallback_index, fresh, repo, env=env)
    assert result.returncode == 0, result.stderr
    for f in fresh:
        assert pypiserver_nofallback_index.served_sha256(unique_project, f.name) == sha256_file(f)


def test_a_channel_is_never_uploaded_over_another_project(
    pypiserver_nofallback_index: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    server = pypiserver_nofallback_index
    target = make_dists(tmp_path / "t", f"{unique_project}-lib", "1.0.0", payload="lib")
    real = make_dists(tmp_path / "r", unique_project, "2026.1.1", payload="calver")
    server.upload([*target, *real])
    result = channel(
        server, unique_project, "--pin", f"{unique_project}-lib==1.0.0", "--out",
        str(tmp_path / "out"), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == EXIT_REFUSED, result.stderr
    assert "not a channel made by vcrelease" in result.stderr
    assert set(server.sha256s(unique_project)) == {f.name for f in real}
    moved = channel(
        server, f"{unique_project}-stable", "--pin", f"{unique_project}-lib==1.0.0", "--out",
        str(tmp_path / "out2"), cwd=tmp_path,
    )  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    again = channel(
        server, f"{unique_project}-stable", "--pin", f"{unique_project}-lib==1.0.0", "--out",
        str(tmp_path / "out3"), cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "already points at" in again.stdout
