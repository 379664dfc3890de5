"""Version and local schemes by name: setuptools-scm's entry points.

A scheme is an entry point of the group ``setuptools_scm.version_scheme`` or
``setuptools_scm.local_scheme`` (setuptools-scm's documented extension point). vcs-versioning
registers the built-in ones (``guess-next-dev``, ``node-and-date``, ...); a plugin distribution
may add more. A name is looked up in vcs-versioning's own metadata first, which reads one
file; only other names cost a scan of every installed distribution (several milliseconds, more
in a large environment).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT_VERSION_SCHEME, LOCAL_SCHEME_GROUP, VERSION_SCHEME_GROUP, Config
from ..errors import ConfigError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

PROVIDER = "vcs-versioning"
"""The distribution whose entry points hold the built-in schemes."""


def find_scheme(group: str, name: str) -> EntryPoint | None:
    """The entry point ``name`` of ``group``: vcs-versioning's own, else the first one any
    installed distribution registers; None when there is none."""
    from importlib.metadata import PackageNotFoundError, distribution, entry_points

    try:
        own = distribution(PROVIDER).entry_points.select(group=group, name=name)
    except PackageNotFoundError:
        own = None
    for entry_point in own or entry_points(group=group, name=name):
        return entry_point
    return None


def known_schemes(group: str) -> list[str]:
    """The names of every installed scheme of ``group``, sorted (for error messages)."""
    from importlib.metadata import entry_points

    return sorted({entry_point.name for entry_point in entry_points(group=group)})


def check_scheme(name: str, group: str, where: str) -> str:
    """``name`` when it is an installed scheme of the entry-point ``group``
    (:func:`find_scheme`).

    Raises:
        ConfigError: no such scheme; the message names ``where`` and lists the known names.
    """
    if find_scheme(group, name) is None:
        key = "version-scheme" if group == VERSION_SCHEME_GROUP else "local-scheme"
        raise ConfigError(
            f"{where}: {key} {name!r} is not a known scheme. "
            f"Known: {', '.join(known_schemes(group))}."
        )
    return name


def check_config_schemes(config: Config) -> None:
    """Check the scheme names ``config`` sets (the defaults are vcs-versioning's own).

    Raises:
        ConfigError: as :func:`check_scheme`.
    """
    if config.version_scheme != DEFAULT_VERSION_SCHEME:
        check_scheme(config.version_scheme, VERSION_SCHEME_GROUP, config.where)
    if config.local_scheme is not None:
        check_scheme(config.local_scheme, LOCAL_SCHEME_GROUP, config.where)
