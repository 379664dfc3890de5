"""The adapter to twine: every use of twine's private names lives here, so that a twine
release that changes them breaks one module (``pyproject.toml`` bounds twine above).

- :func:`twine_uploader`: twine's ``Repository._upload`` (one POST; the public ``upload``
  would log "Retry 1 of 1" on a 5xx though nothing is retried: vc-upload reads the index
  again instead);
- :func:`render_problems`: ``twine check``'s rendering of the long description through
  ``twine.commands.check``'s ``_RENDERERS``, ``_parse_content_type`` and
  ``_WarningStream`` (``_check_file`` would make its own ``PackageFile`` and hash the file
  again).

``tests/test_upload_imports.py`` holds twine to each name.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import requests

from ..errors import redact_text
from .simpleapi import body_text

__all__ = [
    "UNRENDERED_TYPES",
    "Dist",
    "Uploader",
    "package_file",
    "render_problems",
    "twine_uploader",
]


class Dist(Protocol):
    """What an upload needs of a distribution file (:class:`.dists.DistFile`)."""

    @property
    def path(self) -> Path: ...

    @property
    def filename(self) -> str: ...


Uploader = Callable[[Dist], "tuple[int | None, str]"]
"""Uploads one file: ``(HTTP status or None when no answer came, a short description)``."""

_PACKAGES: dict[tuple[str, int, int], Any] = {}


def package_file(path: Path) -> Any:
    """twine's ``PackageFile`` of ``path`` (its metadata read and validated, its bytes
    hashed), made once per file as long as the file's size and mtime stay the same: the
    content check makes it, the upload sends it.

    Raises:
        twine.exceptions.InvalidDistribution, OSError, ValueError, EOFError, LookupError: as
            ``PackageFile.from_filename``.
    """
    from twine.package import PackageFile

    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _PACKAGES:
        _PACKAGES[key] = PackageFile.from_filename(str(path), comment=None)
    return _PACKAGES[key]


UNRENDERED_TYPES = frozenset({"text/plain", "text/markdown"})
"""Description content types twine check does not render ("rendering cannot fail": no
renderer in its ``check._RENDERERS``; a test holds twine to it)."""


def render_problems(description: str, content_type: str) -> str | None:
    """What ``twine check`` says of a long description of ``content_type``: None when it
    renders, else the renderer's warnings (or ``"markup errors"``). ``twine.commands.check``
    (docutils, about 0.1 s) is imported only for a type it renders (reStructuredText, the
    default), not for Markdown or text (:data:`UNRENDERED_TYPES`)."""
    import email.message

    header = email.message.EmailMessage()  # twine's _parse_content_type, without its import
    header["content-type"] = content_type
    if header.get_content_type() in UNRENDERED_TYPES:
        return None
    from twine.commands.check import _RENDERERS, _parse_content_type, _WarningStream

    stream = _WarningStream()
    kind, params = _parse_content_type(content_type)
    renderer = _RENDERERS.get(kind, _RENDERERS[None])
    if renderer is None or renderer.render(description, stream=stream, **params) is not None:
        return None
    return str(stream).strip() or "markup errors"


def twine_uploader(repository: Any, *, quiet_stdout: bool, timeout: float) -> Uploader:
    """Wrap a ``twine.repository.Repository`` as an :data:`Uploader` (one attempt per file).

    ``timeout``: seconds to wait for the connection and between bytes of the answer (twine
    sets none, so a hung index would hang the build); after it the index is read again.
    """
    session = repository.session
    session.request = functools.partial(session.request, timeout=timeout)
    # (module docstring) should a later twine drop _upload, the public method still uploads
    # once per call
    post = getattr(repository, "_upload", None) or repository.upload

    def upload_one(dist: Dist) -> tuple[int | None, str]:
        package = package_file(dist.path)  # made by the content check: hashed once
        _attach_attestation(package, dist.path)
        try:
            with _stdout_to_stderr(quiet_stdout):
                response = post(package)
        except requests.RequestException as exc:
            return None, f"{type(exc).__name__}: {body_text(str(exc), 'text/plain', 200)}"
        detail = f"HTTP {response.status_code} {redact_text(response.reason or '')}".rstrip()
        if response.status_code >= 400:
            said = body_text(response.content or b"", response.headers.get("Content-Type", ""))
            if said:  # PyPI: "File already exists", "previously used"
                detail += f": {said}"
        return response.status_code, detail

    return upload_one


@contextlib.contextmanager
def _stdout_to_stderr(enabled: bool) -> Iterator[None]:
    """twine prints progress to stdout; keep stdout clean for ``--format json``."""
    if not enabled:
        yield
        return
    with contextlib.redirect_stdout(sys.stderr):
        yield


def _attach_attestation(package: Any, path: Path) -> None:
    """Attach ``<file>.publish.attestation`` (PEP 740; checked by
    :func:`vcrelease.publish.attestations.check_attestations` before any upload), when there
    is one, to twine's ``PackageFile`` ``package``: twine sends it in the upload's
    ``attestations`` form field. The name rule is :func:`.attestations.attestation_of`'s."""
    attestation = path.with_name(path.name + ".publish.attestation")
    if attestation.is_file():
        package.add_attestations([str(attestation)])
