"""Versions from outside a git repository: pretend-version variables, sdist ``PKG-INFO``,
``.git_archival.txt``.

- ``VCRELEASE_PRETEND_VERSION_FOR_<DIST>`` (the distribution name canonicalised per PEP 503,
  upper-cased, ``-`` as ``_``; setuptools-scm's spelling, its docs "Overriding version
  numbers") and ``VCRELEASE_PRETEND_VERSION`` override everything, and so do setuptools-scm's
  and vcs-versioning's names for them, in the order :mod:`vcrelease.envvars` gives.
- A project directory named ``PREFIX<version>`` (``parentdir-prefix``; setuptools-scm's
  ``parentdir_prefix_version``: an unpacked GitHub tarball) gives that version.
- ``PKG-INFO`` (core metadata, PEP 566 / packaging "Core metadata specifications") at the top
  of an unpacked sdist gives the version the sdist was built with.
- ``.git_archival.txt``, expanded by ``git archive`` through the ``export-subst`` attribute
  (gitattributes(5)), gives the node, the commit date and ``git describe`` output
  (setuptools-scm docs, "Builtin mechanisms for obtaining version numbers": git archives).
"""

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

from ..envvars import Found
from ..errors import ConfigError
from ..git import Describe

__all__ = [
    "ARCHIVAL_FILE",
    "ARCHIVAL_TEMPLATE",
    "GITATTRIBUTES_LINE",
    "Archival",
    "archival_describe",
    "parentdir_version",
    "pkg_info_version",
    "pretend_variable",
    "pretend_version",
    "read_archival",
]

ARCHIVAL_FILE = ".git_archival.txt"
ARCHIVAL_TEMPLATE = """\
node: $Format:%H$
node-date: $Format:%cI$
describe-name: $Format:%(describe:tags=true,match=*[0-9]*)$
"""
GITATTRIBUTES_LINE = ".git_archival.txt  export-subst"
PRETEND = "PRETEND_VERSION"
TOOL = "VCRELEASE"
_SEPARATORS = re.compile(r"[-_.]+")


def pretend_variable(dist_name: str | None) -> str:
    """The name of the pretend-version variable for ``dist_name`` (generic when None):
    ``VCRELEASE_PRETEND_VERSION_FOR_MY_PKG`` for ``My.Pkg`` (vcs-versioning's ``env_var_name``;
    done here, as importing vcs-versioning costs more than the rest of a run)."""
    if dist_name is None:
        return f"{TOOL}_{PRETEND}"
    # PEP 503 normalisation (``re.sub(r"[-_.]+", "-", name).lower()``), then "-" as "_".
    suffix = _SEPARATORS.sub("_", dist_name.lower()).upper()
    return f"{TOOL}_{PRETEND}_FOR_{suffix}"


def pretend_version(env: Mapping[str, str], dist_name: str | None) -> tuple[Found, str] | None:
    """The variable that pretends a version and the version (normalised), or None.

    Per-distribution variables win over generic ones, vcrelease's over setuptools-scm's over
    vcs-versioning's within each group (:func:`vcrelease.envvars.lookup`).

    Raises:
        ConfigError: the value is not a PEP 440 version.
    """
    from packaging.version import InvalidVersion, Version

    from ..envvars import lookup

    found = lookup(env, PRETEND, dist_name)
    if found is None:
        return None
    try:
        return found, str(Version(found.value))
    except InvalidVersion as exc:
        raise ConfigError(
            f"{found.variable}={found.value!r} is not a PEP 440 version. Set it to a version "
            "such as 1.2.3."
        ) from exc


def parentdir_version(
    project_dir: Path, prefix: str, parse_tag: Callable[[str], str | None]
) -> str | None:
    """The version in the project directory's name after ``prefix`` (``hatch-1.14.0`` with
    ``hatch-``: ``1.14.0``), read with the tag parser as setuptools-scm reads it with its tag
    regex; None when the name does not start with ``prefix`` or names no version."""
    name = project_dir.resolve().name
    if not name.startswith(prefix):
        return None
    return parse_tag(name[len(prefix) :])


def pkg_info_version(project_dir: Path) -> str | None:
    """The ``Version`` field of ``project_dir/PKG-INFO`` (an unpacked sdist), or None."""
    path = project_dir / "PKG-INFO"
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    from email.parser import HeaderParser  # only for an sdist: a few ms of import otherwise

    headers = HeaderParser().parsestr(text, headersonly=True)
    version = headers.get("Version")
    return version.strip() if version else None


class Archival(NamedTuple):
    """The fields of an expanded ``.git_archival.txt``.

    Attributes:
        node: 40-hex commit id, or None.
        node_date: commit time (aware datetime), or None.
        describe_name: ``git describe --tags`` output (``v1.2.3-5-gabc1234`` or ``v1.2.3``),
            or None when the archive was made from a commit no tag reaches.
    """

    node: str | None
    node_date: datetime | None
    describe_name: str | None


def read_archival(project_dir: Path) -> Archival | None:
    """Parse ``project_dir/.git_archival.txt``; None when absent or not expanded by git.

    An unexpanded file (``$Format:...$`` still in it) is what a git checkout holds: the
    repository itself is then the source of truth.
    """
    path = project_dir / ARCHIVAL_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    if "$Format:" in text:
        return None
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    node = fields.get("node") or None
    date_text = fields.get("node-date")
    node_date = None
    if date_text:
        try:
            node_date = datetime.fromisoformat(date_text.replace("Z", "+00:00"))
        except ValueError:
            node_date = None
    describe_name = fields.get("describe-name") or None
    if describe_name and "%(describe" in describe_name:
        describe_name = None  # git older than 2.32 leaves the placeholder
    return Archival(node, node_date, describe_name)


def archival_describe(
    archival: Archival, parse_tag: Callable[[str], str | None], root: Path
) -> Describe | None:
    """A :class:`Describe` from an expanded archival file, or None when it names no tag.

    ``parse_tag`` is the same tag parser the git path uses.
    """
    if not archival.describe_name or not archival.node:
        return None
    tag, distance = _split_describe(archival.describe_name)
    version = parse_tag(tag)
    if version is None:
        return None
    return Describe(
        tag=tag,
        tag_version=version,
        distance=distance,
        node=archival.node,
        dirty=False,
        dirty_files=(),
        branch=None,
        commit_time=archival.node_date or datetime.fromtimestamp(0, timezone.utc),
        shallow=False,
        root=root,
    )


def _split_describe(text: str) -> tuple[str, int]:
    """``v1.2.3-5-gabc1234`` -> (``v1.2.3``, 5); an exact ``v1.2.3`` -> (``v1.2.3``, 0)."""
    parts = text.rsplit("-", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].startswith("g"):
        return parts[0], int(parts[1])
    return text, 0
