"""``vcrelease promote`` against sources that cannot vouch for their bytes: a pypiserver that
lists md5 only (``--hash-algo md5``) serving tampered bytes, a source that lists one file name
twice with different bytes, and sources that want credentials for every read (the ``--from``
URL's, or a ``.pypirc`` section's for ``--from-repository``)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from distfiles import make_dists, sha256_file
from servers import (
    IndexServer,
    Route,
    ServerProcess,
    StaticHTTPServer,
    html_route,
    start_pypiserver,
)

pytestmark = pytest.mark.slow


def promote(
    spec: str, target: IndexServer, *args: str, home: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "VCRELEASE_"))}
    env.update(
        TWINE_USERNAME=target.username,
        TWINE_PASSWORD=target.password,
        HOME=str(home),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    return subprocess.run(
        [sys.executable, "-m", "vcrelease", "promote", spec, "--to", target.upload_url,
         "--index-url", target.index_url, "--no-progress", "--format", "json", *args],
        env=env, capture_output=True, text=True, check=False, timeout=180,
    )  # fmt: skip


@pytest.fixture
def md5_source(tmp_path: Path) -> Iterator[tuple[IndexServer, Path]]:
    """A pypiserver whose listings carry md5 fragments only, and its packages directory."""
    proc, server = start_pypiserver(
        tmp_path / "md5", fallback=False, hash_algo="md5", name="pypiserver md5"
    )
    with proc:
        yield server, tmp_path / "md5" / "packages"


@pytest.fixture
def private_source(tmp_path: Path) -> Iterator[IndexServer]:
    """A pypiserver that wants the password for listings and downloads too."""
    proc: ServerProcess
    proc, server = start_pypiserver(
        tmp_path / "private",
        fallback=False,
        authenticate="update,download,list",
        name="pypiserver private",
    )
    with proc:
        yield server


def test_a_source_without_sha256_is_refused_and_tampered_bytes_never_promoted(
    md5_source: tuple[IndexServer, Path],
    devpi_production: IndexServer,
    tmp_path: Path,
    unique_project: str,
) -> None:
    source, packages = md5_source
    files = make_dists(tmp_path / "a", unique_project, "1.0.0", payload="tested")
    source.upload(files)
    assert all(f.sha256 is None for f in source.listing(unique_project).files)
    tampered = make_dists(tmp_path / "b", unique_project, "1.0.0", payload="tampered")
    for f in tampered:
        shutil.copy(f, packages / f.name)
    result = promote(f"{unique_project}==1.0.0", devpi_production, "--from",
                     source.index_url, home=tmp_path)  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "lists no sha256" in result.stderr
    assert "hashes match" not in result.stderr
    assert "checked against the source" not in result.stdout + result.stderr
    assert devpi_production.listing(unique_project).files == ()
    accepted = promote(f"{unique_project}==1.0.0", devpi_production, "--from",
                       source.index_url, "--allow-unverified-source", home=tmp_path)  # fmt: skip
    assert accepted.returncode == 0, accepted.stderr
    document = json.loads(accepted.stdout)
    assert "UNVERIFIED" in document["policy"]["reason"]
    assert "UNVERIFIED" in accepted.stderr or document["policy"]["reason"]


def test_a_source_listing_one_file_twice_with_different_bytes_is_refused(
    devpi_production: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    one = make_dists(tmp_path / "a", unique_project, "1.0.0", payload="one")
    two = make_dists(tmp_path / "b", unique_project, "1.0.0", payload="two")
    with StaticHTTPServer() as server:
        links = []
        for n, (a, b) in enumerate(zip(one, two, strict=True)):
            for variant, path in (("a", a), ("b", b)):
                url = f"/files/{variant}{n}/{path.name}"
                server.routes[url] = _file_route(path)
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                links.append(f'<a href="{url}#sha256={digest}">{path.name}</a>')
        server.routes["/simple/"] = html_route(f'<a href="/simple/{unique_project}/">x</a>')
        server.routes[f"/simple/{unique_project}/"] = html_route(
            f"<title>Links for {unique_project}</title>" + "".join(links)
        )
        result = promote(f"{unique_project}==1.0.0", devpi_production, "--from",
                         f"{server.url}/simple/", home=tmp_path)  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "twice" in result.stderr
    assert devpi_production.listing(unique_project).files == ()


def _file_route(path: Path) -> Route:
    return Route(200, path.read_bytes(), {"Content-Type": "application/octet-stream"})


def test_credentials_in_from_are_used_for_the_downloads_too(
    private_source: IndexServer,
    devpi_production: IndexServer,
    tmp_path: Path,
    unique_project: str,
) -> None:
    files = make_dists(tmp_path / "a", unique_project, "1.0.0", payload="private")
    private_source.upload(files)
    host = private_source.index_url.removeprefix("http://")
    source = f"http://{private_source.username}:{private_source.password}@{host}"
    result = promote(f"{unique_project}==1.0.0", devpi_production, "--from", source,
                     home=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert private_source.password not in result.stdout + result.stderr
    for f in files:
        assert devpi_production.served_sha256(unique_project, f.name) == sha256_file(f)


def test_from_repository_uses_the_pypirc_sections_credentials(
    private_source: IndexServer,
    devpi_production: IndexServer,
    tmp_path: Path,
    unique_project: str,
) -> None:
    files = make_dists(tmp_path / "a", unique_project, "1.0.0", payload="pypirc")
    private_source.upload(files)
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(
        "[distutils]\nindex-servers =\n    staging\n\n[staging]\n"
        f"repository = {private_source.upload_url}\nusername = {private_source.username}\n"
        f"password = {private_source.password}\n",
        encoding="utf-8",
    )
    result = promote(f"{unique_project}==1.0.0", devpi_production, "--from-repository",
                     "staging", "--config-file", str(pypirc), home=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert private_source.password not in result.stdout + result.stderr
    assert {f.filename for f in devpi_production.listing(unique_project).files} == {
        f.name for f in files
    }
