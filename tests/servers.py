"""Real package index servers for tests, on 127.0.0.1 with a free port.

- :func:`start_pypiserver`: pypiserver 2.x with an htpasswd file (uploads need the password;
  reading does not), optionally ``--disable-fallback`` and ``--overwrite``.
- :func:`start_devpi`: devpi-server with a fresh ``--serverdir`` (no ``root/pypi`` mirror, so
  no network), one user and two indexes: ``staging`` (volatile: would accept overwrites) and
  ``production`` (not volatile).
- :class:`StaticHTTPServer`: a tiny threaded HTTP server answering fixed routes (an index
  without hashes, redirects, error statuses), recording every request it gets; a route with
  ``echo=True`` is a hostile server that quotes the request back (its headers, credentials
  included, as raw lines, JSON and HTML) in its answer.

The ``conftest.py`` fixtures start them once per session and stop them (terminate, then kill).
Every test uses its own project name, so they share the servers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import html
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from vcrelease.publish.indexclient import fetch_listing
from vcrelease.publish.simpleapi import IndexFile, ProjectListing

HOST = "127.0.0.1"
START_TIMEOUT = 90.0


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def local_session() -> requests.Session:
    """A requests session for 127.0.0.1: no proxies or netrc from the environment."""
    session = requests.Session()
    session.trust_env = False
    return session


def _server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "DEVPI"))}
    env["PYTHONWARNINGS"] = "ignore"
    # Never reach a proxy for 127.0.0.1, never the network.
    env["NO_PROXY"] = env["no_proxy"] = "*"
    return env


@dataclass(frozen=True)
class IndexServer:
    """One index on a running server, as a client sees it.

    Attributes:
        kind: ``pypiserver`` or ``devpi``.
        base_url: ``http://127.0.0.1:<port>`` (no trailing slash).
        upload_url: the URL twine uploads to.
        index_url: the simple API base (PEP 503), with a trailing slash.
        username, password: an account allowed to upload.
        accepts_overwrite: the server would replace a file with other bytes under the same name
            (pypiserver ``--overwrite``, devpi volatile index).
        fallback: pypiserver redirects unknown projects to pypi.org (no ``--disable-fallback``).
        name: a label for messages (``pypiserver``, ``devpi staging``, ...).
    """

    kind: str
    base_url: str
    upload_url: str
    index_url: str
    username: str
    password: str
    accepts_overwrite: bool
    fallback: bool = False
    name: str = ""

    def via(self, base_url: str) -> IndexServer:
        """The same index reached through another base URL (e.g. a :class:`FaultProxy`)."""
        base = base_url.rstrip("/")
        return dataclasses.replace(
            self,
            base_url=base,
            upload_url=self.upload_url.replace(self.base_url, base, 1),
            index_url=self.index_url.replace(self.base_url, base, 1),
        )

    def listing(self, project: str) -> ProjectListing:
        """:func:`vcrelease.publish.indexclient.fetch_listing` of ``project`` on this index."""
        with local_session() as session:
            return fetch_listing(session, self.index_url, project, timeout=30)

    def sha256s(self, project: str) -> dict[str, str | None]:
        """``{filename: sha256 as listed}`` for ``project`` (empty when it is not there)."""
        return {f.filename: f.sha256 for f in self.listing(project).files}

    def file(self, project: str, filename: str) -> IndexFile:
        """The listed entry of ``filename``; AssertionError when it is not listed."""
        found = self.listing(project).by_filename().get(filename)
        assert found is not None, f"{filename} is not listed for {project} on {self.name}"
        return found

    def download(self, project: str, filename: str) -> bytes:
        """The bytes the index serves for ``filename`` of ``project``."""
        with local_session() as session:
            response = session.get(self.file(project, filename).url, timeout=30)
        response.raise_for_status()
        return response.content

    def served_sha256(self, project: str, filename: str) -> str:
        """sha256 of the bytes the index serves (downloaded, not the listed hash)."""
        return hashlib.sha256(self.download(project, filename)).hexdigest()

    def upload(
        self,
        files: Iterable[Path],
        *,
        password: str | None = None,
        extra: Sequence[str] = (),
        check: bool = True,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """``python -m twine upload`` of ``files`` to this index (a real twine process).

        ``check=True`` raises AssertionError with twine's output when twine fails.
        """
        cmd = [
            sys.executable,
            "-m",
            "twine",
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            self.upload_url,
            "-u",
            self.username,
            "-p",
            self.password if password is None else password,
            *extra,
            *(str(f) for f in files),
        ]
        result = subprocess.run(
            cmd, env=_server_env(), capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"twine upload to {self.name} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result


@dataclass(frozen=True)
class DevpiServer:
    """A devpi-server with user ``username`` and indexes ``staging`` and ``production``.

    Attributes:
        base_url: ``http://127.0.0.1:<port>``.
        username, password: the index owner.
        staging: the volatile index ``<user>/staging`` (accepts overwrites).
        production: the non-volatile index ``<user>/production`` (refuses other bytes under a
            name it has, with 409).
    """

    base_url: str
    username: str
    password: str
    staging: IndexServer
    production: IndexServer

    def push(self, project: str, version: str, *, source: str, target: str) -> requests.Response:
        """Promote ``project==version`` from index ``source`` to ``target`` (index names such as
        ``staging``), as ``devpi push`` does (HTTP method ``PUSH``). Returns the response."""
        with local_session() as session:
            return session.request(
                "PUSH",
                f"{self.base_url}/{self.username}/{source}",
                json={
                    "name": project,
                    "version": version,
                    "targetindex": f"{self.username}/{target}",
                },
                auth=(self.username, self.password),
                timeout=60,
            )


class ServerProcess:
    """A server process we started, with its log; :meth:`stop` terminates, then kills it."""

    def __init__(self, name: str, cmd: Sequence[str], log_path: Path, cwd: Path) -> None:
        self.name = name
        self.cmd = list(cmd)
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            self.cmd,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=_server_env(),
            start_new_session=True,
        )

    def log_tail(self, size: int = 4000) -> str:
        """The end of the server's output."""
        try:
            return self.log_path.read_bytes()[-size:].decode("utf-8", errors="replace")
        except OSError:
            return ""

    def wait_ready(self, url: str, timeout: float = START_TIMEOUT) -> None:
        """Poll ``url`` until it answers 200; RuntimeError with the log when the process dies
        or the time is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode} while starting:\n"
                    f"{self.log_tail()}"
                )
            with contextlib.suppress(requests.RequestException), local_session() as session:
                if session.get(url, timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} not ready at {url} after {timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Terminate the process (SIGTERM), kill it after 10 s, and close the log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _write_htpasswd(path: Path, users: Mapping[str, str]) -> None:
    with warnings.catch_warnings():  # passlib imports crypt, deprecated since Python 3.11
        warnings.simplefilter("ignore", DeprecationWarning)
        from passlib.apache import HtpasswdFile  # pypiserver[passlib]

    htpasswd = HtpasswdFile(str(path), new=True)
    for user, password in users.items():
        htpasswd.set_password(user, password)
    htpasswd.save()


def start_pypiserver(
    workdir: Path,
    *,
    fallback: bool = True,
    overwrite: bool = False,
    name: str = "pypiserver",
    hash_algo: str | None = None,
    authenticate: str = "update",
) -> tuple[ServerProcess, IndexServer]:
    """pypiserver on a free port: packages in ``workdir/packages``, upload needs the password
    (``-a update`` with an htpasswd file), reading is open unless ``authenticate`` says
    otherwise (``update,download,list``); ``hash_algo``: pypiserver's ``--hash-algo``
    (``md5``: listings carry no sha256)."""
    workdir.mkdir(parents=True, exist_ok=True)
    packages = workdir / "packages"
    packages.mkdir(exist_ok=True)
    username, password = "uploader", "pw-" + secrets.token_hex(8)
    htpasswd = workdir / "htpasswd"
    _write_htpasswd(htpasswd, {username: password})
    last_error: RuntimeError | None = None
    for _attempt in range(3):
        port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "pypiserver",
            "run",
            "--host",
            HOST,
            "--port",
            str(port),
            "--authenticate",
            authenticate,
            "--passwords",
            str(htpasswd),
        ]
        if not fallback:
            cmd.append("--disable-fallback")
        if overwrite:
            cmd.append("--overwrite")
        if hash_algo is not None:
            cmd += ["--hash-algo", hash_algo]
        cmd.append(str(packages))
        proc = ServerProcess(name, cmd, workdir / "server.log", workdir)
        base = f"http://{HOST}:{port}"
        try:
            proc.wait_ready(f"{base}/health")
        except RuntimeError as exc:  # most likely the port was taken meanwhile
            proc.stop()
            last_error = exc
            continue
        return proc, IndexServer(
            kind="pypiserver",
            base_url=base,
            upload_url=f"{base}/",
            index_url=f"{base}/simple/",
            username=username,
            password=password,
            accepts_overwrite=overwrite,
            fallback=fallback,
            name=name,
        )
    assert last_error is not None
    raise last_error


def start_devpi(workdir: Path, *, username: str = "ci") -> tuple[ServerProcess, DevpiServer]:
    """devpi-server on a free port with a fresh server directory, user ``username`` and the
    indexes ``staging`` (volatile) and ``production`` (not volatile)."""
    workdir.mkdir(parents=True, exist_ok=True)
    serverdir = workdir / "serverdir"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from devpi_server.init import init; sys.exit(init())",
            "--serverdir",
            str(serverdir),
            "--no-root-pypi",
            "--root-passwd",
            "root-" + secrets.token_hex(8),
        ],
        env=_server_env(),
        capture_output=True,
        check=True,
        timeout=120,
    )
    last_error: RuntimeError | None = None
    for _attempt in range(3):
        port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "devpi_server",
            "--serverdir",
            str(serverdir),
            "--host",
            HOST,
            "--port",
            str(port),
            "--threads",
            "20",
            *_cheap_secret_options(),
        ]
        proc = ServerProcess("devpi-server", cmd, workdir / "server.log", workdir)
        base = f"http://{HOST}:{port}"
        try:
            proc.wait_ready(f"{base}/+api")
        except RuntimeError as exc:
            proc.stop()
            last_error = exc
            continue
        try:
            server = _devpi_setup(base, username)
        except BaseException:
            proc.stop()
            raise
        return proc, server
    assert last_error is not None
    raise last_error


def _cheap_secret_options() -> list[str]:
    """devpi-server's own options to derive its login secret with the cheapest Argon2
    parameters (the ones devpi's tests lower too): the default takes about 5 s of CPU at every
    start. A throwaway server on 127.0.0.1 guards nothing with it. Given only where the
    installed devpi-server has them."""
    import importlib.util

    spec = importlib.util.find_spec("devpi_server.config")
    if spec is None or spec.origin is None:
        return []
    if "--argon2-time-cost" not in Path(spec.origin).read_text(encoding="utf-8"):
        return []
    return ["--argon2-time-cost", "1", "--argon2-memory-cost", "8", "--argon2-parallelism", "1"]


def _devpi_setup(base: str, username: str) -> DevpiServer:
    """Create the user and its two indexes through devpi's HTTP JSON API."""
    password = "pw-" + secrets.token_hex(8)
    with local_session() as session:
        created = session.put(
            f"{base}/{username}",
            json={"password": password, "email": f"{username}@example.org"},
            timeout=30,
        )
        assert created.status_code == 201, created.text
        indexes: dict[str, IndexServer] = {}
        for index, volatile in (("staging", True), ("production", False)):
            made = session.put(
                f"{base}/{username}/{index}",
                json={"type": "stage", "bases": [], "volatile": volatile},
                auth=(username, password),
                timeout=30,
            )
            assert made.status_code == 200, made.text
            indexes[index] = IndexServer(
                kind="devpi",
                base_url=base,
                upload_url=f"{base}/{username}/{index}/",
                index_url=f"{base}/{username}/{index}/+simple/",
                username=username,
                password=password,
                accepts_overwrite=volatile,
                name=f"devpi {username}/{index}",
            )
    return DevpiServer(
        base_url=base,
        username=username,
        password=password,
        staging=indexes["staging"],
        production=indexes["production"],
    )


# --- a static HTTP server -------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """A fixed answer: status, headers and body (str bodies are sent as UTF-8), sent after
    ``delay`` seconds; once answered, ``then`` (when set) takes its place for the next
    requests (an index whose answer changes, e.g. a file still being written). ``echo``
    appends the request (line, headers) to the body, as a careless server's error page does."""

    status: int = 200
    body: bytes | str = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    then: Route | None = None
    echo: bool = False


@dataclass(frozen=True)
class SeenRequest:
    """A request the static server got."""

    method: str
    path: str
    headers: Mapping[str, str]


class StaticHTTPServer:
    """A threaded HTTP server on 127.0.0.1 answering ``routes`` (path -> :class:`Route`),
    404 for anything else, and recording every request in :attr:`requests`.

    ``routes`` may be changed while it runs (``server.routes["/x"] = Route(...)``).
    """

    def __init__(self, routes: Mapping[str, Route] | None = None) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                outer._answer(self)

            def do_HEAD(self) -> None:
                outer._answer(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                outer._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.url = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append(
                SeenRequest(handler.command, handler.path, dict(handler.headers.items()))
            )
        path = handler.path.split("?", 1)[0]
        with self._lock:
            route = self.routes.get(path, Route(404, b"not found\n"))
            if route.then is not None:
                self.routes[path] = route.then
        if route.delay:
            time.sleep(route.delay)
        body = route.body.encode() if isinstance(route.body, str) else route.body
        if route.echo:
            seen = dict(handler.headers.items())
            raw = "".join(f"{k}: {v}\n" for k, v in seen.items())
            body += (
                f"\n<pre>{handler.command} {handler.path}\n{raw}</pre>\n"
                f"<p>{html.escape(json.dumps(seen))}</p>\n{json.dumps(seen)}\n"
            ).encode()
        try:
            handler.send_response(route.status)
            for key, value in route.headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(body)
        except OSError:  # the client gave up (a timeout test)
            handler.close_connection = True

    def close(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def __enter__(self) -> StaticHTTPServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def json_route(data: Any, content_type: str = "application/vnd.pypi.simple.v1+json") -> Route:
    """A :class:`Route` answering ``data`` as JSON (PEP 691 content type by default)."""
    return Route(200, json.dumps(data), {"Content-Type": content_type})


SIMPLE_MARKER = '<meta name="pypi:repository-version" content="1.0">\n'
"""PEP 629's marker of a simple-API page, which vcrelease requires of an HTML project page
(or a ``Links for <project>`` title, as pypiserver and devpi write)."""


def html_route(html: str, *, marker: bool = True) -> Route:
    """A :class:`Route` answering ``html`` as ``text/html``, by default as a simple-API page
    (:data:`SIMPLE_MARKER` first; ``marker=False`` for a page that is not one: a login page)."""
    body = SIMPLE_MARKER + html if marker else html
    return Route(200, body, {"Content-Type": "text/html; charset=utf-8"})
