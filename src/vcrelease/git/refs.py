"""Refs: ``HEAD``, loose refs, ``packed-refs``, and reftable through dulwich.

Layout (``gitrepository-layout``, ``git-pack-refs``): ``HEAD`` and the per-worktree refs
(``refs/bisect``, ``refs/worktree``, ``refs/rewritten``, pseudo-refs) live in the worktree's
git directory, every other ref in the common directory; a loose ref file holds a 40-hex id or
``ref: <name>`` (a symbolic ref). ``packed-refs`` holds ``<hex> <name>`` lines, each tag
optionally followed by ``^<hex>`` (the commit an annotated tag peels to); its first line
``# pack-refs with: peeled fully-peeled sorted`` says which promises it keeps, and none is
relied on here: other writers break them (dulwich writes ``peeled`` without the ``^`` lines),
so a tag without a ``^`` line is peeled by reading its object, and the names are sorted here.
A file git refuses (a stray ``^`` line, CRLF line ends, a line that is no ref) is refused
(:func:`check_packed_refs`). Ref names are bytes to git: they are decoded with
``surrogateescape`` (``os.fsdecode``), so a name that is not UTF-8 survives the round trip.
A loose ref wins over a packed one. A ``reftable`` directory (``extensions.refStorage``) is
read through dulwich.

A ref whose name git's ``check_refname_format`` (``git-check-ref-format``, ``refs.c``) refuses
is skipped, from loose files, ``packed-refs`` and reftable alike, as git skips it ("ignoring ref
with broken name"): a tag ``v9.0.0 `` (trailing space) is no tag to git, so it gives no
version here (:func:`valid_ref_name`). A name that would climb out of ``refs/`` stops git
("refname is dangerous") and is refused here (:func:`check_packed_refs`).
A symbolic ref is followed at most :data:`SYMREF_MAXDEPTH` deep (``refs.c``); a longer chain
or a loop is refused, as ``git rev-parse`` refuses it.

Replace refs (``refs/replace/<id>``, ``git-replace``; off with ``GIT_NO_REPLACE_OBJECTS`` or
``core.useReplaceRefs = false``; ``GIT_REPLACE_REF_BASE``) and the grafts file (``info/grafts``
or ``GIT_GRAFT_FILE``) are read here too: they change the parents the walk sees.

:func:`read_refs` reads HEAD, the tag refs and the shallow list once and digests every byte
it read: the describe cache's key (:mod:`vcrelease.git.cache`).
"""

import os
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from ..errors import RepositoryError
from .files import read_optional
from .ids import HEX_ID, HexId
from .repository import GitRepo

try:  # BLAKE2 without hashlib, whose import loads OpenSSL (a few ms every call)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b

__all__ = ["SYMREF_MAXDEPTH", "Refs", "TagRef", "read_refs", "valid_ref_name"]

# --- refs ---------------------------------------------------------------------------------------

_PER_WORKTREE_REFS = ("refs/bisect/", "refs/worktree/", "refs/rewritten/")

SYMREF_MAXDEPTH = 5
"""How many symbolic refs git follows from a name before it gives up (``refs.c``)."""

_BAD_REF_NAME = re.compile(
    rb"[\x00-\x20\x7f~^:?*\[\\]"  # control characters, space and ~^:?*[\ anywhere
    rb"|\.\.|@\{"  # ".." and "@{" anywhere
    rb"|(?:^|/)(?:\.|/|$)"  # a component that starts with "." or is empty
    rb"|\.lock(?:/|$)"  # a component that ends with ".lock"
    rb"|\.$|^@$"  # a name that ends with "." or is "@"
)
"""What ``check_refname_format`` (``refs.c``, flags ``REFNAME_ALLOW_ONELEVEL``, as the files
and packed backends call it) refuses in a ref name; a ``*`` is refused too (only a refspec
pattern may hold one)."""


_PLAIN = b"".join(bytes(range(a, b + 1)) for a, b in (b"09", b"AZ", b"az")) + b"-_./+\n"
"""Bytes of most tag names (and the line feed that joins them in :func:`_all_plain_valid`)."""
_BAD_NEAR_PLAIN = (b"..", b"/.", b"\n.", b"//", b"\n/", b"/\n", b".\n", b".lock/", b".lock\n")
"""With only :data:`_PLAIN` bytes, what :data:`_BAD_REF_NAME` can still find, in names joined
by line feeds with one before the first and after the last: ``..``, a component that starts
with ``.`` or is empty, a name that ends with ``.`` or ``/``, a component ending ``.lock``."""


def _all_plain_valid(names: list[bytes]) -> bool:
    """Whether every name (below ``refs/tags/``) is certainly valid, by a few scans of all of
    them at once (thousands of packed tags: a regular expression per name costs milliseconds);
    False means "check each" (:func:`valid_ref_name`), not "invalid"."""
    joined = b"\n" + b"\n".join(names) + b"\n"
    if joined.translate(None, _PLAIN) or b"\n\n" in joined:
        return False
    return not any(bad in joined for bad in _BAD_NEAR_PLAIN)


def valid_ref_name(name: bytes) -> bool:
    """Whether git accepts the full ref name ``name`` (``refs/tags/v1.0``, bytes as stored)
    when it reads refs (``git check-ref-format --allow-onelevel``); git skips a ref whose name
    it refuses with "ignoring ref with broken name"."""
    return _BAD_REF_NAME.search(name) is None


def _escapes_refs(name: bytes) -> bool:
    """Whether ``name`` under ``refs/`` climbs out of it (``refs.c``, ``refname_is_safe``:
    git stops on such a name as "dangerous")."""
    depth = 0
    for part in name.split(b"/")[1:]:
        if part == b"..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in (b"", b"."):
            depth += 1
    return depth <= 0


class TagRef(NamedTuple):
    """A ref under ``refs/tags/``, as stored (a named tuple: thousands are made per describe).

    Attributes:
        name: tag name without ``refs/tags/`` (``v1.2.3``).
        target: the id the ref names (lower case), None when the ref is corrupt.
        peeled: the id of the object after peeling annotated tags, when ``packed-refs``
            has a ``^`` line for the tag; None when unknown (the object is read).
        raw: the ref's content as read (for messages).
    """

    name: str
    target: HexId | None
    peeled: HexId | None
    raw: bytes


_tag_ref = TagRef._make  # tuple.__new__: a TagRef without a Python-level call


class Refs(NamedTuple):
    """What the history depends on, besides objects (which never change under an id).

    Attributes:
        head: 40-hex id of the HEAD commit.
        branch: the checked-out branch, None on a detached HEAD.
        shallow: 40-hex ids listed in the ``shallow`` file (empty unless a shallow clone).
        fingerprint: a digest of every byte read to find these refs (``HEAD``, the refs it
            follows, the loose tag refs with their names, ``packed-refs``, ``shallow``), or
            None when the refs are not plain files (reftable). Equal fingerprints mean equal
            refs.
        packed_refs: the ``packed-refs`` file as read (its tags are parsed on demand).
        loose_tags: (name, content, id a symbolic ref resolves to) of each loose tag ref.
        listed_tags: the tags when they came from dulwich (reftable), else None.
    """

    head: HexId
    branch: str | None
    shallow: frozenset[HexId]
    fingerprint: bytes | None
    packed_refs: bytes = b""
    loose_tags: tuple[tuple[str, bytes, HexId | None], ...] = ()
    listed_tags: tuple[TagRef, ...] | None = None
    replaced: Mapping[HexId, HexId] = MappingProxyType({})
    grafts: Mapping[HexId, tuple[HexId, ...]] = MappingProxyType({})

    def __repr__(self) -> str:
        # the file contents and the rewrites would fill a screen
        return f"Refs(head={self.head!r}, branch={self.branch!r}, shallow={self.shallow!r})"

    @property
    def rewritten(self) -> bool:
        """Replace refs or grafts change the history: git then reads no commit-graph
        (``commit-graph.c``, ``commit_graph_compatible``)."""
        return bool(self.replaced or self.grafts)

    def replacement(self, sha: HexId) -> HexId:
        """The object git reads for ``sha``: its replacement when a replace ref names one
        (followed up to 5 deep, git's ``MAXREPLACEDEPTH``), else ``sha``."""
        for _ in range(5):
            target = self.replaced.get(sha)
            if target is None:
                break
            sha = target
        return sha

    @property
    def tags(self) -> list[TagRef]:
        """Every ``refs/tags/*`` ref, sorted by name (loose refs over packed ones); a new
        list on every access (the packed tags are parsed on demand)."""
        if self.listed_tags is not None:
            return list(self.listed_tags)
        tags: dict[str, TagRef] = {}
        data = self.packed_refs
        if data:
            if not data.endswith(b"\n"):
                data += b"\n"
            # No trait of the header is trusted: a tag without a peeled line is peeled by
            # reading its object (dulwich writes "peeled" without them), the names are sorted
            # here (a "sorted" file may not be).
            found = _PACKED_TAG_STRICT.findall(data)
            check_each = not _all_plain_valid([f[1] for f in found])
            for sha, name_bytes, peeled in found:
                if check_each and not valid_ref_name(b"refs/tags/" + name_bytes):
                    continue  # git: "ignoring ref with broken name"
                name = name_bytes.decode("utf-8", "surrogateescape")
                tags[name] = _tag_ref((name, sha.lower(), peeled.lower() or None, sha))
        for name, raw, resolved in self.loose_tags:
            if not valid_ref_name(b"refs/tags/" + os.fsencode(name)):
                continue  # git: "ignoring ref with broken name"
            content = raw.strip()
            if content.startswith(b"ref:"):
                tags[name] = _tag_ref((name, resolved, None, raw))
            elif HEX_ID.fullmatch(content):
                tags[name] = _tag_ref((name, HexId(content.lower()), None, raw))
            else:
                tags[name] = _tag_ref((name, None, None, raw))
        return [tags[name] for name in sorted(tags, key=os.fsencode)]  # git's byte order


_PACKED_TAG_STRICT = re.compile(
    rb"^([0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?) refs/tags/([^\n]*)\n"
    rb"(?:\^([0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?)\n)?",
    re.MULTILINE,
)
_PACKED_FILE = re.compile(
    rb"(?:# pack-refs with:[^\n\r]*\n)?"
    rb"(?:[0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})? [^\n\r]+\n"
    rb"(?:\^[0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?\n)?)*"
)
"""What ``packed-refs`` holds (``git-pack-refs``, ``refs/packed-backend.c``): an optional
header, then ``<id> <refname>`` lines, each optionally followed by one ``^<id>`` line."""


def check_packed_refs(path: str, data: bytes) -> None:
    """Refuse a ``packed-refs`` file that git refuses or reads other than it looks (a line
    that is not a ref or a peeled line after one, a carriage return, a header past the first
    line): its refs would otherwise be skipped silently.

    Raises:
        RepositoryError: names the file, the line and the fix.
    """
    body = data if data.endswith(b"\n") or not data else data + b"\n"
    if _PACKED_FILE.fullmatch(body):
        for line in body.splitlines() if b"/.." in body else ():
            name = line.partition(b" ")[2]
            if name.startswith(b"refs/") and _escapes_refs(name):
                raise RepositoryError(
                    f"{path}: the ref {name[:80]!r} climbs out of refs/; git stops on it too "
                    "(packed refname is dangerous). Delete that line from the file."
                )
        return
    end = _PACKED_FILE.match(body)
    at = end.end() if end else 0
    number = body.count(b"\n", 0, at) + 1
    line = body[at : body.find(b"\n", at)]
    what = "a carriage return (CRLF line ends)" if b"\r" in line else "an unexpected line"
    raise RepositoryError(
        f"{path}: line {number} ({line[:80]!r}) is {what}; git refuses or misreads this file "
        "too. Rewrite it with git: move it away, then `git pack-refs --all` "
        "(or restore it from a backup)."
    )


def read_refs(repo: GitRepo) -> Refs:
    """HEAD, the tag refs and the shallow list of ``repo`` (tags parsed on demand).

    Raises:
        RepositoryError: HEAD cannot be read or names no commit yet (an empty repository).
    """
    shallow_raw = read_optional(os.path.join(repo.common_dir, "shallow")) or b""
    shallow = frozenset(
        HexId(line.strip().lower()) for line in shallow_raw.splitlines() if line.strip()
    )
    if os.path.isdir(os.path.join(repo.common_dir, "reftable")):
        head, branch, tags = _dulwich_refs(repo)
        return Refs(head, branch, shallow, None, listed_tags=tags)
    digest = blake2b(digest_size=20)
    packed_path = os.path.join(repo.common_dir, "packed-refs")
    packed = read_optional(packed_path) or b""
    check_packed_refs(packed_path, packed)
    digest.update(b"packed-refs\0%d\0" % len(packed))
    digest.update(packed)
    head, branch = _resolve_head(repo, packed, digest)
    loose = _loose_tags(repo, packed, digest)
    digest.update(b"shallow\0%d\0" % len(shallow_raw))
    digest.update(shallow_raw)
    replaced = _replace_refs(repo, packed, digest)
    grafts = _grafts(repo, digest)
    return Refs(head, branch, shallow, digest.digest(), packed, loose, None, replaced, grafts)


def _replace_enabled(repo: GitRepo) -> bool:
    """Replace refs count unless ``GIT_NO_REPLACE_OBJECTS`` is set (to anything) or
    ``core.useReplaceRefs`` is false (``git-replace``, ``git``). The configuration is read
    only when asked, that is when replace refs exist: reading all of it costs an import."""
    if os.environ.get("GIT_NO_REPLACE_OBJECTS") is not None:
        return False
    return repo.config.boolean(b"core", b"usereplacerefs", True)


def _replace_base() -> str:
    base = os.environ.get("GIT_REPLACE_REF_BASE") or "refs/replace/"
    return base if base.endswith("/") else base + "/"


def _replace_refs(repo: GitRepo, packed: bytes, digest: Any) -> dict[HexId, HexId]:
    """``refs/replace/<id>`` -> the id of the replacement, when replace refs are enabled;
    every byte read goes into ``digest`` (a new replace ref changes the history)."""
    base = _replace_base()
    if os.environ.get("GIT_NO_REPLACE_OBJECTS") is not None:
        digest.update(b"replace\0%d\0%s\0" % (False, base.encode()))
        return {}
    listed: list[tuple[bytes, bytes, str]] = []  # (name, target, where), checked if enabled
    prefix = base.encode()
    # One search in C first: thousands of packed tags and usually no replace ref at all.
    for line in packed.splitlines() if b" " + prefix in packed else ():
        sha, _, name = line.rstrip(b"\r").partition(b" ")
        if name.startswith(prefix):
            listed.append((name[len(prefix) :], sha, "packed-refs"))
    stack = [("", os.path.join(repo.common_dir, *base.rstrip("/").split("/")))]
    while stack:
        rel, directory = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append((rel + entry.name + "/", entry.path))
                continue
            raw = read_optional(entry.path)
            if raw is None or entry.name.endswith(".lock"):
                continue
            digest.update(b"replace-ref\0%s\0%d\0" % (os.fsencode(entry.name), len(raw)))
            digest.update(raw)
            listed.append((os.fsencode(rel + entry.name), raw.strip(), entry.path))
    enabled = bool(listed) and _replace_enabled(repo)
    digest.update(b"replace\0%d\0%s\0" % (enabled, base.encode()))
    found: dict[HexId, HexId] = {}
    if enabled:
        for name, target, where in listed:
            _add_replacement(repo, found, name, target, where)
    return found


def _add_replacement(
    repo: GitRepo, found: dict[HexId, HexId], name: bytes, target: bytes, where: str
) -> None:
    if not HEX_ID.fullmatch(name):
        return  # git warns "bad replace ref name" and ignores it
    if not HEX_ID.fullmatch(target):
        raise RepositoryError(
            f"{repo.root}: the replace ref {name.decode('ascii', 'replace')} in {where} holds "
            f"{target[:70]!r}, not an object id. Delete it (`git replace -d`) or set "
            "GIT_NO_REPLACE_OBJECTS=1."
        )
    found[HexId(name.lower())] = HexId(target.lower())


def _grafts(repo: GitRepo, digest: Any) -> dict[HexId, tuple[HexId, ...]]:
    """The grafts file (``GIT_GRAFT_FILE`` or ``info/grafts``, ``gitrepository-layout``):
    ``<commit> [<parent>...]`` per line, which replaces the commit's parents."""
    path = os.environ.get("GIT_GRAFT_FILE") or os.path.join(repo.common_dir, "info", "grafts")
    raw = read_optional(path) or b""
    digest.update(b"grafts\0%d\0" % len(raw))
    digest.update(raw)
    grafts: dict[HexId, tuple[HexId, ...]] = {}
    for number, line in enumerate(raw.splitlines(), start=1):
        words = line.split()
        if not words or words[0].startswith(b"#"):
            continue
        if not all(HEX_ID.fullmatch(w) for w in words) or len({len(w) for w in words}) > 1:
            raise RepositoryError(
                f"{repo.root}: {path} line {number} is not '<commit> [<parent>...]' "
                f"({line[:80]!r}); git refuses it too (bad graft data). Fix or delete the file."
            )
        grafts[HexId(words[0].lower())] = tuple(HexId(w.lower()) for w in words[1:])
    return grafts


def _packed_ref(packed: bytes, name: str) -> HexId | None:
    """The id ``packed-refs`` gives the ref ``name``, or None."""
    needle = b" " + os.fsencode(name) + b"\n"
    data = packed if packed.endswith(b"\n") else packed + b"\n"
    at = data.find(needle)
    while at >= 0:
        for width in (40, 64):  # SHA-1 or SHA-256
            start = at - width
            if start >= 0 and (start == 0 or data[start - 1] == 0x0A):
                sha = data[start:at]
                return HexId(sha.lower()) if HEX_ID.fullmatch(sha) else None
        at = data.find(needle, at + 1)
    return None


def _loose_ref_path(repo: GitRepo, name: str) -> str:
    per_worktree = name == "HEAD" or name.startswith(_PER_WORKTREE_REFS) or "/" not in name
    base = repo.git_dir if per_worktree else repo.common_dir
    return os.path.join(base, *name.split("/"))


def _resolve_ref(
    repo: GitRepo, name: str, packed: bytes, digest: Any
) -> tuple[list[str], HexId | None]:
    """Follow ``name`` through symbolic refs: (names followed, 40-hex or None).

    The id is None when the last ref does not exist (an unborn branch). Raises ValueError for
    a ref whose content is neither an id nor ``ref: <name>``, or a name that is still a
    symbolic ref after :data:`SYMREF_MAXDEPTH` reads (a loop, or a chain longer than git
    follows: ``refs_resolve_ref_unsafe`` in ``refs.c``).
    """
    chain = [name]
    for _ in range(SYMREF_MAXDEPTH):
        raw = read_optional(_loose_ref_path(repo, name))
        digest.update(b"ref\0%s\0" % os.fsencode(name))
        if raw is None:
            found = _packed_ref(packed, name)
            digest.update(b"packed\0" if found else b"absent\0")
            return chain, found
        digest.update(b"%d\0" % len(raw))
        digest.update(raw)
        content = raw.strip()
        if content.startswith(b"ref:"):
            target = content[4:].strip()
            if not valid_ref_name(target):  # refs_resolve_ref_unsafe stops there too
                raise ValueError(f"{chain[-1]} points at {target[:80]!r}, a name git refuses")
            name = target.decode("utf-8", "surrogateescape")
            chain.append(name)
            continue
        if HEX_ID.fullmatch(content):
            return chain, HexId(content.lower())
        raise ValueError(f"{chain[-1]} holds {raw[:60]!r}, not an object id")
    what = (
        "loop"
        if len(set(chain)) < len(chain)
        else f"go deeper than git's limit of {SYMREF_MAXDEPTH}"
    )
    raise ValueError(
        f"symbolic refs {what}: {' -> '.join(chain)}; point HEAD at the branch itself "
        "(`git symbolic-ref HEAD refs/heads/NAME`)"
    )


def _no_commits(repo: GitRepo) -> RepositoryError:
    """HEAD names a branch with no commit yet (a fresh ``git init``)."""
    return RepositoryError(
        f"{repo.root} has no commits yet, so there is nothing to version. Make a first "
        "commit (and tag it, e.g. `git tag v0.1.0`), or set VCRELEASE_PRETEND_VERSION."
    )


def _resolve_head(repo: GitRepo, packed: bytes, digest: Any) -> tuple[HexId, str | None]:
    try:
        chain, head = _resolve_ref(repo, "HEAD", packed, digest)
    except (ValueError, OSError) as exc:
        raise RepositoryError(
            f"{repo.root}: cannot read HEAD ({exc}). Check the repository with `git fsck`."
        ) from exc
    if head is None:
        raise _no_commits(repo)
    branch = None
    if len(chain) > 1 and chain[-1].startswith("refs/heads/"):
        branch = chain[-1][len("refs/heads/") :]
    return head, branch


def _loose_tags(
    repo: GitRepo, packed: bytes, digest: Any
) -> tuple[tuple[str, bytes, HexId | None], ...]:
    """(name, content, resolved id of a symbolic ref) of every loose tag ref, by name; each
    read into ``digest``."""
    found: dict[str, bytes] = {}
    stack = [("", os.path.join(repo.common_dir, "refs", "tags"))]
    while stack:
        prefix, directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append((prefix + entry.name + "/", entry.path))
            elif not entry.name.endswith(".lock"):
                raw = read_optional(entry.path)
                if raw is not None:
                    found[prefix + entry.name] = raw
    out = []
    for name in sorted(found):
        raw = found[name]
        digest.update(b"tag\0%s\0%d\0" % (os.fsencode(name), len(raw)))
        digest.update(raw)
        resolved = None
        content = raw.strip()
        if content.startswith(b"ref:"):
            try:
                _, resolved = _resolve_ref(
                    repo, content[4:].strip().decode("utf-8", "surrogateescape"), packed, digest
                )
            except (ValueError, OSError):
                resolved = None
        out.append((name, raw, resolved))
    return tuple(out)


def _dulwich_refs(repo: GitRepo) -> tuple[HexId, str | None, tuple[TagRef, ...]]:
    """HEAD and the tags through dulwich (refs not stored as files, e.g. reftable)."""
    from dulwich.refs import Ref

    refs = repo.dulwich().refs
    try:
        chain, head = refs.follow(Ref(b"HEAD"))
        tag_dict = refs.as_dict(Ref(b"refs/tags"))
    except (KeyError, ValueError, OSError) as exc:
        raise RepositoryError(
            f"{repo.root}: cannot read the refs ({exc}). Check the repository with `git fsck`."
        ) from exc
    if head is None:
        raise _no_commits(repo)
    branch = None
    if len(chain) > 1 and chain[-1].startswith(b"refs/heads/"):
        branch = chain[-1][len(b"refs/heads/") :].decode("utf-8", "surrogateescape")
    tags = tuple(
        TagRef(name.decode("utf-8", "surrogateescape"), HexId(bytes(sha)), None, bytes(sha))
        for name, sha in sorted(tag_dict.items())
        if valid_ref_name(b"refs/tags/" + bytes(name))
    )
    return HexId(bytes(head)), branch, tags
