"""Errors with a user-facing message and a documented exit code.

Exit codes: :data:`EXIT_CODES` maps each code a command can exit with to its meaning (the
documentation's exit-code reference is generated from it; a test checks that every code the
package defines is in it): 0 done, 1 refused, 2 usage or configuration, 3 no version, 4 index
or network, 5 credentials rejected, 70 internal error, 130 interrupted.

Secrets: :func:`register_secret` and :func:`register_url_credentials` remember every value a
command knows to be secret (passwords, tokens, URL userinfo, keyring results) with the forms
they take on the wire (percent-encoded in any case and with any safe set, JSON- and
HTML-escaped, base64 padded or not, alone or inside a basic ``Authorization`` header, hex, split
by a line break); :func:`redact_text` masks them, any ``scheme://userinfo@`` and any
``Authorization`` header value in free text: the one redaction function of the package. The
command line passes all its output through it (:mod:`vcrelease.cli.common`). A URL that is
recorded rather than printed loses its credentials through :func:`strip_credentials`.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

__all__ = [
    "EXIT_CODES",
    "EXIT_CREDENTIALS",
    "EXIT_NETWORK",
    "EXIT_NO_VERSION",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_USAGE",
    "MASK",
    "MIN_SECRET_LENGTH",
    "ConfigError",
    "CredentialsRejectedError",
    "InterruptedRun",
    "NoVersionError",
    "RepositoryError",
    "ShallowCloneError",
    "TagBuildError",
    "VcreleaseError",
    "redact_text",
    "register_secret",
    "register_url_credentials",
    "strip_credentials",
]

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_NO_VERSION = 3
EXIT_NETWORK = 4
EXIT_CREDENTIALS = 5

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "done, including nothing to do (every file already on the index with our sha256)",
    EXIT_REFUSED: (
        "refused by the release policy or by the index (upload commands; nothing uploaded); a "
        "set whose files are not the versions at HEAD; a promotion whose exact pin (a sibling) "
        "is neither on the target nor promoted with it"
    ),
    EXIT_USAGE: (
        "usage or configuration error (unknown key, bad pattern or scheme, bad pretend "
        "version); files that are not one release or one co-released set (pins that disagree, "
        "a dependency cycle); a damaged file"
    ),
    EXIT_NO_VERSION: (
        "the repository cannot give a version: not a repository and no fallback, no commits, "
        "shallow clone cut before the tag, corrupt version tag or missing object; a CI tag "
        "build whose HEAD is not the tagged commit or whose tree is dirty"
    ),
    EXIT_NETWORK: (
        "index or network failure (upload commands): retrying may help; also an index page "
        "that is not the project's simple-API page"
    ),
    EXIT_CREDENTIALS: (
        "the index rejected the credentials (HTTP 401/403; upload commands): retrying will not "
        "help, fix the username, password or token"
    ),
    70: "internal error (a bug; rerun with `VCRELEASE_DEBUG=1` and report it)",
    130: (
        "interrupted (Ctrl-C, SIGINT): the files already live are listed, and a re-run "
        "finishes the set"
    ),
}
"""Every exit code of ``vcrelease`` and ``vc-upload`` -> its meaning (Markdown text). 70 is
:data:`vcrelease.cli.common.EXIT_INTERNAL`, 130 :class:`InterruptedRun`'s. Every non-zero exit
prints what happened and what to do."""

MASK = "***"
MIN_SECRET_LENGTH = 4
"""Shorter registered values are not masked: a secret of one to three characters would mask
ordinary text everywhere (every ``a``, every ``pw``), and protects nothing (it is guessed in
at most 95**3 tries). The limit is stated in ``docs/uploading.md``, "What is never printed"."""

_TEXT_PATTERNS: tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]] | None = None
"""The free-text patterns of :func:`redact_text`, compiled on first need (:func:`_patterns`)."""


def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(userinfo in a URL, an ``Authorization`` header, a bare basic/bearer credential):

    - ``scheme://anything-up-to-the-last-@-before-the-path@`` inside free text;
    - ``Authorization: Basic abc``, ``"Authorization": "Bearer abc"``, HTML-escaped quotes
      too;
    - ``Basic``/``Bearer`` followed by something token-shaped with a digit or symbol in it.

    Compiled here, not at import: most commands print no text that could hold one (the
    version path prints one line), and compiling them costs about 2 ms.
    """
    global _TEXT_PATTERNS
    if _TEXT_PATTERNS is None:
        _TEXT_PATTERNS = (
            re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s?#]*@"),
            re.compile(
                r"(?i)\b((?:proxy-)?authorization(?:[\"']|&quot;|&#0?39;|&#x27;)?\s*[:=]\s*"
                r"(?:[\"']|&quot;|&#0?39;|&#x27;)?)(?:(basic|bearer|token|digest)\s+)?"
                r"[^\s\"'<>,;}&]+"
            ),
            re.compile(
                r"\b(Basic|Bearer|basic|bearer)\s+(?=[A-Za-z0-9+/=._~-]*[0-9+/=])"
                r"[A-Za-z0-9+/=._~-]{12,}"
            ),
        )
    return _TEXT_PATTERNS


_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None


def register_secret(value: str | None, *, username: str | None = None) -> None:
    """Remember ``value`` as secret for :func:`redact_text`, in every form a server may echo
    it back in (:func:`_secret_pattern`), and (with ``username``) the basic ``Authorization``
    token of ``username:value``. Values shorter than :data:`MIN_SECRET_LENGTH` are ignored."""
    global _pattern
    if not value or len(value) < MIN_SECRET_LENGTH:
        return
    import base64  # here: only commands that hold secrets pay for these imports

    forms = [_secret_pattern(value)]
    encoded = [value.encode("utf-8")]
    for user in {username or "", "__token__"}:
        for charset in ("utf-8", "latin-1"):
            encoded.append(f"{user}:{value}".encode(charset, errors="replace"))
    for raw in encoded:
        for coded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
            text = coded.decode("ascii")
            forms.append(_split_anywhere(text.rstrip("=")) + "(?:=(?:\\r?\\n)?)*")
    forms.append("(?i:" + _split_anywhere(value.encode("utf-8").hex()) + ")")
    _secrets.update(forms)
    _pattern = re.compile("|".join(sorted(_secrets, key=len, reverse=True)))


def _split_anywhere(text: str) -> str:
    """A pattern for ``text`` that also matches it with a line break between any two
    characters (a server that wraps its lines, a log that splits them)."""
    return "(?:\\r?\\n)?".join(re.escape(c) for c in text)


def _secret_pattern(value: str) -> str:
    """A pattern matching ``value`` as a server may echo it: each character as itself or
    percent-encoded (upper- or lower-case hex, any mixture: ``quote`` with any ``safe``
    set), ``+`` for a space (``quote_plus``), JSON-escaped (``\\/``, ``\\"``, ``\\uXXXX``),
    HTML-escaped (named, decimal or hex character references), with a line break allowed
    between any two characters."""
    import html
    import json

    parts = []
    for char in value:
        ways = {re.escape(char)}
        hex_bytes = char.encode("utf-8").hex()
        ways.add("".join(f"%(?i:{hex_bytes[i : i + 2]})" for i in range(0, len(hex_bytes), 2)))
        if char == " ":
            ways.add(re.escape("+"))
        ways.add(re.escape(json.dumps(char)[1:-1]))
        ways.add(re.escape(json.dumps(char, ensure_ascii=False)[1:-1]))
        ways.add(f"\\\\u(?i:{ord(char):04x})" if ord(char) < 0x10000 else re.escape(char))
        if char == "/":
            ways.add(re.escape("\\/"))
        ways.add(re.escape(html.escape(char)))
        ways.add(f"&#0*{ord(char)};")
        ways.add(f"&#[xX]0*(?i:{ord(char):x});")
        parts.append("(?:" + "|".join(sorted(ways, key=len, reverse=True)) + ")")
    return "(?:\\r?\\n)?".join(parts)


def register_url_credentials(url: str | None) -> None:
    """:func:`register_secret` for the password (and the userinfo) of ``url``, if it has any."""
    if not url or "@" not in url:
        return
    try:
        netloc = urlsplit(url.strip()).netloc
    except ValueError:
        netloc = url.partition("://")[2].split("/", 1)[0]
    userinfo = netloc.rpartition("@")[0]
    if not userinfo:
        return
    user, _, password = userinfo.partition(":")
    register_secret(userinfo)
    register_secret(unquote(userinfo))
    register_secret(unquote(password) if password else unquote(user), username=unquote(user))
    register_secret(password)


def strip_credentials(url: str) -> str:
    """``url`` without user, password, query and fragment, for URLs with a scheme and host: a
    URL to record (an image label, build provenance), where :func:`redact_text`'s ``***``
    would be noise.

    ``https://gitlab-ci-token:secret@gitlab.com/g/p.git`` -> ``https://gitlab.com/g/p.git``.
    scp-like addresses (``git@github.com:owner/repo.git``) cannot carry a password and are
    returned unchanged, as is anything else without ``scheme://``. The authority is split by
    hand: ``urllib.parse`` rejects GitLab's ``gitlab-ci-token:[MASKED]@...`` as a bad IPv6 host.
    """
    match = re.fullmatch(_URL_PARTS, url, re.DOTALL)  # compiled on first use (re's cache)
    if match is None:
        return url
    scheme, authority, path = match.groups()
    return f"{scheme}://{authority.rpartition('@')[2]}{path}"


_URL_PARTS = r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)(?:[?#].*)?"


def redact_text(text: str) -> str:
    """``text`` with every registered secret (:func:`register_secret`), the userinfo of every
    ``scheme://user:password@host`` (passwords holding ``@`` included) and every
    ``Authorization`` header value replaced by ``***``: for anything that is printed."""
    if _pattern is not None:
        text = _pattern.sub(MASK, text)
    if text.isascii():
        # None of the patterns can match ASCII text without one of these (the check is
        # skipped for other text: case-insensitive matching knows more letters than lower())
        lowered = text.lower()
        if "@" not in text and not any(w in lowered for w in ("authorization", "basic", "bearer")):
            return text
    userinfo, header, scheme = _patterns()
    text = userinfo.sub(r"\1***@", text)
    text = header.sub(lambda m: m.group(1) + (f"{m.group(2)} " if m.group(2) else "") + MASK, text)
    return scheme.sub(r"\1 ***", text)


class VcreleaseError(Exception):
    """Base error: ``str(err)`` is one paragraph naming the input, the problem and the fix.

    Attributes:
        exit_code: the process exit code the CLI uses for this error (int, 1-4).
    """

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(VcreleaseError):
    """``[tool.vcrelease]`` or a command-line option is invalid (exit 2)."""

    exit_code = EXIT_USAGE


class NoVersionError(VcreleaseError):
    """No version can be derived: no repository, shallow clone, nothing to fall back to (exit 3)."""

    exit_code = EXIT_NO_VERSION


class ShallowCloneError(NoVersionError):
    """History is cut (shallow clone) before the version can be known (exit 3)."""


class RepositoryError(NoVersionError):
    """The repository is missing, empty or corrupt (exit 3)."""


class TagBuildError(NoVersionError):
    """A CI tag build whose tree is dirty or whose HEAD is not the tagged commit (exit 3)."""


class CredentialsRejectedError(VcreleaseError):
    """The index rejected the credentials (HTTP 401 or 403): retrying will not help (exit 5).

    Attributes:
        url: the URL that answered, credentials removed.
        status: the HTTP status.
    """

    exit_code = EXIT_CREDENTIALS

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class InterruptedRun(VcreleaseError):
    """The run was interrupted (SIGINT) after some files may have gone live (exit 130)."""

    exit_code = 130
