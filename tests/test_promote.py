"""``vcrelease promote`` between two real devpi indexes (staging -> production) and pypiserver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from distfiles import make_dists, sha256_file
from servers import IndexServer

pytestmark = pytest.mark.slow


def promote(
    spec: str, source: IndexServer, target: IndexServer, *args: str, password: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "VCRELEASE_"))}
    env.update(
        TWINE_USERNAME=target.username,
        TWINE_PASSWORD=target.password if password is None else password,
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    return subprocess.run(
        [sys.executable, "-m", "vcrelease", "promote", spec, "--from", source.index_url,
         "--to", target.upload_url, "--index-url", target.index_url, "--no-progress",
         "--format", "json", *args],
        env=env, capture_output=True, text=True, check=False, timeout=180,
    )  # fmt: skip


def outcomes(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {f["filename"]: f["outcome"] or f["action"] for f in json.loads(result.stdout)["files"]}


def test_promote_moves_the_same_bytes_then_skips(
    devpi_staging: IndexServer, devpi_production: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    files = make_dists(tmp_path, unique_project, "2.0.0", payload="tested")
    devpi_staging.upload(files)
    first = promote(f"{unique_project}==2.0.0", devpi_staging, devpi_production)
    assert first.returncode == 0, first.stderr
    assert set(outcomes(first).values()) == {"uploaded"}
    for f in files:
        assert devpi_production.served_sha256(unique_project, f.name) == sha256_file(f)
        assert devpi_staging.served_sha256(unique_project, f.name) == sha256_file(f)
    again = promote(f"{unique_project}==2.0.0", devpi_staging, devpi_production)
    assert again.returncode == 0, again.stderr
    assert set(outcomes(again).values()) == {"skipped"}


def test_other_bytes_on_the_target_refuse_the_whole_set(
    devpi_staging: IndexServer, devpi_production: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    files = make_dists(tmp_path / "a", unique_project, "1.0.0", payload="tested")
    other = make_dists(tmp_path / "b", unique_project, "1.0.0", payload="rebuilt")
    devpi_staging.upload(files)
    devpi_production.upload([other[1]])  # an sdist with other bytes already in production
    result = promote(f"{unique_project}==1.0.0", devpi_staging, devpi_production)
    assert result.returncode == 1
    assert "other bytes" in result.stderr
    listed = devpi_production.sha256s(unique_project)
    assert files[0].name not in listed  # the wheel was not uploaded either


def test_dependency_only_on_staging_is_refused_unless_allowed(
    devpi_staging: IndexServer, devpi_production: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    dependency = f"{unique_project}-lib"
    devpi_staging.upload(make_dists(tmp_path / "lib", dependency, "1.0.0", payload="lib"))
    app = make_dists(
        tmp_path / "app",
        unique_project,
        "1.0.0",
        payload="app",
        dependencies=[f"{dependency}>=1.0"],
    )
    devpi_staging.upload(app)
    refused = promote(f"{unique_project}==1.0.0", devpi_staging, devpi_production)
    assert refused.returncode == 1
    assert dependency in refused.stderr
    assert devpi_production.listing(unique_project).files == ()
    allowed = promote(
        f"{unique_project}==1.0.0", devpi_staging, devpi_production,
        "--allow-unpromoted-dependencies",
    )  # fmt: skip
    assert allowed.returncode == 0, allowed.stderr
    assert promote(f"{dependency}==1.0.0", devpi_staging, devpi_production).returncode == 0
    # now the dependency is there: a new app version promotes without the flag
    app2 = make_dists(
        tmp_path / "app2",
        unique_project,
        "1.1.0",
        payload="app",
        dependencies=[f"{dependency}>=1.0"],
    )
    devpi_staging.upload(app2)
    assert promote(f"{unique_project}==1.1.0", devpi_staging, devpi_production).returncode == 0


def test_unknown_project_or_version_exit_2(
    devpi_staging: IndexServer, devpi_production: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    unknown = promote(f"{unique_project}==1.0", devpi_staging, devpi_production)
    assert unknown.returncode == 2
    assert "not on the source index" in unknown.stderr
    devpi_staging.upload(make_dists(tmp_path, unique_project, "1.0.0", payload="x"))
    wrong = promote(f"{unique_project}==9.9", devpi_staging, devpi_production)
    assert wrong.returncode == 2
    assert "it has: 1.0.0" in wrong.stderr
    bad = promote(f"{unique_project}>=1", devpi_staging, devpi_production)
    assert bad.returncode == 2
    assert "NAME==VERSION" in bad.stderr


def test_unreachable_source_exits_4(devpi_production: IndexServer, unique_project: str) -> None:
    nowhere = IndexServer(
        kind="pypiserver", base_url="http://127.0.0.1:9", upload_url="http://127.0.0.1:9/",
        index_url="http://127.0.0.1:9/simple/", username="u", password="p",
        accepts_overwrite=False,
    )  # fmt: skip
    result = promote(f"{unique_project}==1.0", nowhere, devpi_production)
    assert result.returncode == 4
    assert "127.0.0.1:9" in result.stderr


def test_source_bytes_that_do_not_match_the_listed_hash_are_refused(
    devpi_production: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    """A source index that lies: it lists one sha256 and serves other bytes."""
    from servers import Route, StaticHTTPServer, html_route

    wheel, sdist = make_dists(tmp_path / "real", unique_project, "1.0.0", payload="tested")
    swapped = make_dists(tmp_path / "swap", unique_project, "1.0.0", payload="swapped")[0]
    links = "".join(
        f'<a href="/files/{f.name}#sha256={sha256_file(f)}">{f.name}</a>' for f in (wheel, sdist)
    )
    with StaticHTTPServer(
        {
            "/simple/": html_route(f'<a href="/simple/{unique_project}/">{unique_project}</a>'),
            f"/simple/{unique_project}/": html_route(links),
            f"/files/{wheel.name}": Route(200, swapped.read_bytes()),
            f"/files/{sdist.name}": Route(200, sdist.read_bytes()),
        }
    ) as liar:
        source = IndexServer(
            kind="static", base_url=liar.url, upload_url=f"{liar.url}/",
            index_url=f"{liar.url}/simple/", username="", password="", accepts_overwrite=False,
        )  # fmt: skip
        result = promote(f"{unique_project}==1.0.0", source, devpi_production)
    assert result.returncode == 1, result.stderr
    assert wheel.name in result.stderr
    assert sha256_file(swapped) in result.stderr
    assert "nothing was promoted" in result.stderr
    assert not devpi_production.listing(unique_project).exists
