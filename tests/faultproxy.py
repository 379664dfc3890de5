"""A small threaded HTTP proxy in front of an index, for fault injection in upload tests.

``FaultProxy(upstream)`` listens on 127.0.0.1 (free port) and relays every request to
``upstream`` (``http://127.0.0.1:<port>``), keeping the client's ``Host`` header so the server
builds its URLs and redirects for the proxy, and rewriting any ``Location`` that still names the
upstream. Faults apply to POST requests (uploads) only; every other method (GET listings and
downloads, HEAD, PUT, PUSH) is always relayed untouched.

Modes (:meth:`FaultProxy.set_mode`, switchable while it runs):

- ``pass``: relay.
- ``reset-after-body``: read the whole request, forward it, wait for the server's complete
  answer (so the server has handled the upload), then reset the client's connection (TCP RST,
  ``SO_LINGER`` 0) without answering.
- ``http-500``: read the whole request and answer ``500`` without forwarding it.
- ``slow``: forward the request, wait for the server's answer, then hold it ``delay`` seconds
  before answering (a client with a shorter timeout gives up after the server stored the file).

``count=N`` applies the fault to the next N POSTs only, then the proxy goes back to ``pass``.
:attr:`FaultProxy.events` records what happened to each request.
"""

from __future__ import annotations

import dataclasses
import http.client
import socket
import struct
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import urlsplit

Mode = Literal["pass", "reset-after-body", "http-500", "slow"]
MODES: tuple[Mode, ...] = ("pass", "reset-after-body", "http-500", "slow")
FAULT_METHODS = frozenset({"POST"})

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)


@dataclass(frozen=True)
class ProxyEvent:
    """What the proxy did with one request.

    Attributes:
        method, path: the request.
        mode: the mode applied (``pass`` for every non-POST request).
        forwarded: the request reached the server.
        upstream_status: the server's status, None when not forwarded or when it failed.
        client_status: the status sent to the client, None when the connection was reset or
            the client was gone.
        body_size: bytes of request body.
    """

    method: str
    path: str
    mode: Mode
    forwarded: bool
    upstream_status: int | None
    client_status: int | None
    body_size: int


class FaultProxy:
    """A fault-injecting HTTP proxy on 127.0.0.1 in front of ``upstream``.

    Attributes:
        url: the proxy's base URL, ``http://127.0.0.1:<port>`` (use it instead of the
            upstream's base URL; :meth:`proxied` rewrites a URL).
        upstream: the upstream base URL.
    """

    def __init__(self, upstream: str, *, upstream_timeout: float = 120.0) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise ValueError(f"upstream must be http://host:port, not {upstream!r}")
        self.upstream = f"http://{parts.hostname}:{parts.port}"
        self._upstream_host = parts.hostname
        self._upstream_port = parts.port
        self._upstream_timeout = upstream_timeout
        self._lock = threading.Lock()
        self._mode: Mode = "pass"
        self._delay = 0.0
        self._remaining: int | None = None
        self._events: list[ProxyEvent] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy._handle(self)

            do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_PUSH = do_OPTIONS = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    # --- control ----------------------------------------------------------------------------

    def set_mode(self, mode: Mode, *, delay: float = 0.0, count: int | None = None) -> None:
        """Switch mode. ``delay``: seconds for ``slow``. ``count``: apply the fault to the next
        ``count`` POSTs, then go back to ``pass`` (None: until changed)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
        with self._lock:
            self._mode = mode
            self._delay = delay
            self._remaining = count

    @property
    def mode(self) -> Mode:
        """The mode the next POST gets."""
        with self._lock:
            return self._mode

    @property
    def events(self) -> list[ProxyEvent]:
        """A copy of the events so far, in the order the answers were decided."""
        with self._lock:
            return list(self._events)

    def posts(self) -> list[ProxyEvent]:
        """The POST events so far."""
        return [e for e in self.events if e.method == "POST"]

    def clear_events(self) -> None:
        """Forget the recorded events."""
        with self._lock:
            self._events.clear()

    def proxied(self, url: str) -> str:
        """``url`` on the upstream rewritten to go through the proxy."""
        return url.replace(self.upstream, self.url, 1)

    def close(self) -> None:
        """Stop serving and close the listening socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- relaying ---------------------------------------------------------------------------

    def _take_mode(self, method: str) -> tuple[Mode, float]:
        if method not in FAULT_METHODS:
            return "pass", 0.0
        with self._lock:
            mode, delay = self._mode, self._delay
            if mode != "pass" and self._remaining is not None:
                self._remaining -= 1
                if self._remaining <= 0:
                    self._mode, self._remaining = "pass", None
            return mode, delay

    def _record(self, event: ProxyEvent) -> int:
        with self._lock:
            self._events.append(event)
            return len(self._events) - 1

    def _client_gone(self, index: int) -> None:
        with self._lock:
            self._events[index] = dataclasses.replace(self._events[index], client_status=None)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        # Each event is recorded before the client gets its answer, so a client that has its
        # answer always finds the event in ``events``.
        body = _read_body(handler)
        mode, delay = self._take_mode(handler.command)

        def record(forwarded: bool, upstream: int | None, client: int | None) -> int:
            return self._record(
                ProxyEvent(
                    handler.command, handler.path, mode, forwarded, upstream, client, len(body)
                )
            )

        if mode == "http-500":
            index = record(False, None, 500)
            try:
                _send(handler, 500, "Internal Server Error", {}, b"fault proxy: injected 500\n")
            except OSError:
                handler.close_connection = True
                self._client_gone(index)
            return
        try:
            status, reason, headers, payload = self._forward(handler, body)
        except OSError as exc:
            index = record(False, None, 502)
            message = f"fault proxy: upstream failed: {exc}\n".encode()
            try:
                _send(handler, 502, "Bad Gateway", {}, message)
            except OSError:
                handler.close_connection = True
                self._client_gone(index)
            return
        if mode == "reset-after-body":
            record(True, status, None)
            _reset(handler)
            return
        if mode == "slow":
            time.sleep(delay)
        index = record(True, status, status)
        try:
            _send(handler, status, reason, headers, payload)
        except OSError:  # the client gave up waiting
            handler.close_connection = True
            self._client_gone(index)

    def _forward(
        self, handler: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
        if body or handler.command in ("POST", "PUT", "PATCH", "PUSH"):
            headers["Content-Length"] = str(len(body))
        headers["Connection"] = "close"
        conn = http.client.HTTPConnection(
            self._upstream_host, self._upstream_port, timeout=self._upstream_timeout
        )
        try:
            conn.request(handler.command, handler.path, body=body or None, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            out = []
            for key, value in response.getheaders():
                if key.lower() in _HOP_BY_HOP:
                    continue
                if key.lower() == "location":
                    value = self.proxied(value)
                out.append((key, value))
            return response.status, response.reason, out, payload
        finally:
            conn.close()


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The whole request body (Content-Length or chunked)."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks: list[bytes] = []
        while True:
            size_line = handler.rfile.readline()
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    reason: str,
    headers: list[tuple[str, str]] | Mapping[str, str],
    body: bytes,
) -> None:
    items = headers.items() if isinstance(headers, Mapping) else headers
    handler.send_response_only(status, reason)
    for key, value in items:
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(body)))
    if handler.close_connection:
        handler.send_header("Connection", "close")
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)
    handler.wfile.flush()


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Abort the client's connection with a TCP RST (SO_LINGER on, timeout 0)."""
    handler.close_connection = True
    sock = handler.connection
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.rfile.close()  # drops makefile()'s reference, so close() closes the socket now
        sock.close()
    except OSError:
        pass
