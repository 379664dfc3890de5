"""The simple repository API over HTTP: project listings, file hashes and downloads, read
with ``requests`` (the pages' meaning is :mod:`vcrelease.publish.simpleapi`).

Rules, each with the standard it follows (``docs/architecture.md``, "Upload"):

- The request asks for PEP 691 JSON first and PEP 503 HTML second (``Accept:
  application/vnd.pypi.simple.v1+json, text/html;q=0.1``, PEP 691 "Content Types").
- Relative URLs resolve against the page's URL after same-host redirects (PEP 503, PEP 691).
- A project page answering 404 or 410, or redirecting to another host (pypiserver sends
  unknown projects to pypi.org unless ``--disable-fallback``), means the project is not on this
  index. Because "not there" allows an upload, that verdict is only given after the index base
  URL itself answers like a simple index (2xx, HTML or PEP 691 JSON); a wrong index URL is an
  :class:`~vcrelease.publish.simpleapi.IndexUnavailableError`, not an empty listing.
- Redirects are followed only to the same host (same host name and port; an http -> https
  upgrade on the default ports counts as the same host). Credentials are never sent to
  another host: redirects are followed by hand, never by ``requests``.
- Network errors, timeouts and unexpected HTTP statuses raise
  :class:`~vcrelease.publish.simpleapi.IndexUnavailableError` (exit 4). No message or stored
  URL holds credentials (:func:`~vcrelease.publish.simpleapi.redact_text`).

Credentials: ``user:password@`` in the index URL is used (as HTTP basic auth) for the listing
requests of :func:`fetch_listing` only; every URL stored in a
:class:`~vcrelease.publish.simpleapi.ProjectListing` is redacted. For authenticated downloads
(:func:`file_sha256`, :func:`download`), set ``session.auth`` (:func:`reading_session` does it
from the index URL).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

import requests

from ..errors import ConfigError, CredentialsRejectedError, redact_text, register_url_credentials
from .simpleapi import (
    ACCEPT,
    DEFAULT_PORTS,
    IndexFile,
    IndexUnavailableError,
    ProjectListing,
    body_text,
    content_kind,
    normalize_project,
    page_text,
    parse_project_html,
    parse_project_json,
    root_projects,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_REDIRECTS",
    "ROOT_LIST_LIMIT",
    "download",
    "fetch_listing",
    "file_sha256",
    "index_volatile",
    "reading_session",
]

DEFAULT_TIMEOUT = 30.0
MAX_REDIRECTS = 5
ROOT_LIST_LIMIT = 1024 * 1024
"""Largest index root list (bytes) that :func:`fetch_listing` reads to cross-check a 404."""
_CHUNK = 64 * 1024
_INDEX_URL_HINT = (
    "Check the index URL: it must be the simple API base, e.g. https://pypi.org/simple/, "
    "http://host:8080/simple/ (pypiserver) or http://host:3141/user/index/+simple/ (devpi)."
)


def fetch_listing(
    session: requests.Session,
    index_url: str,
    project: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    accept: str = ACCEPT,
) -> ProjectListing:
    """List ``project`` on the simple index at ``index_url`` (PEP 503 / PEP 691).

    GETs ``<index_url>/<normalized>/`` (PEP 503) with :data:`ACCEPT` and parses PEP 691 JSON
    or PEP 503 HTML by the answer's ``Content-Type``. Same-host redirects are followed (at most
    :data:`MAX_REDIRECTS`); a 404/410 or a redirect to another host gives ``exists=False`` once
    the index base answers like a simple index (see the module docstring). ``accept`` replaces
    the ``Accept`` header (:data:`ACCEPT_HTML` asks for PEP 503 HTML only).

    Raises:
        ConfigError: ``index_url`` is not an http(s) URL (exit 2).
        IndexUnavailableError: connection error, timeout, an HTTP status other than 2xx, 404
            and 410, an answer that is not a simple repository page, or an index base that
            does not answer like one (exit 4).
    """
    name = normalize_project(project)
    base, auth = _split_credentials(index_url)
    page = urljoin(base, quote(name) + "/")
    fetched = _get(session, page, timeout=timeout, auth=auth, stream=False, accept=accept)
    if _missing(fetched):
        if not _check_index_base(session, base, name, timeout=timeout, auth=auth):
            return ProjectListing(
                project=name,
                page_url=page,
                files=(),
                exists=False,
                redirect=redact_text(fetched.other_host) if fetched.other_host else None,
            )
        # The base lists the project: a concurrent upload may have created it between the two
        # requests. Ask once more before calling the URL wrong.
        fetched = _get(session, page, timeout=timeout, auth=auth, stream=False, accept=accept)
        if _missing(fetched):
            raise IndexUnavailableError(
                f"the index at {base} lists {name} in its project list, but its project page "
                f"{page} is missing; the URL is not the simple API base, so vcrelease cannot "
                f"tell whether {name} is on it. {_INDEX_URL_HINT}",
                url=base,
            )
    response = fetched.response
    assert response is not None
    _require_success(response, fetched.url, what=f"the project page of {name}")
    kind = content_kind(response.headers.get("Content-Type", ""))
    if kind is None:
        raise IndexUnavailableError(
            f"{fetched.url} answered with Content-Type "
            f"{response.headers.get('Content-Type', '(none)')!r}, not a simple repository page "
            "(PEP 503 HTML or PEP 691 JSON). Check the index URL: it must be the simple API "
            "base, e.g. https://pypi.org/simple/ or http://host:3141/user/index/+simple/.",
            url=fetched.url,
            status=response.status_code,
        )
    if kind == "json":
        files = parse_project_json(
            response.content, fetched.url, status=response.status_code, project=name
        )
    else:
        text = page_text(response.content, response.headers.get("Content-Type", ""))
        files = parse_project_html(text, fetched.url, project=name, status=response.status_code)
    return ProjectListing(project=name, page_url=page, files=files, exists=True)


def file_sha256(
    session: requests.Session,
    file: IndexFile,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> str:
    """The sha256 of a listed file: the one the index gives, else the hash of its bytes
    (downloaded by :func:`download`, kept nowhere).

    Raises:
        IndexUnavailableError: as :func:`download` (exit 4).
    """
    if file.sha256:
        return file.sha256
    return download(session, file, lambda _chunk: None, timeout=timeout)


def download(
    session: requests.Session,
    file: IndexFile,
    write: Callable[[bytes], object],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    limit: int | None = None,
) -> str:
    """Stream a listed file's bytes to ``write`` (chunks of at most 64 KiB); returns their
    sha256 (hex). It does not compare it with ``file.sha256``: the caller decides what a
    mismatch means.

    The download follows same-host redirects only, and only runs when the file URL is on the
    same host as the page that listed it (``file.page_url``; a hand-made :class:`IndexFile`
    without it is taken at its word). Credentials come from ``session.auth`` (or netrc, as
    requests reads it), never from stored URLs.

    Args:
        limit: the most bytes accepted, or None for no bound.

    Raises:
        IndexUnavailableError: the file is on another host than its listing, the download
            fails, times out, answers other than 2xx or passes ``limit`` (exit 4).
    """
    if file.page_url and not _same_host(file.page_url, file.url):
        raise IndexUnavailableError(
            f"{redact_text(file.url)} is listed by {redact_text(file.page_url)} and lives on "
            "another host; vcrelease does not send requests for the index to other hosts, so "
            "it cannot read this file. Use an index whose files are on its own host.",
            url=redact_text(file.url),
        )
    fetched = _get(session, file.url, timeout=timeout, auth=None, stream=True, accept="*/*")
    if fetched.response is None:
        raise IndexUnavailableError(
            f"downloading {file.filename} from {redact_text(file.url)} redirected to another "
            f"host ({redact_text(fetched.other_host or '')}), which vcrelease does not follow.",
            url=redact_text(file.url),
        )
    digest = hashlib.sha256()
    size = 0
    with fetched.response as response:
        _require_success(response, fetched.url, what=f"the file {file.filename}")
        try:
            for chunk in response.iter_content(_CHUNK):
                size += len(chunk)
                if limit is not None and size > limit:
                    raise IndexUnavailableError(
                        f"{file.filename} at {fetched.url} is larger than the {limit} bytes "
                        "expected of it; check the project name.",
                        url=fetched.url,
                    )
                digest.update(chunk)
                write(chunk)
        except requests.RequestException as exc:
            raise _network_error(exc, fetched.url, timeout) from None
    return digest.hexdigest()


def index_volatile(
    session: requests.Session, index_url: str, *, timeout: float = DEFAULT_TIMEOUT
) -> bool | None:
    """Whether the index says it replaces files (devpi's ``volatile``), or None when it does
    not say.

    Only devpi tells: its simple API base is ``<host>/<user>/<index>/+simple/`` and a GET of
    ``<host>/<user>/<index>/`` with ``Accept: application/json`` answers the index
    configuration, ``{"result": {"volatile": true, ...}}`` (devpi-server's JSON API). Any other
    layout, answer or failure (pypiserver, Artifactory, PyPI, an unreadable configuration) is
    None: the caller treats the behaviour as unknown. Same-host redirects only; credentials as
    for :func:`fetch_listing`.
    """
    base, auth = _split_credentials(index_url)
    if not base.endswith("/+simple/"):
        return None
    config_url = base[: -len("+simple/")]
    try:
        fetched = _get(
            session, config_url, timeout=timeout, auth=auth, stream=True, accept="application/json"
        )
    except IndexUnavailableError:
        return None
    if fetched.response is None:
        return None
    with fetched.response as response:
        if response.status_code != 200 or "json" not in response.headers.get("Content-Type", ""):
            return None
        try:
            body = _read_limited(response, 1024 * 1024, fetched.url, timeout)
            data = json.loads(body or b"")
        except (IndexUnavailableError, ValueError):
            return None
    result = data.get("result") if isinstance(data, dict) else None
    volatile = result.get("volatile") if isinstance(result, dict) else None
    return volatile if isinstance(volatile, bool) else None


def reading_session(index_url: str | None) -> requests.Session:
    """A session for reading the index; ``user:password@`` in its URL becomes the session's
    auth (for the wheel downloads of the same host; listings use it anyway)."""
    session = requests.Session()
    register_url_credentials(index_url)
    if index_url:
        parts = urlsplit(index_url)
        if parts.username is not None or parts.password is not None:
            session.auth = (unquote(parts.username or ""), unquote(parts.password or ""))
    return session


# --- HTTP -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fetched:
    """A GET after same-host redirects: the response and its URL, or the other-host target."""

    response: requests.Response | None
    url: str
    other_host: str | None = None


def _split_credentials(index_url: str) -> tuple[str, tuple[str, str] | None]:
    """``index_url`` without userinfo and with a trailing slash, and the userinfo as auth."""
    try:
        parts = urlsplit(index_url.strip())
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        hostname = None
        parts = urlsplit("")
    if parts.scheme.lower() not in DEFAULT_PORTS or not hostname:
        raise ConfigError(
            f"index URL {redact_text(index_url)!r} is not an http(s) URL; give the simple API "
            "base, e.g. --index-url https://pypi.org/simple/."
        )
    auth = None
    netloc = parts.netloc
    register_url_credentials(index_url)
    if "@" in netloc:
        userinfo, _, netloc = netloc.rpartition("@")
        user, _, password = userinfo.partition(":")
        auth = (unquote(user), unquote(password))
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, "")), auth


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme)


def _same_host(reference: str, target: str) -> bool:
    """Same host name and port; an http -> https upgrade on the default ports also counts."""
    ref_scheme, ref_host, ref_port = _origin(reference)
    scheme, host, port = _origin(target)
    if not host or host != ref_host or scheme not in DEFAULT_PORTS:
        return False
    if scheme == ref_scheme:
        return port == ref_port
    return (ref_scheme, ref_port, scheme, port) == ("http", 80, "https", 443)


def _get(
    session: requests.Session,
    url: str,
    *,
    timeout: float,
    auth: tuple[str, str] | None,
    stream: bool,
    accept: str = ACCEPT,
) -> _Fetched:
    """GET ``url``, following redirects by hand and only to the same host as ``url``."""
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        try:
            response = session.get(
                current,
                headers={"Accept": accept},
                timeout=timeout,
                allow_redirects=False,
                stream=stream,
                auth=auth,
            )
        except requests.RequestException as exc:
            raise _network_error(exc, current, timeout) from None
        if not response.is_redirect:
            return _Fetched(response, redact_text(current))
        target = urljoin(current, response.headers["Location"])
        response.close()
        if not _same_host(url, target):
            return _Fetched(None, redact_text(current), other_host=target)
        current = target
    raise IndexUnavailableError(
        f"{redact_text(url)} redirected more than {MAX_REDIRECTS} times; check the index URL.",
        url=redact_text(url),
    )


def _check_index_base(
    session: requests.Session,
    base: str,
    project: str,
    *,
    timeout: float,
    auth: tuple[str, str] | None,
) -> bool:
    """Make sure ``base`` is a simple index before "not on this index" is believed; True when
    its project list names ``project`` (then the project page's absence is suspicious).

    The base must answer 2xx with PEP 503 HTML or PEP 691 JSON. When its project list is
    small (at most :data:`ROOT_LIST_LIMIT` bytes; PyPI's is not read), it must not list
    ``project``: devpi, for one, serves an index's root list at ``/<user>/<index>/`` as well
    as at ``+simple/``, while project pages exist only under ``+simple/``, so a URL without
    ``+simple/`` would otherwise report every project as absent.
    """
    fetched = _get(session, base, timeout=timeout, auth=auth, stream=True)
    hint = f"so vcrelease cannot tell whether {project} is on it. {_INDEX_URL_HINT}"
    if fetched.response is None:
        raise IndexUnavailableError(
            f"the index URL {base} redirects to another host "
            f"({redact_text(fetched.other_host or '')}), {hint}",
            url=base,
        )
    with fetched.response as response:
        kind = content_kind(response.headers.get("Content-Type", ""))
        if not 200 <= response.status_code < 300 or kind is None:
            raise IndexUnavailableError(
                f"the index URL {base} answers {_status_text(response)} with Content-Type "
                f"{response.headers.get('Content-Type', '(none)')!r}, not like a simple "
                f"repository index (PEP 503 / PEP 691), {hint}",
                url=base,
                status=response.status_code,
            )
        body = _read_limited(response, ROOT_LIST_LIMIT, fetched.url, timeout)
    if body is None:
        return False
    return project in root_projects(body, kind)


def _missing(fetched: _Fetched) -> bool:
    """No project page: 404/410, or a redirect to another host (closes the response)."""
    if fetched.response is None:
        return True
    if fetched.response.status_code in (404, 410):
        fetched.response.close()
        return True
    return False


def _read_limited(
    response: requests.Response, limit: int, url: str, timeout: float
) -> bytes | None:
    """The body if it is at most ``limit`` bytes, else None (without reading past the limit)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise _network_error(exc, url, timeout) from None
    return b"".join(chunks)


def _require_success(response: requests.Response, url: str, *, what: str) -> None:
    if 200 <= response.status_code < 300:
        return
    status = response.status_code
    try:
        said = body_text(
            _read_limited(response, 64 * 1024, url, 10.0) or b"",
            response.headers.get("Content-Type", ""),
        )
    except Exception:  # the status alone still says what happened
        said = ""
    response.close()
    said = f" ({said})" if said else ""
    if status in (401, 403):
        raise CredentialsRejectedError(
            f"reading {what} at {url} failed: the index answered {_status_text(response)}"
            f"{said}. The index wants credentials to read it, or rejects these: give them for "
            "the index (an index URL of the form https://user:password@host/..., or netrc), "
            "or check --index-url. Running again with the same credentials will not help.",
            url=url,
            status=status,
        )
    if status >= 500:
        advice = "The index has a server-side problem; try again later."
    else:
        advice = "Check --index-url: it must be the simple API base of the index."
    raise IndexUnavailableError(
        f"reading {what} at {url} failed: the index answered {_status_text(response)}{said}. "
        f"{advice}",
        url=url,
        status=status,
    )


def _status_text(response: requests.Response) -> str:
    return f"HTTP {response.status_code} {response.reason or ''}".rstrip()


def _network_error(
    exc: requests.RequestException, url: str, timeout: float
) -> IndexUnavailableError:
    """An :class:`IndexUnavailableError` for a failed request, credentials removed."""
    safe = redact_text(url)
    if isinstance(exc, requests.Timeout):
        reason = f"no answer within {timeout:g} s"
        advice = (
            f"The index is slow or unreachable; try again, or give it longer with --timeout "
            f"(now {timeout:g} s)."
        )
    elif isinstance(exc, requests.ConnectionError):
        reason = f"cannot connect ({_short_reason(exc)})"
        advice = "Check that the index is up and the URL (host, port, scheme) is right."
    else:
        reason = f"{type(exc).__name__}: {_short_reason(exc)}"
        advice = "Check the index URL."
    return IndexUnavailableError(
        f"reading the package index at {safe} failed: {reason}. {advice}", url=safe
    )


def _short_reason(exc: BaseException) -> str:
    """The innermost useful cause of a requests/urllib3 error, credentials removed."""
    text = str(exc)
    for known in (
        "Connection refused",
        "Connection reset by peer",
        "Name or service not known",
        "nodename nor servname provided",
        "Temporary failure in name resolution",
        "No route to host",
        "Network is unreachable",
        "certificate verify failed",
        "Remote end closed connection without response",
    ):
        if known in text:
            return known
    return redact_text(text)[:300]
