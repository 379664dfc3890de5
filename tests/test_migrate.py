"""Migration from setuptools-scm / hatch-vcs (`vcrelease migrate`, leftover settings at build
time) and the `tag-prefix` key, on excerpts of hatch's and twine's real pyproject.toml."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from gitutil import git, new_repo, run
from vcrelease.config import load_config
from vcrelease.errors import ConfigError
from vcrelease.migration import glob_to_tag_setting, translate
from vcrelease.switch import plan, rewrite

FIXTURES = Path(__file__).parent / "fixtures-migrate"


def project(tmp_path: Path, fixture: str, extra: str = "") -> Path:
    text = (FIXTURES / f"{fixture}.toml").read_text(encoding="utf-8") + extra
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_hatch_translates_to_tag_prefix_and_names_what_has_no_equivalent() -> None:
    data = tomllib.loads((FIXTURES / "hatch.toml").read_text(encoding="utf-8"))
    migration = translate(data)
    assert migration.vcrelease == {
        "version-scheme": "python-simplified-semver",
        "local-scheme": "no-local-version",
        "tag-prefix": "hatch-v",
        "version-file": "src/hatch/_version.py",
        "parentdir-prefix": "hatch-",
    }
    assert migration.unsupported == []
    assert migration.hatch_hook


def test_migrate_cli_on_hatch(tmp_path: Path) -> None:
    root = project(tmp_path, "hatch")
    shown = run("migrate", root)
    assert shown.returncode == 0, shown.stderr
    assert 'tag-prefix = "hatch-v"' in shown.stdout
    assert 'parentdir-prefix = "hatch-"' in shown.stdout
    written = run("migrate", root, "--write")
    assert written.returncode == 0, written.stderr
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["build-system"]["requires"] == ["hatchling>=1.27", "vcrelease"]
    assert data["tool"]["hatch"]["version"] == {"source": "vcrelease"}
    assert "vcs" not in data["tool"]["hatch"]["build"]["hooks"]
    assert "vcrelease" in data["tool"]["hatch"]["build"]["hooks"]
    config = load_config(root)
    assert config.version_scheme == "python-simplified-semver"
    assert config.tag_pattern.match("hatch-v1.18.0")
    assert not config.tag_pattern.match("hatchling-v1.32.0")


def test_twine_switches_without_loss(tmp_path: Path) -> None:
    root = project(tmp_path, "twine")
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    migration = translate(tomllib.loads(text))
    assert migration.vcrelease == {}
    assert migration.unsupported == []
    new = tomllib.loads(rewrite(text, migration, plan(tomllib.loads(text), migration)))
    assert new["build-system"]["requires"] == ["setuptools>=77.0.3", "vcrelease"]
    assert new["tool"]["vcrelease"] == {}
    assert "setuptools_scm" not in new["tool"]
    assert new["tool"]["towncrier"]["package"] == "twine"


def test_leftover_settings_are_honoured_or_refused_by_name(tmp_path: Path) -> None:
    hatch_left = (FIXTURES / "hatch.toml").read_text(encoding="utf-8")
    hatch_left = hatch_left.replace('source = "vcs"', 'source = "vcrelease"')
    (tmp_path / "pyproject.toml").write_text(hatch_left, encoding="utf-8")
    config = load_config(tmp_path)
    assert config.version_file == "src/hatch/_version.py"
    assert config.tag_pattern.match("hatch-v1.0")
    assert config.parentdir_prefix == "hatch-"
    assert config.origin("parentdir-prefix").startswith(
        "[tool.hatch.version] raw-options parentdir_prefix_version in "
    )
    scm = '[project]\nname = "p"\n[tool.vcrelease]\nlocal-scheme = "dirty-tag"\n'
    old = '[tool.setuptools_scm]\nlocal_scheme = "no-local-version"\n'
    old += "search_parent_directories = false\n"
    (tmp_path / "pyproject.toml").write_text(scm + old, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "search_parent_directories" in info.value.message
    assert "vcrelease migrate" in info.value.message
    assert "disagree" in info.value.message


@pytest.mark.parametrize(
    ("glob", "key", "accepts", "refuses"),
    [
        ("hatch-v*", "tag-prefix", "hatch-v1.2", "hatchling-v1.2"),
        ("v[0-9]*", "tag-pattern", "v1.2.3", "vx1"),
        ("pkg-?.*", "tag-pattern", "pkg-1.2", "pkg-12.3"),
    ],
)
def test_describe_match_globs(glob: str, key: str, accepts: str, refuses: str) -> None:
    found_key, value = glob_to_tag_setting(glob)
    assert found_key == key
    pattern = "^" + re.escape(value) + "(?P<version>.+)$" if key == "tag-prefix" else value
    assert re.match(pattern, accepts)
    assert not re.match(pattern, refuses)


def test_tag_prefix_and_tag_pattern_exclude_each_other(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.vcrelease]\ntag-prefix = 'a-'\ntag-pattern = '^a-(.*)$'\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="exclude each other"):
        load_config(tmp_path)


@pytest.mark.skipif(shutil.which("git") is None, reason="makes a repo with git")
def test_tag_prefix_picks_its_tag_on_a_shared_commit(tmp_path: Path) -> None:
    """hatch's monorepo: hatchling-v1.32.0 and hatch-v1.18.0 on one commit."""
    new_repo(
        tmp_path,
        pyproject='[project]\nname = "hatch"\ndynamic = ["version"]\n[tool.vcrelease]\n'
        'tag-prefix = "hatch-v"\nlocal-scheme = "no-local-version"\n',
        tags=["hatch-v1.18.0", "hatchling-v1.32.0"],
        commits_after_tag=1,
    )
    done = run("version", tmp_path)
    assert done.stdout.strip() == "1.18.1.dev1", done.stderr


@pytest.mark.parametrize(
    ("root", "same"),
    [("..", True), ("../", True), (".", True), ("../..", False), ("sub", False)],
)
def test_root_naming_the_repository_top_is_the_same_behaviour(
    tmp_path: Path, root: str, same: bool
) -> None:
    """setuptools-scm's own monorepo sets ``root = ".."`` in ``vcs-versioning/``: vcrelease
    finds that repository from the project directory anyway, so nothing is written; a root
    elsewhere becomes ``root`` (the repository holding that directory is read)."""
    top = tmp_path / "repo"
    sub = top / "vcs-versioning"
    sub.mkdir(parents=True)
    git(top, "init", "-q")
    table = (
        f'[tool.vcs-versioning]\nroot = "{root}"\ntag_regex = "^vcs-versioning-v(?P<version>.+)$"\n'
    )
    (sub / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools", "setuptools-scm"]\n'
        '[project]\nname = "x"\ndynamic = ["version"]\n' + table,
        encoding="utf-8",
    )
    data = tomllib.loads((sub / "pyproject.toml").read_text(encoding="utf-8"))
    migration = translate(data, sub)
    pattern = {"tag-pattern": "^vcs-versioning-v(?P<version>.+)$"}
    normal = root.rstrip("/")
    assert migration.vcrelease == (pattern if same else {"root": normal, **pattern})
    assert migration.unsupported == []
    # Without the directory the repository's top is unknown: the root is kept.
    assert translate(data).vcrelease.get("root") == (None if root == "." else normal)
    written = run("migrate", sub, "--write")
    assert written.returncode == 0, written.stderr
    assert ("root" in (sub / "pyproject.toml").read_text(encoding="utf-8")) is not same
    config = load_config(sub)
    assert config.tag_pattern.pattern == "^vcs-versioning-v(?P<version>.+)$"
    assert config.root == (None if same else normal)


VCS_VERSIONING = """\
[build-system]
build-backend = "setuptools.build_meta"
requires = ["setuptools>=45", "setuptools-scm>=8", "vcs-versioning>=2"]

[project]
name = "vcs-versioning"
dynamic = ["version"]

[project.scripts]
"vcs-versioning" = "vcs_versioning._cli:main"

[project.entry-points."setuptools_scm.files_command"]
".jj" = "vcs_versioning._file_finders._jj:jj_find_files"

[tool.vcs-versioning]
root = ".."
tag_regex = "^vcs-versioning-(?P<version>v?\\\\d+(?:\\\\.\\\\d+){0,2}[^\\\\+]*)(?:\\\\+.*)?$"
scm.git.describe_command = ["git", "describe", "--tags", "--long", "--match", "vcs-versioning-*"]
"""


def test_vcs_versionings_own_settings_migrate_to_one_working_table(tmp_path: Path) -> None:
    """setuptools-scm's monorepo (vcs-versioning/pyproject.toml, abridged): the requirement
    is replaced in [build-system] alone (the project's own strings that start with
    vcs-versioning stay), tag_regex and describe --match become one tag-pattern that both
    narrow, and root = ".." is the repository vcrelease finds anyway."""
    top = tmp_path / "repo"
    sub = top / "vcs-versioning"
    sub.mkdir(parents=True)
    git(top, "init", "-q")
    (sub / "pyproject.toml").write_text(VCS_VERSIONING, encoding="utf-8")
    written = run("migrate", sub, "--write")
    assert written.returncode == 0, written.stderr
    data = tomllib.loads((sub / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["build-system"]["requires"] == ["setuptools>=45", "vcrelease"]
    assert data["project"]["scripts"] == {"vcs-versioning": "vcs_versioning._cli:main"}
    entry = data["project"]["entry-points"]["setuptools_scm.files_command"]
    assert entry == {".jj": "vcs_versioning._file_finders._jj:jj_find_files"}
    assert "vcs-versioning" not in data["tool"]
    pattern = load_config(sub).tag_pattern
    assert pattern.match("vcs-versioning-v2.3.1")
    assert pattern.match("vcs-versioning-v2.3.1")["version"] == "v2.3.1"  # type: ignore[index]
    assert not pattern.match("setuptools-scm-v9.2.0")
    assert not pattern.match("v2.3.1")
