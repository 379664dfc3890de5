"""Shared test helpers: run git with a fixed identity and dates, run the ``vcrelease`` CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ENV = {
    "GIT_AUTHOR_NAME": "Ada",
    "GIT_AUTHOR_EMAIL": "ada@example.org",
    "GIT_COMMITTER_NAME": "Ada",
    "GIT_COMMITTER_EMAIL": "ada@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str, when: int = 0) -> str:
    date = f"2026-01-01T00:{when // 60:02d}:{when % 60:02d}Z"
    env = {**os.environ, **ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    out = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def run(*args: str | Path, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("VCRELEASE_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "vcrelease", *map(str, args)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
    )
