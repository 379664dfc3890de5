"""Where an upload goes and with which credentials: the one place a run's credentials are
read, checked and registered for masking.

:func:`resolve_target` reads the upload URL, the simple API base and the credentials as twine
reads them (twine documentation, "twine upload": ``--repository-url``, ``-r`` and ``.pypirc``,
``-u``/``-p``, ``TWINE_*``, keyring), checks them (:func:`check_url`,
:func:`check_credentials`: HTTP basic authentication sends ``user:password`` as Latin-1
bytes in requests and twine, RFC 7617 section 2.1), registers every secret with
:mod:`vcrelease.errors` so that no output shows it, and checks that the simple API base is
the upload target's own where the index kind says what it must be
(:func:`check_index_pair`). :func:`index_session` and :func:`source_session` give the HTTP
sessions that carry the credentials to the requests of one host. Another source of
credentials (trusted publishing) returns them through :func:`resolve_target` too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from ..errors import ConfigError, redact_text, register_secret, register_url_credentials
from .indexclient import DEFAULT_TIMEOUT
from .simpleapi import derive_index_url

__all__ = [
    "Target",
    "check_credentials",
    "check_index_pair",
    "check_url",
    "explicit_upload_url",
    "index_session",
    "resolve_target",
    "section_source",
    "source_session",
]


@dataclass(frozen=True)
class Target:
    """Where to upload and where to look first.

    Attributes:
        upload_url: the upload endpoint twine posts to (credentials removed).
        index_url: the simple API base the preflight reads (PEP 503).
        username, password: for the upload and for reading the index on the same host;
            never shown (``repr`` hides the password).
        timeout: seconds to wait for any answer of the index (``--timeout``), for every
            request: listings, downloads and uploads.
    """

    upload_url: str
    index_url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT


def check_url(url: str | None, what: str) -> None:
    """``url`` (when given) must be an http(s) URL with a host and, when it names a port, a
    number (RFC 3986 section 3.2.3).

    Raises:
        ConfigError: it is not (exit 2); the message names ``what`` (the option).
    """
    if not url:
        return
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ConfigError(
            f"{what} {redact_text(url)!r} is not a valid URL ({exc}): the port must be a number "
            "from 0 to 65535, e.g. http://host:8080/."
        ) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{what} {redact_text(url)!r} is not an http(s) URL with a host, e.g. "
            "https://upload.pypi.org/legacy/."
        )


def check_credentials(username: str | None, password: str | None) -> None:
    """The username and password must be Latin-1 text: requests and twine send HTTP basic
    authentication as Latin-1 bytes (RFC 7617 section 2.1 allows UTF-8 only where the server
    asks for it with ``charset``, which no index does).

    Raises:
        ConfigError: a character outside Latin-1 (exit 2); the message never shows the value.
    """
    for what, value in (("username", username), ("password", password)):
        if value is None:
            continue
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise ConfigError(
                f"The {what} holds characters outside Latin-1 (such as '€' or letters "
                "outside Western European scripts), which HTTP basic authentication cannot "
                f"send. Use an API token or a {what} of Latin-1 characters."
            ) from None


def check_index_pair(upload_url: str, index_url: str) -> None:
    """The simple API base must be the upload target's own where the index kind fixes it:

    - devpi: an index base ``/<user>/<index>/+simple/`` belongs to the upload URL
      ``/<user>/<index>/`` of the same scheme, host and port;
    - PyPI and TestPyPI: the index base of :func:`.simpleapi.derive_index_url`;
    - pypiserver: an upload URL at the root (``/``, or Warehouse's ``/legacy/``) of a host
      whose index base is at the root too (``/simple/``) must be on the same scheme, host and
      port.

    Other pairs (PyPI's upload and index hosts, an index under a path prefix, Artifactory) are
    not known here and are taken as given.

    Raises:
        ConfigError: a known kind and another index (exit 2): the preflight and the
            verification would read an index the files do not go to.
    """
    up, down = urlsplit(upload_url), urlsplit(index_url)
    up_origin = (up.scheme.lower(), (up.hostname or "").lower(), up.port)
    down_origin = (down.scheme.lower(), (down.hostname or "").lower(), down.port)
    up_path = "/" + "/".join(s for s in up.path.split("/") if s)
    down_segments = [s for s in down.path.split("/") if s]
    expected: str | None = None
    if up_origin[1] in ("upload.pypi.org", "test.pypi.org"):
        derived = urlsplit(derive_index_url(upload_url) or "")
        if (down_origin[:2], down.path) == (
            (derived.scheme, derived.hostname or ""),
            derived.path,
        ) or not derived.hostname:
            return
        raise _mismatch(index_url, upload_url, "PyPI")
    if len(down_segments) == 3 and down_segments[2] == "+simple":
        expected = f"/{down_segments[0]}/{down_segments[1]}"
        known = "devpi"
    elif down_segments == ["simple"] and up_path in ("/", "/legacy"):
        expected = up_path
        known = "pypiserver"
    if expected is None:
        return
    if (up_origin, up_path) != (down_origin, expected):
        raise _mismatch(index_url, upload_url, known)


def _mismatch(index_url: str, upload_url: str, known: str) -> ConfigError:
    return ConfigError(
        f"The index URL {redact_text(index_url)} is not the simple API of the upload URL "
        f"{redact_text(upload_url)} (for {known} the pair is fixed), so the preflight and the "
        "verification would read another index than the one the files go to, and could call "
        "files live that the upload target does not have. Nothing was uploaded. Give the pair "
        "of one index, e.g. --repository-url http://host:3141/user/index/ --index-url "
        "http://host:3141/user/index/+simple/ (devpi) or http://host:8080/ with "
        "http://host:8080/simple/ (pypiserver), or leave --index-url out to derive it."
    )


def resolve_target(
    *,
    repository_url: str | None,
    repository_name: str | None,
    index_url: str | None,
    username: str | None,
    password: str | None,
    config_file: str | None,
    need_password: bool,
    progress: bool,
    timeout: float = DEFAULT_TIMEOUT,
    fix: str | None = None,
) -> tuple[Target, Any]:
    """Credentials and URLs as twine reads them (``.pypirc``, keyring, trusted publishing),
    plus the simple API base for the preflight.

    When the upload URL, the username and the password are all given (options or ``TWINE_*``
    variables, as in CI), twine would take them as they are (its command-line values win over
    ``.pypirc`` and keyring), so they are taken here without importing twine (about 0.15 s):
    its ``Settings`` are made only when a file is uploaded (:class:`_DeferredSettings`), and a
    run that uploads nothing never imports it. ``fix`` ends the message of twine's rejection
    in a run that only reads the index (``promote --from-repository``, ``validation
    --repository``); without it the message gives the upload's fix.

    Returns:
        ``(target, settings)``: the :class:`Target` and twine's ``Settings`` (its
        ``create_repository()`` makes the uploader), or an object with the same
        ``create_repository()`` that makes them then.

    Raises:
        ConfigError: twine rejects the options (unknown ``.pypirc`` section, no credentials in
            a non-interactive run), or the index URL is unknown and cannot be derived (exit 2).
    """
    options: dict[str, Any] = {
        "repository_name": repository_name or "pypi",
        "repository_url": repository_url,
        "username": username,
        "password": password,
        "non_interactive": True,
        "disable_progress_bar": not progress,
    }
    if config_file is not None:
        options["config_file"] = config_file
    where = (
        f"repository {repository_name!r} (a .pypirc section)"
        if repository_name and not repository_url
        else f"repository URL {redact_text(repository_url or '(none)')}"
    )
    explicit = explicit_upload_url(repository_url)
    settings: Any
    user: str | None
    secret: str | None
    if explicit is not None and username is not None and password is not None:
        url, user, secret = explicit, username, password
        settings = _DeferredSettings(options, where)
    else:
        from twine import exceptions as twine_errors

        settings = _twine_settings(options, where, fix)
        try:
            url = str(settings.repository_config["repository"])
            user = settings.username
            secret = settings.password if need_password else _optional_password(settings)
        except (twine_errors.TwineException, OSError, KeyError) as exc:
            raise _settings_error(exc, where, fix) from None
    check_url(url, "the upload URL")
    check_url(index_url, "the index URL (--index-url)")
    check_credentials(user, secret)
    simple = index_url or derive_index_url(url)
    if simple is None:
        raise ConfigError(
            f"The simple index URL for {redact_text(url)} is not known, so the files cannot be "
            "checked before the upload. Pass --index-url (e.g. http://host:8080/simple/ for "
            "pypiserver, http://host:3141/user/index/+simple/ for devpi)."
        )
    register_url_credentials(url)
    register_url_credentials(simple)
    register_secret(secret, username=user)
    check_index_pair(url, simple)
    return Target(redact_text(url), simple, user, secret, timeout), settings


_TWINE_NORMALIZED_HOSTS = frozenset(
    {"pypi.python.org", "testpypi.python.org", "upload.pypi.org", "test.pypi.org"}
)
"""Hosts whose upload URL twine turns into https (``twine.utils.normalize_repository_url``)."""


def explicit_upload_url(repository_url: str | None) -> str | None:
    """The upload URL twine would make of ``--repository-url`` (its
    ``get_repository_from_config``: http(s) with a host, normalized), or None when twine
    must decide: no URL, userinfo in it, legacy PyPI, or anything unusual."""
    from urllib.parse import urlparse, urlunparse

    if not repository_url or not repository_url.startswith(("http://", "https://")):
        return None  # twine's check is case-sensitive: "HTTPS://" is refused
    try:
        parsed = urlparse(repository_url)
        host = parsed.hostname
    except ValueError:
        return None
    if parsed.scheme not in ("http", "https") or not host or "@" in parsed.netloc:
        return None
    if parsed.netloc in ("pypi.python.org", "testpypi.python.org"):
        return None  # twine refuses the legacy hosts: let it say so
    if parsed.netloc in _TWINE_NORMALIZED_HOSTS:
        parsed = parsed._replace(scheme="https")
    return urlunparse(parsed)


class _DeferredSettings:
    """twine's ``Settings`` for ``options``, made on the first :meth:`create_repository`
    (twine's errors then are :class:`~vcrelease.errors.ConfigError`, before any upload)."""

    def __init__(self, options: dict[str, Any], where: str) -> None:
        self._options = options
        self._where = where

    def create_repository(self) -> Any:
        return _twine_settings(self._options, self._where).create_repository()


def _twine_settings(options: dict[str, Any], where: str, fix: str | None = None) -> Any:
    """twine's ``Settings(**options)``, its repository URL checked.

    Raises:
        ConfigError: twine rejects them (exit 2).
    """
    from twine import exceptions as twine_errors
    from twine.settings import Settings

    try:
        settings = Settings(**options)
        settings.check_repository_url()
    except (twine_errors.TwineException, OSError, KeyError) as exc:
        raise _settings_error(exc, where, fix) from None
    return settings


def _settings_error(exc: Exception, where: str, fix: str | None = None) -> Exception:
    """The :class:`ConfigError` for twine's rejection of the options; ``fix``: the fix for a
    run that only reads the index (else the upload's)."""
    if fix is not None:
        return ConfigError(f"Cannot use {where}: {redact_text(str(exc))}. {fix}")
    return ConfigError(
        f"Cannot set up the upload to {where}: {redact_text(str(exc))}. Pass "
        "--repository-url (or -r with a .pypirc section) and credentials (-u/-p, "
        "TWINE_USERNAME/TWINE_PASSWORD, .pypirc or keyring)."
    )


def _optional_password(settings: Any) -> str | None:
    from twine import exceptions as twine_errors

    try:
        value = settings.password
    except twine_errors.TwineException:
        return None
    return str(value) if value else None


def index_session(target: Target) -> requests.Session:
    """A session for reading the index; it carries the upload credentials only when the
    index is on the upload URL's host (scheme, host and port)."""
    from urllib.parse import urlsplit

    session = requests.Session()
    up, down = urlsplit(target.upload_url), urlsplit(target.index_url)
    same = (up.scheme, up.hostname, up.port) == (down.scheme, down.hostname, down.port)
    if same and (target.username or target.password):
        session.auth = (target.username or "", target.password or "")
    return session


def section_source(
    name: str,
    *,
    config_file: str | None,
    username: str | None,
    password: str | None,
    timeout: float,
    other_way: str,
) -> Target:
    """The index (:attr:`Target.index_url`, derived from the upload URL) and the credentials
    of the ``.pypirc`` section ``name``, for a run that only reads that index (``promote
    --from-repository``, ``validation --repository``): :func:`resolve_target` without a
    password required. ``username``/``password`` (options or ``TWINE_*``) win over the
    section's, as in twine.

    Raises:
        ConfigError: twine rejects the section (unknown, unreadable); the message's fix is
            to mend the section or ``other_way`` (the command's option naming the index by
            URL); an upload URL whose index cannot be derived (exit 2).
    """
    target, _ = resolve_target(
        repository_url=None,
        repository_name=name,
        index_url=None,
        username=username,
        password=password,
        config_file=config_file,
        need_password=False,
        progress=False,
        timeout=timeout,
        fix=f"Fix that section of {config_file or '~/.pypirc'}, or {other_way}.",
    )
    return target


def source_session(index_url: str, target: Target | None = None) -> requests.Session:
    """A session for reading a source index (``vcrelease promote --from``): the credentials
    of ``user:password@`` in its URL, else those of ``target`` (a ``.pypirc`` section's,
    ``--from-repository``), go with every request to its host: the listings and the
    downloads.

    Raises:
        ConfigError: the credentials are not Latin-1 (:func:`check_credentials`, exit 2).
    """
    session = requests.Session()
    register_url_credentials(index_url)
    parts = urlsplit(index_url)
    user: str | None
    secret: str | None
    if parts.username is not None or parts.password is not None:
        user, secret = unquote(parts.username or ""), unquote(parts.password or "")
    elif target is not None:
        user, secret = target.username, target.password
    else:
        return session
    check_credentials(user, secret)
    if user or secret:
        register_secret(secret, username=user)
        session.auth = (user or "", secret or "")
    return session
