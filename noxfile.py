"""Development sessions: ``nox -s tests lint typecheck`` (what CI runs, then ``lowest`` and
``docs``), ``demo``, ``bench``.

Every session runs on the interpreter that runs nox (``python=None``): the machines here have
one CPython, and CI sets ``CI=true``, where nox turns a missing interpreter into an error. To
run the tests on other Pythons you have, either force them onto the ``tests`` session::

    nox -s tests --force-python 3.10 3.12

or run ``tests_matrix``, which lists every supported version (missing ones are skipped outside
CI).

``nox -s demo`` is the main job on a real repository: it makes a sample project in a fresh git
repo, tags it ``v1.2.3``, adds 5 commits and builds it with ``python -m build`` (isolated, with
``git`` off ``PATH``), once with setuptools and once with hatchling, and prints the files and
versions built. Then it starts a local pypiserver on 127.0.0.1 (upload needs a password),
uploads the hatchling sample's files with ``vc-upload``, runs it again (all skipped), and tries
to upload rebuilt files with other bytes under the same names (refused, nothing uploaded),
printing each step. ``nox -s demo -- --keep`` keeps the directory.
"""

from __future__ import annotations

import email.parser
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path

import nox

nox.needs_version = ">=2024.4"
nox.options.sessions = ["tests", "lint", "typecheck"]

ROOT = Path(__file__).resolve().parent
SAMPLES = ROOT / "tests" / "samples"
SUPPORTED_PYTHONS = ["3.10", "3.11", "3.12", "3.13"]

QUIET_MKDOCS = {"NO_MKDOCS_2_WARNING": "1"}
"""mkdocs-material's banner about its successor, printed on every build, is left out."""

GIT_ENV = {
    "GIT_AUTHOR_NAME": "vcrelease demo",
    "GIT_AUTHOR_EMAIL": "demo@example.org",
    "GIT_COMMITTER_NAME": "vcrelease demo",
    "GIT_COMMITTER_EMAIL": "demo@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _run_tests(session: nox.Session) -> None:
    session.install(".[test]")
    # pytest's exit code 5 (no tests collected) is not 0, so nox fails the session on it.
    # pytest-xdist spreads the tests over every core (2 on CI's machine): most of the time is
    # real builds, servers and git subprocesses, which run side by side well. Work stealing:
    # a few tests take 10-30 s, and an idle worker takes tests queued on the busy one instead
    # of waiting at the end. `-- -n 0` runs them in one process (e.g. to debug).
    args = session.posargs if any(a.startswith("-n") for a in session.posargs) else [
        "-n", "auto", "--dist", "worksteal", *session.posargs
    ]  # fmt: skip
    session.run("pytest", *args)


@nox.session(python=None)
def tests(session: nox.Session) -> None:
    """The test suite, slow end-to-end builds included (``-- -m 'not slow'`` skips them)."""
    _run_tests(session)


@nox.session(python=SUPPORTED_PYTHONS)
def tests_matrix(session: nox.Session) -> None:
    """The test suite on every supported Python that is installed."""
    _run_tests(session)


@nox.session(python=None)
def lowest(session: nox.Session) -> None:
    """The tests that are not slow, on the lowest version of every direct dependency that
    ``pyproject.toml`` allows (``uv pip install --resolution lowest-direct``): the floors are
    promises to users, so CI keeps them true. ``-- -m ''`` runs the slow tests too."""
    session.install("uv>=0.4")
    python = str(Path(session.bin) / "python")
    session.run(
        "uv", "pip", "install", "--python", python, "--resolution", "lowest-direct", ".[test]"
    )
    session.run(
        "python", "-c",
        "import importlib.metadata as m\n"
        "for d in ('dulwich', 'packaging', 'vcs-versioning', 'twine', 'rich', 'requests', "
        "'build'): print(f'lowest: {d} {m.version(d)}')",
    )  # fmt: skip
    args = session.posargs if any(a.startswith("-m") for a in session.posargs) else [
        "-m", "not slow", *session.posargs
    ]  # fmt: skip
    session.run("pytest", "-n", "auto", "--dist", "worksteal", *args)


@nox.session(python=None)
def docs(session: nox.Session) -> None:
    """The documentation site (``mkdocs.yml``, ``docs/``): ``mkdocs build --strict`` into
    ``site/``; any warning (a broken link, a reference page that differs from the code) fails
    it. ``-- serve`` runs ``mkdocs serve`` instead."""
    session.install(".[docs]")
    if session.posargs[:1] == ["serve"]:
        session.run("mkdocs", "serve", *session.posargs[1:], env=QUIET_MKDOCS)
    else:
        session.run("mkdocs", "build", "--strict", *session.posargs, env=QUIET_MKDOCS)


@nox.session(python=None)
def fuzz(session: nox.Session) -> None:
    """The property tests against vcs-versioning (``tests/test_version_oracle.py``) and the
    differential test against git (``tests/test_differential.py``), the walk's random
    commit graphs (``tests/test_walk_dag.py``) and the split dirty check's random work-tree
    changes (``tests/test_split_stat.py``) with the ``fuzz`` hypothesis profile: 200,000
    examples each instead of CI's 1,000, 3,000 random repositories instead of 20, 4,000
    graphs instead of 60, 2,000 work-tree states instead of 25 (not run in CI; ``-- -k tag``
    picks tests, ``HYPOTHESIS_PROFILE=ci`` the small budget)."""
    session.install(".[test]")
    session.run(
        "pytest", "tests/test_version_oracle.py", "tests/test_differential.py",
        "tests/test_walk_dag.py", "tests/test_split_stat.py", "-k", "agree", "-p", "no:xdist",
        "--hypothesis-show-statistics", *session.posargs,
        env={"VCRELEASE_FUZZ": "1"},
    )  # fmt: skip


@nox.session(python=None)
def lint(session: nox.Session) -> None:
    """ruff (lint rules and formatting) and import-linter's layer contracts
    (``pyproject.toml`` has the settings; ``docs/architecture.md`` explains the layers)."""
    session.install("ruff>=0.5", "import-linter>=2.1", "-e", ".")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


@nox.session(python=None)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over ``src/vcrelease``, ``tests`` and ``benchmarks`` (settings in
    ``pyproject.toml``)."""
    session.install(".[test]", "mypy>=1.10", "types-requests")
    session.run("mypy", *session.posargs)


@nox.session(python=None)
def demo(session: nox.Session) -> None:
    """Build a sample project from a fresh git repo: tag v1.2.3, 5 commits, python -m build."""
    if shutil.which("git") is None:
        session.error("the demo makes a git repository: install git first")
    keep = "--keep" in session.posargs
    session.install("build>=1.2", "hatchling>=1.26", ".[upload]", "pypiserver[passlib]>=2.1")
    workdir = Path(tempfile.mkdtemp(prefix="vcrelease-demo-"))
    try:
        wheelhouse = workdir / "wheelhouse"
        session.log("Building vcrelease from this checkout, to offer it to the isolated builds")
        session.run(
            "python", "-m", "build", "--wheel", "--no-isolation", "--outdir", str(wheelhouse),
            str(ROOT), silent=True,
        )  # fmt: skip
        env = _build_env(wheelhouse, workdir)
        results = []
        for backend in ("setuptools", "hatchling"):
            repo = _make_sample_repo(backend, workdir / f"sample-{backend}")
            described = _git(repo, "describe", "--tags", "--long")
            outdir = workdir / f"dist-{backend}"
            session.log(f"python -m build {repo}  ({backend}, git describe: {described})")
            session.run(
                "python", "-m", "build", "--outdir", str(outdir), str(repo), env=env, silent=True
            )
            status = _git(repo, "status", "--porcelain")
            results.append((backend, described, outdir, status))
        print()
        print("git is not on PATH during the builds: vcrelease reads the repository itself.")
        for backend, described, outdir, status in results:
            print(f"\n{backend} sample (git describe: {described})")
            for line in _describe_built(outdir):
                print(f"  {line}")
            print(f"  work tree after the build: {status or 'clean'}")
        print()
        _demo_uploads(session, workdir, env)
        if keep:
            print(f"Kept {workdir}")
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


@nox.session(python=None)
def bench(session: nox.Session) -> None:
    """Benchmarks against setuptools_scm and git (``benchmarks/run.py``), then vc-upload
    against twine and uv publish on real indexes (``benchmarks/upload.py``); not run in CI.

    ``nox -s bench`` generates the benchmark repositories once (cached under
    ``~/.cache/vcrelease-bench`` or ``$VCRELEASE_BENCH_DIR``; the first run takes a few
    minutes), times them and writes ``benchmarks/results.md``; the upload benchmark (a few
    minutes: pypiserver and devpi-server on 127.0.0.1) writes its section of the same file.
    ``nox -s bench -- --quick`` uses 10 times smaller repositories (about a minute) and fewer
    upload rounds, and writes its tables beside the repositories; ``-- --only near,far`` picks
    repositories, ``-- --runs 9`` more rounds (of both). ``nox -s bench_upload`` runs the
    upload benchmark alone (its options after ``--``). The session fails when a target fails.
    """
    from nox.command import CommandFailed

    session.install(".[test]")
    upload_args = [a for a in session.posargs if a == "--quick"]
    if "--runs" in session.posargs:
        upload_args += session.posargs[session.posargs.index("--runs") :][:2]
    failed = []
    for script, args in (("run.py", session.posargs), ("upload.py", upload_args)):
        try:  # a failed target is exit 1: run the other benchmark anyway
            session.run("python", str(ROOT / "benchmarks" / script), *args)
        except CommandFailed:
            failed.append(f"benchmarks/{script}")
    if failed:
        session.error(f"targets failed in {', '.join(failed)} (see benchmarks/results.md)")


@nox.session(python=None)
def bench_upload(session: nox.Session) -> None:
    """vc-upload against twine and uv publish (``benchmarks/upload.py``; options after
    ``--``: ``--runs``, ``--files``, ``--large-mib``, ``--only pypiserver|devpi``, ``--quick``)."""
    session.install(".[test]")
    session.run("python", str(ROOT / "benchmarks" / "upload.py"), *session.posargs)


# --- demo helpers ----------------------------------------------------------------------------


def _demo_uploads(session: nox.Session, workdir: Path, build_env: dict[str, str | None]) -> None:
    """pypiserver on 127.0.0.1, then vc-upload: upload, re-run, other bytes under one name."""
    import secrets
    import socket
    import time
    import urllib.request

    repo, dist = workdir / "sample-hatchling", workdir / "dist-hatchling"
    password = secrets.token_urlsafe(12)
    # passlib is installed in the session (pypiserver[passlib]), not beside nox: write the
    # password file there. The password goes through the environment, not the command line.
    session.run(
        "python", "-c",
        "import os, sys; from passlib.apache import HtpasswdFile; "
        "f = HtpasswdFile(sys.argv[1], new=True); "
        "f.set_password('demo', os.environ['DEMO_PASSWORD']); f.save()",
        str(workdir / "htpasswd"),
        env={"DEMO_PASSWORD": password}, silent=True,
    )  # fmt: skip
    (workdir / "packages").mkdir()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            "python", "-m", "pypiserver", "run", "--host", "127.0.0.1", "--port", str(port),
            "--authenticate", "update", "--passwords", str(workdir / "htpasswd"),
            "--disable-fallback", str(workdir / "packages"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PATH": session.bin + os.pathsep + os.environ.get("PATH", "")},
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            session.error(f"pypiserver did not start on {base}")
        upload_env = {
            "TWINE_USERNAME": "demo",
            "TWINE_PASSWORD": password,
            "TWINE_REPOSITORY_URL": f"{base}/",
            "VCRELEASE_INDEX_URL": f"{base}/simple/",
        }
        files = sorted(str(p) for p in dist.iterdir())
        steps = [
            ("1. upload the dev release", files),
            ("2. run it again: every file is already there with the same sha256", files),
        ]
        for title, paths in steps:
            print(f"{title}\n   $ vc-upload {' '.join(Path(p).name for p in paths)}")
            code = _vc_upload(session, repo, paths, upload_env)
            print(f"   exit code {code}\n")
        rebuilt = workdir / "dist-rebuilt"
        print("3. rebuild the same commit with another timestamp: same names, other bytes")
        session.run(
            "python", "-m", "build", "--outdir", str(rebuilt), str(repo),
            env={**build_env, "SOURCE_DATE_EPOCH": "1000000000"}, silent=True,
        )  # fmt: skip
        paths = sorted(str(p) for p in rebuilt.iterdir())
        print(f"   $ vc-upload {' '.join(Path(p).name for p in paths)}")
        code = _vc_upload(session, repo, paths, upload_env)
        print(f"   exit code {code}: refused, the index still serves the first upload's bytes\n")
    finally:
        server.terminate()
        server.wait(10)


def _vc_upload(session: nox.Session, repo: Path, files: list[str], env: dict[str, str]) -> int:
    done = subprocess.run(
        ["vc-upload", *files, "--project-dir", str(repo), "--no-progress"],
        env={**os.environ, **env, "PATH": session.bin + os.pathsep + os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        check=False,
    )
    for line in (done.stdout + done.stderr).strip().splitlines():
        print(f"   {line}")
    return done.returncode


def _git(repo: Path, *args: str, minute: int = 0) -> str:
    date = f"2026-01-01T00:{minute:02d}:00Z"
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def _make_sample_repo(backend: str, repo: Path) -> Path:
    """The sample project committed, tagged ``v1.2.3``, then 5 more commits."""
    shutil.copytree(SAMPLES / backend, repo)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "sample project")
    _git(repo, "tag", "-a", "v1.2.3", "-m", "release 1.2.3")
    for i in range(1, 6):
        (repo / "CHANGES.txt").write_text(f"change {i}\n", encoding="utf-8")
        _git(repo, "add", "CHANGES.txt")
        _git(repo, "commit", "-q", "-m", f"change {i}", minute=i)
    return repo


def _build_env(wheelhouse: Path, workdir: Path) -> dict[str, str | None]:
    """Our wheel offered to pip (and pinned), and a PATH without git."""
    (wheel,) = wheelhouse.glob("vcrelease-*.whl")
    constraints = workdir / "constraints.txt"
    constraints.write_text(f"vcrelease=={wheel.name.split('-')[1]}\n", encoding="utf-8")
    links = " ".join(filter(None, [str(wheelhouse), os.environ.get("PIP_FIND_LINKS")]))
    pip_constraint = " ".join(filter(None, [os.environ.get("PIP_CONSTRAINT"), str(constraints)]))
    path = os.pathsep.join(
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and shutil.which("git", path=entry) is None
    )
    env: dict[str, str | None] = {
        "PIP_FIND_LINKS": links,
        "PIP_CONSTRAINT": pip_constraint,
        "PATH": path,
    }
    for name in os.environ:
        if name.startswith("VCRELEASE_"):
            env[name] = None  # a pretend version from the shell would hide what git gives
    return env


def _describe_built(outdir: Path) -> list[str]:
    """One line per built file: its name, the version in its metadata, the version file."""
    lines = []
    for path in sorted(outdir.iterdir()):
        if path.name.endswith(".tar.gz"):
            with tarfile.open(path) as tar:
                members = {m.name: tar.extractfile(m) for m in tar.getmembers() if m.isfile()}
                files = {name: f.read() for name, f in members.items() if f is not None}
            metadata = next(
                v for n, v in files.items() if n.count("/") == 1 and n.endswith("/PKG-INFO")
            )
        elif path.suffix == ".whl":
            with zipfile.ZipFile(path) as whl:
                files = {name: whl.read(name) for name in whl.namelist()}
            metadata = next(v for n, v in files.items() if n.endswith(".dist-info/METADATA"))
        else:
            continue
        version = email.parser.BytesHeaderParser().parsebytes(metadata)["Version"]
        lines.append(f"{path.name}: Version {version}; {_version_file_line(files)}")
    return lines


def _version_file_line(files: dict[str, bytes]) -> str:
    """``<path>: __version__ = '...', __commit_id__ = '...'`` of the version file in ``files``."""
    names = [n for n in files if n.endswith("/_version.py")]
    if not names:
        return "no version file"
    values = [
        line.split(" = ")[0] + " = " + line.rsplit(" = ", 1)[1]
        for line in files[names[0]].decode().splitlines()
        if line.startswith(("__version__ =", "__commit_id__ ="))
    ]
    return f"{names[0]}: {', '.join(values)}"
