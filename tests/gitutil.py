"""The one way the tests run git, and the way they run the ``vcrelease`` CLI.

Every git command of the tests goes through :func:`run_git` (or its two shorthands
:func:`git` and :func:`git_bytes`) with :func:`git_env`: the caller's ``GIT_*`` variables are
dropped (a ``GIT_DIR`` or ``GIT_INDEX_FILE`` from the shell would point the command at another
repository), user and system configuration are ignored, and the identities and dates are fixed,
so the same steps give the same object ids on every machine. Dates are
:data:`BASE_DATE` plus ``when`` seconds: tests that need an order of commits pass growing
``when`` values. Variables a test is about (``GIT_INDEX_FILE``, ``GIT_DIR``...) are passed
with ``env``, never inherited; a test comparing vcrelease with git gives this process the
same environment with :func:`isolate_like_git`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

BASE_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)
AUTHOR = ("Ada Builder", "ada@example.invalid")
COMMITTER = ("Cid Committer", "cid@example.invalid")
# Settings every test repository gets: a fixed initial branch name and no advice on stderr.
GIT_OPTIONS = ("-c", "init.defaultBranch=main", "-c", "advice.nestedTag=false")
ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": AUTHOR[0],
    "GIT_AUTHOR_EMAIL": AUTHOR[1],
    "GIT_COMMITTER_NAME": COMMITTER[0],
    "GIT_COMMITTER_EMAIL": COMMITTER[1],
    "GIT_TERMINAL_PROMPT": "0",
}
"""The fixed part of :func:`git_env` (no dates), for processes that must see the same
isolated git configuration and identities, e.g. ``vcrelease`` itself or ``git`` run by hand
with extra variables."""


def _dropped(name: str) -> bool:
    """Whether :func:`git_env` leaves the variable ``name`` of this process out."""
    return name.startswith("GIT_") or name in {"EMAIL", "XDG_CONFIG_HOME"}


def git_env(when: int = 0, object_format: str = "sha1") -> dict[str, str]:
    """The environment of a git command: this process's, less every ``GIT_*`` variable,
    ``EMAIL`` and ``XDG_CONFIG_HOME``, plus isolated configuration, the fixed identities and
    the date ``BASE_DATE + when`` seconds (author and committer alike); ``object_format``
    ``sha256`` makes ``git init`` create SHA-256 repositories (``GIT_DEFAULT_HASH``)."""
    stamp = f"@{int(BASE_DATE.timestamp()) + when} +0000"
    env = {k: v for k, v in os.environ.items() if not _dropped(k)}
    env.update(ENV, GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp, LC_ALL="C", LANG="C")
    if object_format != "sha1":
        env["GIT_DEFAULT_HASH"] = object_format
    return env


def isolate_like_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's environment as :func:`git_env` makes git's (its ``GIT_*`` variables,
    ``EMAIL`` and ``XDG_CONFIG_HOME`` removed, :data:`ENV` set), for tests that compare
    vcrelease, run in this process or with its environment, with git: both then read the same
    configuration and no repository named by a variable of the shell."""
    for name in [k for k in os.environ if _dropped(k)]:
        monkeypatch.delenv(name)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def run_git(
    args: list[str],
    cwd: Path,
    *,
    when: int = 0,
    check: bool = True,
    object_format: str = "sha1",
    env: Mapping[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``git ARGS`` in ``cwd`` with :func:`git_env` (of ``when`` and ``object_format``);
    its output is text. ``env`` adds variables on top of that environment, e.g. the
    ``GIT_INDEX_FILE`` or ``GIT_DIR`` a test is about (they win over :func:`git_env`'s own);
    ``input`` is the text on git's stdin (none: stdin is inherited, as before). With
    ``check``, a failure raises ``RuntimeError`` carrying the command and its output;
    without, the caller reads ``returncode``."""
    cmd = ["git", *GIT_OPTIONS, *args]
    full_env = {**git_env(when, object_format), **(env or {})}
    proc = subprocess.run(
        cmd, cwd=cwd, env=full_env, input=input, capture_output=True, text=True, check=False
    )
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} in {cwd} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
        )
    return proc


def git(cwd: Path, *args: str, when: int = 0) -> str:
    """``git ARGS`` in ``cwd`` (see :func:`run_git`); its stdout, stripped."""
    return run_git(list(args), cwd, when=when).stdout.strip()


def linear_history(path: Path, count: int, tag_at: int) -> list[str]:
    """A new repository at ``path``: ``count`` empty commits in a line (loose objects only),
    one second apart, ``v1.0`` on commit ``tag_at``. Returns their ids, oldest first."""
    path.mkdir()
    git(path, "init", "-q")
    for i in range(count):
        git(path, "commit", "-q", "--allow-empty", "-m", f"c{i}", when=i)
        if i == tag_at:
            git(path, "tag", "v1.0")
    return git(path, "rev-list", "--reverse", "HEAD").split()


def git_bytes(
    cwd: Path,
    *args: str,
    when: int = 0,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
) -> bytes:
    """``git ARGS`` in ``cwd`` with :func:`git_env` plus ``env`` (as :func:`run_git`); its
    stdout as bytes (paths that are not UTF-8, binary output). ``input`` is the bytes on
    git's stdin (a pack for ``unpack-objects``). A failure raises
    ``subprocess.CalledProcessError``."""
    cmd = ["git", *GIT_OPTIONS, *args]
    full_env = {**git_env(when), **(env or {})}
    done = subprocess.run(cmd, cwd=cwd, env=full_env, input=input, check=True, capture_output=True)
    return done.stdout


def fast_import(path: Path, lines: list[str], object_format: str = "sha1") -> None:
    """A new repository at ``path`` (``git init -b main``, of ``object_format``; the directory
    is made if missing) holding the ``git fast-import`` stream ``lines`` (one command or data
    line each)."""
    path.mkdir(parents=True, exist_ok=True)
    run_git(["init", "-q", "-b", "main", f"--object-format={object_format}"], path)
    run_git(["fast-import", "--quiet"], path, input="\n".join(lines) + "\n")


def run(
    *args: str | Path, cwd: Path | str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """``python -m vcrelease ARGS`` with this process's environment less ``VCRELEASE_*``,
    plus ``env``."""
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
