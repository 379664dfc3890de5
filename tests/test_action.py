"""The GitHub Action (``action.yml``) run as GitHub runs its composite steps
(``tests/actionrunner.py``), on a real repository and a real pypiserver reached through the
OIDC stand-in with no stored password (``tests/oidcstandin.py``).

The tag build builds a real project (hatchling with vcrelease's plugin), versions it, tags it
and uploads it by trusted publishing; every step output, the environment it leaves and the job
summary are searched for the secrets of the exchange.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from actionrunner import ActionRun, evaluate, parse_file_commands, run_action
from gitutil import commit, git, new_repo
from hatchapp import app_files
from oidcstandin import OidcStandIn
from test_attestations import write_attestation
from test_trusted_publishing import (
    certificate_authority,
    client_env,
    github_env,
    make_wheel,
    secrets_of,
    stand_in,
)

__all__ = ["certificate_authority", "stand_in"]  # the fixtures, shared

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "ghcr.io/acme/app"


def make_app(workspace: Path, name: str, *, tag: str | None) -> str:
    """The checkout: project ``name`` in ``workspace/app``, v1.0.0, one more commit, and ``tag``
    on HEAD when given; returns HEAD."""
    files = {f"app/{path}": text for path, text in app_files(name).items()}
    new_repo(workspace, files=files, tags=["v1.0.0"], annotated=True)
    commit(workspace, "second", {"app/README.md": "app\n"}, when=1)
    if tag:
        git(workspace, "tag", "-a", tag, "-m", tag)
    return git(workspace, "rev-parse", "HEAD")


def job_env(stand_in: OidcStandIn, home: Path, head: str, ref: str) -> dict[str, str]:
    variables = {**github_env(stand_in, head), "GITHUB_REF": ref}
    env = client_env(stand_in, home, **variables)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run(stand_in: OidcStandIn, tmp_path: Path, env: dict[str, str], **inputs: str) -> ActionRun:
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    index = stand_in.index
    defaults = {
        "working-directory": "app",
        "images": IMAGE,
        "repository-url": index.upload_url,
        "index-url": index.index_url,
        "trusted-publishing": "always",
    }
    result = run_action(ROOT, {**defaults, **inputs}, env, workspace=tmp_path / "ws", temp=temp)
    for secret in secrets_of(stand_in):
        assert secret not in result.all_text(), "a secret is in the action's outputs"
    return result


def _why(result: ActionRun) -> str:
    return "\n".join(f"{s.name}: {s.outcome}\n{s.stdout}\n{s.stderr}" for s in result.steps)


def test_a_tag_build_versions_tags_and_uploads_by_trusted_publishing(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    workspace = tmp_path / "ws"
    head = make_app(workspace, unique_project, tag="v1.2.0")
    env = job_env(stand_in, tmp_path, head, "refs/tags/v1.2.0")
    env["GITHUB_EVENT_NAME"] = "push"
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", "dist", "."],
        cwd=workspace / "app", env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    dists = sorted((workspace / "app" / "dist").iterdir(), key=lambda d: d.suffix)
    assert [d.suffix for d in dists] == [".gz", ".whl"]
    write_attestation(dists[1])  # the wheel's, sent with it
    result = run(stand_in, tmp_path, env, upload="dist/*")
    assert result.success, _why(result)
    out = result.outputs
    assert (out["version"], out["is-release"]) == ("1.2.0", "true")
    assert out["tags"].splitlines() == [f"{IMAGE}:{t}" for t in ("1.2.0", "1.2", "1", "latest")]
    assert "org.opencontainers.image.version=1.2.0" in out["labels"].splitlines()
    context = json.loads(out["json"])
    assert (context["context"]["event"], context["context"]["tag"]) == ("tag", "v1.2.0")
    assert (context["upload"], context["version"]) == ("upload", "1.2.0")
    uploaded = json.loads(out["uploaded"])
    expected = {d.name: hashlib.sha256(d.read_bytes()).hexdigest() for d in dists}
    assert {u["file"]: u["sha256"] for u in uploaded} == expected
    assert len(uploaded) == len(expected)  # each file once
    assert {u["action"] for u in uploaded} == {"uploaded"}
    assert stand_in.upstream.sha256s(unique_project) == expected  # live on pypiserver
    assert len(stand_in.minted) == 1  # no stored password: the minted token only
    assert any(b'name="attestations"' in body for body in stand_in.uploads)
    summary = result.summary
    assert "**Version** `1.2.0`" in summary
    assert "tag `v1.2.0`, 0 commits since it, clean tree" in summary
    assert f"- `{IMAGE}:latest`" in summary
    for name, sha256 in expected.items():
        assert f"| {name} | uploaded | `{sha256}` |" in summary


def test_a_pull_request_build_uploads_nothing_and_still_gives_its_outputs(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    workspace = tmp_path / "ws"
    head = make_app(workspace, unique_project, tag=None)
    env = job_env(stand_in, tmp_path, head, "refs/pull/5/merge")
    env.update(
        GITHUB_EVENT_NAME="pull_request", GITHUB_HEAD_REF="feature/x", GITHUB_BASE_REF="main"
    )
    dist = workspace / "app" / "dist"
    dist.mkdir()
    wheel = make_wheel(dist, unique_project, "1.0.1.dev7")
    result = run(stand_in, tmp_path, env, upload="dist/*.whl")
    assert result.success, _why(result)
    assert result.outputs["is-release"] == "false"
    assert result.outputs["version"] == "1.0.1.dev7"
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert json.loads(result.outputs["uploaded"]) == [
        {"file": wheel.name, "action": "not-uploaded", "sha256": sha256}
    ]
    assert json.loads(result.outputs["json"])["upload"] == "skip"
    assert stand_in.seen == []  # no token minted, nothing read
    assert "pull request #5 builds never upload" in result.summary


def test_no_upload_input_runs_no_upload_step(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    workspace = tmp_path / "ws"
    head = make_app(workspace, unique_project, tag=None)
    env = job_env(stand_in, tmp_path, head, "refs/heads/main")
    result = run(stand_in, tmp_path, env, images="ghcr.io/acme/a, ghcr.io/acme/b")
    assert result.success, _why(result)
    assert [s.outcome for s in result.steps if s.id == "upload"] == ["skipped"]
    assert result.outputs["uploaded"] == ""
    assert result.outputs["tags"].splitlines() == ["ghcr.io/acme/a:main", "ghcr.io/acme/b:main"]
    assert "**Upload**" not in result.summary


def test_a_failed_trusted_publishing_fails_the_action_with_exit_5_and_a_summary(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str
) -> None:
    workspace = tmp_path / "ws"
    head = make_app(workspace, unique_project, tag=None)
    env = job_env(stand_in, tmp_path, head, "refs/heads/main")
    del env["ACTIONS_ID_TOKEN_REQUEST_URL"], env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
    dist = workspace / "app" / "dist"
    dist.mkdir()
    make_wheel(dist, unique_project, "1.0.1.dev7")
    result = run(stand_in, tmp_path, env, upload="dist/*")
    (upload,) = [s for s in result.steps if s.id == "upload"]
    assert (upload.outcome, upload.returncode) == ("failure", 5)
    assert "id-token: write" in upload.stderr
    assert result.steps[-1].outcome == "success"  # the summary still runs
    assert "**Version** `1.0.1.dev7`" in result.summary


def test_the_runner_reads_file_commands_and_expressions_as_github() -> None:
    """The runner's own rules, held against GitHub's documented examples."""
    text = "a=1\nlong<<EOF\nline 1\nline 2\nEOF\nempty=\n"
    assert parse_file_commands(text) == {"a": "1", "long": "line 1\nline 2", "empty": ""}
    contexts = {"inputs": {"upload": ""}, "steps": {"ci": {"outcome": "success"}}}
    assert evaluate("inputs.upload != ''", contexts) is False
    assert evaluate("always() && steps.ci.outcome == 'SUCCESS'", contexts, "failure") is True
    assert evaluate("success()", contexts, "failure") is False
    with pytest.raises(ValueError, match="not known"):
        evaluate("hashFiles('x')", contexts)


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "upload"])
def test_a_stored_password_uploads_and_is_never_shown(
    stand_in: OidcStandIn, tmp_path: Path, unique_project: str, dry_run: bool
) -> None:
    """The ``password`` input (a secret) straight to pypiserver; with ``dry-run`` nothing is
    sent. Either way the password is in no output, summary or exported variable."""
    workspace = tmp_path / "ws"
    head = make_app(workspace, unique_project, tag=None)
    env = job_env(stand_in, tmp_path, head, "refs/heads/main")
    dist = workspace / "app" / "dist"
    dist.mkdir()
    wheel = make_wheel(dist, unique_project, "1.0.1.dev7")
    index = stand_in.upstream
    result = run(
        stand_in, tmp_path, env, upload="dist/*", **{"repository-url": index.upload_url,
        "index-url": index.index_url, "username": index.username, "password": index.password,
        "dry-run": "true" if dry_run else "false", "trusted-publishing": "never"},
    )  # fmt: skip
    assert result.success, _why(result)
    (uploaded,) = json.loads(result.outputs["uploaded"])
    assert uploaded["file"] == wheel.name
    assert uploaded["action"] == ("upload" if dry_run else "uploaded")
    assert (wheel.name in index.sha256s(unique_project)) is not dry_run
    assert index.password not in result.all_text()
    assert stand_in.seen == []
