"""Trusted publishing: the CI's OIDC identity exchanged for a short-lived upload token.

The exchange PyPI documents ("Trusted Publishers", "Internals and technical details":
https://docs.pypi.org/trusted-publishers/internals/) and twine (``twine/auth.py``) and
``uv publish`` implement, in three steps against the upload URL's host:

1. ``GET https://HOST/_/oidc/audience`` -> ``{"audience": "pypi"}``: the audience the CI's
   token must carry (403 ``{"message": ...}`` when the index has it turned off, 404 where the
   index has no trusted publishing);
2. the CI's identity token for that audience, through the ``id`` package (as twine): GitHub
   Actions asks ``ACTIONS_ID_TOKEN_REQUEST_URL`` with ``ACTIONS_ID_TOKEN_REQUEST_TOKEN``
   (present only with ``permissions: id-token: write``); GitLab's is the ID token the job
   declares (``id_tokens``) in ``<AUDIENCE>_ID_TOKEN`` (as ``id`` reads it) or ``PYPI_ID_TOKEN``;
3. ``POST https://HOST/_/oidc/mint-token`` ``{"token": IDENTITY}`` -> ``{"success": true,
   "token": UPLOAD_TOKEN}``, or 422 ``{"message": "Token request failed", "errors": [{"code":
   "invalid-publisher", "description": ...}]}`` (warehouse ``oidc/views.py``).

The upload token is used with the username ``__token__``. Both tokens, and the token that asks
GitHub for the identity, are secrets: each is registered with
:func:`vcrelease.errors.register_secret` the moment it is known, so every output masks it.

When (``--trusted-publishing``, the names ``uv publish`` uses): ``automatic`` for PyPI and
TestPyPI (:data:`PYPI_UPLOAD_HOSTS`) in GitHub Actions or GitLab CI; ``always`` for any https
index (a private index following PyPI's scheme); ``never`` not at all. It is tried only when
no password is given.

Failures name the step and the fix, exit 5 (:class:`~vcrelease.errors.CredentialsRejectedError`);
an index that cannot be reached is exit 4; ``always`` with an http URL is exit 2.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ConfigError, CredentialsRejectedError, redact_text, register_secret
from .simpleapi import IndexUnavailableError, body_text

if TYPE_CHECKING:
    import requests

__all__ = [
    "MODES",
    "PYPI_UPLOAD_HOSTS",
    "TOKEN_USERNAME",
    "Mode",
    "UploadToken",
    "mint_upload_token",
]

Mode = Literal["automatic", "always", "never"]
MODES: tuple[Mode, ...] = ("automatic", "always", "never")
TOKEN_USERNAME = "__token__"
PYPI_UPLOAD_HOSTS = frozenset({"upload.pypi.org", "test.pypi.org"})
"""The upload hosts of PyPI and TestPyPI: ``automatic`` tries trusted publishing only there."""
DEFAULT_UPLOAD_URL = "https://upload.pypi.org/legacy/"
"""twine's upload URL when none is named (``twine.utils.DEFAULT_REPOSITORY``)."""

_ENV_NAME = re.compile(r"[^A-Z0-9_]|^[^A-Z_]")
_CLAIMS = (
    "sub",
    "repository",
    "repository_owner",
    "workflow_ref",
    "job_workflow_ref",
    "ref",
    "environment",
    "project_path",
    "ci_config_ref_uri",
)
"""The identity token's claims an index matches against its trusted publishers (GitHub's and
GitLab's names): shown when the index finds none, as gh-action-pypi-publish shows them."""


@dataclass(frozen=True)
class UploadToken:
    """A minted upload token.

    Attributes:
        index: ``https://HOST[:PORT]`` that minted it.
        audience: the audience the identity token carried.
        provider: ``github``, ``gitlab`` or ``other`` (another CI the ``id`` package knows).
        username: ``__token__``.
        token: the upload token (secret: registered for masking, hidden from ``repr``).
    """

    index: str
    audience: str
    provider: str
    username: str = TOKEN_USERNAME
    token: str = field(default="", repr=False)


def mint_upload_token(
    upload_url: str | None,
    mode: Mode,
    env: Mapping[str, str],
    *,
    timeout: float,
    session: requests.Session | None = None,
) -> UploadToken | None:
    """The upload token for ``upload_url`` by trusted publishing, or None when ``mode`` says
    not to try (``never``; ``automatic`` off PyPI or outside GitHub Actions and GitLab CI).

    Args:
        upload_url: the upload URL (None: PyPI's, as twine).
        mode: ``automatic``, ``always`` or ``never``.
        env: the environment (the CI's variables; the ``id`` package reads the process's).
        timeout: seconds to wait for each answer.
        session: the HTTP session for the index (a new one when None).

    Raises:
        ConfigError: ``always`` with an upload URL that is not https (exit 2).
        CredentialsRejectedError: a step failed: no identity (missing ``id-token: write``,
            missing GitLab ID token), the index has no trusted publishing, or no trusted
            publisher matches this repository and workflow (exit 5).
        IndexUnavailableError: the index could not be reached (exit 4).
    """
    if mode == "never":
        return None
    from urllib.parse import urlsplit

    url = upload_url or DEFAULT_UPLOAD_URL
    parts = urlsplit(url)
    provider = _provider(env)
    if mode == "automatic" and (
        parts.scheme != "https" or parts.hostname not in PYPI_UPLOAD_HOSTS or provider is None
    ):
        return None
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(
            f"--trusted-publishing always needs an https upload URL, and "
            f"{redact_text(url)} is not one: the identity token must not travel in clear. Use "
            "the index's https URL, or pass a password or token instead."
        )
    index = f"https://{parts.netloc.rpartition('@')[2]}"
    import requests

    own = session is None
    http = requests.Session() if session is None else session
    try:
        audience = _audience(http, index, timeout)
        identity = _identity(audience, provider, env)
        token = _mint(http, index, identity, provider, timeout)
    finally:
        if own:
            http.close()
    return UploadToken(index, audience, provider or "other", TOKEN_USERNAME, token)


def _provider(env: Mapping[str, str]) -> str | None:
    if env.get("GITHUB_ACTIONS", "").lower() == "true":
        return "github"
    if env.get("GITLAB_CI", "").lower() == "true":
        return "gitlab"
    return None


def _fail(step: str, problem: str, fix: str, url: str = "", status: int | None = None) -> Exception:
    return CredentialsRejectedError(
        f"Trusted publishing failed at {step}: {problem} {fix}", url=url, status=status
    )


def _request(
    http: requests.Session, method: str, url: str, timeout: float, **kwargs: Any
) -> requests.Response:
    import requests

    try:
        return http.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        raise IndexUnavailableError(
            f"Trusted publishing could not reach {url}: {_line(str(exc))}. Check the "
            "upload URL and the network, then run again.",
            url=url,
        ) from None


def _line(text: str) -> str:
    """A server's or library's words as one masked line for a message."""
    return body_text(text, "text/plain", limit=300)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _audience(http: requests.Session, index: str, timeout: float) -> str:
    """Step 1: the audience the index asks for."""
    url = f"{index}/_/oidc/audience"
    response = _request(http, "GET", url, timeout)
    answer = _json(response)
    audience = answer.get("audience") if isinstance(answer, dict) else None
    if response.status_code == 200 and isinstance(audience, str) and audience:
        return audience
    said = answer.get("message") if isinstance(answer, dict) else None
    quoted = f" ({_line(said)})" if isinstance(said, str) and said else ""
    raise _fail(
        "the index's audience",
        f"{url} answered HTTP {response.status_code}{quoted}, so {index} does not offer "
        "trusted publishing (PyPI's scheme: /_/oidc/audience and /_/oidc/mint-token).",
        "Give the upload a password or API token (TWINE_PASSWORD), or --trusted-publishing never.",
        url=url,
        status=response.status_code,
    )


def _identity(audience: str, provider: str | None, env: Mapping[str, str]) -> str:
    """Step 2: the CI's identity token for ``audience`` (``id.detect_credential``)."""
    from id import AmbientCredentialError, GitHubOidcPermissionCredentialError, detect_credential

    if provider == "github":
        request_token = env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        register_secret(request_token)
        if not request_token or not env.get("ACTIONS_ID_TOKEN_REQUEST_URL"):
            raise _fail(
                "the CI's identity",
                "GitHub Actions gives this job no identity token "
                "(ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN are unset).",
                "Add `permissions: id-token: write` to the job that uploads (pull requests "
                "from forks never get it).",
            )
    variable = f"{_ENV_NAME.sub('_', audience.upper())}_ID_TOKEN"
    if provider == "gitlab":
        return _gitlab_identity(audience, variable, env)
    try:
        identity = detect_credential(audience)
    except GitHubOidcPermissionCredentialError as exc:
        raise _fail(
            "the CI's identity",
            f"{_line(str(exc))}.",
            "Add `permissions: id-token: write` to the job that uploads.",
        ) from None
    except AmbientCredentialError as exc:
        raise _fail(
            "the CI's identity",
            f"the CI did not give an identity token for audience {audience!r} ({_line(str(exc))}).",
            "Check the job's OIDC settings (GitHub: `permissions: id-token: write`; GitLab: "
            f"`id_tokens: {variable}: aud: {audience}`).",
        ) from None
    if identity is None:
        raise _fail(
            "the CI's identity",
            "no CI identity was found (GitHub Actions, GitLab CI, Buildkite, CircleCI and "
            "Google Cloud are the ones known).",
            "Run the upload in such a CI job, or give it a password or API token.",
        )
    register_secret(identity)
    return identity


def _gitlab_identity(audience: str, variable: str, env: Mapping[str, str]) -> str:
    """GitLab's ID token: the job declares it (``id_tokens``) in ``<AUDIENCE>_ID_TOKEN``, as the
    ``id`` package reads it, or in ``PYPI_ID_TOKEN`` whatever the audience; its ``aud`` claim
    must be the index's audience."""
    names = dict.fromkeys((variable, "PYPI_ID_TOKEN"))
    for name in names:
        register_secret(env.get(name))
    found = next(((n, env[n]) for n in names if env.get(n)), None)
    if found is None:
        raise _fail(
            "the CI's identity",
            f"GitLab CI gives this job no ID token in {' or '.join(names)}.",
            f"Declare it in the job: `id_tokens: {variable}: aud: {audience}`.",
        )
    name, identity = found
    claimed = _claim(identity, "aud")
    if claimed != audience:
        raise _fail(
            "the CI's identity",
            f"the ID token in {name} is for audience {claimed!r}, and the index asks for "
            f"{audience!r}.",
            f"Set `id_tokens: {name}: aud: {audience}` in the job.",
        )
    return identity


def _claim(identity: str, name: str) -> object:
    """One claim of a JWT's payload (not verified: the index verifies), or None."""
    try:
        payload = identity.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    return claims.get(name) if isinstance(claims, dict) else None


def _mint(
    http: requests.Session, index: str, identity: str, provider: str | None, timeout: float
) -> str:
    """Step 3: the identity token exchanged for an upload token."""
    url = f"{index}/_/oidc/mint-token"
    response = _request(http, "POST", url, timeout, json={"token": identity})
    answer = _json(response)
    token = answer.get("token") if isinstance(answer, dict) else None
    if response.status_code == 200 and isinstance(token, str) and token:
        register_secret(token, username=TOKEN_USERNAME)
        return token
    errors = answer.get("errors") if isinstance(answer, dict) else None
    reasons = [
        (str(e.get("code", "")), str(e.get("description", "")))
        for e in (errors if isinstance(errors, list) else [])
        if isinstance(e, dict)
    ]
    quoted = "; ".join(f"`{code}`: {_line(text)}" for code, text in reasons)
    said = f"the index said {quoted}" if quoted else f"HTTP {response.status_code}"
    codes = {code for code, _ in reasons}
    if "invalid-publisher" in codes or "invalid-pending-publisher" in codes:
        fix = (
            "Add a trusted publisher for this project on the index that names this repository "
            f"and workflow (and environment, if the publisher names one){_claims(identity)}."
        )
        problem = f"no trusted publisher on {index} matches this job ({said})."
    elif "not-enabled" in codes:
        problem = f"{index} has trusted publishing turned off ({said})."
        fix = "Give the upload a password or API token (TWINE_PASSWORD)."
    else:
        problem = f"{index} did not mint an upload token ({said})."
        fix = "Check the trusted publisher's settings on the index, then run again."
    raise _fail("the token exchange", problem, fix, url=url, status=response.status_code)


def _claims(identity: str) -> str:
    """The identity token's claims an index matches (not secret), as ``; this job: k=v, ...``."""
    try:
        payload = identity.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return ""
    if not isinstance(claims, dict):
        return ""
    shown = [f"{k}={_line(str(claims[k]))}" for k in _CLAIMS if claims.get(k)]
    return f"; this job: {', '.join(shown)}" if shown else ""
