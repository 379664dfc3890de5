"""Side-by-side deployments (``vcrelease deploy``, ``vcrelease.multiversion``) for real.

Two versions of a small application whose dependency versions conflict (``app 1.x`` needs
``dep<2``, ``app 2.x`` needs ``dep>=2``) are built with hatchling, uploaded to a real
pypiserver, installed side by side with pip and with uv, run by partial version, switched
live 200 times while other processes start the live console script, rolled back, and imported
by partial version in separate processes.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from packaging.version import Version

from vcrelease.deploy import operations
from vcrelease.deploy.layout import DeployRefused, desired_links, select
from vcrelease.errors import ConfigError

# --- the rules, as tables ---------------------------------------------------------------------

INSTALLED = ["1.0", "1.1", "1.1.1", "1.2rc1", "2.0", "2.1rc1", "2.1.dev3", "3.0.post1", "1!0.5"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("1", "1.1.1"),  # ==1.*, finals first: 1.2rc1 does not count
        ("1.1", "1.1"),  # a version directory names itself
        ("1.1.0", "1.1"),  # the same PEP 440 version
        ("1.2", "1.2rc1"),  # only a pre-release matches: it counts
        ("2", "2.0"),
        ("2.1", "2.1rc1"),  # 2.1rc1 > 2.1.dev3
        ("3", "3.0.post1"),
        ("3.0", "3.0.post1"),
        ("3.0.0", "3.0.post1"),
        ("4", None),
        ("1!0", "1!0.5"),
        ("0", None),  # epoch 0 has no 0.x
        ("2.0rc1", None),  # a pre-release names only itself
        ("2.1rc1", "2.1rc1"),
        (">=1.1,<2", "1.1.1"),
        ("<1.1", "1.0"),
        ("~=2.0", "2.0"),
    ],
)
def test_spec_names_the_most_specific_installed_match(spec: str, expected: str | None) -> None:
    versions = {v: Version(v) for v in INSTALLED}
    assert select(versions, spec) == expected


@pytest.mark.parametrize("spec", ["latest", "1.x", "==", "v1"])
def test_a_spec_that_is_not_one_is_a_usage_error(spec: str) -> None:
    with pytest.raises(ConfigError, match="not a version spec"):
        select({"1.0": Version("1.0")}, spec)


def test_partial_links_point_at_the_highest_final_match_and_never_shadow_a_version() -> None:
    versions = {v: Version(v) for v in INSTALLED}
    assert desired_links(versions) == {
        "1": "1.1.1",
        "1.2": "1.2rc1",  # only a pre-release in the series
        "2": "2.0",  # the final release, not 2.1rc1
        "2.1": "2.1rc1",
        "3": "3.0.post1",
        "3.0": "3.0.post1",
        "1!0": "1!0.5",
    }  # 1.0, 1.1, 1.1.1, 2.0 and 1!0.5 are version directories: no link takes their names


# --- real packages, a real index ---------------------------------------------------------------

_PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "{version}"
dependencies = {dependencies}

[project.scripts]
{scripts}

[tool.hatch.build.targets.wheel]
packages = ["{module}"]
"""


def _build(work: Path, name: str, version: str, source: str, deps: list[str], script: str) -> Path:
    module = name.replace("-", "_")
    project = work / f"{name}-{version}"
    (project / module).mkdir(parents=True)
    scripts = f'{script} = "{module}:main"' if script else ""
    (project / "pyproject.toml").write_text(
        _PYPROJECT.format(
            name=name,
            version=version,
            dependencies=json.dumps(deps),
            scripts=scripts,
            module=module,
        )
    )
    (project / module / "__init__.py").write_text(source)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VCRELEASE_"))}
    env["SOURCE_DATE_EPOCH"] = "1700000000"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            work / "dist",
            project,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = (work / "dist").glob(f"{module}-{version}-*.whl")
    return wheel


class Release:
    """The application and dependency names of one test session, and where they are."""

    def __init__(self, app: str, dep: str, index_url: str) -> None:
        self.app, self.dep, self.index_url = app, dep, index_url
        self.app_module, self.dep_module = app.replace("-", "_"), dep.replace("-", "_")


APP_VERSIONS = {"1.0": "<2", "1.1": "<2", "2.0": ">=2", "2.1rc1": ">=2"}


@pytest.fixture(scope="module")
def release(
    tmp_path_factory: pytest.TempPathFactory, pypiserver_nofallback_index: object
) -> Release:
    from servers import IndexServer

    index = pypiserver_nofallback_index
    assert isinstance(index, IndexServer)
    suffix = secrets.token_hex(3)
    app, dep = f"vcr-deploy-app-{suffix}", f"vcr-deploy-dep-{suffix}"
    work = tmp_path_factory.mktemp("deploy-dists")
    dep_module = dep.replace("-", "_")
    wheels = [_build(work, dep, v, f"VERSION = {v!r}\n", [], "") for v in ("1.5", "2.3")]
    for version, bound in APP_VERSIONS.items():
        source = (
            f"import {dep_module}\n__version__ = {version!r}\n\n"
            f"def main():\n    import sys\n"
            f"    print('app', __version__, 'dep', {dep_module}.VERSION, *sys.argv[1:])\n"
        )
        wheels.append(_build(work, app, version, source, [f"{dep}{bound}"], app))
    index.upload(wheels)
    return Release(app, dep, index.index_url)


def _vcrelease(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vcrelease", "deploy", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.fixture(scope="module")
def deployed(release: Release, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root with app 1.0 and 2.0 (pip), 1.1 and 2.1rc1 (uv)."""
    root = tmp_path_factory.mktemp("deploy-root")
    for version, installer in (("1.0", "pip"), ("2.0", "pip"), ("1.1", "uv"), ("2.1rc1", "uv")):
        result = _vcrelease(
            "install", f"{release.app}=={version}", "--root", str(root),
            "--index-url", release.index_url, "--installer", installer,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    return root


def _run_script(path: Path, *args: str) -> str:
    result = subprocess.run([str(path), *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.slow
def test_conflicting_versions_live_side_by_side_each_with_its_own_dependencies(
    release: Release, deployed: Path
) -> None:
    project = deployed / release.app
    outputs = {
        version: _run_script(project / version / "bin" / release.app)
        for version in ("1.0", "1.1", "2.0", "2.1rc1")
    }
    assert outputs == {
        "1.0": "app 1.0 dep 1.5",
        "1.1": "app 1.1 dep 1.5",
        "2.0": "app 2.0 dep 2.3",
        "2.1rc1": "app 2.1rc1 dep 2.3",
    }
    assert sorted(os.listdir(project / "1.0" / "lib")) != sorted(
        os.listdir(project / "2.0" / "lib")
    )
    links = {
        p.name: os.readlink(p)
        for p in project.iterdir()
        if p.is_symlink() and p.name not in {"live", "previous"}
    }
    assert links == {"1": "1.1", "2": "2.0", "2.1": "2.1rc1"}


@pytest.mark.slow
def test_run_and_import_by_partial_version(release: Release, deployed: Path) -> None:
    run = _vcrelease("run", f"{release.app}@1", "--root", str(deployed), "--", "x")
    assert (run.returncode, run.stdout.strip()) == (0, "app 1.1 dep 1.5 x"), run.stderr
    for spec, expected in (
        ("1", "1.1 1.5"),
        ("1.0", "1.0 1.5"),
        ("2", "2.0 2.3"),
        (">=2.1rc1", "2.1rc1 2.3"),
    ):
        code = (
            "from vcrelease.multiversion import require\n"
            f"m = require({release.app!r}, {spec!r})\n"
            f"import {release.dep_module} as d\nprint(m.__version__, d.VERSION)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True, text=True, check=False,
            env={**os.environ, "VCRELEASE_DEPLOY_ROOT": str(deployed)},
        )  # fmt: skip
        assert (result.returncode, result.stdout.strip()) == (0, expected), result.stderr
    code = (
        "from vcrelease.multiversion import require\n"
        f"require({release.app!r}, '1', root={str(deployed)!r})\n"
        f"require({release.app!r}, '2', root={str(deployed)!r})\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "ImportError" in result.stderr
    assert "2.0 was asked for" in result.stderr
    assert "1.1 is already imported" in result.stderr


@pytest.mark.slow
def test_live_rollback_and_remove_refused_for_live_and_previous(
    release: Release, deployed: Path
) -> None:
    root = str(deployed)
    assert _vcrelease("live", release.app, "1.0", "--root", root).returncode == 0
    assert _vcrelease("live", release.app, "2", "--root", root).returncode == 0
    listing = json.loads(_vcrelease("list", release.app, "--root", root, "--format", "json").stdout)
    (state,) = listing["projects"]
    assert (state["live"], state["previous"]) == ("2.0", "1.0")
    for version in ("2.0", "1.0"):
        refused = _vcrelease("remove", release.app, version, "--root", root)
        assert refused.returncode == 1, refused.stderr
        assert (deployed / release.app / version / "lib").is_dir()
    back = _vcrelease("rollback", release.app, "--root", root)
    assert back.returncode == 0, back.stderr
    live_script = deployed / release.app / "live" / "bin" / release.app
    assert _run_script(live_script) == "app 1.0 dep 1.5"
    assert _vcrelease("run", release.app, "--root", root).stdout.strip() == "app 1.0 dep 1.5"
    removed = _vcrelease("remove", release.app, "1.1", "--root", root)
    assert removed.returncode == 0, removed.stderr
    project = deployed / release.app
    assert os.readlink(project / "1") == "1.0"
    assert not (project / "1.1").exists()
    again = _vcrelease(
        "install", f"{release.app}==1.1", "--root", root, "--index-url", release.index_url,
        "--installer", "uv",
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert os.readlink(project / "1") == "1.1"


@pytest.mark.slow
def test_live_switched_200_times_while_processes_start_the_live_script(
    release: Release, deployed: Path
) -> None:
    operations.set_live(deployed, release.app, "1.0")
    script = deployed / release.app / "live" / "bin" / release.app
    seen: list[tuple[int, str]] = []
    stop = threading.Event()

    def runner() -> None:
        while not stop.is_set():
            result = subprocess.run([str(script)], capture_output=True, text=True, check=False)
            seen.append((result.returncode, result.stdout.strip() + result.stderr.strip()))

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        for i in range(200):
            operations.set_live(deployed, release.app, "2.0" if i % 2 == 0 else "1.0")
            time.sleep(0.01)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert len(seen) >= 4
    assert {code for code, _ in seen} == {0}, seen
    assert {out for _, out in seen} <= {"app 1.0 dep 1.5", "app 2.0 dep 2.3"}, seen


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_spec_matching_nothing_and_a_missing_version_are_usage_errors(
    release: Release, deployed: Path
) -> None:
    root = str(deployed)
    for args in (
        ("run", f"{release.app}@7", "--root", root),
        ("live", release.app, "7.1", "--root", root),
        ("remove", release.app, "9.9", "--root", root),
        ("list", "no-such-project", "--root", root),
    ):
        result = _vcrelease(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_link_changed_by_hand_to_point_outside_the_root_is_refused(
    release: Release, deployed: Path, tmp_path: Path
) -> None:
    project = deployed / release.app
    before = os.readlink(project / "live")
    os.unlink(project / "live")
    os.symlink(str(tmp_path), project / "live")
    try:
        for args in (
            ("live", release.app, "1.0"),
            ("run", release.app),
            ("rollback", release.app),
        ):
            result = _vcrelease(*args, "--root", str(deployed))
            assert result.returncode == 1, (args, result.stderr)
            assert "changed by hand" in result.stderr
        assert os.readlink(project / "live") == str(tmp_path)
        assert all((project / v).is_dir() for v in ("1.0", "2.0"))
    finally:
        os.unlink(project / "live")
        os.symlink(before, project / "live")


def _foreign_root(tmp_path: Path) -> Path:
    """A directory another user owns: one made and given away when running as root, else
    the file system's root (owned by root, not by us)."""
    if os.geteuid() != 0:
        return Path("/")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    os.chown(foreign, 65534, 65534)
    return foreign


def test_a_root_another_user_owns_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    root = _foreign_root(tmp_path)
    before = sorted(os.listdir(root))
    with pytest.raises(DeployRefused, match="owned by user id"):
        operations.install(root, "anything==1.0")
    with pytest.raises(DeployRefused, match="owned by user id"):
        operations.set_live(root, "anything", "1")
    assert sorted(os.listdir(root)) == before
    result = _vcrelease("install", "anything==1.0", "--root", str(root))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "requirement", ["app", "app>=1", "app==1.*", "app==1.0; python_version>'3'"]
)
def test_install_takes_one_exact_release(tmp_path: Path, requirement: str) -> None:
    with pytest.raises(ConfigError, match="NAME==VERSION"):
        operations.install(tmp_path, requirement)


@pytest.mark.slow
def test_a_failed_or_killed_install_leaves_nothing_under_the_final_name(
    release: Release, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    failed = _vcrelease(
        "install", f"{release.app}==9.9", "--root", str(root), "--index-url", release.index_url
    )
    assert failed.returncode == 4, failed.stderr
    project = root / release.app
    assert sorted(os.listdir(project)) == [".lock"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "vcrelease", "deploy", "install", f"{release.app}==2.0",
         "--root", str(root), "--index-url", release.index_url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".install-") for p in project.iterdir()):
        assert time.monotonic() < deadline
        assert proc.poll() is None
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (project / "2.0").exists()
    assert any(p.name.startswith(".install-") for p in project.iterdir())
    done = _vcrelease(
        "install", f"{release.app}==1.0", "--root", str(root), "--index-url", release.index_url,
        "--installer", "uv",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in project.iterdir()) == [".lock", "1", "1.0"]


@pytest.fixture(autouse=True)
def _no_root_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VCRELEASE_DEPLOY_ROOT", raising=False)


@pytest.mark.slow
def test_a_dependency_already_imported_at_another_version_refuses_the_import(
    release: Release, deployed: Path
) -> None:
    other_lib = deployed / release.app / "2.0" / "lib"
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(other_lib)!r})\n"
        f"import {release.dep_module}\n"
        "from vcrelease.multiversion import require\n"
        "try:\n"
        f"    require({release.app!r}, '1.0', root={str(deployed)!r})\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
        f"print(sorted(m for m in sys.modules if m.startswith({release.app_module!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    message, loaded = result.stdout.strip().splitlines()
    assert f"needs {release.dep} 1.5" in message
    assert f"({release.dep} 2.3)" in message
    assert loaded == "[]"  # nothing of the application was imported
