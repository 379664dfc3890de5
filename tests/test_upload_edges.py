"""vc-upload, promote and channel at their edges: input that must not crash (exit 70), one
release spelled several ways, two files of one name, what the reports say is live, and every
form a server may echo a secret back in. In-process runs (``main(argv)``) against
:class:`servers.StaticHTTPServer` where a real index cannot misbehave on demand, real
pypiserver and devpi (``tests/conftest.py``) where it can."""

from __future__ import annotations

import base64
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from servers import Route, StaticHTTPServer, html_route
from test_hostile import PROJECT, USER, cli_env, wheel
from test_upload import tagged_repo
from vcrelease.cli.main import main as vcrelease_main
from vcrelease.cli.upload import main as vc_upload_main
from vcrelease.errors import EXIT_USAGE, redact_text, register_secret

__all__ = ["cli_env"]  # the fixture, used by name


@pytest.fixture
def index() -> Iterator[StaticHTTPServer]:
    """An index that lists nothing and takes every upload (200)."""
    with StaticHTTPServer({"/simple/": html_route(""), "/": Route(200, "OK")}) as server:
        yield server


def run_upload(
    capsys: pytest.CaptureFixture[str], files: list[Path], repo: Path, *args: str
) -> tuple[int, str, str]:
    code = vc_upload_main([*map(str, files), "--project-dir", str(repo), "--no-progress", *args])
    out, err = capsys.readouterr()
    return code, out, err


def renamed(source: Path, name: str, folder: Path) -> Path:
    """``source``'s wheel with its metadata renamed to the project of file name ``name``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copy(source, target)
    return target


# --- crashes that are usage errors -----------------------------------------------------------


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "soon"])
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_a_timeout_that_bounds_nothing_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, value: str, fmt: str
) -> None:
    with pytest.raises(SystemExit) as info:
        vc_upload_main([str(wheel(tmp_path)), "--timeout", value, "--format", fmt])
    assert info.value.code == EXIT_USAGE
    out, err = capsys.readouterr()
    assert "above zero" in err
    if fmt == "json":
        document = json.loads(out)
        assert document["exit_code"] == EXIT_USAGE
        assert "--timeout" in document["error"]["message"]
    else:
        assert out == ""


@pytest.mark.usefixtures("cli_env")
def test_json_is_printed_on_any_argument_error_of_every_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in (
        ["upload", "--format", "json", "--no-such-option"],
        ["promote", "--format=json", "x==1", "--timeout", "0"],
        ["channel", "x-stable", "--format", "json"],  # --pin or --show is required
    ):
        with pytest.raises(SystemExit) as info:
            vcrelease_main(argv)
        assert info.value.code == EXIT_USAGE
        out, _err = capsys.readouterr()
        assert json.loads(out)["exit_code"] == EXIT_USAGE, argv


@pytest.mark.usefixtures("cli_env")
def test_a_password_outside_latin_1_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
    index: StaticHTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWINE_PASSWORD", "pässwörd€-Zebra")
    repo = tagged_repo(tmp_path / "repo", "v1.0.0")
    code, out, err = run_upload(
        capsys,
        [wheel(tmp_path / "d")],
        repo,
        "--repository-url",
        f"{index.url}/",
        "--format",
        "json",
    )
    assert code == EXIT_USAGE, err
    assert "Latin-1" in err
    assert "pässwörd€" not in out + err
    assert json.loads(out)["exit_code"] == EXIT_USAGE
    assert not [r for r in index.requests if r.method == "POST"]


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("option", ["--repository-url", "--index-url"])
def test_a_url_with_a_port_that_is_not_a_number_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str
) -> None:
    repo = tagged_repo(tmp_path / "repo", "v1.0.0")
    other = "--index-url" if option == "--repository-url" else "--repository-url"
    code, _out, err = run_upload(
        capsys,
        [wheel(tmp_path / "d")],
        repo,
        option,
        "http://127.0.0.1:abc/simple/" if option == "--index-url" else "http://127.0.0.1:abc/",
        other,
        "http://127.0.0.1:9/simple/" if other == "--index-url" else "http://127.0.0.1:9/",
    )
    assert code == EXIT_USAGE, err
    assert "port" in err
    assert "internal error" not in err


@pytest.mark.parametrize("name", ["démo", "_demo", "demo_"])
def test_a_file_name_that_is_not_a_project_name_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    path = renamed(wheel(tmp_path / "src"), f"{name}-4.0.0-py3-none-any.whl", tmp_path / "d")
    sdist = tmp_path / "d" / f"{name}-4.0.0.tar.gz"
    sdist.write_bytes(b"x")
    for target in (path, sdist):
        code, _out, err = run_upload(capsys, [target], tmp_path, "--dry-run")
        assert code == EXIT_USAGE, err
        assert "not a valid project name" in err


# --- two files of one name -------------------------------------------------------------------


@pytest.mark.usefixtures("cli_env")
def test_two_files_of_one_name_with_other_bytes_exit_2_before_any_request(
    capsys: pytest.CaptureFixture[str], index: StaticHTTPServer, tmp_path: Path
) -> None:
    first = wheel(tmp_path / "dup1")
    second = wheel(tmp_path / "dup2")
    with zipfile.ZipFile(second, "a") as archive:
        archive.writestr("hostile_demo/extra.py", "X = 1\n")
    repo = tagged_repo(tmp_path / "repo", "v1.0.0")
    code, _out, err = run_upload(capsys, [first, second], repo, "--repository-url", f"{index.url}/")
    assert code == EXIT_USAGE, err
    assert str(first) in err
    assert str(second) in err
    assert index.requests == []


@pytest.mark.usefixtures("cli_env")
def test_two_files_of_one_name_with_the_same_bytes_are_one_upload(
    capsys: pytest.CaptureFixture[str], index: StaticHTTPServer, tmp_path: Path
) -> None:
    first = wheel(tmp_path / "dup1")
    second = tmp_path / "dup2" / first.name
    second.parent.mkdir()
    shutil.copy(first, second)
    repo = tagged_repo(tmp_path / "repo", "v1.0.0")
    code, out, err = run_upload(
        capsys, [first, second], repo, "--repository-url", f"{index.url}/", "--dry-run",
        "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    assert [f["filename"] for f in json.loads(out)["files"]] == [first.name]


# --- masking ---------------------------------------------------------------------------------


SECRET = "Pa55:w0rd@Hostile/1 Zebra"


def echoed_forms(secret: str) -> dict[str, str]:
    """Every way a server may echo ``secret`` back."""
    raw = secret.encode()
    b64 = base64.b64encode(raw).decode()
    return {
        "plain": secret,
        "percent upper": quote(secret, safe=""),
        "percent lower": "".join(
            c.lower() if i and quote(secret, safe="")[i - 1] == "%" else c
            for i, c in enumerate(quote(secret, safe=""))
        ).replace("%2F", "%2f"),
        "percent, / unescaped": quote(secret, safe="/"),
        "json": json.dumps(secret)[1:-1],
        "json \\/": json.dumps(secret)[1:-1].replace("/", "\\/"),
        "json \\u": json.dumps(secret.replace("@", "\u0040")).replace("@", "\\u0040")[1:-1],
        "html": secret.replace("@", "&#64;").replace("/", "&#x2F;"),
        "base64 alone": base64.b64encode(raw).decode(),
        "base64 unpadded": base64.b64encode(raw).decode().rstrip("="),
        "base64 pair": base64.b64encode(f"{USER}:{secret}".encode()).decode(),
        "base64 pair unpadded": base64.b64encode(f"{USER}:{secret}".encode()).decode().rstrip("="),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "split by a newline": secret[:7] + "\n" + secret[7:],
        "split by CRLF": secret[:3] + "\r\n" + secret[3:],
        "base64 split": b64[:10] + "\n" + b64[10:],
    }  # fmt: skip


@pytest.mark.parametrize("form", sorted(echoed_forms(SECRET)))
def test_every_form_a_server_echoes_a_secret_in_is_masked(form: str) -> None:
    register_secret(SECRET, username=USER)
    text = echoed_forms(SECRET)[form]
    masked = redact_text(f"the index said: <{text}> and nothing else")
    assert masked.startswith("the index said: <")
    assert masked.endswith("> and nothing else")
    inner = masked[len("the index said: <") : -len("> and nothing else")]
    assert inner.replace("***", "") in ("", '"'), masked


def test_a_secret_split_by_a_newline_in_one_message_is_masked_on_the_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from vcrelease.cli.common import masked_output

    register_secret(SECRET, username=USER)
    with masked_output():
        print(f"index error: {SECRET[:9]}\n{SECRET[9:]} end")
    out, _err = capsys.readouterr()
    assert SECRET[:9] not in out, out
    assert SECRET[9:] not in out, out


def test_secrets_under_four_characters_are_not_masked_as_documented() -> None:
    register_secret("pw1", username=USER)
    assert redact_text("pw1") == "pw1"
    text = (Path(__file__).parents[1] / "docs" / "uploading.md").read_text(encoding="utf-8")
    assert "under 4 characters" in text


# --- the guarded upload's pauses go through the clock ---------------------------------------


class FakeClock:
    """A :class:`vcrelease.publish.options.Clock` whose time moves only when asked to sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_guarded_upload_waits_on_its_clock_not_in_real_time(tmp_path: Path) -> None:
    import hashlib
    import time

    import requests

    from vcrelease.publish.dists import plan_files
    from vcrelease.publish.options import UploadOptions
    from vcrelease.publish.preflight import compare
    from vcrelease.publish.target import Target
    from vcrelease.publish.upload import CONFIRM_MIN, OverwriteGuard, publish

    path = wheel(tmp_path / "d")
    plan = plan_files([path])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    listed = html_route(
        f'<title>Links for {PROJECT}</title><a href="/f/{path.name}#sha256={digest}">'
        f"{path.name}</a>"
    )
    page = f"/simple/{PROJECT}/"
    routes = {"/simple/": html_route(""), page: Route(404, "not yet", then=listed)}
    clock = FakeClock()
    sent: list[str] = []

    def upload_one(dist: object) -> tuple[int | None, str]:
        sent.append(getattr(dist, "filename", ""))
        clock.now += 0.2  # the upload's own time
        return 200, "HTTP 200 OK"

    with StaticHTTPServer(routes) as server, requests.Session() as session:
        target = Target(f"{server.url}/", f"{server.url}/simple/", None, None, 10.0)
        steps = compare(plan, {}, {})
        started = time.monotonic()
        report = publish(
            session, target, plan, steps, upload_one, UploadOptions(clock=clock),
            guard=OverwriteGuard(True),
        )  # fmt: skip
        elapsed = time.monotonic() - started
    assert report.exit_code == 0, report.message
    assert sent == [path.name]
    assert clock.slept == [pytest.approx(CONFIRM_MIN)]  # the pause before the verification
    assert elapsed < CONFIRM_MIN
