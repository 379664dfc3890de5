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

Repositories are made with :func:`new_repo` (a tagged first commit and a line after it) and
grown with :func:`commit`; :func:`git_describe` is the one reader of ``git describe``'s
``TAG-DISTANCE-gNODE[-dirty]`` text (git-describe(1), "--long", "--dirty"), the oracle of
the tests that hold vcrelease's tag and distance against git's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

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


def _write(target: Path, content: str | bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")


def commit(
    path: Path, message: str, files: Mapping[str, str | bytes | None] | None = None, when: int = 0
) -> None:
    """A commit in the repository at ``path`` dated ``when`` (see :func:`git_env`) with
    ``message``: each of ``files`` (a path relative to ``path`` -> its new text or bytes, or
    None to remove it with ``git rm``) written and staged first, nothing else staged; no
    files makes an empty commit."""
    for name, content in (files or {}).items():
        if content is None:
            run_git(["rm", "-rq", "--", name], path)
        else:
            _write(path / name, content)
            run_git(["add", "--", name], path)
    run_git(["commit", "-q", "--allow-empty", "-m", message], path, when=when)


def new_repo(
    path: Path,
    *,
    files: Mapping[str, str | bytes] | None = None,
    pyproject: str | None = None,
    tags: Sequence[str] = (),
    annotated: bool = False,
    commits_after_tag: int = 0,
    object_format: str = "sha1",
) -> Path:
    """A new repository at ``path`` on branch ``main`` (the directory and its parents made if
    missing), of ``object_format``: a first commit ``first`` at :data:`BASE_DATE` holding
    ``files``, ``pyproject`` as ``pyproject.toml`` and whatever ``path`` held already
    (``git add -A``); ``tags`` on it, in order (``annotated``: ``git tag -a`` with the name
    as the message); then ``commits_after_tag`` empty commits ``change 1``... one second
    apart. Returns ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    run_git(["init", "-q", "-b", "main", f"--object-format={object_format}"], path)
    first: dict[str, str | bytes] = dict(files or {})
    if pyproject is not None:
        first["pyproject.toml"] = pyproject
    for name, content in first.items():
        _write(path / name, content)
    run_git(["add", "-A"], path)
    run_git(["commit", "-q", "--allow-empty", "-m", "first"], path)
    for tag in tags:
        run_git(["tag", *(["-a", "-m", tag] if annotated else []), tag], path)
    for i in range(1, commits_after_tag + 1):
        commit(path, f"change {i}", when=i)
    return path


class Described(NamedTuple):
    """``git describe --tags --long``'s answer: the tag, the distance (commits since it), the
    node (HEAD's id, abbreviated as git printed it) and ``--dirty``'s mark."""

    tag: str
    distance: int
    node: str
    dirty: bool


# The tag may hold dashes: the distance, node and mark are anchored at the end.
_DESCRIBED = re.compile(r"(?P<tag>.+)-(?P<distance>\d+)-g(?P<node>[0-9a-f]+)(?P<dirty>-dirty)?")
_NO_TAG = ("No names found", "No tags can describe")


def parse_describe(text: str) -> Described:
    """``text`` of ``git describe --tags --long [--dirty]`` (``TAG-DISTANCE-gNODE[-dirty]``) as
    a :class:`Described`; ValueError when it has not that form."""
    m = _DESCRIBED.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"not the output of git describe --long: {text!r}")
    return Described(m["tag"], int(m["distance"]), m["node"], m["dirty"] is not None)


def git_describe(path: Path, *args: str, env: Mapping[str, str] | None = None) -> Described | None:
    """``git describe --tags --long ARGS`` in ``path`` (``ARGS``: ``--dirty``,
    ``--abbrev=N``, ``--match GLOB``, a commit...) with :func:`git_env` plus ``env``; None
    when git finds no tag to describe with. Any other failure of git raises RuntimeError."""
    done = run_git(["describe", "--tags", "--long", *args], path, env=env, check=False)
    if done.returncode == 0:
        return parse_describe(done.stdout)
    if any(message in done.stderr for message in _NO_TAG):
        return None
    raise RuntimeError(f"git describe {' '.join(args)} in {path} failed:\n{done.stderr}")


def linear_history(path: Path, count: int, tag_at: int) -> list[str]:
    """A new repository at ``path``: ``count`` empty commits in a line (loose objects only),
    one second apart, ``v1.0`` on commit ``tag_at``. Returns their ids, oldest first."""
    path.mkdir(parents=True)
    run_git(["init", "-q"], path)
    for i in range(count):
        commit(path, f"c{i}", when=i)
        if i == tag_at:
            run_git(["tag", "v1.0"], path)
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


def unpack(path: Path, pack: Path) -> None:
    """The objects of ``pack`` (a ``.pack`` of the repository at ``path``) made loose with
    ``git unpack-objects``, and the pack with its index gone: the layout commits leave
    between two ``git gc``."""
    data = pack.read_bytes()
    for sibling in pack.parent.glob(pack.stem + ".*"):
        sibling.unlink()
    git_bytes(path, "unpack-objects", "-q", input=data)


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
