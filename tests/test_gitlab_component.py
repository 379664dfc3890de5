"""The GitLab CI/CD component (``templates/vcrelease/template.yml``) run as a GitLab runner
runs its job (``tests/gitlabrunner.py``), with GitLab's predefined variables, on a real
repository, uploading to a real pypiserver through the OIDC stand-in with the job's ID token
(``id_tokens: PYPI_ID_TOKEN``) and no stored password.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from gitlabrunner import interpolate, run_component_job
from oidcstandin import OidcStandIn
from test_action import make_app
from test_trusted_publishing import (
    GITLAB_CLAIMS,
    certificate_authority,
    client_env,
    make_wheel,
    secrets_of,
    stand_in,
)

__all__ = ["certificate_authority", "stand_in"]  # the fixtures, shared

pytestmark = pytest.mark.slow

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "vcrelease" / "template.yml"


def predefined(stand_in: OidcStandIn, home: Path, head: str, **ref: str) -> dict[str, str]:
    """GitLab's predefined variables of a pipeline for ``ref`` (CI_COMMIT_TAG or _BRANCH)."""
    env = client_env(stand_in, home)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(
        CI="true",
        GITLAB_CI="true",
        CI_COMMIT_SHA=head,
        CI_COMMIT_REF_NAME=ref.get("CI_COMMIT_TAG") or ref.get("CI_COMMIT_BRANCH", ""),
        CI_PIPELINE_IID="7",
        CI_PIPELINE_ID="123456",
        CI_PIPELINE_SOURCE="push",
        CI_PROJECT_URL="https://gitlab.com/acme/app",
        CI_SERVER_FQDN="gitlab.com",
        **ref,
    )
    return env


def _inputs(stand_in: OidcStandIn, **more: object) -> dict[str, object]:
    index = stand_in.index
    return {
        "install": "",  # vcrelease is in the test environment (the job's image)
        "working-directory": "app",
        "images": "registry.gitlab.com/acme/app",
        "repository-url": index.upload_url,
        "index-url": index.index_url,
        "trusted-publishing": "always",
        **more,
    }


def test_a_tag_pipeline_builds_versions_tags_and_uploads_by_trusted_publishing(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    workspace = tmp_path / "ws"
    head = make_app(workspace, unique_project, tag="v1.2.0")
    build = f"{sys.executable} -m build --no-isolation --outdir dist ."
    job = run_component_job(
        TEMPLATE,
        _inputs(stand_in, build=build, upload="dist/*"),
        predefined(stand_in, tmp_path, head, CI_COMMIT_TAG="v1.2.0"),
        project_dir=workspace,
        issue=lambda audience: stand_in.issue_identity(audience, GITLAB_CLAIMS),
    )
    assert job.returncode == 0, job.log
    assert job.dotenv["VCRELEASE_VERSION"] == "1.2.0"
    assert job.dotenv["VCRELEASE_IS_RELEASE"] == "true"
    assert job.dotenv["VCRELEASE_TAGS"].split() == [
        f"registry.gitlab.com/acme/app:{t}" for t in ("1.2.0", "1.2", "1", "latest")
    ]
    dists = sorted((workspace / "app" / "dist").iterdir())
    expected = {d.name: hashlib.sha256(d.read_bytes()).hexdigest() for d in dists}
    assert len(expected) == 2
    assert stand_in.upstream.sha256s(unique_project) == expected
    report = json.loads((workspace / "vcrelease-upload.json").read_text())
    assert {f["filename"]: f["outcome"] for f in report["files"]} == dict.fromkeys(
        expected, "uploaded"
    )
    ci = json.loads((workspace / "vcrelease-ci.json").read_text())
    assert (ci["context"]["provider"], ci["context"]["event"]) == ("gitlab", "tag")
    assert len(stand_in.minted) == 1
    texts = [job.log] + [p.read_text() for p in workspace.glob("vcrelease*")]
    for secret in secrets_of(stand_in):
        assert all(secret not in text for text in texts), "a secret is in the job's output"


def test_a_job_without_its_id_token_fails_with_exit_5_naming_the_fix(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    workspace = tmp_path / "ws"
    head = make_app(workspace, unique_project, tag=None)
    (workspace / "app" / "dist").mkdir()
    make_wheel(workspace / "app" / "dist", unique_project, "1.0.1.dev7")
    job = run_component_job(
        TEMPLATE,
        _inputs(stand_in, upload="dist/*"),
        predefined(stand_in, tmp_path, head, CI_COMMIT_BRANCH="main"),
        project_dir=workspace,
        issue=None,
    )
    assert job.returncode == 5, job.log
    assert "id_tokens: PYPI_ID_TOKEN: aud: pypi" in job.log
    assert job.dotenv["VCRELEASE_VERSION"] == "1.0.1.dev7"
    assert stand_in.upstream.sha256s(unique_project) == {}


def test_a_merge_request_pipeline_uploads_nothing(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    workspace = tmp_path / "ws"
    head = make_app(workspace, unique_project, tag=None)
    (workspace / "app" / "dist").mkdir()
    make_wheel(workspace / "app" / "dist", unique_project, "1.0.1.dev7")
    variables = predefined(stand_in, tmp_path, head, CI_MERGE_REQUEST_IID="9")
    variables["CI_PIPELINE_SOURCE"] = "merge_request_event"
    job = run_component_job(
        TEMPLATE, _inputs(stand_in, upload="dist/*"), variables, project_dir=workspace,
        issue=lambda audience: stand_in.issue_identity(audience, GITLAB_CLAIMS),
    )  # fmt: skip
    assert job.returncode == 0, job.log
    assert job.dotenv["VCRELEASE_IS_RELEASE"] == "false"
    assert stand_in.seen == []  # nothing minted, nothing read
    assert stand_in.upstream.sha256s(unique_project) == {}


def test_the_component_refuses_inputs_gitlab_would_refuse() -> None:
    with pytest.raises(ValueError, match="unknown inputs"):
        interpolate(TEMPLATE, {"password": "x"})  # no password input: a masked variable
    with pytest.raises(ValueError, match="not one of"):
        interpolate(TEMPLATE, {"trusted-publishing": "sometimes"})
    with pytest.raises(ValueError, match="boolean"):
        interpolate(TEMPLATE, {"dry-run": "yes"})
    job = interpolate(TEMPLATE, {"job-name": "release", "audience": "testpypi"})
    assert job["release"]["id_tokens"] == {"PYPI_ID_TOKEN": {"aud": "testpypi"}}
