"""``[tool.vcrelease]`` in ``pyproject.toml`` -> a validated, frozen :class:`Config`.

Keys (all optional): :data:`KEY_REFERENCE` holds each with its default and meaning (the
documentation's configuration reference is generated from it); :data:`KEYS` is its key list.
The environment variables vcrelease reads are in :data:`ENVIRONMENT_VARIABLES`.

Settings left from setuptools-scm, vcs-versioning or hatch-vcs (:mod:`vcrelease.migration`)
are honoured in a project that uses vcrelease, or refused naming each one without an
equivalent. ``SETUPTOOLS_SCM_OVERRIDES_FOR_<DIST>`` (and its other spellings,
:mod:`vcrelease.envvars`) overrides both, as setuptools-scm's docs ("Configuration
Overrides") put the environment above ``pyproject.toml``; ``SETUPTOOLS_SCM_WRITE_TO_SOURCE``
overrides ``write-to-source``. Unknown keys and bad values raise
:class:`~vcrelease.errors.ConfigError` (exit 2) naming the key and where it was set (the
table and key, or the variable: :attr:`Config.origins`).
"""

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = [
    "CI_LOCAL_SCHEME",
    "DEFAULT_LOCAL_SCHEME",
    "DEFAULT_TAG_PATTERN",
    "DEFAULT_VERSION_SCHEME",
    "DISTANCE_COUNTS",
    "ENVIRONMENT_VARIABLES",
    "KEYS",
    "KEY_REFERENCE",
    "LOCAL_SCHEME_GROUP",
    "VERSION_SCHEME_GROUP",
    "Config",
    "check_tag_pattern",
    "config_from_mapping",
    "has_vcrelease_section",
    "load_config",
    "local_scheme_for",
    "read_pyproject",
]

from .configkeys import (
    CI_LOCAL_SCHEME,
    DEFAULT_LOCAL_SCHEME,
    DEFAULT_TAG_PATTERN,
    DEFAULT_VERSION_SCHEME,
    DISTANCE_COUNTS,
    ENVIRONMENT_VARIABLES,
    KEY_REFERENCE,
    KEYS,
    LOCAL_SCHEME_GROUP,
    VERSION_SCHEME_GROUP,
)


class Config(NamedTuple):
    """Validated ``[tool.vcrelease]`` settings.

    Attributes:
        tag_pattern: compiled tag regex with a ``version`` group or a single group.
        version_scheme: version scheme name (an entry point of ``setuptools_scm.version_scheme``).
        local_scheme: local scheme name (an entry point of ``setuptools_scm.local_scheme``), or
            None when not configured: :func:`local_scheme_for` then picks by context.
        version_file: ``/``-separated path relative to the project directory, or None.
        fallback_version: PEP 440 version string, or None.
        dist_name: ``[project] name`` when present.
        present: True when ``[tool.vcrelease]`` exists in the file.
        dev_number: ``distance``, ``run`` or ``commit-time``, or None when not configured
            (:func:`vcrelease.version.devnumber.choose_dev_number` then picks by context).
        where: where the settings come from, for messages (``[tool.vcrelease] in PATH``).
        pin_siblings: ``pin-siblings``: False (off), True (every sibling) or the names.
        dependencies: ``dependencies`` (the unpinned list), or None when not configured.
        distance_scope: ``distance-scope``: None (off), or the scope paths as written,
            ``("." ,)`` for ``true`` (relative to the project directory; ``:/`` entries
            relative to the repository's top), ``/``-separated.
        distance_count: ``full-history`` or ``first-parent`` (:data:`DISTANCE_COUNTS`).
        origins: ``(key, where it was set)`` for every key that did not come from
            ``[tool.vcrelease]`` (``("tag-pattern", "[tool.setuptools_scm] tag_regex in
            PATH")``, ``("local-scheme", "SETUPTOOLS_SCM_OVERRIDES_FOR_PKG local_scheme")``).
        version_file_template: ``version-file-template``, or None (the built-in content).
        write_to_source: ``write-to-source``: the version file in the work tree on every build.
        parentdir_prefix: ``parentdir-prefix``, or None.
        root: ``root``: ``/``-separated path relative to the project directory whose
            repository is read, or None (the project directory).

    Scheme names are checked against the installed schemes where they are used
    (:func:`vcrelease.version.schemes.check_scheme`): this module reads no entry points.
    """

    tag_pattern: re.Pattern[str] = re.compile(DEFAULT_TAG_PATTERN)
    version_scheme: str = DEFAULT_VERSION_SCHEME
    local_scheme: str | None = None
    version_file: str | None = None
    fallback_version: str | None = None
    dist_name: str | None = None
    present: bool = False
    dev_number: str | None = None
    where: str = "the defaults"
    pin_siblings: bool | tuple[str, ...] = False
    dependencies: tuple[str, ...] | None = None
    distance_scope: tuple[str, ...] | None = None
    distance_count: str = DISTANCE_COUNTS[0]
    origins: tuple[tuple[str, str], ...] = ()
    version_file_template: str | None = None
    write_to_source: bool = False
    parentdir_prefix: str | None = None
    root: str | None = None

    def origin(self, key: str) -> str:
        """Where ``key`` was set, for messages: ``[tool.setuptools_scm] tag_regex in PATH``,
        or ``[tool.vcrelease] KEY`` with :attr:`where`'s file."""
        return dict(self.origins).get(key) or _origin_in(self.where, key)


def _origin_in(where: str, key: str) -> str:
    """``[tool.vcrelease] in PATH`` and ``key`` -> ``[tool.vcrelease] key in PATH``."""
    table, sep, rest = where.partition(" in ")
    return f"{table} {key}{sep}{rest}" if table.startswith("[") else f"{key} ({where})"


def read_pyproject(project_dir: Path) -> dict[str, Any]:
    """The parsed ``pyproject.toml`` of ``project_dir``, or ``{}`` when there is none.

    Raises:
        ConfigError: the file is not valid TOML.
    """
    path = project_dir / "pyproject.toml"
    try:
        with path.open("rb") as f:
            data: dict[str, Any] = tomllib.load(f)
            return data
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}). Fix the file's syntax.") from exc


def has_vcrelease_section(project_dir: Path) -> bool:
    """True when ``project_dir/pyproject.toml`` has a ``[tool.vcrelease]`` table."""
    return "vcrelease" in read_pyproject(project_dir).get("tool", {})


def load_config(project_dir: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate ``[tool.vcrelease]`` of ``project_dir/pyproject.toml``, with the old
    settings it does not set and the environment's overrides (see the module).

    A missing file or table gives the defaults.

    Args:
        project_dir: the directory holding ``pyproject.toml``.
        env: the environment (default ``os.environ``), for the override variables.

    Raises:
        ConfigError: unknown key, wrong type or bad value (the message names the key and
            where it was set).
    """
    env = os.environ if env is None else env
    data = read_pyproject(project_dir)
    tool = data.get("tool")
    section = tool.get("vcrelease") if isinstance(tool, dict) else None
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    dist_name = name if isinstance(name, str) else None
    old = _old_tables(data)
    pyproject = project_dir / "pyproject.toml"
    where = f"[tool.vcrelease] in {pyproject}"
    from .envconfig import env_overrides, with_overrides

    overrides = env_overrides(env, _dist_name_for_env(section, dist_name))
    if section is None and not (old and _uses_hatch_source(data)) and not overrides:
        return Config(dist_name=dist_name)
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise ConfigError(f"{where} must be a table.")
    origins: dict[str, str] = {}
    if old:
        section = _with_legacy(data, section, pyproject, origins)
    if overrides:
        section, origins = with_overrides(section, origins, overrides)
    return config_from_mapping(section, where=where, dist_name=dist_name, origins=origins)


def _dist_name_for_env(section: object, dist_name: str | None) -> str | None:
    """The name the ``..._FOR_<DIST>`` variables use: ``dist-name``, else ``[project] name``."""
    if isinstance(section, dict) and isinstance(section.get("dist-name"), str):
        return str(section["dist-name"])
    return dist_name


def _old_tables(data: dict[str, Any]) -> bool:
    """Whether ``pyproject.toml`` has a table an old setting may live in
    (``[tool.setuptools_scm]``, ``[tool.vcs-versioning]``, ``[tool.hatch]``): only then is
    :mod:`vcrelease.migration` imported (it is not on the start-up path otherwise)."""
    tool = data.get("tool")
    return isinstance(tool, dict) and any(
        name in tool for name in ("setuptools_scm", "vcs-versioning", "hatch")
    )


def _uses_hatch_source(data: dict[str, Any]) -> bool:
    from .migration import uses_hatch_source

    return uses_hatch_source(data, "vcrelease")


def _with_legacy(
    data: dict[str, Any], section: dict[str, Any], pyproject: Path, origins: dict[str, str]
) -> dict[str, Any]:
    """``section`` plus the old settings it does not set (:func:`vcrelease.migration.translate`);
    ``origins`` gets where each of those came from.

    Raises:
        ConfigError: an old setting has no equivalent, or says otherwise than ``section``.
    """
    from .migration import LEGACY_TABLES, translate

    migration = translate(data, pyproject.parent)
    problems = [f"{setting}: {why}" for setting, why in migration.unsupported]
    for key, value in migration.vcrelease.items():
        if key in section and section[key] != value:
            problems.append(
                f"{migration.sources[key]} = {value!r} and [tool.vcrelease] {key} = "
                f"{section[key]!r} disagree"
            )
    if problems:
        raise ConfigError(
            f"{pyproject} still holds old versioning settings ({', '.join(LEGACY_TABLES)}) "
            "that vcrelease cannot honour:\n  - "
            + "\n  - ".join(problems)
            + "\nRun `vcrelease migrate "
            f"{pyproject.parent}` to see the equivalent [tool.vcrelease] table, then remove "
            "the old settings."
        )
    for key in migration.vcrelease:
        if key not in section:
            origins[key] = f"{migration.sources[key]} in {pyproject}"
    return {**migration.vcrelease, **section}


def config_from_mapping(
    section: dict[str, Any],
    *,
    where: str,
    dist_name: str | None,
    origins: Mapping[str, str] | None = None,
) -> Config:
    """Validate a ``[tool.vcrelease]``-shaped mapping (keys as in the TOML file).

    ``origins`` names where each key not written in ``where`` came from (an old table's
    setting, an environment variable); messages name that place.

    Raises:
        ConfigError: as :func:`load_config`.
    """
    origins = dict(origins or {})

    def at(key: str) -> str:
        return origins.get(key) or _origin_in(where, key)

    unknown = sorted(set(section) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {', '.join(repr(k) for k in unknown)}. "
            f"Known keys: {', '.join(KEYS)}."
        )
    # Not strings: lists, a boolean, and promotion-requires (a table read by `vcrelease
    # promote`, not a version setting).
    lists = (
        "pin-siblings",
        "dependencies",
        "distance-scope",
        "write-to-source",
        "promotion-requires",
    )
    values = {
        key: _string(section, key, at(key)) for key in KEYS if key in section and key not in lists
    }
    if "tag-prefix" in values:
        if "tag-pattern" in values:
            raise ConfigError(
                f"tag-prefix (set by {at('tag-prefix')}) and tag-pattern (set by "
                f"{at('tag-pattern')}) exclude each other; keep one (tag-prefix for a "
                "literal prefix before the version) and remove the other where it is set."
            )
        values["tag-pattern"] = tag_prefix_pattern(values["tag-prefix"])
        origins.setdefault("tag-pattern", at("tag-prefix"))
    if "distance-count" in values and section.get("distance-scope", False) is False:
        raise ConfigError(
            f"{at('distance-count')}: distance-count only chooses how distance-scope counts; "
            "add distance-scope = true (or a list of paths), or remove distance-count."
        )
    if "version-file-template" in values and "version-file" not in values:
        raise ConfigError(
            f"{at('version-file-template')}: a version-file-template needs a version-file "
            "to write; add version-file, or remove the template."
        )
    write_to_source = section.get("write-to-source", False)
    if not isinstance(write_to_source, bool):
        raise ConfigError(
            f"{at('write-to-source')}: write-to-source must be true or false, "
            f"got {write_to_source!r}."
        )
    dist = values.get("dist-name", dist_name)
    return Config(
        tag_pattern=check_tag_pattern(
            values.get("tag-pattern", DEFAULT_TAG_PATTERN), at("tag-pattern")
        ),
        version_scheme=values.get("version-scheme", DEFAULT_VERSION_SCHEME),
        local_scheme=values.get("local-scheme"),
        version_file=_check_version_file(values.get("version-file"), at("version-file")),
        fallback_version=_check_version(
            values.get("fallback-version"), "fallback-version", at("fallback-version")
        ),
        dist_name=dist,
        present=True,
        where=where,
        dev_number=_check_dev_number(values.get("dev-number"), at("dev-number")),
        pin_siblings=_check_pin_siblings(section.get("pin-siblings", False), at("pin-siblings")),
        dependencies=_check_dependencies(section.get("dependencies"), at("dependencies")),
        distance_scope=_check_distance_scope(
            section.get("distance-scope", False), at("distance-scope")
        ),
        distance_count=_check_distance_count(values.get("distance-count"), at("distance-count")),
        origins=tuple(sorted(origins.items())),
        version_file_template=values.get("version-file-template"),
        write_to_source=write_to_source,
        parentdir_prefix=values.get("parentdir-prefix"),
        root=_check_root(values.get("root"), at("root")),
    )


def _check_root(value: str | None, where: str) -> str | None:
    """``root``: a relative ``/``-separated path, normalised (``a/../b`` -> ``b``); ``.``
    is None."""
    if value is None:
        return None
    text = value.replace("\\", "/")
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        raise ConfigError(
            f"{where}: root {value!r} must be relative to the project directory "
            '(e.g. root = ".." for a project one level below the repository\'s top).'
        )
    normal = os.path.normpath(text).replace("\\", "/")
    return None if normal == "." else normal


def _check_distance_scope(value: object, where: str) -> tuple[str, ...] | None:
    """``distance-scope``: false -> None, true -> ``(".",)``, a list -> its paths, each
    ``/``-separated and normalised (``a/./b/`` -> ``a/b``).

    Raises:
        ConfigError: another type, an empty list or entry, an absolute path (``/x``,
            ``C:/x``), a backslash, or a glob character (paths are literal).
    """
    fix = (
        "Use distance-scope = true (the project directory) or a list of paths relative to "
        'it, e.g. distance-scope = [".", "../shared"] (":/shared" is relative to the '
        "repository's top)."
    )
    if value is False:
        return None
    if value is True:
        return (".",)
    if not isinstance(value, list) or not value:
        raise ConfigError(
            f"{where}: distance-scope must be true, false or a non-empty list of paths, "
            f"got {value!r}. {fix}"
        )
    out: list[str] = []
    for entry in value:
        if not isinstance(entry, str) or not entry.strip():
            raise ConfigError(
                f"{where}: distance-scope entries must be non-empty strings, got {entry!r}. {fix}"
            )
        top = entry.startswith(":/")
        body = entry[2:] if top else entry
        if (
            "\\" in body
            or body.startswith("/")
            or re.match(r"^[A-Za-z]:", body)
            or re.search(r"[*?\[]", body)
        ):
            raise ConfigError(
                f"{where}: distance-scope entry {entry!r} must be a relative, literal path "
                f"(no absolute path, backslash or glob character). {fix}"
            )
        parts = [p for p in body.split("/") if p not in ("", ".")]
        normal = "/".join(parts) or "."
        out.append(":/" + ("" if normal == "." else normal) if top else normal)
    return tuple(dict.fromkeys(out))


def _check_distance_count(value: str | None, where: str) -> str:
    if value is None:
        return DISTANCE_COUNTS[0]
    if value not in DISTANCE_COUNTS:
        raise ConfigError(
            f"{where}: distance-count {value!r} is not one of {', '.join(DISTANCE_COUNTS)}. "
            'Use distance-count = "full-history" (every commit that touches the scope) or '
            '"first-parent" (only the first-parent line, e.g. merges into main).'
        )
    return value


def _check_pin_siblings(value: object, where: str) -> bool | tuple[str, ...]:
    if isinstance(value, bool):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise ConfigError(
        f"{where}: pin-siblings must be true, false or a non-empty list of project names "
        f'(pin-siblings = ["pkg-b"]), got {value!r}.'
    )


def _check_dependencies(value: object, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f"{where}: dependencies must be a list of requirement strings, got {value!r}."
        )
    from packaging.requirements import InvalidRequirement, Requirement

    for item in value:
        try:
            Requirement(item)
        except InvalidRequirement as exc:
            raise ConfigError(
                f"{where}: dependencies: {item!r} is not a PEP 508 requirement ({exc})."
            ) from exc
    return tuple(value)


def tag_prefix_pattern(prefix: str) -> str:
    """``tag-prefix`` as a tag pattern: the prefix, literally, then the version (a local part
    ``+...`` dropped, as the default pattern does)."""
    return rf"^{re.escape(prefix)}(?P<version>[^+]+)(?:\+.*)?$"


def local_scheme_for(config: Config, *, in_ci: bool) -> str:
    """The local scheme in effect: the configured one, else ``no-local-version`` in CI and
    ``node-and-date`` elsewhere (``docs/architecture.md``, "The version rules": a local label
    by default on a developer's machine, never in what is uploaded)."""
    if config.local_scheme is not None:
        return config.local_scheme
    return CI_LOCAL_SCHEME if in_ci else DEFAULT_LOCAL_SCHEME


def _string(section: dict[str, Any], key: str, where: str) -> str:
    value = section[key]
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: {key} must be a non-empty string, got {value!r}.")
    return value


def check_tag_pattern(pattern: str, where: str) -> re.Pattern[str]:
    """Compile a tag pattern; it needs a ``version`` group or exactly one group.

    Raises:
        ConfigError: the regex does not compile or has no version group.
    """
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ConfigError(
            f"{where}: tag-pattern {pattern!r} is not a valid regular expression ({exc})."
        ) from exc
    if regex.groups == 0 or (regex.groups > 1 and "version" not in regex.groupindex):
        raise ConfigError(
            f"{where}: tag-pattern {pattern!r} has no group for the version. Add a named "
            r"group, e.g. '^pkg-a/v(?P<version>\d.*)$'."
        )
    return regex


def _check_dev_number(value: str | None, where: str) -> str | None:
    choices = ("distance", "run", "commit-time")  # vcrelease.version.devnumber.DEV_NUMBERS
    if value is not None and value not in choices:
        raise ConfigError(f"{where}: dev-number {value!r} is not one of {', '.join(choices)}.")
    return value


def _check_version_file(value: str | None, where: str) -> str | None:
    if value is None:
        return None
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or path.suffix not in (".py", ".txt"):
        raise ConfigError(
            f"{where}: version-file {value!r} must be a relative path inside the project "
            "ending in .py or .txt, e.g. 'src/mypkg/_version.py'."
        )
    return str(path)


def _check_version(value: str | None, key: str, where: str) -> str | None:
    if value is None:
        return None
    from packaging.version import InvalidVersion, Version

    try:
        return str(Version(value))
    except InvalidVersion as exc:
        raise ConfigError(f"{where}: {key} {value!r} is not a PEP 440 version.") from exc
