"""git's config syntax: the text of a config file (``git-config`` "CONFIGURATION FILE"), the
command scope's environment variables (``git-config`` "ENVIRONMENT") and the boolean and
integer types, as ``config.c`` reads them. :mod:`vcrelease.git.gitconfig` puts the files
together.

The file syntax is a port of ``config.c``'s ``git_parse_source``: sections ``[name]``,
``[name "subsection"]`` and ``[name.sub]``, names of letters, digits and ``-``, a key without
``=`` (a boolean true), quotes, the escapes ``\\n \\t \\b \\\\ \\"``, a backslash before the end
of a line, ``#``/``;`` comments, a UTF-8 byte order mark. A line git calls "bad config line"
is a :class:`GitConfigError` here too. Most lines are read by two regular expressions (a plain
``[section]`` and a plain ``key = value``); the rest character by character, as git does.

Types (``git_parse_maybe_bool``, ``git_parse_int``): booleans ``true/yes/on``,
``false/no/off`` and the empty value (any case), a key without a value, or an integer (``0x0``
and ``0k`` are 0, so false); integers in C's bases (``0x``, a leading ``0`` octal) with a
``k``/``m``/``g`` unit, within a C ``int``.
"""

from __future__ import annotations

import os
import re

from ..errors import RepositoryError

__all__ = [
    "COMMAND_LINE",
    "Entry",
    "GitConfigError",
    "command_scope",
    "parse_bool",
    "parse_file",
    "parse_int",
    "parse_text",
]

COMMAND_LINE = "command line"
"""The origin of the command scope's settings."""

Entry = tuple[bytes, bytes | None, bytes, bytes | None]
"""(section, subsection, name, value) of one line of a file, before includes."""


class GitConfigError(RepositoryError):
    """A configuration git refuses too: a bad line, a bad boolean or integer where one is
    read, an include loop (exit 3)."""


# -- types ---------------------------------------------------------------------------------

_INT_SYNTAX = rb"[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(.*)"
_INT: list[re.Pattern[bytes]] = []
"""The compiled :data:`_INT_SYNTAX`, made by the first value that is not plain digits."""
_UNITS = {b"": 1, b"k": 1024, b"m": 1024**2, b"g": 1024**3}
_INT_MAX = 2**31 - 1


def parse_int(value: bytes | None) -> int | None:
    """git's ``git_parse_int``: C's ``strtoimax`` in base 0 (``0x`` hex, a leading ``0``
    octal, leading white space and a sign allowed) and a unit ``k``/``m``/``g`` (any case);
    None when the value is not one or leaves a C ``int``."""
    if not value:
        return None
    if value.isdigit() and (value[:1] != b"0" or len(value) == 1):
        number = int(value)  # the common case (core.repositoryformatversion = 0)
        return number if number <= _INT_MAX else None
    if not _INT:
        _INT.append(re.compile(_INT_SYNTAX, re.DOTALL))
    m = _INT[0].fullmatch(value)
    if m is None:
        return None
    sign, digits, unit = m.groups()
    factor = _UNITS.get(unit.lower())
    if factor is None:
        return None
    if digits[1:2] in (b"x", b"X"):
        number = int(digits[2:], 16)
    else:
        number = int(digits, 8 if digits.startswith(b"0") else 10)
    number *= factor
    if number > _INT_MAX:  # git_parse_signed: |value| <= INT_MAX
        return None
    return -number if sign == b"-" else number


def parse_bool(value: bytes | None) -> bool | None:
    """git's ``git_parse_maybe_bool``: None (a key without ``=``), ``true/yes/on`` -> True;
    ``false/no/off`` and the empty value -> False (words in any case, nothing stripped); else
    an integer (:func:`parse_int`) is true when not 0; None when the value is none of these."""
    if value is None:
        return True
    word = value.lower()
    if word in (b"true", b"yes", b"on"):
        return True
    if word in (b"false", b"no", b"off", b""):
        return False
    number = parse_int(value)
    return None if number is None else number != 0


# -- the file syntax -----------------------------------------------------------------------

_SPACE = b" \t\n\v\f\r"
_BLANK = re.compile(rb"[ \t\v\f\r]*(?:[#;][^\n]*)?(?:\n|\Z)")
_SIMPLE_KEY = re.compile(
    rb"[ \t\v\f\r]*([A-Za-z][A-Za-z0-9-]*)[ \t]*"
    rb"(?:(=)[ \t\v\f\r]*([^\s\"\\#;](?:[^\n\"\\#;\t\v\f\r]*[^\s\"\\#;])?)?"
    rb"[ \t\v\f\r]*(?:[#;][^\n]*)?)?(?:\n|\Z)"
)
_SIMPLE_HEADER = re.compile(rb"[ \t\v\f\r]*\[([A-Za-z0-9.-]+)\]")


def parse_file(path: str) -> list[Entry] | None:
    """The lines of the config file ``path`` (no includes followed); None when it does not
    exist or cannot be read (git skips such a file).

    Raises:
        GitConfigError: a line git cannot parse.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return parse_text(data, path)


def parse_text(data: bytes, origin: str) -> list[Entry]:
    """The lines of config text (``origin`` names it in errors), as ``config.c``'s
    ``git_parse_source`` reads them.

    Raises:
        GitConfigError: a line git cannot parse ("bad config line N in file F" for git).
    """
    if b"\r\n" in data:
        data = data.replace(b"\r\n", b"\n")  # get_next_char reads CR LF as LF
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    out: list[Entry] = []
    section: bytes = b""
    subsection: bytes | None = None
    i, n = 0, len(data)
    while i < n:
        m = _BLANK.match(data, i)
        if m is not None and m.end() > i:
            i = m.end()
            continue
        m = _SIMPLE_KEY.match(data, i)
        if m is not None:
            name, equals, value = m.groups()
            out.append((section, subsection, name.lower(), (value or b"") if equals else None))
            i = m.end()
            continue
        m = _SIMPLE_HEADER.match(data, i)
        if m is not None:
            section, subsection = _split_header(m.group(1).lower(), None)
            i = m.end()
            continue
        c = data[i]
        if c in _SPACE:
            i += 1
        elif c in b"#;":
            end = data.find(b"\n", i)
            i = n if end < 0 else end + 1
        elif c == 0x5B:  # [
            header = _header(data, i + 1)
            if header is None:
                raise _bad_line(data, i, origin)
            (base, sub), i = header
            section, subsection = _split_header(base, sub)
        elif chr(c).isalpha() and c < 0x80:
            found = _key_value(data, i)
            if found is None:
                raise _bad_line(data, i, origin)
            (name, value), i = found
            out.append((section, subsection, name, value))
        else:
            raise _bad_line(data, i, origin)
    return out


def _split_header(base: bytes, sub: bytes | None) -> tuple[bytes, bytes | None]:
    """``[a.b]`` (whole name lower-cased) is section ``a``, subsection ``b``; git keeps a
    header as one dotted name and splits a key at its first and last dots."""
    if b"." in base:
        head, _, rest = base.partition(b".")
        return head, rest if sub is None else rest + b"." + sub
    return base, sub


def _bad_line(data: bytes, i: int, origin: str) -> GitConfigError:
    line = data.count(b"\n", 0, i) + 1
    return GitConfigError(
        f'{origin}: line {line} is not git config syntax (git stops with "bad config line '
        f'{line} in file {origin}" too). Fix or remove the line (`git config --file '
        f"{origin} --list` shows whether git reads the file)."
    )


def _header(data: bytes, i: int) -> tuple[tuple[bytes, bytes | None], int] | None:
    """``get_base_var``/``get_extended_base_var`` from after ``[``: ((name, subsection),
    index after ``]``), None when git rejects it."""
    n = len(data)
    start = i
    while i < n:
        c = data[i]
        if c == 0x5D:  # ]
            name = data[start:i].lower()
            return ((name, None), i + 1) if name else None
        if c in _SPACE:
            name = data[start:i].lower()
            while i < n and data[i] in _SPACE:
                if data[i] == 0x0A:
                    return None
                i += 1
            if i >= n or data[i] != 0x22:  # "
                return None
            i += 1
            sub = bytearray()
            while True:
                if i >= n or data[i] == 0x0A:
                    return None
                c = data[i]
                if c == 0x22:
                    break
                if c == 0x5C:
                    i += 1
                    if i >= n or data[i] == 0x0A:
                        return None
                    c = data[i]
                sub.append(c)
                i += 1
            if data[i + 1 : i + 2] != b"]" or not name:
                return None
            return (name, bytes(sub)), i + 2
        if not (chr(c).isalnum() and c < 0x80) and c not in b"-.":
            return None
        i += 1
    return None


def _key_value(data: bytes, i: int) -> tuple[tuple[bytes, bytes | None], int] | None:
    """``get_value`` and ``parse_value`` from a key's first letter: ((name, value), index
    after the line), None when git rejects it."""
    n = len(data)
    start = i
    while i < n and (data[i] == 0x2D or (data[i] < 0x80 and chr(data[i]).isalnum())):
        i += 1
    name = data[start:i].lower()
    while i < n and data[i] in b" \t":
        i += 1
    if i >= n or data[i] == 0x0A:
        return (name, None), i + 1
    if data[i] != 0x3D:  # =
        return None
    i += 1
    value = bytearray()
    quote = comment = False
    space = 0
    while True:
        c = 0x0A if i >= n else data[i]  # the end of the file ends the line
        i += 1
        if c == 0x0A:
            if quote:
                return None
            return (name, bytes(value)), i
        if comment:
            continue
        if c in _SPACE and not quote:
            if value:
                space += 1
            continue
        if not quote and c in b";#":
            comment = True
            continue
        value += b" " * space
        space = 0
        if c == 0x5C:
            c = data[i] if i < n else 0x0A
            i += 1
            if c == 0x0A:
                continue  # a line continued (or the end of the file)
            escaped = {0x74: 0x09, 0x62: 0x08, 0x6E: 0x0A, 0x5C: 0x5C, 0x22: 0x22}.get(c)
            if escaped is None:
                return None
            value.append(escaped)
            continue
        if c == 0x22:
            quote = not quote
            continue
        value.append(c)


# -- the command scope------------------------------------------------------------------


def command_scope() -> list[Entry]:
    """The ``GIT_CONFIG_COUNT`` pairs, then ``GIT_CONFIG_PARAMETERS`` (``'key'='value' ...``,
    as ``git -c`` writes it), in ``config.c`` ``git_config_from_parameters``'s order.

    Raises:
        GitConfigError: a count that is not a number, a missing key, a key without a
            section or a name, or a malformed ``GIT_CONFIG_PARAMETERS``.
    """
    env = os.environ
    pairs: list[tuple[str, bytes | None]] = []
    raw_count = env.get("GIT_CONFIG_COUNT")
    if raw_count is not None:
        count = int(raw_count) if raw_count.isdigit() else 0 if not raw_count else None
        if count is None:
            raise GitConfigError(
                f"GIT_CONFIG_COUNT={raw_count!r} is not a count (git: bogus count). Set it to "
                "the number of GIT_CONFIG_KEY_<n> variables, or unset it."
            )
        for i in range(count):
            key = env.get(f"GIT_CONFIG_KEY_{i}")
            if not key:
                raise GitConfigError(
                    f"GIT_CONFIG_COUNT={count} but GIT_CONFIG_KEY_{i} is missing (git: "
                    "missing config key). Set it, or lower GIT_CONFIG_COUNT."
                )
            raw = env.get(f"GIT_CONFIG_VALUE_{i}")
            if raw is None:
                raise GitConfigError(
                    f"GIT_CONFIG_COUNT={count} but GIT_CONFIG_VALUE_{i} is missing (git: "
                    "missing config value). Set it, or lower GIT_CONFIG_COUNT."
                )
            pairs.append((key, os.fsencode(raw)))
    params = env.get("GIT_CONFIG_PARAMETERS")
    if params:
        pairs += _parameters(os.fsencode(params))
    out: list[Entry] = []
    for key, value in pairs:
        first, _, rest = key.partition(".")
        sub, dot, name = rest.rpartition(".")
        if not first or not name:
            raise GitConfigError(
                f"the command-line setting {key!r} (GIT_CONFIG_PARAMETERS / "
                "GIT_CONFIG_KEY_<n>) has no section or no name (git: key does not contain "
                "a section). Write it as section.name."
            )
        out.append(
            (
                first.lower().encode(),
                os.fsencode(sub) if dot else None,
                name.lower().encode(),
                value,
            )
        )
    return out


def _parameters(text: bytes) -> list[tuple[str, bytes | None]]:
    """``GIT_CONFIG_PARAMETERS``: single-quoted words (``'\\''`` for a quote), each
    ``'key'='value'``, ``'key'`` (no value) or the older ``'key=value'``."""
    i, n = 0, len(text)
    pairs: list[tuple[str, bytes | None]] = []

    def quoted(i: int) -> tuple[bytes, int]:
        if i >= n or text[i] != 0x27:
            raise _bad_parameters(text)
        word = bytearray()
        i += 1
        while True:
            end = text.find(b"'", i)
            if end < 0:
                raise _bad_parameters(text)
            word += text[i:end]
            i = end + 1
            if text[i : i + 3] in (b"\\''", b"\\!'"):
                word += text[i + 1 : i + 2]
                i += 3
                continue
            return bytes(word), i

    while i < n:
        if text[i] in _SPACE:
            i += 1
            continue
        key, i = quoted(i)
        if text[i : i + 1] == b"=":
            i += 1
            if i < n and text[i] == 0x27:
                value, i = quoted(i)
                if i < n and text[i] not in _SPACE:
                    raise _bad_parameters(text)
                pairs.append((os.fsdecode(key), value))
            elif i >= n or text[i] in _SPACE:
                pairs.append((os.fsdecode(key), None))  # 'key'= : an implicit true
            else:
                raise _bad_parameters(text)
        elif i < n and text[i] not in _SPACE:
            raise _bad_parameters(text)
        else:
            name, equals, value = key.partition(b"=")
            pairs.append((os.fsdecode(name), value if equals else None))
    return pairs


def _bad_parameters(text: bytes) -> GitConfigError:
    return GitConfigError(
        f"GIT_CONFIG_PARAMETERS={os.fsdecode(text)!r} is not what `git -c` writes (git: "
        "bogus format in GIT_CONFIG_PARAMETERS). Unset it, or pass settings with "
        "GIT_CONFIG_COUNT/GIT_CONFIG_KEY_<n>/GIT_CONFIG_VALUE_<n>."
    )
