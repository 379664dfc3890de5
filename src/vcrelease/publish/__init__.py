"""What is done with a version: Docker tags, the release policy, uploads, promotion, channels.

The stage above :mod:`vcrelease.version` (``docs/architecture.md``): HTTP at the edges, the
rules pure.

The rules and their modules: release policy :mod:`.policy`; index rules before an upload
:mod:`.preflight`; upload, settle and verify :mod:`.upload`; simple API pages :mod:`.simpleapi`
over HTTP :mod:`.indexclient`; distribution files :mod:`.dists`; Docker tags :mod:`.docker`;
promotion :mod:`.promote`; rollback channels :mod:`.channel` (pure) and :mod:`.channelio`.
"""

__all__: list[str] = []
