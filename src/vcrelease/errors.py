"""Errors with a user-facing message and a documented exit code.

Exit codes (the README's "Exit codes" table; `docs/architecture.md`, "Exit codes"):

- 0: done, including "nothing to do";
- 1: refused by the release policy or by the index (nothing uploaded);
- 2: usage or configuration error;
- 3: the repository cannot give a version (shallow, no tags and no fallback, not a repository);
- 4: index or network failure.
"""

from __future__ import annotations

import re

__all__ = [
    "EXIT_NETWORK",
    "EXIT_NO_VERSION",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_USAGE",
    "ConfigError",
    "NoVersionError",
    "RepositoryError",
    "ShallowCloneError",
    "TagBuildError",
    "VcreleaseError",
    "redact_text",
]

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_NO_VERSION = 3
EXIT_NETWORK = 4

# ``scheme://anything-up-to-the-last-@-before-the-path@`` inside free text.
_USERINFO_IN_TEXT = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s?#]*@")


def redact_text(text: str) -> str:
    """``text`` with the credentials of every ``scheme://user:password@host`` in it replaced
    by ``***`` (passwords holding ``@`` included), for messages built from exceptions."""
    return _USERINFO_IN_TEXT.sub(r"\1***@", text)


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
