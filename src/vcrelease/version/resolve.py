"""Find the version of a project: the one entry point the build plugins and the CLI share.

Sources, first match wins (``docs/architecture.md``, "The version rules"; setuptools-scm's
docs, "Overriding version numbers" for the pretend variables, and PEP 440 for the versions):

1. the pretend variables, ``VCRELEASE_PRETEND_VERSION_FOR_<DIST>`` first, setuptools-scm's
   and vcs-versioning's names too (:mod:`vcrelease.envvars`);
2. ``PKG-INFO`` in the project directory (an unpacked sdist: a wheel built from our sdist
   keeps the sdist's version);
3. an expanded ``.git_archival.txt`` in the project directory (a ``git archive`` tarball);
4. the git repository holding the project directory (this directory or a parent; with
   ``root``, the one holding that directory);
5. ``parentdir-prefix``: the project directory's name, only when there is no repository;
6. ``fallback-version`` from ``[tool.vcrelease]``, only when there is no repository.

``SETUPTOOLS_SCM_PRETEND_METADATA`` (:mod:`vcrelease.version.pretendmeta`) changes the
repository state of sources 3 and 4 before the schemes format it, and the commit of the
others.

Nothing found raises :class:`~vcrelease.errors.NoVersionError` (exit 3) naming every place
looked at; there is never a silent ``0.0.0``.

In CI (:class:`~vcrelease.ci.BuildContext`, ``docs/architecture.md`` "CI" and "The version
rules"):

- a tag build of a version tag gets exactly that tag's version, from HEAD and the tag alone
  (no history walk, so a depth-1 clone works even when the tag was not fetched, provided HEAD
  is the commit the CI names: :func:`vcrelease.version.citag.ci_tag_at_head`); a dirty tree, or
  HEAD not being the tagged commit, raises
  :class:`~vcrelease.errors.TagBuildError` (exit 3) naming the files or commits;
- the local version label is off unless ``local-scheme`` is configured
  (:func:`~vcrelease.config.local_scheme_for`);
- branch-aware schemes see the CI's branch (a pull request's head branch, never ``N/merge``).

The result says what was applied (:class:`Applied`: schemes, the dev-number rule and why), so
``vcrelease version --explain`` reports it rather than working it out again.
"""

import os
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .. import git
from ..ci.context import BuildContext
from ..config import (
    LOCAL_SCHEME_GROUP,
    VERSION_SCHEME_GROUP,
    Config,
    load_config,
    local_scheme_for,
)
from ..envvars import Found, lookup
from ..errors import ConfigError, NoVersionError, TagBuildError
from ..git import Describe
from . import defaults, fallbacks
from .citag import ci_tag_problem
from .devnumber import DevNumber
from .formatting import format_version, tag_parser
from .schemes import check_config_schemes, check_scheme

if TYPE_CHECKING:
    from .pretendmeta import PretendMetadata

__all__ = [
    "Applied",
    "VersionResult",
    "build_time",
    "describe_project",
    "ignored_paths",
    "resolve_version",
    "scope_for",
    "tag_build_state",
]


class Applied(NamedTuple):
    """What turned a repository state into the version (git and archival sources).

    Attributes:
        version_scheme: the version scheme used.
        local_scheme: the local scheme used, after the CI rule
            (:func:`~vcrelease.config.local_scheme_for`).
        local_scheme_by_context: ``in CI`` or ``outside CI`` when that rule chose the local
            scheme, None when it was configured (or given on the command line).
        dev_number: the dev-number rule and why it was chosen.
    """

    version_scheme: str
    local_scheme: str
    local_scheme_by_context: str | None
    dev_number: DevNumber


class VersionResult(NamedTuple):
    """A resolved version and where it came from.

    Attributes:
        version: PEP 440 version string.
        source: ``pretend``, ``pkg-info``, ``archival``, ``git`` or ``fallback-version``.
        detail: the variable or file the version came from (for messages).
        describe: the repository state (git and archival sources), else None.
        config: the configuration in effect.
        applied: the schemes and dev-number rule used (git and archival sources), else None:
            the other sources give a finished version.
        notes: what the environment changed, one line each, for ``--explain`` (variables
            that lost to another, pretended metadata, overridden settings).
        commit: the commit the version file names, when the source is not a repository
            state (a pretended ``node``); else None.
    """

    version: str
    source: str
    detail: str
    describe: Describe | None
    config: Config
    applied: Applied | None = None
    notes: tuple[str, ...] = ()
    commit: str | None = None


def build_time(env: Mapping[str, str]) -> datetime:
    """``SOURCE_DATE_EPOCH`` (reproducible-builds.org spec) as UTC, else the current time."""
    value = env.get("SOURCE_DATE_EPOCH")
    if value:
        try:
            return datetime.fromtimestamp(int(value), timezone.utc)
        except (ValueError, OverflowError, OSError) as exc:
            raise ConfigError(
                f"SOURCE_DATE_EPOCH={value!r} is not a whole number of seconds since 1970."
            ) from exc
    return datetime.now(timezone.utc)


def resolve_version(
    project_dir: Path,
    *,
    dist_name: str | None = None,
    env: Mapping[str, str] | None = None,
    version_scheme: str | None = None,
    local_scheme: str | None = None,
    config: Config | None = None,
    context: BuildContext | None = None,
    repo: git.Repository | None = None,
) -> VersionResult:
    """The version of the project in ``project_dir``.

    Args:
        project_dir: directory holding ``pyproject.toml`` (or an unpacked sdist/archive).
        dist_name: distribution name for the per-distribution pretend variable; default
            ``[project] name``.
        env: environment variables (default ``os.environ``).
        version_scheme, local_scheme: override the configured scheme names.
        config: use this configuration instead of reading ``pyproject.toml``.
        context: the build; default :meth:`BuildContext.from_env` of ``env``.
        repo: the caller's session of the repository holding ``project_dir``, to share what
            it reads (:func:`vcrelease.git.open`); default: a session opened here when the
            git source is reached.

    Raises:
        ConfigError: bad configuration or pretend version (exit 2).
        NoVersionError: no source gives a version (exit 3); its subclasses
            ``ShallowCloneError``, ``RepositoryError`` and ``TagBuildError`` for a shallow or
            broken repository or a tag build that does not build its tag.
    """
    env = os.environ if env is None else env
    context = BuildContext.from_env(env) if context is None else context
    project_dir = Path(project_dir)
    config = load_config(project_dir, env) if config is None else config
    check_config_schemes(config)
    config = _with_overrides(config, version_scheme, local_scheme)
    dist_name = dist_name or config.dist_name
    notes = _config_notes(config)
    metadata = None
    found = lookup(env, "PRETEND_METADATA", dist_name)
    if found is not None:  # the reader is imported only then
        from .pretendmeta import parse_pretend_metadata

        metadata = parse_pretend_metadata(found)
        notes.append(f"pretended metadata: {metadata.describe()}")

    def finished(version: str, source: str, detail: str) -> VersionResult:
        commit = None if metadata is None else metadata.node()
        return VersionResult(version, source, detail, None, config, None, tuple(notes), commit)

    pretend = fallbacks.pretend_version(env, dist_name)
    if pretend is not None:
        found, version = pretend
        notes.extend(_found_notes(found))
        return finished(version, "pretend", found.variable)

    pkg_info = fallbacks.pkg_info_version(project_dir)
    if pkg_info is not None:
        return finished(pkg_info, "pkg-info", str(project_dir / "PKG-INFO"))

    parse_tag = tag_parser(config.tag_pattern)
    archival = fallbacks.read_archival(project_dir)
    extra = (metadata, parse_tag, tuple(notes))
    if archival is not None:
        state = fallbacks.archival_describe(archival, parse_tag, project_dir)
        if state is not None:
            return _from_describe(
                state, config, env, context, "archival", fallbacks.ARCHIVAL_FILE, extra
            )

    search = project_dir if config.root is None else project_dir / config.root
    root = git.find_work_tree(search) if repo is None else repo.root
    if root is not None:
        with git.open(root) if repo is None else nullcontext(repo) as session:
            tag_version = parse_tag(context.tag) if context.event == "tag" and context.tag else None
            if tag_version is not None:
                state = tag_build_state(
                    project_dir, config, context, repo=session, parse_tag=parse_tag
                )
                result = _from_describe(state, config, env, context, "git", str(root), extra)
                _check_tag_build_version(result, state)
                return result
            state = describe_project(project_dir, config, repo=session, parse_tag=parse_tag)
        return _from_describe(state, config, env, context, "git", str(root), extra)

    if config.parentdir_prefix is not None:
        named = fallbacks.parentdir_version(project_dir, config.parentdir_prefix, parse_tag)
        if named is not None:
            detail = f"the directory name {project_dir.resolve().name}"
            return finished(named, "parentdir", detail)
    if config.fallback_version is not None:
        return finished(config.fallback_version, "fallback-version", "[tool.vcrelease]")
    raise NoVersionError(_nothing_found(project_dir, dist_name, archival is not None, config))


def _config_notes(config: Config) -> list[str]:
    """``--explain`` lines for the settings that did not come from ``[tool.vcrelease]``."""
    return [f"setting {key} from {where}" for key, where in config.origins]


def _found_notes(found: Found) -> list[str]:
    notes = [f"{name} is set too and loses to {found.variable}" for name in found.shadowed]
    if found.expected is not None:
        notes.append(f"{found.variable} read as {found.expected} (its spelling of the name)")
    return notes


def _with_overrides(config: Config, version_scheme: str | None, local_scheme: str | None) -> Config:
    where = "command line"
    if version_scheme is not None:
        config = config._replace(
            version_scheme=check_scheme(version_scheme, VERSION_SCHEME_GROUP, where)
        )
    if local_scheme is not None:
        config = config._replace(local_scheme=check_scheme(local_scheme, LOCAL_SCHEME_GROUP, where))
    return config


def _from_describe(
    state: Describe,
    config: Config,
    env: Mapping[str, str],
    context: BuildContext,
    source: str,
    detail: str,
    extra: "tuple[PretendMetadata | None, Callable[[str], str | None], tuple[str, ...]]",
) -> VersionResult:
    """The version of ``state`` under ``config``; ``extra`` is the pretended metadata (or
    None), the tag parser and the ``--explain`` notes so far."""
    from .devnumber import pick_dev_number, with_dev_number

    metadata, parse_tag, notes = extra
    now = build_time(env)
    preformatted = False
    if metadata is not None:
        from .pretendmeta import apply_to_describe

        state, pretended_time, preformatted = apply_to_describe(state, metadata, parse_tag)
        now = pretended_time or now
    local_scheme = local_scheme_for(config, in_ci=context.is_ci)
    by_context = None
    if config.local_scheme is None:
        by_context = "in CI" if context.is_ci else "outside CI"
    if context.is_ci and context.branch_name is not None:
        state = state._replace(branch=context.branch_name)
    dev_number = pick_dev_number(config.dev_number, env, context)
    numbered = with_dev_number(state, dev_number.rule, context)
    try:
        if preformatted:
            version = state.tag_version or state.tag or ""
        else:
            version = format_version(
                numbered,
                version_scheme=config.version_scheme,
                local_scheme=local_scheme,
                now=now,
            )
    except ValueError as exc:
        raise ConfigError(
            f"version-scheme {config.version_scheme!r} / local-scheme {local_scheme!r} "
            f"cannot version {state.root} ({exc})."
        ) from exc
    applied = Applied(config.version_scheme, local_scheme, by_context, dev_number)
    return VersionResult(version, source, detail, state, config, applied, notes)


def tag_build_state(
    project_dir: Path,
    config: Config,
    context: BuildContext,
    *,
    repo: git.Repository,
    parse_tag: Callable[[str], str | None],
) -> Describe:
    """The repository state of a CI tag build: HEAD at ``context.tag``, distance 0, clean.

    The tag's commit comes from the repository when the tag was fetched, else from the CI
    (``context.sha``): HEAD must be that commit. No history is walked, so a depth-1 clone
    without tags works. ``context.tag`` must be a version tag under ``parse_tag``.

    Raises:
        TagBuildError: the tree is dirty (names the files), HEAD is not the tagged commit
            (names both), or the tag is not in the clone and the CI names no commit.
        RepositoryError: the repository cannot be read.
    """
    tag = context.tag
    version = parse_tag(tag) if tag else None
    if tag is None or version is None:
        raise ValueError(f"not a version tag build: {context.tag!r}")
    root = repo.root
    head = repo.head_state(
        ignore_dirty=ignored_paths(project_dir, root, config),
        scope=scope_for(project_dir, root, config),
    )
    where = f"This is a {context.provider} tag build of {tag}"
    if head.dirty_files:
        raise TagBuildError(
            f"{where}, but these tracked files in {root} differ from the tagged commit: "
            f"{', '.join(head.dirty_files)}. A release is built from the tag as committed: "
            "find the build step that changes them (generated files belong in .gitignore)."
        )
    tag_commits = {t.name: t.commit for t in repo.version_tags(parse_tag)}
    tagged = tag_commits.get(tag)
    if tagged is None:
        problem = ci_tag_problem(context, head.node, tag_commits, parse_tag, shallow=head.shallow)
        if problem is not None:
            raise TagBuildError(f"{problem} (work tree: {root})")
    elif not head.node.startswith(tagged.lower()):
        raise TagBuildError(
            f"{where}, but HEAD in {root} is {head.node} while {tag} is {tagged} (the tag in "
            "the clone). A tag build must check out the tagged commit: check the checkout "
            "step's ref."
        )
    return Describe(
        tag=tag,
        tag_version=version,
        distance=0,
        node=head.node,
        dirty=False,
        dirty_files=(),
        branch=head.branch,
        commit_time=head.commit_time,
        shallow=head.shallow,
        root=root,
    )


def _check_tag_build_version(result: VersionResult, state: Describe) -> None:
    from packaging.version import Version

    if Version(result.version) != Version(state.tag_version or "0"):
        raise ConfigError(
            f"version-scheme {result.config.version_scheme!r} gives {result.version} on the tag "
            f"build of {state.tag}, not the tag's version {state.tag_version}. A tag build "
            "releases its tag: choose a scheme that keeps an exact tag's version."
        )


def describe_project(
    project_dir: Path,
    config: Config,
    *,
    repo: git.Repository | None = None,
    parse_tag: Callable[[str], str | None] | None = None,
) -> Describe:
    """The repository state of the project in ``project_dir`` under ``config``.

    ``repo`` (the caller's session of the repository, :func:`vcrelease.git.open`) and
    ``parse_tag`` (built from ``config.tag_pattern`` when None) save repeating that work. The
    configured version file never makes the tree dirty. With ``distance-scope`` the distance
    and the dirty state count only the scope's paths (:func:`scope_for`).

    Raises:
        ConfigError: a ``distance-scope`` path leads outside the repository.
        RepositoryError: no work tree at or above ``project_dir``, or a broken repository.
        ShallowCloneError: see :func:`vcrelease.git.describe`.
    """
    if repo is None:
        with git.open(project_dir) as opened:  # raises: no work tree
            return describe_project(project_dir, config, repo=opened, parse_tag=parse_tag)
    pattern = config.tag_pattern
    return repo.describe(  # the history is cached (tag_key); the dirty state never is
        parse_tag or tag_parser(pattern),
        # The parser is ours (defaults.tag_to_version over packaging.version): its rule's
        # revision and packaging's version change the answers as much as the pattern does.
        tag_key=f"{pattern.pattern}\0{pattern.flags}\0{defaults.TAG_RULE}\0{_packaging_version()}",
        ignore_dirty=ignored_paths(project_dir, repo.root, config),
        scope=scope_for(project_dir, repo.root, config),
    )


def scope_for(project_dir: Path, root: Path, config: Config) -> git.Scope | None:
    """``distance-scope`` as repository paths: each entry joined to the project directory's
    path relative to the work tree's top ``root`` (``:/`` entries to the top itself),
    ``..`` resolved, sorted; None when the key is unset.

    Raises:
        ConfigError: an entry leads outside the repository, or the project directory is not
            inside ``root``.
    """
    if config.distance_scope is None:
        return None
    try:
        base = project_dir.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise ConfigError(
            f"{config.where}: distance-scope needs the project directory {project_dir} inside "
            f"the repository's work tree {root}."
        ) from None
    paths: list[str] = []
    for entry in config.distance_scope:
        joined = entry[2:] if entry.startswith(":/") else f"{base}/{entry}"
        parts: list[str] = []
        for part in joined.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    raise ConfigError(
                        f"{config.where}: distance-scope entry {entry!r} leads outside the "
                        f"repository ({root}). Give paths inside it, relative to the project "
                        "directory (or to the top with ':/')."
                    )
                parts.pop()
                continue
            parts.append(part)
        paths.append("/".join(parts))
    if "" in paths:
        paths = [""]
    return git.Scope(tuple(sorted(set(paths))), config.distance_count == "first-parent")


def _packaging_version() -> str:
    import packaging  # the package's __init__ only: packaging.version is loaded anyway

    return str(getattr(packaging, "__version__", "?"))


def ignored_paths(project_dir: Path, root: Path, config: Config) -> tuple[str, ...]:
    """The version file, as a work-tree path: writing it must not make the tree dirty."""
    if config.version_file is None:
        return ()
    try:
        relative = (project_dir.resolve() / config.version_file).relative_to(root)
    except ValueError:
        return ()
    return (relative.as_posix(),)


def _nothing_found(
    project_dir: Path, dist_name: str | None, archival_seen: bool, config: Config
) -> str:
    variables = [fallbacks.pretend_variable(dist_name)] if dist_name else []
    variables.append(fallbacks.pretend_variable(None))
    parentdir = (
        f", the directory name {project_dir.resolve().name!r} (parentdir-prefix "
        f"{config.parentdir_prefix!r}: no version after it)"
        if config.parentdir_prefix is not None
        else ""
    )
    archival = (
        f"{project_dir / fallbacks.ARCHIVAL_FILE} (names no tag)"
        if archival_seen
        else f"{project_dir / fallbacks.ARCHIVAL_FILE} (absent or not expanded)"
    )
    return (
        f"No version for {project_dir}: looked at the environment variables "
        f"{' and '.join(variables)} (unset), {project_dir / 'PKG-INFO'} (absent), {archival}, "
        f"a .git in {project_dir} or above (none){parentdir}, and fallback-version in "
        "[tool.vcrelease] (unset). Build from a git clone that has a version tag, from an "
        "sdist, or set one of those variables."
    )
