"""Trusted publishing end to end: vc-upload with no password, in GitHub Actions and GitLab CI,
through the OIDC stand-in (``tests/oidcstandin.py``: GitHub's token endpoint and the index's
``/_/oidc/audience`` and ``/_/oidc/mint-token`` over https, with a test certificate authority)
in front of a real pypiserver whose only credential the client ever holds is the minted token.

Every failure the module docstring of ``vcrelease.publish.oidc`` names is run here with its
message and exit code, and every output (stdout, stderr, the JSON report) is searched for the
secrets: GitHub's request token, the identity tokens and the minted tokens.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from gitutil import git, new_repo
from oidcstandin import OidcStandIn, Publisher, make_certificate_authority
from servers import IndexServer
from vcrelease.publish.oidc import mint_upload_token

pytestmark = pytest.mark.slow

WORKFLOW_REF = "acme/app/.github/workflows/release.yml@refs/heads/main"
GITHUB_CLAIMS = {
    "sub": "repo:acme/app:ref:refs/heads/main",
    "repository": "acme/app",
    "repository_owner": "acme",
    "workflow_ref": WORKFLOW_REF,
    "job_workflow_ref": WORKFLOW_REF,
    "ref": "refs/heads/main",
}
DEV_VERSION = "1.0.1.dev7"
"""The version at HEAD of :func:`make_project` in run 7 (the run number: a CI dev release)."""
GITLAB_CLAIMS = {
    "sub": "project_path:acme/app:ref_type:branch:ref:main",
    "project_path": "acme/app",
    "ci_config_ref_uri": "gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main",
}


@pytest.fixture(scope="session")
def certificate_authority(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_certificate_authority(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def stand_in(
    pypiserver_nofallback_index: IndexServer, certificate_authority: tuple[Path, Path, Path]
) -> Iterator[OidcStandIn]:
    publishers = [Publisher(GITHUB_CLAIMS), Publisher(GITLAB_CLAIMS)]
    with OidcStandIn(
        pypiserver_nofallback_index, certificate_authority, publishers, job_claims=GITHUB_CLAIMS
    ) as server:
        yield server


def make_project(path: Path, name: str) -> str:
    """A repository of project ``name``: v1.0.0, then one commit; returns HEAD."""
    pyproject = f'[project]\nname = "{name}"\ndynamic = ["version"]\n'
    new_repo(path, pyproject=pyproject, tags=["v1.0.0"], commits_after_tag=1)
    return git(path, "rev-parse", "HEAD")


def make_wheel(directory: Path, name: str, version: str) -> Path:
    """A minimal valid wheel of ``name`` ``version``."""
    stem = f"{canonicalize_name(name).replace('-', '_')}-{version}"
    path = directory / f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            f"{stem}.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: s\n",
        )
        archive.writestr(f"{stem}.dist-info/WHEEL", "Wheel-Version: 1.0\nTag: py3-none-any\n")
        archive.writestr(f"{stem}.dist-info/RECORD", "")
    return path


def client_env(stand_in: OidcStandIn, home: Path, **ci: str) -> dict[str, str]:
    """The process environment of a CI job: no password anywhere, the test CA trusted."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TWINE_", "VCRELEASE_", "ACTIONS_ID_TOKEN", "GITHUB_", "CI_"))
        and k not in ("GITLAB_CI", "PYPI_ID_TOKEN", "CI")
    }
    ca = str(stand_in.certs[0])
    env.update(
        REQUESTS_CA_BUNDLE=ca,
        SSL_CERT_FILE=ca,
        NO_PROXY="*",
        no_proxy="*",
        HOME=str(home),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        **ci,
    )
    return env


def github_env(stand_in: OidcStandIn, head: str, *, permission: bool = True) -> dict[str, str]:
    """GitHub Actions variables of a push to main; with ``permission`` (``id-token: write``)
    the two variables of the token endpoint."""
    env = {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_SHA": head,
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_RUN_NUMBER": "7",
    }
    if permission:
        env["ACTIONS_ID_TOKEN_REQUEST_URL"] = stand_in.token_url
        env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = stand_in.request_token
    return env


def gitlab_env(stand_in: OidcStandIn, head: str, id_token: str | None) -> dict[str, str]:
    """GitLab CI variables of a push pipeline on main, with the job's ``id_tokens``."""
    env = {
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_COMMIT_BRANCH": "main",
        "CI_COMMIT_SHA": head,
        "CI_PIPELINE_IID": "7",
        "CI_PIPELINE_SOURCE": "push",
    }
    if id_token is not None:
        env["PYPI_ID_TOKEN"] = id_token
    return env


def vc_upload(
    files: list[Path], project: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vcrelease", "upload", *map(str, files), "--project-dir",
         str(project), "--no-progress", *args],
        env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def secrets_of(stand_in: OidcStandIn) -> list[str]:
    """Every secret of the exchange, with the basic-auth form of each token."""
    values = [stand_in.request_token, *stand_in.identities, *stand_in.minted]
    forms = list(values)
    for value in values:
        forms.append(base64.b64encode(f"__token__:{value}".encode()).decode())
    return forms


def assert_no_secret(stand_in: OidcStandIn, *texts: str) -> None:
    for secret in secrets_of(stand_in):
        for text in texts:
            assert secret not in text, f"a secret is printed: {text[:2000]}"


def _target(stand_in: OidcStandIn) -> list[str]:
    index = stand_in.index
    return ["--repository-url", index.upload_url, "--index-url", index.index_url]


def _version(project: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "vcrelease", "version", str(project)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout.strip()


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_upload_with_only_a_minted_token(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str, ci: str
) -> None:
    head = make_project(tmp_path / "p", unique_project)
    if ci == "github":
        variables = github_env(stand_in, head)
    else:
        variables = gitlab_env(stand_in, head, stand_in.issue_identity("pypi", GITLAB_CLAIMS))
    env = client_env(stand_in, tmp_path, **variables)
    version = _version(tmp_path / "p", env)
    assert version == DEV_VERSION
    wheel = make_wheel(tmp_path, unique_project, version)
    result = vc_upload(
        [wheel], tmp_path / "p", env, *_target(stand_in), "--trusted-publishing", "always",
        "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout
    report = json.loads(result.stdout)
    assert [(f["filename"], f["outcome"]) for f in report["files"]] == [(wheel.name, "uploaded")]
    assert wheel.name in stand_in.upstream.sha256s(unique_project)
    assert len(stand_in.minted) == 1
    assert ("POST", "/_/oidc/mint-token", 200) in stand_in.seen
    assert_no_secret(stand_in, result.stdout, result.stderr)


def test_the_table_report_and_verbose_log_mask_the_tokens(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    head = make_project(tmp_path / "p", unique_project)
    env = client_env(stand_in, tmp_path, **github_env(stand_in, head))
    wheel = make_wheel(tmp_path, unique_project, _version(tmp_path / "p", env))
    result = vc_upload(
        [wheel], tmp_path / "p", env, *_target(stand_in), "--trusted-publishing", "always",
        "--verbose",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert wheel.name in result.stdout
    assert_no_secret(stand_in, result.stdout, result.stderr)


def _failed_upload(
    stand_in: OidcStandIn, tmp_path: Path, project: str, variables: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    head = make_project(tmp_path / "p", project)
    variables = {**variables, "GITHUB_SHA": head} if "GITHUB_SHA" in variables else variables
    env = client_env(stand_in, tmp_path, **variables)
    wheel = make_wheel(tmp_path, project, DEV_VERSION)
    result = vc_upload([wheel], tmp_path / "p", env, *_target(stand_in), *args)
    print(result.stderr)
    assert_no_secret(stand_in, result.stdout, result.stderr)
    assert stand_in.upstream.sha256s(project) == {}, "nothing is uploaded"
    return result


def test_github_without_id_token_permission_exits_5_with_the_fix(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    variables = github_env(stand_in, "0" * 40, permission=False)
    result = _failed_upload(
        stand_in, tmp_path, unique_project, variables, "--trusted-publishing", "always"
    )
    assert result.returncode == 5, result.stderr
    assert "the CI's identity" in result.stderr
    assert "id-token: write" in result.stderr


def test_github_token_endpoint_refusing_the_request_token_exits_5(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    variables = github_env(stand_in, "0" * 40)
    variables["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "ghs_wrong_" + "x" * 20
    result = _failed_upload(
        stand_in, tmp_path, unique_project, variables, "--trusted-publishing", "always"
    )
    assert result.returncode == 5, result.stderr
    assert "the CI's identity" in result.stderr
    assert "401" in result.stderr
    assert "ghs_wrong_" not in result.stderr  # the request token is a secret too


def test_gitlab_without_the_id_token_exits_5_naming_the_variable(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    result = _failed_upload(
        stand_in, tmp_path, unique_project, gitlab_env(stand_in, "0" * 40, None),
        "--trusted-publishing", "always",
    )  # fmt: skip
    assert result.returncode == 5, result.stderr
    assert "PYPI_ID_TOKEN" in result.stderr
    assert "id_tokens" in result.stderr


def test_no_trusted_publisher_for_this_workflow_exits_5_quoting_the_index(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    stand_in.publishers[:] = [Publisher({**GITHUB_CLAIMS, "workflow_ref": "acme/app/other.yml"})]
    result = _failed_upload(
        stand_in, tmp_path, unique_project, github_env(stand_in, "0" * 40),
        "--trusted-publishing", "always",
    )  # fmt: skip
    assert result.returncode == 5, result.stderr
    assert "the token exchange" in result.stderr
    assert "`invalid-publisher`: valid token, but no corresponding publisher" in result.stderr
    assert f"workflow_ref={WORKFLOW_REF}" in result.stderr  # what the publisher must name
    assert stand_in.minted == []


@pytest.mark.parametrize(
    ("status", "quoted"),
    [(404, "HTTP 404"), (403, "Trusted publishing functionality not enabled")],
    ids=["no-trusted-publishing", "turned-off"],
)
def test_an_index_without_trusted_publishing_exits_5(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str, status: int, quoted: str
) -> None:
    stand_in.audience_status = status
    result = _failed_upload(
        stand_in, tmp_path, unique_project, github_env(stand_in, "0" * 40),
        "--trusted-publishing", "always",
    )  # fmt: skip
    assert result.returncode == 5, result.stderr
    assert "does not offer trusted publishing" in result.stderr
    assert quoted in result.stderr
    assert stand_in.identities == []  # no identity is asked for an index that cannot use it


def test_mint_token_not_enabled_exits_5(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    stand_in.mint_enabled = False
    result = _failed_upload(
        stand_in, tmp_path, unique_project, github_env(stand_in, "0" * 40),
        "--trusted-publishing", "always",
    )  # fmt: skip
    assert result.returncode == 5, result.stderr
    assert "`not-enabled`" in result.stderr
    assert "turned off" in result.stderr


@pytest.mark.parametrize("mode", ["automatic", "never"])
def test_automatic_and_never_leave_other_indexes_alone(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str, mode: str
) -> None:
    """Off PyPI, ``automatic`` does not try (as twine and uv): no password is an error."""
    result = _failed_upload(
        stand_in, tmp_path, unique_project, github_env(stand_in, "0" * 40),
        "--trusted-publishing", mode,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert not [s for s in stand_in.seen if s[1].startswith(("/_/oidc", "/github"))]


def test_a_given_password_wins_over_trusted_publishing(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    variables = {**github_env(stand_in, "0" * 40), "TWINE_USERNAME": "u", "TWINE_PASSWORD": "pw-x1"}
    result = _failed_upload(
        stand_in, tmp_path, unique_project, variables, "--trusted-publishing", "always"
    )
    assert result.returncode == 5, result.stderr  # the index takes only minted tokens
    assert not [s for s in stand_in.seen if s[1].startswith(("/_/oidc", "/github"))]


def test_always_refuses_an_http_upload_url_with_exit_2(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    head = make_project(tmp_path / "p", unique_project)
    env = client_env(stand_in, tmp_path, **github_env(stand_in, head))
    wheel = make_wheel(tmp_path, unique_project, DEV_VERSION)
    upstream = stand_in.upstream
    result = vc_upload(
        [wheel], tmp_path / "p", env, "--repository-url", upstream.upload_url, "--index-url",
        upstream.index_url, "--trusted-publishing", "always",
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "https" in result.stderr
    assert stand_in.seen == []


def test_automatic_is_off_outside_ci_and_off_pypi_without_a_request() -> None:
    """No identity, or not PyPI: None, before any request (no session is given to fail)."""
    assert mint_upload_token(None, "automatic", {}, timeout=1) is None
    github = {"GITHUB_ACTIONS": "true"}
    assert mint_upload_token("https://example.org/legacy/", "automatic", github, timeout=1) is None
    assert mint_upload_token(None, "never", github, timeout=1) is None


def test_gitlab_id_token_for_another_audience_exits_5_naming_both(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    token = stand_in.issue_identity("sigstore", GITLAB_CLAIMS)
    result = _failed_upload(
        stand_in, tmp_path, unique_project, gitlab_env(stand_in, "0" * 40, token),
        "--trusted-publishing", "always",
    )  # fmt: skip
    assert result.returncode == 5, result.stderr
    assert "for audience 'sigstore'" in result.stderr
    assert "aud: pypi" in result.stderr
    assert stand_in.minted == []


def test_promote_uploads_with_only_a_minted_token(
    stand_in: OidcStandIn, pypiserver_index: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    """`vcrelease promote` shares vc-upload's target options: trusted publishing included."""
    wheel = make_wheel(tmp_path, unique_project, "2.0.0")
    pypiserver_index.upload([wheel])  # the source, with its own password
    env = client_env(stand_in, tmp_path, **github_env(stand_in, "0" * 40))
    index = stand_in.index
    result = subprocess.run(
        [sys.executable, "-m", "vcrelease", "promote", f"{unique_project}==2.0.0", "--from",
         pypiserver_index.index_url, "--to", index.upload_url, "--index-url", index.index_url,
         "--no-progress", "--format", "json", "--trusted-publishing", "always"],
        env=env, capture_output=True, text=True, check=False, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert stand_in.upstream.sha256s(unique_project) == pypiserver_index.sha256s(unique_project)
    assert len(stand_in.minted) == 1
    assert_no_secret(stand_in, result.stdout, result.stderr)
