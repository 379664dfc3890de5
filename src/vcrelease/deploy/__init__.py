"""Several versions of one project side by side: installs, partial-version links, live.

A deploy root holds one directory per project (its normalized name, PEP 503), and in it one
directory per installed version, each with its whole dependency closure::

    ROOT/app/1.2.3/lib/          the release and its dependencies (pip or uv ``--target``)
    ROOT/app/1.2.3/bin/app       its console scripts, running with ``lib`` first on the path
    ROOT/app/1.2   -> 1.2.3      partial-version links: the highest installed match
    ROOT/app/1     -> 1.2.3
    ROOT/app/live  -> 1.2.3      what production runs; ``previous`` is the one before

The pattern of shared libraries (``libpng.so.1 -> libpng.so.1.6.43``) applied to Python
projects: nothing is upgraded in place, so versions whose dependencies conflict live side by
side, and a switch is one atomic ``rename(2)`` of a symbolic link.

- :mod:`.layout`: the on-disk layout, the spec rules (which installed version a partial
  version names) and the atomic link swap;
- :mod:`.operations`: install (through pip's or uv's own installer), remove, live, rollback,
  list.

:mod:`vcrelease.multiversion` imports a deployed version into a running process.
"""

from __future__ import annotations

__all__: list[str] = []
