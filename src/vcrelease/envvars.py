"""The environment variables vcrelease reads under three prefixes: its own and setuptools-scm's.

A project that moves from setuptools-scm or hatch-vcs keeps the variables its users, CI
recipes and distribution packagers set. vcs-versioning 2.6 (``vcs_versioning.overrides``,
``EnvReader``; setuptools-scm's docs, "Environment Variables" and "Overrides") reads each
setting ``NAME`` as ``TOOL_NAME_FOR_<DIST>`` for every tool prefix, then ``TOOL_NAME`` for every
prefix, in the order ``SETUPTOOLS_SCM``, ``VCS_VERSIONING``. vcrelease reads the same names
in the same order, with its own prefix first in each group:

1. ``VCRELEASE_NAME_FOR_<DIST>``, ``SETUPTOOLS_SCM_NAME_FOR_<DIST>``,
   ``VCS_VERSIONING_NAME_FOR_<DIST>``;
2. ``VCRELEASE_NAME``, ``SETUPTOOLS_SCM_NAME``, ``VCS_VERSIONING_NAME``.

``<DIST>`` is the distribution name canonicalised as PEP 503 says (runs of ``-``, ``_``, ``.``
as one ``-``, lower case), then ``-`` as ``_`` and upper case (vcs-versioning's
``dist_env_suffix``: ``My.Package`` -> ``MY_PACKAGE``). When none of those names is set, a
``..._FOR_`` variable whose suffix canonicalises to the same name (``..._FOR_my-package``) is
taken, as vcs-versioning takes it; :class:`Found` then says which spelling was expected.

An empty value of a setuptools-scm or vcs-versioning variable counts as unset (hatch-vcs'
README: "when defined and not empty"; vcs-versioning ignores an empty pretend version); an
empty vcrelease variable is kept, so its own check reports it.

Pure: the caller passes the environment. Standard library only (the build plugins import
this on every build).
"""

import re
from collections.abc import Mapping
from typing import NamedTuple

__all__ = [
    "LEGACY_TOOLS",
    "TOOLS",
    "Found",
    "candidate_names",
    "debug_level",
    "dist_suffix",
    "lookup",
    "variable_name",
]

TOOLS = ("VCRELEASE", "SETUPTOOLS_SCM", "VCS_VERSIONING")
"""The prefixes, in the order their variables are read within each group."""
LEGACY_TOOLS = TOOLS[1:]
"""setuptools-scm's and vcs-versioning's prefixes (vcs-versioning's ``tool_names`` under
setuptools-scm)."""
_SEPARATORS = re.compile(r"[-_.]+")


class Found(NamedTuple):
    """One variable's value and how it was chosen.

    Attributes:
        variable: the variable read (``SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG``).
        value: its value.
        shadowed: the other candidate variables that are set too, which lose to it (in
            precedence order), for ``--explain``.
        expected: when ``variable`` is a respelling of the dist name (``..._FOR_my-pkg``), the
            name vcrelease looked for first; else None.
    """

    variable: str
    value: str
    shadowed: tuple[str, ...] = ()
    expected: str | None = None


def dist_suffix(dist_name: str) -> str:
    """``My.Package`` -> ``MY_PACKAGE`` (PEP 503 normalisation, then ``-`` as ``_``)."""
    return _SEPARATORS.sub("_", dist_name.lower()).upper()


def variable_name(tool: str, name: str, dist_name: str | None = None) -> str:
    """``TOOL_NAME``, or ``TOOL_NAME_FOR_<DIST>`` with ``dist_name``."""
    if dist_name is None:
        return f"{tool}_{name}"
    return f"{tool}_{name}_FOR_{dist_suffix(dist_name)}"


def candidate_names(
    name: str, dist_name: str | None, tools: tuple[str, ...] = TOOLS
) -> tuple[str, ...]:
    """Every variable read for the setting ``name``, first match first (see the module)."""
    generic = tuple(variable_name(tool, name) for tool in tools)
    if dist_name is None:
        return generic
    return tuple(variable_name(tool, name, dist_name) for tool in tools) + generic


def _unset(variable: str, value: str) -> bool:
    return value == "" and not variable.startswith(TOOLS[0] + "_")


def lookup(
    env: Mapping[str, str], name: str, dist_name: str | None, tools: tuple[str, ...] = TOOLS
) -> Found | None:
    """The variable that decides the setting ``name``, or None when none is set.

    Args:
        env: the environment.
        name: the setting (``PRETEND_VERSION``, ``PRETEND_METADATA``, ``OVERRIDES``, ``DEBUG``).
        dist_name: the distribution's name, or None (then only the generic names count).
        tools: the prefixes to read, in order.
    """
    names = candidate_names(name, dist_name, tools)
    present = [n for n in names if n in env and not _unset(n, env[n])]
    if present:
        return Found(present[0], env[present[0]], tuple(present[1:]))
    if dist_name is None:
        return None
    wanted = dist_suffix(dist_name)
    for tool in tools:
        prefix = f"{tool}_{name}_FOR_"
        for variable in sorted(env):
            value = env[variable]
            if (
                variable.startswith(prefix)
                and not _unset(variable, value)
                and dist_suffix(variable[len(prefix) :]) == wanted
            ):
                return Found(variable, value, (), variable_name(tool, name, dist_name))
    return None


def debug_level(env: Mapping[str, str]) -> tuple[str, int] | None:
    """``SETUPTOOLS_SCM_DEBUG`` / ``VCS_VERSIONING_DEBUG`` as (variable, logging level), or None
    when unset or ``0``.

    vcs-versioning's rule (``_environment._parse_debug``): ``1`` is ``DEBUG`` (10), another
    number is that level, a level name (``INFO``, ``error``) that level, any other text
    ``DEBUG``. ``VCRELEASE_DEBUG`` is not read here: it shows tracebacks of internal errors.
    """
    found = lookup(env, "DEBUG", None, LEGACY_TOOLS)
    if found is None:
        return None
    value = found.value.strip()
    levels = {"CRITICAL": 50, "FATAL": 50, "ERROR": 40, "WARN": 30, "WARNING": 30, "INFO": 20}
    if re.fullmatch(r"-?\d+", value):
        number = int(value)
        if number == 0:
            return None
        return found.variable, 10 if number == 1 else number
    return found.variable, levels.get(value.upper(), 10)
