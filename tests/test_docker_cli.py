"""``vcrelease docker-tags`` and ``vcrelease ci`` on real repositories with CI variables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitutil import commit, git, run
from test_ci_versions import github, project

IMAGE = "brewblox/brewblox-devcon-spark"


def parse_github_output(text: str) -> dict[str, str]:
    """Read a ``$GITHUB_OUTPUT`` file as the Actions runner does: ``name=value`` lines and
    ``name<<DELIMITER`` blocks ending at a line equal to the delimiter."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i]
        eq, heredoc = line.find("="), line.find("<<")
        if heredoc != -1 and (eq == -1 or heredoc < eq):
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            end = lines.index(delimiter, i + 1)  # ValueError: an unterminated block
            values[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
        else:
            assert eq > 0, f"not an output line: {line!r}"
            values[line[:eq]] = line[eq + 1 :]
            i += 1
    return values


def test_parser_reads_what_github_documents() -> None:
    text = "a=1\nb<<EOF\nx=1\ny<<z\nEOF\nc=\n"
    assert parse_github_output(text) == {"a": "1", "b": "x=1\ny<<z", "c": ""}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: v1.2.3 (annotated) + 2 commits; branch feature/implement-doodad + 1 commit."""
    path = tmp_path / "repo"
    project(path, after_tag=2)
    git(path, "remote", "add", "origin", "https://x-access-token:s3cret@github.com/acme/app.git")
    git(path, "checkout", "-q", "-b", "feature/implement-doodad")
    commit(path, "doodad", {"doodad.txt": "doodad\n"}, when=30)
    return path


def test_branch_push_gets_the_cleaned_branch_name(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    env = github("push", "refs/heads/feature/implement-doodad", head)
    result = run("docker-tags", repo, "--image", IMAGE, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"{IMAGE}:feature-implement-doodad"]
    rpi = run("docker-tags", repo, "--image", IMAGE, "--prefix", "rpi-", **env)
    assert rpi.stdout.splitlines() == [f"{IMAGE}:rpi-feature-implement-doodad"]


def test_tag_build_of_the_newest_release_gets_floating_tags(repo: Path) -> None:
    git(repo, "tag", "v1.3.0")
    head = git(repo, "rev-parse", "HEAD")
    env = github("push", "refs/tags/v1.3.0", head)
    result = run("docker-tags", repo, "--image", IMAGE, "--image", "ghcr.io/Acme/App", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        *(f"{IMAGE}:{t}" for t in ("1.3.0", "1.3", "1", "latest")),
        *(f"ghcr.io/acme/app:{t}" for t in ("1.3.0", "1.3", "1", "latest")),
    ]


def test_hotfix_tag_build_does_not_move_latest(repo: Path) -> None:
    git(repo, "tag", "v2.0.0")
    git(repo, "checkout", "-q", "-b", "1.2.x", "v1.2.3")
    (repo / "fix.txt").write_text("fix\n")
    git(repo, "add", "fix.txt")
    git(repo, "commit", "-qm", "hotfix", when=40)
    git(repo, "tag", "v1.2.4")
    env = github("push", "refs/tags/v1.2.4", git(repo, "rev-parse", "HEAD"))
    result = run("docker-tags", repo, **env)
    assert result.stdout.splitlines() == ["1.2.4", "1.2", "1"]


def test_pull_request_gets_pr_number_and_version_has_no_merge_ref(
    repo: Path, tmp_path: Path
) -> None:
    head = git(repo, "rev-parse", "HEAD")
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps({"number": 42, "pull_request": {"number": 42}}))
    env = github(
        "pull_request_target",
        "refs/heads/main",
        head,
        GITHUB_HEAD_REF="feature/implement-doodad",
        GITHUB_BASE_REF="main",
        GITHUB_EVENT_PATH=str(payload),
    )
    result = run("docker-tags", repo, "--format", "json", **env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["tags"] == ["pr-42"]
    assert out["version"] == "1.2.4.dev17"


def test_github_format_appends_outputs_github_can_read(repo: Path, tmp_path: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    out_file = tmp_path / "github_output"
    out_file.write_text("earlier=kept\n")
    env = github("push", "refs/heads/feature/implement-doodad", head, GITHUB_OUTPUT=str(out_file))
    result = run("docker-tags", repo, "--image", IMAGE, "--sha", "--format", "github", **env)
    assert result.returncode == 0, result.stderr
    outputs = parse_github_output(out_file.read_text())
    assert outputs["earlier"] == "kept"
    assert outputs["tags"].splitlines() == [
        f"{IMAGE}:feature-implement-doodad",
        f"{IMAGE}:sha-{head[:7]}",
    ]
    assert outputs["version"] == "1.2.4.dev17"
    labels = dict(line.split("=", 1) for line in outputs["labels"].splitlines())
    assert labels == {
        "org.opencontainers.image.version": "1.2.4.dev17",
        "org.opencontainers.image.revision": head,
        "org.opencontainers.image.created": "2026-01-01T00:00:30Z",
        "org.opencontainers.image.source": "https://github.com/acme/app",
    }
    assert "s3cret" not in out_file.read_text() + result.stdout + result.stderr


def test_labels_outside_ci_use_the_remote_without_credentials(repo: Path) -> None:
    result = run("docker-tags", repo, "--format", "json")
    out = json.loads(result.stdout)
    assert out["labels"]["org.opencontainers.image.source"] == "https://github.com/acme/app.git"
    assert "s3cret" not in result.stdout + result.stderr
    assert out["tags"] == ["feature-implement-doodad"]
    assert out["version"].startswith("1.2.4.dev3+g")


def test_github_format_outside_github_exits_2(repo: Path) -> None:
    result = run("docker-tags", repo, "--format", "github")
    assert result.returncode == 2
    assert "GITHUB_OUTPUT" in result.stderr


def test_branch_with_no_usable_character_exits_2(repo: Path) -> None:
    env = github("push", "refs/heads/@@@", git(repo, "rev-parse", "HEAD"))
    result = run("docker-tags", repo, **env)
    assert result.returncode == 2
    assert "@@@" in result.stderr
    assert "Traceback" not in result.stderr


def test_edge_on_pushes_to_the_edge_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    env = github("push", "refs/heads/main", git(repo, "rev-parse", "HEAD"))
    result = run("docker-tags", repo, "--edge-branch", "main", "--suffix=-arm64", **env)
    assert result.stdout.splitlines() == ["main-arm64", "edge-arm64"]


def test_shallow_tag_build_has_the_version_but_no_floating_tags(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    head = project(origin, after_tag=3)
    git(origin, "tag", "v1.3.0")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", "--no-tags", origin.as_uri(), str(clone))
    result = run("docker-tags", clone, **github("push", "refs/tags/v1.3.0", head))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["1.3.0"]
    assert "shallow" in result.stderr
    assert "fetch-depth: 0" in result.stderr


def test_ci_command_racing_branch_build_is_a_skip(repo: Path, tmp_path: Path) -> None:
    """The push build of a commit that meanwhile got its release tag."""
    git(repo, "tag", "v1.3.0")
    head = git(repo, "rev-parse", "HEAD")
    out_file = tmp_path / "out"
    env = github("push", "refs/heads/feature/implement-doodad", head, GITHUB_OUTPUT=str(out_file))
    result = run("ci", repo, "--format", "json", **env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["context"]["event"] == "branch"
    assert report["version"] == "1.3.0"
    assert report["upload"] == "skip"
    assert "tag build" in report["upload_reason"]
    table = run("ci", repo, "--format", "github", **env)
    assert table.returncode == 0, table.stderr
    assert "upload" in table.stdout
    outputs = parse_github_output(out_file.read_text())
    assert outputs["upload"] == "skip"
    assert outputs["version"] == "1.3.0"
    assert outputs["ci-event"] == "branch"


def test_ci_command_shows_the_context_when_the_version_fails(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    project(origin, after_tag=3)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", "--no-tags", origin.as_uri(), str(clone))
    result = run("ci", clone, **github("push", "refs/heads/main", "f" * 40))
    assert result.returncode == 3
    assert "github" in result.stdout
    assert "shallow" in result.stderr
