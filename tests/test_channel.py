"""``vcrelease channel``: the rules (pin forms, date versions, history) as tables, the command
against a static index, and the rollback story with pypiserver and a real ``pip``."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from packaging.version import Version

from distfiles import make_dists
from servers import IndexServer, Route, StaticHTTPServer, html_route
from vcrelease.cli.main import main
from vcrelease.errors import ConfigError
from vcrelease.publish.channel import (
    ChannelVersion,
    Pin,
    channel_versions,
    current_version,
    date_version,
    parse_date,
    parse_pin,
    pyproject_text,
    readme_text,
    requires_from_wheel,
    resolve_pin,
    source_date_epoch,
)
from vcrelease.publish.simpleapi import IndexFile

DAY = date(2026, 11, 21)


def files(name: str, *versions: str, yanked: tuple[str, ...] = ()) -> list[IndexFile]:
    """Listed wheel + sdist of each version (``yanked`` ones marked yanked)."""
    out = []
    for v in versions:
        module = name.replace("-", "_")
        for filename in (f"{module}-{v}-py3-none-any.whl", f"{module}-{v}.tar.gz"):
            out.append(IndexFile(filename, f"http://i/{filename}", None, v in yanked))
    return out


# --- the version ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        ([], "2026.11.21"),
        (["2026.11.20", "2026.11.20.3"], "2026.11.21"),
        (["2026.11.21"], "2026.11.21.1"),
        (["2026.11.21", "2026.11.21.1"], "2026.11.21.2"),
        (["2026.11.21.1"], "2026.11.21.2"),  # the plain date removed by hand: still higher
        (["2026.11.21", "2026.11.21.9"], "2026.11.21.10"),  # numeric, not string order
        (["2026.11.21rc1"], "2026.11.21.1"),  # the date is taken, even as a pre-release
        (["2026.11.21.post1"], "2026.11.21.1"),
        (["1.0", "3.2.1"], "2026.11.21"),  # non-date versions sort lower
    ],
)
def test_date_version(taken: list[str], expected: str) -> None:
    chosen = date_version(DAY, [Version(v) for v in taken])
    assert str(chosen) == expected
    assert all(chosen > Version(v) for v in taken)


def test_same_day_moves_count_up() -> None:
    taken: list[Version] = []
    for _ in range(3):
        taken.append(date_version(DAY, taken))
    assert [str(v) for v in taken] == ["2026.11.21", "2026.11.21.1", "2026.11.21.2"]
    assert str(date_version(date(2026, 11, 22), taken)) == "2026.11.22"


def test_pep440_orders_the_date_versions() -> None:
    ordered = [
        "2026.9.30",  # no zero padding: 9 < 10 numerically
        "2026.10.1",
        "2026.11.21",
        "2026.11.21.1",
        "2026.11.21.2",
        "2026.11.21.10",
        "2026.11.22",
        "2027.1.1",
    ]
    versions = [Version(v) for v in ordered]
    assert versions == sorted(versions)
    assert [str(v) for v in versions] == ordered  # already normalised (PEP 440)
    assert Version("2026.11.21") == Version("2026.11.21.0")  # why .N starts at 1
    assert Version("2026.01.02") == Version("2026.1.2")


def test_a_date_behind_the_index_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"already has version 2026\.11\.22"):
        date_version(DAY, [Version("2026.11.22")], channel="foo-stable")
    with pytest.raises(ConfigError, match="already has version"):
        date_version(DAY, [Version("1!1.0")])  # an epoch sorts above every date


@pytest.mark.parametrize("text", ["2026-11-21"])
def test_parse_date(text: str) -> None:
    assert parse_date(text) == DAY
    assert source_date_epoch(DAY) == 1795219200  # 2026-11-21T00:00:00Z


@pytest.mark.parametrize("text", ["2026-11-31", "21.11.2026", "2026-1-2", "1970-01-01", "today"])
def test_bad_date(text: str) -> None:
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        parse_date(text)


# --- the pin ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "project"),
    [
        ("foo==3.2.0", "full", "foo"),
        ("Foo_Bar==3.2.0", "full", "foo-bar"),
        ("foo===3.2.0", "full", "foo"),
        ("foo[extra]==3.2.0", "full", "foo"),
        ("foo>=3.2.0,!=3.2.1", "exclusion", "foo"),
        ("foo!=3.2.1", "exclusion", "foo"),
        ("foo 3", "partial", "foo"),
        ("foo 3.2", "partial", "foo"),
        ("  foo   3.2 ", "partial", "foo"),
        ("foo[extra] 3.2", "partial", "foo"),
    ],
)
def test_parse_pin(text: str, kind: str, project: str) -> None:
    request = parse_pin(text, channel="foo-stable")
    assert (request.kind, request.project) == (kind, project)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("foo", "no version"),
        ("foo>=3.2", "a range"),
        ("foo~=3.2", "a range"),
        ("foo>=3,<4", "a range"),
        ("foo==3.2.*", "write the partial pin 'foo 3.2'"),
        ("foo==3.2.0; python_version < '3.12'", "marker"),
        ("foo @ https://example.org/foo-1.0.tar.gz", "URL"),
        ("foo 3.x", "not a channel pin"),
        ("foo ==", "not a channel pin"),
        ("", "not a channel pin"),
        ("foo 3.2 4", "not a channel pin"),
    ],
)
def test_bad_pin(text: str, why: str) -> None:
    with pytest.raises(ConfigError, match="not a channel pin") as caught:
        parse_pin(text)
    assert why in str(caught.value)


def test_a_channel_cannot_pin_itself() -> None:
    with pytest.raises(ConfigError, match="cannot pin itself"):
        parse_pin("Foo.Stable==1.0", channel="foo-stable")


LISTED = files(
    "foo",
    "2.9.0",
    "3.1.4",
    "3.2.0",
    "3.2.1",
    "3.2.2",
    "3.2.3rc1",
    "3.2.4.dev2",
    "3.2.5",
    "3.3.0b1",
    "4.0.0a1",
    yanked=("3.2.5",),
)


@pytest.mark.parametrize(
    ("text", "requirement"),
    [
        ("foo==3.2.0", "foo==3.2.0"),
        ("foo>=3.2.0,!=3.2.1", "foo!=3.2.1,>=3.2.0"),
        ("foo 3.2", "foo==3.2.2"),  # 3.2.5 yanked, 3.2.3rc1 and 3.2.4.dev2 not final
        ("foo 3", "foo==3.2.2"),  # 3.3.0b1 is a pre-release
        ("foo 3.1", "foo==3.1.4"),
        ("foo 2", "foo==2.9.0"),
        ("foo[cli] 3.2", "foo[cli]==3.2.2"),
        ("foo==3.2.3rc1", "foo==3.2.3rc1"),  # asked for exactly
    ],
)
def test_resolve_pin(text: str, requirement: str) -> None:
    pin = resolve_pin(parse_pin(text), LISTED)
    assert pin.requirement == requirement
    assert pin.notes == ()


def test_resolve_pin_posts_count_and_versions_normalise() -> None:
    listed = files("foo", "3.2", "3.2.1", "3.2.1.post1", "3.10.0")
    assert resolve_pin(parse_pin("foo 3.2"), listed).requirement == "foo==3.2.1.post1"
    assert resolve_pin(parse_pin("foo 3"), listed).requirement == "foo==3.10.0"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo 5", "no final release of foo in 5.*"),
        ("foo 4", "no final release of foo in 4.*"),  # only 4.0.0a1
        ("foo 3.3", "no final release of foo in 3.3.*"),  # only 3.3.0b1
        ("foo==9.9", "matches no release of foo"),
        ("foo>=5,!=5.1", "matches no release of foo"),
        ("foo<3,!=2.9.0", "matches no release of foo"),
    ],
)
def test_resolve_pin_without_a_match(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        resolve_pin(parse_pin(text), LISTED)
    assert caught.value.exit_code == 2
    assert "3.2.2" in str(caught.value)  # says what the index has


def test_resolve_pin_on_a_yanked_release_or_without_an_index() -> None:
    pin = resolve_pin(parse_pin("foo==3.2.5"), LISTED)
    assert pin.requirement == "foo==3.2.5"
    assert "yanked" in pin.notes[0]
    unchecked = resolve_pin(parse_pin("foo==3.2.5"), None)
    assert unchecked.requirement == "foo==3.2.5"
    assert "not checked" in unchecked.notes[0]
    pre = resolve_pin(parse_pin("foo>=3.2.3,!=3.2.5"), LISTED)  # no final release matches
    assert pre.requirement == "foo!=3.2.5,>=3.2.3"
    assert "only pre-releases" in pre.notes[0]
    assert "(4.0.0a1)" in pre.notes[0]  # what pip would pick
    with pytest.raises(ConfigError, match="--index"):
        resolve_pin(parse_pin("foo 3.2"), None)
    with pytest.raises(ConfigError, match="it has: no releases"):
        resolve_pin(parse_pin("foo 3.2"), [])


# --- the package text ---------------------------------------------------------------------


def test_package_text_says_what_and_when() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    pin = resolve_pin(parse_pin("foo 3.2"), LISTED)
    version = Version("2026.11.21.1")
    readme = readme_text("Foo_Stable", version, pin, DAY)
    assert "Points at: `foo==3.2.2`" in readme
    assert "Moved: 2026-11-21 (channel version 2026.11.21.1)" in readme
    assert "`foo 3.2`" in readme
    assert "pip install --upgrade foo-stable" in readme
    project = tomllib.loads(pyproject_text("Foo_Stable", version, pin, DAY))["project"]
    assert project["name"] == "foo-stable"
    assert project["version"] == "2026.11.21.1"
    assert project["dependencies"] == ["foo==3.2.2"]
    assert "foo==3.2.2" in project["description"]
    assert "2026-11-21" in project["description"]
    quoted = Pin('foo[a"b]==1', parse_pin("foo==1"))  # TOML-escaped, whatever the text
    assert tomllib.loads(pyproject_text("x", version, quoted, DAY))["project"]["dependencies"] == [
        'foo[a"b]==1'
    ]


# --- history ------------------------------------------------------------------------------


def wheel_bytes(name: str, version: str, *requires: str) -> bytes:
    module = name.replace("-", "_")
    meta = f"Metadata-Version: 2.4\nName: {name}\nVersion: {version}\n"
    meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr(f"{module}-{version}.dist-info/METADATA", meta + "\nreadme\n")
        wheel.writestr(f"{module}-{version}.dist-info/WHEEL", "Wheel-Version: 1.0\n")
    return buffer.getvalue()


def test_requires_from_wheel() -> None:
    assert requires_from_wheel(wheel_bytes("s", "1", "foo==3.2.1")) == ("foo==3.2.1",)
    assert requires_from_wheel(wheel_bytes("s", "1")) == ()
    with pytest.raises(ValueError, match="zip"):
        requires_from_wheel(b"not a zip")


def test_channel_versions_newest_first_and_current_skips_yanked() -> None:
    listed = files("s", "2026.11.21", "2026.11.21.1", "2026.11.21.2", yanked=("2026.11.21.2",))
    listed.append(IndexFile("s-2026.11.22.tar.gz", "http://i/x", None, False))  # sdist only
    versions = channel_versions(listed)
    assert [str(v.version) for v in versions] == [
        "2026.11.22",
        "2026.11.21.2",
        "2026.11.21.1",
        "2026.11.21",
    ]
    assert versions[0].wheel is None
    assert [v.has_sdist for v in versions] == [True, True, True, True]
    assert not channel_versions(listed[:1])[0].has_sdist  # a wheel alone: an incomplete set
    assert [v.yanked for v in versions] == [False, True, False, False]
    assert versions[1].moved == DAY
    current = current_version(versions)
    assert current is not None
    assert str(current.version) == "2026.11.22"
    assert current_version([v for v in versions if v.wheel is not None]) == versions[2]
    assert current_version([versions[1]]) is None
    assert ChannelVersion(Version("1.0"), None, False).moved is None


# --- the command, fast ------------------------------------------------------------------------


def cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["channel", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pin", "foo>=3"], "not a channel pin"),
        (["--pin", "foo==1", "--date", "21.11.2026"], "YYYY-MM-DD"),
        (["--pin", "foo 3"], "resolved against the target index"),
        (["--pin", "foo==1", "--repository-url", "http://127.0.0.1:9/"], "only with --upload"),
        (["--show"], "--show reads the channel"),
        (["--show", "--upload", "--index", "http://127.0.0.1:9/simple/"], "not go with"),
    ],
)
def test_bad_input_exits_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = cli("foo-stable", *args, capsys=capsys)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert cli("not a name!", "--pin", "foo==1", capsys=capsys)[0] == 2


@pytest.mark.parametrize(
    "args", [["--pin", "foo==1.0"], ["--pin", "foo 1"], ["--show"]], ids=["full", "partial", "show"]
)
def test_unreachable_index_exits_4(
    args: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _out, err = cli(
        "foo-stable", *args, "--index", "http://127.0.0.1:9/simple/", "--out", str(tmp_path),
        capsys=capsys,
    )  # fmt: skip
    assert code == 4
    assert "127.0.0.1:9" in err
    assert "Connection refused" in err
    assert list(tmp_path.iterdir()) == []  # nothing built


@pytest.fixture
def static_index() -> Iterator[StaticHTTPServer]:
    with StaticHTTPServer() as server:
        yield server


def serve_channel(
    server: StaticHTTPServer, name: str, wheels: dict[str, tuple[bytes, bool]]
) -> None:
    """A PEP 503 page for ``name`` with the given wheels (bytes, yanked); sha256 listed."""
    module = name.replace("-", "_")
    links = []
    for version, (data, yanked) in wheels.items():
        filename = f"{module}-{version}-py3-none-any.whl"
        digest = hashlib.sha256(data).hexdigest()
        flag = " data-yanked" if yanked else ""
        links.append(f'<a href="/files/{filename}#sha256={digest}"{flag}>{filename}</a>')
        server.routes[f"/files/{filename}"] = Route(200, data)
    server.routes["/simple/"] = html_route(f'<a href="{name}/">{name}</a>')
    server.routes[f"/simple/{name}/"] = html_route("\n".join(links))


def test_show_reads_the_pins_from_the_wheels(
    static_index: StaticHTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_channel(
        static_index,
        "foo-stable",
        {
            "2026.11.21": (wheel_bytes("foo-stable", "2026.11.21", "foo==3.2.1"), False),
            "2026.11.21.1": (wheel_bytes("foo-stable", "2026.11.21.1", "foo==3.2.0"), False),
            "2026.11.22": (wheel_bytes("foo-stable", "2026.11.22", "foo==3.2.9"), True),
        },
    )
    index = f"{static_index.url}/simple/"
    code, out, err = cli(
        "foo-stable", "--show", "--index", index, "--format", "json", capsys=capsys
    )
    assert code == 0, err
    shown = json.loads(out)
    assert shown["current"]["version"] == "2026.11.21.1"  # 2026.11.22 is yanked
    assert shown["current"]["pin"] == "foo==3.2.0"
    assert [(h["version"], h["pin"], h["yanked"]) for h in shown["history"]] == [
        ("2026.11.22", "foo==3.2.9", True),
        ("2026.11.21.1", "foo==3.2.0", False),
        ("2026.11.21", "foo==3.2.1", False),
    ]
    code, out, _err = cli("foo-stable", "--show", "--index", index, capsys=capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "foo-stable points at foo==3.2.0 (version 2026.11.21.1, moved 2026-11-21)"
    assert "(yanked)" in lines[2]
    assert "foo==3.2.9" in lines[2]
    code, _out, err = cli("bar-stable", "--show", "--index", index, capsys=capsys)
    assert code == 2
    assert "bar-stable is not on the index" in err


def test_show_refuses_a_wheel_that_is_not_what_the_index_lists(
    static_index: StaticHTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    data = wheel_bytes("foo-stable", "2026.11.21", "foo==3.2.1")
    serve_channel(static_index, "foo-stable", {"2026.11.21": (data, False)})
    static_index.routes["/files/foo_stable-2026.11.21-py3-none-any.whl"] = Route(200, b"lies")
    index = f"{static_index.url}/simple/"
    code, _out, err = cli("foo-stable", "--show", "--index", index, capsys=capsys)
    assert code == 4
    assert "do not match the sha256" in err


# --- the rollback story, with pypiserver and pip -------------------------------------------


def channel(
    server: IndexServer, *args: str, cwd: Path, upload: bool = True
) -> subprocess.CompletedProcess[str]:
    """``python -m vcrelease channel ...`` with the server's credentials in TWINE_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "VCRELEASE_"))}
    env.update(
        TWINE_USERNAME=server.username,
        TWINE_PASSWORD=server.password,
        HOME=str(cwd),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        NO_PROXY="*",
    )
    where = ["--index", server.index_url]
    if upload:
        where += ["--upload", "--repository-url", server.upload_url, "--no-progress"]
    return subprocess.run(
        [sys.executable, "-m", "vcrelease", "channel", *args, *where],
        env=env, cwd=cwd, capture_output=True, text=True, check=False, timeout=180,
    )  # fmt: skip


class Customer:
    """A fresh venv that runs ``pip install --upgrade <channel>`` against one index."""

    def __init__(self, path: Path, index_url: str) -> None:
        venv.create(path, with_pip=True)
        self.python = path / ("Scripts" if os.name == "nt" else "bin") / "python"
        self.index_url = index_url
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        self.env.update(PIP_CONFIG_FILE=os.devnull, NO_PROXY="*", PYTHONWARNINGS="ignore")

    def upgrade(self, channel_name: str) -> None:
        result = subprocess.run(
            [str(self.python), "-m", "pip", "install", "--upgrade", channel_name,
             "--index-url", self.index_url, "--no-cache-dir", "--disable-pip-version-check"],
            env=self.env, capture_output=True, text=True, check=False, timeout=180,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr

    def version(self, project: str) -> str:
        code = f"import importlib.metadata as m; print(m.version({project!r}))"
        result = subprocess.run(
            [str(self.python), "-c", code],
            env=self.env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return result.stdout.strip()


@pytest.mark.slow
def test_rollback_story_with_pip(
    pypiserver_nofallback_index: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    server = pypiserver_nofallback_index
    foo, stable = unique_project, f"{unique_project}-stable"
    for version in ("3.2.0", "3.2.1"):
        server.upload(make_dists(tmp_path / "foo", foo, version, payload=version))
    day = ("--date", "2026-11-21")

    first = channel(
        server, stable, "--pin", f"{foo}==3.2.1", *day, "--format", "json", cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert (report["project"], report["version"]) == (stable, "2026.11.21")
    assert {f["outcome"] for f in report["files"]} == {"uploaded"}
    built = tmp_path / "dist" / f"{stable.replace('-', '_')}-2026.11.21-py3-none-any.whl"
    metadata = (
        zipfile.ZipFile(built)
        .read(f"{stable.replace('-', '_')}-2026.11.21.dist-info/METADATA")
        .decode()
    )
    assert f"Requires-Dist: {foo}==3.2.1" in metadata
    assert f"Points at: `{foo}==3.2.1`" in metadata
    assert "Moved: 2026-11-21" in metadata

    customer = Customer(tmp_path / "venv", server.index_url)
    customer.upgrade(stable)
    assert customer.version(foo) == "3.2.1"

    # 3.2.1 is bad: roll back, the same day
    back = channel(server, stable, "--pin", f"{foo}==3.2.0", *day, "--format", "json", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    assert f"{stable} 2026.11.21.1 -> {foo}==3.2.0" in json.loads(back.stdout)["message"]
    customer.upgrade(stable)
    assert customer.version(foo) == "3.2.0"  # pip downgraded it
    assert customer.version(stable) == "2026.11.21.1"

    # a scheduled re-run with the same pin changes nothing
    again = channel(server, stable, "--pin", f"{foo}==3.2.0", *day, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "already points at" in again.stdout
    # a date behind the index is refused before anything is built
    behind = channel(server, stable, "--pin", f"{foo}==3.2.1", "--date", "2026-11-20", cwd=tmp_path)
    assert behind.returncode == 2
    assert "already has version 2026.11.21.1" in behind.stderr

    # the fix, and the channel follows the series
    server.upload(make_dists(tmp_path / "foo", foo, "3.2.2", payload="3.2.2"))
    forward = channel(server, stable, "--pin", f"{foo} 3.2", *day, "--format", "json", cwd=tmp_path)
    assert forward.returncode == 0, forward.stderr
    assert f"{stable} 2026.11.21.2 -> {foo}==3.2.2" in json.loads(forward.stdout)["message"]
    customer.upgrade(stable)
    assert customer.version(foo) == "3.2.2"

    shown = channel(server, stable, "--show", "--format", "json", cwd=tmp_path, upload=False)
    assert shown.returncode == 0, shown.stderr
    history = json.loads(shown.stdout)
    assert history["current"]["pin"] == f"{foo}==3.2.2"
    assert [(h["version"], h["pin"]) for h in history["history"]] == [
        ("2026.11.21.2", f"{foo}==3.2.2"),
        ("2026.11.21.1", f"{foo}==3.2.0"),
        ("2026.11.21", f"{foo}==3.2.1"),
    ]
    table = channel(server, stable, "--show", cwd=tmp_path, upload=False)
    assert table.stdout.splitlines()[0].startswith(f"{stable} points at {foo}==3.2.2")


@pytest.mark.slow
def test_build_is_reproducible_and_checked_against_the_index(
    pypiserver_nofallback_index: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    server = pypiserver_nofallback_index
    foo, stable = unique_project, f"{unique_project}-stable"
    server.upload(make_dists(tmp_path / "foo", foo, "1.0.0", payload="1"))
    server.upload(make_dists(tmp_path / "foo", foo, "1.1.0rc1", payload="rc"))
    runs = []
    for out in ("a", "b"):
        result = channel(
            server, stable, "--pin", f"{foo} 1", "--date", "2026-11-21", "--out", out,
            "--format", "json", cwd=tmp_path, upload=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        runs.append(json.loads(result.stdout))
    assert runs[0]["pin"] == f"{foo}==1.0.0"  # 1.1.0rc1 is not final
    assert runs[0]["version"] == "2026.11.21"
    assert [f["sha256"] for f in runs[0]["files"]] == [f["sha256"] for f in runs[1]["files"]]
    assert not (tmp_path / "dist").exists()  # --out was used

    no_match = channel(server, stable, "--pin", f"{foo} 1.1", cwd=tmp_path, upload=False)
    assert no_match.returncode == 2
    assert f"no final release of {foo} in 1.1.*" in no_match.stderr
    missing = channel(server, stable, "--pin", f"{foo}==2.0", cwd=tmp_path, upload=False)
    assert missing.returncode == 2
    assert "matches no release" in missing.stderr
    assert server.listing(stable).files == ()


def test_documented_channel_commands_parse() -> None:
    import shlex

    from vcrelease.cli.main import build_parser

    page = Path(__file__).resolve().parent.parent / "docs" / "howto" / "channels.md"
    section = page.read_text(encoding="utf-8")
    calls = [
        shlex.split(line, comments=True)
        for line in section.splitlines()
        if line.startswith("vcrelease channel ")
    ]
    assert len(calls) >= 4
    for call in calls:
        args = build_parser("channel").parse_args(call[1:])
        assert args.command == "channel"
