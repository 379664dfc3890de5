"""What ``vc-upload`` loads and does when nothing needs uploading (the no-op's speed).

A no-op re-run (every file already on the index with our sha256) must not import twine, its
renderers or requests-toolbelt: they cost about 0.25 s of start-up and are only needed to send
a file. The checks twine does (metadata, ``twine check``) still run, before any upload, on the
files that are sent. And the upload URL taken without twine is the one twine would use.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from distfiles import make_dists
from servers import IndexServer
from test_upload import NO_KEYRING, tagged_repo
from vcrelease.publish.target import explicit_upload_url

UPLOAD_ONLY = ("twine", "readme_renderer", "requests_toolbelt", "docutils", "keyring")
"""Top-level packages a run needs only when it uploads a file."""


def run_with_importtime(
    server: IndexServer, files: list[Path], repo: Path
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """``python -X importtime -m vcrelease upload ... --format json``: the result and the
    top-level packages of every module imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "VCRELEASE_"))}
    env.update(
        TWINE_USERNAME=server.username,
        TWINE_PASSWORD=server.password,
        HOME=str(repo),
        PYTHON_KEYRING_BACKEND=NO_KEYRING,
    )
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "vcrelease", "upload", *map(str, files),
         "--repository-url", server.upload_url, "--index-url", server.index_url,
         "--project-dir", str(repo), "--no-progress", "--format", "json"],
        env=env, capture_output=True, text=True, check=False, timeout=180,
    )  # fmt: skip
    imported = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    return result, imported


def outcomes(result: subprocess.CompletedProcess[str]) -> set[str]:
    assert result.returncode == 0, result.stderr[-3000:]
    return {f["outcome"] for f in json.loads(result.stdout)["files"]}


@pytest.mark.slow
@pytest.mark.parametrize("index", ["pypiserver_nofallback_index", "devpi_production"])
def test_a_no_op_rerun_does_not_import_twine(
    index: str, request: pytest.FixtureRequest, tmp_path: Path, unique_project: str
) -> None:
    server: IndexServer = request.getfixturevalue(index)
    files = make_dists(tmp_path / "dist", unique_project, "1.0.0", payload="speed")
    repo = tagged_repo(tmp_path / "repo", "v1.0.0")
    first, loaded = run_with_importtime(server, files, repo)
    assert outcomes(first) == {"uploaded"}
    assert "twine" in loaded  # the detection works: an upload does import it
    again, loaded = run_with_importtime(server, files, repo)
    assert outcomes(again) == {"skipped"}
    assert "requests" in loaded  # the index was read
    assert not loaded & set(UPLOAD_ONLY), sorted(loaded & set(UPLOAD_ONLY))


@pytest.mark.slow
def test_a_file_to_upload_still_gets_twines_checks_before_any_upload(
    pypiserver_nofallback_index: IndexServer, tmp_path: Path, unique_project: str
) -> None:
    """The metadata check left out of the plan runs on the files to upload, before the first
    upload: a wheel renamed to another version is exit 2 and nothing reaches the index."""
    server = pypiserver_nofallback_index
    wheel, _sdist = make_dists(tmp_path / "dist", unique_project, "1.0.0", payload="x")
    renamed = tmp_path / "renamed" / wheel.name.replace("1.0.0", "2.0.0")
    renamed.parent.mkdir()
    shutil.copy(wheel, renamed)
    repo = tagged_repo(tmp_path / "repo", "v2.0.0")
    result, _loaded = run_with_importtime(server, [renamed], repo)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "metadata inside says" in result.stderr
    assert not server.listing(unique_project).exists


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/",
        "http://127.0.0.1:3141/ci/production/",
        "https://upload.pypi.org/legacy/",
        "http://upload.pypi.org/legacy/",
        "https://test.pypi.org/legacy/",
        "https://example.org/upload?x=1",
        "https://Example.org:8443/a/b",
    ],
)
def test_the_upload_url_taken_without_twine_is_twines(url: str) -> None:
    from twine.utils import get_repository_from_config

    expected = get_repository_from_config("/nonexistent", "pypi", url)["repository"]
    assert explicit_upload_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "https://user:secret@example.org/",  # twine takes credentials from the URL
        "https://pypi.python.org/",  # twine refuses it, and says why
        "ftp://example.org/",
        "example.org/upload",
        "HTTPS://example.org/",  # twine's scheme check is case-sensitive
    ],
)
def test_urls_twine_must_judge_are_left_to_twine(url: str | None) -> None:
    assert explicit_upload_url(url) is None


def test_the_description_types_not_rendered_are_twines() -> None:
    """``twine check`` renders no Markdown or plain text ("rendering cannot fail"), so the
    check skips importing it for them; if twine starts rendering them, this fails."""
    from twine.commands.check import _RENDERERS

    from vcrelease.publish.twineadapter import UNRENDERED_TYPES

    assert {t for t, renderer in _RENDERERS.items() if t and not renderer} == UNRENDERED_TYPES


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [(None, False), ("text/x-rst", False), ("text/markdown", True), ("text/plain", True)],
)
def test_a_description_that_does_not_render_is_still_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content_type: str | None, ok: bool
) -> None:
    """Broken reStructuredText (the default type) fails the check; as Markdown or text it
    cannot fail, as in twine check."""
    from vcrelease.errors import ConfigError
    from vcrelease.publish.dists import check_contents, plan_files

    monkeypatch.syspath_prepend(Path(__file__).resolve().parent.parent / "benchmarks")
    import upload as bench  # the benchmark's wheel writer

    metadata = bench._metadata("rst-demo").replace(
        b"Description-Content-Type: text/markdown\n",
        b"" if content_type is None else f"Description-Content-Type: {content_type}\n".encode(),
    )
    metadata = metadata.split(b"\n\n")[0] + b"\n\nTitle\n=\n\n.. broken-directive::\n\n`x <\n"
    wheel = bench.write_wheel(tmp_path, "rst-demo", "py3-none-any", b"x", metadata=metadata)
    plan = plan_files([wheel], check_contents=False)
    if ok:
        check_contents(plan.files)
    else:
        with pytest.raises(ConfigError, match="twine check"):
            check_contents(plan.files)


TWINE_PRIVATE = ("_upload", "_RENDERERS", "_parse_content_type", "_WarningStream")
"""twine's private names vcrelease uses (``publish/twineadapter.py``)."""


def test_twines_private_names_exist_and_only_the_adapter_uses_them() -> None:
    """The installed twine (within the bound of ``pyproject.toml``) still has every private
    name the adapter uses, and no other module of the package names one."""
    import re

    from twine.commands import check
    from twine.repository import Repository

    assert callable(Repository._upload)
    for name in TWINE_PRIVATE[1:]:
        assert hasattr(check, name), name
    source = Path(__file__).resolve().parent.parent / "src" / "vcrelease"
    users = {
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if re.search(r"\b(?:" + "|".join(TWINE_PRIVATE) + r")\b", path.read_text("utf-8"))
    }
    assert users == {"publish/twineadapter.py"}
