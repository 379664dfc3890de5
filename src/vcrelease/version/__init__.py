"""From what git (or an sdist, an archive, the environment) says to a PEP 440 version.

The stage between :mod:`vcrelease.git` and :mod:`vcrelease.publish` (``docs/architecture.md``).
"""
