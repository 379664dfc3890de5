"""The continuous-delivery story, end to end, as GitHub Actions would run it.

A developer's repository pushes to a bare ``origin``. Every pushed ref (branch or tag) triggers
one build, numbered in trigger order (``GITHUB_RUN_NUMBER``). A build does what
``docs/examples/github-actions.yml`` does: a full clone of origin made when its runner starts,
checked out at the pushed commit (``fetch-depth: 0``), ``SOURCE_DATE_EPOCH`` from
``vcrelease version --source-date-epoch``, ``vcrelease ci``, ``python -m build``, ``vc-upload``
to a real pypiserver on 127.0.0.1 and ``vcrelease docker-tags``. The test drives the order in
which builds check out and finish explicitly (no sleeps): a checkout made before or after a tag
is pushed is a different build, and that is the race that matters.

At the end the index and the Docker tags are compared with one expected table: every file, its
version and the run that uploaded it, uploaded exactly once across all builds.

Builds run with ``python -m build --no-isolation`` (hatchling and vcrelease from the test
environment): the isolated builds are covered by ``test_build_e2e.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from distfiles import sha256_file
from gitutil import git, run
from hatchapp import app_files
from servers import IndexServer
from test_ci_versions import github
from test_upload import vc_upload

pytestmark = pytest.mark.slow

IMAGE = "ghcr.io/acme/app"

# The builds in the order they finish: (run, ref built, version, `vcrelease ci` upload decision,
# what vc-upload did with the wheel and the sdist, Docker tags under IMAGE). "policy skip": the
# release policy left the upload to the tag build (exit 0, nothing sent).
EXPECTED_BUILDS = [
    # develop, feature/a and feature/b, each 3 commits past v1.2.3: distance 3 everywhere, but
    # the run number keeps their dev versions apart.
    (1, "develop", "1.2.4.dev1", "upload", "uploaded", ["develop"]),
    (2, "feature/a", "1.2.4.dev2", "upload", "uploaded", ["feature-a"]),
    (3, "feature/b", "1.2.4.dev3", "upload", "uploaded", ["feature-b"]),
    # develop merged into master (--no-ff), master pushed (run 4), v1.3.0 tagged and pushed
    # (run 5); run 4's runner checks out after the tag exists and finishes first.
    (4, "master", "1.3.0", "skip", "policy skip", ["master"]),
    (5, "v1.3.0", "1.3.0", "upload", "uploaded", ["1.3.0", "1.3", "1", "latest"]),
    # master merged back into develop, two pushes of develop in quick succession (runs 6, 7),
    # finishing in reverse order.
    (7, "develop", "1.3.1.dev7", "upload", "uploaded", ["develop"]),
    (6, "develop", "1.3.1.dev6", "upload", "uploaded", ["develop"]),
    # develop merged into master, tagged v1.4.0, both pushed at once (runs 8, 9): both
    # checkouts see the tag; the tag build finishes first.
    (9, "v1.4.0", "1.4.0", "upload", "uploaded", ["1.4.0", "1.4", "1", "latest"]),
    (8, "master", "1.4.0", "skip", "policy skip", ["master"]),
    # hotfix/1.2.4 from v1.2.3 pushed (run 10, checks out before the tag exists), then v1.2.4
    # tagged on it and pushed (run 11), which finishes first. The push build never saw the
    # tag: it publishes a dev release of the release commit. The hotfix's image gets 1.2.4 and
    # 1.2, not 1 (1.4.0 is the newest 1.x) and not latest.
    (11, "v1.2.4", "1.2.4", "upload", "uploaded", ["1.2.4", "1.2"]),
    (10, "hotfix/1.2.4", "1.2.4.dev10", "upload", "uploaded", ["hotfix-1.2.4"]),
    # Re-runs (same run number and commit, attempt 2) after everything above: same version,
    # same bytes, every file skipped. The old tag build no longer gets 1 and latest.
    (6, "develop", "1.3.1.dev6", "upload", "skipped", ["develop"]),
    (5, "v1.3.0", "1.3.0", "upload", "skipped", ["1.3.0", "1.3"]),
]

# The index at the end: version -> the run that uploaded its wheel and sdist.
EXPECTED_INDEX = {
    "1.2.4.dev1": 1,
    "1.2.4.dev2": 2,
    "1.2.4.dev3": 3,
    "1.3.0": 5,
    "1.3.1.dev6": 6,
    "1.3.1.dev7": 7,
    "1.4.0": 9,
    "1.2.4": 11,
    "1.2.4.dev10": 10,
}

# The registry at the end: Docker tag -> version of the image pushed last under it (builds
# push in the order they finish). The branch tag goes to the last build that finished, so the
# reverse finish and the re-run of run 6 leave `develop` on the older commit.
EXPECTED_REGISTRY = {
    "develop": "1.3.1.dev6",
    "feature-a": "1.2.4.dev2",
    "feature-b": "1.2.4.dev3",
    "master": "1.4.0",
    "hotfix-1.2.4": "1.2.4.dev10",
    "1.3.0": "1.3.0",
    "1.3": "1.3.0",
    "1.4.0": "1.4.0",
    "1.4": "1.4.0",
    "1": "1.4.0",
    "latest": "1.4.0",
    "1.2.4": "1.2.4",
    "1.2": "1.2.4",
}


@dataclass
class Build:
    """One GitHub Actions run (or re-run) of the release workflow for one pushed ref."""

    run: int
    ref: str  # refs/heads/develop, refs/tags/v1.3.0
    sha: str
    attempt: int = 1
    clone: Path | None = None
    ci: dict[str, Any] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    upload_exit: int | None = None
    upload_stderr: str = ""
    outcomes: dict[str, str] = field(default_factory=dict)
    policy_action: str = ""
    docker: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.ref.removeprefix("refs/heads/").removeprefix("refs/tags/")

    @property
    def is_tag(self) -> bool:
        return self.ref.startswith("refs/tags/")

    @property
    def env(self) -> dict[str, str]:
        return github(
            "push",
            self.ref,
            self.sha,
            GITHUB_REF_NAME=self.name,
            GITHUB_REF_TYPE="tag" if self.is_tag else "branch",
            GITHUB_RUN_NUMBER=str(self.run),
            GITHUB_RUN_ID=str(9_000_000 + self.run),
            GITHUB_RUN_ATTEMPT=str(self.attempt),
        )

    @property
    def summary(self) -> str:
        """What vc-upload did: ``uploaded``/``skipped`` (every file alike) or ``policy skip``."""
        if self.policy_action == "skip":
            assert set(self.outcomes.values()) == {"not-uploaded"}, self.outcomes
            return "policy skip"
        kinds = set(self.outcomes.values())
        assert len(kinds) == 1, self.outcomes
        return kinds.pop()


class Story:
    """The developer's repository, the bare origin, GitHub Actions and the registry."""

    def __init__(self, root: Path, project: str, index: IndexServer) -> None:
        self.root = root
        self.project = project
        self.index = index
        self.work = root / "work"
        self.origin = root / "origin.git"
        self.runs = 0
        self.clock = 0
        self.finished: list[Build] = []
        self.registry: dict[str, str] = {}

    # --- the developer ---------------------------------------------------------------------

    def git(self, *args: str) -> str:
        self.clock += 1
        return git(self.work, *args, when=self.clock)

    def start(self) -> None:
        """The project at v1.2.3 on master, cloned bare as origin (no CI runs yet)."""
        for path, text in app_files(self.project, version_file=True).items():
            (self.work / path).parent.mkdir(parents=True, exist_ok=True)
            (self.work / path).write_text(text, encoding="utf-8")
        git(self.root, "init", "-q", "-b", "master", str(self.work))
        self.git("add", "-A")
        self.git("commit", "-qm", "app 1.2.3")
        self.git("tag", "-a", "v1.2.3", "-m", "release 1.2.3")
        git(self.root, "clone", "-q", "--bare", str(self.work), str(self.origin))
        self.git("remote", "add", "origin", str(self.origin))
        self.git("fetch", "-q", "origin")

    def commit(self, path: str, text: str) -> str:
        (self.work / path).write_text(text, encoding="utf-8")
        self.git("add", path)
        self.git("commit", "-qm", f"{path}: {text.strip()}")
        return self.git("rev-parse", "HEAD")

    def push(self, *refs: str) -> list[Build]:
        """``git push --atomic origin REFS``; GitHub triggers one run per ref, in this order."""
        self.git("push", "-q", "--atomic", "origin", *refs)
        builds = []
        for ref in refs:
            full = f"refs/tags/{ref}" if ref.startswith("v") else f"refs/heads/{ref}"
            self.runs += 1
            sha = git(self.origin, "rev-parse", f"{full}^{{commit}}")
            builds.append(Build(self.runs, full, sha))
        return builds

    # --- the CI runner ---------------------------------------------------------------------

    def checkout(self, build: Build) -> None:
        """actions/checkout with ``fetch-depth: 0``: all history and the tags origin has now,
        the pushed commit checked out (on a branch of that name for branch builds)."""
        build.clone = self.root / f"run-{build.run}-attempt-{build.attempt}"
        git(self.root, "clone", "-q", "--no-checkout", str(self.origin), str(build.clone))
        if build.is_tag:
            git(build.clone, "checkout", "-q", "--detach", build.ref)
        else:
            git(build.clone, "checkout", "-q", "-B", build.name, build.sha)
        assert git(build.clone, "rev-parse", "HEAD") == build.sha

    def finish(self, build: Build) -> None:
        """The rest of the workflow, from the checkout made before: every step must be green."""
        assert build.clone is not None, "check out first"
        env = build.env
        epoch = run("version", build.clone, "--source-date-epoch", **env)
        assert epoch.returncode == 0, epoch.stderr
        env["SOURCE_DATE_EPOCH"] = epoch.stdout.strip()

        ci = run("ci", build.clone, "--image", IMAGE, "--format", "json", **env)
        assert ci.returncode == 0, ci.stderr
        build.ci = json.loads(ci.stdout)
        assert build.ci["context"]["run_number"] == build.run

        dist = build.clone / "dist"
        build_env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("VCRELEASE_", "HATCH_", "PIP_", "SOURCE_DATE_EPOCH"))
        }
        built = subprocess.run(
            [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist)],
            cwd=build.clone,
            env={**build_env, **env},
            capture_output=True,
            text=True,
            check=False,
        )
        assert built.returncode == 0, built.stdout + built.stderr
        build.files = sorted(dist.glob("*.whl")) + sorted(dist.glob("*.tar.gz"))
        assert len(build.files) == 2, build.files
        assert git(build.clone, "status", "--porcelain") == "", "the build dirtied the checkout"

        upload = vc_upload(self.index, build.files, build.clone, "--format", "json", env=env)
        build.upload_exit = upload.returncode
        build.upload_stderr = upload.stderr
        assert upload.returncode == 0, upload.stdout + upload.stderr
        result = json.loads(upload.stdout)
        assert result["version"] == build.ci["version"]
        build.outcomes = {f["filename"]: f["outcome"] for f in result["files"]}
        build.policy_action = result["policy"]["action"]

        tags = run("docker-tags", build.clone, "--image", IMAGE, "--format", "json", **env)
        assert tags.returncode == 0, tags.stderr
        docker = json.loads(tags.stdout)
        assert docker["warnings"] == []
        assert docker["version"] == build.ci["version"]
        assert docker["tags"] == build.ci["docker_tags"]
        build.docker = docker["tags"]
        for tag in build.docker:  # docker push, in the order builds finish
            self.registry[tag.removeprefix(f"{IMAGE}:")] = docker["version"]
        self.finished.append(build)

    def run_now(self, build: Build) -> Build:
        self.checkout(build)
        self.finish(build)
        return build

    def rerun(self, old: Build) -> Build:
        """GitHub's "Re-run all jobs": the same run number and commit, a fresh runner."""
        return self.run_now(Build(old.run, old.ref, old.sha, attempt=old.attempt + 1))

    def tags_seen(self, build: Build) -> list[str]:
        """The tags in the build's checkout."""
        assert build.clone is not None
        return git(build.clone, "tag").split()

    def version_by_distance(self, build: Build) -> str:
        """What the build's version would be with setuptools-scm's dev number (the distance)."""
        assert build.clone is not None
        env = {**build.env, "VCRELEASE_DEV_NUMBER": "distance"}
        result = run("version", build.clone, **env)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def listing(self) -> dict[str, str | None]:
        return self.index.sha256s(self.project)


def test_continuous_delivery_story(
    tmp_path: Path, unique_project: str, pypiserver_nofallback_index: IndexServer
) -> None:
    story = Story(tmp_path, unique_project, pypiserver_nofallback_index)
    story.start()

    # 1. Three branches, each 3 commits past v1.2.3 with different changes.
    branch_builds = []
    for branch in ("develop", "feature/a", "feature/b"):
        story.git("checkout", "-q", "-b", branch, "v1.2.3")
        for i in range(1, 4):
            story.commit(f"{branch.replace('/', '-')}.txt", f"{branch} change {i}\n")
        (build,) = story.push(branch)
        branch_builds.append(story.run_now(build))
    # Under the distance they would all be 1.2.4.dev3, and the second upload refused.
    assert {story.version_by_distance(b) for b in branch_builds} == {"1.2.4.dev3"}

    # 2. Release 1.3.0: the push build's runner checks out after the tag was pushed.
    story.git("checkout", "-q", "master")
    story.git("merge", "-q", "--no-ff", "develop", "-m", "Merge develop for 1.3.0")
    (push_1_3,) = story.push("master")
    story.git("tag", "-a", "v1.3.0", "-m", "release 1.3.0")
    (tag_1_3,) = story.push("v1.3.0")
    assert push_1_3.sha == tag_1_3.sha
    story.checkout(push_1_3)
    story.checkout(tag_1_3)
    assert "v1.3.0" in story.tags_seen(push_1_3)
    story.finish(push_1_3)  # finishes before the tag build: leaves 1.3.0 to it, green
    assert not [name for name in story.listing() if "-1.3.0" in name]
    assert push_1_3.upload_stderr.strip().splitlines() == [
        "vc-upload: Nothing to upload: HEAD carries the release tag v1.3.0, so this branch "
        "build leaves 1.3.0 to the tag build, which publishes it."
    ]
    story.finish(tag_1_3)
    # Same commit, same SOURCE_DATE_EPOCH: the racing build's files are the tag build's bytes.
    assert list(map(sha256_file, push_1_3.files)) == list(map(sha256_file, tag_1_3.files))

    # 3. develop catches up with master; two pushes in quick succession finish in reverse.
    story.git("checkout", "-q", "develop")
    story.git("merge", "-q", "--ff-only", "master")
    story.commit("develop.txt", "after 1.3.0, change 1\n")
    (first,) = story.push("develop")
    story.commit("develop.txt", "after 1.3.0, change 2\n")
    (second,) = story.push("develop")
    story.checkout(first)  # GitHub checks out GITHUB_SHA, not the branch's newest commit
    story.checkout(second)
    story.finish(second)
    story.finish(first)
    assert Version(second.ci["version"]) > Version(first.ci["version"])

    # 4. Release 1.4.0: branch and tag pushed at once, the tag build finishes first.
    story.git("checkout", "-q", "master")
    story.git("merge", "-q", "--no-ff", "develop", "-m", "Merge develop for 1.4.0")
    story.git("tag", "-a", "v1.4.0", "-m", "release 1.4.0")
    push_1_4, tag_1_4 = story.push("master", "v1.4.0")
    story.checkout(push_1_4)
    story.checkout(tag_1_4)
    story.finish(tag_1_4)
    story.finish(push_1_4)
    assert "tag build" in push_1_4.upload_stderr

    # 5. Hotfix 1.2.4: the branch build checks out before the tag exists, finishes last.
    story.git("checkout", "-q", "-b", "hotfix/1.2.4", "v1.2.3")
    story.commit("hotfix.txt", "the fix\n")
    (hotfix_push,) = story.push("hotfix/1.2.4")
    story.checkout(hotfix_push)
    assert "v1.2.4" not in story.tags_seen(hotfix_push)
    story.git("tag", "-a", "v1.2.4", "-m", "release 1.2.4")
    (hotfix_tag,) = story.push("v1.2.4")
    story.run_now(hotfix_tag)
    story.finish(hotfix_push)

    # 6. Re-runs of old builds: green, the index does not change.
    before = story.listing()
    story.rerun(first)
    story.rerun(tag_1_3)
    assert story.listing() == before

    # The builds, in the order they finished.
    rows = [
        (b.run, b.name, b.ci["version"], b.ci["upload"], b.summary, b.docker)
        for b in story.finished
    ]
    expected_rows = [
        (run_, ref, version, decision, did, [f"{IMAGE}:{t}" for t in tags])
        for run_, ref, version, decision, did, tags in EXPECTED_BUILDS
    ]
    assert rows == expected_rows

    # The index: every file of every expected version, uploaded exactly once, by its run.
    module = canonicalize_name(unique_project).replace("-", "_")
    expected_files = {
        f"{module}-{version}{ext}": run_
        for version, run_ in EXPECTED_INDEX.items()
        for ext in ("-py3-none-any.whl", ".tar.gz")
    }
    listed = story.listing()
    assert sorted(listed) == sorted(expected_files)
    uploads = Counter(
        name
        for b in story.finished
        for name, outcome in b.outcomes.items()
        if outcome == "uploaded"
    )
    assert uploads == Counter(expected_files.keys())
    for b in story.finished:
        for path in b.files:
            if b.outcomes.get(path.name) == "uploaded":
                assert expected_files[path.name] == b.run
                assert listed[path.name] in (None, sha256_file(path))
                assert story.index.served_sha256(unique_project, path.name) == sha256_file(path)

    # The Docker registry: each tag on the image pushed last under it.
    assert story.registry == EXPECTED_REGISTRY
