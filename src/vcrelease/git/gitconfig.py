"""The few settings of a repository's ``config`` file that change what the readers see.

Syntax (``git-config``, "CONFIGURATION FILE"): ``[section]`` or ``[section "subsection"]``
headers, ``name = value`` lines (a bare ``name`` is true), ``#`` and ``;`` comments, values
in double quotes with backslash escapes. Section and variable names are case-insensitive,
subsections are not. Only the repository's own file is read (``include.path`` is not
followed; the user's and the system's files hold no repository format).

The settings read: ``extensions.objectFormat`` (:mod:`vcrelease.git.ids`),
``core.useReplaceRefs`` (:mod:`vcrelease.git.refs`), ``extensions.partialClone`` and
``remote.<name>.promisor`` (the messages of :mod:`vcrelease.git.objects`).
"""

from __future__ import annotations

import re

__all__ = ["GitConfig", "parse_bool"]

_SECTION = re.compile(r'^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]')
_ENTRY = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$")


class GitConfig:
    """The values of one config file: (section, subsection or None, name) -> values, in file
    order (the last one wins for single-valued settings)."""

    def __init__(self, data: bytes) -> None:
        self.values: dict[tuple[str, str | None, str], list[str]] = {}
        section: tuple[str, str | None] | None = None
        for raw in data.decode("utf-8", "replace").splitlines():
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            header = _SECTION.match(line)
            if header:
                name, sub = header[1].lower(), header[2]
                if sub is None and "." in name:  # the old [section.subsection] spelling
                    name, _, sub = name.partition(".")
                section = (name, None if sub is None else re.sub(r"\\(.)", r"\1", sub))
                line = line[header.end() :].strip()
                if not line or line[0] in "#;":
                    continue
            entry = _ENTRY.match(line)
            if section is None or entry is None:
                continue
            value = "true" if entry[2] is None else _value(entry[2])
            self.values.setdefault((*section, entry[1].lower()), []).append(value)

    def get(self, section: str, name: str, subsection: str | None = None) -> str | None:
        """The last value of ``section[.subsection].name``, None when unset."""
        found = self.values.get((section.lower(), subsection, name.lower()))
        return found[-1] if found else None

    def subsections(self, section: str, name: str) -> list[str]:
        """The subsections of ``section`` that set ``name`` (``remote`` / ``promisor``:
        every remote with a promisor setting)."""
        section, name = section.lower(), name.lower()
        return [s for (sec, s, n) in self.values if sec == section and n == name and s]


def _value(text: str) -> str:
    out = []
    quoted = False
    i = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            quoted = not quoted
        elif c == "\\" and i + 1 < len(text):
            i += 1
            out.append({"n": "\n", "t": "\t", "b": "\b"}.get(text[i], text[i]))
        elif c in "#;" and not quoted:
            break
        else:
            out.append(c)
        i += 1
    return "".join(out).strip() if not quoted else "".join(out)


def parse_bool(value: str | None, default: bool) -> bool:
    """A git boolean (``true``/``yes``/``on``/``1``, ``false``/``no``/``off``/``0``/empty);
    ``default`` when unset or not a boolean."""
    if value is None:
        return default
    word = value.strip().lower()
    if word in {"true", "yes", "on", "1"}:
        return True
    if word in {"false", "no", "off", "0", ""}:
        return False
    return default
