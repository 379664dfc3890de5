"""The git-reading part of ``vcrelease version`` alone, for the benchmark's breakdown.

Describes the repository in the current directory through the describe cache
(:func:`vcrelease.git.describe` with a ``tag_key``, as ``vcrelease version`` does) with the
default tag pattern, and prints ``TAG-DISTANCE-gNODE[-dirty]``. It imports neither the
command line nor the configuration nor vcs-versioning, so its time is what reading git costs,
Python's start included; the rest of ``vcrelease version`` is configuration, version schemes
and output.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from vcrelease.git.session import describe

# setuptools-scm's default tag regex, as vcrelease's default tag-pattern.
PATTERN = re.compile(r"^(?:[\w-]+-)?(?P<version>[vV]?\d+(?:\.\d+){0,2}[^\+]*)(?:\+.*)?$")


def parse(name: str) -> str | None:
    m = PATTERN.match(name)
    return m.group("version").lstrip("vV") if m else None


def main() -> int:
    state = describe(Path.cwd(), parse, tag_key=f"{PATTERN.pattern}\0{PATTERN.flags}")
    dirty = "-dirty" if state.dirty else ""
    print(f"{state.tag}-{state.distance}-g{state.node}{dirty}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
