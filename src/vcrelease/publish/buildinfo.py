"""Everything the CI-facing commands need about one build, read once: the CI context, the
version, the repository's release versions and the facts the release policy asks about.

This is the I/O edge between the environment / repository and the pure rules of
:mod:`vcrelease.publish.docker` and :mod:`vcrelease.publish.policy`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import git
from ..ci.context import BuildContext
from ..config import Config, load_config
from ..errors import ConfigError, TagBuildError, strip_credentials
from ..git import VersionTag
from ..version.citag import ci_tag_at_head, ci_tag_problem
from ..version.formatting import tag_parser
from ..version.resolve import VersionResult, build_time, ignored_paths, resolve_version
from .policy import RepoFacts

if TYPE_CHECKING:  # imported where used: vc-upload's path needs neither (start-up time)
    from .docker import DockerTags
    from .sets import MemberBuild

__all__ = [
    "BuildInfo",
    "docker_tags",
    "gather",
    "read_event_payload",
    "repo_facts",
    "set_members",
]


@dataclass(frozen=True)
class BuildInfo:
    """One build, as the ``ci``, ``docker-tags`` and ``upload`` commands see it.

    Attributes:
        context: the CI context; outside CI, :meth:`BuildContext.local` from the repository
            (branch, the version tag at HEAD when the tree is clean, HEAD's id).
        version: the resolved version (:func:`vcrelease.version.resolve.resolve_version`).
        release_versions: versions of this project's version tags (those its ``tag-prefix`` /
            ``tag-pattern`` accepts: in a monorepo, never another project's), or None when they
            cannot all be known (shallow clone, or no repository).
        source: repository URL without credentials (the CI's, else ``remote.origin.url``), or
            None.
        created: the commit time of HEAD (aware, UTC), else ``SOURCE_DATE_EPOCH`` or now.
        facts: what the release policy needs (:func:`repo_facts`), read with the version when
            it came from git, else None.
        own_tag: in a CI tag build, whether the tag is this project's (its ``tag-prefix`` /
            ``tag-pattern`` accepts it); False for another project's tag in a monorepo
            (``hatch-v1.18.0`` while building ``hatchling``). True outside tag builds.
        head_tag: this project's version tag at HEAD (clean tree), else None.
    """

    context: BuildContext
    version: VersionResult
    release_versions: tuple[str, ...] | None
    source: str | None
    created: datetime
    facts: RepoFacts | None = None
    own_tag: bool = True
    head_tag: str | None = None


def read_event_payload(env: Mapping[str, str]) -> Mapping[str, Any] | None:
    """The GitHub Actions webhook payload: the JSON file ``GITHUB_EVENT_PATH`` names, on GitHub
    Actions only; None elsewhere or when the variable is unset.

    Raises:
        ConfigError: the file is named but cannot be read or is not a JSON object (exit 2).
    """
    path = env.get("GITHUB_EVENT_PATH")
    if not path or env.get("GITHUB_ACTIONS", "").lower() != "true":
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"GITHUB_EVENT_PATH={path} cannot be read as JSON ({exc}). It is set by GitHub "
            "Actions; unset it when running outside a workflow."
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"GITHUB_EVENT_PATH={path} does not hold a JSON object.")
    return data


def gather(project_dir: Path, env: Mapping[str, str], *, config: Config | None = None) -> BuildInfo:
    """Read the build: CI context, version, release versions, source URL, creation time.

    Raises:
        ConfigError, NoVersionError: as :func:`vcrelease.version.resolve.resolve_version`, and
            :func:`read_event_payload`.
    """
    root = git.find_work_tree(project_dir)
    with nullcontext(None) if root is None else git.open(root) as session:  # one per command
        return _gather(project_dir, env, config, session)


def _gather(
    project_dir: Path, env: Mapping[str, str], config: Config | None, session: git.Repository | None
) -> BuildInfo:
    config = load_config(project_dir) if config is None else config
    context = BuildContext.from_env(env, read_event_payload(env))
    result = resolve_version(project_dir, env=env, config=config, context=context, repo=session)
    state = result.describe
    repo = session if result.source == "git" else None
    if not context.is_ci and state is not None:
        at_tag = state.tag if state.distance == 0 and not state.dirty else None
        context = BuildContext.local(branch=state.branch, tag=at_tag, sha=state.node)
    source = context.repository_url
    if source is None and repo is not None:
        url = repo.remote_url()
        source = strip_credentials(url) if url else None
        context = context._replace(repository_url=source)
    releases: tuple[str, ...] | None = None
    facts: RepoFacts | None = None
    own_tag: bool = True
    head_tag: str | None = None
    if repo is not None and state is not None:
        parse_tag = tag_parser(config.tag_pattern)
        tags = repo.version_tags(parse_tag)
        if not state.shallow:
            releases = tuple(t.version for t in tags)
        facts = _facts(
            state.node, state.branch, state.dirty_files, tags, context, parse_tag, state.shallow
        )
    created = state.commit_time if state is not None else build_time(env)
    own_tag = not (
        context.event == "tag"
        and context.tag is not None
        and tag_parser(config.tag_pattern)(context.tag) is None
    )
    head_tag = state.tag if state is not None and state.distance == 0 and not state.dirty else None
    return BuildInfo(context, result, releases, source, created, facts, own_tag, head_tag)


def docker_tags(
    info: BuildInfo,
    *,
    images: tuple[str, ...] = (),
    prefix: str = "",
    suffix: str = "",
    sha: bool = False,
    edge_branch: str | None = None,
) -> tuple[DockerTags, dict[str, str]]:
    """The Docker tags and OCI labels of a build (:func:`vcrelease.publish.docker.compute_tags`).

    Raises:
        ConfigError: as :func:`vcrelease.publish.docker.compute_tags`.
    """
    from .docker import DockerTagRequest, DockerTags, compute_tags, oci_labels

    context = info.context
    note: str | None = None
    if not info.own_tag:
        # Another project's release tag (monorepo): this project's image is tagged as a build
        # of the commit, by its own tag at HEAD when it has one (a co-released set).
        context = context._replace(event="manual", tag=info.head_tag, branch=None)
        note = (
            f"The tag {info.context.tag} is not one of this project's version tags (its "
            f"tag-prefix / tag-pattern: {info.version.config.tag_pattern.pattern}), so "
        ) + (
            f"the image gets this project's tag at this commit, {info.head_tag}."
            if info.head_tag is not None
            else f"the image gets the version alone ({info.version.version})."
        )
    request = DockerTagRequest(
        context=context,
        version=info.version.version,
        release_versions=info.release_versions,
        images=images,
        prefix=prefix,
        suffix=suffix,
        sha=sha,
        edge_branch=edge_branch,
    )
    labels = oci_labels(info.version.version, info.context.sha, info.created, info.source)
    tags = compute_tags(request)
    if note is not None:
        kept = [w for w in tags.warnings if not w.startswith("No branch, tag or pull request")]
        tags = DockerTags(tags=tags.tags, warnings=[note, *kept])
    return tags, labels


def repo_facts(project_dir: Path, config: Config, context: BuildContext) -> RepoFacts | None:
    """HEAD, dirty files and version tags for :func:`vcrelease.publish.policy.decide`; None when
    ``project_dir`` is in no git work tree.

    In a CI tag build whose tag is not in the clone (a depth-1 checkout), the CI's tag counts
    as being on HEAD when HEAD is the commit the CI names, as for the version (one rule:
    :func:`vcrelease.version.citag.ci_tag_at_head`).

    Raises:
        RepositoryError: the repository cannot be read.
    """
    root = git.find_work_tree(project_dir)
    if root is None:
        return None
    parse_tag = tag_parser(config.tag_pattern)
    with git.open(root) as repo:
        head = repo.head_state(ignore_dirty=ignored_paths(project_dir, root, config))
        tags = repo.version_tags(parse_tag)
    return _facts(head.node, head.branch, head.dirty_files, tags, context, parse_tag, head.shallow)


def _facts(
    node: str,
    branch: str | None,
    dirty_files: tuple[str, ...],
    tags: tuple[VersionTag, ...],
    context: BuildContext,
    parse_tag: Callable[[str], str | None],
    shallow: bool,
) -> RepoFacts:
    head_tags = [(t.name, t.version) for t in tags if t.commit == node]
    tag_commits = {t.name: t.commit for t in tags}
    problem = ci_tag_problem(context, node, tag_commits, parse_tag, shallow=shallow)
    if problem is not None:  # a tag build that cannot publish its tag never exits 0
        raise TagBuildError(problem)
    from_ci = ci_tag_at_head(context, node, tag_commits, parse_tag, shallow=shallow)
    if from_ci is not None:
        head_tags.append(from_ci)
    return RepoFacts(
        head=node,
        branch=branch if not context.is_ci else (context.branch_name or branch),
        dirty_files=dirty_files,
        head_tags=tuple(head_tags),
        tag_commits=tag_commits,
    )


def set_members(
    project_dir: Path,
    versions: Mapping[str, str],
    env: Mapping[str, str],
    context: BuildContext,
) -> tuple[MemberBuild, ...]:
    """What the set's release policy (:func:`vcrelease.publish.sets.decide_set`) needs about
    each member, read through one repository session: the repository's projects
    (:func:`vcrelease.version.projects.find_projects`) matched by name, each one's version at
    HEAD from its own configuration, and its policy facts with its own tags.

    Args:
        project_dir: any directory of the work tree (``--project-dir``).
        versions: member name (PEP 503 normalised) -> the version of its files.
        env: the environment (the version at HEAD depends on it: ``dev-number = 'run'``).
        context: the CI build.

    Raises:
        ConfigError: ``project_dir`` is in no work tree, or a member is not a project of the
            repository that uses vcrelease (exit 2).
        NoVersionError: a member has no version at HEAD (and its subclasses).
    """
    from ..version.projects import find_projects
    from .sets import MemberBuild

    root = git.find_work_tree(project_dir)
    if root is None:
        raise ConfigError(
            f"{project_dir} is not inside a git work tree, so the release policy cannot check "
            "which commit the set comes from. Run vc-upload in the checkout the files were "
            "built from, or pass --project-dir."
        )
    from packaging.utils import canonicalize_name

    members = []
    with git.open(root) as repo:
        found = {str(canonicalize_name(p.name)): p for p in find_projects(repo) if p.name}
        unknown = sorted(set(versions) - set(found))
        if unknown:
            raise ConfigError(
                f"{', '.join(unknown)} is not a project of the repository at {root} that uses "
                f"vcrelease (found: {', '.join(sorted(found)) or 'none'}), so the set cannot "
                "be checked against the commit it comes from. Upload the files of this "
                "repository's projects, or run vc-upload in the repository they were built "
                "from (--project-dir)."
            )
        for name in sorted(versions):
            project = found[name]
            result = resolve_version(
                project.directory, env=env, config=project.config, context=context, repo=repo
            )
            parse_tag = tag_parser(project.config.tag_pattern)
            head = repo.head_state(
                ignore_dirty=ignored_paths(project.directory, root, project.config)
            )
            tags = repo.version_tags(parse_tag)
            facts = _facts(
                head.node, head.branch, head.dirty_files, tags, context, parse_tag, head.shallow
            )
            owns = (
                context.event == "tag"
                and context.tag is not None
                and (parse_tag(context.tag) is not None)
            )
            members.append(
                MemberBuild(name, versions[name], result.version, facts, owns, project.relative)
            )
    return tuple(members)
