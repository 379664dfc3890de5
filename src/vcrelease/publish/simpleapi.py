"""What a package index already holds for a project: the simple repository API, read only.

The uploader's preflight (DESIGN.md, "The release policy", index rules) asks one question per
file: is this file name already on the index, and with which sha256? This module answers it
over HTTP with ``requests``; it is imported by the uploader only, never by the build plugin.

Rules, each with the standard it follows:

- Project pages live at ``<index>/<normalized name>/`` (PEP 503); names are normalized with
  :func:`normalize_project` (PEP 503 "Normalized Names").
- The request asks for PEP 691 JSON first and PEP 503 HTML second
  (``Accept: application/vnd.pypi.simple.v1+json, text/html;q=0.1``); the answer's
  ``Content-Type`` decides the parser (PEP 691 "Content Types"). Anything else is not a simple
  repository page and is an error, never "no files".
- sha256 comes from the JSON ``hashes`` (PEP 691) or the ``#sha256=<hex>`` URL fragment
  (PEP 503); other hash names are ignored, and a file without a sha256 is downloaded and hashed
  by :func:`file_sha256`.
- Relative URLs are resolved against the URL of the page that listed them (PEP 503, PEP 691),
  after same-host redirects, honouring an HTML ``<base href>``.
- Yanked files (``data-yanked`` in HTML, ``yanked`` in JSON: PEP 592, PEP 691) are listed with
  ``yanked=True``: a yanked file name is still taken.
- A project page answering 404 or 410, or redirecting to another host (pypiserver sends
  unknown projects to pypi.org unless ``--disable-fallback``), means the project is not on this
  index. Because "not there" allows an upload, that verdict is only given after the index base
  URL itself answers like a simple index (2xx, HTML or PEP 691 JSON); a wrong index URL is an
  :class:`IndexUnavailableError`, not an empty listing.
- Redirects are followed only to the same host (same host name and port; an http -> https
  upgrade on the default ports counts as the same host). Credentials are never sent to
  another host: redirects are followed by hand, never by ``requests``.
- Network errors, timeouts and unexpected HTTP statuses raise :class:`IndexUnavailableError`
  (exit 4). No message or stored URL holds credentials: :func:`redact_url` removes them.

Credentials: ``user:password@`` in the index URL is used (as HTTP basic auth) for the listing
requests of :func:`fetch_listing` only; every URL stored in a :class:`ProjectListing` is
redacted. For authenticated downloads (:func:`file_sha256`), set ``session.auth``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit, urlunsplit

import requests
from packaging.utils import canonicalize_name

from ..errors import EXIT_NETWORK, ConfigError, VcreleaseError, redact_text

ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
"""The ``Accept`` header of listing requests: PEP 691 JSON preferred, PEP 503 HTML accepted."""

ACCEPT_HTML = "text/html"
"""An ``Accept`` header for PEP 503 HTML only (servers that offer both then send HTML)."""

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_TYPES = frozenset({"text/html", "application/vnd.pypi.simple.v1+html"})
DEFAULT_TIMEOUT = 30.0
MAX_REDIRECTS = 5
ROOT_LIST_LIMIT = 1024 * 1024
"""Largest index root list (bytes) that :func:`fetch_listing` reads to cross-check a 404."""
_CHUNK = 64 * 1024
_INDEX_URL_HINT = (
    "Check the index URL: it must be the simple API base, e.g. https://pypi.org/simple/, "
    "http://host:8080/simple/ (pypiserver) or http://host:3141/user/index/+simple/ (devpi)."
)
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class IndexUnavailableError(VcreleaseError):
    """The index could not be read: connection error, timeout, unexpected HTTP status or a page
    that is not a simple repository page (exit 4, ``EXIT_NETWORK``).

    Attributes:
        url: the URL that failed, credentials removed (:func:`redact_url`).
        status: the HTTP status when the server answered, else None.
    """

    exit_code = EXIT_NETWORK

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


@dataclass(frozen=True)
class IndexFile:
    """One file listed on a project page.

    Attributes:
        filename: the file name (PEP 691 ``filename``; PEP 503 anchor text).
        url: absolute download URL, without fragment and without credentials.
        sha256: lower-case hex digest the index gives (PEP 691 ``hashes``, PEP 503
            ``#sha256=`` fragment), or None when it gives none.
        yanked: the file is yanked (PEP 592); its name is still taken.
        page_url: the project page that listed it (for the same-host rule of
            :func:`file_sha256`); not part of equality.
    """

    filename: str
    url: str
    sha256: str | None
    yanked: bool
    page_url: str = field(default="", compare=False)


@dataclass(frozen=True)
class ProjectListing:
    """What an index holds for one project.

    Attributes:
        project: the normalized project name (PEP 503).
        page_url: the project page URL asked for (credentials removed).
        files: the listed files, in the index's order.
        exists: False when the index does not have the project (404 or 410, or a redirect to
            another host); ``files`` is then empty.
        redirect: the other-host URL the index redirected to and that was not followed
            (e.g. pypiserver's fallback to pypi.org), else None.
    """

    project: str
    page_url: str
    files: tuple[IndexFile, ...]
    exists: bool
    redirect: str | None = None

    def by_filename(self) -> dict[str, IndexFile]:
        """Files by name; when an index lists a name twice, the first entry wins."""
        result: dict[str, IndexFile] = {}
        for item in self.files:
            result.setdefault(item.filename, item)
        return result


def normalize_project(name: str) -> str:
    """The PEP 503 normalized form of a project name (``Foo_Bar.baz`` -> ``foo-bar-baz``).

    Raises ``packaging.utils.InvalidName`` (a ``ValueError``) for a name that is not a valid
    project name (PEP 508), so that nothing but a name ends up in a URL path.
    """
    return str(canonicalize_name(name, validate=True))


def redact_url(url: str) -> str:
    """``url`` without credentials: ``https://user:token@host/x`` -> ``https://***@host/x``.

    Used for every URL that goes into a message, an exception or a stored listing. It is also
    safe on free text (an exception's message): every ``scheme://userinfo@`` in it is replaced.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is not None and "@" in parts.netloc:
        host = parts.netloc.rpartition("@")[2]
        url = urlunsplit(parts._replace(netloc=f"***@{host}"))
    return redact_text(url)


def derive_index_url(repository_url: str) -> str | None:
    """The simple API base (PEP 503) for an upload URL, or None when the URL's shape does not
    say which server it is (the caller then asks for ``--index-url``).

    =============================================  ===============================================
    upload URL                                     simple API base
    =============================================  ===============================================
    ``https://upload.pypi.org/legacy/``            ``https://pypi.org/simple/``
    ``https://test.pypi.org/legacy/``              ``https://test.pypi.org/simple/``
    ``http://host:port/`` (pypiserver: uploads     ``http://host:port/simple/``
    go to ``/`` only)
    ``http://host:port/legacy/`` (Warehouse's      ``http://host:port/simple/``
    layout; pypiserver answers 405 there)
    ``http://host:port/<user>/<index>/`` (devpi:   ``http://host:port/<user>/<index>/+simple/``
    the upload URL is the index URL)
    =============================================  ===============================================

    Anything else (other paths, a devpi or pypiserver mounted under a path prefix, non-http
    schemes) gives None. Credentials, query and fragment of the upload URL are dropped: the
    result may be printed. A wrong guess cannot pass silently: :func:`fetch_listing` checks
    that the base answers like a simple index before it reports a project as absent.
    """
    try:
        parts = urlsplit(repository_url.strip())
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not hostname:
        return None
    host = hostname.lower()
    segments = [s for s in parts.path.split("/") if s]
    if host == "upload.pypi.org":
        return "https://pypi.org/simple/" if segments in ([], ["legacy"]) else None
    if host == "test.pypi.org":
        return "https://test.pypi.org/simple/" if segments == ["legacy"] else None
    origin = f"{parts.scheme.lower()}://{parts.netloc.rpartition('@')[2]}"
    if segments in ([], ["legacy"]):
        return f"{origin}/simple/"
    if len(segments) == 2 and not any(s.startswith("+") for s in segments):
        return f"{origin}/{segments[0]}/{segments[1]}/+simple/"
    return None


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
                redirect=redact_url(fetched.other_host) if fetched.other_host else None,
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
    kind = _content_kind(response)
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
        files = _parse_json(response, fetched.url)
    else:
        files = _parse_html(_text(response), fetched.url)
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
            f"{redact_url(file.url)} is listed by {redact_url(file.page_url)} and lives on "
            "another host; vcrelease does not send requests for the index to other hosts, so "
            "it cannot read this file. Use an index whose files are on its own host.",
            url=redact_url(file.url),
        )
    fetched = _get(session, file.url, timeout=timeout, auth=None, stream=True, accept="*/*")
    if fetched.response is None:
        raise IndexUnavailableError(
            f"downloading {file.filename} from {redact_url(file.url)} redirected to another "
            f"host ({redact_url(fetched.other_host or '')}), which vcrelease does not follow.",
            url=redact_url(file.url),
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


# --- HTTP -----------------------------------------------------------------------------------


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
    if parts.scheme.lower() not in _DEFAULT_PORTS or not hostname:
        raise ConfigError(
            f"index URL {redact_url(index_url)!r} is not an http(s) URL; give the simple API "
            "base, e.g. --index-url https://pypi.org/simple/."
        )
    auth = None
    netloc = parts.netloc
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
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def _same_host(reference: str, target: str) -> bool:
    """Same host name and port; an http -> https upgrade on the default ports also counts."""
    ref_scheme, ref_host, ref_port = _origin(reference)
    scheme, host, port = _origin(target)
    if not host or host != ref_host or scheme not in _DEFAULT_PORTS:
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
            return _Fetched(response, redact_url(current))
        target = urljoin(current, response.headers["Location"])
        response.close()
        if not _same_host(url, target):
            return _Fetched(None, redact_url(current), other_host=target)
        current = target
    raise IndexUnavailableError(
        f"{redact_url(url)} redirected more than {MAX_REDIRECTS} times; check the index URL.",
        url=redact_url(url),
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
            f"({redact_url(fetched.other_host or '')}), {hint}",
            url=base,
        )
    with fetched.response as response:
        kind = _content_kind(response)
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
    return project in _root_projects(body, kind)


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


def _root_projects(body: bytes, kind: str) -> set[str]:
    """Normalized project names of a PEP 691 JSON or PEP 503 HTML root list (best effort)."""
    names: list[str] = []
    if kind == "json":
        try:
            data = json.loads(body)
        except ValueError:
            return set()
        projects = data.get("projects") if isinstance(data, dict) else None
        if isinstance(projects, list):
            names = [p["name"] for p in projects if isinstance(p, dict) and "name" in p]
    else:
        parser = _LinkParser()
        parser.feed(body.decode("utf-8", errors="replace"))
        parser.close()
        names = [text for _, text, _ in parser.links]
    return {str(canonicalize_name(n)) for n in names if isinstance(n, str)}


def _require_success(response: requests.Response, url: str, *, what: str) -> None:
    if 200 <= response.status_code < 300:
        return
    status = response.status_code
    response.close()
    if status in (401, 403):
        advice = (
            "The index wants credentials to read it, or refuses these: give them for the "
            "index (an index URL of the form https://user:password@host/..., or netrc), "
            "or check --index-url."
        )
    elif status >= 500:
        advice = "The index has a server-side problem; try again later."
    else:
        advice = "Check --index-url: it must be the simple API base of the index."
    raise IndexUnavailableError(
        f"reading {what} at {url} failed: the index answered {_status_text(response)}. {advice}",
        url=url,
        status=status,
    )


def _status_text(response: requests.Response) -> str:
    return f"HTTP {response.status_code} {response.reason or ''}".rstrip()


def _network_error(
    exc: requests.RequestException, url: str, timeout: float
) -> IndexUnavailableError:
    """An :class:`IndexUnavailableError` for a failed request, credentials removed."""
    safe = redact_url(url)
    if isinstance(exc, requests.Timeout):
        reason = f"no answer within {timeout:g} s"
        advice = "The index is slow or unreachable; try again, or raise the timeout."
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


# --- parsing --------------------------------------------------------------------------------


def _content_kind(response: requests.Response) -> str | None:
    """``json`` (PEP 691), ``html`` (PEP 503 / PEP 691 HTML) or None for anything else."""
    ctype = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if ctype == JSON_V1:
        return "json"
    if ctype in HTML_TYPES:
        return "html"
    return None


def _text(response: requests.Response) -> str:
    """The body as text: the charset the server names, else UTF-8 (not requests' Latin-1)."""
    charset = "utf-8"
    for param in response.headers.get("Content-Type", "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    try:
        return response.content.decode(charset, errors="replace")
    except LookupError:
        return response.content.decode("utf-8", errors="replace")


def _sha256_from(hashes: Mapping[str, Any] | None, url: str) -> str | None:
    """sha256 from PEP 691 ``hashes``, else from a PEP 503 ``#sha256=`` fragment."""
    candidates: list[object] = []
    if hashes:
        candidates.append(hashes.get("sha256"))
    fragment = urldefrag(url).fragment
    name, sep, value = fragment.partition("=")
    if sep and name.lower() == "sha256":
        candidates.append(value)
    for candidate in candidates:
        if isinstance(candidate, str) and _SHA256_HEX.fullmatch(candidate.strip().lower()):
            return candidate.strip().lower()
    return None


def _file(
    filename: str,
    href: str,
    *,
    base: str,
    page: str,
    hashes: Mapping[str, Any] | None,
    yanked: bool,
) -> IndexFile:
    """One listed file: ``href`` resolved against ``base``, fragment and credentials removed."""
    absolute = urljoin(base, href)
    clean = redact_url(urldefrag(absolute).url)
    if not filename:
        filename = unquote(urlsplit(clean).path.rpartition("/")[2])
    return IndexFile(
        filename=filename,
        url=clean,
        sha256=_sha256_from(hashes, absolute),
        yanked=yanked,
        page_url=page,
    )


def _parse_json(response: requests.Response, page: str) -> tuple[IndexFile, ...]:
    """PEP 691 project detail: ``meta.api-version`` 1.x, ``files`` with ``filename``, ``url``,
    ``hashes`` and optional ``yanked`` (bool, or a reason string meaning yanked: PEP 592)."""

    def malformed(why: str) -> IndexUnavailableError:
        return IndexUnavailableError(
            f"{page} is not a valid PEP 691 project page: {why}. The index is broken or the "
            "index URL points at something else; check --index-url.",
            url=page,
            status=response.status_code,
        )

    try:
        data = json.loads(response.content)
    except ValueError:
        raise malformed("the body is not JSON") from None
    if not isinstance(data, dict):
        raise malformed("the body is not a JSON object")
    meta = data.get("meta")
    version = meta.get("api-version") if isinstance(meta, dict) else None
    if not isinstance(version, str) or version.split(".", 1)[0] != "1":
        raise malformed(f"unsupported meta.api-version {version!r} (vcrelease reads 1.x)")
    entries = data.get("files")
    if not isinstance(entries, list):
        raise malformed("no 'files' list")
    files: list[IndexFile] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise malformed("a 'files' entry is not an object")
        filename, url = entry.get("filename"), entry.get("url")
        if not isinstance(filename, str) or not filename or not isinstance(url, str):
            raise malformed("a file has no 'filename' or 'url'")
        hashes = entry.get("hashes")
        yanked = entry.get("yanked", False)
        files.append(
            _file(
                filename,
                url,
                base=page,
                page=page,
                hashes=hashes if isinstance(hashes, dict) else None,
                yanked=yanked is True or isinstance(yanked, str),
            )
        )
    return tuple(files)


class _LinkParser(HTMLParser):
    """Anchors of a PEP 503 page: (href, text, yanked) and the first ``<base href>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[tuple[str, str, bool]] = []
        self._open: tuple[str, bool] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        elif tag == "a":
            self._close()
            href = values.get("href")
            if href:
                self._open = (href, "data-yanked" in values)
                self._text = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close()

    def close(self) -> None:
        super().close()
        self._close()

    def _close(self) -> None:
        if self._open is not None:
            href, yanked = self._open
            self.links.append((href, "".join(self._text).strip(), yanked))
            self._open = None


def _parse_html(text: str, page: str) -> tuple[IndexFile, ...]:
    """PEP 503 project page: every anchor is a file, its text the file name, ``data-yanked``
    marks it yanked (PEP 592); relative URLs resolve against ``<base href>`` or the page."""
    parser = _LinkParser()
    parser.feed(text)
    parser.close()
    base = urljoin(page, parser.base) if parser.base else page
    return tuple(
        _file(name, href, base=base, page=page, hashes=None, yanked=yanked)
        for href, name, yanked in parser.links
    )
