"""One repository, several projects (as hatch keeps ``hatch`` and ``hatchling``).

The generated monorepo (:func:`make_monorepo`):

- ``pkg-a`` (setuptools, ``tag-prefix = "pkg-a-v"``) depends on ``pkg-b``, pinned
  (``pin-siblings = ["pkg-b"]``);
- ``pkg-b`` (hatchling, ``tag-prefix = "pkg-b-v"``) depends on ``pkg-c``, pinned by the metadata
  hook (``pin-siblings = true``);
- ``pkg-c`` (hatchling, ``tag-pattern = '^pkg-c/v(?P<version>\\d.*)$'``);
- ``tools/`` has a ``pyproject.toml`` without vcrelease, ``scratch/`` an untracked one.

Commit 1 carries ``pkg-a-v1.1.0`` and ``pkg-b-v9.0.0``; commit 2 carries ``pkg-a-v1.2.3``,
``pkg-b-v9.1.0`` and ``pkg-c/v0.5.0`` (a co-released set, all tags on one commit); ``dev=True``
adds a commit touching ``docs/`` only.
"""

from __future__ import annotations

import email.parser
import json
import shutil
from pathlib import Path

import pytest

from gitutil import commit, git, new_repo, run
from test_build_e2e import build_ok, sdist_members, wheel_members
from test_ci_versions import github
from vcrelease import git as vgit
from vcrelease.config import load_config, read_pyproject
from vcrelease.errors import ConfigError
from vcrelease.publish.buildinfo import docker_tags, gather
from vcrelease.version.projects import (
    find_projects,
    pin_requirements,
    pinned_dependencies,
    pins_from_pkg_info,
)
from vcrelease.version.resolve import resolve_version

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="the tests make repos with git")
pytestmark = needs_git

SETUPTOOLS = """\
[build-system]
requires = ["setuptools>=77", "vcrelease"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
dynamic = ["version", "dependencies"]

[tool.vcrelease]
{settings}
"""

HATCHLING = """\
[build-system]
requires = ["hatchling", "vcrelease"]
build-backend = "hatchling.build"

[project]
name = "{name}"
dynamic = [{dynamic}]

[tool.hatch.version]
source = "vcrelease"
{hooks}
[tool.vcrelease]
{settings}
"""

PROJECTS = {
    "pkg-a": SETUPTOOLS.format(
        name="pkg-a",
        settings='tag-prefix = "pkg-a-v"\npin-siblings = ["pkg-b"]\n'
        'local-scheme = "no-local-version"\n'
        'dependencies = ["pkg-b", "packaging>=20", "pkg-c ; python_version >= \'3\'"]',
    ),
    "pkg-b": HATCHLING.format(
        name="pkg-b",
        dynamic='"version", "dependencies"',
        hooks="\n[tool.hatch.metadata.hooks.vcrelease]\n",
        settings='tag-prefix = "pkg-b-v"\npin-siblings = true\n'
        'local-scheme = "no-local-version"\ndependencies = ["pkg-c[fast]>=0.1"]',
    ),
    "pkg-c": HATCHLING.format(
        name="pkg-c",
        dynamic='"version"',
        hooks="",
        settings="tag-pattern = '^pkg-c/v(?P<version>\\d.*)$'\nlocal-scheme = \"no-local-version\"",
    ),
}


def make_monorepo(path: Path, *, dev: bool = False) -> Path:
    files = {"tools/pyproject.toml": '[project]\nname = "tools"\n', "docs/index.md": "0\n"}
    for name, text in PROJECTS.items():
        files[f"{name}/src/{name.replace('-', '_')}/__init__.py"] = ""
        files[f"{name}/pyproject.toml"] = text
    new_repo(path, files=files, tags=["pkg-a-v1.1.0", "pkg-b-v9.0.0"])
    commit(path, "release the set", {"docs/index.md": "1\n"}, when=10)
    for tag in ("pkg-a-v1.2.3", "pkg-b-v9.1.0", "pkg-c/v0.5.0"):
        git(path, "tag", "-a", tag, "-m", tag, when=10)
    if dev:
        commit(path, "docs", {"docs/index.md": "2\n"}, when=20)
    (path / "scratch").mkdir()  # untracked: not a project
    (path / "scratch" / "pyproject.toml").write_text("[tool.vcrelease]\n")
    return path


@pytest.fixture
def mono(tmp_path: Path) -> Path:
    return make_monorepo(tmp_path / "mono")


@pytest.fixture
def mono_dev(tmp_path: Path) -> Path:
    return make_monorepo(tmp_path / "mono-dev", dev=True)


def test_find_projects_lists_tracked_vcrelease_projects(mono: Path) -> None:
    with vgit.open(mono) as repo:
        found = find_projects(repo)
    assert [(p.relative, p.name) for p in found] == [
        ("pkg-a", "pkg-a"),
        ("pkg-b", "pkg-b"),
        ("pkg-c", "pkg-c"),
    ]


def test_tag_prefix_in_a_subdirectory(mono: Path, mono_dev: Path) -> None:
    """Item 1: each project reads only its own tags, from its subdirectory."""
    versions = {n: resolve_version(mono / n, env={}).version for n in PROJECTS}
    assert versions == {"pkg-a": "1.2.3", "pkg-b": "9.1.0", "pkg-c": "0.5.0"}
    dev = {n: resolve_version(mono_dev / n, env={}).version for n in PROJECTS}
    # The distance counts every commit of the repository (a docs-only commit too).
    assert dev == {"pkg-a": "1.2.4.dev1", "pkg-b": "9.1.1.dev1", "pkg-c": "0.5.1.dev1"}


def test_pins_are_the_siblings_versions_at_this_commit(mono_dev: Path) -> None:
    a, b = mono_dev / "pkg-a", mono_dev / "pkg-b"
    assert pinned_dependencies(a, read_pyproject(a), load_config(a), env={}) == [
        "pkg-b==9.1.1.dev1",
        "packaging>=20",
        "pkg-c ; python_version >= '3'",  # not named by pin-siblings: kept
    ]
    assert pinned_dependencies(b, read_pyproject(b), load_config(b), env={}) == [
        "pkg-c[fast]==0.5.1.dev1"
    ]
    c = mono_dev / "pkg-c"
    assert pinned_dependencies(c, read_pyproject(c), load_config(c), env={}) is None


def test_pin_keeps_extras_and_markers_and_refuses_an_excluded_version() -> None:
    pinned = pin_requirements(("B[x,y] >=1 ; sys_platform == 'linux'", "c"), {"b": "1.5"}, "w")
    assert pinned == ['B[x,y]==1.5 ; sys_platform == "linux"', "c"]
    with pytest.raises(ConfigError, match=r"excludes B 0\.9"):
        pin_requirements(("B>=1",), {"b": "0.9"}, "w")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('"version", "dependencies"', '"version"'), "PEP 621 forbids"),
        (("pin-siblings = true", 'pin-siblings = ["pkg-x"]'), "does not list"),
        (("pkg-c[fast]>=0.1", "pkg-c[fast]>=1"), r"excludes pkg-c 0\.5"),
        (('dependencies = ["pkg-c[fast]>=0.1"]', ""), "has no dependencies list"),
    ],
)
def test_pin_errors_name_the_problem(mono: Path, change: tuple[str, str], message: str) -> None:
    b = mono / "pkg-b"
    text = (b / "pyproject.toml").read_text()
    assert change[0] in text
    (b / "pyproject.toml").write_text(text.replace(change[0], change[1]))
    with pytest.raises(ConfigError, match=message):
        pinned_dependencies(b, read_pyproject(b), load_config(b), env={})


def test_a_name_that_is_no_sibling_is_refused(mono: Path) -> None:
    b = mono / "pkg-b"
    text = (b / "pyproject.toml").read_text()
    text = text.replace("pin-siblings = true", 'pin-siblings = ["tools"]')
    (b / "pyproject.toml").write_text(text.replace('["pkg-c[fast]>=0.1"]', '["tools"]'))
    with pytest.raises(ConfigError, match=r"tools, which is not a project .*found: pkg-a, pkg-c"):
        pinned_dependencies(b, read_pyproject(b), load_config(b), env={})


def test_pins_come_back_from_pkg_info_in_an_sdist(tmp_path: Path) -> None:
    sdist = tmp_path / "pkg_b-9.1.0"
    sdist.mkdir()
    (sdist / "pyproject.toml").write_text(PROJECTS["pkg-b"])
    (sdist / "PKG-INFO").write_text(
        "Metadata-Version: 2.4\nName: pkg-b\nVersion: 9.1.0\n"
        "Requires-Dist: pkg-c[fast]==0.5.0\nRequires-Dist: other>=1\n"
    )
    assert pins_from_pkg_info(sdist) == {"pkg-c": "0.5.0"}
    config = load_config(sdist)
    assert pinned_dependencies(sdist, read_pyproject(sdist), config, env={}) == [
        "pkg-c[fast]==0.5.0"
    ]


def test_cli_projects_table_json_and_github(mono_dev: Path, tmp_path: Path) -> None:
    table = run("projects", mono_dev / "pkg-a")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["directory", "name", "version", "tag", "distance", "dirty", "pins"]
    assert lines[1].split()[:6] == ["pkg-a", "pkg-a", "1.2.4.dev1", "pkg-a-v1.2.3", "1", "no"]
    assert "pkg-b==9.1.1.dev1" in lines[1]
    assert len(lines) == 4

    done = run("projects", mono_dev, "--format", "json")
    rows = json.loads(done.stdout)["projects"]
    assert [(r["directory"], r["version"], r["tag"], r["distance"]) for r in rows] == [
        ("pkg-a", "1.2.4.dev1", "pkg-a-v1.2.3", 1),
        ("pkg-b", "9.1.1.dev1", "pkg-b-v9.1.0", 1),
        ("pkg-c", "0.5.1.dev1", "pkg-c/v0.5.0", 1),
    ]
    assert rows[1]["pins"] == ["pkg-c[fast]==0.5.1.dev1"]
    assert rows[2]["pins"] == []
    assert rows[2]["dirty"] is False

    out = tmp_path / "github_output"
    done = run("projects", mono_dev, "--format", "github", GITHUB_OUTPUT=str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "pkg-a-version=1.2.4.dev1\n" in text
    assert "pkg-c-version=0.5.1.dev1\n" in text


def test_cli_projects_reports_a_project_without_version(mono: Path) -> None:
    (mono / "pkg-c" / "pyproject.toml").write_text(
        PROJECTS["pkg-c"].replace("^pkg-c/v", "^nothing-v")
    )
    git(mono, "commit", "-qam", "retag c", when=30)
    done = run("projects", mono, "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r for r in json.loads(done.stdout)["projects"]}
    assert rows["pkg-c"]["tag"] is None  # no tag of its own: 0.1.dev<distance>
    assert rows["pkg-c"]["version"] == "0.1.dev3"
    # pkg-b's pkg-c>=0.1 excludes 0.1.dev3: its row says so, the others are still listed.
    assert rows["pkg-b"]["version"] == "9.1.1.dev1"
    assert "excludes pkg-c 0.1.dev3" in rows["pkg-b"]["error"]
    assert rows["pkg-a"]["error"] is None
    table = run("projects", mono)
    assert table.returncode == 0
    assert "pkg-b: " in table.stderr


def _tags(project_dir: Path, env: dict[str, str]) -> tuple[list[str], list[str]]:
    tags, _labels = docker_tags(gather(project_dir, env), images=("ghcr.io/acme/a",))
    return tags.tags, tags.warnings


def test_docker_floating_tags_compare_only_the_projects_releases(mono: Path) -> None:
    """Item 6: pkg-b's 9.x does not keep pkg-a's 1.2.3 from ``latest``."""
    head = git(mono, "rev-parse", "HEAD")
    env = github("push", "refs/tags/pkg-a-v1.2.3", head)
    tags, warnings = _tags(mono / "pkg-a", env)
    assert tags == [f"ghcr.io/acme/a:{t}" for t in ("1.2.3", "1.2", "1", "latest")]
    assert warnings == []
    env = github("push", "refs/tags/pkg-c/v0.5.0", head)
    tags, _ = _tags(mono / "pkg-c", env)
    assert tags == [f"ghcr.io/acme/a:{t}" for t in ("0.5.0", "0.5", "0", "latest")]


def test_docker_tags_on_a_release_tag_of_another_project(mono: Path) -> None:
    head = git(mono, "rev-parse", "HEAD")
    env = github("push", "refs/tags/pkg-b-v9.1.0", head)
    tags, warnings = _tags(mono / "pkg-a", env)
    assert tags == [f"ghcr.io/acme/a:{t}" for t in ("1.2.3", "1.2", "1", "latest")]
    assert len(warnings) == 1
    assert "not one of this project's version tags" in warnings[0]


@pytest.mark.slow
def test_build_pins_siblings_in_sdist_and_wheel(
    mono: Path,
    build_env: dict[str, str],
    tmp_path: Path,
) -> None:
    """``python -m build`` (sdist, then the wheel from the sdist, without git) of pkg-a
    (setuptools) and pkg-b (hatchling): both carry the pins."""
    expected = {
        "pkg-a": ["pkg-b==9.1.0", "packaging>=20", 'pkg-c; python_version >= "3"'],
        "pkg-b": ["pkg-c[fast]==0.5.0"],
    }
    for name, requires in expected.items():
        out = tmp_path / f"dist-{name}"
        files = build_ok(mono / name, out, build_env)
        module = name.replace("-", "_")
        version = {"pkg-a": "1.2.3", "pkg-b": "9.1.0"}[name]
        assert len(files) == 2, files
        assert files[1] == f"{module}-{version}.tar.gz"
        assert files[0].startswith(f"{module}-{version}-")
        assert files[0].endswith(".whl")
        sdist = sdist_members(out / files[1])
        wheel = wheel_members(out / files[0])
        for members, member in (
            (sdist, f"{module}-{version}/PKG-INFO"),
            (wheel, f"{module}-{version}.dist-info/METADATA"),
        ):
            headers = email.parser.BytesHeaderParser().parsebytes(members[member])
            assert headers.get_all("Requires-Dist") == requires, (name, member)
