"""The build plugins, end to end: real ``python -m build`` runs on the samples in ``samples/``.

The slow tests run isolated builds (the default of ``python -m build``): the frontend makes a
fresh virtual environment and pip installs ``build-system.requires`` into it, setuptools or
hatchling from the package index and vcrelease from a wheel of this checkout, built once per
session and offered through ``PIP_FIND_LINKS`` (the ``build_env`` fixture, ``conftest.py``).
``git`` is not on ``PATH`` during those builds: vcrelease reads the repository with dulwich.

The fast tests at the end call the plugins in this process, on the same samples.
"""

from __future__ import annotations

import ast
import email.parser
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from gitutil import commit, git, new_repo

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "samples"
BACKENDS = ("setuptools", "hatchling")
VERSION_FILE = "src/sample/_version.py"
LOCAL_SCHEME_LINE = 'local-scheme = "no-local-version"\n'


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="the tests make repos with git")


# --- making sample repositories ------------------------------------------------------------


def make_sample(
    backend: str, dest: Path, *, commits_after_tag: int = 5, default_local: bool = False
) -> Path:
    """Copy a sample, commit it, tag the commit ``v1.2.3``, add commits; return the repo."""
    shutil.copytree(SAMPLES / backend, dest)
    if default_local:
        pyproject = dest / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        assert LOCAL_SCHEME_LINE in text
        pyproject.write_text(text.replace(LOCAL_SCHEME_LINE, ""), encoding="utf-8")
    new_repo(dest, tags=["v1.2.3"], annotated=True)
    for i in range(1, commits_after_tag + 1):
        commit(dest, f"change {i}", {"CHANGES.txt": f"change {i}\n"}, when=i * 60)
    return dest


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD")


def assert_clean(repo: Path) -> None:
    """Nothing changed or appeared in the work tree, and no version file in the source."""
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / VERSION_FILE).exists()


# --- reading built files -------------------------------------------------------------------


def sdist_members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {
            m.name: f.read()
            for m in tar.getmembers()
            if m.isfile() and (f := tar.extractfile(m)) is not None
        }


def wheel_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as whl:
        return {name: whl.read(name) for name in whl.namelist()}


def metadata_version(members: dict[str, bytes], suffix: str) -> str:
    """``Version:`` of the one member named ``*/<suffix>`` at depth 2 (PKG-INFO, METADATA)."""
    found = [n for n in members if n.count("/") == 1 and n.endswith("/" + suffix)]
    assert len(found) == 1, found
    headers = email.parser.BytesHeaderParser().parsebytes(members[found[0]])
    return str(headers["Version"])


def version_file_values(source: bytes) -> dict[str, object]:
    """The constants a version file assigns (``__version__``, ``__commit_id__``, ...)."""
    values: dict[str, object] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values[target.id] = ast.literal_eval(node.value)
    return values


def extract(sdist: Path, dest: Path) -> None:
    """Unpack ``sdist`` into ``dest`` (with the safe "data" filter where Python has it)."""
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.10.12+, 3.11.4+
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover - our own sdist, written a moment ago
            tar.extractall(dest)


def built(outdir: Path) -> list[str]:
    return sorted(p.name for p in outdir.iterdir() if p.is_file())


# --- isolated builds -----------------------------------------------------------------------


def python_build(
    project: Path, outdir: Path, env: dict[str, str], *args: str, installer: str = "uv"
) -> subprocess.CompletedProcess[str]:
    """``python -m build [args] --outdir outdir project``; the result, not checked.

    Isolated builds install the build requirements with ``installer``: ``uv`` (``--installer
    uv``, build's documented option; a second where pip takes four, and the environments hold
    the same packages) or ``pip``, build's default, which the main build test keeps
    (:func:`test_dev_build_without_git_then_wheel_from_sdist`).
    """
    isolated = "--no-isolation" not in args and "-n" not in args
    chosen = ["--installer", installer] if isolated and installer != "pip" else []
    return subprocess.run(
        [sys.executable, "-m", "build", *chosen, *args, "--outdir", str(outdir), str(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def build_ok(
    project: Path, outdir: Path, env: dict[str, str], *args: str, installer: str = "uv"
) -> list[str]:
    done = python_build(project, outdir, env, *args, installer=installer)
    assert done.returncode == 0, f"python -m build failed:\n{done.stdout}\n{done.stderr}"
    return built(outdir)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.slow
@needs_git
def test_dev_build_without_git_then_wheel_from_sdist(
    backend: str, build_env: dict[str, str], tmp_path: Path
) -> None:
    """5 commits past ``v1.2.3``: ``sample-1.2.4.dev5`` sdist and wheel, version file inside."""
    repo = make_sample(backend, tmp_path / "repo")
    node = head(repo)
    commit_id = "g" + node[:9]
    out = tmp_path / "dist"

    assert build_ok(repo, out, build_env, installer="pip") == [
        "sample-1.2.4.dev5-py3-none-any.whl",
        "sample-1.2.4.dev5.tar.gz",
    ]
    sdist = sdist_members(out / "sample-1.2.4.dev5.tar.gz")
    wheel = wheel_members(out / "sample-1.2.4.dev5-py3-none-any.whl")
    assert metadata_version(sdist, "PKG-INFO") == "1.2.4.dev5"
    assert metadata_version(wheel, "METADATA") == "1.2.4.dev5"
    for members, path in (
        (sdist, f"sample-1.2.4.dev5/{VERSION_FILE}"),
        (wheel, "sample/_version.py"),
    ):
        values = version_file_values(members[path])
        assert values["__version__"] == "1.2.4.dev5"
        assert values["__version_tuple__"] == (1, 2, 4, "dev5")
        assert values["__commit_id__"] == commit_id
    # Every tracked file is in the sdist (hatchling by itself, setuptools by our file finder).
    assert "sample-1.2.4.dev5/CHANGES.txt" in sdist
    assert_clean(repo)

    # The sdist alone (no .git anywhere): the wheel keeps the sdist's version (PKG-INFO), and
    # the version file keeps the commit id the sdist's copy states.
    unpacked = tmp_path / "unpacked"
    extract(out / "sample-1.2.4.dev5.tar.gz", unpacked)
    project = unpacked / "sample-1.2.4.dev5"
    assert not (project / ".git").exists()
    out2 = tmp_path / "dist-from-sdist"
    assert build_ok(project, out2, build_env, "--wheel") == ["sample-1.2.4.dev5-py3-none-any.whl"]
    wheel2 = wheel_members(out2 / "sample-1.2.4.dev5-py3-none-any.whl")
    assert metadata_version(wheel2, "METADATA") == "1.2.4.dev5"
    values = version_file_values(wheel2["sample/_version.py"])
    assert values["__version__"] == "1.2.4.dev5"
    assert values["__commit_id__"] == commit_id


@pytest.mark.slow
@needs_git
def test_build_at_tag(backend: str, build_env: dict[str, str], tmp_path: Path) -> None:
    """HEAD is the tagged commit: the release version ``1.2.3``."""
    repo = make_sample(backend, tmp_path / "repo", commits_after_tag=0)
    out = tmp_path / "dist"
    assert build_ok(repo, out, build_env) == [
        "sample-1.2.3-py3-none-any.whl",
        "sample-1.2.3.tar.gz",
    ]
    wheel = wheel_members(out / "sample-1.2.3-py3-none-any.whl")
    assert metadata_version(wheel, "METADATA") == "1.2.3"
    assert version_file_values(wheel["sample/_version.py"])["__version__"] == "1.2.3"
    assert_clean(repo)


@pytest.mark.slow
@needs_git
def test_rebuilds_of_one_commit_are_byte_identical_with_its_source_date_epoch(
    backend: str, build_env: dict[str, str], tmp_path: Path
) -> None:
    """Two builds of the same commit, from two clones, at two times: with SOURCE_DATE_EPOCH
    from `vcrelease version --source-date-epoch` the files are the same bytes, so the second
    upload of a racing pair is a skip."""
    repo = make_sample(backend, tmp_path / "repo", commits_after_tag=2)
    epoch = subprocess.run(
        [sys.executable, "-m", "vcrelease", "version", "--source-date-epoch", str(repo)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert epoch == git(repo, "log", "-1", "--format=%ct")
    digests = []
    for n in (1, 2):
        clone = tmp_path / f"clone{n}"
        git(tmp_path, "clone", "-q", str(repo), str(clone))
        out = tmp_path / f"dist{n}"
        build_ok(clone, out, {**build_env, "SOURCE_DATE_EPOCH": epoch})
        digests.append(
            {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())}
        )
    wheel = "sample-1.2.4.dev2-py3-none-any.whl"
    assert digests[0][wheel] == digests[1][wheel]
    if backend == "hatchling":  # setuptools' sdists differ (checked: this fails for them)
        assert digests[0] == digests[1]


@pytest.mark.slow
@needs_git
def test_default_local_scheme_adds_node(
    backend: str, build_env: dict[str, str], tmp_path: Path
) -> None:
    """Without ``local-scheme``: node-and-date, so a clean tree adds ``+g<9 hex>``."""
    repo = make_sample(backend, tmp_path / "repo", default_local=True)
    version = f"1.2.4.dev5+g{head(repo)[:9]}"
    out = tmp_path / "dist"
    assert build_ok(repo, out, build_env, "--wheel") == [f"sample-{version}-py3-none-any.whl"]
    wheel = wheel_members(out / f"sample-{version}-py3-none-any.whl")
    assert metadata_version(wheel, "METADATA") == version
    assert version_file_values(wheel["sample/_version.py"])["__version__"] == version
    assert_clean(repo)


@pytest.mark.slow
def test_no_version_stops_the_build_with_the_message(
    backend: str, build_env: dict[str, str], tmp_path: Path
) -> None:
    """No .git, no PKG-INFO, no fallback: the build fails with the core's message only."""
    project = tmp_path / "project"
    shutil.copytree(SAMPLES / backend, project)
    done = python_build(project, tmp_path / "dist", build_env)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"vcrelease: No version for {project}" in output
    assert "VCRELEASE_PRETEND_VERSION" in output
    assert "Traceback" not in output


# --- the plugins in this process (fast) ----------------------------------------------------


@needs_git
def test_setuptools_hook_sets_the_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vcrelease.integrations.setuptools import finalize_distribution_options

    repo = make_sample("setuptools", tmp_path / "repo")
    dist = neutral_distribution(tmp_path, monkeypatch)
    monkeypatch.chdir(repo)
    finalize_distribution_options(dist)
    assert dist.metadata.version == "1.2.4.dev5"
    for command in ("build_py", "sdist"):
        wrapped = dist.get_command_class(command)
        assert wrapped.__name__ == f"vcrelease_{command}"
        assert dist.get_command_class(command) is wrapped
    assert dist.get_command_class("egg_info").__name__ == "vcrelease_egg_info"


def neutral_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A setuptools ``Distribution`` made where no pyproject.toml is (the hook is inert)."""
    from setuptools import Distribution

    neutral = tmp_path / "neutral"
    neutral.mkdir()
    monkeypatch.chdir(neutral)
    dist = Distribution()
    assert dist.metadata.version is None
    return dist


def test_setuptools_hook_ignores_other_projects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vcrelease.integrations.setuptools import finalize_distribution_options

    dist = neutral_distribution(tmp_path, monkeypatch)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "other"\ndynamic = ["version"]\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    finalize_distribution_options(dist)
    assert dist.metadata.version is None
    assert "_vcrelease_state" not in vars(dist)


def test_setuptools_hook_error_is_a_clean_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vcrelease.integrations import BuildError
    from vcrelease.integrations.setuptools import finalize_distribution_options

    project = tmp_path / "project"
    shutil.copytree(SAMPLES / "setuptools", project)
    dist = neutral_distribution(tmp_path, monkeypatch)
    monkeypatch.chdir(project)
    for name in [k for k in os.environ if k.startswith("VCRELEASE_")]:
        monkeypatch.delenv(name)
    with pytest.raises(BuildError) as caught:
        finalize_distribution_options(dist)
    assert caught.value.message.startswith(f"No version for {project}")
    assert caught.value.exit_code == 3
    assert caught.value.code == f"vcrelease: {caught.value.message}"
    assert caught.value.__suppress_context__


@needs_git
def test_hatch_version_source_and_hook_in_process(tmp_path: Path) -> None:
    from hatchling.builders.sdist import SdistBuilder
    from hatchling.builders.wheel import WheelBuilder

    from vcrelease.integrations.hatch import VcreleaseVersionSource

    repo = make_sample("hatchling", tmp_path / "repo")
    node = head(repo)
    assert VcreleaseVersionSource(str(repo), {}).get_version_data() == {"version": "1.2.4.dev5"}

    out = tmp_path / "dist"
    (sdist_path,) = SdistBuilder(str(repo)).build(directory=str(out))
    (wheel_path,) = WheelBuilder(str(repo)).build(directory=str(out))
    sdist = sdist_members(Path(sdist_path))
    wheel = wheel_members(Path(wheel_path))
    for source in (sdist[f"sample-1.2.4.dev5/{VERSION_FILE}"], wheel["sample/_version.py"]):
        values = version_file_values(source)
        assert values["__version__"] == "1.2.4.dev5"
        assert values["__commit_id__"] == "g" + node[:9]
    if importlib.util.find_spec("editables") is not None:  # hatchling's editable wheels need it
        (editable_path,) = WheelBuilder(str(repo)).build(directory=str(out), versions=["editable"])
        editable = wheel_members(Path(editable_path))
        assert not any(name.endswith("_version.py") for name in editable)
        # ... it is in the work tree instead (git ignores it), as hatch-vcs leaves it.
        values = version_file_values((repo / VERSION_FILE).read_bytes())
        assert values["__version__"] == "1.2.4.dev5"
        assert git(repo, "status", "--porcelain") == ""
        (repo / VERSION_FILE).unlink()
    assert_clean(repo)


def test_version_file_text_keeps_the_sdist_commit_id(tmp_path: Path) -> None:
    from vcrelease.integrations import version_file_text
    from vcrelease.version.versionfile import render_version_file

    path = tmp_path / VERSION_FILE
    path.parent.mkdir(parents=True)
    path.write_text(render_version_file("1.2.4.dev5", "ab" * 20), encoding="utf-8")
    same = version_file_values(
        version_file_text(tmp_path, VERSION_FILE, "1.2.4.dev5", None).encode()
    )
    assert same["__commit_id__"] == "gababababa"
    other = version_file_values(version_file_text(tmp_path, VERSION_FILE, "1.2.5", None).encode())
    assert other["__commit_id__"] is None
    assert version_file_text(tmp_path, "VERSION.txt", "1.2.5", None) == "1.2.5\n"


def test_importing_the_plugins_stays_light() -> None:
    """The plugins load in every build environment: no git, HTTP or rendering library."""
    code = (
        "import sys\n"
        "import vcrelease.integrations.setuptools, vcrelease.integrations.hatch\n"
        "heavy = ('dulwich', 'vcs_versioning', 'twine', 'requests', 'rich', 'setuptools')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@needs_git
def test_hatch_hook_top_level_text_file_and_missing_version_file(tmp_path: Path) -> None:
    """A top-level ``VERSION.txt`` goes into the sdist only; no version-file is an error."""
    from hatchling.builders.sdist import SdistBuilder
    from hatchling.builders.wheel import WheelBuilder

    from vcrelease.integrations import BuildError

    repo = make_sample("hatchling", tmp_path / "repo")
    pyproject = repo / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace(VERSION_FILE, "VERSION.txt"), encoding="utf-8")
    out = tmp_path / "dist"
    (sdist_path,) = SdistBuilder(str(repo)).build(directory=str(out))
    (wheel_path,) = WheelBuilder(str(repo)).build(directory=str(out))
    assert sdist_members(Path(sdist_path))["sample-1.2.4.dev5/VERSION.txt"] == b"1.2.4.dev5\n"
    assert not any("VERSION" in name for name in wheel_members(Path(wheel_path)))

    pyproject.write_text(text.replace(f'version-file = "{VERSION_FILE}"\n', ""), encoding="utf-8")
    with pytest.raises(BuildError, match="names no version-file"):
        list(WheelBuilder(str(repo)).build(directory=str(out)))
    git(repo, "checkout", "pyproject.toml")
    assert_clean(repo)
