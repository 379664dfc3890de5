"""The blob id git computes for a work-tree file: its bytes after the check-in conversions
(git's ``convert_to_git``, ``convert.c``), in git's order: the ``filter`` driver's clean
command, ``working-tree-encoding``, end of lines (``text``/``crlf``/``eol`` attributes and
``core.autocrlf``), then ``ident``.

- end of lines: ``-text`` (or no attribute with ``core.autocrlf`` false) keeps the bytes;
  ``text``, ``eol=lf|crlf`` turn CRLF into LF; ``text=auto`` (and ``core.autocrlf`` true or
  ``input`` without an attribute) does so only for a file that is not binary (git's
  ``gather_stats``: no NUL, no lone CR, printable >> 7 >= non-printable) and whose blob in the
  index holds no CRLF;
- ``ident``: ``$Id: ...$`` back to ``$Id$``;
- ``working-tree-encoding``: the bytes decoded from that encoding into UTF-8 (a UTF-16/32
  file without the byte-order mark git requires, or with one it forbids, or that does not
  decode, is hashed as it is, as git does);
- ``filter=<driver>``: only a driver configured in ``filter.<driver>.*`` exists (``git lfs``
  never installed: the pointer file is hashed as it is). Its ``clean`` command is run through
  the shell, in the work tree's top, ``%f`` replaced by the quoted path, the file on its
  standard input, exactly as git runs it: only in a repository the user owns or
  ``safe.directory`` allows (:mod:`vcrelease.git.repository`); elsewhere a file that needs it
  is an error naming the file and the setting. A failing command: the bytes as they are, or
  with ``filter.<driver>.required`` an error (git stops too). A ``process`` driver is
  preferred over ``clean``, as in git: one process per driver for the whole run, spoken to
  in git's long-running protocol (:mod:`.filterprocess`), under the same trust rule; its
  failures are handled as a failing ``clean`` command's. Call :meth:`Checkin.close` to end
  the processes.

A file needing none of these is hashed in constant memory (``blob <size>\\0`` and 1 MiB
chunks); a file that must be converted is read whole, as git reads it.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import RepositoryError
from .attributes import Attributes
from .gitconfig import GitConfig, parse_bool

if TYPE_CHECKING:  # imported where a filter runs: subprocess is not on the common path
    from .filterprocess import FilterFailed, FilterProcess

try:  # SHA-1 without hashlib, whose import loads OpenSSL
    from _sha1 import sha1  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import sha1

__all__ = ["Checkin", "hash_bytes", "hash_file"]

CHUNK = 1 << 20
_NAMES = (b"text", b"crlf", b"eol", b"ident", b"filter", b"working-tree-encoding")
BINARY, TEXT, AUTO = "binary", "text", "auto"
_NONPRINT = bytes(c for c in range(32) if c not in (8, 9, 10, 12, 13, 27)) + b"\x7f"
_KEEP = bytes(c for c in range(256) if c not in _NONPRINT)


def _blob_digest(header: bytes, raw_len: int) -> Any:
    """A hash object fed the blob header: SHA-1, or SHA-256 for 32-byte ids."""
    if raw_len == 32:
        from hashlib import sha256  # only SHA-256 repositories pay for OpenSSL's import

        return sha256(header)
    return sha1(header)


def hash_bytes(data: bytes, raw_len: int = 20) -> bytes:
    """The raw blob id of ``data`` (``git hash-object``): SHA-1 of ``blob <size>\\0<data>``,
    or SHA-256 when ``raw_len`` is 32 (a SHA-256 repository)."""
    digest = _blob_digest(b"blob %d\0" % len(data), raw_len)
    digest.update(data)
    result: bytes = digest.digest()
    return result


def hash_file(path: bytes, raw_len: int = 20) -> bytes:
    """The raw blob id of a regular file's bytes (:func:`hash_bytes`), read in chunks
    (constant memory)."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        digest = _blob_digest(b"blob %d\0" % size, raw_len)
        read = 0
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                break
            read += len(chunk)
            digest.update(chunk)
    if read != size:  # changed while read: hash what a second read gives
        with open(path, "rb") as f:
            return hash_bytes(f.read(), raw_len)
    result: bytes = digest.digest()
    return result


def _is_binary(data: bytes) -> bool:
    """git's ``convert_is_binary(gather_stats(...))``."""
    crlf = data.count(b"\r\n")
    if data.count(b"\r") != crlf or b"\0" in data:
        return True
    nonprintable = len(data.translate(None, _KEEP))
    if data.endswith(b"\x1a"):
        nonprintable -= 1
    printable = len(data) - nonprintable - data.count(b"\r") - data.count(b"\n")
    return (printable >> 7) < nonprintable


def _ident_to_git(data: bytes) -> bytes:
    """``$Id: <anything without a newline>$`` -> ``$Id$`` (git's ``ident_to_git``)."""
    out = bytearray()
    i = 0
    while True:
        dollar = data.find(b"$", i)
        if dollar < 0:
            break
        out += data[i : dollar + 1]
        i = dollar + 1
        if len(data) - i > 3 and data[i : i + 3] == b"Id:":
            end = data.find(b"$", i + 3)
            if end < 0:
                break
            if data.find(b"\n", i + 3, end) >= 0:
                continue
            out += b"Id$"
            i = end + 1
    out += data[i:]
    return bytes(out)


def _same_utf(a: bytes, b: bytes) -> bool:
    def norm(x: bytes) -> bytes:
        x = x.upper()
        return b"UTF" + x[4:] if x.startswith(b"UTF-") else x

    return norm(a) == norm(b)


_BOMS16 = (codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE)
_BOMS32 = (codecs.BOM_UTF32_BE, codecs.BOM_UTF32_LE)


def _encode_to_git(data: bytes, encoding: bytes, path: bytes) -> bytes:
    if not data:
        return data
    if (_same_utf(encoding, b"UTF-16BE") or _same_utf(encoding, b"UTF-16LE")) and data.startswith(
        _BOMS16
    ):
        return data
    if (_same_utf(encoding, b"UTF-32BE") or _same_utf(encoding, b"UTF-32LE")) and data.startswith(
        _BOMS32
    ):
        return data
    if _same_utf(encoding, b"UTF-16") and not data.startswith(_BOMS16):
        return data
    if _same_utf(encoding, b"UTF-32") and not data.startswith(_BOMS32):
        return data
    name = encoding.decode("ascii", "replace")
    try:
        codecs.lookup(name)
    except LookupError as exc:
        raise RepositoryError(
            f"{path.decode('utf-8', 'replace')}: working-tree-encoding={name} is an encoding "
            "vcrelease (Python) does not know, so it cannot compare the file as git does. "
            "Set VCRELEASE_PRETEND_VERSION."
        ) from exc
    try:
        return data.decode(name).encode("utf-8")
    except UnicodeError:
        return data  # git: "failed to encode", the bytes as they are


class Checkin:
    """The check-in rules of one repository: its config, attributes and whether configured
    commands may run.

    Args:
        root: the work tree's top.
        config: the repository's configuration.
        attributes: its attributes (None: no attributes file anywhere).
        index_blob: raw blob id -> its bytes (for ``text=auto``'s look at the index).
        refused: None when configured commands may run, else why not (for messages).
        raw_len: bytes per object id (20 SHA-1, 32 SHA-256), which picks the hash.
    """

    def __init__(
        self,
        root: bytes,
        config: GitConfig,
        attributes: Attributes | None,
        index_blob: Callable[[bytes], bytes],
        refused: str | None,
        raw_len: int = 20,
    ) -> None:
        self.raw_len = raw_len
        self.root = root
        self.config = config
        self.attributes = attributes
        self.index_blob = index_blob
        self.refused = refused
        self._processes: dict[bytes, FilterProcess | FilterFailed] = {}
        autocrlf = config.get(b"core", None, b"autocrlf")
        value = None if autocrlf is None else autocrlf.value
        # git_default_core_config: "input" (any case), else git's boolean
        converts = value is not None and value.lower() == b"input"
        self.autocrlf = AUTO if converts or config.boolean(b"core", b"autocrlf", False) else BINARY

    def _process(self, driver: bytes, command: bytes) -> FilterProcess:
        """The running process of ``driver``, started on first use (git starts each
        driver's process once per command and keeps it for every file).

        Raises:
            FilterFailed: it could not be started or failed its handshake (then again for
                every later file of this driver, as git gives up on it).
        """
        from .filterprocess import FilterFailed, FilterProcess

        known = self._processes.get(driver)
        if isinstance(known, FilterFailed):
            raise known
        if known is None:
            try:
                known = FilterProcess(command.decode("utf-8", "surrogateescape"), self.root)
            except FilterFailed as exc:
                self._processes[driver] = exc
                raise
            self._processes[driver] = known
        return known

    def close(self) -> None:
        """End every filter process this object started."""
        for known in self._processes.values():
            if not isinstance(known, Exception):
                known.close()
        self._processes.clear()

    def blob_id(self, full: bytes, path: bytes, index_oid: bytes) -> bytes:
        """The raw id git would give the regular file ``full`` (index path ``path``)."""
        attrs = self.attributes.get(path, _NAMES) if self.attributes is not None else {}
        eol_action = self._eol(attrs)
        ident = attrs.get(b"ident") is True
        driver = attrs.get(b"filter")
        encoding = attrs.get(b"working-tree-encoding")
        if encoding is True or encoding is False:
            raise RepositoryError(
                f"{path.decode('utf-8', 'replace')}: true/false are no valid "
                "working-tree-encodings (git stops here too)."
            )
        if isinstance(encoding, bytes) and (not encoding or _same_utf(encoding, b"UTF-8")):
            encoding = None
        drivers = self.config.subsections(b"filter")
        if not isinstance(driver, bytes) or driver not in drivers:
            driver = None
        if eol_action == BINARY and not ident and driver is None and encoding is None:
            return hash_file(full, self.raw_len)
        with open(full, "rb") as f:
            data = f.read()
        if driver is not None:
            data = self._clean(driver, path, data)
        if isinstance(encoding, bytes):
            data = _encode_to_git(data, encoding, path)
        convert = eol_action == TEXT or (
            eol_action == AUTO and not _is_binary(data) and not self._crlf_in_index(index_oid)
        )
        if b"\r\n" in data and convert:
            data = data.replace(b"\r\n", b"\n")
        if ident:
            data = _ident_to_git(data)
        return hash_bytes(data, self.raw_len)

    def _eol(self, attrs: Mapping[bytes, object]) -> str:
        """git's ``convert_attrs`` reduced to what a check-in does: binary, text or auto."""

        def action(value: object) -> str | None:
            if value is True or value == b"input":
                return TEXT
            if value is False:
                return BINARY
            return AUTO if value == b"auto" else None

        found = action(attrs.get(b"text"))
        if found is None:
            found = action(attrs.get(b"crlf"))
        if found != BINARY and attrs.get(b"eol") in (b"lf", b"crlf") and found is None:
            found = TEXT
        return found if found is not None else self.autocrlf

    def _crlf_in_index(self, oid: bytes) -> bool:
        try:
            blob = self.index_blob(oid)
        except (KeyError, ValueError, OSError):
            return False
        return b"\r" in blob and b"\r\n" in blob and not _is_binary(blob)

    def _clean(self, driver: bytes, path: bytes, data: bytes) -> bytes:
        name = driver.decode("utf-8", "replace")
        shown = path.decode("utf-8", "replace")
        process = self.config.get(b"filter", driver, b"process")
        clean = self.config.get(b"filter", driver, b"clean")
        required = parse_bool(
            getattr(self.config.get(b"filter", driver, b"required"), "value", b"false")
        )
        chosen = process if process is not None and process.value else clean
        if chosen is None or not chosen.value:
            if required:
                raise RepositoryError(
                    f"{shown}: clean filter '{name}' failed: filter.{name}.required is set and "
                    "no clean command is configured (git status stops here too)."
                )
            return data
        where = f"filter.{name}.{chosen.name.decode()} = {chosen.value.decode(errors='replace')}"
        if self.refused is not None:
            raise RepositoryError(
                f"{shown}: git compares this file through its clean filter ({where}, in "
                f"{chosen.origin}; selected by the file's filter={name} attribute), and "
                f"vcrelease runs no command configured for {self.refused}. "
                "Mark the repository safe (`git config --global --add safe.directory <path>`) "
                "if you trust it, or set VCRELEASE_PRETEND_VERSION."
            )
        if chosen is process:
            from .filterprocess import FilterFailed

            try:
                return self._process(driver, chosen.value).clean(path, data)
            except FilterFailed as exc:
                if required:
                    raise RepositoryError(
                        f"{shown}: clean filter '{name}' failed ({where}, in {chosen.origin}: "
                        f"{exc}; filter.{name}.required is set, and git status stops here "
                        "too)."
                    ) from None
                return data
        quoted = "'" + shown.replace("'", "'\\''") + "'"
        command = chosen.value.decode("utf-8", "surrogateescape").replace("%f", quoted)
        import subprocess

        try:
            done = subprocess.run(
                ["/bin/sh", "-c", command],
                input=data,
                capture_output=True,
                cwd=self.root,
                check=False,
            )
        except OSError:
            done = None
        if done is not None and done.returncode == 0:
            return done.stdout
        if required:
            raise RepositoryError(
                f"{shown}: clean filter '{name}' failed ({where}, in {chosen.origin}; "
                f"filter.{name}.required is set, and git status stops here too)."
            )
        return data
