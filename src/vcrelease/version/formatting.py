"""A :class:`~vcrelease.git.Describe` -> a PEP 440 version string; tag names -> versions.

The default schemes (``guess-next-dev`` with ``node-and-date`` or ``no-local-version``) and the
tag parsing are computed by :mod:`vcrelease.version.defaults`, without importing
vcs-versioning (start-up time). Every other scheme is setuptools-scm's own
(``vcs-versioning``, the entry-point groups ``setuptools_scm.version_scheme`` and
``setuptools_scm.local_scheme``, setuptools-scm docs "Version number construction"), selected
by the names setuptools-scm users know and run by vcs-versioning: nothing here re-implements
them.

Rules:

- no version tag: the version scheme sees tag ``0.0`` and the distance of all commits, so
  ``guess-next-dev`` gives ``0.1.devN`` (setuptools-scm's rule);
- the node in a local label is ``g`` plus 9 hex digits (setuptools-scm prints 10 characters);
- the dirty date (``.dYYYYMMDD``) comes from ``now``, which the caller takes from
  ``SOURCE_DATE_EPOCH`` when set (reproducible builds spec) or the clock.

Pure functions: no I/O, the time is an argument. This is the one module that names
vcs-versioning's private modules (``_scm_version.meta``, ``_version_schemes.format_version``:
the way to run a scheme on facts that did not come from its own git reader); the package
bounds vcs-versioning below its next major version, and a test holds the names to the
installed release.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..config import LOCAL_SCHEME_GROUP, VERSION_SCHEME_GROUP
from ..git import Describe
from . import defaults
from .defaults import NO_TAG_VERSION

__all__ = ["NO_TAG_VERSION", "format_version", "format_with_vcs_versioning", "tag_parser"]


def _configuration(version_scheme: Any, local_scheme: Any) -> Any:
    """vcs-versioning's configuration for the schemes; its environment is empty, so no
    ``VCRELEASE_*`` or ``SETUPTOOLS_SCM_*`` variable reaches it behind our back."""
    from vcs_versioning import Configuration, VcsEnvironment

    env = VcsEnvironment.from_env("VCRELEASE", env={})
    return Configuration(version_scheme=version_scheme, local_scheme=local_scheme, _env=env)


def tag_parser(tag_pattern: re.Pattern[str]) -> Callable[[str], str | None]:
    """A function: tag name -> the version it names (``v1.2.3`` -> ``1.2.3``), or None.

    The tag must match ``tag_pattern`` from its start and its version group must be a PEP 440
    version; a valid ``+local`` suffix is kept (:func:`vcrelease.version.defaults.tag_to_version`,
    vcs-versioning's ``tag_to_version`` rule).
    """

    def parse(name: str) -> str | None:
        return defaults.tag_to_version(name, tag_pattern)

    return parse


def format_version(
    describe: Describe,
    *,
    version_scheme: str,
    local_scheme: str,
    now: datetime,
) -> str:
    """The PEP 440 version for ``describe`` under the named schemes.

    Args:
        describe: the repository state.
        version_scheme: e.g. ``guess-next-dev``, ``no-guess-dev``, ``only-version``,
            ``calver-by-date``, ``semver-pep440``, ``post-release``.
        local_scheme: e.g. ``node-and-date``, ``no-local-version``, ``dirty-tag``,
            ``node-and-timestamp``.
        now: aware datetime used for dirty dates and calendar schemes.

    Raises:
        ValueError: a scheme name is not installed or a scheme rejects the state
            (e.g. ``fail-on-uncommitted-changes`` on a dirty tree).
    """
    if defaults.handles(version_scheme, local_scheme):
        return defaults.format_default(
            describe.tag_version,
            distance=describe.distance,
            dirty=describe.dirty,
            node=describe.node,
            local_scheme=local_scheme,
            now=now,
        )
    return format_with_vcs_versioning(
        describe, version_scheme=version_scheme, local_scheme=local_scheme, now=now
    )


def format_with_vcs_versioning(
    describe: Describe,
    *,
    version_scheme: str,
    local_scheme: str,
    now: datetime,
) -> str:
    """:func:`format_version` through vcs-versioning, whatever the schemes (the defaults too:
    the oracle tests compare it with :mod:`vcrelease.version.defaults`).

    Raises:
        ValueError: as :func:`format_version`.
    """
    from vcs_versioning._scm_version import meta
    from vcs_versioning._version_schemes import format_version as scm_format

    loaded_version_scheme, loaded_local_scheme = _load_schemes(version_scheme, local_scheme)
    config = _configuration(version_scheme=loaded_version_scheme, local_scheme=loaded_local_scheme)
    scm = meta(
        config.version_cls(describe.tag_version or NO_TAG_VERSION),
        distance=describe.distance,
        node="g" + describe.node,
        dirty=describe.dirty,
        branch=describe.branch,
        node_date=describe.commit_time.date(),
        time=now,
        config=config,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return str(scm_format(scm))


def _load_schemes(version_scheme: str, local_scheme: str) -> tuple[Any, Any]:
    """The two schemes' functions, found by :func:`vcrelease.version.schemes.find_scheme`.

    vcs-versioning would look each name up with a scan of every installed distribution;
    handing it the loaded functions saves those scans. A name that is no entry point is passed
    on as it is, for vcs-versioning's ``module:function`` references and its error.
    """
    from .schemes import find_scheme

    loaded = []
    for group, name in ((VERSION_SCHEME_GROUP, version_scheme), (LOCAL_SCHEME_GROUP, local_scheme)):
        entry_point = find_scheme(group, name)
        loaded.append(name if entry_point is None else entry_point.load())
    return loaded[0], loaded[1]
