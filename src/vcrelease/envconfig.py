"""The settings the environment overrides: ``SETUPTOOLS_SCM_OVERRIDES[_FOR_<DIST>]`` and
``SETUPTOOLS_SCM_WRITE_TO_SOURCE`` (also under ``VCS_VERSIONING_``; :mod:`vcrelease.envvars`).

setuptools-scm's docs ("Overrides", "Configuration Overrides"): a TOML table of its settings
in the variable, applied above ``pyproject.toml``; vcrelease translates the table as it
translates ``[tool.setuptools_scm]`` (:func:`vcrelease.migration.scm_options`) and
:func:`vcrelease.config.load_config` puts the result above ``[tool.vcrelease]``. The values
are read as vcs-versioning's ``load_toml_or_inline_map`` reads them (an inline table or a
document). A table vcrelease cannot read or honour stops with the variable named (setuptools-scm
logs it and goes on).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from .envvars import LEGACY_TOOLS, lookup
from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["env_overrides", "parse_toml_table", "with_overrides"]


def env_overrides(env: Mapping[str, str], dist_name: str | None) -> list[tuple[str, str, Any]]:
    """``(key, where, value)`` for each ``[tool.vcrelease]`` key the environment overrides:
    ``SETUPTOOLS_SCM_OVERRIDES_FOR_<DIST>`` (setuptools-scm keys, a TOML table) and
    ``SETUPTOOLS_SCM_WRITE_TO_SOURCE`` (both also under ``VCS_VERSIONING_``).

    Raises:
        ConfigError: the value is not TOML, or holds a setting without an equivalent.
    """
    out: list[tuple[str, str, Any]] = []
    found = lookup(env, "OVERRIDES", dist_name, LEGACY_TOOLS)
    if found is not None:
        from .migration import Migration, scm_options  # only with such a variable set

        table = parse_toml_table(found.value, found.variable)
        migration = Migration()
        scm_options(table, found.variable, migration, None)
        if migration.unsupported:
            raise ConfigError(
                f"{found.variable} sets what vcrelease cannot honour:\n  - "
                + "\n  - ".join(f"{s}: {why}" for s, why in migration.unsupported)
                + f"\nRemove those keys from {found.variable}."
            )
        for key, value in migration.vcrelease.items():
            out.append((key, migration.sources[key], value))
    found = lookup(env, "WRITE_TO_SOURCE", dist_name, LEGACY_TOOLS)
    if found is not None:
        flag = found.value.strip().lower()
        if flag not in ("1", "true", "yes", "0", "false", "no"):
            raise ConfigError(
                f"{found.variable}={found.value!r} is not a yes or no. Set it to 1, true or "
                "yes (write the version file into the work tree) or 0, false or no."
            )
        out.append(("write-to-source", found.variable, flag in ("1", "true", "yes")))
    return out


def parse_toml_table(text: str, variable: str) -> dict[str, Any]:
    """A variable's TOML value: an inline table (``{local_scheme = "dirty-tag"}``) or a
    document, as vcs-versioning's ``load_toml_or_inline_map`` reads it.

    Raises:
        ConfigError: not TOML (names the variable).
    """
    try:
        if text.strip().startswith("{"):
            value = tomllib.loads(f"value = {text.strip()}")["value"]
        else:
            value = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{variable}={text!r} is not a TOML table ({exc}). Write it as an inline table, "
            'e.g. {local_scheme = "no-local-version"}.'
        ) from exc
    if not isinstance(value, dict):
        raise ConfigError(f"{variable}={text!r} is not a TOML table.")
    return value


def with_overrides(
    section: dict[str, Any], origins: dict[str, str], overrides: list[tuple[str, str, Any]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """``section`` with the environment's keys on top; one of ``tag-prefix`` and
    ``tag-pattern`` replaces the other."""
    section, origins = dict(section), dict(origins)
    rival = {"tag-prefix": "tag-pattern", "tag-pattern": "tag-prefix"}
    for key, where, value in overrides:
        if key in rival:
            section.pop(rival[key], None)
            origins.pop(rival[key], None)
        section[key] = value
        origins[key] = where
    return section, origins
