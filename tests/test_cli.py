"""The ``vcrelease`` command on real repositories: output, exit codes and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from gitutil import commit, git, git_describe, new_repo, run


def make_repo(path: Path, commits_after_tag: int = 5, pyproject: str | None = None) -> Path:
    """``app.txt`` (and ``pyproject``) committed and tagged ``v1.2.3``, then
    ``commits_after_tag`` commits."""
    return new_repo(
        path,
        files={"app.txt": "0\n"},
        pyproject=pyproject,
        tags=["v1.2.3"],
        commits_after_tag=commits_after_tag,
    )


def test_version_prints_the_version_alone(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    head = git(repo, "rev-parse", "HEAD")
    result = run("version", repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"1.2.4.dev5+g{head[:9]}\n"


def test_scheme_options_override_config(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", pyproject='[tool.vcrelease]\nlocal-scheme = "dirty-tag"\n')
    assert run("version", repo).stdout == "1.2.4.dev5\n"
    result = run(
        "version", repo, "--version-scheme", "no-guess-dev", "--local-scheme", "no-local-version"
    )
    assert result.stdout == "1.2.3.post1.dev5\n"


def test_scheme_from_a_plugin_distribution(tmp_path: Path) -> None:
    """A scheme another installed distribution registers (setuptools-scm's extension point)
    is found, in the configuration and on the command line; an unknown one is exit 2."""
    site = tmp_path / "site"
    info = site / "vcrelease_test_schemes-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: vcrelease-test-schemes\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[setuptools_scm.version_scheme]\nplus-distance = vcrelease_test_schemes:plus\n"
        "[setuptools_scm.local_scheme]\nbranch-label = vcrelease_test_schemes:branch\n"
    )
    (site / "vcrelease_test_schemes.py").write_text(
        "def plus(version):\n    return f'{version.tag}.{version.distance}'\n\n"
        "def branch(version):\n    return f'+{version.branch}'\n"
    )
    repo = make_repo(
        tmp_path / "r", pyproject='[tool.vcrelease]\nversion-scheme = "plus-distance"\n'
    )
    result = run("version", repo, "--local-scheme", "branch-label", PYTHONPATH=str(site))
    assert (result.returncode, result.stdout) == (0, "1.2.3.5+main\n"), result.stderr
    result = run("version", repo, PYTHONPATH="")
    assert result.returncode == 2
    assert "version-scheme 'plus-distance' is not a known scheme" in result.stderr
    assert "guess-next-dev" in result.stderr  # the known names are listed


def test_explain_names_candidates_winner_and_dirty_files(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", commits_after_tag=2)
    git(repo, "tag", "-a", "-m", "same commit, lower", "v1.0.0", "HEAD~2")
    git(repo, "tag", "-a", "-m", "nearer wins over higher", "v0.9.0", "HEAD~1")
    (repo / "app.txt").write_text("edited\n")
    (repo / "untracked.txt").write_text("new\n")
    result = run("version", repo, "--explain")
    assert result.returncode == 0
    assert result.stdout.startswith("0.9.1.dev1+g")
    explain = result.stderr
    assert "* v0.9.0 -> 0.9.0, 1 commits back" in explain
    assert "winner: v0.9.0; distance: 1" in explain
    assert "  app.txt" in explain
    assert "untracked.txt" not in explain


def test_describe_json_matches_git_describe(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", commits_after_tag=3)
    git(repo, "checkout", "-q", "-b", "feature/x")
    result = run("describe", repo, "--json")
    data = json.loads(result.stdout)
    described = git_describe(repo)
    assert described is not None
    assert (data["tag"], data["distance"]) == (described.tag, described.distance)
    assert data["node"].startswith(described.node)
    assert data["branch"] == "feature/x"
    assert data["dirty"] is False
    assert data["shallow"] is False
    assert run("describe", repo).stdout.strip() == git(
        repo, "describe", "--tags", "--long", "--abbrev=7"
    )


def test_subdirectory_project_in_monorepo(tmp_path: Path) -> None:
    repo = tmp_path / "mono"
    pkg = repo / "packages" / "a"
    pkg.mkdir(parents=True)
    (pkg / "pyproject.toml").write_text(
        '[project]\nname = "pkg-a"\n[tool.vcrelease]\n'
        "tag-pattern = '^pkg-a/v(?P<version>\\d.*)$'\n"
        'local-scheme = "no-local-version"\n'
    )
    new_repo(repo, tags=["pkg-a/v2.0.0", "pkg-b/v9.0.0", "v7.0.0"])
    commit(repo, "b", {"other.txt": "x"}, when=2)
    assert run("version", pkg).stdout == "2.0.1.dev1\n"


# --- sources other than git -------------------------------------------------------------


def test_pretend_version_wins_and_is_validated(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", pyproject='[project]\nname = "My.Package"\n')
    assert run("version", repo, VCRELEASE_PRETEND_VERSION="9.9").stdout == "9.9\n"
    per_dist = run(
        "version",
        repo,
        VCRELEASE_PRETEND_VERSION="9.9",
        VCRELEASE_PRETEND_VERSION_FOR_MY_PACKAGE="3.0",
    )
    assert per_dist.stdout == "3.0\n"
    bad = run("version", repo, VCRELEASE_PRETEND_VERSION="not a version")
    assert bad.returncode == 2
    assert "VCRELEASE_PRETEND_VERSION='not a version' is not a PEP 440 version" in bad.stderr


def test_sdist_pkg_info_gives_the_version(tmp_path: Path) -> None:
    (tmp_path / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: sample\nVersion: 1.2.4.dev5\n")
    assert run("version", tmp_path).stdout == "1.2.4.dev5\n"


def test_git_archive_with_archival_file(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", commits_after_tag=0)
    result = run("archival-file", repo)
    assert result.returncode == 0
    assert ".git_archival.txt  export-subst" in result.stdout
    (repo / ".gitattributes").write_text(".git_archival.txt  export-subst\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "archival", when=30)
    (repo / "app.txt").write_text("more\n")
    git(repo, "commit", "-qam", "more", when=31)
    head = git(repo, "rev-parse", "HEAD")
    tarball = tmp_path / "src.tar"
    git(repo, "archive", "--format=tar", f"--output={tarball}", "HEAD")
    unpacked = tmp_path / "unpacked"
    with tarfile.open(tarball) as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 / 3.10.12
            tar.extractall(unpacked, filter="data")
        else:  # pragma: no cover - our own archive, made just above
            tar.extractall(unpacked)
    assert run("version", unpacked).stdout == f"1.2.4.dev2+g{head[:9]}\n"
    assert (
        run("version", repo).stdout == f"1.2.4.dev2+g{head[:9]}\n"
    )  # template unexpanded in the clone
    again = run("archival-file", repo)
    assert again.returncode == 0
    assert "already has" in again.stdout


def test_fallback_version_only_without_a_repository(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.vcrelease]\nfallback-version = "0.5"\n')
    assert run("version", tmp_path).stdout == "0.5\n"


# --- bad input: exit code and a message that names the problem and the fix -----------


def test_not_a_repository(tmp_path: Path) -> None:
    result = run("version", tmp_path)
    assert result.returncode == 3
    assert "No version for" in result.stderr
    assert "VCRELEASE_PRETEND_VERSION" in result.stderr
    assert "PKG-INFO" in result.stderr
    assert "Traceback" not in result.stderr


def test_empty_repository(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    result = run("version", tmp_path)
    assert result.returncode == 3
    assert "has no commits yet" in result.stderr
    assert "Traceback" not in result.stderr


def test_corrupt_ref(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    (repo / ".git" / "refs" / "tags" / "latest").write_text("this is not an object id\n")
    assert run("version", repo).returncode == 0  # not a version tag: skipped, as git does
    (repo / ".git" / "refs" / "tags" / "v2.0.0").write_text("this is not an object id\n")
    result = run("version", repo)
    assert result.returncode == 3, result.stderr
    assert "version tag v2.0.0 points at" in result.stderr
    assert "git tag -d v2.0.0" in result.stderr
    assert "Traceback" not in result.stderr
    (repo / ".git" / "refs" / "tags" / "v2.0.0").write_text("f" * 40 + "\n")
    missing = run("version", repo)
    assert missing.returncode == 3
    assert "not an object in this repository" in missing.stderr


def test_unknown_config_key(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", pyproject='[tool.vcrelease]\nversion_scheme = "x"\n')
    result = run("version", repo)
    assert result.returncode == 2
    assert "unknown key 'version_scheme'" in result.stderr
    assert "version-scheme" in result.stderr


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ("tag-pattern = '^v(\\d+'", "tag-pattern '^v(\\\\d+' is not a valid regular expression"),
        ("tag-pattern = '^v.*$'", "has no group for the version"),
        ('version-scheme = "guess-next"', "version-scheme 'guess-next' is not a known scheme"),
        ('local-scheme = "none"', "local-scheme 'none' is not a known scheme"),
        ('version-file = "/etc/v.py"', "must be a relative path"),
        ('fallback-version = "one"', "fallback-version 'one' is not a PEP 440 version"),
        ("version-scheme = 3", "version-scheme must be a non-empty string"),
    ],
)
def test_bad_config_values(tmp_path: Path, pyproject: str, message: str) -> None:
    repo = make_repo(tmp_path / "r", pyproject=f"[tool.vcrelease]\n{pyproject}\n")
    result = run("version", repo)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_shallow_clone_without_tag(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin", commits_after_tag=5)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "2", "--no-tags", f"file://{origin}", str(clone))
    result = run("version", clone)
    assert result.returncode == 3
    assert "shallow clone" in result.stderr
    assert "fetch-depth: 0" in result.stderr
    assert "git fetch --unshallow --tags" in result.stderr


def test_shallow_clone_with_tag_in_reach(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin", commits_after_tag=2)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "3", f"file://{origin}", str(clone))
    assert run("version", clone, "--local-scheme", "no-local-version").stdout == "1.2.4.dev2\n"


def test_usage_error_exit_code() -> None:
    result = run("no-such-command")
    assert result.returncode == 2


NOT_ON_THE_VERSION_PATH = (
    "dataclasses",  # and with it inspect, ast, dis, tokenize: 10-15 ms (records are NamedTuples)
    "inspect",
    "shutil",  # argparse's formatter imports it unless given a width
    "shlex",
    "vcs_versioning",  # only for schemes other than the defaults
    "dulwich",
    "vcrelease.migration",  # only when pyproject.toml has old settings
    "vcrelease.switch",  # vcrelease migrate only
    "tomlkit",
    "vcrelease.publish",
    *(f"vcrelease.cli.{name}" for name in ("docker", "migrate", "projects", "upload", "promote")),
    "vcrelease.cli.channel",
)
"""Modules ``vcrelease version`` must not import on a plain repository: each costs start-up
time on every build."""


@pytest.mark.parametrize("dirty", [False, True])
def test_the_version_path_imports_only_what_it_needs(tmp_path: Path, dirty: bool) -> None:
    repo = make_repo(tmp_path / "r")
    if dirty:
        (repo / "app.txt").write_text("changed\n")
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "vcrelease", "version"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("1.2.4.dev5+g")
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "vcrelease.git.status" in imported  # the detection works
    found = {
        m
        for m in imported
        for name in NOT_ON_THE_VERSION_PATH
        if m == name or m.startswith(name + ".")
    }
    assert not found, sorted(found)


def test_plugin_import_stays_light() -> None:
    code = (
        "import sys, vcrelease.version.resolve, vcrelease.cli.main;"
        "import vcrelease.integrations.setuptools, vcrelease.integrations.hatch;"
        "import vcrelease.integrations.filefinder, vcrelease.integrations.hatchmeta;"
        "heavy = ('twine', 'requests', 'rich', 'dulwich.porcelain', 'urllib3', 'tomlkit',"
        " 'vcrelease.switch');"
        "bad = [m for m in heavy if m in sys.modules];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("entry", "script"),
    [
        ("scripts.vcrelease", True),
        ("scripts.vc_upload", True),
        ("cli.main", False),
        ("cli.upload_main", False),
    ],
)
def test_console_scripts_spare_the_collector_their_imports(entry: str, script: bool) -> None:
    """The console scripts import their command with the cyclic collector off, then freeze
    what the imports made (no collection traverses the modules' objects), and freeze again
    before the interpreter exits (its last collection would traverse them all);
    :func:`main`, which other programs and the tests call, leaves the collector alone: there
    the imports trigger collections. An ``atexit`` hook runs after the entry returns."""
    code = (
        "import atexit, gc, sys;"
        f"from vcrelease import {entry.split('.')[0]};"
        "gc.collect();"
        "seen = [];"  # the number of frozen objects at each collection
        "gc.callbacks.append(lambda phase, info: phase == 'start'"
        " and seen.append(gc.get_freeze_count()));"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count(), 'unfrozen',"
        " sum(1 for n in seen if n == 0)));"
        "sys.argv = ['prog', '--version'];"
        f"sys.exit({entry}())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    _, frozen, _, unfrozen = out.stdout.rsplit(maxsplit=3)
    assert (int(frozen) > 1000) is script, out.stdout
    assert (int(unfrozen) == 0) is script, out.stdout  # collections before the freeze


def test_the_records_on_the_version_path_have_evaluated_annotations() -> None:
    """typing compiles every string annotation of a named tuple when the class is defined
    (``ForwardRef``): about 25 us a field, 150 fields on the start-up path. The modules that
    define its records therefore do without ``from __future__ import annotations``."""
    code = (
        "import sys, typing;"
        "import vcrelease.cli.main, vcrelease.version.resolve, vcrelease.git.session;"
        "import vcrelease.git.cache, vcrelease.envconfig;"
        "mods = [m for n, m in list(sys.modules.items()) if n.startswith('vcrelease')];"
        "records = [(m.__name__, k) for m in mods for k, v in vars(m).items()"
        " if isinstance(v, type) and issubclass(v, tuple) and hasattr(v, '_fields')"
        " and v.__module__ == m.__name__];"
        "lazy = [r for r in records"
        " if any(isinstance(a, (str, typing.ForwardRef))"
        " for a in vars(sys.modules[r[0]])[r[1]].__annotations__.values())];"
        "print(len(records), lazy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, lazy = out.stdout.split(maxsplit=1)
    assert int(count) >= 20  # the check sees the records
    assert lazy.strip() == "[]"
