"""One gitattributes question: does a path carry an attribute (``export-ignore``)?

The rules (``gitattributes``, "Description" and "Using macro attributes"; the patterns are
``gitignore``'s): each line is a pattern and attributes, ``attr`` (set), ``-attr`` (unset),
``!attr`` (unspecified) or ``attr=value``. A pattern with a slash before its end is anchored
at the directory of the file that holds it; one without matches the last path component at any
depth below it. ``*`` and ``?`` never match ``/``, ``**`` spans directories. Unlike gitignore,
a pattern that matches a directory does not apply to the paths inside it (the caller asks for
each directory itself, as ``git archive`` and setuptools-scm do) and negative patterns are
ignored. Precedence, lowest first: the global file (``$XDG_CONFIG_HOME/git/attributes``),
the work tree's ``.gitattributes`` from the top down to the path's own directory, then
``$GIT_DIR/info/attributes``; within a file the last matching line wins. Macros (``[attr]``)
and quoted patterns are not read; ``core.attributesFile`` is not either (only the default
global location).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

__all__ = ["AttributeReader"]

_Rule = tuple["re.Pattern[str]", bool, "str | bool | None"]  # (regex, directories only, value)


def _pattern_regex(pattern: str) -> tuple[re.Pattern[str], bool]:
    """A gitignore pattern -> (regex over a path relative to the file's directory, dir only)."""
    dir_only = pattern.endswith("/")
    pattern = pattern.rstrip("/")
    anchored = "/" in pattern
    pattern = pattern.lstrip("/")
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif c == "*":
            if pattern.startswith("**", i):
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "^") else i + 1)
            if end == -1:
                out.append(re.escape(c))
                i += 1
                continue
            body = pattern[i + 1 : end]
            if body[:1] in ("!", "^"):
                body = "^" + body[1:]
            out.append(f"[{body.replace(chr(92), chr(92) * 2)}]")
            i = end + 1
        elif c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    body = "".join(out)
    regex = f"(?:{body})" if anchored else f"(?:.*/)?(?:{body})"
    return re.compile(regex + r"\Z", re.DOTALL), dir_only


def _parse(text: str, attribute: str) -> list[_Rule]:
    """The lines of an attributes file that say something about ``attribute``, in order."""
    rules: list[_Rule] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith(("[attr]", '"', "!")):
            continue
        pattern, *states = line.split()
        named = False
        value: str | bool | None = None
        for state in states:
            name, _, assigned = state.lstrip("-!").partition("=")
            if name != attribute:
                continue
            named = True
            if state.startswith("-"):
                value = False
            elif state.startswith("!"):
                value = None
            else:
                value = assigned if "=" in state else True
        if named:
            regex, dir_only = _pattern_regex(pattern)
            rules.append((regex, dir_only, value))
    return rules


class AttributeReader:
    """The value of one attribute for paths of one work tree (files read once, then kept).

    Args:
        root: the work tree's top directory.
        git_dir: its repository directory (for ``info/attributes``).
        attribute: the attribute's name, e.g. ``export-ignore``.
    """

    def __init__(self, root: str, git_dir: str, attribute: str) -> None:
        self._root = root
        self._attribute = attribute
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
        self._global = self._file_rules(os.path.join(xdg, "git", "attributes"))
        self._info = self._file_rules(os.path.join(git_dir, "info", "attributes"))
        self._dir_rules = lru_cache(maxsize=None)(self._read_dir)

    def _file_rules(self, path: str) -> list[_Rule]:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return _parse(f.read(), self._attribute)
        except OSError:
            return []

    def _read_dir(self, directory: str) -> list[_Rule]:
        return self._file_rules(os.path.join(self._root, directory, ".gitattributes"))

    def is_set(self, path: str, *, is_dir: bool = False) -> bool:
        """True when ``path`` (``/``-separated, relative to the top) has the attribute set."""
        value: str | bool | None = None
        parts = path.split("/")
        layers: list[tuple[str, list[_Rule]]] = [("", self._global)]
        for depth in range(len(parts)):
            directory = "/".join(parts[:depth])
            layers.append((directory, self._dir_rules(directory)))
        layers.append(("", self._info))
        for directory, rules in layers:
            relative = path[len(directory) + 1 :] if directory else path
            for regex, dir_only, state in rules:
                if (is_dir or not dir_only) and regex.match(relative):
                    value = state
        return value is True
