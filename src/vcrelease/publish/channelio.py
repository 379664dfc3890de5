"""Rollback channels, the I/O part: build a channel's wheel and sdist with ``python -m build``
(the build frontend of PEP 517 / PEP 518), and read a channel version's pin from its wheel on
the index.

The rules (pin, version, package text, history) are :mod:`vcrelease.publish.channel`, pure;
this module runs the build and the downloads they call for. Downloads go through
:func:`vcrelease.publish.indexclient.download` (same host as the listing only), and a wheel's
pin is its core metadata ``Requires-Dist`` (:func:`vcrelease.publish.channel.requires_from_wheel`).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import requests
from packaging.metadata import RawMetadata
from packaging.version import Version

from ..errors import ConfigError, redact_text
from .channel import Pin, pyproject_text, readme_text, source_date_epoch, wheel_metadata
from .indexclient import download
from .simpleapi import IndexFile, IndexUnavailableError

__all__ = ["MAX_WHEEL_BYTES", "build_channel", "read_metadata", "read_requires"]

MAX_WHEEL_BYTES = 5 * 1024 * 1024
"""A channel wheel is metadata only; a bigger file is not read (it is not a channel)."""


def build_channel(channel: str, version: Version, pin: Pin, day: date, out: Path) -> list[Path]:
    """Build the channel's wheel and sdist into ``out``; returns ``[wheel, sdist]``.

    Runs ``python -m build`` with this interpreter: ``--no-isolation`` when hatchling is
    importable here, else an isolated build (pip installs hatchling). ``SOURCE_DATE_EPOCH``
    is midnight UTC of ``day``. Files of the same names in ``out`` are replaced.

    Raises:
        ConfigError: ``build`` is not installed, or the build fails (exit 2).
    """
    if importlib.util.find_spec("build") is None:
        raise ConfigError(
            "Building a channel needs the `build` package (python -m build): "
            "python -m pip install build"
        )
    with tempfile.TemporaryDirectory(prefix="vcrelease-channel-") as tmp:
        project, built = Path(tmp) / "project", Path(tmp) / "dist"
        project.mkdir()
        (project / "pyproject.toml").write_text(
            pyproject_text(channel, version, pin, day), encoding="utf-8"
        )
        (project / "README.md").write_text(
            readme_text(channel, version, pin, day), encoding="utf-8"
        )
        command = [sys.executable, "-m", "build", "--outdir", str(built)]
        if importlib.util.find_spec("hatchling") is not None:
            command.append("--no-isolation")
        command.append(str(project))
        env = {k: v for k, v in os.environ.items() if not k.startswith("HATCH_")}
        env["SOURCE_DATE_EPOCH"] = str(source_date_epoch(day))
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, check=False, cwd=tmp
        )
        wheels, sdists = sorted(built.glob("*.whl")), sorted(built.glob("*.tar.gz"))
        if result.returncode != 0 or len(wheels) != 1 or len(sdists) != 1:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-8:])
            raise ConfigError(
                f"Building the channel {channel} {version} with python -m build failed "
                f"(exit {result.returncode}). Its output ends with:\n{tail}\nInstall hatchling "
                "(python -m pip install hatchling) to build without network access."
            )
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for path in (wheels[0], sdists[0]):
            target = out / path.name
            shutil.copyfile(path, target)
            paths.append(target)
    return paths


def read_requires(
    session: requests.Session, item: IndexFile, *, index_url: str, timeout: float = 30.0
) -> tuple[str, ...]:
    """``Requires-Dist`` of a listed channel wheel (:func:`read_metadata`).

    Raises:
        IndexUnavailableError: as :func:`read_metadata` (exit 4).
    """
    return tuple(
        read_metadata(session, item, index_url=index_url, timeout=timeout).get("requires_dist")
        or ()
    )


def read_metadata(
    session: requests.Session, item: IndexFile, *, index_url: str, timeout: float = 30.0
) -> RawMetadata:
    """Download a listed channel wheel (:func:`vcrelease.publish.indexclient.download`: same
    host as its listing only, at most :data:`MAX_WHEEL_BYTES`), check its listed sha256, and
    return its core metadata (:func:`vcrelease.publish.channel.wheel_metadata`).

    Raises:
        IndexUnavailableError: another host, a failed or oversized download, bytes that do not
            match the listed sha256, or a file that is not a wheel (exit 4).
    """
    safe = redact_text(item.url)

    def fail(why: str) -> IndexUnavailableError:
        return IndexUnavailableError(
            f"reading the channel wheel {item.filename} from {safe} failed: {why}.", url=safe
        )

    chunks: list[bytes] = []
    listed = replace(item, page_url=item.page_url or index_url)
    digest = download(session, listed, chunks.append, timeout=timeout, limit=MAX_WHEEL_BYTES)
    if item.sha256 is not None and digest != item.sha256:
        raise fail(f"the bytes do not match the sha256 the index lists ({item.sha256})")
    try:
        return wheel_metadata(b"".join(chunks))
    except ValueError as exc:
        raise fail(f"it is not a readable wheel ({exc})") from None
