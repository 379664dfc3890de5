"""Changed-path Bloom filters of the commit-graph: "did this commit surely not change PATH
against its first parent?"

Format (git's ``Documentation/gitformat-commit-graph.txt``, chunks ``BIDX`` and ``BDAT``;
``bloom.c``; written by ``git commit-graph write --changed-paths``):

- ``BIDX``: one big-endian uint32 per commit of the layer, the end offset of its filter in
  the filter data (the filter of commit ``i`` is bytes ``BIDX[i-1]..BIDX[i]``, ``BIDX[-1] =
  0``);
- ``BDAT``: a 12-byte header (hash version 1 or 2, number of hashes (7), bits per entry
  (10), big-endian uint32 each), then the filters;
- a commit's filter holds every path its diff against its first parent changed (against the
  empty tree for a root commit), and every leading directory of each; a filter of length 0
  or with every bit set (more than 512 changes) says nothing;
- a key is the path's bytes hashed with 32-bit murmur3 under the seeds ``0x293ae76f`` and
  ``0x7e646e2c``; hash ``i`` is ``h0 + i * h1`` (mod 2**32), its bit ``hash mod (8 *
  length)``, bit ``n & 7`` of byte ``n >> 3``. Hash version 1 hashes bytes from 0x80 up as
  signed chars (git's ``murmur3_seeded_v1``); for such paths the filters are not used.

git asks the filter for the path and each of its leading directories (``revision.c``,
``prepare_to_use_bloom_filter``) and trusts "all present" as "maybe changed": absent keys
mean the commit did not change the path. So do we; "maybe" is then decided by comparing
trees (:mod:`vcrelease.git.trees`).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from .commitgraph import Buffer, CommitGraph

__all__ = ["BloomFilters", "murmur3"]

_SEEDS = (0x293AE76F, 0x7E646E2C)
_MASK = 0xFFFFFFFF


def murmur3(seed: int, data: bytes) -> int:
    """32-bit MurmurHash3 (x86_32) of ``data`` with ``seed``, as git's ``murmur3_seeded_v2``."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & _MASK
    n = len(data)
    body = n - n % 4
    for i in range(0, body, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * c1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        k = (k * c2) & _MASK
        h ^= k
        h = ((h << 13) | (h >> 19)) & _MASK
        h = (h * 5 + 0xE6546B64) & _MASK
    k = 0
    tail = data[body:]
    if len(tail) == 3:
        k ^= tail[2] << 16
    if len(tail) >= 2:
        k ^= tail[1] << 8
    if tail:
        k ^= tail[0]
        k = (k * c1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        k = (k * c2) & _MASK
        h ^= k
    h ^= n & _MASK
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    h ^= h >> 16
    return h


class _Layer:
    __slots__ = ("bdat", "bidx", "count", "data", "first", "hashes", "version")

    def __init__(self, first: int, count: int, data: Buffer, bidx: int, bdat: int) -> None:
        self.first = first
        self.count = count
        self.data = data
        self.bidx = bidx
        self.version, self.hashes, _ = struct.unpack_from(">III", data, bdat)
        self.bdat = bdat + 12


class BloomFilters:
    """The changed-path filters of a commit-graph, asked about a fixed set of paths.

    Build with :meth:`for_graph`; :meth:`maybe_changed` answers per graph position.
    """

    def __init__(self, layers: list[_Layer], keys: list[list[list[int]]]) -> None:
        self._layers = layers
        self._keys = keys  # per path: per key (the path, its leading directories) its hashes
        self._bits: dict[int, list[list[tuple[int, int]]]] = {}
        """filter length in bytes -> per path, every (byte, mask) its keys need set."""

    def _positions(self, length: int) -> list[list[tuple[int, int]]]:
        found = self._bits.get(length)
        if found is None:
            bits = 8 * length
            found = [
                sorted({(h % bits >> 3, 1 << (h % bits & 7)) for key in path for h in key})
                for path in self._keys
            ]
            self._bits[length] = found
        return found

    @classmethod
    def for_graph(cls, graph: CommitGraph, paths: Sequence[str]) -> BloomFilters | None:
        """The filters of ``graph`` for ``paths`` (``/``-separated, relative to the top), or
        None when no layer has filters, a path is the whole tree (``""``: every change
        counts), or a layer's settings are not git's (a hash version other than 1 or 2)."""
        if not paths or any(p == "" for p in paths):
            return None
        layers: list[_Layer] = []
        hashes = 0
        for found in graph.bloom_layers():
            if found is None:
                continue
            try:
                layer = _Layer(*found)
            except struct.error:
                continue
            if layer.version not in (1, 2) or not 0 < layer.hashes <= 32:
                continue
            if hashes and layer.hashes != hashes:
                continue  # git reads one setting for the whole chain
            if layer.version == 1 and any(max(p.encode("utf-8")) >= 0x80 for p in paths):
                continue  # v1 hashed such bytes as signed chars: not used here
            hashes = layer.hashes
            layers.append(layer)
        if not layers:
            return None
        return cls(layers, [_path_keys(p, hashes) for p in paths])

    def maybe_changed(self, position: int) -> bool:
        """False when the filter of the commit at graph ``position`` says it changed none of
        the paths against its first parent; True when it may have (or there is no filter)."""
        for layer in self._layers:
            local = position - layer.first
            if not 0 <= local < layer.count:
                continue
            data = layer.data
            end = struct.unpack_from(">I", data, layer.bidx + 4 * local)[0]
            start = struct.unpack_from(">I", data, layer.bidx + 4 * (local - 1))[0] if local else 0
            length = end - start
            if length <= 0:
                return True
            offset = layer.bdat + start
            for needed in self._positions(length):
                for byte, mask in needed:
                    if not data[offset + byte] & mask:
                        break
                else:
                    return True  # every key of this path may be in the filter
            return False
        return True


def _path_keys(path: str, hashes: int) -> list[list[int]]:
    """The Bloom keys git asks for ``path``: the path, then each leading directory
    (``a/b/c`` -> ``a/b/c``, ``a/b``, ``a``), each as its ``hashes`` bit positions (before
    the modulo)."""
    raw = path.encode("utf-8", "surrogateescape")
    parts = raw.split(b"/")
    out = []
    for n in range(len(parts), 0, -1):
        data = b"/".join(parts[:n])
        h0 = murmur3(_SEEDS[0], data)
        h1 = murmur3(_SEEDS[1], data)
        out.append([(h0 + i * h1) & _MASK for i in range(hashes)])
    return out
