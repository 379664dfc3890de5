"""The describe cache: repeated calls (a build asks for the version several times, in several
processes) skip the history walk.

What is cached: the history part of a describe (:class:`vcrelease.git.model.History`: the tag,
its version, the distance, HEAD, the branch, the commit time, HEAD's tree, shallow or not, the
candidates). The dirty state is never cached: every call recomputes it with the stat-based
check of :func:`vcrelease.git.status.dirty_files` (only files whose stat data differ from the
index are hashed), so a file modified after the last call is always seen. A cached "clean"
cannot exist.

The key is a digest of contents, not of modification times:

- the refs fingerprint (:attr:`vcrelease.git.refs.Refs.fingerprint`): ``HEAD`` and every ref it
  follows (a new commit, a moved or switched branch, a detached HEAD), the name and content of
  every loose tag ref (a new, moved or deleted tag), ``packed-refs`` byte for byte
  (``git pack-refs``, ``git gc``, fetches), the ``shallow`` file (deepening a clone), the
  replace refs, whether they are enabled, and the grafts file (a rewritten history);
- the tag settings: the caller's ``tag_key`` (the tag pattern and its flags) and the versions
  of the libraries that parse tag names (``vcs-versioning``, ``packaging``);
- the ``distance-scope`` (:attr:`vcrelease.git.model.Scope.key`: its paths and count mode);
- the object store's layout (:func:`store_stamp`): in every object directory (the
  repository's and each alternate, :mod:`vcrelease.git.alternates`), the commit-graph files
  (a rewritten graph or chain), the pack files and ``info/alternates``, each by name, size,
  modification time and inode (written by git as new files and renamed into place); the
  repository's ``config`` byte for byte; the variables that choose other objects or
  configuration (``GIT_ALTERNATE_OBJECT_DIRECTORIES``, ``GIT_CONFIG_*``...);
- vcrelease itself: its version and the size and modification time of every module of
  ``vcrelease.git`` (the package that computes the history: an edited checkout of vcrelease
  never reads an older result, and a module added to the package is covered without a list
  to keep up to date);
- the format of the cache.

Objects never change under their id, but which objects can be read, and which commit-graph
answers for them, can: hence the store's stamp. Errors (a shallow cut, a
corrupt tag) are not cached: they are found again on every call.

Where: in memory (at most :data:`MEMORY_ENTRIES` results per process), and on disk in
``<git dir>/vcrelease/describe-cache.json``, where ``<git dir>`` is the repository directory of
the work tree (``.git``, or ``.git/worktrees/<name>`` for a linked worktree): outside the work
tree, private to that work tree, deleted with the clone. The file holds at most
:data:`DISK_ENTRIES` results (several tag patterns in one monorepo each keep theirs). It is
written to a temporary file and renamed into place; any failure to read or write it (a
read-only checkout, a full disk, a corrupt or foreign file) is silent and never changes the
result. ``VCRELEASE_NO_CACHE=1`` turns both caches off; so does a repository another user owns
(:meth:`vcrelease.git.repository.GitRepo.untrusted`): its cache file is neither read (it could
hold any answer) nor written (a read never writes into someone else's repository).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from .history import read_history
from .model import History, ParseTag, Scope, TagCandidate
from .refs import Refs
from .repository import GitRepo

__all__ = [
    "CACHE_DIR",
    "CACHE_FILE",
    "DISABLE_VARIABLE",
    "DISK_ENTRIES",
    "FORMAT",
    "MEMORY_ENTRIES",
    "cache_file",
    "cached_history",
    "clear_memory",
    "code_stamps",
    "store_stamp",
]

try:  # BLAKE2 without hashlib, whose import loads OpenSSL
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b

FORMAT = 2
"""Version of the cache file's layout and of the key's recipe."""
MEMORY_ENTRIES = 16
DISK_ENTRIES = 8
CACHE_DIR = "vcrelease"
CACHE_FILE = "describe-cache.json"
DISABLE_VARIABLE = "VCRELEASE_NO_CACHE"
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation below os.fdopen

_memory: dict[str, History] = {}
"""(git dir, key) -> history, insertion-ordered, at most MEMORY_ENTRIES (the oldest is
dropped): the one piece of module state, bounded."""


def cached_history(
    repo: GitRepo, refs: Refs, parse_tag: ParseTag, *, tag_key: str, scope: Scope | None = None
) -> History:
    """:func:`vcrelease.git.history.read_history`, taken from the cache when the refs and the
    tag settings are unchanged (and stored there otherwise).

    Args:
        repo, refs: the open repository and its refs, as read by the caller's session.
        parse_tag: tag name -> version string or None.
        tag_key: a string that changes whenever ``parse_tag`` may answer differently (the tag
            pattern and its flags).
        scope: the ``distance-scope`` (part of the key), or None.

    Raises:
        RepositoryError, ShallowCloneError: as ``read_history`` (errors are never cached).
    """
    fingerprint = refs.fingerprint
    off = fingerprint is None or _disabled() or repo.untrusted() is not None
    scope_key = "" if scope is None else "\0scope\0" + scope.key
    key = (
        None
        if off or fingerprint is None
        else _key(fingerprint, tag_key + scope_key + "\0store\0" + store_stamp(repo))
    )
    history = None if key is None else _lookup(repo, key)
    if history is None:
        history = read_history(repo, refs, parse_tag, scope)
        if key is not None:
            _store(repo, key, history)
    elif history.root != repo.root:
        history = _with_root(history, repo.root)
    return history


def cache_file(git_dir: str | Path) -> Path:
    """The cache file of the repository directory ``git_dir`` (``.git``)."""
    return Path(git_dir) / CACHE_DIR / CACHE_FILE


def clear_memory() -> None:
    """Forget the results held in this process (the disk cache stays)."""
    _memory.clear()


def _disabled() -> bool:
    return os.environ.get(DISABLE_VARIABLE, "").strip().lower() in {"1", "true", "yes", "on"}


def _key(fingerprint: bytes, tag_key: str) -> str:
    digest = blake2b(digest_size=20)
    # No package version: every module of this package (code_stamps) and the caller's tag
    # parser (tag_key) are what decide a history, and reading the version costs an import.
    for part in (str(FORMAT), tag_key, *code_stamps()):
        data = part.encode("utf-8", "surrogatepass")
        digest.update(b"%d\0" % len(data))
        digest.update(data)
    digest.update(fingerprint)
    return digest.hexdigest()


def code_stamps() -> list[str]:
    """What else decides the history: every module of this package (derived from its
    directory, so no list can miss a module).

    The tag parser is the caller's: its identity (the pattern, the parsing rule's revision and
    the version of the library it runs on) is the caller's ``tag_key``
    (:func:`vcrelease.version.resolve.describe_project`), so no library is stamped here; a
    stamp that depended on what happens to be imported would change the key between runs.
    """
    package = os.path.dirname(os.path.abspath(__file__))
    try:
        names = sorted(name for name in os.listdir(package) if name.endswith(".py"))
    except OSError:
        names = []
    stamps = [f"vcrelease.git:{package}:{len(names)}"]
    for name in names:
        try:
            module_st = os.stat(os.path.join(package, name))
            stamps.append(f"{name}:{module_st.st_size}:{module_st.st_mtime_ns}")
        except OSError:
            stamps.append(f"{name}:?")
    return stamps


_STORE_VARIABLES = (
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_OBJECT_DIRECTORY",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
    "GIT_CONFIG_NOSYSTEM",
    "GIT_SHALLOW_FILE",
)
"""Variables that change which objects, graph or configuration git reads."""


def store_stamp(repo: GitRepo) -> str:
    """What the history depends on besides the refs and the code: the object store's files
    (see the module docstring), as one string. Costs a directory listing and a ``stat`` per
    pack, graph and alternates file of each object directory, and one read of ``config``."""
    from .alternates import object_dirs

    env = os.environ
    parts = [f"{name}={env.get(name)!r}" for name in _STORE_VARIABLES]
    count = env.get("GIT_CONFIG_COUNT", "")
    for i in range(int(count) if count.isdigit() else 0):  # git reads these pairs only
        parts.append(f"{env.get(f'GIT_CONFIG_KEY_{i}')!r}={env.get(f'GIT_CONFIG_VALUE_{i}')!r}")
    for directory in object_dirs(os.path.join(repo.common_dir, "objects")):
        parts.append(f"dir:{directory}")
        for sub, names in (
            ("info", ("commit-graph", "alternates")),
            (os.path.join("info", "commit-graphs"), None),
            ("pack", None),
        ):
            folder = os.path.join(directory, sub)
            try:
                listed = sorted(os.listdir(folder)) if names is None else list(names)
            except OSError:
                continue
            for name in listed:
                parts.append(f"{sub}/{name}:{_file_stamp(os.path.join(folder, name))}")
    configs = (
        os.path.join(repo.common_dir, "config"),
        os.path.join(repo.git_dir, "config.worktree"),
    )
    for config in configs:
        try:
            with open(config, "rb") as f:
                parts.append(f"config:{config}:{f.read().hex()}")
        except OSError:
            parts.append(f"config:{config}:-")
    return "\n".join(parts)


def _file_stamp(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return "-"
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _lookup(repo: GitRepo, key: str) -> History | None:
    found = _memory.get(_memory_key(repo, key))
    if found is not None:
        return found
    entries = _read_file(repo)
    raw = entries.get(key)
    if raw is None:
        return None
    try:
        history = _decode(raw, repo.root)
    except (KeyError, TypeError, ValueError):
        return None
    _remember(_memory_key(repo, key), history)
    return history


def _store(repo: GitRepo, key: str, history: History) -> None:
    _remember(_memory_key(repo, key), history)
    entries = _read_file(repo)
    entries.pop(key, None)
    entries[key] = _encode(history)
    while len(entries) > DISK_ENTRIES:
        del entries[next(iter(entries))]
    _write_file(repo, entries)


def _memory_key(repo: GitRepo, key: str) -> str:
    """Per repository: equal refs in two clones may still differ in the objects they hold."""
    return f"{os.path.abspath(repo.git_dir)}\0{key}"


def _remember(key: str, history: History) -> None:
    _memory.pop(key, None)
    _memory[key] = history
    while len(_memory) > MEMORY_ENTRIES:
        del _memory[next(iter(_memory))]


def _read_file(repo: GitRepo) -> dict[str, Any]:
    """The entries of the cache file; {} when it is absent, unreadable or not ours."""
    try:
        with open(cache_file(repo.git_dir), "rb") as f:
            data = json.loads(f.read())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    entries = data.get("entries")
    return dict(entries) if isinstance(entries, dict) else {}


def _write_file(repo: GitRepo, entries: dict[str, Any]) -> None:
    """Write the cache file atomically (a private temporary file renamed into place); give up
    silently on any failure. No ``tempfile``: its import costs more than a whole cache hit."""
    target = cache_file(repo.git_dir)
    payload = json.dumps({"format": FORMAT, "entries": entries}, separators=(",", ":"))
    temp = None
    try:
        target.parent.mkdir(exist_ok=True)
        name = target.parent / f".describe-{os.getpid()}-{os.urandom(6).hex()}.tmp"
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o600)
        temp = name
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(payload)
        os.replace(temp, target)
        temp = None
    except OSError:
        pass
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def _encode(history: History) -> dict[str, Any]:
    return {
        "tag": history.tag,
        "tag_version": history.tag_version,
        "distance": history.distance,
        "node": history.node,
        "branch": history.branch,
        "commit_time": history.commit_time,
        "head_tree": history.head_tree,
        "shallow": history.shallow,
        "candidates": [[c.name, c.version, c.commit, c.distance] for c in history.candidates],
        "scope": None
        if history.scope is None
        else [history.scope.first_parent, list(history.scope.paths)],
        "unscoped_distance": history.unscoped_distance,
    }


def _decode(raw: dict[str, Any], root: Path) -> History:
    """A cache entry -> History.

    Raises:
        KeyError, TypeError, ValueError: an entry of another shape.
    """

    def text(value: Any, optional: bool = False) -> Any:
        if (value is None and optional) or isinstance(value, str):
            return value
        raise TypeError(f"expected a string, got {value!r}")

    def number(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an integer, got {value!r}")
        return value

    candidates = tuple(
        TagCandidate(text(name), text(version), text(commit), number(distance))
        for name, version, commit, distance in raw["candidates"]
    )
    shallow = raw["shallow"]
    if not isinstance(shallow, bool):
        raise TypeError("shallow")
    node = text(raw["node"])
    head_tree = text(raw["head_tree"])
    if len(node) not in (40, 64) or len(head_tree) != len(node):
        raise ValueError("node and head_tree are hex ids of one object format")
    scope = None
    if raw["scope"] is not None:
        first_parent, paths = raw["scope"]
        if not isinstance(first_parent, bool):
            raise TypeError("scope")
        scope = Scope(tuple(text(p) for p in paths), first_parent)
    unscoped = raw["unscoped_distance"]
    return History(
        tag=text(raw["tag"], optional=True),
        tag_version=text(raw["tag_version"], optional=True),
        distance=number(raw["distance"]),
        node=node,
        branch=text(raw["branch"], optional=True),
        commit_time=number(raw["commit_time"]),
        head_tree=head_tree,
        shallow=shallow,
        candidates=candidates,
        root=root,
        scope=scope,
        unscoped_distance=None if unscoped is None else number(unscoped),
    )


def _with_root(history: History, root: Path) -> History:
    return history._replace(root=root)
