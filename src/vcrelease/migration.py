"""setuptools-scm, vcs-versioning and hatch-vcs settings -> ``[tool.vcrelease]`` (pure).

One translation serves two callers: ``vcrelease migrate`` (prints it, ``--write`` applies it)
and :func:`vcrelease.config.load_config`, which honours the settings a project left behind
when it switched to vcrelease, or stops naming each one that has no equivalent: nothing is
ignored silently.

The tables read (keys as in setuptools-scm's "Configuration" docs and hatch-vcs' README):

- ``[tool.setuptools_scm]`` and ``[tool.vcs-versioning]`` (with ``[...scm.git]``);
- ``[tool.hatch.version]`` (``source = "vcs"``): ``tag-pattern``, ``fallback-version``,
  ``raw-options`` (setuptools-scm keys);
- ``[tool.hatch.build.hooks.vcs]``: ``version-file``.

``scm.git.distance_scope`` and ``scm.git.distance_count`` (vcs-versioning 2.6,
``GitConfiguration``) become ``distance-scope`` and ``distance-count``: ``true`` (or ``[]``,
which vcs-versioning reads as ``true``) stays ``true``; a list, whose paths vcs-versioning
takes relative to the repository's top and adds to the project's own directory, becomes
``[".", ":/PATH", ...]`` (``:/`` marks a path from the top); ``distance_count`` without a
scope has no effect there and is dropped.

``git_describe_command`` is translated when it is ``git describe`` with flags vcrelease
always applies (``--tags``, ``--long``, ``--dirty``, ``--always``, ``--abbrev=N``) and one
``--match GLOB``: ``PREFIX*`` becomes ``tag-prefix``, any other glob ``tag-pattern``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

__all__ = [
    "LEGACY_TABLES",
    "Migration",
    "scm_options",
    "toml_string",
    "toml_value",
    "translate",
    "uses_hatch_source",
    "vcrelease_table",
]

LEGACY_TABLES = (
    "[tool.setuptools_scm]",
    "[tool.vcs-versioning]",
    "[tool.hatch.version]",
    "[tool.hatch.build.hooks.vcs]",
)

_DIRECT = {
    "version_scheme": "version-scheme",
    "local_scheme": "local-scheme",
    "fallback_version": "fallback-version",
    "version_file": "version-file",
    "write_to": "version-file",
    "tag_regex": "tag-pattern",
    "version_file_template": "version-file-template",
    "write_to_template": "version-file-template",
    "parentdir_prefix_version": "parentdir-prefix",
    "dist_name": "dist-name",
}
"""setuptools-scm keys whose value becomes a ``[tool.vcrelease]`` key's value as it is."""
_SAME_AS_VCRELEASE: dict[str, tuple[object, ...]] = {
    # key: the values that mean what vcrelease does anyway
    "normalize": (True,),
    "search_parent_directories": (True,),
    "fallback_root": (".", "./"),
    "version_cls": (
        "packaging.version.Version",
        "setuptools_scm.Version",
        "vcs_versioning.Version",
    ),
}
_NO_EQUIVALENT = {
    "version_cls": "versions are PEP 440 versions, normalised (packaging.version.Version)",
    "normalize": "versions are PEP 440 versions, normalised",
    "pre_parse": "vcrelease always reads the whole history as git describe does",
    "fallback_root": "the version of an unpacked sdist comes from the project directory's "
    "PKG-INFO: remove fallback_root",
    "scm": "only git is read",
    "parse": "a parse function has no equivalent: versions come from git tags",
    "search_parent_directories": "vcrelease always finds the repository at or above the "
    "project directory: remove it",
}
_PRE_PARSE = {
    "warn_on_shallow": None,
    "fail_on_shallow": None,
    "fetch_on_shallow": "vcrelease never fetches; a shallow clone that hides the tag stops the "
    "build with the fix (fetch-depth: 0, or git fetch --unshallow --tags)",
    "fail_on_missing_submodules": "vcrelease does not check submodules are checked out",
}
_DESCRIBE_FLAGS = re.compile(r"^--(?:tags|long|dirty|always|abbrev=\d+)$")


class Migration:
    """What a project's old settings become: a record filled in by :func:`translate` (a
    plain class: ``dataclasses`` is not imported on the start-up path, see
    ``docs/architecture.md``, "Records").

    Attributes:
        vcrelease: the ``[tool.vcrelease]`` keys (TOML names) the settings translate to:
            strings, and for ``distance-scope`` ``True`` or a list of strings.
        sources: for each key of :attr:`vcrelease`, the old setting it came from.
        unsupported: (old setting, why there is no equivalent), one per setting.
        tables: the old tables found (``[tool.setuptools_scm]``, ...), to remove.
        hatch_hook: True when ``[tool.hatch.build.hooks.vcs]`` asks for a version file
            (``[tool.hatch.build.hooks.vcrelease]`` does that now).
        metadata_urls: see :attr:`metadata_urls` below.
    """

    __slots__ = (
        "hatch_hook",
        "match_glob",
        "metadata_urls",
        "sources",
        "tables",
        "unsupported",
        "vcrelease",
    )

    def __init__(self) -> None:
        self.vcrelease: dict[str, Any] = {}
        self.sources: dict[str, str] = {}
        self.unsupported: list[tuple[str, str]] = []
        self.tables: list[str] = []
        self.hatch_hook = False
        self.metadata_urls: dict[str, str] | None = None
        """hatch-vcs' metadata hook ``urls`` (``[tool.hatch.metadata.hooks.vcs.urls]``), for
        ``[tool.hatch.metadata.hooks.vcrelease.urls]``, which fills in ``{commit_hash}`` the
        same way."""
        self.match_glob: tuple[str, str] | None = None
        """The ``git describe --match`` glob and its setting, applied last
        (:func:`translate`): alone it becomes ``tag-prefix`` or ``tag-pattern``; beside a
        ``tag_regex`` it narrows that pattern, as setuptools-scm applies both."""

    def __repr__(self) -> str:
        return f"Migration(vcrelease={self.vcrelease!r}, unsupported={self.unsupported!r})"

    def set(self, key: str, value: Any, source: str) -> None:
        if key in self.vcrelease and self.vcrelease[key] != value:
            self.unsupported.append(
                (source, f"conflicts with {self.sources[key]} (both set {key})")
            )
            return
        self.vcrelease[key] = value
        self.sources[key] = source


def glob_to_tag_setting(glob: str) -> tuple[str, str]:
    """A ``git describe --match`` glob -> (``tag-prefix``, prefix) or (``tag-pattern``, regex).

    ``hatch-v*`` -> ``("tag-prefix", "hatch-v")``; ``v[0-9]*`` -> a regex whose ``version``
    group is what follows the literal start (``fnmatch`` rules, where ``*`` crosses ``/`` as in
    ``git describe --match``).
    """
    if glob.endswith("*") and not re.search(r"[*?\[\\]", glob[:-1]):
        return "tag-prefix", glob[:-1]
    prefix, body = _glob_parts(glob)
    return "tag-pattern", f"^{re.escape(prefix)}(?P<version>(?={body}$).+)$"


def _glob_parts(glob: str) -> tuple[str, str]:
    """A glob -> (its literal start, a regex for the rest: ``*`` any run, ``?`` one
    character, ``[...]`` and ``[!...]`` classes)."""
    literal = re.match(r"[^*?\[\\]*", glob)
    prefix = literal.group(0) if literal else ""
    body = "".join(
        ".*" if c == "*" else "." if c == "?" else c if c in "[]!-^" else re.escape(c)
        for c in glob[len(prefix) :]
    ).replace("[!", "[^")
    return prefix, body


def _apply_match_glob(out: Migration) -> None:
    """Turn :attr:`Migration.match_glob` into settings: alone, :func:`glob_to_tag_setting`;
    beside a ``tag-pattern`` (a ``tag_regex``), a look-ahead in front of that pattern, so a
    tag must match the glob (``git describe --match``) and the regex, as in setuptools-scm."""
    if out.match_glob is None:
        return
    glob, source = out.match_glob
    pattern = out.vcrelease.get("tag-pattern")
    if pattern is None:
        key, setting = glob_to_tag_setting(glob)
        out.set(key, setting, source)
        return
    prefix, body = _glob_parts(glob)
    out.vcrelease["tag-pattern"] = f"^(?={re.escape(prefix)}{body}$)" + pattern
    out.sources["tag-pattern"] = f"{out.sources['tag-pattern']} and {source}"


def _describe_command(value: Any, source: str, out: Migration) -> None:
    import shlex  # only for describe_command written as one string

    words = shlex.split(value) if isinstance(value, str) else value
    if not isinstance(words, list) or words[:2] != ["git", "describe"]:
        out.unsupported.append((source, "only `git describe` commands translate"))
        return
    matches: list[str] = []
    rest = iter(words[2:])
    for word in rest:
        if word == "--match":
            matches.append(str(next(rest, "")))
        elif word.startswith("--match="):
            matches.append(word[len("--match=") :])
        elif not _DESCRIBE_FLAGS.match(str(word)):
            out.unsupported.append(
                (f"{source} ({word})", "vcrelease has no equivalent of this describe flag")
            )
            return
    if len(matches) > 1:
        out.unsupported.append((source, "several --match globs; write one tag-pattern"))
    elif matches:
        if out.match_glob is not None and out.match_glob[0] != matches[0]:
            out.unsupported.append((source, f"conflicts with {out.match_glob[1]}"))
        else:
            out.match_glob = (matches[0], source)


def _same_repository(project_dir: Path | None, root: object) -> bool:
    """Whether setuptools-scm's ``root`` (relative to ``project_dir``) names the top of the
    repository vcrelease finds anyway: the nearest directory at or above ``project_dir``
    holding ``.git`` (a directory or a worktree's file). False without a ``project_dir``."""
    if project_dir is None or not isinstance(root, str):
        return False
    wanted = os.path.realpath(os.path.join(project_dir, root))
    here = os.path.realpath(project_dir)
    while True:
        if os.path.lexists(os.path.join(here, ".git")):
            return here == wanted
        parent = os.path.dirname(here)
        if parent == here:
            return False
        here = parent


def scm_options(
    options: dict[str, Any], where: str, out: Migration, project_dir: Path | None = None
) -> None:
    """setuptools-scm / vcs-versioning settings (``options``, keys as in
    ``[tool.setuptools_scm]``) -> ``out``; ``where`` names their table or variable."""
    for key, value in options.items():
        source = f"{where} {key}"
        if key in _DIRECT and isinstance(value, list) and key.endswith("_scheme"):
            out.unsupported.append(
                (
                    source,
                    "a list of schemes has no equivalent: name one; for "
                    '["fail-on-uncommitted-changes", ...] use local_scheme = '
                    '"no-local-version-strict" (stops on a dirty tree, no local label)',
                )
            )
        elif key in _DIRECT and not isinstance(value, str):
            out.unsupported.append((source, f"{value!r} is not a string"))
        elif key in _DIRECT:
            out.set(_DIRECT[key], value, source)
        elif key == "write_to_source":
            if isinstance(value, bool):
                out.set("write-to-source", value, source)
            else:
                out.unsupported.append((source, f"{value!r} is not true or false"))
        elif key in ("git_describe_command", "describe_command"):
            _describe_command(value, source, out)
        elif key in _SAME_AS_VCRELEASE:
            if value not in _SAME_AS_VCRELEASE[key]:
                out.unsupported.append((source, _NO_EQUIVALENT[key]))
        elif key == "root":
            _root(options, value, source, out, project_dir)
        elif key == "relative_to":
            if "root" not in options:
                _root(options, ".", source, out, project_dir)
        elif key == "tag" and isinstance(value, dict):
            _tag_table(value, source, out)
        elif key == "scm" and isinstance(value, dict):
            git = value.get("git", {})
            git = git if isinstance(git, dict) else {}
            scoped = _distance_scope(git, f"{source}.git", out)
            for sub, sub_value in git.items():
                sub_source = f"{source}.git.{sub}"
                if sub == "describe_command":
                    _describe_command(sub_value, sub_source, out)
                elif sub == "distance_scope":
                    pass  # _distance_scope
                elif sub == "distance_count":
                    if sub_value not in ("full-history", "first-parent"):
                        out.unsupported.append(
                            (sub_source, f"{sub_value!r} is not full-history or first-parent")
                        )
                    elif scoped:
                        out.set("distance-count", sub_value, sub_source)
                elif sub == "pre_parse" and sub_value in _PRE_PARSE:
                    why = _PRE_PARSE[sub_value]
                    if why is not None:
                        out.unsupported.append((sub_source, why))
                else:
                    out.unsupported.append((sub_source, _NO_EQUIVALENT.get(sub, "no equivalent")))
            for sub in value:
                if sub != "git":
                    out.unsupported.append((f"{source}.{sub}", _NO_EQUIVALENT["scm"]))
        else:
            out.unsupported.append((source, _NO_EQUIVALENT.get(key, "no equivalent")))


_scm_options = scm_options


def _root(
    options: dict[str, Any], root: object, source: str, out: Migration, project_dir: Path | None
) -> None:
    """``root`` (and ``relative_to``) -> ``root``, relative to the project directory:
    setuptools-scm resolves ``root`` against the directory of ``relative_to`` (a file; the
    project's ``pyproject.toml`` by default). Dropped when it names the project directory, or
    the top of the repository vcrelease finds from there anyway."""
    relative_to = options.get("relative_to", "pyproject.toml")
    if not isinstance(root, str) or not isinstance(relative_to, str):
        out.unsupported.append((source, "must be a path (a string)"))
        return
    if os.path.isabs(root) or os.path.isabs(relative_to):
        out.unsupported.append(
            (source, "an absolute path: give the directory relative to the project directory")
        )
        return
    base = relative_to[:-1] if relative_to.endswith("/") else os.path.dirname(relative_to)
    joined = os.path.normpath(os.path.join(base, root)).replace(os.sep, "/")
    if joined == "." or _same_repository(project_dir, joined):
        return
    out.set("root", joined, source)


def _tag_table(table: dict[str, Any], source: str, out: Migration) -> None:
    """vcs-versioning 2.6's ``tag`` table (``tag.prefix``, ``tag.regex``, ``tag.strict``)
    -> ``tag-prefix`` / ``tag-pattern``: the prefix is stripped before the regex applies
    (``TagConfiguration``), and ``strict = true`` asks for a dot in the version
    (``describe --match PREFIX*[0-9]*.*[0-9]*``)."""
    prefix = table.get("prefix", "")
    regex = table.get("regex")
    strict = table.get("strict")
    for key in table:
        if key not in ("prefix", "regex", "strict"):
            out.unsupported.append((f"{source}.{key}", "no equivalent"))
    if not isinstance(prefix, str) or (regex is not None and not isinstance(regex, str)):
        out.unsupported.append((source, "prefix and regex must be strings"))
        return
    if regex:
        body = regex[1:] if regex.startswith("^") else regex
        out.set("tag-pattern", f"^{re.escape(prefix)}(?:{body})", f"{source}.regex")
    elif prefix:
        out.set("tag-prefix", prefix, f"{source}.prefix")
    if strict is True:
        glob = f"{prefix}*[0-9]*.*[0-9]*"
        if out.match_glob is None:
            out.match_glob = (glob, f"{source}.strict")
    elif strict not in (None, False):
        out.unsupported.append((f"{source}.strict", f"{strict!r} is not true or false"))


def _distance_scope(git: dict[str, Any], where: str, out: Migration) -> bool:
    """``scm.git.distance_scope`` -> ``distance-scope`` in ``out``; True when a scope is set.

    vcs-versioning (``_config._check_distance_scope``, ``_backends._git.resolve_scope_paths``):
    ``true`` or ``[]`` count the project directory; a list adds paths relative to the
    repository's top (absolute paths refused).
    """
    value = git.get("distance_scope", False)
    source = f"{where}.distance_scope"
    if value is False:
        return False
    if value is True or value == []:
        out.set("distance-scope", True, source)
        return True
    if isinstance(value, list) and all(isinstance(p, str) and p for p in value):
        if any(p.startswith("/") for p in value):
            out.unsupported.append((source, "its paths must be relative to the repository"))
            return False
        paths = ["."] + [":/" + p.strip("/") for p in value]
        out.set("distance-scope", paths, source)
        return True
    out.unsupported.append((source, f"{value!r} is not true, false or a list of paths"))
    return False


def uses_hatch_source(pyproject: dict[str, Any], source: str) -> bool:
    """True when ``[tool.hatch.version] source`` is ``source``."""
    version = pyproject.get("tool", {}).get("hatch", {}).get("version", {})
    return isinstance(version, dict) and version.get("source") == source


def translate(pyproject: dict[str, Any], project_dir: Path | None = None) -> Migration:
    """The old settings of a parsed ``pyproject.toml`` -> a :class:`Migration`.

    ``project_dir`` (the directory of that ``pyproject.toml``) lets a ``root`` setting that
    names the repository's top anyway (``root = ".."`` in a monorepo's subproject) pass as
    the same behaviour; without it only ``root = "."`` does.

    Reads ``[tool.setuptools_scm]``, ``[tool.vcs-versioning]``, and the hatch-vcs settings
    (``[tool.hatch.version]`` options, whatever its ``source`` now says, and
    ``[tool.hatch.build.hooks.vcs]``).
    """
    out = Migration()
    tool = pyproject.get("tool", {})
    if not isinstance(tool, dict):
        return out
    for name in ("setuptools_scm", "vcs-versioning"):
        table = tool.get(name)
        if isinstance(table, dict):
            out.tables.append(f"[tool.{name}]")
            scm_options(table, f"[tool.{name}]", out, project_dir)
    hatch = tool.get("hatch", {})
    hatch = hatch if isinstance(hatch, dict) else {}
    version = hatch.get("version", {})
    if isinstance(version, dict):
        where = "[tool.hatch.version]"
        found = False
        for key, value in version.items():
            if key in ("source", "path", "pattern", "expression", "search-paths"):
                continue
            found = True
            if key == "raw-options" and isinstance(value, dict):
                scm_options(value, f"{where} raw-options", out, project_dir)
            elif key == "tag-pattern":
                out.set("tag-pattern", str(value), f"{where} {key}")
            elif key == "fallback-version":
                out.set("fallback-version", str(value), f"{where} {key}")
            else:
                out.unsupported.append((f"{where} {key}", "no equivalent"))
        if found or version.get("source") == "vcs":
            out.tables.append(where)
    hook = hatch.get("build", {}).get("hooks", {}).get("vcs")
    if isinstance(hook, dict):
        out.tables.append("[tool.hatch.build.hooks.vcs]")
        for key, value in hook.items():
            source = f"[tool.hatch.build.hooks.vcs] {key}"
            if key == "version-file":
                out.set("version-file", str(value), source)
                out.hatch_hook = True
            elif key == "template":
                out.set("version-file-template", str(value), source)
            else:
                out.unsupported.append((source, _NO_EQUIVALENT.get(key, "no equivalent")))
    metadata = hatch.get("metadata", {})
    hook_table = metadata.get("hooks", {}).get("vcs") if isinstance(metadata, dict) else None
    if isinstance(hook_table, dict):
        out.tables.append("[tool.hatch.metadata.hooks.vcs]")
        for key, value in hook_table.items():
            source = f"[tool.hatch.metadata.hooks.vcs] {key}"
            if key == "urls" and isinstance(value, dict):
                out.metadata_urls = {str(k): str(v) for k, v in value.items()}
            else:
                out.unsupported.append((source, "no equivalent"))
    _apply_match_glob(out)
    return out


def toml_string(value: str) -> str:
    """A TOML basic string: single quotes (literal) when that needs no escape."""
    if "'" not in value and "\n" not in value:
        return f"'{value}'" if "\\" in value else f'"{value}"'
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def toml_value(value: Any) -> str:
    """A string, boolean or list of strings as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return toml_string(str(value))


def vcrelease_table(migration: Migration) -> str:
    """The ``[tool.vcrelease]`` table (and the hatch hook table) as TOML text."""
    lines = ["[tool.vcrelease]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in migration.vcrelease.items()]
    if migration.hatch_hook:
        lines += ["", "[tool.hatch.build.hooks.vcrelease]"]
    if migration.metadata_urls is not None:
        lines += ["", "[tool.hatch.metadata.hooks.vcrelease.urls]"]
        lines += [f"{toml_string(k)} = {toml_value(v)}" for k, v in migration.metadata_urls.items()]
    return "\n".join(lines) + "\n"
