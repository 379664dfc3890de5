"""``SETUPTOOLS_SCM_PRETEND_METADATA[_FOR_<DIST>]``: fields of the repository state, pretended.

setuptools-scm's docs ("Overrides", "Pretend Metadata"; vcs-versioning 2.6
``_overrides._apply_metadata_overrides``): a TOML inline table whose fields replace those of
the version's repository state before the schemes format it: ``tag``, ``distance``, ``node``
(with git's ``g`` prefix: ``g1337beef``), ``dirty``, ``branch``, ``node_date`` (a TOML
date), ``time`` (a TOML datetime, the build time local schemes stamp), ``preformatted``
(true: the tag is the version as it is). Read under vcrelease's, setuptools-scm's and
vcs-versioning's names (:mod:`vcrelease.envvars`).

Where vcs-versioning logs a table it cannot read and goes on, vcrelease stops: a value that
is not TOML, a field it does not know or a value of the wrong type is a
:class:`~vcrelease.errors.ConfigError` (exit 2) naming the variable. A finished version (a
pretend version, ``PKG-INFO``, ``fallback-version``) takes only ``node``: it states the
commit in the version file, as the version string is already made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timezone
from typing import Any, NamedTuple

from ..envconfig import parse_toml_table
from ..envvars import Found
from ..errors import ConfigError
from ..git import Describe

__all__ = [
    "FIELDS",
    "PretendMetadata",
    "apply_to_describe",
    "parse_pretend_metadata",
]

FIELDS: dict[str, tuple[type, ...]] = {
    "tag": (str,),
    "distance": (int,),
    "node": (str,),
    "dirty": (bool,),
    "preformatted": (bool,),
    "branch": (str,),
    "node_date": (date,),
    "time": (datetime,),
}
"""The fields setuptools-scm lets the variable set (``PretendMetadataDict``) and their types."""


class PretendMetadata(NamedTuple):
    """The fields a variable pretends.

    Attributes:
        found: the variable and its text.
        fields: field name -> TOML value, checked against :data:`FIELDS`.
    """

    found: Found
    fields: dict[str, Any]

    def node(self) -> str | None:
        """The pretended commit without git's ``g`` prefix, or None."""
        value = self.fields.get("node")
        return None if value is None else str(value).removeprefix("g")

    def describe(self) -> str:
        """``distance=4, node='g1337beef' (SETUPTOOLS_SCM_PRETEND_METADATA)``."""
        shown = ", ".join(f"{k}={v!r}" for k, v in self.fields.items())
        return f"{shown} ({self.found.variable})"


def parse_pretend_metadata(found: Found) -> PretendMetadata:
    """The pretended fields of the variable ``found`` (:func:`vcrelease.envvars.lookup`'s
    answer for ``PRETEND_METADATA``).

    Raises:
        ConfigError: not a TOML table, an unknown field, or a value of the wrong type.
    """
    table = parse_toml_table(found.value, found.variable)
    for key, value in table.items():
        types = FIELDS.get(key)
        if types is None:
            raise ConfigError(
                f"{found.variable}: unknown field {key!r}. The fields are "
                f"{', '.join(FIELDS)} (setuptools-scm's pretend metadata)."
            )
        wrong_bool = isinstance(value, bool) and bool not in types
        if wrong_bool or not isinstance(value, types):
            raise ConfigError(
                f"{found.variable}: {key} = {value!r} must be a {types[0].__name__} "
                f"(e.g. {_EXAMPLES[key]})."
            )
    return PretendMetadata(found, table)


_EXAMPLES = {
    "tag": 'tag = "v1.2.3"',
    "distance": "distance = 4",
    "node": 'node = "g1337beef"',
    "dirty": "dirty = true",
    "preformatted": "preformatted = true",
    "branch": 'branch = "main"',
    "node_date": "node_date = 2024-01-15",
    "time": "time = 2024-01-15T10:00:00Z",
}


def apply_to_describe(
    state: Describe, metadata: PretendMetadata, parse_tag: Callable[[str], str | None]
) -> tuple[Describe, datetime | None, bool]:
    """``state`` with the pretended fields, the pretended build ``time`` (or None), and
    whether the tag is to be used as the version as it is (``preformatted``).

    Raises:
        ConfigError: a pretended ``tag`` that is not a version.
    """
    fields = metadata.fields
    changes: dict[str, Any] = {}
    if "tag" in fields:
        tag = str(fields["tag"])
        version = parse_tag(tag) or _plain_version(tag)
        if version is None:
            raise ConfigError(
                f"{metadata.found.variable}: tag = {tag!r} is not a version tag. Give a tag "
                'such as "v1.2.3".'
            )
        changes.update(tag=tag, tag_version=version)
    if "distance" in fields:
        changes["distance"] = fields["distance"]
    if "node" in fields:
        changes["node"] = metadata.node()
    if "dirty" in fields:
        changes["dirty"] = fields["dirty"]
    if "branch" in fields:
        changes["branch"] = fields["branch"]
    if "node_date" in fields:
        value = fields["node_date"]
        if not isinstance(value, datetime):
            value = datetime.combine(value, time(), timezone.utc)
        changes["commit_time"] = value
    now = fields.get("time")
    if isinstance(now, datetime) and now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return state._replace(**changes), now, bool(fields.get("preformatted", False))


def _plain_version(text: str) -> str | None:
    from packaging.version import InvalidVersion, Version

    try:
        return str(Version(text))
    except InvalidVersion:
        return None
