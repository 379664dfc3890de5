"""PEP 740 attestations beside the files: attached to the upload, checked before any upload.

The uploads go through the OIDC stand-in (``tests/oidcstandin.py``), which records each
upload's form data: pypiserver ignores the ``attestations`` field, the stand-in shows it was
sent (twine's ``PackageFile.add_attestations``: a JSON list of the attestation objects).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from oidcstandin import OidcStandIn
from servers import IndexServer, Route, StaticHTTPServer, json_route
from test_trusted_publishing import (
    DEV_VERSION,
    _target,
    assert_no_secret,
    certificate_authority,
    client_env,
    github_env,
    make_project,
    make_wheel,
    stand_in,
    vc_upload,
)
from vcrelease.publish.simpleapi import parse_project_html

__all__ = ["certificate_authority", "stand_in"]  # the fixtures, shared

pytestmark = pytest.mark.slow


def write_attestation(dist: Path, *, name: str | None = None, sha256: str | None = None) -> Path:
    """``dist``'s attestation file as gh-action-pypi-publish writes it (PEP 740 object; the
    signature and verification material are placeholders: the index verifies them)."""
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {
                "name": name or dist.name,
                "digest": {"sha256": sha256 or hashlib.sha256(dist.read_bytes()).hexdigest()},
            }
        ],
        "predicateType": "https://docs.pypi.org/attestations/publish/v1",
        "predicate": None,
    }
    attestation = {
        "version": 1,
        "verification_material": {"certificate": "MIIC", "transparency_entries": [{}]},
        "envelope": {
            "statement": base64.b64encode(json.dumps(statement).encode()).decode(),
            "signature": base64.b64encode(b"signature").decode(),
        },
    }
    path = dist.with_name(dist.name + ".publish.attestation")
    path.write_text(json.dumps(attestation))
    return path


def _setup(stand_in: OidcStandIn, tmp_path: Path, project: str) -> tuple[Path, dict[str, str]]:
    head = make_project(tmp_path / "p", project)
    env = client_env(stand_in, tmp_path, **github_env(stand_in, head))
    dist = tmp_path / "dist"
    dist.mkdir()
    return make_wheel(dist, project, DEV_VERSION), env


def test_the_attestation_beside_a_file_is_sent_with_its_upload(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    wheel, env = _setup(stand_in, tmp_path, unique_project)
    attestation = write_attestation(wheel)
    files = sorted((tmp_path / "dist").iterdir())  # dist/*: the wheel and its attestation
    assert files == [wheel, attestation]
    result = vc_upload(
        files, tmp_path / "p", env, *_target(stand_in), "--trusted-publishing", "always"
    )
    assert result.returncode == 0, result.stderr
    assert stand_in.uploads  # the upload, and the probe that sends the same file again
    statement = json.loads(attestation.read_text())["envelope"]["statement"]
    for body in stand_in.uploads:
        assert b'name="attestations"' in body
        assert statement.encode() in body
    assert_no_secret(stand_in, result.stdout, result.stderr)


def test_a_file_without_attestation_is_sent_without_the_field(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    wheel, env = _setup(stand_in, tmp_path, unique_project)
    result = vc_upload(
        [wheel], tmp_path / "p", env, *_target(stand_in), "--trusted-publishing", "always"
    )
    assert result.returncode == 0, result.stderr
    assert stand_in.uploads
    assert not [b for b in stand_in.uploads if b'name="attestations"' in b]


@pytest.mark.parametrize(
    ("attest", "says"),
    [
        (lambda w: write_attestation(w, name="other-1.0-py3-none-any.whl"), "names the file"),
        (lambda w: write_attestation(w, sha256="0" * 64), "names other bytes"),
        (
            lambda w: w.with_name(w.name + ".publish.attestation").write_text("{not json"),
            "is not a PEP 740 attestation",
        ),
    ],
    ids=["other-name", "other-sha256", "not-json"],
)
def test_an_attestation_that_does_not_name_its_file_exits_2_before_any_request(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str, attest: object, says: str
) -> None:
    wheel, env = _setup(stand_in, tmp_path, unique_project)
    attest(wheel)  # type: ignore[operator]
    result = vc_upload(
        sorted((tmp_path / "dist").iterdir()), tmp_path / "p", env, *_target(stand_in),
        "--trusted-publishing", "always",
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert says in result.stderr
    assert wheel.name in result.stderr
    assert stand_in.seen == []  # no token minted, nothing read, nothing uploaded


def test_an_attestation_without_its_file_exits_2(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    wheel, env = _setup(stand_in, tmp_path, unique_project)
    other = make_wheel(tmp_path, unique_project + "-x", DEV_VERSION)
    orphan = write_attestation(other)
    result = vc_upload(
        [wheel, orphan], tmp_path / "p", env, *_target(stand_in), "--trusted-publishing", "always"
    )
    assert result.returncode == 2, result.stderr
    assert "not among the files to upload" in result.stderr
    assert stand_in.seen == []


def test_promotion_names_the_files_whose_attestations_the_target_does_not_get(
    pypiserver_nofallback_index: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    """The source lists a PEP 740 provenance for the wheel (PEP 691 ``provenance``); the
    promotion uploads the bytes and says, in its log and its JSON, that the attestations stay
    behind."""
    wheel = make_wheel(tmp_path, unique_project, "3.0.0")
    project = canonicalize_name(unique_project)
    entry = {
        "filename": wheel.name,
        "url": f"/files/{wheel.name}",
        "hashes": {"sha256": hashlib.sha256(wheel.read_bytes()).hexdigest()},
        "provenance": f"/integrity/{project}/3.0.0/{wheel.name}/provenance",
    }
    page = {"meta": {"api-version": "1.1"}, "name": project, "files": [entry]}
    routes = {
        f"/simple/{project}/": json_route(page),
        f"/files/{wheel.name}": Route(200, wheel.read_bytes()),
    }
    target = pypiserver_nofallback_index
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "VCRELEASE_"))}
    env.update(TWINE_USERNAME=target.username, TWINE_PASSWORD=target.password, HOME=str(tmp_path))
    with StaticHTTPServer(routes) as source:
        result = subprocess.run(
            [sys.executable, "-m", "vcrelease", "promote", f"{unique_project}==3.0.0", "--from",
             f"{source.url}/simple/", "--to", target.upload_url, "--index-url", target.index_url,
             "--no-progress", "--format", "json"],
            env=env, capture_output=True, text=True, check=False, timeout=180,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert wheel.name in target.sha256s(unique_project)
    note = json.loads(result.stdout)["policy"]["attestations"]
    assert note.startswith(f"{wheel.name} carry PEP 740 attestations")
    assert "the target does not get" in result.stderr


def test_the_html_listing_reads_data_provenance() -> None:
    """PEP 740's HTML form: ``data-provenance`` on the anchor, resolved like the href."""
    html = (
        '<meta name="pypi:repository-version" content="1.0">'
        '<a href="../../f/x-1.0.tar.gz" data-provenance="../../p/x-1.0.tar.gz.prov">'
        "x-1.0.tar.gz</a>"
        '<a href="../../f/x-1.0-py3-none-any.whl">x-1.0-py3-none-any.whl</a>'
    )
    sdist, wheel = parse_project_html(html, "https://i.example/simple/x/")
    assert sdist.provenance == "https://i.example/p/x-1.0.tar.gz.prov"
    assert wheel.provenance is None
