"""setuptools-scm / vcs-versioning / hatch-vcs settings a project keeps when it switches:
each works as setuptools-scm defines it (compared with setuptools-scm on the same files) and
every error names where the setting was written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gitutil import ENV, git, new_repo
from test_build_e2e import make_sample, neutral_distribution, version_file_values
from vcrelease.config import load_config
from vcrelease.errors import ConfigError

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="makes repos with git")
PREFIXES = ("VCRELEASE_", "SETUPTOOLS_SCM_", "VCS_VERSIONING_", "GIT_")
HEADER = '[project]\nname = "my-pkg"\ndynamic = ["version"]\n'


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
    env.update(ENV)
    return env


def setuptools_scm(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "setuptools_scm", *args],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def vcrelease(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vcrelease", "version", str(project)],
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def tagged_repo(path: Path, pyproject: str) -> Path:
    files = {".gitignore": "_version.py\n"}
    return new_repo(path, files=files, pyproject=pyproject, tags=["v1.2.3"], commits_after_tag=1)


# --- where a setting came from -----------------------------------------------------------


def test_a_merged_old_setting_is_named_by_its_table(tmp_path: Path) -> None:
    """A setting merged from both tables (tag_regex in the old, tag-prefix in ours) is named
    by its table."""
    (tmp_path / "pyproject.toml").write_text(
        HEADER + '[tool.setuptools_scm]\ntag_regex = "^v(?P<version>.*)$"\n'
        '[tool.vcrelease]\ntag-prefix = "v"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    message = caught.value.message
    assert "[tool.setuptools_scm] tag_regex in " in message
    assert "[tool.vcrelease] tag-prefix in " in message
    assert "[tool.vcrelease]: tag-prefix and tag-pattern" not in message
    assert "[tool.vcrelease] tag-pattern" not in message  # never written by the user


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ('[tool.setuptools_scm]\ntag_regex = "("\n', "[tool.setuptools_scm] tag_regex in "),
        (
            '[tool.hatch.version]\nsource = "vcrelease"\nfallback-version = "x y"\n',
            "[tool.hatch.version] fallback-version in ",
        ),
        (
            '[tool.vcs-versioning]\nversion_file = "/abs.py"\n',
            "[tool.vcs-versioning] version_file in ",
        ),
    ],
)
def test_a_bad_old_value_is_named_by_its_table(tmp_path: Path, table: str, named: str) -> None:
    (tmp_path / "pyproject.toml").write_text(
        HEADER + table + "[tool.vcrelease]\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert caught.value.message.startswith(named), caught.value.message


def test_an_override_variable_is_named(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        HEADER + '[tool.vcrelease]\ntag-prefix = "v"\n', encoding="utf-8"
    )
    env = {"SETUPTOOLS_SCM_OVERRIDES_FOR_MY_PKG": '{tag_regex = "("}'}
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, env)
    assert caught.value.message.startswith("SETUPTOOLS_SCM_OVERRIDES_FOR_MY_PKG tag_regex:")
    env = {"SETUPTOOLS_SCM_OVERRIDES_FOR_MY_PKG": '{tag_regex = "^v(?P<version>.*)$"}'}
    config = load_config(tmp_path, env)  # the override replaces tag-prefix: no conflict
    assert config.origin("tag-pattern") == "SETUPTOOLS_SCM_OVERRIDES_FOR_MY_PKG tag_regex"


# --- the settings, against setuptools-scm ----------------------------------------------------

TEMPLATE = (
    "v={version} t={version_tuple} n={scm_version.short_node} d={scm_version.distance} "
    "tag={scm_version.tag} dirty={scm_version.dirty} exact={scm_version.exact}\\n"
)


@needs_git
@pytest.mark.parametrize("key", ["version_file_template", "write_to_template"])
def test_version_file_template_as_setuptools_scm_fills_it(tmp_path: Path, key: str) -> None:
    from vcrelease.integrations import commit_id, resolve, version_file_text

    target = "version_file" if key == "version_file_template" else "write_to"
    repo = tagged_repo(
        tmp_path / "repo",
        HEADER + f'[tool.setuptools_scm]\n{target} = "_version.py"\n{key} = "{TEMPLATE}"\n'
        "[tool.vcrelease]\n",
    )
    done = setuptools_scm(repo, "--force-write-version-files")
    assert done.returncode == 0, done.stderr
    expected = (repo / "_version.py").read_text(encoding="utf-8")
    result = resolve(repo)
    config = result.config
    assert config.version_file == "_version.py"
    assert config.version_file_template is not None
    ours = version_file_text(
        repo,
        config.version_file,
        result.version,
        commit_id(result),
        config.version_file_template,
        result.describe,
    )
    assert ours == expected


def test_a_template_naming_an_unknown_field_is_refused(tmp_path: Path) -> None:
    from vcrelease.integrations import version_file_text

    with pytest.raises(ConfigError, match=r"scm_version\.FIELD"):
        version_file_text(tmp_path, "v.txt", "1.0", None, "{scm_version.colour}")


def test_parentdir_prefix_version_as_setuptools_scm_reads_it(tmp_path: Path) -> None:
    """hatch's raw-options: an unpacked GitHub tarball, no git, no PKG-INFO."""
    table = '[tool.setuptools_scm]\nparentdir_prefix_version = "my-pkg-"\n[tool.vcrelease]\n'
    project = tmp_path / "my-pkg-2.3.4"
    project.mkdir()
    (project / "pyproject.toml").write_text(HEADER + table, encoding="utf-8")
    expected = setuptools_scm(project)
    assert expected.returncode == 0, expected.stderr
    ours = vcrelease(project)
    assert ours.stdout.strip() == expected.stdout.strip().splitlines()[-1] == "2.3.4"
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "pyproject.toml").write_text(HEADER + table, encoding="utf-8")
    assert setuptools_scm(other).returncode != 0
    refused = vcrelease(other)
    assert refused.returncode == 3
    assert "parentdir-prefix 'my-pkg-'" in refused.stderr


@needs_git
def test_root_dotdot_inside_and_outside_a_repository(tmp_path: Path) -> None:
    """vcs-versioning's own layout (``root = ".."`` in a subproject): in the monorepo both
    read its repository; in an unpacked sdist (no repository above) both read PKG-INFO."""
    table = '[tool.setuptools_scm]\nroot = ".."\n[tool.vcrelease]\n'
    top = tmp_path / "mono"
    sub = top / "sub"
    sub.mkdir(parents=True)
    (sub / "pyproject.toml").write_text(HEADER + table, encoding="utf-8")
    new_repo(top, tags=["v3.0.0"], commits_after_tag=1)
    expected = setuptools_scm(sub)
    assert expected.returncode == 0, expected.stderr
    assert vcrelease(sub).stdout.strip() == expected.stdout.strip().splitlines()[-1]
    unpacked = tmp_path / "unpacked" / "my_pkg-3.0.1"
    unpacked.mkdir(parents=True)
    (unpacked / "pyproject.toml").write_text(HEADER + table, encoding="utf-8")
    (unpacked / "PKG-INFO").write_text(
        "Metadata-Version: 2.1\nName: my-pkg\nVersion: 3.0.1\n", encoding="utf-8"
    )
    expected = setuptools_scm(unpacked)
    assert expected.returncode == 0, expected.stderr
    ours = vcrelease(unpacked)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.strip() == expected.stdout.strip().splitlines()[-1] == "3.0.1"


@needs_git
def test_dist_name_chooses_the_pretend_variable(tmp_path: Path) -> None:
    repo = tagged_repo(
        tmp_path / "repo",
        HEADER + '[tool.setuptools_scm]\ndist_name = "Other.Name"\n[tool.vcrelease]\n',
    )
    env = {**clean_env(), "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_OTHER_NAME": "8.8"}
    for command in (
        [sys.executable, "-m", "setuptools_scm"],
        [sys.executable, "-m", "vcrelease", "version", str(repo)],
    ):
        done = subprocess.run(
            command, cwd=repo, env=env, capture_output=True, text=True, check=True
        )
        assert done.stdout.strip().splitlines()[-1] == "8.8"


@needs_git
def test_write_to_source_keeps_the_file_in_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest's setting: the version file is in the work tree after a (non-editable) build,
    as setuptools-scm leaves it; the tree stays clean (git ignores the file)."""
    from vcrelease.integrations.setuptools import finalize_distribution_options

    repo = make_sample("setuptools", tmp_path / "repo")
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8") + "\n[tool.setuptools_scm]\nwrite_to_source = true\n",
        encoding="utf-8",
    )
    git(repo, "commit", "-qam", "write_to_source", when=600)
    dist = neutral_distribution(tmp_path, monkeypatch)
    for name in [k for k in os.environ if k.startswith(PREFIXES[:3])]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(repo)
    finalize_distribution_options(dist)
    written = version_file_values((repo / "src/sample/_version.py").read_bytes())
    assert written["__version__"] == dist.metadata.version
    assert git(repo, "status", "--porcelain") == ""
    monkeypatch.setenv("SETUPTOOLS_SCM_WRITE_TO_SOURCE", "0")  # the variable wins
    assert load_config(repo).write_to_source is False


HATCH_TEMPLATE = "V = {version!r}\\nT = {version_tuple!r}\\n"


@needs_git
def test_hatch_vcs_template_as_hatch_vcs_writes_it(tmp_path: Path) -> None:
    """hatch-vcs' build hook ``template``, kept beside ``source = "vcrelease"``: the sdist's
    version file equals the one hatch-vcs writes (both built in this process from the same
    work tree, whose edited ``pyproject.toml`` is the same change for both); the migrated
    layout moves the template to ``version-file-template``."""
    from hatchling.builders.sdist import SdistBuilder

    from test_build_e2e import sdist_members

    repo = make_sample("hatchling", tmp_path / "repo")
    pyproject = repo / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    head = text.partition("[tool.hatch.version]")[0]
    layouts = {
        "hatch-vcs": '[tool.hatch.version]\nsource = "vcs"\n'
        '[tool.hatch.version.raw-options]\nlocal_scheme = "no-local-version"\n'
        '[tool.hatch.build.hooks.vcs]\nversion-file = "src/sample/_version.py"\n'
        f'template = "{HATCH_TEMPLATE}"\n',
        "vcrelease": '[tool.hatch.version]\nsource = "vcrelease"\n'
        "[tool.hatch.build.hooks.vcrelease]\n"
        '[tool.vcrelease]\nlocal-scheme = "no-local-version"\n'
        'version-file = "src/sample/_version.py"\n'
        f'version-file-template = "{HATCH_TEMPLATE}"\n',
    }
    files = {}
    for name, tail in layouts.items():
        pyproject.write_text(head + tail, encoding="utf-8")
        (sdist,) = SdistBuilder(str(repo)).build(directory=str(tmp_path / name))
        members = sdist_members(Path(sdist))
        (key,) = [m for m in members if m.endswith("src/sample/_version.py")]
        files[name] = members[key].decode()
        (repo / "src/sample/_version.py").unlink(missing_ok=True)  # hatch-vcs writes there
    assert files["vcrelease"] == files["hatch-vcs"]
    assert "V = '1.2.4.dev5'" in files["vcrelease"]


URLS = (
    '[tool.hatch.metadata.hooks.{hook}.urls]\nHomepage = "https://example.invalid"\n'
    'source_archive = "https://example.invalid/archive/{{commit_hash}}.zip"\n'
)


@needs_git
def test_hatch_vcs_metadata_hook_urls(tmp_path: Path) -> None:
    """hatch-vcs' metadata hook ``urls`` (``{commit_hash}``): the migrated table under
    vcrelease's hook gives the wheel the same ``Project-URL`` lines as hatch-vcs; a wheel
    built from the sdist keeps them."""
    from hatchling.builders.sdist import SdistBuilder
    from hatchling.builders.wheel import WheelBuilder

    from test_build_e2e import extract, wheel_members
    from vcrelease.migration import translate, vcrelease_table

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    repo = make_sample("hatchling", tmp_path / "repo")
    pyproject = repo / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").replace(
        'dynamic = ["version"]', 'dynamic = ["version", "urls"]'
    )
    old = text + URLS.format(hook="vcs")
    migration = translate(tomllib.loads(old))
    assert migration.unsupported == []
    new = text + vcrelease_table(migration).replace("[tool.vcrelease]\n", "")
    urls = {}
    for name, content in (("hatch-vcs", old), ("vcrelease", new)):
        pyproject.write_text(content, encoding="utf-8")
        (wheel,) = WheelBuilder(str(repo)).build(directory=str(tmp_path / name))
        (meta,) = [v for k, v in wheel_members(Path(wheel)).items() if k.endswith("METADATA")]
        urls[name] = [line for line in meta.decode().splitlines() if line.startswith("Project-URL")]
    node = git(repo, "rev-parse", "HEAD")
    assert (
        f"Project-URL: source_archive, https://example.invalid/archive/{node}.zip"
        in urls["vcrelease"]
    )
    assert urls["vcrelease"] == urls["hatch-vcs"]
    (sdist,) = SdistBuilder(str(repo)).build(directory=str(tmp_path / "sdist"))
    extract(Path(sdist), tmp_path / "unpacked")
    (unpacked,) = (tmp_path / "unpacked").iterdir()
    (wheel,) = WheelBuilder(str(unpacked)).build(directory=str(tmp_path / "from-sdist"))
    (meta,) = [v for k, v in wheel_members(Path(wheel)).items() if k.endswith("METADATA")]
    again = [line for line in meta.decode().splitlines() if line.startswith("Project-URL")]
    assert again == urls["vcrelease"]
