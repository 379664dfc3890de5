"""gitattributes as git reads them when it checks a file in (``gitattributes``; git's
``attr.c``).

Sources, lowest precedence first: the built-in macro ``binary`` (``-diff -merge -text``), the
system file (``/etc/gitattributes``; none with ``GIT_ATTR_NOSYSTEM``), the global file
(``core.attributesFile``, else ``$XDG_CONFIG_HOME/git/attributes`` or
``~/.config/git/attributes``), the ``.gitattributes`` of the work tree's top, then of each
directory down to the file's own (deeper wins), then ``$GIT_DIR/info/attributes``. A
``.gitattributes`` is read from the work tree (never through a symbolic link) and, when the
work tree has none, from the index (git's ``GIT_ATTR_CHECKIN`` direction). Within a file the
later line wins. ``[attr]`` macros are honoured where git honours them (every source but a
subdirectory's ``.gitattributes``); a set macro sets its attributes unless a line of higher
precedence already decided them (git's ``fill_one``/``macroexpand_one``).

Patterns follow gitignore's rules: without a ``/`` they match the file's name at any depth
below the attributes file, with one they are matched (``wildmatch``, ``WM_PATHNAME``) against
the path relative to the attributes file's directory; ``!`` patterns match nothing, and
patterns ending in ``/`` match directories only (asked with ``is_dir=True``: ``git archive``'s
and setuptools-scm's ``export-ignore`` of whole trees), never a file.

:func:`for_repository` builds the one :class:`Attributes` of a repository, for the dirty check
(:mod:`.status`) and the sdist file list (:mod:`.tracked`) alike.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from .ids import RawId, to_hex
from .indexfile import UnsupportedIndex, parse_index

if TYPE_CHECKING:
    from .repository import GitRepo

__all__ = ["UNSET", "Attributes", "Value", "for_repository"]

Value = bytes | bool | None
"""True (set), False (``-attr``), bytes (``attr=value``); None is unspecified."""
UNSET = None

_BLANK = b" \t\r\n"
_NAME = re.compile(rb"^[_.A-Za-z0-9][-_.A-Za-z0-9]*$")


class _Line(NamedTuple):
    regex: re.Pattern[bytes] | None  # None: matches nothing (a "!" or bad pattern)
    basename: bool  # no "/" in the pattern: matched against the file name
    directory: bool  # the pattern ended in "/": it matches directories only
    states: tuple[tuple[bytes, Value], ...]
    macro: bytes | None  # an "[attr]name" definition


class _File(NamedTuple):
    base: bytes  # the directory of the attributes file, "" or ending in "/"
    lines: tuple[_Line, ...]


def _unquote(text: bytes) -> tuple[bytes, bytes]:
    """A C-quoted pattern at the start of ``text`` -> (pattern, rest)."""
    out = bytearray()
    i = 1
    escapes = {ord("n"): 10, ord("t"): 9, ord('"'): 34, ord("\\"): 92, ord("a"): 7}
    escapes.update({ord("b"): 8, ord("f"): 12, ord("r"): 13, ord("v"): 11})
    while i < len(text):
        c = text[i]
        if c == ord('"'):
            return bytes(out), text[i + 1 :]
        if c == ord("\\") and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in escapes:
                out.append(escapes[nxt])
                i += 2
                continue
            if 48 <= nxt <= 51 and i + 3 < len(text):
                out.append(int(text[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
        out.append(c)
        i += 1
    raise ValueError("unterminated quote")


def parse(text: bytes, macros_ok: bool) -> tuple[_Line, ...]:
    """The lines of one attributes file (lines git would refuse are left out)."""
    from dulwich.wildmatch import MalformedPattern, translate

    lines = []
    for raw in text.split(b"\n"):
        line = raw.lstrip(_BLANK)
        if not line or line.startswith(b"#"):
            continue
        if line.startswith(b'"'):
            try:
                pattern, rest = _unquote(line)
            except ValueError:
                continue
        else:
            cut = len(line)
            for i, c in enumerate(line):
                if c in _BLANK:
                    cut = i
                    break
            pattern, rest = line[:cut], line[cut:]
        states = []
        valid = True
        for word in rest.split():
            value: Value
            if word[:1] in (b"-", b"!"):
                name, value = word[1:], (False if word[:1] == b"-" else UNSET)
            else:
                name, equals, text_value = word.partition(b"=")
                value = text_value if equals else True
            if not _NAME.match(name):
                valid = False
                break
            states.append((name, value))
        if not valid:
            continue
        if pattern.startswith(b"[attr]"):
            if macros_ok and _NAME.match(pattern[6:]):
                lines.append(_Line(None, False, False, tuple(states), pattern[6:]))
            continue
        regex = None
        basename = False
        directory = pattern.endswith(b"/")
        pattern = pattern.rstrip(b"/") if directory else pattern
        if pattern and not pattern.startswith(b"!"):
            basename = b"/" not in pattern
            try:
                regex = re.compile(b"^" + translate(pattern.lstrip(b"/")) + b"$", re.DOTALL)
            except (MalformedPattern, re.error):
                regex = None
        lines.append(_Line(regex, basename, directory, tuple(states), None))
    return tuple(lines)


_BUILTIN = _File(
    b"",
    (
        _Line(
            None, False, False, ((b"diff", False), (b"merge", False), (b"text", False)), b"binary"
        ),
    ),
)


class Attributes:
    """The attributes of work-tree paths, as git computes them for a check-in.

    Args:
        root: the work tree's top.
        info_dir: ``$GIT_COMMON_DIR/info``.
        global_file: the global attributes file (from ``core.attributesFile``), or None.
        from_index: index path -> blob bytes of that path, or None (for a
            ``.gitattributes`` missing from the work tree).
    """

    def __init__(
        self,
        root: bytes,
        info_dir: str,
        global_file: str | None,
        from_index: Callable[[bytes], bytes | None],
    ) -> None:
        self._root = root
        self._from_index = from_index
        low: list[_File] = [_BUILTIN]
        if not os.environ.get("GIT_ATTR_NOSYSTEM"):
            low += self._outside("/etc/gitattributes")
        if global_file:
            low += self._outside(global_file)
        self._low = low
        self._info = self._outside(os.path.join(info_dir, "attributes"))
        self._dirs: dict[bytes, _File | None] = {}

    def _outside(self, path: str) -> list[_File]:
        try:
            with open(path, "rb") as f:
                return [_File(b"", parse(f.read(), macros_ok=True))]
        except OSError:
            return []

    def _directory(self, directory: bytes) -> _File | None:
        """The ``.gitattributes`` of ``directory`` ("" or ending in "/")."""
        if directory in self._dirs:
            return self._dirs[directory]
        name = directory + b".gitattributes"
        data: bytes | None = None
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(os.path.join(self._root, name), flags)
            with os.fdopen(fd, "rb") as f:
                data = f.read()
        except OSError:  # absent, a symbolic link, a directory: git reads the index's
            data = self._from_index(name)
        found = None if data is None else _File(directory, parse(data, macros_ok=not directory))
        self._dirs[directory] = found
        return found

    def get(
        self, path: bytes, names: tuple[bytes, ...], *, is_dir: bool = False
    ) -> dict[bytes, Value]:
        """The values of ``names`` for the work-tree path ``path`` (unspecified: absent);
        ``is_dir``: ``path`` is a directory (patterns ending in ``/`` match it)."""
        stack = list(self._low)
        start = 0
        while True:
            found = self._directory(path[:start])
            if found is not None:
                stack.append(found)
            slash = path.find(b"/", start)
            if slash < 0:
                break
            start = slash + 1
        stack += self._info
        macros: dict[bytes, tuple[tuple[bytes, Value], ...]] = {}
        for file in stack:  # later (higher precedence) definitions win
            for line in file.lines:
                if line.macro is not None:
                    macros[line.macro] = line.states
        name = path[path.rfind(b"/") + 1 :]
        decided: dict[bytes, Value] = {}

        def fill(states: tuple[tuple[bytes, Value], ...], depth: int = 0) -> None:
            for attr, value in reversed(states):
                if attr in decided:
                    continue
                decided[attr] = value
                if value is True and attr in macros and depth < 32:
                    fill(macros[attr], depth + 1)

        for file in reversed(stack):
            if not path.startswith(file.base):
                continue
            relative = path[len(file.base) :]
            for line in reversed(file.lines):
                if line.regex is None or (line.directory and not is_dir):
                    continue
                if line.regex.match(name if line.basename else relative):
                    fill(line.states)
        return {n: decided[n] for n in names if decided.get(n, UNSET) is not UNSET}


def for_repository(repo: GitRepo) -> Attributes:
    """The attributes of ``repo``'s work tree from every source git reads: the global file is
    ``core.attributesFile``, else ``$XDG_CONFIG_HOME/git/attributes`` (``~/.config/...``); a
    ``.gitattributes`` missing from the work tree is read from the index."""
    global_file = repo.config.path(b"core", b"attributesfile")
    if global_file is None:
        home = os.environ.get("HOME", "")
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        global_file = os.path.join(xdg, "git", "attributes")
    index: dict[bytes, bytes] = {}

    def from_index(path: bytes) -> bytes | None:
        if not index:
            index.update(_stage0_blobs(repo))
        oid = index.get(path)
        if oid is None:
            return None
        what = f"the blob of {os.fsdecode(path)} (attributes the index holds)"
        return repo.objects.read_needed(to_hex(RawId(oid)), what)[1]

    return Attributes(
        os.fsencode(repo.root), os.path.join(repo.common_dir, "info"), global_file, from_index
    )


def _stage0_blobs(repo: GitRepo) -> dict[bytes, bytes]:
    """Index path -> blob id of the index's ``.gitattributes`` entries."""
    try:
        with open(repo.index_path, "rb") as f:
            entries = parse_index(f.read(), repo.raw_len)[0]
    except (OSError, ValueError, UnsupportedIndex, struct.error):
        return {b"": b""}
    found = {e.path: bytes(e.oid) for e in entries if e.path.endswith(b".gitattributes")}
    return found or {b"": b""}
