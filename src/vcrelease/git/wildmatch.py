"""git's ``wildmatch`` (``wildmatch.c``), as a regular expression: the glob of
``includeIf "gitdir:..."``, ``"onbranch:..."`` and ``"hasconfig:remote.*.url:..."``
(``git-config``, "Conditional includes").

With ``pathname`` (``WM_PATHNAME``): ``*``, ``?`` and brackets never match ``/``; ``**``
between slashes (or at either end) matches any number of directories (``a/**/b`` matches
``a/b``); any other ``**`` is one ``*``. Without it, ``*`` matches ``/`` too. ``\\`` quotes
the next character; ``[!...]`` and ``[^...]`` negate; ``[:alpha:]`` and the other POSIX
classes are known. An unterminated bracket matches nothing, as in git.
"""

from __future__ import annotations

import re

__all__ = ["wildmatch"]

_CLASSES = {
    b"alnum": "a-zA-Z0-9",
    b"alpha": "a-zA-Z",
    b"blank": " \\t",
    b"cntrl": "\\x00-\\x1f\\x7f",
    b"digit": "0-9",
    b"graph": "\\x21-\\x7e",
    b"lower": "a-z",
    b"print": "\\x20-\\x7e",
    b"punct": "!-/:-@\\[-`{-~",
    b"space": " \\t\\n\\r\\x0b\\x0c",
    b"upper": "A-Z",
    b"xdigit": "0-9a-fA-F",
}

_CACHE: dict[tuple[bytes, bool, bool], re.Pattern[bytes] | None] = {}


def wildmatch(pattern: bytes, text: bytes, *, pathname: bool, casefold: bool = False) -> bool:
    """Whether ``text`` matches the glob ``pattern`` as git's ``wildmatch`` decides it
    (``WM_PATHNAME`` when ``pathname``, ``WM_CASEFOLD`` when ``casefold``)."""
    key = (pattern, pathname, casefold)
    if key not in _CACHE:
        source = _translate(pattern, pathname)
        flags = re.DOTALL | (re.IGNORECASE if casefold else 0)
        _CACHE[key] = None if source is None else re.compile(source, flags)
    compiled = _CACHE[key]
    return compiled is not None and compiled.fullmatch(text) is not None


def _literal(byte: int) -> str:
    return re.escape(chr(byte))


def _translate(pattern: bytes, pathname: bool) -> bytes | None:
    """The regular expression (latin-1 text as bytes) of ``pattern``; None when it can match
    nothing (an unterminated bracket)."""
    out: list[str] = []
    one = "[^/]" if pathname else "."
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == 0x5C:  # backslash: the next character literally (a trailing one is itself)
            i += 1
            out.append(_literal(pattern[i] if i < n else c))
            i += 1
        elif c == 0x3F:  # ?
            out.append(one)
            i += 1
        elif c == 0x2A:  # *
            start = i
            while i < n and pattern[i] == 0x2A:
                i += 1
            if i - start == 1:
                out.append("[^/]*" if pathname else ".*")
                continue
            after_slash = start == 0 or pattern[start - 1] == 0x2F
            rest = pattern[i:]
            if after_slash and (not rest or rest[:1] == b"/" or rest[:2] == b"\\/"):
                if rest[:1] == b"/":
                    out.append("(?:.*/)?")  # zero or more directories
                    i += 1
                elif rest[:2] == b"\\/":
                    out.append("(?:.*/)?")
                    i += 2
                else:
                    out.append(".*")
            else:
                out.append("[^/]*")
        elif c == 0x5B:  # [
            found = _bracket(pattern, i + 1, pathname)
            if found is None:
                return None
            text, i = found
            out.append(text)
        else:
            out.append(_literal(c))
            i += 1
    return "".join(out).encode("latin-1")


def _bracket(pattern: bytes, i: int, pathname: bool) -> tuple[str, int] | None:
    """The character class starting after ``[`` at ``i`` and the index after its ``]``."""
    n = len(pattern)
    negated = i < n and pattern[i] in (0x21, 0x5E)  # ! or ^
    if negated:
        i += 1
    parts: list[str] = []
    first = True
    while True:
        if i >= n:
            return None
        c = pattern[i]
        if c == 0x5D and not first:  # ]
            i += 1
            break
        first = False
        if c == 0x5C:
            i += 1
            if i >= n:
                return None
            c = pattern[i]
        elif c == 0x5B and pattern[i + 1 : i + 2] == b":":
            end = pattern.find(b":]", i + 2)
            if end < 0:
                return None
            name = pattern[i + 2 : end]
            if name not in _CLASSES:
                return None
            parts.append(_CLASSES[name])
            i = end + 2
            continue
        if pattern[i + 1 : i + 2] == b"-" and i + 2 < n and pattern[i + 2] != 0x5D:
            high = pattern[i + 2]
            j = i + 3
            if high == 0x5C:
                if j >= n:
                    return None
                high = pattern[j]
                j += 1
            if high >= c:
                parts.append(f"{_literal(c)}-{_literal(high)}")
            i = j
            continue
        parts.append(_literal(c))
        i += 1
    body = "".join(parts)
    if negated:
        return (f"[^{body}/]" if pathname else f"[^{body}]") if body else _any_one(pathname), i
    if not body:
        return "(?!)", i
    return (f"(?!/)[{body}]" if pathname else f"[{body}]"), i


def _any_one(pathname: bool) -> str:
    """Any one character (not ``/`` with ``pathname``)."""
    return "[^/]" if pathname else "."
