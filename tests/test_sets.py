"""A co-released set published as one (``vc-upload`` with the files of several
projects, ``vcrelease promote A==x B==y``), against real servers on 127.0.0.1.

The set: project ``A`` (directory ``a/``, tags ``a-v*``) depends on ``B`` (``b/``, ``b-v*``),
pinned exactly as ``pin-siblings`` writes it (``B==0.4.0``). ``A`` sorts before ``B`` by name,
so an upload in name order would put ``A`` first: the dependency order puts ``B`` first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from distfiles import make_dists, sha256_file
from faultproxy import FaultProxy
from gitutil import git, new_repo
from servers import IndexServer
from test_ci_versions import github
from vcrelease.ci.context import BuildContext
from vcrelease.errors import ConfigError
from vcrelease.publish.policy import RepoFacts
from vcrelease.publish.sets import (
    MemberBuild,
    SetMismatchError,
    check_pins,
    decide_set,
    dependency_order,
    pin_disagreements,
    sibling_pins,
)

NOWHERE = IndexServer(
    kind="pypiserver", base_url="http://127.0.0.1:9", upload_url="http://127.0.0.1:9/",
    index_url="http://127.0.0.1:9/simple/", username="u", password="p", accepts_overwrite=False,
)  # fmt: skip
"""An index nobody listens on: a run that reaches the network exits 4."""

# --- the rules (pure) -------------------------------------------------------------------------


def test_dependency_order_puts_dependencies_first_ties_by_name() -> None:
    requires = {
        "app": ["lib==1.0", "requests>=2"],
        "lib": ["core[fast]==0.1 ; python_version >= '3'"],
        "core": [],
        "extra": [],
    }
    assert dependency_order(requires) == ("core", "extra", "lib", "app")
    assert dependency_order({"b": [], "a": []}) == ("a", "b")


def test_a_cycle_is_exit_2_naming_the_projects() -> None:
    with pytest.raises(SetMismatchError, match=r"cycle \(a -> b -> c -> a\)") as caught:
        dependency_order({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]})
    assert caught.value.exit_code == 2
    assert isinstance(caught.value, ConfigError)


def test_pins_must_agree_with_the_set() -> None:
    versions = {"a": "1.3.0", "b": "0.4.0"}
    requires = {"a": ["packaging>=20"], "b": ["a==1.2.0"]}
    assert pin_disagreements(versions, requires) == [
        "b 0.4.0 requires a==1.2.0, but the set holds a 1.3.0"
    ]
    with pytest.raises(SetMismatchError, match=r"b 0\.4\.0 requires a==1\.2\.0.*a 1\.3\.0"):
        check_pins(versions, requires)
    check_pins({"a": "1.2.0", "b": "0.4.0"}, requires)  # agrees: no error


def test_sibling_pins_are_the_exact_pins_outside_the_set() -> None:
    requires = {"a": ["b==0.4", "c>=1", "d==1.*", "e===2"], "b": []}
    assert sibling_pins({"a": "1.0"}, requires) == {"a": [("b", "0.4")]}
    assert sibling_pins({"a": "1.0", "b": "0.4"}, requires) == {}


def _member(
    project: str,
    version: str,
    tags: tuple[tuple[str, str], ...] = (),
    *,
    head_version: str | None = None,
    owns_ci_tag: bool = False,
) -> MemberBuild:
    facts = RepoFacts(head="c" * 40, branch="main", head_tags=tags)
    return MemberBuild(project, version, head_version or version, facts, owns_ci_tag)


def test_set_policy_tag_build_of_one_members_tag_uploads_the_tagged_set() -> None:
    tag_build = BuildContext(provider="github", event="tag", tag="a-v1.2.0", sha="c" * 40)
    a = _member("a", "1.2.0", (("a-v1.2.0", "1.2.0"),), owns_ci_tag=True)
    b = _member("b", "0.4.0", (("b-v0.4.0", "0.4.0"),))
    assert decide_set(tag_build, [a, b]).action == "upload"
    b_dev = _member("b", "0.4.1.dev1")
    refused = decide_set(tag_build, [a, b_dev])
    assert (refused.action, refused.exit_code) == ("refuse", 1)
    assert "b 0.4.1.dev1, which no tag of b on HEAD names" in refused.reason


def test_set_policy_one_skip_skips_the_set_and_stale_files_refuse() -> None:
    racing = BuildContext(provider="github", event="branch", branch="main", sha="c" * 40)
    a = _member("a", "1.2.0", (("a-v1.2.0", "1.2.0"),))
    b = _member("b", "0.4.0", (("b-v0.4.0", "0.4.0"),))
    skipped = decide_set(racing, [a, b])
    assert (skipped.action, skipped.exit_code) == ("skip", 0)
    assert skipped.reason.startswith("a 1.2.0: HEAD carries the release tag a-v1.2.0")
    assert "; b 0.4.0: HEAD carries the release tag b-v0.4.0" in skipped.reason
    assert decide_set(racing, [a, b], strict=True).exit_code == 1
    stale = _member("b", "0.4.0", head_version="0.5.0")
    refused = decide_set(BuildContext.local(branch="main", tag=None, sha="c" * 40), [a, stale])
    assert refused.action == "refuse"
    assert "vcrelease computes 0.5.0" in refused.reason


# --- vc-upload and promote against real servers -----------------------------------------------


def set_repo(path: Path, a: str, b: str, *, b_tag: str = "b-v0.4.0") -> Path:
    """A clean repository holding projects ``a`` (``a/``) and ``b`` (``b/``), HEAD tagged
    ``a-v1.2.0`` and ``b_tag``."""
    files = {
        f"{directory}/pyproject.toml": f'[project]\nname = "{name}"\ndynamic = ["version"]\n\n'
        f'[tool.vcrelease]\ntag-prefix = "{directory}-v"\n'
        for name, directory in ((a, "a"), (b, "b"))
    }
    return new_repo(path, files=files, tags=["a-v1.2.0", b_tag])


def run_cli(
    server: IndexServer, *argv: str, target_password: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m vcrelease ARGV`` with the target's credentials in TWINE_* variables (this
    checkout's ``src`` first on the path, so the code under test runs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "VCRELEASE_"))}
    src = str(Path(__file__).resolve().parent.parent / "src")
    env.update(
        TWINE_USERNAME=server.username,
        TWINE_PASSWORD=server.password if target_password is None else target_password,
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        PYTHONPATH=os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")])),
    )
    return subprocess.run(
        [sys.executable, "-m", "vcrelease", *argv],
        env=env, capture_output=True, text=True, check=False, timeout=180,
    )  # fmt: skip


def vc_upload(
    server: IndexServer, files: list[Path], repo: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return run_cli(
        server, "upload", *map(str, files), "--repository-url", server.upload_url,
        "--index-url", server.index_url, "--project-dir", str(repo), "--no-progress", *args,
    )  # fmt: skip


def document(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert result.stdout.strip(), result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def outcomes(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    files = document(result)["files"]
    assert isinstance(files, list)
    return {f["filename"]: f["outcome"] or f["action"] for f in files}


class TheSet:
    """The names, the files and the repository of one test's set."""

    def __init__(self, root: Path, stem: str) -> None:
        self.a, self.b = f"{stem}-a", f"{stem}-b"
        self.b_files = make_dists(root / "b", self.b, "0.4.0", payload="b")
        self.a_files = make_dists(
            root / "a", self.a, "1.2.0", payload="a", dependencies=[f"{self.b}==0.4.0"]
        )
        self.files = [*self.a_files, *self.b_files]  # name order: A's files first
        self.repo = set_repo(root / "repo", self.a, self.b)


@pytest.fixture(scope="module")
def the_set(tmp_path_factory: pytest.TempPathFactory) -> TheSet:
    """Built once per module (4 builds): each server of this module sees these names in one
    test only (own pypiserver: the order; the shared pypiserver: the conflict; devpi: the
    promotion); the other tests send nothing."""
    import secrets

    return TheSet(tmp_path_factory.mktemp("set"), f"t-set-{secrets.token_hex(4)}")


@pytest.fixture(scope="module")
def own_pypiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[IndexServer, Path]]:
    """A pypiserver of this module, whose package directory shows when each file arrived."""
    from servers import start_pypiserver

    workdir = tmp_path_factory.mktemp("pypiserver-sets")
    proc, server = start_pypiserver(workdir, fallback=False, name="pypiserver (sets)")
    with proc:
        yield server, workdir / "packages"


@pytest.mark.slow
def test_a_set_is_uploaded_in_dependency_order_verified_and_a_rerun_skips(
    own_pypiserver: tuple[IndexServer, Path], the_set: TheSet
) -> None:
    server, packages = own_pypiserver
    dry = vc_upload(server, the_set.files, the_set.repo, "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    assert document(dry)["dry_run"] is True
    assert document(dry)["order"] == [the_set.b, the_set.a]
    assert set(outcomes(dry).values()) == {"upload"}
    assert not server.listing(the_set.b).exists
    first = vc_upload(server, the_set.files, the_set.repo, "--format", "json")
    assert first.returncode == 0, first.stderr
    doc = document(first)
    assert doc["order"] == [the_set.b, the_set.a]
    projects = doc["projects"]
    assert isinstance(projects, list)
    assert [(p["project"], p["version"]) for p in projects] == [
        (the_set.b, "0.4.0"),
        (the_set.a, "1.2.0"),
    ]
    assert set(outcomes(first).values()) == {"uploaded"}
    assert "every file of every project is on the index" in str(doc["message"])
    # The server's own record: every file of B arrived before any file of A.
    arrived = {f.name: (packages / f.name).stat().st_mtime_ns for f in the_set.files}
    assert max(arrived[f.name] for f in the_set.b_files) < min(
        arrived[f.name] for f in the_set.a_files
    )
    for project, files in ((the_set.a, the_set.a_files), (the_set.b, the_set.b_files)):
        for f in files:
            assert server.served_sha256(project, f.name) == sha256_file(f)
    again = vc_upload(server, the_set.files, the_set.repo)  # the table this time
    assert again.returncode == 0, again.stderr
    assert "upload order" in again.stdout
    assert again.stdout.count("skipped") == 4
    assert again.stdout.index(the_set.b) < again.stdout.index(the_set.a)


@pytest.mark.slow
def test_one_conflicting_file_uploads_nothing_of_any_project(
    pypiserver_index: IndexServer, the_set: TheSet, tmp_path: Path
) -> None:
    """B's sdist is already on the index with other bytes: neither A nor B gets a file."""
    other = make_dists(tmp_path / "other", the_set.b, "0.4.0", payload="rebuilt")
    pypiserver_index.upload([other[1]])
    result = vc_upload(pypiserver_index, the_set.files, the_set.repo, "--format", "json")
    assert result.returncode == 1, result.stderr
    said = outcomes(result)
    assert said[the_set.b_files[1].name] == "refuse"
    assert {said[f.name] for f in (*the_set.a_files, the_set.b_files[0])} == {"not-uploaded"}
    assert "refused as one: nothing of any of its projects was uploaded" in result.stderr
    assert pypiserver_index.listing(the_set.a).files == ()
    assert set(pypiserver_index.sha256s(the_set.b)) == {other[1].name}


def test_pins_that_disagree_are_refused_before_any_request(tmp_path: Path, the_set: TheSet) -> None:
    newer_b = make_dists(tmp_path / "b5", the_set.b, "0.5.0", payload="b")
    result = vc_upload(NOWHERE, [*the_set.a_files, *newer_b], the_set.repo)
    assert result.returncode == 2, result.stderr  # a request would have been exit 4
    assert f"{the_set.a} 1.2.0 requires {the_set.b}==0.4.0" in result.stderr
    assert f"the set holds {the_set.b} 0.5.0" in result.stderr


def test_files_of_another_commit_are_refused_before_any_request(
    tmp_path: Path, the_set: TheSet
) -> None:
    """B's files say 0.4.0, but at HEAD B is 0.5.0 (its tag moved on): not one commit."""
    moved = set_repo(tmp_path / "moved", the_set.a, the_set.b, b_tag="b-v0.5.0")
    result = vc_upload(NOWHERE, the_set.files, moved)
    assert result.returncode == 1, result.stderr
    assert f"the files of {the_set.b} are 0.4.0" in result.stderr
    assert "computes 0.5.0" in result.stderr


def test_the_racing_branch_build_skips_the_whole_set(the_set: TheSet) -> None:
    head = git(the_set.repo, "rev-parse", "HEAD")
    env = github("push", "refs/heads/main", head)
    result = _upload_env(the_set, env)
    assert result.returncode == 0, result.stderr
    assert f"{the_set.b} 0.4.0: HEAD carries the release tag b-v0.4.0" in result.stderr
    assert set(outcomes(result).values()) == {"not-uploaded"}


def _upload_env(the_set: TheSet, ci: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "VCRELEASE_"))}
    src = str(Path(__file__).resolve().parent.parent / "src")
    env.update(ci, PYTHONPATH=os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")])))
    return subprocess.run(
        [sys.executable, "-m", "vcrelease", "upload", *map(str, the_set.files),
         "--repository-url", NOWHERE.upload_url, "--project-dir", str(the_set.repo),
         "--format", "json"],
        env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def promote(
    source: IndexServer, target: IndexServer, *specs: str
) -> subprocess.CompletedProcess[str]:
    return run_cli(
        target, "promote", *specs, "--from", source.index_url, "--to", target.upload_url,
        "--index-url", target.index_url, "--no-progress", "--format", "json",
    )  # fmt: skip


@pytest.mark.slow
def test_promote_refuses_a_member_whose_sibling_is_not_on_the_target_then_promotes_both(
    devpi_staging: IndexServer, devpi_production: IndexServer, the_set: TheSet
) -> None:
    devpi_staging.upload(the_set.files)
    alone = promote(devpi_staging, devpi_production, f"{the_set.a}==1.2.0")
    assert alone.returncode == 1, alone.stderr
    assert f"{the_set.a} 1.2.0 pins {the_set.b}==0.4.0" in alone.stderr
    assert "Promote them together" in alone.stderr
    assert not devpi_production.listing(the_set.a).exists
    waived = promote(
        devpi_staging, devpi_production, f"{the_set.a}==1.2.0", "--allow-unpromoted-dependencies"
    )
    assert waived.returncode == 1, waived.stderr  # an exact pin is never waived
    assert not devpi_production.listing(the_set.a).exists
    both = promote(devpi_staging, devpi_production, f"{the_set.a}==1.2.0", f"{the_set.b}==0.4.0")
    assert both.returncode == 0, both.stderr
    assert document(both)["order"] == [the_set.b, the_set.a]
    assert set(outcomes(both).values()) == {"uploaded"}
    for project, files in ((the_set.a, the_set.a_files), (the_set.b, the_set.b_files)):
        for f in files:
            assert devpi_production.served_sha256(project, f.name) == sha256_file(f)
    again = promote(devpi_staging, devpi_production, f"{the_set.b}==0.4.0", f"{the_set.a}==1.2.0")
    assert again.returncode == 0, again.stderr
    assert set(outcomes(again).values()) == {"skipped"}


@pytest.mark.slow
def test_a_failure_mid_set_says_which_files_are_live_and_a_rerun_finishes(
    pypiserver_nofallback_index: IndexServer,
    the_set: TheSet,
    make_fault_proxy: Callable[[str], FaultProxy],
) -> None:
    """B is on the index already (same bytes); every upload of A fails: B stays live, the
    report says so file by file, and the same command finishes the set."""
    server = pypiserver_nofallback_index
    server.upload(the_set.b_files)
    proxy = make_fault_proxy(server.base_url)
    proxy.set_mode("http-500")
    through = server.via(proxy.url)
    failed = vc_upload(through, the_set.files, the_set.repo, "--format", "json")
    assert failed.returncode == 4, failed.stderr
    wheel, sdist = the_set.a_files
    assert outcomes(failed) == {
        the_set.b_files[0].name: "skipped",
        the_set.b_files[1].name: "skipped",
        wheel.name: "failed",
        sdist.name: "not-uploaded",
    }
    live = ", ".join(f.name for f in the_set.b_files)
    assert f"live on the index: {live}." in failed.stderr
    assert "Run the same command again to finish the set" in failed.stderr
    assert server.listing(the_set.a).files == ()
    proxy.set_mode("pass")
    rerun = vc_upload(through, the_set.files, the_set.repo, "--format", "json")
    assert rerun.returncode == 0, rerun.stderr
    assert {outcomes(rerun)[f.name] for f in the_set.a_files} == {"uploaded"}
    assert {outcomes(rerun)[f.name] for f in the_set.b_files} == {"skipped"}


@pytest.mark.slow
def test_a_generated_monorepo_with_pinned_siblings_is_uploaded_as_one_set(
    pypiserver_nofallback_index: IndexServer, build_env: dict[str, str], tmp_path: Path
) -> None:
    """The monorepo of tests/test_monorepo.py, built for real (isolated builds of this
    checkout): pkg-b pins ``pkg-c[fast]==0.5.0`` through the metadata hook, so the set goes
    pkg-c first, each project found by its own tag prefix / tag pattern at HEAD. (pkg-a, the
    setuptools one, is left out: one more build would double the time.)"""
    from test_build_e2e import build_ok
    from test_monorepo import make_monorepo

    mono = make_monorepo(tmp_path / "mono")
    files: list[Path] = []
    for name in ("pkg-b", "pkg-c"):
        out = tmp_path / f"dist-{name}"
        files += [out / f for f in build_ok(mono / name, out, build_env)]
    result = vc_upload(pypiserver_nofallback_index, files, mono / "pkg-b", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert document(result)["order"] == ["pkg-c", "pkg-b"]
    assert set(outcomes(result).values()) == {"uploaded"}
    assert set(pypiserver_nofallback_index.sha256s("pkg-b")) == {
        f.name for f in files if f.name.startswith("pkg_b")
    }


@pytest.mark.slow
def test_the_flag_waives_an_exact_pin_only_of_a_release_the_source_lacks_too(
    devpi_staging: IndexServer, devpi_production: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    """A third party's exact pin (on neither index) is waived by
    --allow-unpromoted-dependencies; without the flag it is refused like a sibling's."""
    files = make_dists(
        tmp_path, unique_project, "1.0.0", payload="x", dependencies=["t-third-party==3.0"]
    )
    devpi_staging.upload(files)
    spec = f"{unique_project}==1.0.0"
    refused = promote(devpi_staging, devpi_production, spec)
    assert refused.returncode == 1, refused.stderr
    assert "pins t-third-party==3.0" in refused.stderr
    waived = promote(devpi_staging, devpi_production, spec, "--allow-unpromoted-dependencies")
    assert waived.returncode == 0, waived.stderr
    assert set(outcomes(waived).values()) == {"uploaded"}


@pytest.mark.slow
def test_ctrl_c_mid_set_lists_the_live_files_of_the_set(
    pypiserver_nofallback_index: IndexServer,
    tmp_path: Path,
    unique_project: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """B is live (same bytes, skipped); Ctrl-C during A's first upload: the message names B's
    files as live and says a re-run finishes the set."""
    from types import SimpleNamespace

    import requests

    from vcrelease.errors import InterruptedRun
    from vcrelease.publish import setupload
    from vcrelease.publish.dists import plan_set
    from vcrelease.publish.options import UploadOptions
    from vcrelease.publish.target import Target

    server = pypiserver_nofallback_index
    b_files = make_dists(tmp_path / "b", f"{unique_project}-b", "1.0.0", payload="b")
    a_files = make_dists(
        tmp_path / "a", f"{unique_project}-a", "1.0.0", payload="a",
        dependencies=[f"{unique_project}-b==1.0.0"],
    )  # fmt: skip
    server.upload(b_files)

    def interrupted(*_args: object, **_kw: object) -> Callable[[object], tuple[int, str]]:
        def upload_one(_dist: object) -> tuple[int, str]:
            raise KeyboardInterrupt

        return upload_one

    monkeypatch.setattr(setupload, "twine_uploader", interrupted)
    settings = SimpleNamespace(create_repository=lambda: SimpleNamespace(close=lambda: None))
    target = Target(server.upload_url, server.index_url, server.username, server.password, 30)
    plans = sorted(plan_set([*a_files, *b_files]), key=lambda p: p.project != f"{unique_project}-b")
    with requests.Session() as session, pytest.raises(InterruptedRun) as caught:
        setupload.upload_set(session, target, plans, settings, UploadOptions(quiet_stdout=True))
    said = caught.value.message
    assert f"Interrupted while uploading {a_files[0].name}" in said
    assert f"live on the index: {b_files[0].name}, {b_files[1].name}." in said
    assert "Run the same command again to finish the set" in said
    assert server.listing(f"{unique_project}-a").files == ()
