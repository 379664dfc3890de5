"""What is done with a version: Docker tags, the release policy, uploads, promotion, channels.

The stage above :mod:`vcrelease.version` (``docs/architecture.md``): HTTP at the edges, the
rules pure.
"""
