"""Switching one project's ``pyproject.toml`` from setuptools-scm or hatch-vcs to vcrelease.

Used by ``vcrelease migrate`` alone (the build plugins never import it, nor tomlkit). Two
parts:

- :func:`plan`: whether the project is versioned by setuptools-scm or hatch-vcs at all, and
  what its switch changes. A project is versioned by **setuptools-scm** when its
  ``[build-system] requires`` names ``setuptools-scm`` (any spelling, extras, specifier) and
  its back end is setuptools' and the plugin is active as setuptools-scm 10 decides
  (``pyproject_reading.should_infer``): a ``[tool.setuptools_scm]`` table, or the ``simple``
  extra with ``version`` in ``[project] dynamic``, or ``use_scm_version`` passed to
  ``setup()`` in ``setup.py``. It is versioned by **hatch-vcs** when ``requires`` names
  ``hatch-vcs``, the back end is hatchling and ``[tool.hatch.version] source = "vcs"`` (or the
  ``vcs`` build hook writes a version file). ``vcs-versioning`` is not a build plugin (it has
  no setuptools or hatchling hook): a project that lists only it versions itself by its own
  code and is left alone.
- :func:`rewrite`: the new text, edited with tomlkit so that every layout keeps its form:
  ``[table]`` headers, dotted keys (``version.source = "vcs"`` under ``[tool.hatch]``, as
  pyproject-fmt writes), inline tables, comments and key order. The result is checked
  against the intended change computed on the parsed data (:func:`expected`); a difference
  is a :class:`RewriteBug` (vcrelease's fault, exit 70), and nothing is written.

The requirements the switch owns are the plugins' (``setuptools-scm``, ``hatch-vcs``, and
``vcs-versioning`` listed beside one of them). Each is removed (the first replaced in place
by ``vcrelease``) unless the build still needs it: ``setup.py`` imports its module
(``setuptools_scm``, ``vcs_versioning``, ``hatch_vcs``), or hatch-vcs' metadata hook
(``[tool.hatch.metadata.hooks.vcs]``) stays. A kept requirement is left as written (its
bounds, markers and comments); every other requirement is not touched.
"""

from __future__ import annotations

import ast
import copy
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import AoT, Array, InlineTable, Item, String, Table

from .migration import Migration

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "PLUGINS",
    "Plan",
    "RewriteBug",
    "SetupPy",
    "expected",
    "plan",
    "read_setup_py",
    "rewrite",
]

PLUGINS = {
    "setuptools-scm": "setuptools_scm",
    "hatch-vcs": "hatch_vcs",
    "vcs-versioning": "vcs_versioning",
}
"""The requirements a switch owns (canonical names) -> the module a ``setup.py`` imports."""

_HATCH_VCS_KEYS_KEPT = ("source", "path", "pattern", "expression", "search-paths")
"""``[tool.hatch.version]`` keys of hatchling's other sources: not hatch-vcs settings."""

_SETUPTOOLS_BACKENDS = ("setuptools.build_meta", "setuptools.build_meta:__legacy__")


class RewriteBug(Exception):
    """The text :func:`rewrite` made is not the intended change: a bug in vcrelease (the
    command line reports it with exit 70). Its message names the file and the difference."""


@dataclass(frozen=True)
class SetupPy:
    """What a ``setup.py`` tells the switch (read with :mod:`ast`, never run).

    Attributes:
        imports: the top-level module names it imports (``setuptools_scm``, ...).
        use_scm_version: whether it passes ``use_scm_version`` to ``setup()``.
        passes_version: whether it passes ``version`` to ``setup()`` (which wins over every
            plugin).
        unreadable: the syntax error when it does not parse, else None.
    """

    imports: frozenset[str] = frozenset()
    use_scm_version: bool = False
    passes_version: bool = False
    unreadable: str | None = None


def read_setup_py(project_dir: Path) -> SetupPy | None:
    """The :class:`SetupPy` facts of ``project_dir/setup.py``; None when there is none."""
    path = project_dir / "setup.py"
    try:
        source = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    try:
        tree = ast.parse(source, filename=str(path))
    except (SyntaxError, ValueError) as exc:
        return SetupPy(unreadable=str(exc))
    imports: set[str] = set()
    use_scm = passes_version = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imports.add(node.module.partition(".")[0])
        elif isinstance(node, ast.Call) and _called_name(node.func) == "setup":
            names = {k.arg for k in node.keywords}
            use_scm = use_scm or "use_scm_version" in names
            passes_version = passes_version or "version" in names
    return SetupPy(frozenset(imports), use_scm, passes_version)


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


@dataclass(frozen=True)
class Plan:
    """What switching one project changes, or why it is not switched.

    Attributes:
        plugin: ``"setuptools-scm"`` or ``"hatch-vcs"``: the plugin that versions the project
            now; None when none does (then :attr:`skip` says why).
        skip: why the project is left alone, or None.
        replace: the ``[build-system] requires`` entries removed, as written; the first is
            replaced in place by ``vcrelease``.
        keep: (requirement as written, why the build still needs it), left untouched.
        remove: the tables and keys removed, as dotted paths (``tool.setuptools_scm``).
        hatch_source: True when ``[tool.hatch.version] source`` becomes ``"vcrelease"``.
        add_vcrelease: True when ``vcrelease`` is added to ``requires`` (not there yet).
        notes: what the user still has to do by hand (in ``setup.py``), one sentence each.
        refused: (setting, why) for each setting outside ``pyproject.toml`` that the switch
            cannot carry over (``use_scm_version`` in ``setup.py``): ``--write`` stops on
            them as on :attr:`vcrelease.migration.Migration.unsupported`.
    """

    plugin: str | None
    skip: str | None = None
    replace: tuple[str, ...] = ()
    keep: tuple[tuple[str, str], ...] = ()
    remove: tuple[tuple[str, ...], ...] = ()
    hatch_source: bool = False
    add_vcrelease: bool = True
    notes: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()


def _canonical(text: str) -> str | None:
    """The canonical project name of a requirement string; None when it does not parse."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        return str(canonicalize_name(Requirement(text).name))
    except InvalidRequirement:
        return None


def _extras(text: str) -> set[str]:
    from packaging.requirements import Requirement

    return set(Requirement(text).extras)


def _table(data: Any, *path: str) -> dict[str, Any]:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def plan(pyproject: dict[str, Any], migration: Migration, setup_py: SetupPy | None = None) -> Plan:
    """What switching the project of ``pyproject`` (parsed) to vcrelease changes.

    ``migration`` is :func:`vcrelease.migration.translate` of the same data; ``setup_py`` the
    facts of the project's ``setup.py`` (:func:`read_setup_py`), if it has one.
    """
    build = _table(pyproject, "build-system")
    requires = build.get("requires", [])
    requires = [r for r in requires if isinstance(r, str)] if isinstance(requires, list) else []
    names = {r: _canonical(r) for r in requires}
    backend = str(build.get("build-backend", "setuptools.build_meta:__legacy__"))
    if "vcrelease" in _table(pyproject, "tool"):
        return Plan(
            None,
            skip="it already has [tool.vcrelease] (a build names any old setting it cannot "
            "honour); remove the old tables by hand",
        )
    plugin, skip = _which_plugin(pyproject, requires, names, backend, migration, setup_py)
    if plugin is None:
        return Plan(None, skip=skip)
    needed = _still_needed(pyproject, setup_py)
    listed = set(names.values())
    replace: list[str] = []
    keep: list[tuple[str, str]] = []
    for text in requires:
        name = names[text]
        if name not in PLUGINS:
            continue
        if name == "vcs-versioning" and not listed & {"setuptools-scm", "hatch-vcs"}:
            continue
        if name in needed:
            keep.append((text, needed[name]))
        else:
            replace.append(text)
    remove = [tuple(t.strip("[]").split(".")) for t in migration.tables]
    remove = [p for p in remove if p != ("tool", "hatch", "version")]
    hatch_version = _table(pyproject, "tool", "hatch", "version")
    hatch_source = plugin == "hatch-vcs" and hatch_version.get("source") == "vcs"
    if "[tool.hatch.version]" in migration.tables:
        remove += [
            ("tool", "hatch", "version", key)
            for key in hatch_version
            if key not in _HATCH_VCS_KEYS_KEPT
        ]
    notes = _setup_py_notes(setup_py)
    refused: tuple[tuple[str, str], ...] = ()
    if setup_py is not None and setup_py.use_scm_version:
        refused = (
            (
                "setup.py use_scm_version",
                "settings passed in setup.py code are not translated: move them to "
                "[tool.setuptools_scm] and rerun, or delete use_scm_version",
            ),
        )
    return Plan(
        plugin,
        replace=tuple(replace),
        keep=tuple(keep),
        remove=tuple(remove),
        hatch_source=hatch_source,
        add_vcrelease="vcrelease" not in names.values(),
        notes=notes,
        refused=refused,
    )


def _which_plugin(
    pyproject: dict[str, Any],
    requires: list[str],
    names: dict[str, str | None],
    backend: str,
    migration: Migration,
    setup_py: SetupPy | None,
) -> tuple[str | None, str | None]:
    """(the plugin that versions the project, None) or (None, why none does)."""
    listed = set(names.values())
    if "hatch-vcs" in listed:
        if not backend.startswith("hatchling."):
            return None, f"hatch-vcs is a hatchling plugin and the build back end is {backend}"
        hatch = _table(pyproject, "tool", "hatch")
        if _table(hatch, "version").get("source") == "vcs" or _table(
            hatch, "build", "hooks", "vcs"
        ):
            return "hatch-vcs", None
        return None, (
            'hatch-vcs is in build-system.requires but neither [tool.hatch.version] source = "vcs" '
            "nor [tool.hatch.build.hooks.vcs] uses it for the version"
        )
    if "setuptools-scm" in listed:
        if backend not in _SETUPTOOLS_BACKENDS:
            return None, (
                f"the build back end is {backend}: vcrelease has build plugins for setuptools "
                "and hatchling only"
            )
        simple = any(
            names[r] == "setuptools-scm" and "simple" in _extras(r) for r in requires
        ) and "version" in _table(pyproject, "project").get("dynamic", [])
        table = any(
            t in migration.tables for t in ("[tool.setuptools_scm]", "[tool.vcs-versioning]")
        )
        if table or simple or (setup_py is not None and setup_py.use_scm_version):
            return "setuptools-scm", None
        return None, (
            "setuptools-scm is in build-system.requires but inactive: no [tool.setuptools_scm], "
            "no setuptools-scm[simple] with a dynamic version, no use_scm_version in setup.py"
        )
    found = f" ({', '.join(migration.tables)})" if migration.tables else ""
    return None, (
        f"build-system.requires names neither setuptools-scm nor hatch-vcs{found}: its "
        "version does not come from a versioning plugin"
    )


def _still_needed(pyproject: dict[str, Any], setup_py: SetupPy | None) -> dict[str, str]:
    """Plugin requirement (canonical name) -> why the build still needs it after the switch."""
    needed: dict[str, str] = {}
    if setup_py is not None:
        for name, module in PLUGINS.items():
            if module in setup_py.imports:
                needed[name] = f"setup.py imports {module}"
    if _table(pyproject, "tool", "hatch", "metadata", "hooks", "vcs"):
        needed.setdefault("hatch-vcs", "[tool.hatch.metadata.hooks.vcs] uses it")
    return needed


def _setup_py_notes(setup_py: SetupPy | None) -> tuple[str, ...]:
    if setup_py is None:
        return ()
    notes: list[str] = []
    if setup_py.unreadable is not None:
        notes.append(
            f"setup.py does not parse ({setup_py.unreadable}): check by hand that it neither "
            "imports setuptools_scm nor passes use_scm_version or version to setup()"
        )
    if setup_py.use_scm_version:
        notes.append(
            "delete use_scm_version from setup() in setup.py: vcrelease reads [tool.vcrelease] "
            "(setuptools warns about an unknown option while it is there, and settings given "
            "there are not migrated)"
        )
    if setup_py.passes_version:
        notes.append(
            "setup.py passes version= to setup(), which wins over any plugin: remove it to let "
            "vcrelease version the project"
        )
    if "setuptools_scm" in setup_py.imports:
        notes.append(
            "setup.py imports setuptools_scm, so setuptools-scm stays in build-system.requires "
            "(it acts only through [tool.setuptools_scm], its simple extra or use_scm_version); "
            "remove the import, then the requirement"
        )
    return tuple(notes)


# -- the rewrite --------------------------------------------------------------------------


def _keyed(container: Container) -> bool:
    return any(key is not None for key, _ in container.body)


def _inner(item: Item) -> Container | None:
    if isinstance(item, (Table, InlineTable)):
        return item.value
    return None


def _remove(container: Container, path: tuple[str, ...]) -> bool:
    """Remove every entry holding ``path`` from ``container`` (whatever the layout: one body
    entry per header, per dotted line, or an inline table); a table left without keys by the
    removal goes too. True when something was removed."""
    removed = False
    for index in reversed(range(len(container.body))):
        key, item = container.body[index]
        if key is None or key.key != path[0]:
            continue
        if len(path) == 1:
            container._remove_at(index)
            removed = True
            continue
        inner = _inner(item)
        if inner is not None and _remove(inner, path[1:]):
            removed = True
            if not _keyed(inner):
                container._remove_at(index)
    return removed


def _entries(container: Container, path: tuple[str, ...]) -> Iterator[tuple[Container, int]]:
    """(container, index) of each body entry whose key path is ``path``."""
    for index, (key, item) in enumerate(container.body):
        if key is None or key.key != path[0]:
            continue
        if len(path) == 1:
            yield container, index
        else:
            inner = _inner(item)
            if inner is not None:
                yield from _entries(inner, path[1:])


def _inline_ancestor(doc: Container, path: tuple[str, ...]) -> tuple[InlineTable, int] | None:
    """The inline table holding a prefix of ``path`` (and the prefix's length), if any: a
    ``[table]`` header cannot extend it."""
    for length in range(1, len(path)):
        for container, index in _entries(doc, path[:length]):
            item = container.body[index][1]
            if isinstance(item, InlineTable):
                return item, length
            if isinstance(item, AoT):
                raise RewriteBug(f"{'.'.join(path[:length])} is an array of tables")
    return None


def _add_table(doc: tomlkit.TOMLDocument, path: tuple[str, ...], values: dict[str, Any]) -> str:
    """Add the table ``path`` with ``values``: inside an inline table that holds a prefix of
    the path, else as a ``[header]`` appended to the document. Returns the header text to
    append ("" when added inline)."""
    found = _inline_ancestor(doc, path)
    if found is not None:
        current: Any
        current, depth = found
        while depth < len(path) - 1 and isinstance(current.get(path[depth]), InlineTable):
            current, depth = current[path[depth]], depth + 1
        nested: Any = tomlkit.inline_table()
        nested.update(values)
        for key in reversed(path[depth + 1 :]):
            outer = tomlkit.inline_table()
            outer[key] = nested
            nested = outer
        current[path[depth]] = nested
        return ""
    table = tomlkit.table()
    table.update(values)
    header = ".".join(tomlkit.key(k).as_string().strip() for k in path)
    body = tomlkit.dumps(table)
    return f"\n[{header}]\n{body}"


def _replace_string(doc: Container, path: tuple[str, ...], value: str) -> None:
    for container, index in list(_entries(doc, path)):
        key, old = container.body[index]
        assert key is not None
        if isinstance(old, String):
            new: Item = String(old.type, value, value, old.trivia)
        else:
            new = tomlkit.item(value)
        container._replace_at(index, key, new)


def _edit_requires(doc: Container, the_plan: Plan) -> None:
    for container, index in _entries(doc, ("build-system", "requires")):
        array = container.body[index][1]
        if not isinstance(array, Array):
            continue
        positions = [i for i, entry in enumerate(array) if str(entry) in the_plan.replace]
        for position in reversed(positions):
            entry = array[position]
            if position == positions[0] and the_plan.add_vcrelease:
                style = entry.type if isinstance(entry, String) else None
                array[position] = (
                    String.from_raw("vcrelease", type_=style) if style else "vcrelease"
                )
            else:
                del array[position]
        if the_plan.add_vcrelease and not positions:
            array.append("vcrelease")


def rewrite(text: str, migration: Migration, the_plan: Plan, *, where: str = "") -> str:
    """``pyproject.toml`` ``text`` switched to vcrelease as ``the_plan`` says, its layout kept.

    The ``[tool.vcrelease]`` table (``migration.vcrelease``) and, for hatch-vcs' build hook,
    ``[tool.hatch.build.hooks.vcrelease]`` are added at the end (inside the inline table
    that holds ``tool`` when the file writes it inline).

    Raises:
        RewriteBug: the text made does not parse, or differs from :func:`expected` (``where``
            names the file in the message).
    """
    doc = tomlkit.parse(text)
    _edit_requires(doc, the_plan)
    for path in the_plan.remove:
        _remove(doc, path)
    if the_plan.hatch_source:
        _replace_string(doc, ("tool", "hatch", "version", "source"), "vcrelease")
    appended = _add_table(doc, ("tool", "vcrelease"), dict(migration.vcrelease))
    hooks = _table(tomllib.loads(text), "tool", "hatch", "build", "hooks")
    if migration.hatch_hook and "vcrelease" not in hooks:
        appended += _add_table(doc, ("tool", "hatch", "build", "hooks", "vcrelease"), {})
    new = tomlkit.dumps(doc)
    if appended:
        newline = "\r\n" if "\r\n" in text else "\n"  # the file's own line ends
        new = new.rstrip("\r\n") + newline + appended.replace("\n", newline)
    _check(text, new, migration, the_plan, where)
    return new


def expected(data: dict[str, Any], migration: Migration, the_plan: Plan) -> dict[str, Any]:
    """The parsed ``pyproject.toml`` ``data`` with the switch applied (the oracle the text
    :func:`rewrite` makes is held to): requirements replaced or removed, the old tables and
    keys gone (a table they alone filled goes too), ``[tool.vcrelease]`` added."""
    out = copy.deepcopy(data)
    requires = out.get("build-system", {}).get("requires")
    if isinstance(requires, list):
        new: list[Any] = []
        replaced = False
        for entry in requires:
            if entry in the_plan.replace:
                if not replaced and the_plan.add_vcrelease:
                    new.append("vcrelease")
                replaced = True
            else:
                new.append(entry)
        if the_plan.add_vcrelease and not replaced:
            new.append("vcrelease")
        out["build-system"]["requires"] = new
    for path in the_plan.remove:
        _remove_plain(out, path)
    if the_plan.hatch_source:
        out["tool"]["hatch"]["version"]["source"] = "vcrelease"
    out.setdefault("tool", {})["vcrelease"] = dict(migration.vcrelease)
    if migration.hatch_hook:
        build = out["tool"].setdefault("hatch", {}).setdefault("build", {})
        build.setdefault("hooks", {}).setdefault("vcrelease", {})
    return out


def _remove_plain(data: dict[str, Any], path: tuple[str, ...]) -> bool:
    if path[0] not in data:
        return False
    if len(path) == 1:
        del data[path[0]]
        return True
    inner = data[path[0]]
    if isinstance(inner, dict) and _remove_plain(inner, path[1:]):
        if not inner:
            del data[path[0]]
        return True
    return False


def _check(text: str, new: str, migration: Migration, the_plan: Plan, where: str) -> None:
    try:
        got = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise RewriteBug(
            f"the pyproject.toml vcrelease generated for {where or 'the project'} does not "
            f"parse ({exc}); the file was not changed. This is a bug in vcrelease: report it "
            "with the original file."
        ) from exc
    want = expected(tomllib.loads(text), migration, the_plan)
    if got != want:
        raise RewriteBug(
            f"the pyproject.toml vcrelease generated for {where or 'the project'} differs from "
            f"the intended change ({_first_difference(want, got)}); the file was not changed. "
            "This is a bug in vcrelease: report it with the original file."
        )


def _first_difference(want: Any, got: Any, path: str = "") -> str:
    if isinstance(want, dict) and isinstance(got, dict):
        for key in sorted(set(want) | set(got)):
            if want.get(key, _MISSING) != got.get(key, _MISSING):
                return _first_difference(want.get(key), got.get(key), f"{path}.{key}".lstrip("."))
    return f"{path or 'the document'}: {got!r} instead of {want!r}"


_MISSING = object()
