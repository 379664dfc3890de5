"""setuptools-scm's and vcs-versioning's environment variables, against setuptools-scm itself.

Each case sets variables on the same repository for setuptools-scm (``python -m
setuptools_scm``, which reads ``pyproject.toml`` and the environment as its build hook does:
``Configuration.from_file`` with the overrides, then the pretend variables) and for vcrelease
(``vcrelease version --explain``, the path the build plugins take), and the versions must be
equal; ``--explain`` must name the variable that decided. The plugin entry point and one real
``python -m build`` run at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitutil import ENV, git, new_repo
from test_build_e2e import build_ok, make_sample, needs_git

PYPROJECT = """\
[build-system]
requires = ["setuptools>=77", "vcrelease"]
build-backend = "setuptools.build_meta"

[project]
name = "My.Pkg"
dynamic = ["version"]

[tool.setuptools_scm]

[tool.vcrelease]
"""
PREFIXES = ("VCRELEASE_", "SETUPTOOLS_SCM_", "VCS_VERSIONING_", "GIT_")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
    env.update(ENV)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("envvars") / "my.pkg"
    return new_repo(path, pyproject=PYPROJECT, tags=["v1.2.3"], commits_after_tag=2)


def setuptools_scm(repo: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "setuptools_scm"],
        cwd=repo,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def vcrelease(repo: Path, env: dict[str, str]) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "vcrelease", "version", "--explain", str(repo)],
        env=clean_env(**env),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip(), done.stderr


CASES: list[tuple[dict[str, str], str]] = [
    # (variables, the variable --explain must name as deciding)
    ({"SETUPTOOLS_SCM_PRETEND_VERSION": "99.0.0"}, "SETUPTOOLS_SCM_PRETEND_VERSION"),
    (
        {
            "SETUPTOOLS_SCM_PRETEND_VERSION": "9.0",
            "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG": "5.0",
        },
        "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG",
    ),
    ({"VCS_VERSIONING_PRETEND_VERSION": "7.0"}, "VCS_VERSIONING_PRETEND_VERSION"),
    (
        {
            "VCS_VERSIONING_PRETEND_VERSION_FOR_MY_PKG": "7.1",
            "SETUPTOOLS_SCM_PRETEND_VERSION": "8.0",
        },
        "VCS_VERSIONING_PRETEND_VERSION_FOR_MY_PKG",
    ),
    (
        {"VCS_VERSIONING_PRETEND_VERSION": "7.0", "SETUPTOOLS_SCM_PRETEND_VERSION": "8.0"},
        "SETUPTOOLS_SCM_PRETEND_VERSION",
    ),
    # another spelling of the dist name, which vcs-versioning accepts with a warning
    (
        {"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_my-pkg": "6.0"},
        "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_my-pkg",
    ),
    # an empty value is no value
    ({"SETUPTOOLS_SCM_PRETEND_VERSION": ""}, "source: git"),
    (
        {"SETUPTOOLS_SCM_PRETEND_METADATA": '{node="g1337beef", distance=4}'},
        "SETUPTOOLS_SCM_PRETEND_METADATA",
    ),
    (
        {"SETUPTOOLS_SCM_PRETEND_METADATA_FOR_MY_PKG": "{dirty=true, time=2026-03-04T05:06:07Z}"},
        "SETUPTOOLS_SCM_PRETEND_METADATA_FOR_MY_PKG",
    ),
    (
        {"VCS_VERSIONING_PRETEND_METADATA": '{branch="feature", distance=0}'},
        "VCS_VERSIONING_PRETEND_METADATA",
    ),
    (
        {
            "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG": "3.0",
            "SETUPTOOLS_SCM_PRETEND_METADATA": '{node="gabcdef12"}',
        },
        "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG",
    ),
    (
        {"SETUPTOOLS_SCM_OVERRIDES_FOR_MY_PKG": '{local_scheme = "no-local-version"}'},
        "SETUPTOOLS_SCM_OVERRIDES_FOR_MY_PKG local_scheme",
    ),
    (
        {"SETUPTOOLS_SCM_OVERRIDES": '{version_scheme = "no-guess-dev"}'},
        "SETUPTOOLS_SCM_OVERRIDES version_scheme",
    ),
    (
        {"VCS_VERSIONING_OVERRIDES_FOR_MY_PKG": 'tag_regex = "^v(?P<version>1.*)$"'},
        "VCS_VERSIONING_OVERRIDES_FOR_MY_PKG tag_regex",
    ),
    ({"SETUPTOOLS_SCM_DEBUG": "1"}, "source: git"),
]


@needs_git
@pytest.mark.parametrize(("variables", "named"), CASES, ids=[str(c[0]) for c in CASES])
def test_variable_gives_setuptools_scms_version(
    repo: Path, variables: dict[str, str], named: str
) -> None:
    expected = setuptools_scm(repo, {**variables, "SOURCE_DATE_EPOCH": "1767225600"})
    version, explained = vcrelease(repo, {**variables, "SOURCE_DATE_EPOCH": "1767225600"})
    assert version == expected
    assert named in explained


INTENDED_DIFFERENCES = {
    "a pretended tag": (
        '{tag="v2.0.0", distance=3}',
        "setuptools-scm 10.3 passes the TOML string on as the tag and fails in its scheme "
        "(AttributeError: 'str' object has no attribute 'public'); vcrelease reads the tag "
        "with the tag pattern, as vcs-versioning reads a tag from git",
    ),
}


@needs_git
def test_a_pretended_tag_is_read_as_a_tag(repo: Path) -> None:
    """The intended difference above, kept honest both ways: setuptools-scm still fails, and
    vcrelease gives what vcs-versioning's own schemes give for that tag parsed."""
    from vcs_versioning._config import Configuration
    from vcs_versioning._environment import VcsEnvironment
    from vcs_versioning._scm_version import meta
    from vcs_versioning._version_schemes import format_version

    table = INTENDED_DIFFERENCES["a pretended tag"][0]
    with pytest.raises(subprocess.CalledProcessError) as failed:
        setuptools_scm(repo, {"SETUPTOOLS_SCM_PRETEND_METADATA": table})
    assert "has no attribute 'public'" in failed.value.stderr
    version, _ = vcrelease(repo, {"SETUPTOOLS_SCM_PRETEND_METADATA": table})
    node = "g" + git(repo, "rev-parse", "HEAD")[:9]
    scm = meta(
        "2.0.0", distance=3, node=node, dirty=False, config=Configuration(_env=VcsEnvironment())
    )
    assert version == format_version(scm)


@needs_git
def test_shadowed_variables_are_named(repo: Path) -> None:
    """vcrelease's own variable goes first within its group; the ones it beats are named."""
    env = {
        "VCRELEASE_PRETEND_VERSION": "1.0",
        "SETUPTOOLS_SCM_PRETEND_VERSION": "2.0",
        "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG": "3.0",
    }
    version, explained = vcrelease(repo, env)
    assert version == "3.0"  # a per-distribution name beats every generic one
    assert "VCRELEASE_PRETEND_VERSION is set too and loses" in explained
    del env["SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG"]
    assert vcrelease(repo, env)[0] == "1.0"


@needs_git
@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"SETUPTOOLS_SCM_PRETEND_METADATA": "{distance=}"}, "is not a TOML table"),
        ({"SETUPTOOLS_SCM_PRETEND_METADATA": "{colour='red'}"}, "unknown field 'colour'"),
        ({"SETUPTOOLS_SCM_PRETEND_METADATA": "{distance='4'}"}, "distance = '4' must be a int"),
        ({"SETUPTOOLS_SCM_OVERRIDES_FOR_MY_PKG": "{parse='x'}"}, "OVERRIDES_FOR_MY_PKG parse"),
        ({"SETUPTOOLS_SCM_PRETEND_VERSION": "not a version"}, "is not a PEP 440 version"),
        (
            {
                "SETUPTOOLS_SCM_OVERRIDES_FOR_MY_PKG": (
                    '{local_scheme = ["fail-on-uncommitted-changes", "node-and-date"]}'
                )
            },
            'local_scheme = "no-local-version-strict"',
        ),
    ],
)
def test_bad_values_stop_with_the_variable_named(
    repo: Path, variables: dict[str, str], message: str
) -> None:
    """setuptools-scm logs a table it cannot read and goes on; vcrelease stops (exit 2)."""
    done = subprocess.run(
        [sys.executable, "-m", "vcrelease", "version", str(repo)],
        env=clean_env(**variables),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert next(iter(variables)) in done.stderr


@needs_git
def test_the_plugin_entry_point_reads_them_and_debug_explains(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``integrations.resolve`` (what both plugins call) under ``SETUPTOOLS_SCM_DEBUG``."""
    from vcrelease.integrations import resolve

    for name in list(os.environ):
        if name.startswith(PREFIXES[:3]):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG", "4.5.6")
    monkeypatch.setenv("SETUPTOOLS_SCM_DEBUG", "1")
    result = resolve(repo)
    assert result.version == setuptools_scm(
        repo, {"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG": "4.5.6"}
    )
    err = capsys.readouterr().err
    assert "SETUPTOOLS_SCM_DEBUG is set" in err
    assert "source: pretend (SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG)" in err
    monkeypatch.setenv("SETUPTOOLS_SCM_DEBUG", "0")  # 0 is off, as in vcs-versioning
    resolve(repo)
    assert "SETUPTOOLS_SCM_DEBUG" not in capsys.readouterr().err


@pytest.mark.slow
@needs_git
def test_pretend_version_in_a_real_build(build_env: dict[str, str], tmp_path: Path) -> None:
    """``SETUPTOOLS_SCM_PRETEND_VERSION=99.0.0`` wins over the git version in a real build."""
    repo = make_sample("setuptools", tmp_path / "sample")
    env = {**build_env, "SETUPTOOLS_SCM_PRETEND_VERSION": "99.0.0"}
    files = build_ok(repo, tmp_path / "dist", env)
    assert sorted(files) == ["sample-99.0.0-py3-none-any.whl", "sample-99.0.0.tar.gz"]
