"""``vc-upload`` against real index servers on 127.0.0.1 (pypiserver with a password file,
devpi-server with a volatile index), with real git repositories for the release policy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from distfiles import make_dists, sha256_file
from faultproxy import FaultProxy, Mode
from gitutil import git, new_repo
from servers import IndexServer
from test_ci_versions import github

pytestmark = pytest.mark.slow
NO_KEYRING = "keyring.backends.null.Keyring"


def vc_upload(
    server: IndexServer,
    files: list[Path],
    project_dir: Path,
    *args: str,
    password: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m vcrelease upload`` as CI would (credentials in TWINE_* variables)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "VCRELEASE_"))}
    full.update(
        TWINE_USERNAME=server.username,
        TWINE_PASSWORD=server.password if password is None else password,
        HOME=str(project_dir),  # no ~/.pypirc, no keyring of the machine's user
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        **(env or {}),
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "vcrelease",
            "upload",
            *map(str, files),
            "--repository-url",
            server.upload_url,
            "--index-url",
            server.index_url,
            "--project-dir",
            str(project_dir),
            "--no-progress",
            *args,
        ],
        env=full,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def report(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert result.stdout.strip(), result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def outcomes(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    files = report(result)["files"]
    assert isinstance(files, list)
    return {f["filename"]: f["outcome"] or f["action"] for f in files}


def tagged_repo(path: Path, tag: str) -> Path:
    """A clean git repo whose HEAD carries ``tag`` (what the policy checks)."""
    return new_repo(path, files={"app.txt": "app\n"}, tags=[tag])


@pytest.fixture
def release(tmp_path: Path, unique_project: str) -> tuple[list[Path], Path]:
    """(the wheel and sdist of ``unique_project`` 1.0.0, a repo whose HEAD is tagged v1.0.0)."""
    files = make_dists(tmp_path / "a", unique_project, "1.0.0", payload="original")
    return files, tagged_repo(tmp_path / "repo", "v1.0.0")


@pytest.mark.parametrize("index", ["pypiserver_index", "devpi_staging"])
def test_fresh_upload_then_identical_rerun_skips(
    index: str, request: pytest.FixtureRequest, release: tuple[list[Path], Path]
) -> None:
    server: IndexServer = request.getfixturevalue(index)
    files, repo = release
    allow = ("--allow-volatile-index",) if server.accepts_overwrite else ()
    first = vc_upload(server, files, repo, "--format", "json", *allow)
    assert first.returncode == 0, first.stderr
    assert set(outcomes(first).values()) == {"uploaded"}
    project = report(first)["project"]
    assert isinstance(project, str)
    listed = server.sha256s(project)
    for f in files:
        assert server.served_sha256(project, f.name) == sha256_file(f)
        assert listed[f.name] in (None, sha256_file(f))
    again = vc_upload(server, files, repo, "--format", "json", *allow)
    assert again.returncode == 0, again.stderr
    assert set(outcomes(again).values()) == {"skipped"}


@pytest.mark.parametrize("index", ["devpi_staging", "pypiserver_overwrite_index"])
def test_other_bytes_under_the_same_name_are_refused_even_where_overwrite_is_allowed(
    index: str, request: pytest.FixtureRequest, release: tuple[list[Path], Path], tmp_path: Path
) -> None:
    server: IndexServer = request.getfixturevalue(index)
    assert server.accepts_overwrite
    files, repo = release
    assert vc_upload(server, files, repo, "--allow-volatile-index").returncode == 0
    fixed = make_dists(tmp_path / "b", files[0].name.split("-")[0], "1.0.0", payload="bugfix")
    assert [f.name for f in fixed] == [f.name for f in files]
    result = vc_upload(server, fixed, repo, "--allow-volatile-index")
    assert result.returncode == 1
    assert "other bytes" in result.stderr
    assert sha256_file(files[1]) in result.stderr
    assert sha256_file(fixed[1]) in result.stderr
    project = fixed[0].name.split("-")[0]
    for original in files:
        assert server.served_sha256(project, original.name) == sha256_file(original)


def test_only_the_sdist_conflicts_so_nothing_is_uploaded(
    pypiserver_index: IndexServer, release: tuple[list[Path], Path], tmp_path: Path
) -> None:
    files, repo = release
    wheel, sdist = files
    other = make_dists(tmp_path / "b", wheel.name.split("-")[0], "1.0.0", payload="other")
    pypiserver_index.upload([other[1]])  # someone else's sdist, by plain twine
    result = vc_upload(pypiserver_index, files, repo, "--format", "json")
    assert result.returncode == 1
    # the wheel was to be uploaded and was held back: the set is refused as one
    assert outcomes(result) == {wheel.name: "not-uploaded", sdist.name: "refuse"}
    project = wheel.name.split("-")[0]
    assert wheel.name not in pypiserver_index.sha256s(project)


def test_racing_branch_build_uploads_nothing_and_tag_build_uploads(
    pypiserver_index: IndexServer, release: tuple[list[Path], Path]
) -> None:
    files, repo = release
    head = git(repo, "rev-parse", "HEAD")
    push_build = github("push", "refs/heads/main", head)
    racing = vc_upload(pypiserver_index, files, repo, env=push_build)
    assert racing.returncode == 0, racing.stderr
    assert racing.stdout == ""
    assert "tag build" in racing.stderr
    assert len(racing.stderr.strip().splitlines()) == 1
    strict = vc_upload(pypiserver_index, files, repo, "--strict", env=push_build)
    assert strict.returncode == 1
    project = files[0].name.split("-")[0]
    assert pypiserver_index.listing(project).files == ()
    tag_build = vc_upload(
        pypiserver_index, files, repo, env=github("push", "refs/tags/v1.0.0", head)
    )
    assert tag_build.returncode == 0, tag_build.stderr
    assert set(pypiserver_index.sha256s(project)) == {f.name for f in files}


def test_pull_request_uploads_nothing(
    pypiserver_index: IndexServer, release: tuple[list[Path], Path]
) -> None:
    files, repo = release
    env = github("pull_request", "refs/pull/3/merge", "a" * 40, GITHUB_HEAD_REF="feature/x")
    result = vc_upload(pypiserver_index, files, repo, env=env)
    assert result.returncode == 0, result.stderr
    assert "pull request #3" in result.stderr
    assert pypiserver_index.listing(files[0].name.split("-")[0]).files == ()


def test_local_version_is_refused_before_any_request(
    tmp_path: Path, unique_project: str, pypiserver_index: IndexServer
) -> None:
    files = make_dists(tmp_path, unique_project, "1.0.0+g1234567", payload="x")
    nowhere = IndexServer(
        kind="pypiserver",
        base_url="http://127.0.0.1:9",
        upload_url="http://127.0.0.1:9/",
        index_url="http://127.0.0.1:9/simple/",
        username="u",
        password="p",
        accepts_overwrite=False,
    )
    result = vc_upload(nowhere, files, tagged_repo(tmp_path / "repo", "v1.0.0"))
    assert result.returncode == 1  # a network attempt would have been exit 4
    assert "local version label" in result.stderr


def test_wrong_password_exits_5_and_never_shows_a_secret(
    pypiserver_index: IndexServer, release: tuple[list[Path], Path]
) -> None:
    """Rejected credentials have their own exit code, not the retryable 4."""
    files, repo = release
    secret = "Wr0ng-Pa55word-Zebra"
    result = vc_upload(pypiserver_index, files, repo, "--verbose", password=secret)
    assert result.returncode == 5
    assert "credentials" in result.stderr
    output = result.stdout + result.stderr
    assert secret not in output
    assert pypiserver_index.password not in output


def test_dry_run_plans_and_uploads_nothing(
    pypiserver_index: IndexServer, release: tuple[list[Path], Path]
) -> None:
    files, repo = release
    result = vc_upload(pypiserver_index, files, repo, "--dry-run", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert report(result)["dry_run"] is True
    assert set(outcomes(result).values()) == {"upload"}
    assert pypiserver_index.listing(files[0].name.split("-")[0]).files == ()


def test_eight_concurrent_runs_with_the_same_files_all_succeed(
    pypiserver_index: IndexServer, release: tuple[list[Path], Path]
) -> None:
    """Every run ends with exit 0 and the index serves our bytes. How many runs report
    "uploaded" is pypiserver's business: its check-then-write is not atomic, so two identical
    uploads can both be accepted under load (seen in CI); the bytes are the same either way."""
    files, repo = release
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(
                lambda _: vc_upload(pypiserver_index, files, repo, "--format", "json"), range(8)
            )
        )
    failed = [f"exit {r.returncode}: {r.stderr}\n{r.stdout}" for r in results if r.returncode]
    assert not failed, "\n---\n".join(failed)
    project = files[0].name.split("-")[0]
    for f in files:
        assert pypiserver_index.served_sha256(project, f.name) == sha256_file(f)
        uploads = [outcomes(r)[f.name] for r in results]
        assert uploads.count("uploaded") >= 1, uploads
        assert set(uploads) <= {"uploaded", "skipped", "found-on-index"}, uploads


def test_eight_concurrent_runs_with_different_bytes_one_wins(
    devpi_production: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    """On devpi's non-volatile index, whose create-once is atomic (a transaction). pypiserver's
    check-then-write is not, so two of its uploads can both "win" one name under load: the
    index's own atomicity decides such races, and vc-upload's verify reports the loser."""
    repo = tagged_repo(tmp_path / "repo", "v1.0.0")
    sets = [
        make_dists(tmp_path / f"s{i}", unique_project, "1.0.0", payload=f"build {i}")
        for i in range(8)
    ]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda s: vc_upload(devpi_production, s, repo), sets))
    codes = [r.returncode for r in results]
    assert sorted(codes) == [0] + [1] * 7, [r.stderr for r in results]
    winner = sets[codes.index(0)]
    project = winner[0].name.split("-")[0]
    for f in winner:
        assert devpi_production.served_sha256(project, f.name) == sha256_file(f)


def test_an_index_slower_than_the_timeout_is_read_again(
    pypiserver_nofallback_index: IndexServer,
    release: tuple[list[Path], Path],
    make_fault_proxy: Callable[[str], FaultProxy],
) -> None:
    """The server stores the wheel but answers after our timeout: the re-read finds our bytes."""
    files, repo = release
    proxy = make_fault_proxy(pypiserver_nofallback_index.base_url)
    proxy.set_mode("slow", delay=4.0, count=1)
    through = pypiserver_nofallback_index.via(proxy.url)
    result = vc_upload(through, files, repo, "--format", "json", "--timeout", "1")
    assert result.returncode == 0, result.stderr
    assert outcomes(result) == {files[0].name: "found-on-index", files[1].name: "uploaded"}


@pytest.mark.parametrize("fault", ["reset-after-body", "http-500", "slow"])
def test_faults_never_leave_other_files_live_and_a_rerun_converges(
    fault: Mode,
    pypiserver_nofallback_index: IndexServer,
    release: tuple[list[Path], Path],
    make_fault_proxy: Callable[[str], FaultProxy],
) -> None:
    files, repo = release
    proxy = make_fault_proxy(pypiserver_nofallback_index.base_url)
    through = pypiserver_nofallback_index.via(proxy.url)
    proxy.set_mode(fault, delay=2.0, count=1)
    first = vc_upload(through, files, repo, "--format", "json")
    project = files[0].name.split("-")[0]
    live = pypiserver_nofallback_index.sha256s(project)
    for name in live:
        assert pypiserver_nofallback_index.served_sha256(project, name) == sha256_file(
            next(f for f in files if f.name == name)
        )
    if fault == "http-500":
        assert first.returncode == 4, first.stderr
        assert "run again" in first.stderr.lower()
    else:
        assert first.returncode == 0, first.stderr
    rerun = vc_upload(through, files, repo, "--format", "json")
    assert rerun.returncode == 0, rerun.stderr
    assert set(pypiserver_nofallback_index.sha256s(project)) == {f.name for f in files}


def test_pypirc_section_and_the_console_script(
    pypiserver_index: IndexServer, release: tuple[list[Path], Path], tmp_path: Path
) -> None:
    """`vc-upload -r local` with credentials from a .pypirc, through the installed script."""
    files, repo = release
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(
        "[distutils]\nindex-servers = local\n\n[local]\n"
        f"repository = {pypiserver_index.upload_url}\n"
        f"username = {pypiserver_index.username}\npassword = {pypiserver_index.password}\n"
    )
    script = Path(sys.executable).parent / "vc-upload"
    assert script.exists(), "the vc-upload console script is not installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "VCRELEASE_"))}
    result = subprocess.run(
        [str(script), *map(str, files), "-r", "local", "--config-file", str(pypirc),
         "--project-dir", str(repo), "--format", "json"],
        env={**env, "HOME": str(tmp_path), "PYTHON_KEYRING_BACKEND": NO_KEYRING},
        capture_output=True, text=True, check=False, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert set(outcomes(result).values()) == {"uploaded"}
    assert pypiserver_index.password not in result.stdout + result.stderr


def test_unknown_pypirc_section_exits_2(release: tuple[list[Path], Path], tmp_path: Path) -> None:
    files, repo = release
    result = subprocess.run(
        [sys.executable, "-m", "vcrelease", "upload", *map(str, files), "-r", "nowhere",
         "--config-file", str(tmp_path / "missing-pypirc"), "--project-dir", str(repo)],
        env={**os.environ, "HOME": str(tmp_path)},
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "nowhere" in result.stderr
    assert "Traceback" not in result.stderr


def test_two_branches_one_dev_version_names_the_cause_and_the_setting(
    pypiserver_nofallback_index: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    """feature-a and feature-b, both 3 past v1.2.3 with dev-number = distance: 1.2.4.dev3."""
    repo = tagged_repo(tmp_path / "repo", "v1.2.3")
    git(repo, "checkout", "-q", "-b", "feature-b")
    (repo / "pyproject.toml").write_text('[tool.vcrelease]\ndev-number = "distance"\n')
    git(repo, "add", "pyproject.toml")
    git(repo, "commit", "-qm", "dev-number = distance")
    for n in range(2):  # the files are the version at HEAD: 3 past v1.2.3
        (repo / "app.txt").write_text(f"feature-b {n}\n")
        git(repo, "commit", "-qam", f"feature-b {n}")
    head = git(repo, "rev-parse", "HEAD")
    first = make_dists(tmp_path / "a", unique_project, "1.2.4.dev3", payload="feature-a")
    second = make_dists(tmp_path / "b", unique_project, "1.2.4.dev3", payload="feature-b")
    env = github("push", "refs/heads/feature-b", head)
    assert vc_upload(pypiserver_nofallback_index, first, repo, env=env).returncode == 0
    result = vc_upload(pypiserver_nofallback_index, second, repo, env=env)
    assert result.returncode == 1
    assert "Two different builds produced one dev version, 1.2.4.dev3" in result.stderr
    assert "dev-number = 'run'" in result.stderr


def test_what_the_indexes_say_about_overwrites(
    devpi_staging: IndexServer,
    devpi_production: IndexServer,
    pypiserver_overwrite_index: IndexServer,
) -> None:
    """devpi says ``volatile`` in its index configuration; pypiserver says nothing."""
    from servers import local_session
    from vcrelease.publish.indexclient import index_volatile

    with local_session() as session:
        assert index_volatile(session, devpi_staging.index_url) is True
        assert index_volatile(session, devpi_production.index_url) is False
        assert index_volatile(session, pypiserver_overwrite_index.index_url) is None


@pytest.mark.parametrize(
    ("index", "replaces"),
    [("pypiserver_nofallback_index", False), ("pypiserver_overwrite_index", True)],
)
def test_an_index_that_does_not_say_is_probed_with_the_first_file_again(
    index: str,
    replaces: bool,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    unique_project: str,
) -> None:
    """pypiserver says nothing of overwrites: the first file is uploaded a second time (same
    bytes). Without ``--overwrite`` it answers 400 "already exists" and the run is not
    guarded (no look-up before each upload, no pause before the verification); with
    ``--overwrite`` it accepts, and the run is guarded. Either way every file is live with
    our bytes at the end."""
    server: IndexServer = request.getfixturevalue(index)
    files = make_dists(tmp_path / "dist", unique_project, "1.0.0", payload="probe")
    # a larger wheel whose name sorts first: the probe must still send the smallest file
    wheel = files[0]
    larger = wheel.with_name(wheel.name.replace("-py3-none-any", "-py2.py3-none-any"))
    shutil.copyfile(wheel, larger)
    with zipfile.ZipFile(larger, "a") as archive:
        archive.writestr("padding.bin", os.urandom(20_000))
    files = [larger, *files]
    repo = tagged_repo(tmp_path / "repo", "v1.0.0")
    result = vc_upload(server, files, repo, "--verbose", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert set(outcomes(result).values()) == {"uploaded"}
    probe = [line for line in result.stderr.splitlines() if "probe:" in line]
    assert len(probe) == 1, result.stderr
    wheels = [f for f in files if f.name.endswith(".whl")]
    smallest = min(wheels, key=lambda f: (f.stat().st_size, f.name))
    assert f"probe: {smallest.name} uploaded again" in probe[0]  # the cheapest file to send
    if replaces:
        assert "may replace files" in probe[0]
        assert "verifying in" in result.stderr
    else:
        # pypiserver: "400 Bad Request ... already exists! You may start server with
        # `--overwrite`"
        assert "already exists" in probe[0]
        assert "takes a name once" in probe[0]
        assert "verifying in" not in result.stderr
    live = {
        name: server.served_sha256(unique_project, name) for name in server.sha256s(unique_project)
    }
    assert live == {f.name: sha256_file(f) for f in files}


@pytest.mark.parametrize(
    ("upload_url", "keeps"),
    [
        ("https://gitlab.example.org/api/v4/projects/42/packages/pypi", True),
        ("https://gitlab.example.org/api/v4/projects/42/packages/pypi/", True),
        ("https://gitlab.example.org/api/v4/groups/7/-/packages/pypi", True),
        ("https://pypi.example.org/", False),
        ("https://devpi.example.org/ci/production/", False),
        ("https://artifactory.example.org/artifactory/api/pypi/pypi-local", False),
    ],
)
def test_gitlab_which_may_keep_duplicates_is_guarded_without_a_probe(
    upload_url: str, keeps: bool
) -> None:
    """A second upload of the same bytes would add a record on GitLab's registry (it may keep
    every upload of a name): there the run is guarded from the start, not probed."""
    from vcrelease.publish.upload import OverwriteGuard, keeps_duplicates

    assert keeps_duplicates(upload_url) is keeps
    guard = OverwriteGuard(None, probe=not keeps)
    assert guard.active
    assert guard.probing is not keeps


def test_a_volatile_devpi_index_is_refused_unless_allowed(
    devpi_staging: IndexServer, release: tuple[list[Path], Path]
) -> None:
    files, repo = release
    project = files[0].name.split("-")[0]
    refused = vc_upload(devpi_staging, files, repo)
    assert refused.returncode == 1, refused.stderr
    assert "volatile" in refused.stderr
    assert "--allow-volatile-index" in refused.stderr
    assert devpi_staging.listing(project).files == ()
    allowed = vc_upload(devpi_staging, files, repo, "--allow-volatile-index", "--format", "json")
    assert allowed.returncode == 0, allowed.stderr
    assert set(outcomes(allowed).values()) == {"uploaded"}


@pytest.mark.parametrize("index", ["pypiserver_overwrite_index", "devpi_staging"])
def test_parallel_runs_with_different_bytes_on_an_index_that_overwrites(
    index: str, request: pytest.FixtureRequest, tmp_path: Path, unique_project: str
) -> None:
    """8 builds at once, each with its own bytes, where the index would replace
    files. Every run that exits 0 has its bytes live at the end, for every file (so at most
    one set is reported live); a live file that matches no build is named by a failing run."""
    server: IndexServer = request.getfixturevalue(index)
    repo = tagged_repo(tmp_path / "repo", "v1.0.0")
    sets = [
        make_dists(tmp_path / f"s{i}", unique_project, "1.0.0", payload=f"build {i}")
        for i in range(8)
    ]
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(lambda s: vc_upload(server, s, repo, "--allow-volatile-index"), sets)
        )
    said = "\n---\n".join(f"exit {r.returncode}: {r.stderr}" for r in results)
    assert {r.returncode for r in results} <= {0, 1}, said
    builds = [{f.name: sha256_file(f) for f in s} for s in sets]
    listed = server.sha256s(unique_project)
    live = {name: server.served_sha256(unique_project, name) for name in listed}
    for build, result in zip(builds, results, strict=True):
        if result.returncode == 0:
            assert build == live, said
    for name, sha in live.items():
        if all(build[name] != sha for build in builds):  # torn: named loudly
            assert any(
                r.returncode == 1 and "TORN OR REPLACED" in r.stderr and sha in r.stderr
                for r in results
            ), said
