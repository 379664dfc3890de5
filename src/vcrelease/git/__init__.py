"""Read-only access to a git repository, without the git binary.

This package is the bottom of the data flow (``docs/architecture.md``): it reads ``.git`` and
the work tree, never writes into a repository it does not own (the describe cache lives in
its own directory under the git directory), and knows nothing of PEP 440.

The public API is a session per command::

    from vcrelease import git

    with git.open(project_dir) as repo:          # RepositoryError outside a work tree
        state = repo.describe(parse_tag, ignore_dirty=("src/pkg/_version.py",))
        tags = repo.version_tags(parse_tag)      # the refs read by describe, not read again
        head = repo.head_state()                 # HEAD without a walk (any shallow clone)
        url = repo.remote_url()                  # remote.origin.url, or None

and :func:`describe` for one question in a session of its own. The modules, one on-disk format
or query each: :mod:`~vcrelease.git.repository` (``.git`` and the directories),
:mod:`~vcrelease.git.refs`, :mod:`~vcrelease.git.pack`, :mod:`~vcrelease.git.objects`,
:mod:`~vcrelease.git.commitgraph`, :mod:`~vcrelease.git.indexfile`, :mod:`~vcrelease.git.walk`
and :mod:`~vcrelease.git.history` (``git describe``), :mod:`~vcrelease.git.status` (the dirty
check), :mod:`~vcrelease.git.cache` (the describe cache), :mod:`~vcrelease.git.session`; ids
and records in :mod:`~vcrelease.git.ids` and :mod:`~vcrelease.git.model`.

Importing this package loads no dulwich (it is imported only for reftable refs, check-in
filters, submodules and objects the readers here cannot place) and not the describe cache.
"""

from __future__ import annotations

from .ids import HexId, RawId
from .model import Describe, HeadState, History, ParseTag, Scope, TagCandidate, VersionTag
from .repository import find_work_tree
from .session import Repository, describe
from .session import open_repository as open

__all__ = [
    "Describe",
    "HeadState",
    "HexId",
    "History",
    "ParseTag",
    "RawId",
    "Repository",
    "Scope",
    "TagCandidate",
    "VersionTag",
    "describe",
    "find_work_tree",
    "open",
]
