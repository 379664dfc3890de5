"""The upload plan: which sets of files vc-upload accepts before any network request."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest

from distfiles import build_with_frontend, make_dists
from vcrelease.errors import ConfigError
from vcrelease.publish.dists import LocalVersionError, plan_files


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    base = tmp_path_factory.mktemp("dists")
    return {
        "a1": make_dists(base, "pawesome", "1.0", payload="a"),
        "a2": make_dists(base, "pawesome", "1.1", payload="a"),
        "b1": make_dists(base, "other-pkg", "1.0", payload="b"),
        "local": make_dists(base, "pawesome", "1.0+g1234567", payload="a"),
    }


@pytest.mark.slow
def test_the_test_builds_are_what_python_m_build_makes(tmp_path: Path) -> None:
    """The upload tests' files come from hatchling in the test's process
    (``distfiles._build_in_process``): byte for byte what ``python -m build --no-isolation``
    makes of the same project, a wheel built from the sdist."""
    ours = make_dists(tmp_path / "ours", "pawesome", "1.0", payload="a", dependencies=["b>=1"])
    project = ours[0].parent.parent / "project"
    theirs = build_with_frontend(project, tmp_path / "frontend")
    assert [p.name for p in theirs] == [p.name for p in ours]
    for mine, frontend in zip(ours, theirs, strict=True):
        assert hashlib.sha256(mine.read_bytes()).digest() == (
            hashlib.sha256(frontend.read_bytes()).digest()
        ), mine.name


def test_plan_orders_wheels_first_and_hashes(built: dict[str, list[Path]]) -> None:
    wheel, sdist = built["a1"]
    plan = plan_files([sdist, wheel])
    assert (plan.project, plan.version) == ("pawesome", "1.0")
    assert [f.kind for f in plan.files] == ["wheel", "sdist"]
    assert all(len(f.sha256) == 64 and f.size > 0 for f in plan.files)


def test_two_versions_exit_2_listing_them(built: dict[str, list[Path]]) -> None:
    with pytest.raises(ConfigError, match=r"1\.0.*1\.1|1\.1.*1\.0") as info:
        plan_files([*built["a1"], built["a2"][0]])
    assert info.value.exit_code == 2


def test_two_projects_exit_2(built: dict[str, list[Path]]) -> None:
    with pytest.raises(ConfigError, match="other-pkg"):
        plan_files([built["a1"][0], built["b1"][0]])


def test_local_version_is_refused_first(built: dict[str, list[Path]]) -> None:
    with pytest.raises(LocalVersionError) as info:
        plan_files([*built["local"], built["b1"][0]])  # mixed too, but the label comes first
    assert info.value.exit_code == 1


def test_renamed_file_disagrees_with_its_metadata(
    built: dict[str, list[Path]], tmp_path: Path
) -> None:
    renamed = tmp_path / built["a1"][0].name.replace("1.0", "2.0")
    shutil.copy(built["a1"][0], renamed)
    with pytest.raises(ConfigError, match="metadata inside says"):
        plan_files([renamed])


@pytest.mark.parametrize(
    ("name", "words"),
    [("notes.txt", "neither a wheel"), ("pawesome-1.0-bad.whl", "not a valid distribution")],
)
def test_not_a_distribution_file(tmp_path: Path, name: str, words: str) -> None:
    path = tmp_path / name
    path.write_text("x")
    with pytest.raises(ConfigError, match=words):
        plan_files([path])


def test_missing_file_and_no_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="No such file"):
        plan_files([tmp_path / "pawesome-1.0.tar.gz"])
    with pytest.raises(ConfigError, match="No files"):
        plan_files([])


def test_broken_wheel_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "pawesome-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("pawesome/__init__.py", "")
    with pytest.raises(ConfigError, match="metadata inside"):
        plan_files([path])
