"""Version and local schemes by name: setuptools-scm's entry points.

A scheme is an entry point of the group ``setuptools_scm.version_scheme`` or
``setuptools_scm.local_scheme`` (setuptools-scm's documented extension point). vcs-versioning
registers the built-in ones (``guess-next-dev``, ``node-and-date``, ...); a plugin distribution
may add more (setuptools-scm docs, "Extending setuptools-scm": entry points). A name is looked
up in vcs-versioning's own metadata first, which reads one file; only other names cost a scan
of every installed distribution (several milliseconds, more in a large environment).

The default names (``guess-next-dev``, ``node-and-date``, ``no-local-version``) are never looked
up: vcs-versioning, a dependency, registers them, and :mod:`vcrelease.version.defaults`
computes them. Any other name is looked up once per process (:func:`find_scheme` remembers
what it found), so checking a name and then loading its scheme reads the metadata once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import LOCAL_SCHEME_GROUP, VERSION_SCHEME_GROUP, Config
from ..errors import ConfigError
from .defaults import LOCAL_SCHEMES, VERSION_SCHEME

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = [
    "PROVIDER",
    "check_config_schemes",
    "check_scheme",
    "find_scheme",
    "is_builtin_default",
    "known_schemes",
]

PROVIDER = "vcs-versioning"
"""The distribution whose entry points hold the built-in schemes."""

_found: dict[tuple[str, str], EntryPoint] = {}
"""Entry points :func:`find_scheme` found, by (group, name). A miss is not remembered: a test
(or a long-lived process) may install the plugin later."""


def is_builtin_default(group: str, name: str) -> bool:
    """True for the names :mod:`vcrelease.version.defaults` computes: never looked up."""
    if group == VERSION_SCHEME_GROUP:
        return name == VERSION_SCHEME
    return group == LOCAL_SCHEME_GROUP and name in LOCAL_SCHEMES


def find_scheme(group: str, name: str) -> EntryPoint | None:
    """The entry point ``name`` of ``group``: vcs-versioning's own, else the first one any
    installed distribution registers; None when there is none."""
    found = _found.get((group, name))
    if found is not None:
        return found
    from importlib.metadata import PackageNotFoundError, distribution, entry_points

    try:
        own = distribution(PROVIDER).entry_points.select(group=group, name=name)
    except PackageNotFoundError:
        own = None
    for entry_point in own or entry_points(group=group, name=name):
        _found[(group, name)] = entry_point
        return entry_point
    return None


def known_schemes(group: str) -> list[str]:
    """The names of every installed scheme of ``group``, sorted (for error messages)."""
    from importlib.metadata import entry_points

    return sorted({entry_point.name for entry_point in entry_points(group=group)})


def check_scheme(name: str, group: str, where: str) -> str:
    """``name`` when it is a default scheme (:func:`is_builtin_default`, no look-up) or an
    installed scheme of the entry-point ``group`` (:func:`find_scheme`).

    Raises:
        ConfigError: no such scheme; the message names ``where`` and lists the known names.
    """
    if not is_builtin_default(group, name) and find_scheme(group, name) is None:
        key = "version-scheme" if group == VERSION_SCHEME_GROUP else "local-scheme"
        raise ConfigError(
            f"{where}: {key} {name!r} is not a known scheme. "
            f"Known: {', '.join(known_schemes(group))}."
        )
    return name


def check_config_schemes(config: Config) -> None:
    """Check the scheme names ``config`` sets; the defaults cost no look-up.

    Raises:
        ConfigError: as :func:`check_scheme`.
    """
    check_scheme(config.version_scheme, VERSION_SCHEME_GROUP, config.where)
    if config.local_scheme is not None:
        check_scheme(config.local_scheme, LOCAL_SCHEME_GROUP, config.where)
