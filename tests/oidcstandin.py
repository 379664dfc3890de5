"""A stand-in for the trusted-publishing services, over https on 127.0.0.1.

:class:`OidcStandIn` plays, in one threaded https server whose certificate a test certificate
authority signs (:func:`make_certificate_authority`, trusted by the client through
``REQUESTS_CA_BUNDLE`` and ``SSL_CERT_FILE``):

- **GitHub's token endpoint** (``GET /github/token?audience=AUD`` with ``Authorization: bearer
  REQUEST_TOKEN``, what ``ACTIONS_ID_TOKEN_REQUEST_URL`` names) -> ``{"value": JWT}``, the JWT
  carrying ``aud`` and the job's claims (GitHub docs, "OpenID Connect" reference);
- **the index's exchange** (warehouse ``oidc/views.py``): ``GET /_/oidc/audience`` ->
  ``{"audience": "pypi"}`` (or 403 ``{"message": ...}`` when turned off, 404 when the index has
  none); ``POST /_/oidc/mint-token`` ``{"token": JWT}`` -> ``{"success": true, "token": ...}``,
  or 422 ``{"message": "Token request failed", "errors": [{"code", "description"}]}`` with
  ``invalid-payload``, ``invalid-token``, ``invalid-publisher``, ``not-enabled``;
- **the index itself**: every other request is relayed to a real pypiserver. An upload
  (``POST``) is relayed only with ``Authorization: Basic __token__:MINTED`` for a token this
  stand-in minted (403 otherwise), and then with pypiserver's own account: the client never
  holds any credential but the minted token.

A JWT here is ``header.payload.signature`` with a random signature; the stand-in "verifies" a
token by having issued it (GitLab's ID tokens: :meth:`OidcStandIn.issue_identity`).
"""

from __future__ import annotations

import base64
import datetime
import http.client
import ipaddress
import json
import secrets
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from servers import HOST, IndexServer

__all__ = ["OidcStandIn", "Publisher", "jwt_claims", "make_certificate_authority"]


def make_certificate_authority(directory: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate for 127.0.0.1 it signs.

    Returns:
        ``(ca.pem, server.pem, server.key)`` in ``directory``.
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vcrelease test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = (directory / n for n in ("ca.pem", "server.pem", "server.key"))
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT (not verified)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert isinstance(claims, dict)
    return claims


@dataclass(frozen=True)
class Publisher:
    """A trusted publisher configured on the index: the claims a token must carry."""

    claims: Mapping[str, str]


@dataclass
class OidcStandIn:
    """The stand-in (module docstring), started by :meth:`start` and stopped by :meth:`close`.

    Attributes:
        upstream: the pypiserver uploads and reads are relayed to.
        certs: ``(ca, cert, key)`` from :func:`make_certificate_authority`.
        publishers: the trusted publishers; a token matching none gets ``invalid-publisher``.
        audience_status: 200 (trusted publishing on), 403 (turned off) or 404 (none).
        mint_enabled: False: ``not-enabled`` from mint-token.
        request_token: the bearer GitHub's endpoint expects (``ACTIONS_ID_TOKEN_REQUEST_TOKEN``).
        job_claims: the claims GitHub's endpoint puts in the identity tokens it issues.
        identities, minted: every identity token issued and upload token minted.
        uploads: the body of every upload relayed (multipart form data).
        seen: ``(method, path, status)`` of every request answered.
    """

    upstream: IndexServer
    certs: tuple[Path, Path, Path]
    publishers: list[Publisher] = field(default_factory=list)
    audience_status: int = 200
    mint_enabled: bool = True
    request_token: str = field(default_factory=lambda: "ghs_req_" + secrets.token_hex(16))
    job_claims: dict[str, str] = field(default_factory=dict)
    identities: list[str] = field(default_factory=list)
    minted: list[str] = field(default_factory=list)
    seen: list[tuple[str, str, int]] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"https://{HOST}:{self._server.server_address[1]}"

    @property
    def token_url(self) -> str:
        """What ``ACTIONS_ID_TOKEN_REQUEST_URL`` names (GitHub adds ``&audience=``; ``id``
        adds the parameter to the URL's query)."""
        return f"{self.base_url}/github/token?api-version=2.0"

    @property
    def index(self) -> IndexServer:
        """The upstream index as the client sees it through the stand-in, with no password."""
        via = self.upstream.via(self.base_url)
        return IndexServer(**{**via.__dict__, "username": "", "password": ""})

    def issue_identity(self, audience: str, claims: Mapping[str, str]) -> str:
        """An identity token for ``audience`` with ``claims`` (GitLab's ``id_tokens``)."""
        header = _b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "standin"}).encode())
        body = {"aud": audience, "iss": self.base_url, **claims}
        token = f"{header}.{_b64(json.dumps(body).encode())}.{_b64(secrets.token_bytes(32))}"
        with self._lock:
            self.identities.append(token)
        return token

    def start(self) -> OidcStandIn:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.certs[1]), str(self.certs[2]))
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                stand_in._answer(self)

            def do_POST(self) -> None:
                stand_in._answer(self)

            def do_HEAD(self) -> None:
                stand_in._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer((HOST, 0), Handler)
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> OidcStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the routes -----------------------------------------------------------------------

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        path = urlsplit(handler.path).path
        if path == "/github/token":
            status, answer = self._github_token(handler)
        elif path == "/_/oidc/audience":
            status, answer = self._audience()
        elif path == "/_/oidc/mint-token" and handler.command == "POST":
            status, answer = self._mint(body)
        else:
            self._relay(handler, body)
            return
        self._send(handler, status, json.dumps(answer).encode(), "application/json")

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        data: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        with self._lock:
            self.seen.append((handler.command, handler.path, status))
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(data)

    def _github_token(self, handler: BaseHTTPRequestHandler) -> tuple[int, Any]:
        if handler.headers.get("Authorization", "") != f"bearer {self.request_token}":
            return 401, {"message": "Bad credentials"}
        audience = parse_qs(urlsplit(handler.path).query).get("audience", [""])[0]
        if not audience:
            return 400, {"message": "audience is required"}
        return 200, {"value": self.issue_identity(audience, self.job_claims)}

    def _audience(self) -> tuple[int, Any]:
        if self.audience_status == 403:
            return 403, {"message": "Trusted publishing functionality not enabled"}
        if self.audience_status != 200:
            return self.audience_status, {"message": "Not Found"}
        return 200, {"audience": "pypi"}

    def _mint(self, body: bytes) -> tuple[int, Any]:
        def invalid(code: str, description: str) -> tuple[int, Any]:
            error = {"code": code, "description": description}
            return 422, {"message": "Token request failed", "errors": [error]}

        if self.audience_status != 200:
            return 404, {"message": "Not Found"}
        if not self.mint_enabled:
            return invalid("not-enabled", "Trusted publishing functionality not enabled")
        try:
            payload = json.loads(body)
            token = payload["token"]
            assert isinstance(token, str)
        except (ValueError, KeyError, TypeError, AssertionError):
            return invalid("invalid-payload", 'payload must be {"token": "..."}')
        with self._lock:
            issued = token in self.identities
        if not issued or jwt_claims(token).get("aud") != "pypi":
            return invalid("invalid-token", "malformed or invalid token")
        claims = jwt_claims(token)
        if not any(all(claims.get(k) == v for k, v in p.claims.items()) for p in self.publishers):
            return invalid(
                "invalid-publisher",
                "valid token, but no corresponding publisher (Publisher with matching claims "
                "was not found)",
            )
        minted = "pypi-" + secrets.token_urlsafe(48)
        with self._lock:
            self.minted.append(minted)
        return 200, {"success": True, "token": minted, "expires": 900}

    def _relay(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {
            k: v
            for k, v in handler.headers.items()
            if k.lower() not in ("host", "authorization", "connection", "content-length")
        }
        if handler.command == "POST":
            auth = handler.headers.get("Authorization", "")
            with self._lock:
                allowed = {
                    "Basic " + base64.b64encode(f"__token__:{t}".encode()).decode()
                    for t in self.minted
                }
            if auth not in allowed:
                data = b"403 Forbidden: upload needs a token this index minted"
                self._send(handler, 403, data, "text/plain")
                return
            with self._lock:
                self.uploads.append(body)
            account = f"{self.upstream.username}:{self.upstream.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(account).decode()
        up = urlsplit(self.upstream.base_url)
        connection = http.client.HTTPConnection(up.hostname or HOST, up.port, timeout=60)
        try:
            connection.request(handler.command, handler.path, body=body or None, headers=headers)
            response = connection.getresponse()
            data = response.read()
            extra = {}
            location = response.getheader("Location")
            if location:
                extra["Location"] = location.replace(self.upstream.base_url, self.base_url)
            self._send(
                handler,
                response.status,
                data,
                response.getheader("Content-Type") or "text/plain",
                extra,
            )
        finally:
            connection.close()
