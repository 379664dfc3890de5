"""Benchmark ``vc-upload`` against ``twine upload`` and ``uv publish`` on real indexes.

Usage: ``python benchmarks/upload.py [--runs N] [--files 20] [--large-mib 256] [--quick]``
(``nox -s bench`` runs it after ``run.py``).

It starts a pypiserver (``--disable-fallback``, uploads need a password, no ``--overwrite``)
and a devpi-server (the non-volatile index ``production``) on 127.0.0.1 with free ports, using
``tests/servers.py`` (the same servers the tests use), and a git repository whose HEAD is tagged
``v1.0.0`` (the release policy of ``vc-upload`` needs one). The distribution files are written
here, not built: ``--files`` - 1 wheels with different platform tags and one sdist per project,
each with valid core metadata and a Markdown long description (so ``twine check`` passes), and
a few hundred KiB of incompressible bytes.

Cases, on each index, with the tools interleaved (the order rotates every round) and medians of
``--runs`` rounds after a warm-up round:

- ``first upload``: a fresh project per tool and per round (nothing on the index yet):
  ``vc-upload`` vs ``twine upload`` (and ``uv publish`` for reference). Target:
  vc-upload <= 1.1 x twine.
- ``no-op``: a set uploaded once before the rounds, then uploaded again: ``vc-upload`` vs
  ``uv publish --check-url <simple URL>``, which also skips files the index has with the same
  hash. Target: vc-upload <= 2 x uv on pypiserver, 2.5 x uv on devpi. Timed with them:
  ``python -c "import requests"`` (``floor``: Python's start and the library vc-upload reads
  the index with; the no-op runs with ``--format json``, which does not import rich).
- ``large file`` (once per tool, pypiserver): one wheel of ``--large-mib`` MiB; the peak
  resident memory of the process (``os.wait4``'s ``ru_maxrss``) shows whether the file is read
  into memory whole. Target: vc-upload's peak is at most 1/8 of the file's size above its
  peak for the small files.

Every tool runs as a fresh process with credentials in its environment (``TWINE_USERNAME`` /
``TWINE_PASSWORD``, ``UV_PUBLISH_USERNAME`` / ``UV_PUBLISH_PASSWORD``), ``HOME`` in a scratch
directory (no ``.pypirc``, no keyring) and no ``TWINE_*``, ``VCRELEASE_*`` or CI variables.
``vc-upload`` is ``python -m vcrelease upload`` on the interpreter running the benchmark (so
``PYTHONPATH`` picks the source tree), and its outcomes are checked (every file ``uploaded`` on
a first upload, ``skipped`` on a no-op).

Writes the section ``## Upload`` of ``benchmarks/results.md`` (``--quick``:
``results-quick.md`` in the benchmark cache directory; or ``--output``), replacing an older one
and keeping the rest of the file, and prints PASS/FAIL per target. Exit status 0 when every
target passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from servers import IndexServer, start_devpi, start_pypiserver

HERE = Path(__file__).resolve().parent

FIRST_RATIO = 1.1
NOOP_RATIO = {"pypiserver": 2.0, "devpi": 2.5}
"""vc-upload's no-op may take this many times ``uv publish --check-url``'s, per index: devpi
answers uv's check faster than the reads of the simple API that the preflight and the
verification make with requests (devpi's 2.5 is the project's decision: index reads stay on
requests)."""
FLOOR = "import requests"
"""What any Python tool that reads the index with requests pays before its first request
(timed with the no-op, as ``floor``; the JSON report needs no rich)."""
LARGE_SHARE = 8
"""Uploading a large file may raise the peak memory by at most 1/8 of its size (streamed)."""
SECTION = "## Upload"
VERSION = "1.0.0"
PLATFORMS = (
    "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "manylinux_2_17_aarch64.manylinux2014_aarch64",
    "musllinux_1_2_x86_64",
    "macosx_11_0_arm64",
    "win_amd64",
)
PYTHONS = ("cp39", "cp310", "cp311", "cp312", "cp313")
CI_VARIABLES = (
    "CI", "GITHUB_ACTIONS", "GITHUB_REF", "GITHUB_SHA", "TRAVIS", "GITLAB_CI", "CIRCLECI",
    "TF_BUILD", "BITBUCKET_BUILD_NUMBER", "BUILDKITE", "JENKINS_URL", "JENKINS_HOME",
)  # fmt: skip
DESCRIPTION = """\
# {name}

A generated project for the vcrelease upload benchmark.

- one wheel per platform tag
- and an sdist
"""


# --- distribution files ------------------------------------------------------------------------


def _metadata(name: str) -> bytes:
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {name}\n"
        f"Version: {VERSION}\n"
        "Summary: upload benchmark project\n"
        "License: MIT\n"
        "Requires-Python: >=3.9\n"
        "Description-Content-Type: text/markdown\n"
        "\n" + DESCRIPTION.format(name=name)
    ).encode()


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def write_wheel(
    outdir: Path, name: str, tag: str, payload: bytes, *, metadata: bytes | None = None
) -> Path:
    """A valid wheel (PEP 427) of ``name`` 1.0.0 with ``payload`` as a data file, stored
    (``metadata``: another ``METADATA`` file)."""
    dist = name.replace("-", "_")
    info = f"{dist}-{VERSION}.dist-info"
    files = {
        f"{dist}/__init__.py": b'__version__ = "1.0.0"\n',
        f"{dist}/blob.bin": payload,
        f"{info}/METADATA": _metadata(name) if metadata is None else metadata,
        f"{info}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: vcrelease-bench\nRoot-Is-Purelib: false\nTag: {tag}\n"
        ).encode(),
    }
    record = [_record_line(p, d) for p, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = outdir / f"{dist}-{VERSION}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for member, data in files.items():
            archive.writestr(zipfile.ZipInfo(member, (2024, 1, 1, 0, 0, 0)), data)
    return path


def write_sdist(outdir: Path, name: str, payload: bytes) -> Path:
    """A valid sdist (PEP 625 name, ``PKG-INFO``) of ``name`` 1.0.0."""
    dist = name.replace("-", "_")
    root = f"{dist}-{VERSION}"
    members = {
        f"{root}/PKG-INFO": _metadata(name),
        f"{root}/pyproject.toml": f'[project]\nname = "{name}"\nversion = "{VERSION}"\n'.encode(),
        f"{root}/src/{dist}/blob.bin": payload,
    }
    path = outdir / f"{root}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size, info.mtime = len(data), 1704067200
            archive.addfile(info, io.BytesIO(data))
    return path


def make_set(outdir: Path, name: str, count: int, payload_kib: int) -> list[Path]:
    """``count`` - 1 wheels (different platform tags) and one sdist of ``name`` 1.0.0."""
    outdir.mkdir(parents=True)
    tags = [f"{py}-{py}-{plat}" for plat in PLATFORMS for py in PYTHONS]
    if count - 1 > len(tags):
        raise ValueError(f"at most {len(tags) + 1} files per set")
    files = [
        write_wheel(outdir, name, tag, os.urandom(payload_kib * 1024)) for tag in tags[: count - 1]
    ]
    return [*files, write_sdist(outdir, name, os.urandom(payload_kib * 1024))]


# --- running the tools ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    seconds: float
    max_rss_kib: int
    stdout: str


def run(argv: list[str], env: dict[str, str], cwd: Path) -> Sample:
    """Run ``argv``: wall time and peak RSS (``os.wait4``). RuntimeError on a non-zero exit."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        if code != 0:
            raise RuntimeError(
                f"{' '.join(argv[:4])} ... exited {code}:\n{stdout}\n"
                f"{err.read().decode(errors='replace')}"
            )
    return Sample(seconds, usage.ru_maxrss, stdout)


def base_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TWINE_", "VCRELEASE_", "UV_PUBLISH_", "GIT_"))
        and k not in CI_VARIABLES
        and k != "PYTHONDONTWRITEBYTECODE"  # as installed: modules load from cached bytecode
    }
    env.update(
        HOME=str(home),  # no ~/.pypirc
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        NO_PROXY="*",
        no_proxy="*",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        LC_ALL="C.UTF-8",
    )
    return env


@dataclass
class Tools:
    """The command line of each tool for one index."""

    server: IndexServer
    repo: Path
    env: dict[str, str]

    def _env(self) -> dict[str, str]:
        return {
            **self.env,
            "TWINE_USERNAME": self.server.username,
            "TWINE_PASSWORD": self.server.password,
            "UV_PUBLISH_USERNAME": self.server.username,
            "UV_PUBLISH_PASSWORD": self.server.password,
        }

    def vc_upload(self, files: list[Path], expect: str) -> Sample:
        sample = run(
            [
                sys.executable, "-m", "vcrelease", "upload", *map(str, files),
                "--repository-url", self.server.upload_url,
                "--index-url", self.server.index_url,
                "--project-dir", str(self.repo), "--no-progress", "--format", "json",
            ],
            self._env(),
            self.repo,
        )  # fmt: skip
        outcomes = {f["outcome"] for f in json.loads(sample.stdout)["files"]}
        if outcomes != {expect}:
            raise RuntimeError(f"vc-upload: outcomes {outcomes}, expected {expect}")
        return sample

    def twine(self, files: list[Path]) -> Sample:
        return run(
            [
                sys.executable, "-m", "twine", "upload", "--non-interactive",
                "--disable-progress-bar", "--repository-url", self.server.upload_url,
                *map(str, files),
            ],
            self._env(),
            self.repo,
        )  # fmt: skip

    def uv(self, files: list[Path], *, check: bool) -> Sample:
        extra = ["--check-url", self.server.index_url] if check else []
        return run(
            [
                uv_command(), "publish", "--no-progress", "--publish-url",
                self.server.upload_url, *extra, *map(str, files),
            ],
            self._env(),
            self.repo,
        )  # fmt: skip


def uv_command() -> str:
    here = Path(sys.executable).parent / "uv"
    found = str(here) if here.is_file() else shutil.which("uv")
    if not found:
        raise SystemExit("uv is not installed: pip install uv")
    return found


# --- the cases -----------------------------------------------------------------------------------


@dataclass
class Case:
    """Samples per tool of one case on one index."""

    index: str
    name: str
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def median(self, tool: str) -> float:
        return statistics.median(s.seconds for s in self.samples[tool])

    def peak_mib(self, tool: str) -> float:
        return max(s.max_rss_kib for s in self.samples[tool]) / 1024


def rounds(
    runs: int, tools: dict[str, Callable[[int], Sample]], log: Callable[[str], None]
) -> dict[str, list[Sample]]:
    """A warm-up round, then ``runs`` rounds, the tools' order rotating; round numbers are
    passed to the tools (fresh project names)."""
    names = list(tools)
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    for round_ in range(runs + 1):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            sample = tools[name](round_)
            if round_:
                samples[name].append(sample)
        log(".")
    return samples


def bench_index(
    label: str, tools: Tools, work: Path, args: argparse.Namespace, log: Callable[[str], None]
) -> list[Case]:
    tag = label.split()[0].replace("-", "")
    sets: dict[str, list[Path]] = {}

    def fresh(tool: str) -> Callable[[int], list[Path]]:
        def make(round_: int) -> list[Path]:
            name = f"ub-{tag}-{tool}-{round_}"
            return make_set(work / name, name, args.files, args.payload_kib)

        return make

    # Files are written before the rounds: only the tools are timed.
    for tool in ("vc-upload", "twine", "uv"):
        for round_ in range(args.runs + 1):
            sets[f"{tool}-{round_}"] = fresh(tool)(round_)
    first = Case(label, f"first upload of {args.files} files")
    log(f"{label}: first upload ")
    first.samples = rounds(
        args.runs,
        {
            "vc-upload": lambda r: tools.vc_upload(sets[f"vc-upload-{r}"], "uploaded"),
            "twine": lambda r: tools.twine(sets[f"twine-{r}"]),
            "uv": lambda r: tools.uv(sets[f"uv-{r}"], check=False),
        },
        log,
    )
    noop = Case(label, f"no-op re-upload of {args.files} files")
    done = sets["twine-1"]  # uploaded by twine above: every file is on the index
    log(" no-op ")
    noop.samples = rounds(
        args.runs,
        {
            "vc-upload": lambda r: tools.vc_upload(done, "skipped"),
            "uv": lambda r: tools.uv(done, check=True),
            "floor": lambda r: run([sys.executable, "-c", FLOOR], tools.env, tools.repo),
        },
        log,
    )
    log("\n")
    return [first, noop]


def bench_large(tools: Tools, work: Path, mib: int, log: Callable[[str], None]) -> Case:
    """One wheel of ``mib`` MiB per tool (fresh projects), peak memory."""
    case = Case(tools.server.name, f"one {mib} MiB wheel")
    log(f"{tools.server.name}: {mib} MiB wheel ")
    for tool in ("vc-upload", "twine"):
        name = f"ub-large-{tool}"
        outdir = work / name
        outdir.mkdir(parents=True)
        path = _write_large_wheel(outdir, name, mib)  # in chunks: never whole in memory
        sample = tools.vc_upload([path], "uploaded") if tool == "vc-upload" else tools.twine([path])
        case.samples[tool] = [sample]
        path.unlink()
        log(".")
    log("\n")
    return case


def _write_large_wheel(outdir: Path, name: str, mib: int) -> Path:
    dist = name.replace("-", "_")
    info = f"{dist}-{VERSION}.dist-info"
    path = outdir / f"{dist}-{VERSION}-py3-none-any.whl"
    small = {
        f"{info}/METADATA": _metadata(name),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: vcrelease-bench\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    blob_hash = hashlib.sha256()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        blob = zipfile.ZipInfo(f"{dist}/blob.bin", (2024, 1, 1, 0, 0, 0))
        with archive.open(blob, "w", force_zip64=True) as out:
            chunk = os.urandom(1 << 20)
            for _ in range(mib):
                out.write(chunk)
                blob_hash.update(chunk)
        records = [_record_line(p, d) for p, d in small.items()]
        digest = base64.urlsafe_b64encode(blob_hash.digest()).rstrip(b"=").decode()
        records += [f"{dist}/blob.bin,sha256={digest},{mib << 20}", f"{info}/RECORD,,"]
        small[f"{info}/RECORD"] = ("\n".join(records) + "\n").encode()
        for member, data in small.items():
            archive.writestr(zipfile.ZipInfo(member, (2024, 1, 1, 0, 0, 0)), data)
    return path


# --- report --------------------------------------------------------------------------------------


def targets(cases: list[Case], large_mib: int) -> list[tuple[bool, str]]:
    """(passed, description) per target; the large-file one compares vc-upload's peak with
    its peak on the same index's first upload of small files (what the file adds)."""
    out = []
    small = {c.index: c.peak_mib("vc-upload") for c in cases if c.name.startswith("first")}
    for case in cases:
        vc = case.median("vc-upload")
        if case.name.startswith("first"):
            ratio = vc / case.median("twine")
            out.append((ratio <= FIRST_RATIO, f"{case.index}: {case.name}: vc-upload / twine = "
                        f"{ratio:.2f} (<= {FIRST_RATIO})"))  # fmt: skip
        elif case.name.startswith("no-op"):
            ratio, limit = vc / case.median("uv"), NOOP_RATIO[case.index.split()[0]]
            out.append((ratio <= limit, f"{case.index}: {case.name}: vc-upload / uv "
                        f"publish --check-url = {ratio:.2f} (<= {limit})"))  # fmt: skip
        else:
            peak, base = case.peak_mib("vc-upload"), small[case.index]
            limit = large_mib / LARGE_SHARE
            out.append((peak - base <= limit, f"{case.index}: {case.name}: vc-upload peak "
                        f"{peak:.0f} MiB, {max(peak - base, 0):.0f} MiB above its peak for "
                        "small files "
                        f"(<= {limit:.0f}: 1/{LARGE_SHARE} of the file)"))  # fmt: skip
    return out


def _versions() -> str:
    from importlib.metadata import version

    def uv_version() -> str:
        try:
            done = subprocess.run([uv_command(), "--version"], capture_output=True, text=True)
            return done.stdout.strip()
        except OSError:
            return "uv ?"

    cpu = "?"
    with contextlib.suppress(OSError, StopIteration), open("/proc/cpuinfo", encoding="utf-8") as f:
        cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    commit = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}; Python "
        f"{platform.python_version()}; vcrelease (commit {commit}); twine {version('twine')}; "
        f"{uv_version()}; pypiserver {version('pypiserver')}; "
        f"devpi-server {version('devpi-server')}"
    )


def section(
    cases: list[Case], results: list[tuple[bool, str]], args: argparse.Namespace, load: str
) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        SECTION,
        "",
        "Made by `python benchmarks/upload.py` (run by `nox -s bench`); see "
        '`benchmarks/README.md`, "Upload".',
        f"Measured {when}. Whole-process wall time, median of {args.runs} interleaved rounds "
        "after a warm-up;",
        f"{args.files} files per set ({args.files - 1} wheels and an sdist, "
        f"{args.payload_kib} KiB of random bytes each), a fresh project per tool and round",
        "for first uploads. Peak memory: `ru_maxrss` of the process and its children.",
        "",
        f"Machine and versions: {_versions()}.",
        "",
        "| index | case | vc-upload | twine | uv publish | vc / twine | vc / uv "
        "| peak MiB vc / twine / uv |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for case in cases:
        cells, peaks = [], []
        for tool in ("vc-upload", "twine", "uv"):
            have = tool in case.samples
            cells.append(f"{case.median(tool):.3f}" if have else "-")
            peaks.append(f"{case.peak_mib(tool):.0f}" if have else "-")
        vc = case.median("vc-upload")
        ratios = [
            f"{vc / case.median(tool):.2f}" if tool in case.samples else "-"
            for tool in ("twine", "uv")
        ]
        lines.append(
            f"| {case.index} | {case.name} | {' | '.join(cells)} | {' | '.join(ratios)} "
            f"| {' / '.join(peaks)} |"
        )
    lines += ["", f"Times in seconds. Load average (1 min) before / after: {load}."]
    for case in cases:
        if "floor" in case.samples:
            floor = case.median("floor")
            lines.append(
                f"{case.index}, no-op rounds: `python -c '{FLOOR}'` alone takes {floor:.3f} s "
                f"({floor / case.median('uv'):.2f} x uv publish)."
            )
    lines += ["", "### Targets", ""]
    lines += [f"- {'PASS' if ok else 'FAIL'} {text}" for ok, text in results]
    passed = sum(ok for ok, _ in results)
    lines += ["", f"{passed} of {len(results)} upload targets pass.", ""]
    return "\n".join(lines)


def write_section(path: Path, text: str) -> None:
    """Replace the upload section of ``path`` (from its heading to the next ``## `` heading
    or the end), or append it; the rest of the file is kept."""
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    start = old.find(SECTION)
    if start < 0:
        new = old.rstrip("\n") + ("\n\n" if old else "") + text
    else:
        end = old.find("\n## ", start + len(SECTION))
        new = old[:start] + text + (old[end + 1 :] if end >= 0 else "")
    path.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


def extract_section(text: str) -> str:
    """The upload section of a results file (empty when it has none); :mod:`run` keeps it."""
    start = text.find(SECTION)
    if start < 0:
        return ""
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end + 1 if end >= 0 else len(text)]


@contextlib.contextmanager
def servers(work: Path) -> Iterator[list[IndexServer]]:
    pypi_proc, pypi = start_pypiserver(work / "pypiserver", fallback=False)
    try:
        devpi_proc, devpi = start_devpi(work / "devpi")
        try:
            yield [pypi, devpi.production]
        finally:
            devpi_proc.stop()
    finally:
        pypi_proc.stop()


def tagged_repo(path: Path, env: dict[str, str]) -> Path:
    path.mkdir()
    git_env = {
        **env,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.org",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.org",
    }
    (path / "app.txt").write_text("app\n", encoding="utf-8")
    for argv in (
        ["init", "-q", "-b", "main"],
        ["add", "app.txt"],
        ["commit", "-qm", "release"],
        ["tag", f"v{VERSION}"],
    ):
        subprocess.run(["git", *argv], cwd=path, env=git_env, check=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time vc-upload against twine and uv publish.")
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--files", type=int, default=20, help="files per set (default 20)")
    parser.add_argument("--payload-kib", type=int, default=256, help="random KiB per file")
    parser.add_argument("--large-mib", type=int, default=256, help="the large wheel (0: skip)")
    parser.add_argument("--only", default="", help="pypiserver or devpi (default both)")
    parser.add_argument("--quick", action="store_true", help="3 rounds, 64 MiB large wheel")
    parser.add_argument("--output", type=Path, default=None, help="where to write the table")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.large_mib = min(args.runs, 3), min(args.large_mib, 64)
    if args.runs < 1 or not 2 <= args.files <= len(PLATFORMS) * len(PYTHONS) + 1:
        parser.error(f"--runs must be >= 1, --files 2 to {len(PLATFORMS) * len(PYTHONS) + 1}")
    if args.output is None:
        import generate

        args.output = (
            generate.bench_dir(True) / "results-quick.md" if args.quick else HERE / "results.md"
        )
        args.output.parent.mkdir(parents=True, exist_ok=True)

    def log(text: str) -> None:
        print(text, end="", flush=True)

    load_before = os.getloadavg()[0]
    cases: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="vcrelease-ubench-") as tmp:
        work = Path(tmp)
        (work / "home").mkdir()
        env = base_env(work / "home")
        repo = tagged_repo(work / "repo", env)
        with servers(work) as indexes:
            for server in indexes:
                label = "pypiserver" if server.kind == "pypiserver" else "devpi (non-volatile)"
                if args.only and not label.startswith(args.only):
                    continue
                tools = Tools(server, repo, env)
                cases += bench_index(label, tools, work / server.kind, args, log)
                if args.large_mib and server.kind == "pypiserver":
                    cases.append(bench_large(tools, work / "large", args.large_mib, log))
                    cases[-1].index = label
    load = f"{load_before:.2f} / {os.getloadavg()[0]:.2f}"
    results = targets(cases, args.large_mib)
    text = section(cases, results, args, load)
    write_section(args.output, text)
    print()
    print(text)
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
