"""Lazy reader for git's commit-graph files (single file and split chains).

Only what a describe walk needs is read: for one commit id, its parents and its commit time.
The file is memory-mapped and looked up by binary search in the OID lookup chunk; nothing is
parsed up front, so opening a graph of 100,000 commits costs a few system calls.

Format: git's ``Documentation/gitformat-commit-graph.txt`` ("commit-graph file format"):
header ``CGPH``, version 1, hash version (1 = SHA-1, 2 = SHA-256), chunk count, base-graph
count; a chunk table of (4-byte id, 8-byte offset); chunks ``OIDF`` (256 x uint32 fan-out),
``OIDL`` (sorted ids), ``CDAT`` (tree id, two uint32 parent positions, then 30 bits of
generation and 34 bits of commit time), ``EDGE`` (extra parents of octopus merges) and ``BASE``
(ids of the graphs below this one in a split chain). Positions in a chain count the commits
of all lower layers first (``objects/info/commit-graphs/commit-graph-chain``, base first).

A chain is loaded as git loads it (``commit-graph.c``, ``add_graph_to_chain``): layer ``n``
is used only when its ``BASE`` chunk lists the chain's first ``n`` lines and those layers'
trailing checksums are their lines; at a line that is no id, a missing or unreadable layer,
or one that does not match, the chain stops and the layers below it are used (a layer counted
over another base would give other commits' parents). A file whose chunk table or fan-out
git refuses is not used.
"""

import array
import mmap
import os
import struct
import sys
from collections.abc import Callable, Container, Iterator, Sequence
from typing import NamedTuple, TypeVar

from .ids import HexId, RawId
from .sortedids import Buffer, SortedIds, find_sorted

__all__ = [
    "Buffer",
    "CommitGraph",
    "CommitGraphError",
    "GraphCommit",
    "SortedIds",
    "find_sorted",
    "follow_single_parents",
]

_NO_PARENT = 0x70000000
_EXTRA_EDGES = 0x80000000
_LAST_EDGE = 0x80000000
_HASH_LEN = {1: 20, 2: 32}
_LONG_RUN = 2048
"""Steps after which :meth:`CommitGraph.linear_run` switches to :meth:`_Layer.parent_columns`."""
_CDAT_FIELDS = struct.Struct(">IIII")  # after the tree id: parent 1, parent 2, generation+time


class CommitGraphError(Exception):
    """The commit-graph file is not one this reader understands (wrong signature or version)."""


def corrupt_graph_message(root: object, exc: BaseException) -> str:
    """The one message for a commit-graph that fails while it is read (every reader of the
    graph raises it as a :class:`~vcrelease.errors.RepositoryError`), with the fix."""
    return (
        f"{root}: the commit-graph file is corrupt ({exc}). Delete it "
        "(`rm -r .git/objects/info/commit-graph*`) or run `git commit-graph write`."
    )


class GraphCommit(NamedTuple):
    """What the commit-graph knows of one commit.

    Attributes:
        parents: parent ids as 40-hex (SHA-1) ``bytes``, in parent order.
        commit_time: committer time in seconds since the Unix epoch (int).
    """

    parents: tuple[HexId, ...]
    commit_time: int


_Node = TypeVar("_Node")


def follow_single_parents(
    read: Callable[[_Node], tuple[tuple[_Node, ...], int]],
    start: _Node,
    stop: Container[object],
    seen: Container[object],
) -> tuple[_Node, int]:
    """The rule of :meth:`CommitGraph.linear_run` on any reader: step from a commit to its
    parent while the commit is not in ``stop``, has exactly one parent, and that parent is not
    in ``seen``. ``read(node)`` gives ``(parents, commit time)``. Returns ``(node reached,
    steps taken)``. (``linear_run`` itself uses faster loops on a single graph file.)

    Raises:
        whatever ``read`` raises.
    """
    node, steps = start, 0
    while node not in stop:
        parents = read(node)[0]
        if len(parents) != 1 or parents[0] in seen:
            break
        node = parents[0]
        steps += 1
    return node, steps


class _Layer:
    """One commit-graph file, memory-mapped."""

    def __init__(self, path: str, first_position: int) -> None:
        with open(path, "rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        data = self._map
        if data[:4] != b"CGPH" or data[4] != 1:
            raise CommitGraphError(f"{path}: not a version 1 commit-graph file")
        self.hash_len = _HASH_LEN.get(data[5], 0)
        if not self.hash_len:
            raise CommitGraphError(f"{path}: unknown hash version {data[5]}")
        chunks: dict[bytes, int] = {}
        table = [struct.unpack_from(">4sQ", data, 8 + 12 * i) for i in range(data[6] + 1)]
        for i, (chunk_id, offset) in enumerate(table[:-1]):  # chunk-format.c's checks
            end = table[i + 1][1]
            if chunk_id in (b"\0" * 4, *chunks) or not offset <= end <= len(data) - self.hash_len:
                raise CommitGraphError(f"{path}: bad chunk table ({chunk_id!r} at {offset}, {end})")
            chunks[chunk_id] = offset
        if table[-1][0] != b"\0" * 4:
            raise CommitGraphError(f"{path}: final chunk has a non-zero id")
        for required in (b"OIDF", b"OIDL", b"CDAT"):
            if required not in chunks:
                raise CommitGraphError(f"{path}: missing chunk {required.decode()}")
        self._fanout = chunks[b"OIDF"]
        self._oids = chunks[b"OIDL"]
        self._cdat = chunks[b"CDAT"]
        self._edges = chunks.get(b"EDGE")
        self.chunks = chunks
        """Chunk id -> offset in the file (:meth:`CommitGraph.bloom_layers` reads BIDX/BDAT)."""
        self.stride = self.hash_len + 16  # bytes per commit in CDAT
        self._ids = SortedIds(data, self._oids, self._fanout, self.hash_len)
        self.count = self._ids.count
        self.first_position = first_position
        self._columns: tuple[array.array[int], array.array[int]] | None = None

    def close(self) -> None:
        self._map.close()

    @property
    def checksum(self) -> bytes:
        """The file's trailing hash: the name a chain gives the layer."""
        return bytes(self._map[len(self._map) - self.hash_len :])

    def extends(self, below: Sequence[bytes]) -> bool:
        """Whether this layer's ``BASE`` chunk lists exactly the layer checksums ``below``
        (base first); always for the base layer (``below`` empty)."""
        if not below:
            return True
        base = self.chunks.get(b"BASE")
        if base is None:
            return False  # git: "commit-graph has no base graphs chunk"
        size = self.hash_len * len(below)
        listed = bytes(self._map[base : base + size])
        return len(listed) == size and listed == b"".join(below)

    def find(self, oid: RawId) -> int | None:
        """Local index of binary ``oid`` in this layer, or None."""
        return self._ids.find(oid)

    def oid_at(self, index: int) -> RawId:
        start = self._oids + index * self.hash_len
        return RawId(bytes(self._map[start : start + self.hash_len]))

    def run_records(
        self, position: int, stop: Container[object], seen: Container[object], limit: int | None
    ) -> tuple[int, int, bool]:
        """:meth:`CommitGraph.linear_run` in this single layer, decoding one ``CDAT`` record
        a step, for at most ``limit`` steps: (position, steps, whether the run ended)."""
        unpack = _CDAT_FIELDS.unpack_from
        data = self._map
        base = self._cdat + self.hash_len
        stride = self.stride
        count = self.count
        steps = 0
        while position not in stop:
            if position >= count:
                raise CommitGraphError(f"position {position} outside the commit-graph")
            parent, second, _, _ = unpack(data, base + position * stride)
            if parent == _NO_PARENT or second != _NO_PARENT or parent in seen:
                break
            position = parent
            steps += 1
            if steps == limit:
                return position, steps, False
        return position, steps, True

    def run_columns(
        self, position: int, stop: Container[object], seen: Container[object]
    ) -> tuple[int, int]:
        """:meth:`run_records` to the end of the run, on :meth:`parent_columns` (not None)."""
        columns = self.parent_columns()
        assert columns is not None
        firsts, seconds = columns
        steps = 0
        try:
            while position not in stop:
                parent = firsts[position]
                if parent == _NO_PARENT or seconds[position] != _NO_PARENT or parent in seen:
                    break
                position = parent
                steps += 1
        except IndexError:
            raise CommitGraphError(f"position {position} outside the commit-graph") from None
        return position, steps

    def parent_columns(self) -> "tuple[array.array[int], array.array[int]] | None":
        """(first parents, second parents) of every commit of the layer, by local index, as
        two arrays of ``CDAT`` fields (``0x70000000``: none; the high bit: see ``EDGE``).
        Built on first use (a copy of the chunk) for long walks, where indexing an array
        beats decoding a record per commit; None where the platform has no 4-byte array."""
        if self._columns is None:
            if array.array("I").itemsize != 4:
                return None
            words = array.array("I")
            words.frombytes(self._map[self._cdat : self._cdat + self.count * self.stride])
            if sys.byteorder == "little":
                words.byteswap()  # CDAT fields are big-endian
            per_commit = self.stride // 4
            first = self.hash_len // 4
            self._columns = (words[first::per_commit], words[first + 1 :: per_commit])
        return self._columns

    def record(self, index: int) -> tuple[int, int, int]:
        """(parent1 position, parent2 position, commit time) of local ``index``."""
        offset = self._cdat + index * self.stride + self.hash_len
        p1, p2, high, low = _CDAT_FIELDS.unpack_from(self._map, offset)
        return p1, p2, ((high & 0x3) << 32) | low

    def tree(self, index: int) -> RawId:
        """Binary id of the root tree of local ``index``."""
        offset = self._cdat + index * (self.hash_len + 16)
        return RawId(bytes(self._map[offset : offset + self.hash_len]))

    def edges(self, start: int) -> Iterator[int]:
        if self._edges is None:
            raise CommitGraphError("octopus merge without an EDGE chunk")
        i = start
        while True:
            (value,) = struct.unpack_from(">I", self._map, self._edges + 4 * i)
            yield value & ~_LAST_EDGE
            if value & _LAST_EDGE:
                return
            i += 1


class CommitGraph:
    """The commit-graph of one object directory: a single file or a split chain.

    ``lookup(hexsha)`` answers in O(log n) page reads. Commits newer than the graph are simply
    not found (the caller falls back to the object store).
    """

    def __init__(self, layers: list[_Layer]) -> None:
        self._layers = layers
        self._single = layers[0] if len(layers) == 1 else None

    @classmethod
    def open(cls, objects_dir: str) -> "CommitGraph | None":
        """Open the commit-graph under ``objects_dir`` (``.git/objects``), or None if absent.

        Raises:
            CommitGraphError: a graph file exists but cannot be read.
        """
        info = os.path.join(objects_dir, "info")
        chain = os.path.join(info, "commit-graphs", "commit-graph-chain")
        single = os.path.join(info, "commit-graph")
        if os.path.isfile(single):  # git reads it before a chain (read_commit_graph_one)
            try:
                return cls([_Layer(single, 0)])
            except (OSError, ValueError, struct.error, CommitGraphError) as exc:
                if not os.path.isfile(chain):
                    raise CommitGraphError(f"cannot read commit-graph {single}: {exc}") from exc
        return cls._open_chain(chain) if os.path.isfile(chain) else None

    @classmethod
    def _open_chain(cls, chain: str) -> "CommitGraph | None":
        """The layers of the chain file ``chain`` that git would use (see the module
        docstring), None when not even the base layer is usable."""
        try:
            with open(chain, "rb") as f:
                lines = f.read().split(b"\n")
        except OSError as exc:
            raise CommitGraphError(f"cannot read commit-graph chain {chain}: {exc}") from exc
        directory = os.path.dirname(chain)
        layers: list[_Layer] = []
        ids: list[bytes] = []
        position = 0
        for line in lines:
            try:  # git stops at a line that is no id or names no readable layer
                oid = bytes.fromhex(line.decode("ascii"))
                layer = _Layer(os.path.join(directory, f"graph-{line.decode()}.graph"), position)
            except (OSError, ValueError, struct.error, CommitGraphError):
                break
            if layers and (
                layer.hash_len != layers[0].hash_len
                or any(below.checksum != name for below, name in zip(layers, ids, strict=True))
                or not layer.extends(ids)
            ):
                layer.close()
                break  # git: "commit-graph chain does not match"
            layers.append(layer)
            ids.append(oid)
            position += layer.count
        return cls(layers) if layers else None

    @property
    def raw_len(self) -> int:
        """Bytes per raw object id in this graph (20 SHA-1, 32 SHA-256: its hash version)."""
        return self._layers[0].hash_len

    def close(self) -> None:
        for layer in self._layers:
            layer.close()

    def bloom_layers(self) -> list[tuple[int, int, Buffer, int, int] | None]:
        """Per layer, base first: ``(first position, commit count, file data, BIDX offset,
        BDAT offset)`` when the layer has changed-path Bloom filters, else None
        (:mod:`vcrelease.git.bloom` reads them)."""
        out: list[tuple[int, int, Buffer, int, int] | None] = []
        for layer in self._layers:
            bidx = layer.chunks.get(b"BIDX")
            bdat = layer.chunks.get(b"BDAT")
            if bidx is None or bdat is None:
                out.append(None)
            else:
                out.append((layer.first_position, layer.count, layer._map, bidx, bdat))
        return out

    def _oid_at_position(self, position: int) -> RawId:
        for layer in self._layers:
            if layer.first_position <= position < layer.first_position + layer.count:
                return layer.oid_at(position - layer.first_position)
        raise CommitGraphError(f"parent position {position} outside the commit-graph")

    def position(self, oid: RawId) -> int | None:
        """Graph position of the commit with binary id ``oid`` (20 bytes), or None."""
        for layer in reversed(self._layers):
            index = layer.find(oid)
            if index is not None:
                return layer.first_position + index
        return None

    def positions(self, oids: Sequence[RawId]) -> list[int | None]:
        """:meth:`position` for each of ``oids`` (binary ids), in one pass per layer."""
        out: list[int | None] = [None] * len(oids)
        todo = list(range(len(oids)))
        for layer in reversed(self._layers):
            if not todo:
                break
            found = layer._ids.find_many([oids[i] for i in todo])
            first = layer.first_position
            left = []
            for i, index in zip(todo, found, strict=True):
                if index is None:
                    left.append(i)
                else:
                    out[i] = first + index
            todo = left
        return out

    def _layer(self, position: int) -> "_Layer":
        for layer in self._layers:
            if position < layer.first_position + layer.count:
                if position >= layer.first_position:
                    return layer
                break
        raise CommitGraphError(f"position {position} outside the commit-graph")

    def oid(self, position: int) -> RawId:
        """Binary id of the commit at graph ``position``."""
        layer = self._layer(position)
        return layer.oid_at(position - layer.first_position)

    def tree(self, position: int) -> RawId:
        """Binary id of the root tree of the commit at graph ``position``."""
        layer = self._layer(position)
        return layer.tree(position - layer.first_position)

    def parents_and_time(self, position: int) -> tuple[tuple[int, ...], int]:
        """(parent positions in parent order, committer time in seconds) at ``position``.

        Raises:
            CommitGraphError: a parent position outside the graph, or an octopus merge
                without an ``EDGE`` chunk (a corrupt file).
        """
        layer = self._single
        if layer is None or position >= layer.count:
            layer = self._layer(position)  # raises for a position outside the graph
        p1, p2, high, low = _CDAT_FIELDS.unpack_from(
            layer._map,
            layer._cdat + (position - layer.first_position) * layer.stride + layer.hash_len,
        )
        commit_time = ((high & 0x3) << 32) | low
        if p1 == _NO_PARENT:
            return (), commit_time
        if p2 == _NO_PARENT:
            return (p1,), commit_time
        if p2 & _EXTRA_EDGES:
            return (p1, *layer.edges(p2 & ~_EXTRA_EDGES)), commit_time
        return (p1, p2), commit_time

    def level(self, position: int) -> int:
        """The topological level of the commit at ``position`` (``CDAT``'s 30-bit generation
        number v1: 1 for a root commit, else one more than its highest parent); 0 when the
        graph was written without generation numbers."""
        layer = self._layer(position)
        offset = layer._cdat + (position - layer.first_position) * layer.stride + layer.hash_len
        high: int = _CDAT_FIELDS.unpack_from(layer._map, offset)[2]
        return high >> 2

    def has_levels(self) -> bool:
        """Whether every layer records topological levels (:meth:`level`): git has written
        them since the first commit-graph format; a file without them has zeros."""
        for layer in self._layers:
            if layer.count:
                high = _CDAT_FIELDS.unpack_from(layer._map, layer._cdat + layer.hash_len)[2]
                if high >> 2 == 0:
                    return False
        return True

    def parents_time_level(self, position: int) -> tuple[tuple[int, ...], int, int]:
        """:meth:`parents_and_time` and :meth:`level` of ``position`` in one read.

        Raises:
            CommitGraphError: as :meth:`parents_and_time`.
        """
        layer = self._single
        if layer is None or position >= layer.count:
            layer = self._layer(position)
        p1, p2, high, low = _CDAT_FIELDS.unpack_from(
            layer._map,
            layer._cdat + (position - layer.first_position) * layer.stride + layer.hash_len,
        )
        commit_time = ((high & 0x3) << 32) | low
        level = high >> 2
        if p1 == _NO_PARENT:
            return (), commit_time, level
        if p2 == _NO_PARENT:
            return (p1,), commit_time, level
        if p2 & _EXTRA_EDGES:
            return (p1, *layer.edges(p2 & ~_EXTRA_EDGES)), commit_time, level
        return (p1, p2), commit_time, level

    def linear_run(
        self, position: int, stop: Container[object], seen: Container[object]
    ) -> tuple[int, int]:
        """Follow first parents from ``position`` while the history is a single line.

        Steps from a commit to its parent while the commit is not in ``stop``, has exactly one
        parent, and that parent is not in ``seen``. Returns ``(position reached, steps
        taken)``; the commits stepped over are those ``steps`` commits, the reached one is
        not among them. The loop reads the ``CDAT`` records straight from the mapped file, and
        after :data:`_LONG_RUN` steps two arrays of parent fields (:meth:`_Layer.parent_columns`),
        so a long run of ordinary commits costs a fraction of a general walk step.

        Raises:
            CommitGraphError: a position outside the graph.
            struct.error: a truncated file.
        """
        layer = self._single
        if layer is None:  # a split chain: the general reader, one step at a time
            return follow_single_parents(self.parents_and_time, position, stop, seen)
        position, steps, done = layer.run_records(position, stop, seen, _LONG_RUN)
        if done:
            return position, steps
        if layer.parent_columns() is None:  # no 4-byte array type: records to the end
            position, more, _ = layer.run_records(position, stop, seen, None)
        else:
            position, more = layer.run_columns(position, stop, seen)
        return position, steps + more

    def lookup(self, hexsha: HexId) -> GraphCommit | None:
        """Parents and commit time of the commit ``hexsha`` (40 hex ``bytes``), or None."""
        oid = RawId(bytes.fromhex(hexsha.decode("ascii")))
        for layer in reversed(self._layers):
            index = layer.find(oid)
            if index is None:
                continue
            p1, p2, commit_time = layer.record(index)
            positions: list[int] = []
            if p1 != _NO_PARENT:
                positions.append(p1)
            if p2 != _NO_PARENT:
                if p2 & _EXTRA_EDGES:
                    positions.extend(layer.edges(p2 & ~_EXTRA_EDGES))
                else:
                    positions.append(p2)
            parents = tuple(
                HexId(self._oid_at_position(p).hex().encode("ascii")) for p in positions
            )
            return GraphCommit(parents, commit_time)
        return None
