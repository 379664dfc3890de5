"""vc-upload, promote and channel against indexes that misbehave: a server that
quotes the request (credentials included) back in its error pages, a login page answering 200
in place of the project page, an index that hangs, and damaged distribution files.

The commands run in-process (``main(argv)``) against :class:`servers.StaticHTTPServer`; every
secret the run knows (password, token, URL userinfo) and every form it takes on the wire
(percent-encoded, basic ``Authorization``) must be absent from stdout and stderr.
"""

from __future__ import annotations

import base64
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from servers import Route, StaticHTTPServer, html_route, json_route
from test_upload import tagged_repo
from vcrelease.cli.main import main as vcrelease_main
from vcrelease.cli.upload import main as vc_upload_main
from vcrelease.errors import EXIT_CREDENTIALS, EXIT_NETWORK, EXIT_REFUSED, EXIT_USAGE

PASSWORD = "Pa55:w0rd@Hostile/1"
TOKEN = "pypi-T0kenValue-1234567890abcdef"
USER = "ci"
PROJECT = "hostile-demo"
ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>Upload refused</title><style>body{color:red;"
    "font-family:sans-serif}</style><script>var x = 1;</script></head><body><h1>Denied</h1>"
    "<p>This index says no.</p>"
)


def secret_forms() -> list[str]:
    forms = []
    for secret in (PASSWORD, TOKEN):
        forms += [secret, quote(secret, safe=""), json.dumps(secret)[1:-1]]
        forms.append(base64.b64encode(f"{USER}:{secret}".encode()).decode())
    return forms


def assert_no_secret(text: str) -> None:
    for form in secret_forms():
        assert form not in text, f"{form!r} printed:\n{text}"


@pytest.fixture
def echo() -> Iterator[StaticHTTPServer]:
    with StaticHTTPServer({"/simple/": html_route("")}) as server:
        yield server


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TWINE_REPOSITORY_URL", "TWINE_REPOSITORY", "VCRELEASE_INDEX_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TWINE_USERNAME", USER)
    monkeypatch.setenv("TWINE_PASSWORD", TOKEN)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.setenv("NO_PROXY", "*")


def wheel(path: Path, *, version: str = "1.0.0") -> Path:
    """A small valid wheel of :data:`PROJECT` (metadata only), without a build."""
    name = f"hostile_demo-{version}-py3-none-any.whl"
    dist = f"hostile_demo-{version}.dist-info"
    path.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path / name, "w") as archive:
        archive.writestr(
            f"{dist}/METADATA",
            f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: {version}\n"
            "Description-Content-Type: text/plain\n\nplain text\n",
        )
        archive.writestr(
            f"{dist}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        archive.writestr(f"{dist}/RECORD", "")
    return path / name


def upload(
    capsys: pytest.CaptureFixture[str],
    server: StaticHTTPServer,
    files: list[Path],
    repo: Path,
    *args: str,
) -> tuple[int, str, str]:
    host = server.url.removeprefix("http://")
    code = vc_upload_main(
        [
            *map(str, files),
            "--repository-url",
            f"{server.url}/",
            "--index-url",
            f"http://{USER}:{quote(PASSWORD, safe='')}@{host}/simple/",
            "--project-dir",
            str(repo),
            "--no-progress",
            "--verbose",
            *args,
        ]
    )
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("fmt", ["table", "json"])
@pytest.mark.parametrize(
    ("status", "code"), [(400, EXIT_REFUSED), (401, EXIT_CREDENTIALS), (500, EXIT_NETWORK)]
)
def test_an_index_that_echoes_the_request_never_gets_a_secret_printed(
    echo: StaticHTTPServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    status: int,
    code: int,
    fmt: str,
) -> None:
    echo.routes["/"] = Route(status, ERROR_PAGE, {"Content-Type": "text/html"}, echo=True)
    repo = tagged_repo(tmp_path / "repo", "v1.0.0")
    result, out, err = upload(capsys, echo, [wheel(tmp_path / "d")], repo, "--format", fmt)
    assert result == code, err
    posts = [r for r in echo.requests if r.method == "POST"]
    assert posts, "no upload reached the index"
    assert posts[0].headers.get("Authorization"), "the echo had a secret to leak"
    assert_no_secret(out + err)
    assert "Denied This index says no." in err  # the page as text ...
    assert "color:red" not in err
    assert "var x" not in err
    assert "Retry 1 of 1" not in err  # nothing is retried
    if fmt == "json":
        document = json.loads(out)
        assert document["exit_code"] == code
        assert document["error"]["message"]


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    "page",
    [
        html_route(
            "<html><title>Sign in</title><form action='/login'><a href='/forgot'>Forgot "
            "password?</a></form></html>",
            marker=False,
        ),
        json_route({"meta": {"api-version": "1.0"}, "name": "other-project", "files": []}),
        html_route("<<<not html at all", marker=False),
        Route(200, "{not json", {"Content-Type": "application/vnd.pypi.simple.v1+json"}),
    ],
    ids=["login-page", "another-project", "garbage-html", "garbage-json"],
)
def test_a_page_that_is_not_the_project_page_stops_the_run_before_any_upload(
    echo: StaticHTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], page: Route
) -> None:
    echo.routes[f"/simple/{PROJECT}/"] = page
    repo = tagged_repo(tmp_path / "repo", "v1.0.0")
    result, out, err = upload(capsys, echo, [wheel(tmp_path / "d")], repo, "--format", "json")
    assert result == EXIT_NETWORK, err
    assert not [r for r in echo.requests if r.method == "POST"]
    assert json.loads(out)["exit_code"] == EXIT_NETWORK
    assert_no_secret(out + err)


@pytest.mark.usefixtures("cli_env")
def test_an_empty_simple_page_is_no_files_and_a_404_too(
    echo: StaticHTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    echo.routes[f"/simple/{PROJECT}/"] = html_route("", marker=True)
    repo = tagged_repo(tmp_path / "repo", "v1.0.0")
    result, out, err = upload(
        capsys, echo, [wheel(tmp_path / "d")], repo, "--format", "json", "--dry-run"
    )
    assert result == 0, err
    assert [f["action"] for f in json.loads(out)["files"]] == ["upload"]


@pytest.mark.usefixtures("cli_env")
def test_timeout_bounds_the_index_reads(
    echo: StaticHTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    echo.routes[f"/simple/{PROJECT}/"] = Route(200, "", delay=6.0)
    repo = tagged_repo(tmp_path / "repo", "v1.0.0")
    start = time.monotonic()
    result, out, err = upload(
        capsys, echo, [wheel(tmp_path / "d")], repo, "--timeout", "1", "--format", "json"
    )
    assert result == EXIT_NETWORK, err
    assert time.monotonic() - start < 5
    assert "--timeout (now 1 s)" in err
    assert json.loads(out)["error"]["type"] == "IndexUnavailableError"


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_promote_and_channel_never_print_the_source_credentials(
    echo: StaticHTTPServer, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    echo.routes[f"/simple/{PROJECT}/"] = Route(
        401, ERROR_PAGE, {"Content-Type": "text/html"}, echo=True
    )
    host = echo.url.removeprefix("http://")
    source = f"http://{USER}:{quote(PASSWORD, safe='')}@{host}/simple/"
    code = vcrelease_main(
        ["promote", f"{PROJECT}==1.0.0", "--from", source, "--to", f"{echo.url}/",
         "--index-url", f"{echo.url}/simple/", "--verbose", "--format", fmt]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == EXIT_CREDENTIALS, err
    assert err.startswith("vcrelease: error:"), err
    assert_no_secret(out + err)
    code = vcrelease_main(["channel", PROJECT, "--show", "--index", source, "--format", fmt])
    out2, err2 = capsys.readouterr()
    assert code == EXIT_CREDENTIALS, err2
    assert_no_secret(out2 + err2)
    if fmt == "json":
        assert json.loads(out)["exit_code"] == json.loads(out2)["exit_code"] == EXIT_CREDENTIALS


def _damaged(tmp_path: Path, kind: str) -> Path:
    good = wheel(tmp_path / "good")
    if kind == "truncated-wheel":
        path = tmp_path / good.name
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "empty-wheel":
        path = tmp_path / good.name
        path.write_bytes(b"")
    else:
        path = tmp_path / "hostile_demo-1.0.0.tar.gz"
        path.write_bytes(b"this is not gzip\n" * 10)
    return path


@pytest.mark.parametrize("kind", ["truncated-wheel", "empty-wheel", "sdist-not-gzip"])
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_damaged_files_exit_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, fmt: str
) -> None:
    damaged = _damaged(tmp_path, kind)
    code = vc_upload_main([str(damaged), "--format", fmt])
    out, err = capsys.readouterr()
    assert code == EXIT_USAGE, err
    assert damaged.name in err
    assert "rebuild" in err
    assert "internal error" not in err
    if fmt == "json":
        document = json.loads(out)
        assert document["exit_code"] == EXIT_USAGE
        assert damaged.name in document["error"]["message"]
    else:
        assert out == ""


def test_a_directory_argument_says_it_is_a_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = vc_upload_main([str(tmp_path)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "is a directory" in err
    assert "dist/*" in err


@pytest.mark.parametrize(
    ("version", "rule", "first"),
    [
        ("1.2.4.dev3", "distance", "two commits"),
        ("1.2.4.dev3", None, "two commits"),
        ("1.2.4.dev1742", "run", "built twice"),
        ("1.2.4.dev20260101", "commit-time", "built twice"),
        ("1.2.4", "run", "built again"),
    ],
)
def test_the_collision_message_puts_the_likeliest_cause_first(
    tmp_path: Path, version: str, rule: str | None, first: str
) -> None:
    from vcrelease.publish.dists import DistFile
    from vcrelease.publish.preflight import FileStep, refusal_message

    dist = DistFile(tmp_path / "x.whl", "x.whl", "wheel", "x", version, "a" * 64, 1)
    step = FileStep(dist, "refuse", "other bytes", "x.whl", "b" * 64)
    message = refusal_message([step], version, dev_rule=rule)
    causes = sorted(
        (message.index(c), c) for c in ("two commits", "built twice", "built again") if c in message
    )
    assert causes[0][1] == first, message
    assert "a" * 64 in message
    assert "b" * 64 in message
    assert "SOURCE_DATE_EPOCH" in message
