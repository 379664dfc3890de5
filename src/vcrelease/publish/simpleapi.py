"""The simple repository API, read only: what an index page says (pure; no HTTP here).

The uploader's preflight (``docs/architecture.md``, "Upload") asks one question per file: is
this file name already on the index, and with which sha256? :mod:`vcrelease.publish.indexclient`
fetches the pages; this module says what they mean. It is imported by the upload path only,
never by the build plugin.

Rules, each with the standard it follows:

- Project pages live at ``<index>/<normalized name>/`` (PEP 503); names are normalized with
  :func:`normalize_project` (PEP 503 "Normalized Names").
- Listing requests send :data:`ACCEPT`, PEP 691 JSON first and PEP 503 HTML second; the
  answer's ``Content-Type`` decides the parser (:func:`content_kind`, PEP 691 "Content
  Types"). Anything else is not a simple repository page and is an error, never "no files".
- sha256 comes from the JSON ``hashes`` (PEP 691) or the ``#sha256=<hex>`` URL fragment
  (PEP 503); other hash names are ignored (a file without a sha256 is downloaded and hashed by
  :func:`vcrelease.publish.indexclient.file_sha256`).
- Relative URLs are resolved against the URL of the page that listed them (PEP 503, PEP 691),
  honouring an HTML ``<base href>``.
- Yanked files (``data-yanked`` in HTML, ``yanked`` in JSON: PEP 592, PEP 691) are listed with
  ``yanked=True``: a yanked file name is still taken.
- No message or stored URL holds credentials: :func:`redact_text` removes them.
- Upload URLs map to their simple API base by the servers' known layouts
  (:func:`derive_index_url`: PyPI and TestPyPI, pypiserver, devpi).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from packaging.utils import canonicalize_name

from ..errors import EXIT_NETWORK, VcreleaseError, redact_text

__all__ = [
    "ACCEPT",
    "ACCEPT_HTML",
    "DEFAULT_PORTS",
    "HTML_TYPES",
    "JSON_V1",
    "IndexFile",
    "IndexUnavailableError",
    "ProjectListing",
    "body_text",
    "content_kind",
    "derive_index_url",
    "normalize_project",
    "page_text",
    "parse_project_html",
    "parse_project_json",
    "root_projects",
]

ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
"""The ``Accept`` header of listing requests: PEP 691 JSON preferred, PEP 503 HTML accepted."""

ACCEPT_HTML = "text/html"
"""An ``Accept`` header for PEP 503 HTML only (servers that offer both then send HTML)."""

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_TYPES = frozenset({"text/html", "application/vnd.pypi.simple.v1+html"})
DEFAULT_PORTS = {"http": 80, "https": 443}
"""The schemes an index URL may have, and their default ports."""
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class IndexUnavailableError(VcreleaseError):
    """The index could not be read: connection error, timeout, unexpected HTTP status or a page
    that is not a simple repository page (exit 4, ``EXIT_NETWORK``).

    Attributes:
        url: the URL that failed, credentials removed (:func:`redact_text`).
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
            ``file_sha256``); not part of equality.
        provenance: URL of the file's PEP 740 provenance (its attestations: PEP 691
            ``provenance``, PEP 503 ``data-provenance``), or None; not part of equality.
    """

    filename: str
    url: str
    sha256: str | None
    yanked: bool
    page_url: str = field(default="", compare=False)
    provenance: str | None = field(default=None, compare=False)


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
    result may be printed. A wrong guess cannot pass silently:
    :func:`vcrelease.publish.indexclient.fetch_listing` checks that the base answers like a
    simple index before it reports a project as absent.
    """
    try:
        parts = urlsplit(repository_url.strip())
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None
    if parts.scheme.lower() not in DEFAULT_PORTS or not hostname:
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


# --- parsing --------------------------------------------------------------------------------------


class _TextParser(HTMLParser):
    """The visible text of an HTML page: no ``<style>``, ``<script>`` or ``<head>`` (but the
    ``<title>``)."""

    _HIDDEN = frozenset({"style", "script", "head", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._hidden: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in self._HIDDEN:
            self._hidden.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self._hidden:
            while self._hidden and self._hidden.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._hidden:
            self.parts.append(data)


def body_text(body: bytes | str, content_type: str, limit: int = 300) -> str:
    """A server's answer as one line of text for a message: HTML reduced to its visible text
    (never a cut inside CSS or a script), whitespace collapsed, credentials masked
    (:func:`vcrelease.errors.redact_text`), at most ``limit`` characters, cut at a word."""
    text = page_text(body, content_type) if isinstance(body, bytes) else body
    looks_html = "html" in content_type.lower() or text.lstrip()[:1] == "<"
    if looks_html:
        parser = _TextParser()
        try:
            parser.feed(text)
            parser.close()
        except Exception:  # a broken page still gets a message
            parser.parts = [re.sub(r"<[^>]*>", " ", text)]
        seen = " ".join(parser.parts).split()
        title = " ".join(" ".join(parser.title).split())
        if title and " ".join(seen[: len(title.split())]) != title:
            seen = [*title.split(), "-", *seen]
        text = " ".join(seen)
    text = redact_text(" ".join(text.split()))
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut + " ..."


def content_kind(content_type: str) -> str | None:
    """``json`` (PEP 691), ``html`` (PEP 503 / PEP 691 HTML) or None for anything else, from
    an answer's ``Content-Type`` header (PEP 691 "Content Types")."""
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype == JSON_V1:
        return "json"
    if ctype in HTML_TYPES:
        return "html"
    return None


def page_text(body: bytes, content_type: str) -> str:
    """The body as text: the charset ``content_type`` names, else UTF-8 (not requests'
    Latin-1)."""
    charset = "utf-8"
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def root_projects(body: bytes, kind: str) -> set[str]:
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
        names = [text for _, text, _, _ in parser.links]
    return {str(canonicalize_name(n)) for n in names if isinstance(n, str)}


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
    provenance: str | None = None,
) -> IndexFile:
    """One listed file: ``href`` resolved against ``base``, fragment and credentials removed."""
    absolute = urljoin(base, href)
    clean = redact_text(urldefrag(absolute).url)
    if not filename:
        filename = unquote(urlsplit(clean).path.rpartition("/")[2])
    return IndexFile(
        filename=filename,
        url=clean,
        sha256=_sha256_from(hashes, absolute),
        yanked=yanked,
        page_url=page,
        provenance=redact_text(urljoin(base, provenance)) if provenance else None,
    )


def parse_project_json(
    body: bytes, page: str, *, status: int | None = None, project: str | None = None
) -> tuple[IndexFile, ...]:
    """PEP 691 project detail: ``meta.api-version`` 1.x, ``files`` with ``filename``, ``url``,
    ``hashes`` and optional ``yanked`` (bool, or a reason string meaning yanked: PEP 592).
    ``page`` is the page's URL (relative URLs resolve against it), ``status`` its HTTP status
    (kept on the error).

    Raises:
        IndexUnavailableError: the body is not a PEP 691 1.x project page (exit 4).
    """

    def malformed(why: str) -> IndexUnavailableError:
        return IndexUnavailableError(
            f"{page} is not a valid PEP 691 project page: {why}. The index is broken or the "
            "index URL points at something else; check --index-url.",
            url=page,
            status=status,
        )

    try:
        data = json.loads(body)
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
        provenance = entry.get("provenance")
        files.append(
            _file(
                filename,
                url,
                base=page,
                page=page,
                hashes=hashes if isinstance(hashes, dict) else None,
                yanked=yanked is True or isinstance(yanked, str),
                provenance=provenance if isinstance(provenance, str) else None,
            )
        )
    if project is not None:
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise malformed("no project 'name'")
        if canonicalize_name(name) != project:
            raise _not_a_project_page(page, project, f"it is the page of {name!r}", "", status)
    return tuple(files)


class _LinkParser(HTMLParser):
    """Anchors of a PEP 503 page: (href, text, yanked, data-provenance) and the first
    ``<base href>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[tuple[str, str, bool, str | None]] = []
        self.repository_version: str | None = None
        self.headings: list[str] = []
        self._open: tuple[str, bool, str | None] | None = None
        self._text: list[str] = []
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("title", "h1"):
            self._heading = []
        elif tag == "meta" and (values.get("name") or "").lower() == "pypi:repository-version":
            self.repository_version = values.get("content") or ""
        elif tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        elif tag == "a":
            self._close()
            href = values.get("href")
            if href:
                self._open = (href, "data-yanked" in values, values.get("data-provenance"))
                self._text = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)
        if self._heading is not None:
            self._heading.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close()
        elif tag in ("title", "h1") and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None

    def close(self) -> None:
        super().close()
        self._close()

    def _close(self) -> None:
        if self._open is not None:
            href, yanked, provenance = self._open
            self.links.append((href, "".join(self._text).strip(), yanked, provenance))
            self._open = None


_LINKS_FOR = re.compile(r"(?i)(?:^|[\s:])links\s+for\s+(\S+)\s*$")


def _names_project(parser: _LinkParser, project: str) -> bool:
    """The page says it is ``project``'s simple page: a PEP 629 ``pypi:repository-version``
    meta tag of major version 1, or a title or first heading ``Links for <project>`` (the
    classic PEP 503 page of PyPI, pypiserver and devpi, ``<index>: links for <project>``)."""
    if parser.repository_version is not None:
        return parser.repository_version.strip().split(".", 1)[0] == "1"
    for heading in parser.headings:
        found = _LINKS_FOR.search(heading)
        if found and canonicalize_name(found.group(1)) == project:
            return True
    return False


def _not_a_project_page(
    page: str, project: str, why: str, said: str, status: int | None
) -> IndexUnavailableError:
    return IndexUnavailableError(
        f"{page} answered, but not with the simple-API page of {project} ({why}"
        f"{'; it says: ' + said if said else ''}). vcrelease cannot tell from it whether "
        f"{project} has files there, so it uploads nothing. Check the index URL (it must be "
        "the simple API base, e.g. https://pypi.org/simple/), a proxy or login page in "
        "between, and the credentials for reading the index.",
        url=page,
        status=status,
    )


def parse_project_html(
    text: str, page: str, *, project: str | None = None, status: int | None = None
) -> tuple[IndexFile, ...]:
    """PEP 503 project page: every anchor is a file, its text the file name, ``data-yanked``
    marks it yanked (PEP 592); relative URLs resolve against ``<base href>`` or the page.

    With ``project`` (normalized), the page must say it is that project's page
    (:func:`_names_project`): a login page, an error page or another project's page is not
    read as "no files".

    Raises:
        IndexUnavailableError: ``project`` is given and the page does not name it (exit 4).
    """
    parser = _LinkParser()
    parser.feed(text)
    parser.close()
    if project is not None and not _names_project(parser, project):
        why = (
            f"unsupported pypi:repository-version {parser.repository_version!r}"
            if parser.repository_version is not None
            else f"no pypi:repository-version meta tag and no 'Links for {project}' title"
        )
        raise _not_a_project_page(page, project, why, body_text(text, "text/html", 200), status)
    base = urljoin(page, parser.base) if parser.base else page
    return tuple(
        _file(name, href, base=base, page=page, hashes=None, yanked=yanked, provenance=prov)
        for href, name, yanked, prov in parser.links
    )
