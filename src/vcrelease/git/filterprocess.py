"""The client side of git's long-running filter protocol, for the clean direction only.

Source: ``gitattributes(5)``, "Long Running Filter Process", and git's
``Documentation/technical/long-running-process-protocol.txt``; framing is git's pkt-line
(``gitprotocol-common(5)``): four hex digits giving the length including themselves, then the
data; ``0000`` is a flush packet ending a list or a content stream. A packet carries at most
65516 bytes of data.

One exchange, as git runs it (``convert.c``, ``apply_multi_file_filter``):

1. handshake: the client sends ``git-filter-client``, ``version=2`` and a flush; the filter
   answers ``git-filter-server``, ``version=2`` and a flush; the client lists the
   capabilities it may ask for (``capability=clean``, ``capability=smudge``), the filter the
   ones it supports;
2. per file: ``command=clean``, ``pathname=<path relative to the work tree's top>``, flush,
   the content in packets, flush; the filter answers a status list (``status=success``,
   ``error`` or ``abort``) and a flush, on success the new content and a flush, then a
   second status list (empty: the first stands) and a flush.

``error`` fails that file; ``abort`` fails it and every later one of this driver; a filter
that does not offer ``clean`` fails every file. A failed file keeps its bytes, or stops the
run when ``filter.<driver>.required`` is set (the caller's rule, as in git's
``apply_filter``).
"""

from __future__ import annotations

import contextlib
import subprocess
from typing import IO

__all__ = ["FilterFailed", "FilterProcess"]

MAX_DATA = 65516  # bytes of data in one pkt-line packet (gitprotocol-common)


class FilterFailed(Exception):
    """The filter process did not convert a file (``status=error`` or ``abort``, it exited,
    or it broke the protocol); the message says which."""


class FilterProcess:
    """One running filter process (``filter.<driver>.process``), started by the shell in the
    work tree's top, as git starts it.

    Args:
        command: the configured command line.
        cwd: the work tree's top directory.

    Raises:
        FilterFailed: the command cannot be started or fails the handshake.
    """

    def __init__(self, command: str, cwd: bytes) -> None:
        try:
            self._proc = subprocess.Popen(
                ["/bin/sh", "-c", command],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=cwd,
            )
        except OSError as exc:
            raise FilterFailed(f"cannot start it ({exc.strerror})") from exc
        # both pipes exist: Popen was given PIPE for each
        self._in: IO[bytes] = self._proc.stdin  # type: ignore[assignment]
        self._out: IO[bytes] = self._proc.stdout  # type: ignore[assignment]
        self._aborted = False
        try:
            self._send_list([b"git-filter-client", b"version=2"])
            welcome = self._read_list()
            if b"git-filter-server" not in welcome or b"version=2" not in welcome:
                raise FilterFailed("its handshake is not git-filter-server version=2")
            self._send_list([b"capability=clean", b"capability=smudge"])
            self.cleans = b"capability=clean" in self._read_list()
        except (OSError, FilterFailed) as exc:
            self.close()
            raise FilterFailed(f"handshake failed ({exc})") from exc

    def clean(self, path: bytes, data: bytes) -> bytes:
        """The filter's clean output for ``data``, the content of ``path`` (``/``-separated,
        relative to the work tree's top).

        Raises:
            FilterFailed: the filter does not offer ``clean`` (git then keeps the bytes, or
                stops when the driver is required), answered ``status=error`` or ``abort``
                (then for every later file too), or broke the protocol or exited.
        """
        if not self.cleans:
            raise FilterFailed("it does not offer capability=clean")
        if self._aborted:
            raise FilterFailed("it answered status=abort earlier")
        try:
            self._send_list([b"command=clean", b"pathname=" + path])
            for start in range(0, len(data), MAX_DATA):
                self._packet(data[start : start + MAX_DATA])
            self._in.write(b"0000")
            self._in.flush()
            status = self._status(self._read_list(), None)
            if status != b"success":
                self._fail(status)
            chunks = []
            while (chunk := self._read_packet()) is not None:
                chunks.append(chunk)
            if self._status(self._read_list(), status) != b"success":
                self._fail(b"error")
        except OSError as exc:
            self._aborted = True
            raise FilterFailed(f"the process stopped answering ({exc})") from exc
        return b"".join(chunks)

    def close(self) -> None:
        """End the process: close its input (a filter exits at end of input) and wait."""
        with contextlib.suppress(OSError):
            self._in.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._out.close()

    def _fail(self, status: bytes | None) -> None:
        if status == b"abort":
            self._aborted = True
        raise FilterFailed(f"it answered status={(status or b'<none>').decode(errors='replace')}")

    @staticmethod
    def _status(lines: list[bytes], default: bytes | None) -> bytes | None:
        for line in lines:
            if line.startswith(b"status="):
                default = line[len(b"status=") :]
        return default

    def _packet(self, data: bytes) -> None:
        self._in.write(b"%04x" % (len(data) + 4) + data)

    def _send_list(self, lines: list[bytes]) -> None:
        for line in lines:
            self._packet(line + b"\n")
        self._in.write(b"0000")
        self._in.flush()

    def _read_packet(self) -> bytes | None:
        """The next packet's data, None for a flush packet."""
        head = self._out.read(4)
        if len(head) < 4:
            raise FilterFailed("the process exited (end of its output)")
        try:
            size = int(head, 16)
        except ValueError:
            raise FilterFailed(f"a malformed pkt-line length {head!r}") from None
        if size == 0:
            return None
        if size < 4 or size - 4 > MAX_DATA:
            raise FilterFailed(f"a pkt-line length {size} out of range")
        data = self._out.read(size - 4)
        if len(data) < size - 4:
            raise FilterFailed("the process exited inside a packet")
        return data

    def _read_list(self) -> list[bytes]:
        """Text packets up to a flush packet, each without its line feed."""
        lines = []
        while (packet := self._read_packet()) is not None:
            lines.append(packet.removesuffix(b"\n"))
        return lines
