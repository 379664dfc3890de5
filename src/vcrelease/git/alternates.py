"""Alternate object directories: where else a repository's objects live.

Two sources (``gitrepository-layout``, "objects/info/alternates"; ``git`` ENVIRONMENT,
``GIT_ALTERNATE_OBJECT_DIRECTORIES``), read as ``object-file.c`` reads them
(``link_alt_odb_entries``):

- each object directory's ``info/alternates``: one path per line; a line starting with ``#``
  is a comment, an empty line is skipped, a line starting with ``"`` is a C-quoted path
  (``quote.c``, ``unquote_c_style``); a relative path is relative to that object directory;
- ``GIT_ALTERNATE_OBJECT_DIRECTORIES``: paths separated by ``:`` (``;`` on Windows), each
  possibly C-quoted; relative paths are relative to the current directory.

An alternate's own ``info/alternates`` is followed, at most :data:`MAX_DEPTH` levels deep (git
ignores deeper ones with "nesting too deep"). A directory listed twice, the repository's own,
or one that does not exist is skipped, as git skips it.
"""

from __future__ import annotations

import os

from .files import read_optional

__all__ = ["ENV_VARIABLE", "MAX_DEPTH", "object_dirs", "split_entries", "unquote_c_style"]

MAX_DEPTH = 5
"""How deep git follows alternates of alternates (``object-file.c``)."""
ENV_VARIABLE = "GIT_ALTERNATE_OBJECT_DIRECTORIES"

_ESCAPES = {
    ord("a"): 7,
    ord("b"): 8,
    ord("f"): 12,
    ord("n"): 10,
    ord("r"): 13,
    ord("t"): 9,
    ord("v"): 11,
    ord("\\"): ord("\\"),
    ord('"'): ord('"'),
}


def unquote_c_style(data: bytes, start: int = 0) -> tuple[bytes, int] | None:
    """The C-quoted string opening at ``data[start]`` (a ``"``) -> (its bytes, the index just
    past the closing quote); None when it is not well quoted (git then takes the line as it
    stands). Escapes: ``\\a \\b \\f \\n \\r \\t \\v \\\\ \\"`` and three octal digits."""
    if data[start : start + 1] != b'"':
        return None
    out = bytearray()
    i = start + 1
    end = len(data)
    while i < end:
        ch = data[i]
        if ch == ord('"'):
            return bytes(out), i + 1
        if ch != ord("\\"):
            out.append(ch)
            i += 1
            continue
        if i + 1 >= end:
            return None
        esc = data[i + 1]
        if esc in _ESCAPES:
            out.append(_ESCAPES[esc])
            i += 2
        elif ord("0") <= esc <= ord("3"):
            digits = data[i + 1 : i + 4]
            if len(digits) < 3 or any(not ord("0") <= d <= ord("7") for d in digits):
                return None
            out.append(int(digits, 8))
            i += 4
        else:
            return None
    return None


def split_entries(data: bytes, sep: bytes) -> list[bytes]:
    """The paths of an alternates list (``parse_alt_odb_entry``): entries separated by
    ``sep``, comments and empty entries dropped, quoted entries unquoted."""
    out: list[bytes] = []
    i = 0
    end = len(data)
    while i < end:
        if data[i : i + 1] == b'"':
            quoted = unquote_c_style(data, i)
            if quoted is not None and data[quoted[1] : quoted[1] + 1] in (sep, b""):
                out.append(quoted[0])
                i = quoted[1] + 1
                continue
        stop = data.find(sep, i)
        if stop < 0:
            stop = end
        entry = data[i:stop]
        i = stop + 1
        if entry and not entry.startswith(b"#"):
            out.append(entry)
    return out


def object_dirs(objects_dir: str, environ: dict[str, str] | None = None) -> list[str]:
    """``objects_dir`` first, then every alternate object directory git would read, each
    once, absolute and normalised (order: the environment's, then the files', breadth
    first)."""
    env = os.environ if environ is None else environ
    dirs = [os.path.normpath(os.path.abspath(objects_dir))]
    seen = {_identity(dirs[0])}
    queue: list[tuple[str, int]] = []  # (directory whose info/alternates to read, depth)

    def add(paths: list[bytes], base: str | None, depth: int) -> None:
        for raw in paths:
            path = os.fsdecode(raw)
            if base is not None and not os.path.isabs(path):
                path = os.path.join(base, path)
            path = os.path.normpath(os.path.abspath(path))
            if not os.path.isdir(path):
                continue  # git: "object directory ... does not exist"
            key = _identity(path)
            if key in seen:
                continue
            seen.add(key)
            dirs.append(path)
            queue.append((path, depth + 1))

    variable = env.get(ENV_VARIABLE)
    if variable:
        add(split_entries(os.fsencode(variable), os.pathsep.encode()), None, 0)
    queue.insert(0, (dirs[0], 0))
    while queue:
        directory, depth = queue.pop(0)
        if depth > MAX_DEPTH:
            continue  # git: "nesting too deep", the deeper alternates are ignored
        raw = read_optional(os.path.join(directory, "info", "alternates"))
        if raw:
            add(split_entries(raw, b"\n"), directory, depth)
    return dirs


def _identity(path: str) -> str:
    """One key per directory (symbolic links resolved), as git compares them."""
    return os.path.realpath(path)
