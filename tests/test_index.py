"""vcrelease.publish.simpleapi and vcrelease.publish.indexclient against real HTTP:
pypiserver, devpi-server and local servers.

The fast tests use :class:`servers.StaticHTTPServer` (a real HTTP server in a thread answering
fixed pages: an index without hashes, redirects, error statuses); the slow ones upload real
files with twine to pypiserver and devpi-server and read them back. The fault proxy's own tests
are here too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from distfiles import make_dists, sha256_file
from faultproxy import FaultProxy
from servers import (
    DevpiServer,
    IndexServer,
    Route,
    StaticHTTPServer,
    html_route,
    json_route,
    local_session,
    start_pypiserver,
)
from vcrelease.errors import (
    EXIT_CREDENTIALS,
    EXIT_NETWORK,
    ConfigError,
    CredentialsRejectedError,
    VcreleaseError,
    redact_text,
)
from vcrelease.publish.dists import plan_files
from vcrelease.publish.indexclient import fetch_listing, file_sha256
from vcrelease.publish.simpleapi import (
    ACCEPT,
    ACCEPT_HTML,
    IndexFile,
    IndexUnavailableError,
    ProjectListing,
    derive_index_url,
    normalize_project,
)
from vcrelease.publish.target import Target
from vcrelease.publish.upload import SETTLE_READS, preflight

SHA_A = "a" * 64
SHA_B = "b" * 64
SECRET = "s3cr3t-t0ken"


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with local_session() as s:
        yield s


@pytest.fixture
def static() -> Iterator[StaticHTTPServer]:
    with StaticHTTPServer() as server:
        yield server


@pytest.fixture
def other_host() -> Iterator[StaticHTTPServer]:
    """A second server: another port is another host for the same-host rule."""
    with StaticHTTPServer() as server:
        yield server


def simple_root(*projects: str) -> Route:
    return html_route("".join(f'<a href="{p}/">{p}</a>\n' for p in projects))


def assert_no_secret(err: BaseException) -> None:
    assert SECRET not in str(err)
    assert SECRET not in repr(err.args)


# --- pure functions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upload_url", "expected"),
    [
        ("https://upload.pypi.org/legacy/", "https://pypi.org/simple/"),
        ("https://upload.pypi.org/legacy", "https://pypi.org/simple/"),
        ("https://UPLOAD.PYPI.ORG/legacy/", "https://pypi.org/simple/"),
        ("https://__token__:pypi-abc@upload.pypi.org/legacy/", "https://pypi.org/simple/"),
        ("https://test.pypi.org/legacy/", "https://test.pypi.org/simple/"),
        ("https://test.pypi.org/legacy", "https://test.pypi.org/simple/"),
        # pypiserver: uploads go to the root
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/simple/"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/simple/"),
        ("http://user:pw@pypi.internal:8080/", "http://pypi.internal:8080/simple/"),
        # Warehouse layout on another host
        ("https://warehouse.example.org/legacy/", "https://warehouse.example.org/simple/"),
        # devpi: the upload URL is the index URL
        ("http://localhost:3141/ci/staging/", "http://localhost:3141/ci/staging/+simple/"),
        ("http://localhost:3141/ci/staging", "http://localhost:3141/ci/staging/+simple/"),
        (
            "https://u:p@devpi.example.org/team/prod/",
            "https://devpi.example.org/team/prod/+simple/",
        ),
        # unsure: None (the caller asks for --index-url)
        ("https://upload.pypi.org/other/", None),
        ("https://test.pypi.org/", None),
        ("http://host:8080/simple/", None),
        ("http://host/prefix/pypi/server/", None),
        ("http://host/ci/+simple/", None),
        ("https://artifactory.example.org/artifactory/api/pypi/pypi-local", None),
        ("ftp://host/", None),
        ("not a url", None),
        ("", None),
        ("http://host:notaport/", None),
    ],
)
def test_derive_index_url(upload_url: str, expected: str | None) -> None:
    assert derive_index_url(upload_url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://host/simple/", "https://host/simple/"),
        ("https://user:pw@host/simple/", "https://***@host/simple/"),
        (
            "https://__token__:pypi-AgEI@upload.pypi.org/legacy/",
            "https://***@upload.pypi.org/legacy/",
        ),
        ("http://token@host:8080/x?y=1#z", "http://***@host:8080/x?y=1#z"),
        ("http://u:p%40ss@host/", "http://***@host/"),
        ("http://u:p@ss@host/", "http://***@host/"),
        ("/relative/path", "/relative/path"),
        # free text, e.g. an exception's message
        (
            "HTTPError: 403 Forbidden from https://ci:tok@host/legacy/",
            "HTTPError: 403 Forbidden from https://***@host/legacy/",
        ),
        (
            "ConnectionError(http://a:b@h1/x, then HTTPS://c:d@e@h2:1/y?q)",
            "ConnectionError(http://***@h1/x, then HTTPS://***@h2:1/y?q)",
        ),
        ("no url here: user@example.org", "no url here: user@example.org"),
        ("http://u:p[w@host/x", "http://***@host/x"),  # urlsplit: "Invalid IPv6 URL"
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_text(url) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Foo_Bar.baz", "foo-bar-baz"), ("tiny--proj", "tiny-proj"), ("A", "a")],
)
def test_normalize_project(name: str, expected: str) -> None:
    assert normalize_project(name) == expected


@pytest.mark.parametrize("name", ["", "../etc", "foo/bar", "-x", "x y"])
def test_normalize_project_refuses_what_is_not_a_name(name: str) -> None:
    with pytest.raises(ValueError, match="name"):
        normalize_project(name)


def test_by_filename_first_entry_wins() -> None:
    first = IndexFile("x-1.0.tar.gz", "http://h/1", SHA_A, False)
    second = IndexFile("x-1.0.tar.gz", "http://h/2", SHA_B, False)
    listing = ProjectListing("x", "http://h/simple/x/", (first, second), True)
    assert listing.by_filename() == {"x-1.0.tar.gz": first}


def test_index_unavailable_error_is_exit_4() -> None:
    err = IndexUnavailableError("boom", url="http://h/", status=503)
    assert isinstance(err, VcreleaseError)
    assert err.exit_code == EXIT_NETWORK == 4
    assert (err.url, err.status) == ("http://h/", 503)


# --- parsing and HTTP rules, against a local HTTP server --------------------------------------


@pytest.mark.parametrize("settles", [True, False], ids=["in-flight", "real-conflict"])
def test_preflight_believes_a_mismatch_only_once_it_stays(
    session: requests.Session, static: StaticHTTPServer, tmp_path: Path, settles: bool
) -> None:
    """pypiserver lists a file while another uploader is still writing it (an empty file, here
    for the first two downloads): the preflight reads again and skips the file. A file that
    stays different is refused after SETTLE_READS readings."""
    wheel, sdist = make_dists(tmp_path, "demo", "1.0", payload="ours")
    plan = plan_files([wheel, sdist], check_description=False)
    final = Route(200, wheel.read_bytes() if settles else b"other bytes")
    static.routes.update(
        {
            "/simple/": simple_root("demo"),
            "/simple/demo/": html_route(f'<a href="/files/{wheel.name}">{wheel.name}</a>\n'),
            f"/files/{wheel.name}": Route(200, b"", then=Route(200, b"", then=final)),
        }
    )
    target = Target(upload_url=f"{static.url}/", index_url=f"{static.url}/simple/")
    steps = preflight(session, target, plan, pause=0.01)
    actions = {s.file.filename: s.action for s in steps}
    assert actions == {wheel.name: "skip" if settles else "refuse", sdist.name: "upload"}
    downloads = [r for r in static.requests if r.path == f"/files/{wheel.name}"]
    assert len(downloads) == (3 if settles else SETTLE_READS)


def test_html_listing_without_hashes_downloads_and_hashes(
    session: requests.Session, static: StaticHTTPServer
) -> None:
    wheel, sdist = b"wheel bytes", b"sdist bytes"
    static.routes.update(
        {
            "/simple/": simple_root("demo"),
            "/simple/demo/": html_route(
                "<!DOCTYPE html><html><body>\n"
                '<a href="../../files/demo-1.0-py3-none-any.whl">demo-1.0-py3-none-any.whl</a>\n'
                '<a href="/files/demo-1.0.tar.gz#md5=0123">demo-1.0.tar.gz</a>\n'
                "</body></html>"
            ),
            "/files/demo-1.0-py3-none-any.whl": Route(200, wheel),
            "/files/demo-1.0.tar.gz": Route(200, sdist),
        }
    )
    listing = fetch_listing(session, f"{static.url}/simple/", "Demo")
    assert listing.exists
    assert listing.project == "demo"
    assert listing.page_url == f"{static.url}/simple/demo/"
    files = listing.by_filename()
    assert list(files) == ["demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz"]
    whl, tgz = files.values()
    assert whl.url == f"{static.url}/files/demo-1.0-py3-none-any.whl"
    assert tgz.url == f"{static.url}/files/demo-1.0.tar.gz"  # fragment dropped
    assert whl.sha256 is None
    assert tgz.sha256 is None
    assert file_sha256(session, whl) == hashlib.sha256(wheel).hexdigest()
    assert file_sha256(session, tgz) == hashlib.sha256(sdist).hexdigest()
    downloads = [r.path for r in static.requests if r.path.startswith("/files/")]
    assert downloads == ["/files/demo-1.0-py3-none-any.whl", "/files/demo-1.0.tar.gz"]


def test_listed_hash_is_used_without_download(
    session: requests.Session, static: StaticHTTPServer
) -> None:
    static.routes["/simple/demo/"] = html_route(
        f'<a href="/f/demo-1.0.tar.gz#SHA256={SHA_A.upper()}" data-yanked="">demo-1.0.tar.gz</a>'
        f'<a href="/f/demo-1.1.tar.gz#sha256={SHA_B}">demo-1.1.tar.gz</a>'
        '<a href="/f/demo-1.2.tar.gz#sha256=short">demo-1.2.tar.gz</a>'
    )
    files = fetch_listing(session, f"{static.url}/simple", "demo").files
    assert [(f.filename, f.sha256, f.yanked) for f in files] == [
        ("demo-1.0.tar.gz", SHA_A, True),
        ("demo-1.1.tar.gz", SHA_B, False),
        ("demo-1.2.tar.gz", None, False),
    ]
    assert file_sha256(session, files[0]) == SHA_A
    assert not any(r.path.startswith("/f/") for r in static.requests)


def test_html_base_href_and_anchor_without_text(
    session: requests.Session, static: StaticHTTPServer
) -> None:
    static.routes["/simple/demo/"] = html_route(
        '<html><head><base href="/mirror/files/"></head><body>'
        f'<a href="demo-1.0.tar.gz#sha256={SHA_A}"></a><a>no href</a>'
        f'<a href="demo%2B1.zip#sha256={SHA_B}">\n  demo+1.zip  \n</a>'
    )
    files = fetch_listing(session, f"{static.url}/simple/", "demo").files
    assert [(f.filename, f.url) for f in files] == [
        ("demo-1.0.tar.gz", f"{static.url}/mirror/files/demo-1.0.tar.gz"),
        ("demo+1.zip", f"{static.url}/mirror/files/demo%2B1.zip"),
    ]


def test_pep691_json_listing(session: requests.Session, static: StaticHTTPServer) -> None:
    static.routes["/simple/demo/"] = json_route(
        {
            "meta": {"api-version": "1.1"},
            "name": "demo",
            "files": [
                {
                    "filename": "demo-1.0.tar.gz",
                    "url": "../../f/demo-1.0.tar.gz",
                    "hashes": {"sha256": SHA_A},
                },
                {
                    "filename": "demo-1.1.tar.gz",
                    "url": f"{static.url}/f/demo-1.1.tar.gz",
                    "hashes": {"md5": "00"},
                    "yanked": "broken build",
                },
                {
                    "filename": "demo-1.2.tar.gz",
                    "url": "/f/x#sha256=" + SHA_B,
                    "hashes": {},
                    "yanked": False,
                },
                {"filename": "demo-1.3.tar.gz", "url": "/f/y", "hashes": {}, "yanked": True},
            ],
        }
    )
    files = fetch_listing(session, f"{static.url}/simple/", "demo").files
    assert [(f.filename, f.url, f.sha256, f.yanked) for f in files] == [
        ("demo-1.0.tar.gz", f"{static.url}/f/demo-1.0.tar.gz", SHA_A, False),
        ("demo-1.1.tar.gz", f"{static.url}/f/demo-1.1.tar.gz", None, True),
        ("demo-1.2.tar.gz", f"{static.url}/f/x", SHA_B, False),
        ("demo-1.3.tar.gz", f"{static.url}/f/y", None, True),
    ]
    accept = [r.headers.get("Accept") for r in static.requests]
    assert accept == [ACCEPT]


def test_accept_html_only(session: requests.Session, static: StaticHTTPServer) -> None:
    static.routes["/simple/demo/"] = html_route("")
    fetch_listing(session, f"{static.url}/simple/", "demo", accept=ACCEPT_HTML)
    assert static.requests[0].headers.get("Accept") == "text/html"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "not a JSON object"),
        ('{"meta": {"api-version": "2.0"}, "files": []}', "api-version"),
        ('{"meta": {"api-version": "1.0"}}', "'files'"),
        ('{"meta": {"api-version": "1.0"}, "files": [{"url": "/x"}]}', "filename"),
    ],
)
def test_malformed_json_is_an_error(
    session: requests.Session, static: StaticHTTPServer, body: str, message: str
) -> None:
    static.routes["/simple/demo/"] = Route(
        200, body, {"Content-Type": "application/vnd.pypi.simple.v1+json"}
    )
    with pytest.raises(IndexUnavailableError, match=message) as info:
        fetch_listing(session, f"{static.url}/simple/", "demo")
    assert info.value.exit_code == EXIT_NETWORK


def test_other_content_type_is_an_error(
    session: requests.Session, static: StaticHTTPServer
) -> None:
    static.routes["/simple/demo/"] = json_route({"releases": {}}, "application/json")
    with pytest.raises(IndexUnavailableError, match="not a simple repository page"):
        fetch_listing(session, f"{static.url}/simple/", "demo")


def test_same_host_redirects_are_followed(
    session: requests.Session, static: StaticHTTPServer
) -> None:
    static.routes.update(
        {
            "/simple/demo/": Route(301, headers={"Location": "/moved/demo"}),
            "/moved/demo": Route(302, headers={"Location": f"{static.url}/moved/demo/"}),
            "/moved/demo/": html_route(
                f'<a href="../f/demo-1.0.tar.gz#sha256={SHA_A}">demo-1.0.tar.gz</a>'
            ),
        }
    )
    listing = fetch_listing(session, f"{static.url}/simple/", "demo")
    assert listing.exists
    # relative URLs resolve against the page that listed them, after redirects
    assert listing.files[0].url == f"{static.url}/moved/f/demo-1.0.tar.gz"
    assert listing.files[0].page_url == f"{static.url}/moved/demo/"


def test_redirect_to_another_host_means_not_on_this_index(
    session: requests.Session, static: StaticHTTPServer, other_host: StaticHTTPServer
) -> None:
    session.auth = ("ci", SECRET)
    static.routes.update(
        {
            "/simple/": simple_root("other"),
            "/simple/demo/": Route(303, headers={"Location": f"{other_host.url}/simple/demo/"}),
        }
    )
    other_host.routes["/simple/demo/"] = html_route("<a href='x.tar.gz'>x.tar.gz</a>")
    listing = fetch_listing(session, f"{static.url}/simple/", "demo")
    assert not listing.exists
    assert listing.files == ()
    assert listing.redirect == f"{other_host.url}/simple/demo/"
    assert other_host.requests == []  # never followed, so no credentials went there
    assert all("Authorization" in r.headers for r in static.requests)


def test_credentials_in_the_index_url(session: requests.Session, static: StaticHTTPServer) -> None:
    static.routes.update(
        {
            "/simple/demo/": Route(302, headers={"Location": f"{static.url}/simple/demo2/"}),
            "/simple/demo2/": html_route(f'<a href="/f/d-1.tar.gz#sha256={SHA_A}">d-1.tar.gz</a>'),
        }
    )
    host = static.url.removeprefix("http://")
    listing = fetch_listing(session, f"http://ci:{SECRET}@{host}/simple/", "demo")
    assert listing.page_url == f"{static.url}/simple/demo/"
    assert listing.files[0].url == f"{static.url}/f/d-1.tar.gz"
    assert SECRET not in repr(listing)
    expected = requests.auth._basic_auth_str("ci", SECRET)
    assert [r.headers.get("Authorization") for r in static.requests] == [expected, expected]


@pytest.mark.parametrize(
    ("status", "advice"),
    [(401, "credentials"), (403, "credentials"), (500, "server-side"), (400, "index-url")],
)
def test_http_errors(
    session: requests.Session, static: StaticHTTPServer, status: int, advice: str
) -> None:
    """401/403 are rejected credentials: their own exit code, not the retryable 4."""
    static.routes["/simple/demo/"] = Route(status, "nope")
    host = static.url.removeprefix("http://")
    with pytest.raises((IndexUnavailableError, CredentialsRejectedError)) as info:
        fetch_listing(session, f"http://ci:{SECRET}@{host}/simple/", "demo")
    err = info.value
    assert isinstance(err, (IndexUnavailableError, CredentialsRejectedError))
    assert err.exit_code == (EXIT_CREDENTIALS if status in (401, 403) else EXIT_NETWORK)
    assert err.status == status
    assert f"{static.url}/simple/demo/" in str(err)
    assert f"HTTP {status}" in str(err)
    assert advice in str(err)
    assert_no_secret(err)


def test_not_found_with_a_working_index(
    session: requests.Session, static: StaticHTTPServer
) -> None:
    static.routes["/simple/"] = simple_root("other")
    listing = fetch_listing(session, f"{static.url}/simple/", "demo")
    assert listing == ProjectListing("demo", f"{static.url}/simple/demo/", (), False)
    static.routes["/simple/demo/"] = Route(410, "gone")
    assert not fetch_listing(session, f"{static.url}/simple/", "demo").exists


def test_not_found_on_a_url_that_is_no_index_is_an_error(
    session: requests.Session, static: StaticHTTPServer
) -> None:
    with pytest.raises(IndexUnavailableError, match="not like a simple repository index") as info:
        fetch_listing(session, f"{static.url}/wrong/", "demo")
    assert info.value.status == 404
    assert "Check the index URL" in str(info.value)


def test_project_in_the_root_list_but_no_page_is_an_error(
    session: requests.Session, static: StaticHTTPServer
) -> None:
    # devpi serves the root list at /<user>/<index>/ too, but project pages only under +simple/
    static.routes["/ci/staging/"] = json_route(
        {"meta": {"api-version": "1.0"}, "projects": [{"name": "Demo_Pkg"}]}
    )
    with pytest.raises(IndexUnavailableError, match="lists demo-pkg in its project list"):
        fetch_listing(session, f"{static.url}/ci/staging/", "demo.pkg")
    assert not fetch_listing(session, f"{static.url}/ci/staging/", "other").exists


def test_redirect_loop_is_an_error(session: requests.Session, static: StaticHTTPServer) -> None:
    static.routes["/simple/demo/"] = Route(302, headers={"Location": "/simple/demo/"})
    with pytest.raises(IndexUnavailableError, match="redirected more than"):
        fetch_listing(session, f"{static.url}/simple/", "demo")


def test_connection_refused(session: requests.Session) -> None:
    with StaticHTTPServer() as gone:
        url = gone.url
    with pytest.raises(IndexUnavailableError) as info:
        fetch_listing(session, f"http://ci:{SECRET}@{url.removeprefix('http://')}/simple/", "demo")
    err = info.value
    assert err.exit_code == EXIT_NETWORK
    assert f"{url}/simple/demo/" in str(err)
    assert "Connection refused" in str(err)
    assert_no_secret(err)


def test_timeout(session: requests.Session, static: StaticHTTPServer) -> None:
    static.routes["/simple/demo/"] = Route(200, "", {"Content-Type": "text/html"}, delay=2)
    with pytest.raises(IndexUnavailableError, match=r"no answer within 0\.3 s") as info:
        fetch_listing(session, f"{static.url}/simple/", "demo", timeout=0.3)
    assert info.value.exit_code == EXIT_NETWORK


@pytest.mark.parametrize("url", ["ftp://host/simple/", "simple/", "http:///simple/"])
def test_index_url_must_be_http(session: requests.Session, url: str) -> None:
    with pytest.raises(ConfigError, match="not an http"):
        fetch_listing(session, url, "demo")


def test_file_sha256_stays_on_the_listing_host(
    session: requests.Session, static: StaticHTTPServer, other_host: StaticHTTPServer
) -> None:
    session.auth = ("ci", SECRET)
    other_host.routes["/f/demo-1.0.tar.gz"] = Route(200, b"bytes")
    static.routes["/simple/demo/"] = html_route(
        f'<a href="{other_host.url}/f/demo-1.0.tar.gz">demo-1.0.tar.gz</a>'
    )
    (listed,) = fetch_listing(session, f"{static.url}/simple/", "demo").files
    with pytest.raises(IndexUnavailableError, match="another host"):
        file_sha256(session, listed)
    # a same-host file that redirects to another host is not followed either
    static.routes["/f/demo-1.0.tar.gz"] = Route(
        302, headers={"Location": f"{other_host.url}/f/demo-1.0.tar.gz"}
    )
    moved = dataclasses.replace(listed, url=f"{static.url}/f/demo-1.0.tar.gz")
    with pytest.raises(IndexUnavailableError, match="redirected to another host"):
        file_sha256(session, moved)
    assert other_host.requests == []


def test_file_sha256_download_errors(session: requests.Session, static: StaticHTTPServer) -> None:
    missing = IndexFile("demo-1.0.tar.gz", f"{static.url}/f/demo-1.0.tar.gz", None, False)
    with pytest.raises(IndexUnavailableError, match="HTTP 404") as info:
        file_sha256(session, missing)
    assert info.value.exit_code == EXIT_NETWORK


# --- real servers -----------------------------------------------------------------------------


@pytest.mark.slow
def test_pypiserver_lists_uploads_with_sha256(
    pypiserver_nofallback_index: IndexServer,
    tmp_path: Path,
    unique_project: str,
    session: requests.Session,
) -> None:
    server = pypiserver_nofallback_index
    dists = make_dists(tmp_path, unique_project, "1.0.0", payload="pypiserver")
    assert not server.listing(unique_project).exists
    server.upload(dists)
    listing = fetch_listing(session, server.index_url, unique_project.upper().replace("-", "_"))
    assert listing.exists
    assert listing.page_url == f"{server.index_url}{unique_project}/"
    assert {f.filename: f.sha256 for f in listing.files} == {d.name: sha256_file(d) for d in dists}
    assert not any(f.yanked for f in listing.files)
    for listed in listing.files:
        assert listed.url.startswith(f"{server.base_url}/packages/")
        # the download path of file_sha256 on the real server
        unhashed = dataclasses.replace(listed, sha256=None)
        assert file_sha256(session, unhashed) == listed.sha256


@pytest.mark.slow
@pytest.mark.parametrize("accept", [ACCEPT, ACCEPT_HTML], ids=["json", "html"])
def test_devpi_lists_uploads_with_sha256(
    devpi_staging: IndexServer,
    tmp_path: Path,
    unique_project: str,
    session: requests.Session,
    accept: str,
) -> None:
    server = devpi_staging
    dists = make_dists(tmp_path, unique_project, "1.0.0", payload="devpi")
    server.upload(dists)
    listing = fetch_listing(session, server.index_url, unique_project, accept=accept)
    assert listing.exists
    assert {f.filename: f.sha256 for f in listing.files} == {d.name: sha256_file(d) for d in dists}
    for listed in listing.files:
        assert listed.url.startswith(f"{server.base_url}/{server.username}/staging/+f/")
        assert server.served_sha256(unique_project, listed.filename) == listed.sha256


@pytest.mark.slow
def test_devpi_answers_json_and_html(
    devpi_staging: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    devpi_staging.upload(make_dists(tmp_path, unique_project, "1.0.0", payload="types")[:1])
    page = f"{devpi_staging.index_url}{unique_project}/"
    with local_session() as s:
        as_json = s.get(page, headers={"Accept": ACCEPT}, timeout=30)
        as_html = s.get(page, headers={"Accept": ACCEPT_HTML}, timeout=30)
    assert as_json.headers["Content-Type"] == "application/vnd.pypi.simple.v1+json"
    assert json.loads(as_json.content)["files"][0]["hashes"]["sha256"]
    assert as_html.headers["Content-Type"].startswith("text/html")
    assert "#sha256=" in as_html.text


@pytest.mark.slow
def test_unknown_project(
    pypiserver_index: IndexServer,
    pypiserver_nofallback_index: IndexServer,
    devpi_staging: IndexServer,
    unique_project: str,
) -> None:
    # default pypiserver: 303 to https://pypi.org/simple/<name>/, never followed
    fallback = pypiserver_index.listing(unique_project)
    assert not fallback.exists
    assert fallback.redirect == f"https://pypi.org/simple/{unique_project}/"
    for server in (pypiserver_nofallback_index, devpi_staging):
        listing = server.listing(unique_project)
        assert (listing.exists, listing.files, listing.redirect) == (False, (), None)


@pytest.mark.slow
def test_devpi_index_url_without_simple_is_refused(
    devpi_staging: IndexServer, tmp_path: Path, unique_project: str, session: requests.Session
) -> None:
    devpi_staging.upload(make_dists(tmp_path, unique_project, "1.0.0", payload="plus")[:1])
    wrong = devpi_staging.upload_url  # http://host/<user>/staging/: no +simple/
    with pytest.raises(IndexUnavailableError, match="not the simple API base"):
        fetch_listing(session, wrong, unique_project)


@pytest.mark.slow
def test_derived_urls_work_on_the_real_servers(
    pypiserver_index: IndexServer, devpi_staging: IndexServer
) -> None:
    assert derive_index_url(pypiserver_index.upload_url) == pypiserver_index.index_url
    assert derive_index_url(devpi_staging.upload_url) == devpi_staging.index_url


@pytest.mark.slow
def test_stopped_server_is_index_unavailable(tmp_path: Path, session: requests.Session) -> None:
    proc, server = start_pypiserver(tmp_path / "pypiserver", fallback=False)
    with proc:
        assert not fetch_listing(session, server.index_url, "demo").exists
    assert proc.process.poll() is not None
    with pytest.raises(IndexUnavailableError, match="cannot connect") as info:
        fetch_listing(session, server.index_url, "demo")
    assert info.value.exit_code == EXIT_NETWORK
    assert server.index_url in str(info.value)


# What the servers do with a second upload under the same name: the reason vc-upload checks
# hashes itself (docs/architecture.md, "Upload": the index's permissiveness is never our policy).


@pytest.mark.slow
def test_servers_that_accept_overwrites_replace_the_bytes(
    devpi_staging: IndexServer,
    pypiserver_overwrite_index: IndexServer,
    tmp_path: Path,
    unique_project: str,
) -> None:
    first = make_dists(tmp_path, unique_project, "1.0.0", payload="first")[0]
    second = make_dists(tmp_path, unique_project, "1.0.0", payload="second")[0]
    assert first.name == second.name
    assert sha256_file(first) != sha256_file(second)
    for server in (devpi_staging, pypiserver_overwrite_index):
        assert server.accepts_overwrite
        server.upload([first])
        server.upload([second])
        assert server.sha256s(unique_project) == {first.name: sha256_file(second)}
        assert server.served_sha256(unique_project, first.name) == sha256_file(second)


@pytest.mark.slow
def test_servers_that_refuse_overwrites(
    devpi_server: DevpiServer,
    pypiserver_nofallback_index: IndexServer,
    tmp_path: Path,
    unique_project: str,
) -> None:
    first = make_dists(tmp_path, unique_project, "1.0.0", payload="first")[0]
    second = make_dists(tmp_path, unique_project, "1.0.0", payload="second")[0]
    production = devpi_server.production
    production.upload([first])
    refused = production.upload([second], check=False)
    assert refused.returncode != 0
    assert "409" in refused.stdout + refused.stderr
    production.upload([first])  # devpi: the same bytes again are accepted (no change)
    assert production.sha256s(unique_project) == {first.name: sha256_file(first)}

    pypiserver = pypiserver_nofallback_index
    pypiserver.upload([first])
    for again in (first, second):  # pypiserver refuses the name, same bytes or not (400 to twine)
        result = pypiserver.upload([again], check=False)
        assert result.returncode != 0
        assert "400" in result.stdout + result.stderr
    assert pypiserver.sha256s(unique_project) == {first.name: sha256_file(first)}


@pytest.mark.slow
def test_wrong_password_is_refused(
    pypiserver_index: IndexServer, devpi_staging: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    wheel = make_dists(tmp_path, unique_project, "1.0.0", payload="pw")[0]
    for server, status in ((pypiserver_index, "403"), (devpi_staging, "401")):
        result = server.upload([wheel], password="wrong", check=False)
        assert result.returncode != 0
        assert status in result.stdout + result.stderr
        assert not server.listing(unique_project).exists


@pytest.mark.slow
def test_devpi_push_promotes_between_indexes(
    devpi_server: DevpiServer, tmp_path: Path, unique_project: str
) -> None:
    dists = make_dists(tmp_path, unique_project, "1.0.0", payload="promote")
    devpi_server.staging.upload(dists)
    response = devpi_server.push(unique_project, "1.0.0", source="staging", target="production")
    assert response.status_code == 200, response.text
    assert devpi_server.production.sha256s(unique_project) == {
        d.name: sha256_file(d) for d in dists
    }


# --- distribution files -----------------------------------------------------------------------


@pytest.mark.slow
def test_make_dists_is_reproducible(tmp_path: Path) -> None:
    one = make_dists(tmp_path / "one", "Repro_Pkg", "2.0.1", payload="x")
    two = make_dists(tmp_path / "two", "Repro_Pkg", "2.0.1", payload="x")
    other = make_dists(tmp_path / "one", "Repro_Pkg", "2.0.1", payload="y")
    assert [p.name for p in one] == ["repro_pkg-2.0.1-py3-none-any.whl", "repro_pkg-2.0.1.tar.gz"]
    assert [p.name for p in other] == [p.name for p in one]
    assert [sha256_file(p) for p in one] == [sha256_file(p) for p in two]
    assert all(sha256_file(a) != sha256_file(b) for a, b in zip(one, other, strict=True))
    assert make_dists(tmp_path / "one", "Repro_Pkg", "2.0.1", payload="x") == one  # reused


# --- the fault proxy --------------------------------------------------------------------------


def _post_upload(
    proxy: FaultProxy, server: IndexServer, wheel: Path, timeout: float = 30
) -> requests.Response:
    """A legacy-API upload of ``wheel`` through the proxy (what twine sends, by hand)."""
    name, version = wheel.name.split("-")[:2]
    with local_session() as s:
        return s.post(
            server.via(proxy.url).upload_url,
            data={
                ":action": "file_upload",
                "protocol_version": "1",
                "metadata_version": "2.1",
                "name": name,
                "version": version,
                "filetype": "bdist_wheel",
                "pyversion": "py3",
                "sha256_digest": sha256_file(wheel),
            },
            files={"content": (wheel.name, wheel.read_bytes(), "application/octet-stream")},
            auth=(server.username, server.password),
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def proxy_dists(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    base = tmp_path_factory.mktemp("proxy-dists")
    return lambda project: make_dists(base, project, "1.0.0", payload="proxy")[0]


@pytest.mark.slow
def test_fault_proxy_pass_relays_everything(
    devpi_staging: IndexServer,
    make_fault_proxy: Callable[[str], FaultProxy],
    proxy_dists: Callable[[str], Path],
    unique_project: str,
) -> None:
    proxy = make_fault_proxy(devpi_staging.base_url)
    through = devpi_staging.via(proxy.url)
    wheel = proxy_dists(unique_project)
    through.upload([wheel])  # twine through the proxy
    listing = through.listing(unique_project)
    assert [(f.filename, f.sha256) for f in listing.files] == [(wheel.name, sha256_file(wheel))]
    assert listing.files[0].url.startswith(proxy.url)  # the server built URLs for the proxy
    assert through.served_sha256(unique_project, wheel.name) == sha256_file(wheel)
    (post,) = proxy.posts()
    assert (post.mode, post.forwarded, post.upstream_status, post.client_status) == (
        "pass",
        True,
        200,
        200,
    )
    assert post.body_size > wheel.stat().st_size


@pytest.mark.slow
def test_fault_proxy_reset_after_body(
    pypiserver_nofallback_index: IndexServer,
    make_fault_proxy: Callable[[str], FaultProxy],
    proxy_dists: Callable[[str], Path],
    unique_project: str,
) -> None:
    server = pypiserver_nofallback_index
    proxy = make_fault_proxy(server.base_url)
    proxy.set_mode("reset-after-body")
    wheel = proxy_dists(unique_project)
    with pytest.raises(requests.ConnectionError) as info:
        _post_upload(proxy, server, wheel)
    assert "reset" in str(info.value).lower()
    (post,) = proxy.posts()
    assert (post.forwarded, post.upstream_status, post.client_status) == (True, 200, None)
    # the server handled it: the file is live although the client saw a reset
    assert server.sha256s(unique_project) == {wheel.name: sha256_file(wheel)}
    # GETs are relayed in this mode
    assert server.via(proxy.url).sha256s(unique_project) == {wheel.name: sha256_file(wheel)}
    # twine sees a failure too
    result = server.via(proxy.url).upload([wheel], check=False)
    assert result.returncode != 0


@pytest.mark.slow
def test_fault_proxy_http_500_does_not_forward(
    pypiserver_nofallback_index: IndexServer,
    make_fault_proxy: Callable[[str], FaultProxy],
    proxy_dists: Callable[[str], Path],
    unique_project: str,
) -> None:
    server = pypiserver_nofallback_index
    proxy = make_fault_proxy(server.base_url)
    proxy.set_mode("http-500", count=1)
    wheel = proxy_dists(unique_project)
    assert _post_upload(proxy, server, wheel).status_code == 500
    assert not server.listing(unique_project).exists
    assert proxy.mode == "pass"  # count=1 used up
    assert _post_upload(proxy, server, wheel).status_code == 200
    assert [(e.mode, e.forwarded, e.client_status) for e in proxy.posts()] == [
        ("http-500", False, 500),
        ("pass", True, 200),
    ]
    assert server.sha256s(unique_project) == {wheel.name: sha256_file(wheel)}


@pytest.mark.slow
def test_fault_proxy_slow_answers_after_the_server_stored(
    pypiserver_nofallback_index: IndexServer,
    make_fault_proxy: Callable[[str], FaultProxy],
    proxy_dists: Callable[[str], Path],
    unique_project: str,
) -> None:
    server = pypiserver_nofallback_index
    proxy = make_fault_proxy(server.base_url)
    proxy.set_mode("slow", delay=1.5)
    wheel = proxy_dists(unique_project)
    with pytest.raises(requests.ReadTimeout):
        _post_upload(proxy, server, wheel, timeout=0.5)
    deadline = time.monotonic() + 20  # the answer comes 1.5 s after the server's
    while not proxy.posts() and time.monotonic() < deadline:
        time.sleep(0.05)
    (post,) = proxy.posts()
    assert (post.mode, post.forwarded, post.upstream_status) == ("slow", True, 200)
    assert server.sha256s(unique_project) == {wheel.name: sha256_file(wheel)}
    # GETs are not delayed
    with local_session() as s:
        s.get(f"{proxy.url}/simple/{unique_project}/", timeout=1).raise_for_status()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["pass", "reset-after-body", "http-500", "slow"])
def test_fault_proxy_relays_gets_in_every_mode(
    devpi_staging: IndexServer,
    make_fault_proxy: Callable[[str], FaultProxy],
    mode: str,
) -> None:
    proxy = make_fault_proxy(devpi_staging.base_url)
    proxy.set_mode(mode, delay=5)  # type: ignore[arg-type]
    through = devpi_staging.via(proxy.url)
    with local_session() as s:
        root = s.get(through.index_url, headers={"Accept": ACCEPT}, timeout=2)
        api = s.get(f"{proxy.url}/+api", timeout=2)
    assert root.status_code == 200
    assert root.headers["Content-Type"] == "application/vnd.pypi.simple.v1+json"
    assert api.json()["type"] == "apiconfig"
    assert [e.mode for e in proxy.events] == ["pass", "pass"]


def test_fault_proxy_modes_are_checked() -> None:
    with StaticHTTPServer() as upstream, FaultProxy(upstream.url) as proxy:
        with pytest.raises(ValueError, match="unknown mode"):
            proxy.set_mode("drop")  # type: ignore[arg-type]
        upstream.routes["/x"] = Route(302, headers={"Location": f"{upstream.url}/y"})
        with local_session() as s:
            moved = s.get(f"{proxy.url}/x", allow_redirects=False, timeout=5)
        assert moved.headers["Location"] == f"{proxy.url}/y"  # redirects stay on the proxy
        assert upstream.requests[0].headers["Host"] == proxy.url.removeprefix("http://")


def test_fault_proxy_serves_concurrent_clients() -> None:
    with (
        StaticHTTPServer({"/slow": Route(200, "ok", delay=0.5)}) as upstream,
        FaultProxy(upstream.url) as proxy,
    ):
        results: list[int] = []

        def get() -> None:
            with local_session() as s:
                results.append(s.get(f"{proxy.url}/slow", timeout=5).status_code)

        threads = [threading.Thread(target=get) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [200] * 4
